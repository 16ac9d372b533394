"""Finding panels that meet the quotas and are worth the most for given weights on the groups.

Pure. `CompositionModel` is the exact integer programme (HiGHS) over how many seats each group
takes: it proves that no better panel exists. `LocalSearch` finds good panels fast by moving one
seat at a time from one group to another while the quotas and the household rule still hold; it
proves nothing, so the exact programme has the last word whenever the search finds nothing.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt

from facilitation.panel.clock import Clock
from facilitation.panel.pool import Composition, Pool
from facilitation.panel.solver import quiet_solver, run_within

INF = highspy.kHighsInf
Weights = Sequence[float] | npt.NDArray[np.floating[Any]]  # one weight per group
MAX_CHECKS = 300  # moves looked at for one step of a local search before it stops


class CompositionModel:
    """The integer programme over how many seats each group takes: the lottery's pricing step.

    Variables c_t in 0..|t|; the seats add up; each quota's count lies between its minimum and
    maximum; at most one seat per shared household. `best` maximises a weighted seat count.
    """

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.possible = all(q.min <= q.max for q in pool.quotas)
        h = quiet_solver()
        # Pricing must be exact: a near-optimal panel could end column generation too early.
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 1e-10)
        h.setOptionValue("mip_improving_solution_save", True)
        n = len(pool.groups)
        upper = np.array([len(g.members) for g in pool.groups], dtype=float)
        h.addVars(n, np.zeros(n), upper)
        h.changeColsIntegrality(
            n, np.arange(n, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * n)
        )
        add_rows(h, pool, n)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.h = h
        self.n = n
        self.solves = 0
        self.relaxations = 0
        self.lp: highspy.Highs | None = None
        self.last: np.ndarray | None = None
        self.found: list[Composition] = []  # improving panels met on the way to the last optimum
        self.clock: Clock | None = None  # its deadline holds every solve (Stop when reached)

    def relaxed(self, weights: Weights) -> tuple[float, Composition | None]:
        """The linear relaxation's optimum, an upper bound on every panel's weight, and the
        panel itself when the relaxation's optimum is whole (it is then the best panel)."""
        if self.lp is None:
            lp = quiet_solver()
            lp.setOptionValue("solver", "simplex")
            lp.setOptionValue("simplex_strategy", 4)  # only costs change: primal from the basis
            lp.setOptionValue("presolve", "off")
            n = self.n
            upper = np.array([len(g.members) for g in self.pool.groups], dtype=float)
            lp.addVars(n, np.zeros(n), upper)
            add_rows(lp, self.pool, n)
            lp.changeObjectiveSense(highspy.ObjSense.kMaximize)
            self.lp = lp
        self.lp.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), np.asarray(weights))
        status = run_within(self.lp, self.clock)
        self.relaxations += 1
        if status != highspy.HighsModelStatus.kOptimal:
            return INF, None
        values = np.array(self.lp.getSolution().col_value[: self.n])
        self.last = values
        bound = float(np.dot(weights, values))
        whole = np.round(values)
        if np.abs(values - whole).max(initial=0.0) > 1e-9:
            return bound + 1e-9, None
        return bound + 1e-9, tuple(int(x) for x in whole)

    def rounded(self, weights: Weights) -> Composition | None:
        """A good panel near the last relaxation's optimum: the groups it gives whole seats keep
        them, and the integer programme settles the few fractional ones (quick, not proven)."""
        if self.last is None or not self.possible:
            return None
        whole = np.abs(self.last - np.round(self.last)) <= 1e-9
        index = np.flatnonzero(whole).astype(np.int32)
        fixed = np.round(self.last[index])
        upper = np.array([len(g.members) for g in self.pool.groups], dtype=float)
        h = self.h
        h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), np.asarray(weights))
        h.changeColsBounds(len(index), index, fixed, fixed)
        try:
            ok = run_within(h, self.clock, integer=True) == highspy.HighsModelStatus.kOptimal
            found = tuple(round(x) for x in h.getSolution().col_value[: self.n]) if ok else None
        finally:
            h.changeColsBounds(len(index), index, np.zeros(len(index)), upper[index])
        return found

    def best(self, weights: Weights) -> Composition | None:
        """Seats per group of a feasible panel with the largest weighted seat count, or None."""
        if not self.possible:
            return None
        self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), np.asarray(weights))
        status = run_within(self.h, self.clock, integer=True)
        self.solves += 1
        if status != highspy.HighsModelStatus.kOptimal:
            return None
        self.found = [
            tuple(round(x) for x in s.col_value[: self.n]) for s in self.h.getSavedMipSolutions()
        ]
        return tuple(round(x) for x in self.h.getSolution().col_value[: self.n])


