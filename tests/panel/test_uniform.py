"""A lottery anyone can draw by hand: m numbered panels, each meeting the quotas, with everyone's
chance moved less than the bound the rounding guarantees."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation.panel.lottery import select_panel
from facilitation.panel.quotas import Quota, Volunteer, panel_meets_quotas
from facilitation.panel.uniform import uniform_lottery

ANSWERS = [
    ("young", "woman", "renter"),
    ("old", "man", "owner"),
    ("old", "woman", "owner"),
    ("young", "man", "owner"),
    ("old", "man", "renter"),
    ("old", "woman", "renter"),
]
QUOTAS = [
    Quota("age", "young", 3, 4),
    Quota("gender", "woman", 4, 6),
    Quota("tenure", "renter", 2, 4),
]


def pool_of(size: int, shared: bool = False) -> list[Volunteer]:
    return [
        Volunteer(
            f"v{i}",
            dict(zip(("age", "gender", "tenure"), ANSWERS[(i * 5 + i // 7) % 6], strict=True)),
            f"h{i // 2}" if shared and i % 4 < 2 else None,
        )
        for i in range(size)
    ]


@pytest.fixture(scope="module", params=[False, True], ids=["alone", "households"])
def case(request):
    volunteers = pool_of(120, request.param)
    lottery = select_panel(volunteers, 10, QUOTAS, one_per_household=request.param)
    return volunteers, lottery, request.param


@pytest.mark.parametrize("m", [100, 1000])
def test_every_numbered_panel_meets_the_quotas_and_the_chances_are_whole_panels(case, m):
    volunteers, lottery, rule = case
    uniform = uniform_lottery(lottery, m, time_limit=5)
    assert len(uniform.panels) == m
    for panel in uniform.panels:
        assert panel_meets_quotas(panel, volunteers, 10, QUOTAS, one_per_household=rule)
    for v, chance in uniform.chances.items():
        held = sum(v in panel for panel in uniform.panels)
        assert chance == held / m
    assert sum(uniform.chances.values()) == pytest.approx(10)


@pytest.mark.parametrize("m", [100, 1000])
def test_no_chance_falls_by_the_bound_and_the_smallest_by_less(case, m):
    _volunteers, lottery, _rule = case
    uniform = uniform_lottery(lottery, m, time_limit=5)
    falls = [lottery.probabilities[v] - uniform.chances[v] for v in lottery.probabilities]
    assert max(falls) == pytest.approx(uniform.largest_fall)
    assert uniform.largest_fall < uniform.bound
    assert uniform.their_bound == 10 / m
    assert uniform.exact_smallest == pytest.approx(lottery.smallest, abs=1e-9)
    assert 0 <= uniform.smallest_fall < uniform.bound
    # The smallest chance cannot be better than the leximin's rounded down to whole panels.
    assert uniform.smallest <= int(lottery.smallest * m + 1e-9) / m + 1e-12


def test_volunteers_the_quotas_cannot_tell_apart_sit_on_as_many_panels_give_or_take_one(case):
    _volunteers, lottery, _rule = case
    uniform = uniform_lottery(lottery, 100, time_limit=5)
    for group in lottery.pool.groups:
        held = [round(uniform.chances[v] * 100) for v in group.members]
        assert max(held) - min(held) <= 1


def test_the_same_lottery_gives_the_same_numbered_panels(case):
    _volunteers, lottery, _rule = case
    assert (
        uniform_lottery(lottery, 100, time_limit=5).panels
        == uniform_lottery(lottery, 100, time_limit=5).panels
    )


def test_without_the_integer_programme_the_rounding_still_keeps_its_bound(case):
    _volunteers, lottery, _rule = case
    uniform = uniform_lottery(lottery, 1000, time_limit=0)
    assert not uniform.optimal
    assert uniform.largest_fall < uniform.bound


def test_a_lottery_of_one_panel_is_that_panel():
    volunteers = pool_of(40)
    lottery = select_panel(volunteers, 10, QUOTAS)
    uniform = uniform_lottery(lottery, 1)
    assert len(uniform.panels) == 1
    assert panel_meets_quotas(uniform.panels[0], volunteers, 10, QUOTAS)
    with pytest.raises(ValueError):
        uniform_lottery(lottery, 0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(14, 60), st.sampled_from([7, 50, 100, 333]), st.booleans())
def test_generated_pools_round_within_the_bound(size, m, rule):
    volunteers = pool_of(size, rule)
    quotas = [Quota("age", "young", 2, 4), Quota("gender", "woman", 2, 5)]
    lottery = select_panel(volunteers, 6, quotas, one_per_household=rule)
    uniform = uniform_lottery(lottery, m, time_limit=1)
    assert len(uniform.panels) == m
    for panel in uniform.panels:
        assert panel_meets_quotas(panel, volunteers, 6, quotas, one_per_household=rule)
    assert uniform.largest_fall < uniform.bound
