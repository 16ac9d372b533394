"""The lottery's quick steps keep the rules: local search only ever moves to panels that meet the
quotas and the household rule and are worth at least as much, and the household rule's warm start
reaches the chances it aims at only when a lottery with the rule gives them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation.panel.clock import Clock
from facilitation.panel.leximin import reach
from facilitation.panel.pool import build_pool, meets_quotas
from facilitation.panel.pricing import CompositionModel, LocalSearch
from facilitation.panel.quotas import Quota, Volunteer
from tests.panel.reference import Reference
from tests.panel.test_leximin import estate

FEATURES = {
    "gender": ["woman", "man", "another"],
    "tenure": ["owner", "renter", "co-op"],
    "age": ["young", "middle", "old"],
}


@st.composite
def pools(draw):
    size = draw(st.integers(8, 60))
    seats = draw(st.integers(2, min(9, size - 2)))
    homes = [f"h{i}" for i in range(8)]
    pool = [
        Volunteer(
            f"v{i}",
            {f: draw(st.sampled_from(values)) for f, values in FEATURES.items()},
            draw(st.sampled_from([None, None, *homes])),
        )
        for i in range(size)
    ]
    quotas = []
    for f, values in FEATURES.items():
        for value in values:
            if draw(st.booleans()):
                low = draw(st.integers(0, 2))
                quotas.append(Quota(f, value, low, draw(st.integers(low, seats))))
    weights = draw(st.lists(st.floats(0.0, 1.0), min_size=size, max_size=size))
    return pool, seats, quotas, draw(st.booleans()), weights


def named(pool, composition) -> list[str]:
    """A named panel with the composition's seats from each group."""
    return [v for t, n in enumerate(composition) for v in pool.groups[t].members[:n]]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools())
def test_local_search_keeps_the_quotas_and_the_household_rule_and_never_loses(instance):
    volunteers, seats, quotas, rule, weights = instance
    pool = build_pool(volunteers, seats, quotas, one_per_household=rule)
    start = CompositionModel(pool).best([0.0] * len(pool.groups))
    if start is None:
        return
    w = np.array(weights[: len(pool.groups)] + [0.5] * (len(pool.groups) - len(weights)))
    climbed = LocalSearch(pool).climb(start, w)
    assert meets_quotas(pool, named(pool, climbed))
    assert all(0 <= n <= len(g.members) for n, g in zip(climbed, pool.groups, strict=True))
    assert float(np.dot(w, climbed)) >= float(np.dot(w, start)) - 1e-12
    best = CompositionModel(pool).best(w)
    assert best is not None
    # The integer programme is exact up to HiGHS's tolerances, about 1e-7 of the largest weight.
    assert float(np.dot(w, climbed)) <= float(np.dot(w, best)) + 1e-9 + 1e-7 * float(w.max())


QUOTAS = [
    Quota("age", "16-29", 2, 3),
    Quota("age", "30-64", 2, 4),
    Quota("gender", "woman", 3, 5),
    Quota("tenure", "renter", 3, 5),
]


@pytest.mark.parametrize("scale", [1.0, 1.0 + 1e-8, 1.0 + 1e-5, 1.02])
def test_the_household_warm_start_reaches_leximin_chances_and_no_more(scale):
    """Targets a hair above the leximin chances, as a solver's tolerances leave them, count as
    reached, within the tolerance a settled chance has; targets above them by more do not."""
    volunteers = estate(60, shared=True)
    pool = build_pool(volunteers, 8, QUOTAS, one_per_household=True)
    expected = Reference(volunteers, 8, QUOTAS, True).leximin()
    targets = np.array([expected[g.members[0]] for g in pool.groups]) * scale
    pricing = CompositionModel(pool)
    first = pricing.best([1.0] * len(pool.groups))
    reached = reach(pool, pricing, first, Clock(None, None, None), targets)
    assert reached is not None
    if scale > 1.0 + 1e-6:
        # Above the leximin chances for everyone: no lottery gives them.
        assert not reached.complete
        assert (reached.chances < targets - 1e-7).any()
        return
    assert reached.complete
    compositions, chances = reached.compositions, reached.chances
    assert sum(x for _c, x in compositions) == pytest.approx(1.0)
    assert np.all(chances >= targets - 1e-7)
    for column, _x in compositions:
        assert meets_quotas(pool, named(pool, column))
