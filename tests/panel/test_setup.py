"""Reading a panel lottery's settings from the form, quotas taken from the place, the fix a
lottery offers applied, and the lottery's inputs: pure, no I/O."""

from __future__ import annotations

import pytest

from facilitation.panel.quotas import Quota, Relaxation
from facilitation.panel.setup import (
    Limit,
    Setup,
    SetupError,
    fields,
    households,
    lottery_inputs,
    read_setup,
    relaxed,
    rows,
    suggest,
)
from facilitation.people.rules import PREFER_NOT_TO_SAY, Choice, ProfileQuestion, Volunteer


def question(qid: int, label: str, *labels: str, retired=()) -> ProfileQuestion:
    choices = tuple(
        Choice(qid * 10 + i, qid, text, i, text in retired) for i, text in enumerate(labels, 1)
    )
    return ProfileQuestion(qid, 1, label, qid, choices)


TENURE = question(1, "Tenure", "Renter", "Owner")
AGE = question(2, "Age band", "Under 30", "30 and over")
QUESTIONS = [TENURE, AGE]


def test_the_form_gives_seats_reserves_the_household_rule_and_quotas():
    form = {"seats": " 12 ", "reserves": "3", "household": "1", "min-1-11": "4", "max-2-none": "1"}
    setup = read_setup(form, QUESTIONS, pool_size=40)
    assert (setup.seats, setup.reserves, setup.one_per_household) == (12, 3, True)
    assert setup.limits == {(1, 11): Limit(4, None), (2, None): Limit(None, 1)}
    # blanks filled in: a blank minimum is 0, a blank maximum the whole panel
    assert setup.quotas() == [((1, 11), 4, 12), ((2, None), 0, 1)]


def test_digits_typed_in_another_script_are_read():
    setup = read_setup({"seats": "١٢", "max-2-21": "٣"}, QUESTIONS, pool_size=40)
    assert (setup.seats, setup.limits) == (12, {(2, 21): Limit(None, 3)})


def test_settings_go_round_the_form_unchanged():
    setup = Setup(8, 2, True, {(1, 12): Limit(2, 5), (2, None): Limit(None, 1)})
    assert read_setup(fields(setup), QUESTIONS, pool_size=20) == setup


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "Please say how many seats"),
        ({"seats": "1e3"}, "The panel size must be a whole number"),
        ({"seats": "0"}, "between 1 and {most} seats"),
        ({"seats": "41"}, "between 1 and {most} seats"),
        ({"seats": "5", "reserves": "2.5"}, "The number of reserves must be a whole number"),
        ({"seats": "5", "min-1-11": "-1"}, "must be whole numbers"),
        ({"seats": "5", "max-2-21": "3.0"}, "must be whole numbers"),
        ({"seats": "5", "min-3-31": "1"}, "The questions have changed"),
    ],
)
def test_bad_settings_say_what_is_wrong(form, message):
    with pytest.raises(SetupError) as caught:
        read_setup(form, QUESTIONS, pool_size=40)
    assert message in caught.value.message


def test_quotas_from_the_place_round_down_and_up():
    makeup = {1: {11: 500.0, 12: 250.0}}  # head counts: renters two thirds
    setup = suggest(QUESTIONS, makeup, seats=9, reserves=2, one_per_household=False)
    assert setup.limits == {(1, 11): Limit(6, 6), (1, 12): Limit(3, 3)}
    setup = suggest(QUESTIONS, makeup, seats=10, reserves=0, one_per_household=True)
    assert setup.limits == {(1, 11): Limit(6, 7), (1, 12): Limit(3, 4)}
    assert setup.one_per_household


def test_the_fix_offered_is_applied_to_the_right_answer():
    setup = Setup(6, 0, False, {(2, 21): Limit(3, None), (1, 12): Limit(None, 1)})
    by_label = {("Age band", "Under 30"): (2, 21), ("Tenure", "Owner"): (1, 12)}
    fixes = [
        Relaxation("Age band", "Under 30", "min", 3, 2),
        Relaxation("Tenure", "Owner", "max", 1, 3),
    ]
    assert relaxed(setup, fixes, by_label).limits == {
        (2, 21): Limit(2, None),
        (1, 12): Limit(None, 3),
    }


