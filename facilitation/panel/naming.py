"""From seat counts to named panels: who sits, so that everyone in a group gets its chance.

Pure and combinatorial. The lottery's compositions lie one after another on [0, 1), each taking
its probability's length; a point u drawn on it picks a composition and, within it, the members.
For each group, the compositions that give it the same number of seats c (0 < c < n, n members)
form one *class*; along the class's stretch of [0, 1) the group's seats go round its members by
systematic sampling: with d = n / gcd(n, c) equal steps over the stretch, at step s the members
floor((s * gcd(n, c) + n * m) / c), m = 0..c-1, sit. Over the d steps each member sits c / gcd(n,
c) times, so each gets exactly the group's share of the class, and over all classes exactly the
group's chance. The chosen members change only at the d - 1 step boundaries of each class, so the
lottery has at most one more panel than there are compositions plus step boundaries.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from facilitation.panel.pool import Composition, Pool


@dataclass(frozen=True, slots=True)
class _Lap:
    """One group's class: its stretch length, steps and where each composition starts in it."""

    total: float
    steps: int
    gcd: int
    start: dict[int, float]  # composition -> where it begins within the class's stretch


def name_panels(
    pool: Pool, compositions: Sequence[tuple[Composition, float]]
) -> dict[frozenset[str], float]:
    """Named panels with their probabilities; each volunteer's chance is their group's."""
    laps: dict[tuple[int, int], _Lap] = {}
    for t, group in enumerate(pool.groups):
        n = len(group.members)
        by_count: dict[int, list[int]] = {}
        for j, (counts, _x) in enumerate(compositions):
            if 0 < counts[t] < n:
                by_count.setdefault(counts[t], []).append(j)
        for c, js in by_count.items():
            start, total = {}, 0.0
            for j in js:
                start[j] = total
                total += compositions[j][1]
            g = math.gcd(n, c)
            laps[(t, c)] = _Lap(total, n // g, g, start)
    cuts: dict[int, set[float]] = {j: set() for j in range(len(compositions))}
    for lap in laps.values():
        if lap.total <= 0:
            continue
        for j, begin in lap.start.items():
            x = compositions[j][1]
            first = math.floor(begin * lap.steps / lap.total) + 1
            step = first
            while step < lap.steps:
                at = step * lap.total / lap.steps - begin
                if at >= x:
                    break
                if at > 0:
                    cuts[j].add(at)
                step += 1
    panels: dict[frozenset[str], float] = {}
    # Who sits for a group, a count and a step: the same for many panels, so made once.
    sitting: dict[tuple[int, int, int], tuple[str, ...]] = {}
    for j, (counts, x) in enumerate(compositions):
        taken = [(t, c) for t, c in enumerate(counts) if c]
        edges = [0.0, *sorted(cuts[j]), x]
        for lo, hi in itertools.pairwise(edges):
            if hi <= lo:
                continue
            middle = (lo + hi) / 2
            chosen: list[str] = []
            for t, c in taken:
                members = pool.groups[t].members
                n = len(members)
                if c == n:
                    chosen.extend(members)
                    continue
                lap = laps[(t, c)]
                s = min(lap.steps - 1, int((lap.start[j] + middle) * lap.steps / lap.total))
                who = sitting.get((t, c, s))
                if who is None:
                    who = tuple(members[(s * lap.gcd + n * m) // c] for m in range(c))
                    sitting[(t, c, s)] = who
                chosen.extend(who)
            key = frozenset(chosen)
            panels[key] = panels.get(key, 0.0) + (hi - lo)
    return panels
