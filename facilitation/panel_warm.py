"""A warm start for the household rule: the lottery without the rule, spread over housemates.

Pure. Under the rule, everyone who shares a home is a group of their own, so the programmes have
many more groups and column generation needs many more panels. Yet the rule seldom changes
anyone's chance much: the lottery without it (over far fewer groups, so quick) is a good guide.
Each of its panels is turned into several panels that respect the rule, by handing each answer's
seats round the volunteers who gave it, from a different starting point each time, skipping
anyone whose housemate already sits. These only seed the column generation; its optimality test
does not depend on them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from facilitation.panel_pool import Composition, Pool

VARIANTS = 12  # panels made from each panel of the lottery without the rule
WARM_LIMIT = 4_000  # named panels of the lottery without the rule turned into warm starts


def from_named(
    pool: Pool, free: Pool, panels: Mapping[frozenset[str], float], limit: int = WARM_LIMIT
) -> list[Composition]:
    """Panels of `pool` (with the household rule) from named panels of `free` (the same
    volunteers without it), most likely first: a panel with housemates on it gets, in place of
    each extra housemate, someone else with the same answers from a home not yet seated."""
    group_of = pool.group_of()
    free_group = free.group_of()
    out: list[Composition] = []
    seen: set[Composition] = set()
    for panel, _p in sorted(panels.items(), key=lambda item: -item[1]):
        if len(out) >= limit:
            break
        made = _repair(pool, free, group_of, free_group, panel)
        if made is not None and made not in seen:
            seen.add(made)
            out.append(made)
    return out


def _repair(
    pool: Pool,
    free: Pool,
    group_of: dict[str, int],
    free_group: dict[str, int],
    panel: frozenset[str],
) -> Composition | None:
    seats = [0] * len(pool.groups)
    homes: set[str] = set()
    clashes = []
    for v in sorted(panel):
        if pool.households[v] in homes:
            clashes.append(v)
            continue
        homes.add(pool.households[v])
        seats[group_of[v]] += 1
    for v in clashes:
        stand_in = next(
            (
                u
                for u in free.groups[free_group[v]].members
                if u not in panel and pool.households[u] not in homes
            ),
            None,
        )
        if stand_in is None:
            return None
        homes.add(pool.households[stand_in])
        seats[group_of[stand_in]] += 1
    return tuple(seats)


def spread(
    pool: Pool, free: Pool, compositions: Sequence[tuple[Composition, float]]
) -> list[Composition]:
    """Panels of `pool` (with the household rule) made from panels of `free` (the same
    volunteers without it)."""
    group_of = pool.group_of()
    out: list[Composition] = []
    seen: set[Composition] = set()
    for counts, _x in compositions:
        for variant in range(VARIANTS):
            made = _variant(pool, free, group_of, counts, variant)
            if made is not None and made not in seen:
                seen.add(made)
                out.append(made)
    return out


def _variant(
    pool: Pool, free: Pool, group_of: dict[str, int], counts: Composition, variant: int
) -> Composition | None:
    seats = [0] * len(pool.groups)
    homes: set[str] = set()
    for t, c in enumerate(counts):
        if not c:
            continue
        members = free.groups[t].members
        n = len(members)
        start = variant * n // VARIANTS
        taken = 0
        for step in range(n):
            v = members[(start + step) % n]
            home = pool.households[v]
            if home in homes:
                continue
            homes.add(home)
            seats[group_of[v]] += 1
            taken += 1
            if taken == c:
                break
        if taken < c:
            return None
    return tuple(seats)
