"""A warm start for the household rule: the lottery without the rule, with housemates apart.

Pure. Under the rule, everyone who shares a home is a group of their own, so the programmes have
many more groups and column generation needs many more panels. Yet the rule seldom changes
anyone's chance: the lottery without it (over far fewer groups, so quick) is a good guide. Its
named panels are turned into panels that respect the rule by swapping any extra housemate for
someone with the same answers from a home not yet seated. These only seed the column generation;
its optimality test does not depend on them.
"""

from __future__ import annotations

from collections.abc import Mapping

from facilitation.panel.pool import Composition, Pool

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
