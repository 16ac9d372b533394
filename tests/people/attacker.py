"""A careful reader with everything a round has shown: every group's count and every count of the
whole room. Counts add up, so the reader may add and subtract them (with any coefficients, in
exact fractions) looking for a combination that holds fewer than 5 people: the sum of a few
people's ballots, laid bare.

Each shown count is a set of (person, ballot version) pairs: a person who changed their ballot
after a reopening counts as two unknowns. A combination of the whole room's counts alone is not
a find: the live board shows the room's count moving as each ballot arrives, so those are known
anyway, and they say nothing about any group.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable
from fractions import Fraction

Variable = tuple[int, Hashable]  # (person, which ballot of theirs)
Count = frozenset[Variable]


def _reduce(rows: list[list[Fraction]]) -> list[list[Fraction]]:
    """Row-reduced echelon form, dropping zero rows."""
    rows = [list(r) for r in rows]
    out: list[list[Fraction]] = []
    width = len(rows[0]) if rows else 0
    col = 0
    while rows and col < width:
        pivot = next((r for r in rows if r[col] != 0), None)
        if pivot is None:
            col += 1
            continue
        rows.remove(pivot)
        pivot = [x / pivot[col] for x in pivot]
        rows = [[a - r[col] * b for a, b in zip(r, pivot, strict=True)] for r in rows]
        out = [[a - r[col] * b for a, b in zip(r, pivot, strict=True)] for r in out]
        out.append(pivot)
        col += 1
    return [r for r in out if any(r)]


def _rank(rows: list[list[Fraction]]) -> int:
    return len(_reduce(rows)) if rows else 0


def _null_space(rows: list[list[Fraction]], width: int) -> list[list[Fraction]]:
    """A basis of {x : row . x = 0 for every row}."""
    reduced = _reduce(rows) if rows else []
    pivots = [next(i for i, x in enumerate(r) if x != 0) for r in reduced]
    free = [c for c in range(width) if c not in pivots]
    basis = []
    for f in free:
        x = [Fraction(0)] * width
        x[f] = Fraction(1)
        for r, p in zip(reduced, pivots, strict=True):
            x[p] = -r[f]
        basis.append(x)
    return basis


def find_isolation(
    shown: Iterable[Count], room: Iterable[Count], smallest: int = 5
) -> set[int] | None:
    """People (fewer than ``smallest``) whose ballots some combination of the ``shown`` counts
    lays bare, beyond what the ``room`` counts (the whole room's) already show; None if no
    combination does. Exact: every combination is searched, through linear algebra."""
    counts = [c for c in dict.fromkeys(shown) if c]
    totals = [c for c in dict.fromkeys(room) if c]
    variables = sorted({v for c in [*counts, *totals] for v in c}, key=repr)
    if not counts:
        return None
    # Unknowns that every count holds alike can never be told apart: work with those classes.
    signature: dict[Variable, tuple[bool, ...]] = {
        v: tuple(v in c for c in counts) for v in variables
    }
    classes: dict[tuple[bool, ...], list[Variable]] = {}
    for v in variables:
        classes.setdefault(signature[v], []).append(v)
    small = [vs for vs in classes.values() if len({p for p, _ in vs}) < smallest]
    matrix = [[Fraction(int(v in c)) for v in variables] for c in counts]
    room_rows = [[Fraction(int(v in c)) for v in variables] for c in totals]
    room_rank = _rank(room_rows)
    index = {v: i for i, v in enumerate(variables)}
    for size in range(1, min(len(small), smallest - 1) + 1):
        for chosen in itertools.combinations(small, size):
            people = {p for vs in chosen for p, _ in vs}
            if len(people) >= smallest:
                continue
            inside = {index[v] for vs in chosen for v in vs}
            outside = [i for i in range(len(variables)) if i not in inside]
            # Combinations y of the counts that are zero outside the chosen unknowns.
            columns = [[matrix[r][i] for r in range(len(counts))] for i in outside]
            for y in _null_space(columns, len(counts)):
                combo = [
                    sum(y[r] * matrix[r][i] for r in range(len(counts)))
                    for i in range(len(variables))
                ]
                if any(combo) and _rank([*room_rows, combo]) > room_rank:
                    return people
    return None
