"""Alternates: dropout chances estimated from past panels with a prior, alternates chosen so the
panel stays within its quotas when members withdraw, and a proposal for each withdrawal that says
how far off the panel is when no alternate keeps the quotas."""

from __future__ import annotations

import random

import pytest

from facilitation.panel.alternates import (
    DEFAULT_DROPOUT,
    DropoutModel,
    choose_alternates,
    dropout_chances,
    estimate_dropout,
    propose_replacement,
)
from facilitation.panel.lottery import draw, select_panel
from facilitation.panel.pool import build_pool, meets_quotas
from facilitation.panel.quotas import Quota, Volunteer

AGES = ["16-29", "30-44", "45-64", "65+"]
TENURES = ["owner", "social renter", "private renter"]


def estate(size: int, seed: int = 3, shared: float = 0.0) -> list[Volunteer]:
    rng = random.Random(seed)
    out = []
    for i in range(size):
        profile = {
            "age": rng.choices(AGES, [1, 2, 3, 4])[0],
            "gender": rng.choice(["woman", "man"]),
            "tenure": rng.choices(TENURES, [5, 2, 2])[0],
        }
        home = f"h{i - 1}" if i % 2 and rng.random() < shared else f"h{i}"
        out.append(Volunteer(f"p{i}", profile, home if shared else None))
    return out


QUOTAS = [
    Quota("age", "16-29", 2, 3),
    Quota("age", "30-44", 2, 4),
    Quota("age", "45-64", 2, 4),
    Quota("age", "65+", 2, 4),
    Quota("gender", "woman", 5, 6),
    Quota("gender", "man", 5, 6),
    Quota("tenure", "owner", 4, 7),
    Quota("tenure", "social renter", 1, 3),
    Quota("tenure", "private renter", 1, 3),
]


@pytest.fixture(scope="module")
def drawn():
    volunteers = estate(150)
    lottery = select_panel(volunteers, 11, QUOTAS)
    return lottery, draw(lottery, "town hall 7")


# -- estimating dropout ---------------------------------------------------------------------------


def test_with_no_history_the_estimate_is_the_prior():
    model = estimate_dropout([])
    assert model.base == pytest.approx(DEFAULT_DROPOUT)
    assert model.probability({"age": "65+"}) == pytest.approx(DEFAULT_DROPOUT)


def test_answers_that_dropped_out_more_get_a_higher_chance_shrunk_towards_the_base():
    records = [({"age": "16-29"}, i % 2 == 0) for i in range(40)]  # half dropped out
    records += [({"age": "65+"}, i % 10 == 0) for i in range(40)]  # a tenth
    model = estimate_dropout(records)
    young, old = model.probability({"age": "16-29"}), model.probability({"age": "65+"})
    assert old < model.base < young
    assert young < 0.5 and old > 0.1  # the prior pulls both towards the base rate
    few = estimate_dropout([*records, ({"age": "30-44"}, True)])
    assert few.probability({"age": "30-44"}) == pytest.approx(few.base, abs=0.05)


def test_the_organisers_own_rates_are_used_as_given():
    model = DropoutModel.from_rates(0.1, {("tenure", "private renter"): 0.3})
    assert model.probability({"tenure": "private renter"}) == pytest.approx(0.3)
    assert model.probability({"tenure": "owner"}) == pytest.approx(0.1)


# -- choosing alternates --------------------------------------------------------------------------


def single_cover(pool, panel, order) -> tuple[float, float]:
    """Shares of single withdrawals the first alternate, and some alternate, fill in quota."""
    first = some = 0
    for member in panel:
        fits = [meets_quotas(pool, [*(v for v in panel if v != member), a]) for a in order]
        first += bool(fits and fits[0])
        some += any(fits)
    return first / len(panel), some / len(panel)


def test_alternates_are_outside_the_panel_distinct_and_reproducible(drawn):
    lottery, result = drawn
    pool = lottery.pool
    alternates = choose_alternates(pool, result.panel, 8, seed="town hall 7")
    assert len(alternates.order) == len(set(alternates.order)) == 8
    assert not set(alternates.order) & set(result.panel)
    again = choose_alternates(pool, result.panel, 8, seed="town hall 7")
    assert again == alternates
    assert draw(lottery, "town hall 7", reserves=8).reserves == alternates.order


