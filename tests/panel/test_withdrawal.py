"""Which withdrawal rates order a draw's alternates: the organiser's where set, else those learned
from past panels, else the default; and what the drawn panel keeps of them. Pure, no I/O."""

from __future__ import annotations

import pytest

from facilitation.panel.alternates import DEFAULT_DROPOUT, estimate_dropout
from facilitation.panel.setup import Setup
from facilitation.panel.withdrawal import DEFAULT, LEARNED, ORGANISER, Rate, from_record, resolve

LABELS = {
    (1, 11): ("Tenure", "Renter"),
    (1, 12): ("Tenure", "Owner"),
    (2, 21): ("Age band", "Under 30"),
    (2, 22): ("Age band", "30 and over"),
}
# Past panels: 40 members, the under-30s far more likely to have withdrawn.
PAST = estimate_dropout(
    [({"Age band": "Under 30", "Tenure": "Renter"}, n < 12) for n in range(20)]
    + [({"Age band": "30 and over", "Tenure": "Owner"}, n < 2) for n in range(20)]
)


def setup(usual=None, **rates) -> Setup:
    return Setup(6, 2, False, {}, usual, {LABELS_BY_NAME[k]: v for k, v in rates.items()})


LABELS_BY_NAME = {"renter": (1, 11), "owner": (1, 12), "young": (2, 21), "older": (2, 22)}


def test_with_nothing_set_or_learned_everyone_has_the_default_rate():
    rates = resolve(setup(), None, LABELS)
    assert rates.usual == Rate(None, DEFAULT_DROPOUT, DEFAULT)
    assert rates.by_answer == ()
    model = rates.model(LABELS)
    assert model.probability({"Age band": "Under 30"}) == pytest.approx(DEFAULT_DROPOUT)


def test_the_organisers_rates_are_used_where_set():
    rates = resolve(setup(20, young=90), None, LABELS)
    assert rates.usual == Rate(None, 0.2, ORGANISER)
    assert rates.by_answer == (Rate((2, 21), 0.9, ORGANISER),)
    model = rates.model(LABELS)
    assert model.probability({"Age band": "Under 30"}) == pytest.approx(0.9)
    assert model.probability({"Age band": "30 and over"}) == pytest.approx(0.2)


def test_learned_rates_fill_in_where_the_organiser_set_none():
    rates = resolve(setup(young=50), PAST, LABELS)
    assert rates.usual.source == LEARNED
    assert rates.usual.rate == pytest.approx(PAST.base)
    by_key = {r.key: r for r in rates.by_answer}
    assert by_key[(2, 21)] == Rate((2, 21), 0.5, ORGANISER)
    assert by_key[(2, 22)].source == LEARNED
    assert by_key[(2, 22)].rate == pytest.approx(PAST.probability({"Age band": "30 and over"}))
    assert by_key[(2, 22)].rate < rates.usual.rate < 0.5


def test_the_organisers_usual_rate_overrides_the_learned_one():
    rates = resolve(setup(10), PAST, LABELS)
    assert rates.usual == Rate(None, 0.1, ORGANISER)
    assert {r.source for r in rates.by_answer} == {LEARNED}


def test_the_record_gives_the_same_rates_back():
    rates = resolve(setup(15, owner=5), PAST, LABELS)
    assert from_record(rates.record()) == rates
