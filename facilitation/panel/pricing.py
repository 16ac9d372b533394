"""Finding panels that meet the quotas and are worth the most for given weights on the groups.

Pure. `CompositionModel` is the exact integer programme (HiGHS) over how many seats each group
takes: it proves that no better panel exists. `LocalSearch` finds good panels fast by moving one
seat at a time from one group to another while the quotas and the household rule still hold; it
proves nothing, so the exact programme has the last word whenever the search finds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt

from facilitation.panel.pool import Composition, Pool
from facilitation.panel.solver import quiet_solver

INF = highspy.kHighsInf
Weights = Sequence[float] | npt.NDArray[np.floating[Any]]  # one weight per group
BLOCK = 64  # takers a local search weighs at once against the lightest givers
GIVERS = 32  # the lightest givers a local search weighs for one move
BLOCKS = 4  # blocks of takers looked at for one move before the search stops


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
        self.lp.run()
        self.relaxations += 1
        if self.lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
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
            h.run()
            ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
            found = tuple(round(x) for x in h.getSolution().col_value[: self.n]) if ok else None
        finally:
            h.changeColsBounds(len(index), index, np.zeros(len(index)), upper[index])
        return found

    def best(self, weights: Weights) -> Composition | None:
        """Seats per group of a feasible panel with the largest weighted seat count, or None."""
        if not self.possible:
            return None
        self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), np.asarray(weights))
        self.h.run()
        self.solves += 1
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
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
    for groups in pool.shared:
        h.addRow(0.0, 1.0, len(groups), np.array(groups, dtype=np.int32), np.ones(len(groups)))


class LocalSearch:
    """Improve a panel for given group weights by moving one seat at a time between groups.

    A move takes a seat from group a and gives it to group b; only the quotas of the features on
    which a and b differ change, so a move is allowed when each of those can lose a seat from a's
    value and gain one for b's, and b's household (under the rule) has no one seated yet. Each
    step makes the allowed move with the largest gain among the lightest givers and the
    heaviest takers: the takers are looked at in a few blocks, heaviest first, against those
    givers at once, stopping as soon as no later block can beat the best allowed move found.
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
        self.low = np.array([q.min for q in pool.quotas] + [-1], dtype=np.int64)
        self.high = np.array([q.max for q in pool.quotas] + [pool.seats + 1], dtype=np.int64)
        self.sizes = np.array([len(g.members) for g in pool.groups], dtype=np.int64)
        self.homes = len(pool.shared)
        # A group alone in its home points at a last, never seated, home.
        self.home = np.full(len(pool.groups), self.homes, dtype=np.int64)
        for h, groups in enumerate(pool.shared):
            for t in groups:
                self.home[t] = h
        self.n_quotas = n_quotas

    def counts(self, c: np.ndarray) -> np.ndarray:
        """Seats per quota (and the dummy) for a composition."""
        out = np.zeros(self.n_quotas + 1, dtype=np.int64)
        for f in range(self.value.shape[1]):
            np.add.at(out, self.value[:, f], c)
        out[-1] = 0
        return out

    def climb(self, start: Composition, weights: np.ndarray, limit: int = 1000) -> Composition:
        """A panel at least as good as `start` that no single move improves (within `limit`)."""
        c = np.array(start, dtype=np.int64)
        counts = self.counts(c)
        seated = np.zeros(self.homes + 1, dtype=np.int64)
        np.add.at(seated, self.home, c)
        seated[-1] = 0
        w = np.asarray(weights, dtype=np.float64)
        falling = np.argsort(-w, kind="stable")
        rising = falling[::-1]
        for _ in range(limit):
            givers = rising[c[rising] > 0][:GIVERS]
            takers = falling[c[falling] < self.sizes[falling]]
            move = self._best_move(givers, takers, w, counts, seated)
            if move is None:
                break
            a, b = move
            c[a] -= 1
            c[b] += 1
            counts[self.value[a]] -= 1
            counts[self.value[b]] += 1
            counts[-1] = 0
            seated[self.home[a]] -= 1
            seated[self.home[b]] += 1
            seated[-1] = 0
        return tuple(int(x) for x in c)

    def _best_move(
        self,
        givers: np.ndarray,
        takers: np.ndarray,
        w: np.ndarray,
        counts: np.ndarray,
        seated: np.ndarray,
    ) -> tuple[int, int] | None:
        """The allowed move with the largest gain (givers lightest and takers heaviest first)
        within BLOCKS blocks of takers, or None."""
        if not len(givers) or not len(takers):
            return None
        lose = counts > self.low  # a quota that can give up a seat
        gain = counts < self.high  # a quota that can take one more
        gv = self.value[givers]
        g_lose = lose[gv]
        g_home = self.home[givers]
        g_weight = w[givers]
        lightest = float(g_weight[0])
        best, move = 1e-12, None
        for begin in range(0, min(len(takers), BLOCK * BLOCKS), BLOCK):
            block = takers[begin : begin + BLOCK]
            if float(w[block[0]]) - lightest <= best:
                break  # the takers only get lighter: nothing later gains more
            tv = self.value[block]
            ok = (gv[:, None, :] == tv[None, :, :]) | (g_lose[:, None, :] & gain[tv][None, :, :])
            allowed = ok.all(axis=2)
            t_home = self.home[block]
            allowed &= (seated[t_home] == 0)[None, :] | (g_home[:, None] == t_home[None, :])
            gains = np.where(allowed, w[block][None, :] - g_weight[:, None], -np.inf)
            i, j = np.unravel_index(int(np.argmax(gains)), gains.shape)
            if gains[i, j] > best:
                best, move = float(gains[i, j]), (int(givers[i]), int(block[j]))
        return move
