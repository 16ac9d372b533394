"""The leximin over fractional panels, and whole panels whose mixture comes close to it.

Pure. Every lottery's expected seats per group lie in the polytope Q of *fractional* panels: the
quotas, the seat count and the household rule with seats allowed to be fractions. So the leximin
over Q, worked out with a small linear programme per stage and no column generation, is at least
as good in the leximin order as any lottery's chances; should a lottery over whole panels give
every group its chance under Q's leximin, that lottery is the leximin one.

Such panels are found by a walk through Q's faces (Carathéodory's construction): from the target
point c, a whole panel v is found on the smallest face of Q holding c (every bound and quota that
binds at c binds at v), and c moves straight away from v until one more bound binds; c is then a
mixture of v and the new point, which lies on a smaller face. Each step fixes a dimension, so the
walk ends within as many steps as Q has dimensions, on a whole panel or on a face that holds none.
The panels only seed the column generation that proves the targets reached (`leximin.reach`).
"""

from __future__ import annotations

from collections.abc import Callable

import highspy
import numpy as np

from facilitation.panel.clock import Clock
from facilitation.panel.master import RISE_TOL
from facilitation.panel.pool import Composition, Pool
from facilitation.panel.pricing import add_rows
from facilitation.panel.solver import quiet_solver, run_within

INF = highspy.kHighsInf
TOLERANCE = 1e-9  # HiGHS's primal and dual feasibility tolerances
LOOSER = (1e-8, 1e-7)  # primal tolerances tried, one after the other, when a solve fails
HOLD = 1e-11  # z is held this far below its optimum while the rises are tested
RISER = 1e-8  # a group that rises further than this in a rise test can still rise
RISE_CAP = 1e-3  # each group's rise counts up to this, so that many rise together
TIGHT = 1e-8  # seats this close to a bound, or a quota's count to its limit, bind there
WHOLE = 1e-9  # a fractional panel this close to whole numbers is a whole panel


class Unsolved(Exception):
    """HiGHS could not solve a programme of the relaxation."""


def relaxed_leximin(pool: Pool, clock: Clock | None = None) -> tuple[np.ndarray, int]:
    """Each group's chance under the leximin over fractional panels, and its stages.

    Stage by stage, z (the smallest chance of the groups not yet settled) is maximised; then,
    with z held, the groups' rises are maximised (each capped), and any group that rises is left
    free; what is left when none rises cannot rise without another group falling below z, and
    is settled there."""
    n = len(pool.groups)
    sizes = pool.sizes
    h = quiet_solver()
    h.setOptionValue("primal_feasibility_tolerance", TOLERANCE)
    h.setOptionValue("dual_feasibility_tolerance", TOLERANCE)
    h.addVars(n, np.zeros(n), sizes)
    add_rows(h, pool, n)
    first_chance_row = h.getNumRow()
    h.addVar(0.0, 1.0)  # z, column n
    h.addVars(n, np.zeros(n), np.zeros(n))  # each group's rise, columns n + 1 ...
    for t in range(n):
        # seats_t / |t| - z - rise_t >= 0
        h.addRow(0.0, INF, 3, np.array([t, n, n + 1 + t], np.int32), [1 / sizes[t], -1.0, -1.0])
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    chances = np.zeros(n)
    free = set(range(n))
    stages = 0
    while free:
        stages += 1
        h.changeColCost(n, 1.0)
        h.changeColBounds(n, 0.0, 1.0)
        _solve(h, clock)
        z = float(h.getSolution().col_value[n])
        h.changeColCost(n, 0.0)
        h.changeColBounds(n, z - HOLD, z - HOLD)
        stuck = set(free)
        while stuck:
            index = np.array(sorted(stuck), np.int32)
            rises = index + n + 1
            cap = np.full(len(index), RISE_CAP)
            h.changeColsBounds(len(index), rises, np.zeros(len(index)), cap)
            h.changeColsCost(len(index), rises, np.ones(len(index)))
            _solve(h, clock)
            rise = np.array(h.getSolution().col_value[n + 1 :])
            h.changeColsBounds(len(index), rises, np.zeros(len(index)), np.zeros(len(index)))
            h.changeColsCost(len(index), rises, np.zeros(len(index)))
            # Their total rise bounds each one's: when it is nil (up to the hold below z),
            # none of them can rise.
            if float(rise[index].sum()) <= RISER + HOLD * len(index):
                break
            risen = {t for t in stuck if rise[t] > RISER} or {int(index[np.argmax(rise[index])])}
            if risen == stuck:
                # At the best z some group cannot rise; should the solver's tolerances let
                # every one of them rise a little, the one that rose least is it.
                least = min(stuck, key=lambda t: (rise[t], t))
                if rise[least] > RISE_TOL:
                    raise Unsolved("every group rises")
                stuck = {least}
                break
            stuck -= risen
        for t in stuck:
            chances[t] = z
            h.changeCoeff(first_chance_row + t, n, 0.0)
            h.changeRowBounds(first_chance_row + t, z - HOLD, INF)
        free -= stuck
    return chances, stages


