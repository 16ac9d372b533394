"""The leximin lottery is exact: everyone's chance matches an independent leximin written from the
definition (tests/panel/reference.py) on generated pools, with and without the household rule;
and a deadline, a cancel request and progress reports behave as a caller would expect."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation.panel.lottery import Cancelled, select_panel
from facilitation.panel.quotas import Infeasible, Quota, Volunteer, panel_meets_quotas
from tests.panel.reference import Reference

FEATURES = {
    "gender": ["woman", "man"],
    "tenure": ["owner", "renter", "co-op"],
    "age": ["young", "old"],
}


@st.composite
def pools(draw, households: bool):
    size = draw(st.integers(5, 22))
    seats = draw(st.integers(2, min(5, size - 2)))
    features = draw(st.sampled_from([["gender", "tenure"], ["gender", "tenure", "age"]]))
    homes = ["h1", "h2", "h3", "h4", "h5"] if households else []
    pool = [
        Volunteer(
            f"v{i}",
            {f: draw(st.sampled_from(FEATURES[f])) for f in features},
            draw(st.sampled_from([None, None, *homes])),
        )
        for i in range(size)
    ]
    quotas = []
    for f in features:
        for value in FEATURES[f]:
            if draw(st.booleans()):
                low = draw(st.integers(0, 2))
                quotas.append(Quota(f, value, low, draw(st.integers(low, seats))))
    return pool, seats, quotas


def reference_chances(pool, seats, quotas, rule) -> dict[str, float] | None:
    reference = Reference(pool, seats, quotas, rule)
    columns = reference.enumerate()
    return reference.leximin(columns) if columns else None


def check_against_reference(pool, seats, quotas, rule) -> None:
    expected = reference_chances(pool, seats, quotas, rule)
    if expected is None:
        with pytest.raises(Infeasible):
            select_panel(pool, seats, quotas, one_per_household=rule)
        return
    lottery = select_panel(pool, seats, quotas, one_per_household=rule)
    assert lottery.exact
    for v in expected:
        assert lottery.probabilities[v] == pytest.approx(expected[v], abs=1e-6), v
    for panel, _p in lottery.panels:
        assert panel_meets_quotas(panel, pool, seats, quotas, one_per_household=rule)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools(households=False))
def test_everyone_gets_the_leximin_chance_of_an_independent_computation(instance):
    check_against_reference(*instance, rule=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools(households=True))
def test_everyone_gets_the_leximin_chance_under_the_household_rule(instance):
    check_against_reference(*instance, rule=True)


def estate(size: int, shared: bool = False) -> list[Volunteer]:
    """A deterministic pool skewed towards older owners, some living together."""
    values = [
        ("16-29", "woman", "renter"),
        ("65+", "man", "owner"),
        ("30-64", "woman", "owner"),
        ("65+", "woman", "owner"),
        ("30-64", "man", "renter"),
        ("16-29", "man", "owner"),
    ]
    return [
        Volunteer(
            f"p{i}",
            dict(
                zip(
                    ("age", "gender", "tenure"), values[(i * 7 + i // 5) % len(values)], strict=True
                )
            ),
            f"h{i // 2}" if shared and i % 5 < 2 else None,
        )
        for i in range(size)
    ]


ESTATE_QUOTAS = [
    Quota("age", "16-29", 2, 3),
    Quota("age", "30-64", 2, 4),
    Quota("age", "65+", 1, 3),
    Quota("gender", "woman", 3, 5),
    Quota("tenure", "renter", 3, 5),
]


@pytest.mark.parametrize("shared", [False, True])
def test_a_pool_of_eighty_matches_an_independent_column_generation(shared):
    pool = estate(80, shared)
    lottery = select_panel(pool, 8, ESTATE_QUOTAS, one_per_household=shared)
    expected = Reference(pool, 8, ESTATE_QUOTAS, shared).leximin()
    assert sorted(lottery.probabilities.values()) == pytest.approx(
        sorted(expected.values()), abs=1e-6
    )


def test_a_deadline_gives_a_lottery_that_meets_the_quotas_and_says_it_is_not_final():
    pool = estate(80)
    lottery = select_panel(pool, 8, ESTATE_QUOTAS, time_limit=0.0)
    assert not lottery.exact
    assert lottery.panels
    for panel, _p in lottery.panels:
        assert panel_meets_quotas(panel, pool, 8, ESTATE_QUOTAS)
    assert math.isclose(sum(lottery.probabilities.values()), 8, abs_tol=1e-6)
    exact = select_panel(pool, 8, ESTATE_QUOTAS)
    # What it guarantees is no more than the leximin reaches, and the bound is above both.
    assert lottery.smallest <= exact.smallest + 1e-9
    assert lottery.bound >= exact.smallest - 1e-9


def test_cancelling_stops_the_computation():
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        select_panel(estate(80), 8, ESTATE_QUOTAS, cancel=cancel)


def test_progress_reports_the_stage_and_a_smallest_chance_that_only_grows():
    reports = []
    lottery = select_panel(estate(80), 8, ESTATE_QUOTAS, progress=reports.append)
    assert reports
    assert [r.stage for r in reports] == sorted(r.stage for r in reports)
    smallest = [r.smallest for r in reports]
    assert smallest == sorted(smallest)
    assert reports[-1].settled == reports[-1].volunteers == 80
    assert reports[-1].smallest == pytest.approx(lottery.smallest, abs=1e-9)
    assert all(r.smallest <= r.bound + 1e-12 for r in reports)
