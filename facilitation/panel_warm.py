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

from collections.abc import Sequence

from facilitation.panel_pool import Composition, Pool

VARIANTS = 12  # panels made from each panel of the lottery without the rule


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