def _solve(h: highspy.Highs, clock: Clock | None) -> None:
    if clock is not None:
        clock.check()
    if run_within(h, clock) == highspy.HighsModelStatus.kOptimal:
        return
    # HiGHS can lose its way from a basis left by the changes between two solves; from
    # scratch it does not.
    h.clearSolver()
    if run_within(h, clock) == highspy.HighsModelStatus.kOptimal:
        return
    # A chance held a hair below what the solver, within its tolerance, reported can leave
    # the programme infeasible by about that tolerance: a looser one, for this solve alone.
    # The chances are checked afterwards all the same, when panels are sought that give them.
    try:
        for tolerance in LOOSER:
            h.setOptionValue("primal_feasibility_tolerance", tolerance)
            h.clearSolver()
            if run_within(h, clock) == highspy.HighsModelStatus.kOptimal:
                return
    finally:
        h.setOptionValue("primal_feasibility_tolerance", TOLERANCE)
    raise Unsolved(str(h.getModelStatus()))


def panels_towards(
    pool: Pool,
    chances: np.ndarray,
    clock: Clock | None = None,
    step: Callable[[int], None] | None = None,
) -> list[Composition]:
    """Whole panels whose mixture gives each group the chance asked for, or comes close: the walk
    through Q's faces from the fractional panel with those chances. `step` hears how many steps
    have been taken."""
    faces = _Faces(pool)
    sizes = pool.sizes
    n = len(sizes)
    c = np.clip(chances * sizes, 0.0, sizes)
    # The walk is the same every time for the same pool, so that a lottery replays exactly.
    rng = np.random.default_rng(0)
    panels: list[Composition] = []
    for taken in range(n + len(faces.low) + 1):
        if clock is not None:
            clock.check()
        if step is not None:
            step(taken)
        empty, full = c <= TIGHT, c >= sizes - TIGHT
        c = np.where(empty, 0.0, np.where(full, sizes, c))
        counts = faces.sums(c)
        at_low, at_high = counts <= faces.low + TIGHT, counts >= faces.high - TIGHT
        v = faces.whole_point(
            np.where(full, sizes, 0.0),
            np.where(empty, 0.0, sizes),
            np.where(at_high, faces.high, faces.low),
            np.where(at_low, faces.low, faces.high),
            rng.random(n),
            clock,
        )
        if v is None:
            break  # a face of Q with no whole panel on it: the column generation takes over
        panels.append(tuple(int(x) for x in v))
        away = np.where(empty | full, 0.0, c - v)
        if np.abs(away).max(initial=0.0) <= TIGHT:
            break  # c is this whole panel: the walk is over
        moved = faces.sums(away)
        moved[at_low | at_high] = 0.0
        reach = min(
            _ratio(sizes - c, away),
            _ratio(c, -away),
            _ratio(faces.high - counts, moved),
            _ratio(counts - faces.low, -moved),
        )
        if reach == INF:
            break
        c = np.clip(c + reach * away, 0.0, sizes)
    return panels


