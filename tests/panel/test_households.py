"""Housemates apart: the lottery without the household rule, its seats exchanged so that no panel
seats two people from one home while everyone keeps their chance; and the lottery with the rule
that this gives."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import HealthCheck, given, settings

from facilitation.panel import lottery as lottery_module
from facilitation.panel.clock import Clock
from facilitation.panel.households import apart
from facilitation.panel.lottery import select_panel
from facilitation.panel.pool import build_pool, meets_quotas
from facilitation.panel.pricing import CompositionModel
from facilitation.panel.quotas import Infeasible, Quota, Volunteer
from tests.helpers import last_line_of
from tests.panel.test_leximin import ESTATE_QUOTAS, check_against_reference, estate, pools


def parted_chances(volunteers, seats, quotas):
    """The lottery without the rule, what `apart` makes of it under the rule, and the chances
    of its named panels (after checking that each meets the quotas and the rule)."""
    free = select_panel(volunteers, seats, quotas)
    ruled = build_pool(volunteers, seats, quotas, one_per_household=True)
    parted = apart(ruled, free.pool, dict(free.panels))
    chances = dict.fromkeys(ruled.ids, 0.0)
    if not parted.compositions:
        return free, parted, chances
    assert sum(p for _c, p in parted.compositions) == pytest.approx(1.0, abs=1e-12)
    group = ruled.group_of()
    seats: dict[tuple[int, ...], float] = {}
    for panel, p in parted.panels.items():
        assert meets_quotas(ruled, panel), sorted(panel)
        counts = [0] * len(ruled.groups)
        for v in panel:
            chances[v] += p
            counts[group[v]] += 1
        seats[tuple(counts)] = seats.get(tuple(counts), 0.0) + p
    # The compositions are those of the named panels.
    assert seats == pytest.approx(dict(parted.compositions), abs=1e-12)
    return free, parted, chances


def test_on_an_estate_housemates_are_parted_and_everyone_keeps_their_chance():
    pool = estate(120, shared=True)
    free, parted, chances = parted_chances(pool, 8, ESTATE_QUOTAS)
    assert parted.stuck == frozenset()
    # The lottery without the rule did seat housemates together: there was something to part.
    home = {v.id: v.household or v.id for v in pool}
    assert any(len({home[v] for v in panel}) < len(panel) for panel, _p in free.panels)
    for v in free.probabilities:
        assert chances[v] == pytest.approx(free.probabilities[v], abs=1e-12), v


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools(households=True))
def test_every_parted_lottery_keeps_the_rule_the_quotas_and_the_chances(instance):
    volunteers, seats, quotas = instance
    try:
        free, parted, chances = parted_chances(volunteers, seats, quotas)
    except Infeasible:
        return
    if parted.stuck:
        # A lottery that keeps the rule and the quotas still stands in (checked above).
        homes = {v.household for v in volunteers if v.household}
        assert {key.removeprefix("h:") for key in parted.stuck} <= homes
        return
    for v in free.probabilities:
        assert chances[v] == pytest.approx(free.probabilities[v], abs=1e-9), v


def test_housemates_who_alone_fill_two_quotas_cannot_be_parted():
    # Every panel needs the one older resident and the one renter, who live together.
    pool = [
        Volunteer("older", {"age": "65+", "tenure": "owner"}, "flat 1"),
        Volunteer("renter", {"age": "30-64", "tenure": "renter"}, "flat 1"),
        *(Volunteer(f"p{i}", {"age": "30-64", "tenure": "owner"}) for i in range(6)),
    ]
    quotas = [Quota("age", "65+", 1, 1), Quota("tenure", "renter", 1, 1)]
    _free, parted, _chances = parted_chances(pool, 3, quotas)
    assert parted.stuck == frozenset({"h:flat 1"})
    # No panel can do without either of them: nothing can stand in.
    assert parted.compositions == []


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(pools(households=True))
def test_homes_left_to_exchanges_alone_still_get_the_exact_leximin(monkeypatch, instance):
    # No home is crowded, so every home's housemates are first left to exchanges: those they
    # cannot part get the rule in the lottery worked out again, until the chances are kept.
    monkeypatch.setattr(lottery_module, "FEW_ALIKE", 0)
    check_against_reference(*instance, True)


@pytest.mark.parametrize("seats", [6, 8])
def test_where_the_rule_costs_no_one_the_lottery_with_it_is_exact_at_once(seats):
    pool = estate(300, shared=True)
    without = select_panel(pool, seats, ESTATE_QUOTAS)
    with_rule = select_panel(pool, seats, ESTATE_QUOTAS, one_per_household=True)
    assert with_rule.exact
    home = {v.id: v.household or v.id for v in pool}
    for panel, _p in with_rule.panels:
        assert len({home[v] for v in panel}) == seats
    for v in without.probabilities:
        assert with_rule.probabilities[v] == pytest.approx(without.probabilities[v], abs=1e-9)


def test_the_lottery_with_the_rule_is_the_same_in_a_fresh_process():
    # Exchanges try panels in an order that must not hang on the process's string hashing.
    code = textwrap.dedent(
        """
        import hashlib, json
        from facilitation.panel.lottery import select_panel
        from tests.panel.test_leximin import ESTATE_QUOTAS, estate
        lottery = select_panel(estate(200, shared=True), 8, ESTATE_QUOTAS, one_per_household=True)
        pairs = zip(lottery.panels, lottery.tickets)
        text = json.dumps([[sorted(panel), n] for (panel, _p), n in pairs])
        print(hashlib.sha256(text.encode()).hexdigest())
        """
    )
    digests = {last_line_of(code, hash_seed=seed, timeout=300) for seed in ("1", "2")}
    assert len(digests) == 1


def test_housemates_no_exchange_can_part_still_get_the_chances_the_rule_allows(monkeypatch):
    # The only older resident and the only renter live together: no one has their answers to
    # take a seat of theirs, yet the rule costs nobody anything, as one of them at most sits.
    monkeypatch.setattr(lottery_module, "FEW_ALIKE", 0)
    pool = [
        Volunteer("older", {"age": "65+", "tenure": "owner"}, "flat 1"),
        Volunteer("renter", {"age": "30-64", "tenure": "renter"}, "flat 1"),
        *(Volunteer(f"p{i}", {"age": "30-64", "tenure": "owner"}) for i in range(6)),
    ]
    quotas = [Quota("age", "65+", 0, 1), Quota("tenure", "renter", 0, 1)]
    free = select_panel(pool, 3, quotas)
    ruled = build_pool(pool, 3, quotas, one_per_household=True)
    assert apart(ruled, free.pool, dict(free.panels)).stuck == frozenset({"h:flat 1"})
    lottery = select_panel(pool, 3, quotas, one_per_household=True)
    assert lottery.exact
    assert all(p == pytest.approx(3 / 8, abs=1e-9) for p in lottery.probabilities.values())
    assert not any({"older", "renter"} <= panel for panel, _p in lottery.panels)


def test_a_stuck_housemate_gives_the_seat_to_someone_who_keeps_the_quotas():
    # The older resident and the renter share a flat and nobody else has either's answers. A
    # panel seating both cannot stay whole: the renter gives up the seat to someone the quotas
    # allow, and nobody else on that panel loses it.
    pool = [
        Volunteer("older", {"age": "65+", "tenure": "owner"}, "flat 1"),
        Volunteer("renter", {"age": "30-64", "tenure": "renter"}, "flat 1"),
        Volunteer("young", {"age": "16-29", "tenure": "renter"}),
        *(Volunteer(f"p{i}", {"age": "30-64", "tenure": "owner"}) for i in range(5)),
    ]
    quotas = [
        Quota("age", "65+", 0, 1),
        Quota("age", "30-64", 1, 3),
        Quota("tenure", "renter", 0, 1),
    ]
    free, parted, chances = parted_chances(pool, 3, quotas)
    assert any({"older", "renter"} <= panel for panel, _p in free.panels)
    assert parted.stuck == frozenset({"h:flat 1"})
    assert sum(parted.panels.values()) == pytest.approx(1.0, abs=1e-12)
    for v, before in free.probabilities.items():
        if v != "renter":
            assert chances[v] >= before - 1e-12, v
    assert chances["renter"] < free.probabilities["renter"]


def test_a_stuck_pair_on_a_panel_leaves_the_other_pairs_on_it_to_exchanges():
    # One panel seats two homes' housemates: a flat whose two have answers nobody else has
    # (stuck), and two owners with many alike. The owners are still parted by an exchange, so
    # they keep their chances and only the flat is stuck.
    owners = ["b1", "b2", *(f"p{i}" for i in range(6))]
    pool = [
        Volunteer("a-old", {"age": "65+", "tenure": "owner"}, "flat 1"),
        Volunteer("a-rent", {"age": "30-64", "tenure": "renter"}, "flat 1"),
        *(
            Volunteer(v, {"age": "30-64", "tenure": "owner"}, "flat 2" if v[0] == "b" else None)
            for v in owners
        ),
    ]
    quotas = [Quota("age", "65+", 0, 1), Quota("tenure", "renter", 0, 1)]
    panels = {
        frozenset({"a-old", "a-rent", "b1", "b2"}): 0.25,
        frozenset({"b1", "p0", "p1", "p2"}): 0.25,
        frozenset({"b2", "p3", "p4", "p5"}): 0.25,
        frozenset({"p0", "p1", "p3", "p4"}): 0.25,
    }
    free = build_pool(pool, 4, quotas)
    ruled = build_pool(pool, 4, quotas, one_per_household=True)
    parted = apart(ruled, free, panels)
    assert parted.stuck == frozenset({"h:flat 1"})
    chances = dict.fromkeys(ruled.ids, 0.0)
    for panel, p in parted.panels.items():
        assert meets_quotas(ruled, panel), sorted(panel)
        for v in panel:
            chances[v] += p
    assert chances["b1"] == pytest.approx(0.5, abs=1e-12)
    assert chances["b2"] == pytest.approx(0.5, abs=1e-12)


def test_with_no_time_the_parted_lottery_stands_in_and_keeps_the_rule():
    # The deadline has passed before the first solve: what comes back is the lottery in hand,
    # housemates apart, and it says it is not final.
    pool = estate(120, shared=True)
    lottery = select_panel(pool, 8, ESTATE_QUOTAS, one_per_household=True, time_limit=0.0)
    assert not lottery.exact
    ruled = build_pool(pool, 8, ESTATE_QUOTAS, one_per_household=True)
    assert lottery.panels
    for panel, _p in lottery.panels:
        assert meets_quotas(ruled, panel), sorted(panel)
    assert sum(lottery.probabilities.values()) == pytest.approx(8, abs=1e-9)
    # The panels it lists are the lottery it describes.
    listed, _chances = ruled.compositions(dict(lottery.panels))
    assert {c for c, _x in lottery.compositions} == {c for c, _x in listed}


def _volunteer(v: str, age: str, tenure: str, home: str | None = None) -> Volunteer:
    return Volunteer(v, {"age": age, "tenure": tenure}, home)


CAPPED_POOL = [
    _volunteer("y1", "16-29", "owner", "flat 1"),
    _volunteer("y2", "16-29", "owner", "flat 1"),
    _volunteer("y3", "16-29", "owner"),
    _volunteer("o1", "65+", "owner", "flat 2"),
    _volunteer("r1", "30-64", "renter", "flat 2"),
    _volunteer("o2", "65+", "owner"),
    _volunteer("r2", "30-64", "renter"),
    *(_volunteer(f"p{i}", "30-64", "owner") for i in range(6)),
]
CAPPED_QUOTAS = [
    Quota("age", "16-29", 0, 3),
    Quota("age", "65+", 0, 2),
    Quota("tenure", "renter", 0, 2),
]


def test_homes_left_to_exchanges_cap_their_groups_as_the_rule_would():
    # Left to exchanges, a home's people are alike to others: the lottery without the rule for
    # it still never seats all three young owners (two share a flat), nor both older owners with
    # both renters (an older owner and a renter share one).
    ruled = build_pool(CAPPED_POOL, 5, CAPPED_QUOTAS, one_per_household=True)
    free = lottery_module._free(ruled, CAPPED_POOL, set())
    group = free.group_of()
    caps = {
        tuple(sorted({free.groups[t].members for t in groups})): cap for groups, cap in free.caps
    }
    assert caps == {
        (("y1", "y2", "y3"),): 2,
        (("o1", "o2"), ("r1", "r2")): 3,
    }
    # With the rule kept for the second flat, its people are groups of their own, uncapped.
    free = lottery_module._free(ruled, CAPPED_POOL, {"h:flat 2"})
    assert [(groups, cap) for groups, cap in free.caps] == [((group["y1"],), 2)]
    # And the lottery under the rule is exact, its panels keeping every home apart.
    lottery = select_panel(CAPPED_POOL, 5, CAPPED_QUOTAS, one_per_household=True)
    assert lottery.exact
    for panel, _p in lottery.panels:
        assert meets_quotas(ruled, panel), sorted(panel)


def test_someone_every_panel_needs_has_their_home_kept_apart_from_the_start():
    # The only older resident must sit on every panel, so their housemate never can: the
    # chances without the rule for their flat cannot be kept, and it is ruled at once.
    volunteers = [
        _volunteer("o1", "65+", "owner", "flat 1"),
        _volunteer("r1", "30-64", "renter", "flat 1"),
        _volunteer("r2", "30-64", "renter"),
        *(_volunteer(f"p{i}", "30-64", "owner") for i in range(6)),
    ]
    quotas = [Quota("age", "65+", 1, 1), Quota("tenure", "renter", 0, 2)]
    pool = build_pool(volunteers, 3, quotas, one_per_household=True)
    pricing = CompositionModel(pool)
    first = pricing.best([1.0] * len(pool.groups))
    routes = lottery_module._Routes(pool, pricing, first, Clock(None, None, None))
    assert routes._over_one(volunteers, set()) == {"h:flat 1"}
    lottery = select_panel(volunteers, 3, quotas, one_per_household=True)
    assert lottery.exact
    assert lottery.probabilities["o1"] == pytest.approx(1.0, abs=1e-9)
    assert lottery.probabilities["r1"] == pytest.approx(0.0, abs=1e-9)
