"""A warm start for the household rule: the lottery without the rule, with housemates apart.

Pure. Under the rule, everyone who shares a home is a group of their own, so the programmes have
many more groups and column generation needs many more panels. Yet the rule seldom changes
anyone's chance: the lottery without it (over far fewer groups, so quick) is a good guide. Its
named panels are turned into panels that respect the rule by swapping any extra housemate for
someone with the same answers from a home not yet seated. These seed the column generation (its
optimality test does not depend on them) and, with their chances, make a lottery that meets the
quotas and the rule, to stand in should the deadline pass before the leximin one is found.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

from facilitation.panel.pool import Composition, Pool

WARM_LIMIT = 4_000  # repaired panels, most likely first, that seed the column generation


def repaired(
    pool: Pool, free: Pool, panels: Mapping[frozenset[str], float]
) -> list[tuple[Composition, float]]:
    """The lottery over named panels of `free` (the same volunteers without the rule) made
    into one over panels of `pool` (with it), most likely first: a panel with housemates on it
    gets, in place of each extra housemate, someone else with the same answers from a home not
    yet seated. A panel that cannot be repaired is left out (the others share its chance). It
    meets the quotas and the rule, though the swaps move some chances."""
    group_of = pool.group_of()
    free_group = free.group_of()
    out: dict[Composition, float] = {}
    for turn, (panel, p) in enumerate(panels.items()):
        made = _repair(pool, free, group_of, free_group, panel, turn)
        if made is not None:
            out[made] = out.get(made, 0.0) + p
    total = sum(out.values())
    return sorted(((c, p / total) for c, p in out.items()), key=lambda item: -item[1])


def _repair(
    pool: Pool,
    free: Pool,
    group_of: dict[str, int],
    free_group: dict[str, int],
    panel: frozenset[str],
    turn: int,
) -> Composition | None:
    """The panel with each extra housemate swapped for a stand-in. Which housemate stays, and
    who stands in, changes from one panel to the next (a fixed order would leave the same
    people out of every panel), the same way every time."""
    seats = [0] * len(pool.groups)
    homes: set[str] = set()
    clashes = []
    for v in sorted(panel, key=lambda v: (zlib.crc32(f"{turn}:{v}".encode()), v)):
        if pool.households[v] in homes:
            clashes.append(v)
            continue
        homes.add(pool.households[v])
        seats[group_of[v]] += 1
    for v in clashes:
        members = free.groups[free_group[v]].members
        start = turn % len(members)
        stand_in = next(
            (
                u
                for u in members[start:] + members[:start]
                if u not in panel and pool.households[u] not in homes
            ),
            None,
        )
        if stand_in is None:
            return None
        homes.add(pool.households[stand_in])
        seats[group_of[stand_in]] += 1
    return tuple(seats)
