"""How a drawn panel's page says which withdrawal rates ordered its alternates: grouped by where
each came from, the organiser's first, each figure as typed or to one decimal."""

from __future__ import annotations

import pytest

from facilitation.panel.withdrawal import DEFAULT, LEARNED, ORGANISER, Rate, Rates
from facilitation.people.rules import Choice, ProfileQuestion
from facilitation.web.withdrawals import rate_text, sentences

AGE = ProfileQuestion(2, 1, "Age band", 2, (Choice(21, 2, "Under 30", 1, False),))
TENURE = ProfileQuestion(1, 1, "Tenure", 1, (Choice(11, 1, "Owner", 1, False),))


def said(rates: Rates) -> list[str]:
    out = sentences(rates.record(), [TENURE, AGE])
    return [s.replace("\u2068", "").replace("\u2069", "") for s in out]


def test_the_organisers_rates_open_the_sentence_and_the_default_follows():
    rates = Rates(Rate(None, 0.15, DEFAULT), (Rate((2, 21), 0.9, ORGANISER),))
    assert said(rates) == [
        "Alternates ordered for withdrawal rates set by the organiser: Age band “Under 30” 90%.",
        "Default: usual 15%.",
    ]


def test_learned_rates_are_named_as_such_to_one_decimal():
    rates = Rates(
        Rate(None, 0.2, ORGANISER),
        (Rate((1, 11), 0.08333, LEARNED), Rate((1, None), 0.125, ORGANISER)),
    )
    assert said(rates) == [
        "Alternates ordered for withdrawal rates set by the organiser:"
        " usual 20% and Tenure “Prefer not to say” 12.5%.",
        "Learned from past panels: Tenure “Owner” 8.3%.",
    ]


def test_with_nothing_set_or_learned_the_default_is_said():
    assert said(Rates(Rate(None, 0.15, DEFAULT), ())) == [
        "Alternates ordered for the default withdrawal rate: usual 15%."
    ]


@pytest.mark.parametrize(
    ("share", "most", "text"), [(0.3, 2, "30%"), (0.1225, 2, "12.25%"), (0.12345, 1, "12.3%")]
)
def test_a_rate_keeps_the_decimals_it_has(share, most, text):
    assert rate_text(share, most) == text
