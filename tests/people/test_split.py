"""Pure rules of who takes part: results split by group as a table and CSV rows, and reading the
phone's answers and the organiser's figures for the place."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facilitation.core.errors import BadRequest, Conflict
from facilitation.core.models import Ballot, Option, Round, RoundStatus
from facilitation.kinds import dots as dots_kind
from facilitation.people.groups import GroupKind
from facilitation.people.profiles import read_answers, read_figures
from facilitation.people.rules import Choice, ProfileQuestion
from facilitation.people.split import split_round, split_rows, splittable


def question(qid: int, *labels: str, retired: tuple[str, ...] = ()) -> ProfileQuestion:
    choices = tuple(
        Choice(qid * 10 + i, qid, label, i, label in retired)
        for i, label in enumerate(labels, start=1)
    )
    return ProfileQuestion(qid, 1, f"Q{qid}", qid, choices)


TENURE = question(1, "Social rent", "Private rent", "Owner", retired=("Owner",))
AGE = question(2, "Under 30", "30 and over")


def dot_round(kind: str = "dots", status: RoundStatus = RoundStatus.CLOSED) -> Round:
    return Round(1, 1, "Priorities", kind, (100, 200), status)


def voters(*labels: str | None) -> tuple[list[Ballot], dict[int, str | None]]:
    """One ballot per label: 3 dots to option 100 and 2 to 200 (reversed for "Owner")."""
    ballots, groups = [], {}
    for pid, label in enumerate(labels, start=1):
        dots = {100: 2, 200: 3} if label == "Owner" else {100: 3, 200: 2}
        ballots.append(Ballot(1, pid, dots_kind.entry(dots)))
        groups[pid] = label
    return ballots, groups


# -- results by group --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "expected"),
    [
        ("dots", RoundStatus.CLOSED, True),
        ("rank", RoundStatus.CLOSED, True),
        ("budget", RoundStatus.CLOSED, True),
        ("rating", RoundStatus.CLOSED, True),
        ("ideas", RoundStatus.CLOSED, False),
        ("dots", RoundStatus.OPEN, False),
        ("dots", RoundStatus.DRAFT, False),
    ],
)
def test_only_closed_rounds_with_ballots_are_split(kind, status, expected):
    assert splittable(dot_round(kind, status)) is expected


def test_each_shown_group_is_counted_on_its_own_ballots():
    ballots, groups = voters(*["Social rent"] * 5, *["Owner"] * 5)
    found = split_round(dot_round(), ballots, groups, TENURE)
    assert [(g.group.label, g.group.size) for g in found] == [("Social rent", 5), ("Owner", 5)]
    owners = found[1]
    assert owners.row(100).score == 10 and owners.row(200).score == 15
    assert owners.row(200).place == 1


def test_a_group_of_four_is_never_a_column_or_a_row():
    ballots, groups = voters(*["Social rent"] * 6, *["Private rent"] * 4, None)
    found = split_round(dot_round(), ballots, groups, TENURE)
    assert [(g.group.kind, g.group.size) for g in found] == [
        (GroupKind.ANSWER, 6),
        (GroupKind.OTHER, 5),
    ]
    rows = split_rows(dot_round(), TENURE, found, {}, lambda g: g.label)
    assert all("Private rent" not in map(str, row) for row in rows)


def test_a_withheld_group_is_one_row_with_no_figures_and_no_size():
    ballots, groups = voters("Owner", "Owner", "Social rent")
    found = split_round(dot_round(), ballots, groups, TENURE)
    assert [g.result for g in found] == [None]
    assert found[0].row(100) is None
    rows = split_rows(dot_round(), TENURE, found, {}, lambda g: g.label)
    assert rows == [(1, "Priorities", "Q1", "Other", "other", "", "withheld", *[""] * 7)]


def test_csv_rows_name_the_option_the_method_and_the_counts():
    ballots, groups = voters(*["Social rent"] * 5)
    found = split_round(dot_round(), ballots, groups, TENURE)
    options = {100: Option(100, 1, "Benches", "", 1), 200: Option(200, 1, "Lighting", "", 2)}
    rows = split_rows(dot_round(), TENURE, found, options, lambda g: g.label)
    assert rows == [
        (1, "Priorities", "Q1", "Social rent", "answer", 5, "yes", "dots", 1, "no", 100,
         "Benches", 15, 5),
        (1, "Priorities", "Q1", "Social rent", "answer", 5, "yes", "dots", 2, "no", 200,
         "Lighting", 10, 5),
    ]  # fmt: skip


@given(st.lists(st.sampled_from(["Social rent", "Private rent", "Owner", None]), max_size=40))
def test_no_shown_group_ever_has_fewer_than_five_voters(labels):
    ballots, groups = voters(*labels)
    found = split_round(dot_round(), ballots, groups, TENURE)
    for g in found:
        if g.result is not None:
            assert g.group.size >= 5
            assert g.result.ballots == g.group.size
    hidden = len(labels) - sum(g.group.size for g in found if g.result is not None)
    assert hidden in (0, len(labels)) or hidden >= 5


# -- the phone's answers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({}, {}),
        ({"q-1": "11"}, {1: 11}),
        ({"q-1": "none", "q-2": "22"}, {1: None, 2: 22}),
        ({"q-1": "", "q-2": "21"}, {2: 21}),
        ({"q-1": "13"}, {1: 13}),  # a retired answer the person already gave is kept
        ({"csrf": "x", "action": "save", "q-2": "21"}, {2: 21}),
    ],
)
def test_answers_read_from_the_phones_form(form, expected):
    assert read_answers([TENURE, AGE], {1: 13}, form) == expected


@pytest.mark.parametrize(
    "form",
    [
        {"q-3": "31"},  # a question not asked here
        {"q-1": "21"},  # another question's answer
        {"q-1": "99"},
        {"q-1": "Owner"},
        {"q-x": "11"},
        {"q-1": "-11"},
        {"q-" + "9" * 40: "1"},
        {"q-1": "1" * 40},
    ],
)
def test_an_answer_not_on_offer_is_refused(form):
    with pytest.raises(Conflict):
        read_answers([TENURE, AGE], {}, form)


def test_a_retired_answer_cannot_be_newly_picked():
    with pytest.raises(Conflict):
        read_answers([TENURE], {1: 11}, {"q-1": "13"})


def test_a_repeated_field_is_refused():
    with pytest.raises(BadRequest):
        read_answers([TENURE], {}, {"q-1": ["11", "12"]})


# -- the organiser's figures ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"amount-21": "1,250", "amount-22": "3750"}, {21: 1250.0, 22: 3750.0}),
        ({"amount-21": "25%", "amount-22": " 75 % "}, {21: 25.0, 22: 75.0}),
        ({"amount-21": "12.5", "amount-22": ""}, {21: 12.5}),
        ({"amount-21": "", "amount-22": ""}, {}),
        ({"amount-11": "40", "amount-21": "1"}, {21: 1.0}),  # another question's field
    ],
)
def test_figures_read_from_the_organisers_form(form, expected):
    assert read_figures(AGE, form) == expected


@pytest.mark.parametrize(
    "form",
    [
        {"amount-21": "many"},
        {"amount-21": "-3"},
        {"amount-21": "0", "amount-22": "0"},
        {"amount-21": "60%", "amount-22": "50%"},
        {"amount-21": ["1", "2"]},
    ],
)
def test_figures_the_rules_refuse(form):
    with pytest.raises(BadRequest):
        read_figures(AGE, form)