def test_alternates_cover_more_single_withdrawals_than_volunteers_taken_at_random(drawn):
    lottery, result = drawn
    pool = lottery.pool
    alternates = choose_alternates(pool, result.panel, 6, seed="s")
    first, some = single_cover(pool, result.panel, alternates.order)
    assert (first, some) == pytest.approx((alternates.first_covers, alternates.some_covers))
    rng = random.Random(1)
    outside = [v for v in pool.ids if v not in result.panel]
    random_first = random_some = 0.0
    for _ in range(20):
        f, s = single_cover(pool, result.panel, rng.sample(outside, 6))
        random_first += f / 20
        random_some += s / 20
    assert first > random_first and some > random_some
    assert alternates.expected_deviation < alternates.expected_without


def test_likely_dropouts_are_covered_first(drawn):
    lottery, result = drawn
    pool = lottery.pool
    # Everyone stays but one member, who is sure to go: the first alternate fills that seat.
    leaving = result.panel[0]
    chances = {v: 0.0 for v in pool.ids} | {leaving: 1.0}
    alternates = choose_alternates(pool, result.panel, 3, chances, seed="x")
    assert propose_replacement(pool, result.panel, leaving, alternates.order[:1]).keeps_quotas


def test_under_the_household_rule_no_alternate_shares_a_home_with_the_panel_or_another():
    volunteers = estate(150, shared=0.6)
    lottery = select_panel(volunteers, 11, QUOTAS, one_per_household=True)
    pool = lottery.pool
    result = draw(lottery, "homes", reserves=10)
    homes = [pool.households[v] for v in (*result.panel, *result.reserves)]
    assert len(homes) == len(set(homes))
    assert len(result.reserves) == 10


def test_dropout_chances_follow_the_model():
    pool = build_pool(estate(20), 11, QUOTAS)
    chances = dropout_chances(pool, DropoutModel.from_rates(0.2, {("gender", "woman"): 0.4}))
    for v in pool.ids:
        expected = 0.4 if pool.profiles[v]["gender"] == "woman" else 0.2
        assert chances[v] == pytest.approx(expected)


# -- when a member withdraws ----------------------------------------------------------------------


def small_pool():
    volunteers = [
        Volunteer("w1", {"gender": "woman", "age": "young"}),
        Volunteer("w2", {"gender": "woman", "age": "old"}),
        Volunteer("m1", {"gender": "man", "age": "young"}),
        Volunteer("m2", {"gender": "man", "age": "old"}),
        Volunteer("m3", {"gender": "man", "age": "old"}),
        Volunteer("x1", {"gender": "another", "age": "old"}),
    ]
    quotas = [Quota("gender", "woman", 1, 1), Quota("gender", "man", 1, 1)]
    return build_pool(volunteers, 2, quotas)


def test_the_first_alternate_that_keeps_the_quotas_is_proposed():
    pool = small_pool()
    proposal = propose_replacement(pool, ["w1", "m1"], "m1", ["x1", "w2", "m2", "m3"])
    assert proposal.alternate == "m2"
    assert proposal.keeps_quotas and proposal.deviation == 0 and proposal.off == ()
    assert proposal.text == "Alternate m2 keeps the panel within its quotas."


def test_when_no_alternate_keeps_the_quotas_the_closest_is_proposed_saying_by_how_much():
    pool = small_pool()
    proposal = propose_replacement(pool, ["w1", "m1"], "m1", ["w2", "x1"])
    assert proposal.alternate == "x1"  # another woman would break two quotas, x1 only one
    assert not proposal.keeps_quotas
    assert proposal.deviation == 1 and proposal.off == (("gender", "man", -1),)
    assert proposal.text == (
        "No alternate keeps the quotas; alternate x1 comes closest, with 1 seat outside them."
    )
    assert proposal.forms is not None and proposal.count == 1


def test_with_no_alternate_left_the_seat_stays_empty():
    pool = small_pool()
    proposal = propose_replacement(pool, ["w1", "m1"], "m1", ["w1"])
    assert proposal.alternate is None
    assert proposal.deviation == 2  # the man's quota, and the empty seat
    assert proposal.text == (
        "No alternate is left: the seat stays empty, with 2 seats outside the quotas."
    )
