"""A lottery anyone can draw by hand: m numbered panels, one of them drawn with equal chances.

Pure. The leximin lottery is rounded to a uniform lottery over m panels, as in Flanigan, Kehne and
Procaccia, "Fair Sortition Made Transparent" (NeurIPS 2021), but on seat counts rather than named
panels: each composition j of the lottery (probability x_j) is used by y_j of the m panels, whole
numbers adding up to m. Their Beck-Fiala rounding gives every volunteer a chance within k/m of the
exact one (k seats); here it runs on the groups, whose rows are far sparser: starting from y = m x,
a linear programme keeps every group's expected seats and the total while it moves the fractional
parts to 0 or 1, and a group's row is dropped once its remaining fractional parts can move it by
at most theta seats per member (theta <= 2 max_j sum_t c_tj / n_t, usually about 1). An integer
programme then looks, within a time limit, for counts whose worst fall of anyone's chance is
smaller still. The m panels are named by going round each group's members across the panels in
order, so that each member sits on floor or ceil of the group's seats / its size of them.

Every panel has one of the lottery's compositions, so each meets the quotas and the household
rule. A volunteer's chance falls by less than (theta + 1) / m; the report gives that bound, the
paper's k / m, and the fall measured.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import highspy
import numpy as np

from facilitation.panel.lottery import Lottery
from facilitation.panel.pool import Composition
from facilitation.panel.solver import quiet_solver

INF = highspy.kHighsInf
SNAP = 1e-9  # a fractional part this close to 0 or 1 is whole


@dataclass(frozen=True, slots=True)
class UniformLottery:
    """m numbered panels (panel 1 first), one of which is drawn with equal chances."""

    m: int
    panels: tuple[tuple[str, ...], ...]  # members of each panel, sorted
    chances: Mapping[str, float]  # panels a volunteer is on, over m
    exact_smallest: float  # the leximin lottery's smallest chance (of those who can sit)
    smallest: float  # the uniform lottery's smallest chance among the same volunteers
    largest_fall: float  # the largest fall of anyone's chance from the leximin lottery
    bound: float  # no chance falls by this much or more: (theta + 1) / m
    their_bound: float  # the paper's bound for rounding named panels: k / m
    optimal: bool  # the integer programme proved no counts have a smaller worst fall

    @property
    def smallest_fall(self) -> float:
        """How far the smallest chance fell in the rounding."""
        return self.exact_smallest - self.smallest


def uniform_lottery(lottery: Lottery, m: int = 1000, *, time_limit: float = 10.0) -> UniformLottery:
    """Round the lottery to m numbered panels that each meet the quotas."""
    if m < 1:
        raise ValueError("the uniform lottery needs at least one panel")
    pool = lottery.pool
    lottery_over = lottery.compositions
    compositions = [c for c, _x in lottery_over]
    x = np.array([x for _c, x in lottery_over])
    x /= x.sum()
    counts = np.array(compositions, dtype=float).T  # groups x compositions
    sizes = pool.sizes
    share = counts / sizes[:, None]  # a member's expected seats per panel using j
    target = share @ (m * x)  # each member's expected panels, by group
    y, theta = _beck_fiala(share, m * x, m)
    y, optimal = _improve(counts, sizes, target, y, m, time_limit)
    order = sorted((compositions[j] for j in range(len(y)) for _ in range(int(y[j]))), reverse=True)
    panels = _round_robin(lottery, order)
    held = dict.fromkeys(pool.ids, 0)
    for panel in panels:
        for v in panel:
            held[v] += 1
    chances = {v: held[v] / m for v in pool.ids}
    exact = lottery.probabilities
    seated = [v for v in pool.ids if exact[v] > 0]
    exact_smallest = min((exact[v] for v in seated), default=0.0)
    smallest = min((chances[v] for v in seated), default=0.0)
    return UniformLottery(
        m=m,
        panels=tuple(panels),
        chances=chances,
        exact_smallest=exact_smallest,
        smallest=smallest,
        largest_fall=max((exact[v] - chances[v] for v in pool.ids), default=0.0),
        bound=(theta + 1.0) / m,
        their_bound=pool.seats / m,
        optimal=optimal,
    )


def _beck_fiala(share: np.ndarray, scaled: np.ndarray, m: int) -> tuple[np.ndarray, float]:
    """Whole counts adding up to m, each group's expected seats per member within theta of
    `share @ scaled`; returns the counts and theta."""
    y = np.floor(scaled + SNAP)
    frac = np.clip(scaled - y, 0.0, 1.0)
    frac[frac <= SNAP] = 0.0
    left = round(float(m - y.sum()))
    active = [j for j in range(len(frac)) if frac[j] > 0]
    rows = [t for t in range(share.shape[0]) if share[t, active].any()]
    theta = 0.0
    while active:
        values = _vertex(share, rows, active, frac, left)
        still = []
        for j, v in zip(active, values, strict=True):
            if v <= SNAP:
                frac[j] = 0.0
            elif v >= 1.0 - SNAP:
                frac[j] = 0.0
                y[j] += 1
                left -= 1
            else:
                frac[j] = v
                still.append(j)
        fixed = len(still) < len(active)
        active = still
        if not active or not rows:
            continue
        # A vertex has at most one fractional part more than there are rows, so some row's
        # fractional parts weigh at most the heaviest column's weight times (rows + 1) / rows
        # (Beck and Fiala): such rows are let go, their error bounded by that weight.
        sub = share[np.ix_(rows, active)]
        weight = sub.sum(axis=1)
        limit = sub.sum(axis=0).max() * (len(rows) + 1) / len(rows)
        drop = weight <= limit + SNAP
        if not drop.any() and not fixed:
            drop[int(np.argmin(weight))] = True  # rounding noise only
        theta = max(theta, float(weight[drop].max(initial=0.0)))
        rows = [t for t, d in zip(rows, drop, strict=True) if not d]
    return y, theta


def _vertex(
    share: np.ndarray, rows: list[int], cols: list[int], frac: np.ndarray, total: int
) -> np.ndarray:
    """A basic solution of: the fractional parts in [0, 1] add up to `total` and keep each row's
    value, found by simplex (so at most as many are fractional as there are rows, plus one)."""
    n = len(cols)
    h = quiet_solver()
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("presolve", "off")
    h.setOptionValue("primal_feasibility_tolerance", 1e-10)
    h.addVars(n, np.zeros(n), np.ones(n))
    # A generic cost makes the solution a vertex away from ties.
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.linspace(1.0, 2.0, n))
    index = np.arange(n, dtype=np.int32)
    h.addRow(total, total, n, index, np.ones(n))
    for t in rows:
        values = share[t, cols]
        nz = np.flatnonzero(values)
        goal = float(values @ frac[cols])
        h.addRow(goal, goal, len(nz), index[nz], values[nz])
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return frac[cols]  # cannot happen: the current parts are feasible; keep them
    return np.array(h.getSolution().col_value)


def _improve(
    counts: np.ndarray,
    sizes: np.ndarray,
    target: np.ndarray,
    start: np.ndarray,
    m: int,
    time_limit: float,
) -> tuple[np.ndarray, bool]:
    """Counts whose worst fall of a member's panels (floor of seats / size below the expected
    panels) is smallest, starting from `start`; True if proven smallest."""
    n_groups, n_comps = counts.shape
    seated = [t for t in range(n_groups) if target[t] > 0]

    def worst(y: np.ndarray) -> float:
        seats = counts @ y
        return max((target[t] - np.floor(seats[t] / sizes[t] + SNAP) for t in seated), default=0)

    if time_limit <= 0 or not seated:
        return start, False
    h = quiet_solver()
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 0.0)
    kinds = highspy.HighsVarType
    # Columns: y_j (compositions), q_t (whole panels the worst member of group t sits on), D.
    n = n_comps + len(seated) + 1
    lower = np.zeros(n)
    upper = np.array([float(m)] * n_comps + [float(m)] * len(seated) + [INF])
    cost = np.zeros(n)
    cost[-1] = 1.0
    h.addVars(n, lower, upper)
    h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
    integral = np.array([kinds.kInteger] * (n - 1) + [kinds.kContinuous])
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), integral)
    h.addRow(m, m, n_comps, np.arange(n_comps, dtype=np.int32), np.ones(n_comps))
    for i, t in enumerate(seated):
        nz = np.flatnonzero(counts[t])
        q = n_comps + i
        # size * q <= seats of t, and q + D >= expected panels.
        h.addRow(-INF, 0.0, len(nz) + 1, np.array([*nz, q], np.int32), [*-counts[t, nz], sizes[t]])
        h.addRow(target[t], INF, 2, np.array([q, n - 1], np.int32), np.ones(2))
    seats = counts @ start
    q_start = [np.floor(seats[t] / sizes[t] + SNAP) for t in seated]
    solution = highspy.HighsSolution()
    solution.col_value = [*start.tolist(), *q_start, worst(start)]
    h.setSolution(solution)
    h.run()
    if h.getModelStatus() not in (
        highspy.HighsModelStatus.kOptimal,
        highspy.HighsModelStatus.kTimeLimit,
    ):
        return start, False
    values = np.array(h.getSolution().col_value[:n_comps])
    found = np.round(values)
    if found.sum() != m or worst(found) >= worst(start):
        return start, h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return found, h.getModelStatus() == highspy.HighsModelStatus.kOptimal


def _round_robin(lottery: Lottery, order: list[Composition]) -> list[tuple[str, ...]]:
    """Name the panels: each group's seats go round its members across the panels in order."""
    pool = lottery.pool
    pointer = [0] * len(pool.groups)
    panels = []
    for counts in order:
        chosen: list[str] = []
        for t, c in enumerate(counts):
            if not c:
                continue
            members = pool.groups[t].members
            n = len(members)
            chosen.extend(members[(pointer[t] + r) % n] for r in range(c))
            pointer[t] += c
        panels.append(tuple(sorted(chosen)))
    return panels