def test_volunteers_are_numbered_in_pool_order_with_their_answers_by_label():
    pool = [
        Volunteer(7, 1, "Ada", household="1 Mill Lane", answers={1: 11, 2: None}),
        Volunteer(9, 1, "Bob", household=" 1  MILL lane", answers={2: 21}),
        Volunteer(4, 1, "Cy"),
    ]
    setup = Setup(2, 0, True, {(1, 11): Limit(1, 1)})
    candidates, quotas, by_label = lottery_inputs(QUESTIONS, pool, setup)
    assert [c.id for c in candidates] == ["1", "2", "3"]
    assert candidates[0].profile == {"Tenure": "Renter", "Age band": PREFER_NOT_TO_SAY}
    assert candidates[1].profile == {"Age band": "Under 30"}
    # the same home however it was typed; someone with none lives alone
    assert candidates[0].household == candidates[1].household
    assert candidates[2].household is None
    assert households(pool) == 2
    assert quotas == [Quota("Tenure", "Renter", 1, 1)]
    assert by_label[("Age band", PREFER_NOT_TO_SAY)] == (2, None)


def test_the_quota_table_counts_the_pool_and_keeps_retired_answers_someone_holds():
    tenure = question(
        1, "Tenure", "Renter", "Owner", "Shared owner", retired=("Owner", "Shared owner")
    )
    pool = [
        Volunteer(1, 1, "Ada", answers={1: 12}),
        Volunteer(2, 1, "Bob", answers={1: None}),
        Volunteer(3, 1, "Cy"),
    ]
    (table,) = rows([tenure], pool, {1: {11: 70.0, 12: 30.0}}, None)
    assert [(a.label, a.count, a.place_share) for a in table.answers] == [
        ("Renter", 0, 70.0),
        ("Owner", 1, 30.0),  # retired, but Ada holds it
        (PREFER_NOT_TO_SAY, 1, None),
    ]
    assert table.unanswered == 1


def test_the_form_gives_the_expected_withdrawal_rates_in_percent():
    form = {"seats": "8", "rate": " 15 ", "rate-2-21": "30", "rate-1-none": "12,5", "rate-1-12": ""}
    setup = read_setup(form, QUESTIONS, pool_size=40)
    assert setup.usual == 15
    assert setup.rates == {(2, 21): 30, (1, None): 12.5}
    assert read_setup({"seats": "8"}, QUESTIONS, pool_size=40).usual is None


def test_rates_in_arabic_figures_with_a_percent_sign_are_read():
    setup = read_setup({"seats": "8", "rate": "٢٠٪", "rate-2-22": "٧٫٥"}, QUESTIONS, pool_size=40)
    assert (setup.usual, setup.rates) == (20, {(2, 22): 7.5})


def test_withdrawal_rates_go_round_the_form_unchanged():
    setup = Setup(8, 2, False, {(1, 12): Limit(2, 5)}, 15, {(2, 21): 30, (1, None): 12.25})
    assert fields(setup)["rate"] == "15" and fields(setup)["rate-1-none"] == "12.25"
    assert read_setup(fields(setup), QUESTIONS, pool_size=20) == setup


@pytest.mark.parametrize(
    ("form", "message", "field"),
    [
        ({"rate": "many"}, "The usual withdrawal rate must be a percentage", "rate"),
        ({"rate": "-5"}, "The usual withdrawal rate must be a percentage", "rate"),
        ({"rate": "100"}, "The usual withdrawal rate must be a percentage", "rate"),
        ({"rate": "1000"}, "The usual withdrawal rate must be a percentage", "rate"),
        ({"rate": "12.345"}, "The usual withdrawal rate must be a percentage", "rate"),
        ({"rate-2-21": "1e1"}, "The withdrawal rate for {question} “{answer}”", "rate-2-21"),
        ({"rate-1-none": "99.9.9"}, "The withdrawal rate for {question} “{answer}”", "rate-1-none"),
        ({"rate-3-31": "5"}, "The questions have changed", ""),
    ],
)
def test_bad_withdrawal_rates_say_what_is_wrong_and_which_box(form, message, field):
    with pytest.raises(SetupError) as caught:
        read_setup({"seats": "5", **form}, QUESTIONS, pool_size=40)
    assert message in caught.value.message
    assert caught.value.field == field


def test_a_bad_rate_names_its_answer():
    with pytest.raises(SetupError) as caught:
        read_setup({"seats": "5", "rate-2-21": "100"}, QUESTIONS, pool_size=40)
    assert caught.value.params == {"question": "Age band", "answer": "Under 30"}


def test_the_fix_offered_keeps_the_withdrawal_rates():
    setup = Setup(6, 1, False, {(1, 11): Limit(5, 6)}, 20, {(2, 21): 40})
    fixed = relaxed(
        setup, [Relaxation("Tenure", "Renter", "min", 5, 4)], {("Tenure", "Renter"): (1, 11)}
    )
    assert (fixed.usual, fixed.rates) == (20, {(2, 21): 40})
