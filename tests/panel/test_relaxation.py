"""The leximin over fractional panels promises at least what any lottery gives, the walk through
its faces finds panels that meet the quotas, and where whole panels cannot give what fractional
ones promise the lottery still is the leximin one."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from facilitation.panel.lottery import select_panel
from facilitation.panel.pool import Composition, Pool, build_pool
from facilitation.panel.quotas import Quota, Volunteer, panel_meets_quotas
from facilitation.panel.relaxation import panels_towards, relaxed_leximin
from tests.panel.reference import Reference
from tests.panel.test_leximin import ESTATE_QUOTAS, estate, pools

# Twelve volunteers and four seats where fractional panels could seat everyone, yet no whole
# panel meeting the quotas seats three of them.
ANSWERS = [
    ("man", "owner", "middle", "s"),
    ("man", "owner", "young", "n"),
    ("woman", "renter", "young", "n"),
    ("other", "owner", "middle", "n"),
    ("woman", "renter", "old", "n"),
    ("other", "owner", "old", "n"),
    ("man", "owner", "young", "n"),
    ("man", "owner", "old", "s"),
    ("woman", "owner", "young", "s"),
    ("woman", "owner", "old", "n"),
    ("other", "renter", "middle", "s"),
    ("man", "owner", "old", "n"),
]
KNOTTED = [
    Volunteer(f"v{i}", dict(zip(("gender", "tenure", "age", "area"), a, strict=True)))
    for i, a in enumerate(ANSWERS)
]
KNOTTED_QUOTAS = [
    Quota("gender", "woman", 2, 4),
    Quota("gender", "man", 0, 3),
    Quota("tenure", "owner", 1, 4),
    Quota("tenure", "renter", 2, 2),
    Quota("age", "young", 1, 4),
    Quota("age", "old", 2, 3),
    Quota("area", "n", 1, 2),
    Quota("area", "s", 0, 3),
]


def meets(pool: Pool, composition: Composition) -> bool:
    """Whether seats per group make a panel: the seat count, every quota, the household rule."""
    seats = np.array(composition)
    if seats.sum() != pool.seats or (seats < 0).any() or (seats > pool.sizes).any():
        return False
    for i, q in enumerate(pool.quotas):
        taken = sum(int(seats[t]) for t, g in enumerate(pool.groups) if i in g.quotas)
        if not q.min <= taken <= q.max:
            return False
    return all(seats[list(home)].sum() <= 1 for home in pool.shared)


def leximin_order_at_least(ours: list[float], theirs: list[float], tol: float = 1e-7) -> bool:
    """Whether `ours`, sorted, is at least `theirs`, sorted, in the leximin order."""
    for a, b in zip(sorted(ours), sorted(theirs), strict=True):
        if abs(a - b) > tol:
            return a > b
    return True


def test_whole_panels_cannot_always_give_what_fractional_ones_promise():
    pool = build_pool(KNOTTED, 4, KNOTTED_QUOTAS)
    relaxed, _stages = relaxed_leximin(pool)
    assert relaxed.min() == pytest.approx(1 / 9)
    lottery = select_panel(KNOTTED, 4, KNOTTED_QUOTAS)
    assert lottery.exact
    expected = Reference(KNOTTED, 4, KNOTTED_QUOTAS, False).leximin()
    assert sorted(lottery.probabilities.values()) == pytest.approx(
        sorted(expected.values()), abs=1e-7
    )
    assert sum(p < 1e-9 for p in lottery.probabilities.values()) == 3
    for panel, _p in lottery.panels:
        assert panel_meets_quotas(panel, KNOTTED, 4, KNOTTED_QUOTAS)


@pytest.mark.parametrize("shared", [False, True])
def test_on_an_estate_the_lottery_gives_everyone_the_fractional_promise(shared):
    volunteers = estate(120, shared)
    pool = build_pool(volunteers, 8, ESTATE_QUOTAS, one_per_household=shared)
    relaxed, _stages = relaxed_leximin(pool)
    lottery = select_panel(volunteers, 8, ESTATE_QUOTAS, one_per_household=shared)
    assert lottery.exact
    group = pool.group_of()
    for v in lottery.probabilities:
        assert lottery.probabilities[v] == pytest.approx(relaxed[group[v]], abs=1e-7)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools(households=True))
def test_the_fractional_leximin_is_never_below_the_leximin(instance):
    volunteers, seats, quotas = instance
    reference = Reference(volunteers, seats, quotas, True)
    columns = reference.enumerate()
    if not columns:
        return
    expected = reference.leximin(columns)
    pool = build_pool(volunteers, seats, quotas, one_per_household=True)
    relaxed, _stages = relaxed_leximin(pool)
    group = pool.group_of()
    promised = [float(relaxed[group[v]]) for v in expected]
    assert leximin_order_at_least(promised, list(expected.values()))
    assert sum(promised) == pytest.approx(seats, abs=1e-6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools(households=True))
def test_every_panel_on_the_walk_meets_the_quotas(instance):
    volunteers, seats, quotas = instance
    if not Reference(volunteers, seats, quotas, True).enumerate():
        return  # no panel meets the quotas
    pool = build_pool(volunteers, seats, quotas, one_per_household=True)
    relaxed, _stages = relaxed_leximin(pool)
    for composition in panels_towards(pool, relaxed):
        assert meets(pool, composition)