def _ratio(room: np.ndarray, rate: np.ndarray) -> float:
    """How far a point can move at these rates before one of them uses up its room."""
    moving = rate > 1e-12
    if not moving.any():
        return INF
    return float(max(0.0, (np.maximum(room[moving], 0.0) / rate[moving]).min()))


class _Faces:
    """Q's rows (quotas, households and caps: the seat count always binds), and whole or fractional
    panels on one of its faces, given by the bounds that bind there."""

    def __init__(self, pool: Pool) -> None:
        n = len(pool.groups)
        self.n = n
        rows = [
            [t for t, g in enumerate(pool.groups) if i in g.quotas] for i in range(len(pool.quotas))
        ]
        rows += [list(groups) for groups, _limit in pool.limits]
        # Each row's groups, end to end: a row's count is a sum over a few of them, which a
        # dense product would hand to BLAS threads that busy-wait between the walk's steps.
        self.groups = np.array([t for groups in rows for t in groups], dtype=np.int64)
        lengths = np.array([len(groups) for groups in rows], dtype=np.int64)
        self.starts = np.cumsum(lengths) - lengths
        self.empty = lengths == 0
        limits = [limit for _groups, limit in pool.limits]
        self.low = np.array([q.min for q in pool.quotas] + [0] * len(limits), dtype=float)
        self.high = np.array([q.max for q in pool.quotas] + limits, dtype=float)
        self.row_low, self.row_high = self.low, self.high  # as the programmes have them now
        sizes = pool.sizes
        self.lp = quiet_solver()
        self.lp.setOptionValue("solver", "simplex")
        self.ip = quiet_solver()
        # Any whole panel on the face will do: the first one found is taken.
        self.ip.setOptionValue("mip_rel_gap", 5.0)
        for h in (self.lp, self.ip):
            h.addVars(n, np.zeros(n), sizes)
            add_rows(h, pool, n)
            h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.ip.changeColsIntegrality(
            n, np.arange(n, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * n)
        )

    def sums(self, x: np.ndarray) -> np.ndarray:
        """Each row's total of x over its groups (the rows' product with x)."""
        # A nil at the end, so that every start is in range; reduceat gives an empty row the
        # next value instead of nothing, so those are set to nil.
        out = np.add.reduceat(np.append(x[self.groups], 0.0), self.starts)
        out[self.empty] = 0.0
        return out

    def whole_point(
        self,
        lower: np.ndarray,
        upper: np.ndarray,
        row_low: np.ndarray,
        row_high: np.ndarray,
        weights: np.ndarray,
        clock: Clock | None,
    ) -> np.ndarray | None:
        """A whole panel within these bounds, or None: the fractional programme's optimum when
        it is whole (often, and quick), else the integer programme's first panel."""
        everyone = np.arange(self.n, dtype=np.int32)
        changed = np.flatnonzero((row_low != self.row_low) | (row_high != self.row_high))
        for h in (self.lp, self.ip):
            h.changeColsBounds(self.n, everyone, lower, upper)
            for r in changed:  # row 0 is the seat count
                h.changeRowBounds(int(r) + 1, float(row_low[r]), float(row_high[r]))
            h.changeColsCost(self.n, everyone, weights)
        self.row_low, self.row_high = row_low, row_high
        if run_within(self.lp, clock) != highspy.HighsModelStatus.kOptimal:
            return None
        point = np.array(self.lp.getSolution().col_value[: self.n])
        whole = np.round(point)
        if np.abs(point - whole).max(initial=0.0) <= WHOLE:
            return whole
        if run_within(self.ip, clock, integer=True) != highspy.HighsModelStatus.kOptimal:
            return None
        return np.round(np.array(self.ip.getSolution().col_value[: self.n]))
