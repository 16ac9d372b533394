"""Who can sit at all: the groups some panel meeting the quotas seats, with panels that prove it.

Pure. A volunteer whom no such panel seats has a chance of 0 in every lottery. Panels are sought
that seat groups not yet seen on one, first by local search and then by the exact integer
programme (maximise the seats of the groups not yet seen); when the programme finds none, no panel
seats any of them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from facilitation.panel.pool import Composition, Pool
from facilitation.panel.pricing import CompositionModel, LocalSearch


def cover(
    pool: Pool,
    pricing: CompositionModel,
    search: LocalSearch,
    start: Composition,
    add: Callable[[Composition], object],
    check: Callable[[], None] = lambda: None,
    seen: set[int] | None = None,
) -> set[int]:
    """The groups some panel seats; each panel found on the way is passed to `add`."""
    n_groups = len(pool.groups)
    covered = set(seen or ()) | {t for t, n in enumerate(start) if n}
    column = start
    while len(covered) < n_groups:
        check()
        left = np.array([float(t not in covered) for t in range(n_groups)])
        found = search.climb(column, left)
        if not any(found[t] for t in range(n_groups) if t not in covered):
            exact = pricing.best(left)
            if exact is None or not any(exact[t] for t in range(n_groups) if t not in covered):
                break
            found = exact
        add(found)
        covered.update(t for t, n in enumerate(found) if n)
        column = found
    return covered


def unreachable(pool: Pool) -> set[int]:
    """The groups no panel meeting the quotas seats (all of them if no panel does)."""
    pricing = CompositionModel(pool)
    first = pricing.best([0.0] * len(pool.groups))
    if first is None:
        return set(range(len(pool.groups)))
    covered = cover(pool, pricing, LocalSearch(pool), first, lambda _c: None)
    return set(range(len(pool.groups))) - covered