def add_rows(h: highspy.Highs, pool: Pool, n: int, relax_from: int | None = None) -> None:
    """The panel's rows over the first n columns; with relax_from, quota q's minimum may drop by
    column relax_from + 2q and its maximum rise by column relax_from + 2q + 1."""
    everyone = np.arange(n, dtype=np.int32)
    h.addRow(pool.seats, pool.seats, n, everyone, np.ones(n))
    for i, q in enumerate(pool.quotas):
        counted = [t for t, g in enumerate(pool.groups) if i in g.quotas]
        if relax_from is None:
            h.addRow(
                q.min, q.max, len(counted), np.array(counted, dtype=np.int32), np.ones(len(counted))
            )
            continue
        for bound, slack_col, sign in (
            (q.min, relax_from + 2 * i, 1.0),
            (q.max, relax_from + 2 * i + 1, -1.0),
        ):
            idx = np.array([*counted, slack_col], dtype=np.int32)
            val = np.array([1.0] * len(counted) + [sign])
            lower, upper = (bound, INF) if sign > 0 else (-INF, bound)
            h.addRow(lower, upper, len(idx), idx, val)
    for groups, limit in pool.limits:
        h.addRow(0.0, limit, len(groups), np.array(groups, dtype=np.int32), np.ones(len(groups)))


class LocalSearch:
    """Improve a panel for given group weights by moving one seat at a time between groups.

    A move takes a seat from group a and gives it to group b; only the quotas of the features on
    which a and b differ change, so a move is allowed when each of those can lose a seat from a's
    value and gain one for b's, and b's household (under the rule) has no one seated yet, nor
    any other row bounding seats over a few groups that b is in and a is not is full. Moves
    are tried best gain first (the lightest givers against the heaviest takers), so that usually
    the first few looked at include an allowed one.
    """

    def __init__(self, pool: Pool) -> None:
        features = sorted({q.feature for q in pool.quotas})
        n_quotas = len(pool.quotas)
        # Each group's quota on each feature; a group without one points at a dummy quota
        # that never binds.
        value = np.full((len(pool.groups), max(len(features), 1)), n_quotas, dtype=np.int64)
        column = {f: i for i, f in enumerate(features)}
        for t, group in enumerate(pool.groups):
            for i in group.quotas:
                value[t, column[pool.quotas[i].feature]] = i
        self.value = value
        self.rows = [tuple(int(v) for v in row) for row in value]
        self.low = [q.min for q in pool.quotas] + [-1]
        self.high = [q.max for q in pool.quotas] + [pool.seats + 1]
        self.sizes = np.array([len(g.members) for g in pool.groups], dtype=np.int64)
        # Each row bounding the seats of a few groups: its limit, and each group's rows.
        self.limit = [limit for _groups, limit in pool.limits]
        self.rows_of = pool.limited_rows()
        self.n_quotas = n_quotas

    def counts(self, c: np.ndarray) -> list[int]:
        """Seats per quota (and the dummy) for a composition."""
        out = np.zeros(self.n_quotas + 1, dtype=np.int64)
        for f in range(self.value.shape[1]):
            np.add.at(out, self.value[:, f], c)
        out[-1] = 0
        return [int(x) for x in out]

    def _allowed(self, a: int, b: int, counts: list[int], seated: list[int]) -> bool:
        low, high = self.low, self.high
        for va, vb in zip(self.rows[a], self.rows[b], strict=True):
            if va != vb and (counts[va] <= low[va] or counts[vb] >= high[vb]):
                return False
        from_a = self.rows_of[a]
        return all(seated[r] < self.limit[r] or r in from_a for r in self.rows_of[b])

    def climb(self, start: Composition, weights: np.ndarray, limit: int = 1000) -> Composition:
        """A panel at least as good as `start` that no single move improves (within `limit`)."""
        c = np.array(start, dtype=np.int64)
        counts = self.counts(c)
        seated = [0] * len(self.limit)
        for t in np.flatnonzero(c):
            for r in self.rows_of[t]:
                seated[r] += int(c[t])
        rising = np.argsort(weights, kind="stable")
        falling = rising[::-1]
        w = weights.tolist()
        for _ in range(limit):
            givers = rising[c[rising] > 0].tolist()
            takers = falling[c[falling] < self.sizes[falling]].tolist()
            move = self._best_move(givers, takers, w, counts, seated)
            if move is None:
                break
            a, b = move
            c[a] -= 1
            c[b] += 1
            for va, vb in zip(self.rows[a], self.rows[b], strict=True):
                counts[va] -= 1
                counts[vb] += 1
            for r in self.rows_of[a]:
                seated[r] -= 1
            for r in self.rows_of[b]:
                seated[r] += 1
        return tuple(int(x) for x in c)

    def _best_move(
        self,
        givers: list[int],
        takers: list[int],
        w: list[float],
        counts: list[int],
        seated: list[int],
    ) -> tuple[int, int] | None:
        """The allowed move with the largest gain, found best first over (giver, taker)."""
        if not givers or not takers:
            return None
        heap = [(w[givers[0]] - w[takers[0]], 0, 0)]
        seen = {(0, 0)}
        for _ in range(MAX_CHECKS):
            if not heap:
                return None
            loss, i, j = heapq.heappop(heap)
            if -loss <= 1e-12:
                return None
            a, b = givers[i], takers[j]
            if a != b and self._allowed(a, b, counts, seated):
                return a, b
            for ni, nj in ((i + 1, j), (i, j + 1)):
                if ni < len(givers) and nj < len(takers) and (ni, nj) not in seen:
                    seen.add((ni, nj))
                    heapq.heappush(heap, (w[givers[ni]] - w[takers[nj]], ni, nj))
        return None
