"""Room for housemates: the lottery without the household rule, traded between its panels so
that each home's groups sit often enough for its people to be parted, with every chance and quota
kept."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from facilitation.panel import lottery as lottery_module
from facilitation.panel.coverage import SPARE, covering
from facilitation.panel.households import apart
from facilitation.panel.lottery import select_panel
from facilitation.panel.naming import name_panels
from facilitation.panel.pool import build_pool, meets_quotas
from facilitation.panel.quotas import Infeasible, Quota, Volunteer
from tests.panel.test_leximin import pools

# The one older owner shares a flat with a young renter; three more young renters, and three of
# each other kind.
VOLUNTEERS = [
    Volunteer("a", {"age": "65+", "tenure": "owner"}, "flat 1"),
    Volunteer("h1", {"age": "30-64", "tenure": "renter"}, "flat 1"),
    *(Volunteer(f"h{i}", {"age": "30-64", "tenure": "renter"}) for i in (2, 3, 4)),
    *(Volunteer(f"b{i}", {"age": "65+", "tenure": "renter"}) for i in (1, 2, 3)),
    *(Volunteer(f"c{i}", {"age": "30-64", "tenure": "owner"}) for i in (1, 2, 3)),
]
QUOTAS = [Quota("age", "65+", 1, 2), Quota("tenure", "owner", 1, 2)]


def pools_for(volunteers, seats, quotas):
    """The pool with the rule, and the one the lottery without it is worked out on."""
    ruled = build_pool(volunteers, seats, quotas, one_per_household=True)
    return ruled, lottery_module._free(ruled, volunteers, set())


def composition(free, seated):
    """A composition of `free` from one member of each group seated and its seats there."""
    group = free.group_of()
    seats = [0] * len(free.groups)
    for v, k in seated.items():
        seats[group[v]] = k
    return tuple(seats)


def expected_seats(free, compositions):
    total = np.zeros(len(free.groups))
    for c, p in compositions:
        total += p * np.array(c)
    return total


def cover(free, compositions, members):
    group = free.group_of()
    groups = {group[v] for v in members}
    return sum(p for c, p in compositions if any(c[t] for t in groups))


def test_a_home_short_of_cover_is_traded_room_and_then_parted_with_every_chance_kept():
    ruled, free = pools_for(VOLUNTEERS, 3, QUOTAS)
    # Half the panels seat the older owner with two young renters, half seat none of either:
    # the renter in the owner's flat needs a quarter of a seat, on panels without the owner,
    # and there are none.
    lottery = [
        (composition(free, {"a": 1, "h1": 2}), 0.5),
        (composition(free, {"b1": 1, "c1": 2}), 0.5),
    ]
    before = name_panels(free, lottery)
    chance = dict.fromkeys(ruled.ids, 0.0)
    for panel, p in before.items():
        for v in panel:
            chance[v] += p
    assert apart(ruled, free, before).stuck == frozenset({"h:flat 1"})
    need = chance["a"] + chance["h1"]
    assert cover(free, lottery, ["a", "h1"]) == pytest.approx(need - 0.25, abs=1e-12)

    traded = covering(ruled, free, lottery)

    assert sum(p for _c, p in traded) == pytest.approx(1.0, abs=1e-12)
    assert expected_seats(free, traded) == pytest.approx(expected_seats(free, lottery), abs=1e-12)
    assert cover(free, traded, ["a", "h1"]) == pytest.approx(need + SPARE, abs=1e-12)
    named = name_panels(free, traded)
    for panel in named:
        assert meets_quotas(free, panel), sorted(panel)
    parted = apart(ruled, free, named)
    assert parted.stuck == frozenset()
    after = dict.fromkeys(ruled.ids, 0.0)
    for panel, p in parted.panels.items():
        assert not {"a", "h1"} <= panel
        assert meets_quotas(ruled, panel), sorted(panel)
        for v in panel:
            after[v] += p
    assert after == pytest.approx(chance, abs=1e-12)


def test_a_lottery_that_leaves_every_home_its_cover_is_not_traded():
    ruled, free = pools_for(VOLUNTEERS, 3, QUOTAS)
    lottery = [
        (composition(free, {"b1": 1, "c1": 1, "h1": 1}), 0.5),
        (composition(free, {"a": 1, "c1": 1, "h1": 1}), 0.5),
    ]
    assert covering(ruled, free, lottery) == lottery


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools(households=True))
def test_trades_keep_every_groups_seats_the_quotas_and_the_limits(instance):
    volunteers, seats, quotas = instance
    ruled, free = pools_for(volunteers, seats, quotas)
    try:
        plain = select_panel(volunteers, seats, quotas)
    except Infeasible:
        return  # no panel fits: no lottery to trade
    # The lottery without the rule, over the groups of `free` (the same, with its caps).
    lottery, _chances = free.compositions(dict(plain.panels))
    traded = covering(ruled, free, lottery)
    assert sum(p for _c, p in traded) == pytest.approx(1.0, abs=1e-12)
    assert expected_seats(free, traded) == pytest.approx(expected_seats(free, lottery), abs=1e-12)
    before = {c for c, _p in lottery}
    for panel in name_panels(free, [(c, p) for c, p in traded if c not in before]):
        assert meets_quotas(free, panel), sorted(panel)
    for c, _p in traded:
        if c in before:
            continue
        for groups, limit in free.limits:
            assert sum(c[t] for t in groups) <= limit
    # Every home's cover falls short of its people's chances by no more than before.
    chance = plain.probabilities
    for key, members in ruled.homes().items():
        if len(members) < 2:
            continue
        need = sum(chance[v] for v in members)
        gap = max(0.0, need - cover(free, lottery, members))
        assert need - cover(free, traded, members) <= gap + 1e-9, key
