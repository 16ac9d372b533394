"""The panel lottery: a random panel that always meets the quotas, as fair as they allow.

Every volunteer gets as fair a chance of a seat as the quotas allow. The lottery is the *leximin*
one of Flanigan, Gölz, Gupta, Hennig and Procaccia, "Fair algorithms for selecting citizens'
assemblies", Nature 596 (2021): of all the ways to choose at random between panels that meet the
quotas, take the one whose smallest chance of a seat is as large as possible; among those, the one
whose second smallest chance is as large as possible; and so on. It is computed as in the paper, by
column generation, in stages:

- a *master* linear programme over a distribution of panels maximises z, the smallest chance of
  the volunteers not yet settled, keeping everyone settled at their settled chance;
- a *pricing* integer programme takes the master's dual prices and finds the feasible panel the
  master values most; it is added and the master solved again, until no panel would improve it
  by more than a small tolerance (the master is then optimal over *all* feasible panels);
- volunteers with a positive dual price are at z in every optimal lottery (complementary
  slackness), so their chance is settled at z, and the next stage raises the others.

Volunteers the quotas cannot tell apart (the same answers on every feature with a quota and, under
the household rule, no housemate in the pool) have the same leximin chance, so the programmes count
how many of each such group a panel takes rather than who: they stay small whatever the size of
the pool. While panels are being added the master is solved by simplex from its last basis (fast);
at the end of a stage, by the interior-point method without crossover, whose dual prices lie
inside the optimal face and so settle as many groups at once as can be settled. Counts are turned
into named panels at the end, each group's seats going round its members so that all get the
group's chance exactly, and a basic solution keeps at most one more panel than volunteers.

The draw is reproducible and checkable by anyone: the panels are listed in a canonical order with
whole tickets, and the published seed picks the ticket (see `draw`). Both programmes use HiGHS.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import highspy
import numpy as np

from facilitation.panel.quotas import (
    CompositionModel,
    Infeasible,
    Pool,
    Quota,
    QuotaConflict,
    Relaxation,
    Volunteer,
    apply_relaxations,
    build_pool,
    check_quotas,
    explain_infeasible,
    panel_meets_quotas,
)
from facilitation.panel.solver import quiet_solver

HIGH_CHANCE = 0.8  # a chance this high is flagged: that volunteer is all but sure of a seat
TICKETS = 10**9  # the distribution is published as whole tickets out of about this many
PRICE_TOL = 1e-7  # a new panel must improve the master by more than this to be added
# A dual price above this settles a group's chance. On the interior-point duals, groups that can
# still rise have prices below 1e-8 and settled ones above 1e-5: this sits well between.
FIX_TOL = 1e-6
SETTLE_MARGIN = 1e-10  # settled a hair below the optimum, so tolerance keeps it feasible
RETRY_MARGIN = 1e-7  # how far settled chances are lowered if the master turns out infeasible
MAX_RETRIES = 5
MAX_ROUNDS = 2_000  # column generation rounds in one stage; it converges in far fewer
INF = highspy.kHighsInf
Composition = tuple[int, ...]  # seats taken from each group


@dataclass(frozen=True, slots=True)
class GroupShare:
    """The average chance of the volunteers with one answer to one feature."""

    feature: str
    value: str
    volunteers: int
    average: float

    @property
    def expected_seats(self) -> float:
        return self.average * self.volunteers


@dataclass(frozen=True, slots=True)
class Lottery:
    """The leximin distribution over panels and what it means for each volunteer."""

    seats: int
    panels: tuple[tuple[frozenset[str], float], ...]  # canonical order; probabilities sum to 1
    tickets: tuple[int, ...]  # each panel's whole tickets; probability = tickets / their sum
    probabilities: Mapping[str, float]  # volunteer id -> chance of a seat, summing to `seats`
    groups: tuple[GroupShare, ...]  # one per feature value
    flagged: tuple[str, ...]  # volunteers whose chance is at least HIGH_CHANCE
    stages: int  # leximin stages it took
    pool: Pool = field(repr=False, compare=False)

    @property
    def min_probability(self) -> float:
        return min_probability(self.probabilities.values())

    @property
    def gini(self) -> float:
        return gini(self.probabilities.values())


@dataclass(frozen=True, slots=True)
class Draw:
    """One panel drawn with a published seed, and the reserves in the order they are called."""

    seed: str
    ticket: int  # the winning ticket, counted from 0, out of `tickets`
    tickets: int
    panel: tuple[str, ...]  # sorted
    reserves: tuple[str, ...]


def gini(probabilities: Iterable[float]) -> float:
    """The Gini coefficient of the chances: 0 when all are equal, nearer 1 when few hold all."""
    values = sorted(probabilities)
    n, total = len(values), sum(values)
    if n == 0 or total <= 0:
        return 0.0
    return sum((2 * i - n + 1) * v for i, v in enumerate(values)) / (n * total)


def min_probability(probabilities: Iterable[float]) -> float:
    """The smallest chance, which the leximin lottery makes as large as it can be."""
    return min(probabilities, default=0.0)


def select_panel(
    volunteers: Sequence[Volunteer],
    seats: int,
    quotas: Sequence[Quota],
    *,
    one_per_household: bool = False,
) -> Lottery:
    """The leximin lottery over panels of `seats` that meet the quotas; raises Infeasible."""
    pool = build_pool(volunteers, seats, quotas, one_per_household=one_per_household)
    pricing = CompositionModel(pool)
    if pricing.best([1.0] * len(pool.groups)) is None:
        raise explain_infeasible(pool)
    compositions, stages = _leximin(pool, pricing)
    return _lottery(pool, _name_panels(pool, compositions), stages)


def draw(lottery: Lottery, seed: int | str, reserves: int = 0) -> Draw:
    """Draw the panel the seed picks, and up to `reserves` reserves from everyone else.

    The ticket is the SHA-256 digest of "panel:" + the seed (UTF-8), read as a big-endian
    integer, modulo the total number of tickets; the panels hold consecutive tickets in the
    order listed. Reserves are everyone not on the panel, ordered by the SHA-256 digest of
    "reserve:" + seed + ":" + their id; those who could each take the seat of someone on the
    panel without breaking a quota or the household rule come first.
    """
    text = str(seed)
    total = sum(lottery.tickets)
    ticket = _digest(f"panel:{text}") % total
    index = bisect.bisect_right(list(itertools.accumulate(lottery.tickets)), ticket)
    panel = lottery.panels[index][0]
    pool = lottery.pool
    order = sorted(
        (v for v in pool.ids if v not in panel), key=lambda v: _digest(f"reserve:{text}:{v}")
    )
    first: list[str] = []
    later: list[str] = []
    for v in order:
        if len(first) >= reserves:
            break
        (first if _can_stand_in(pool, panel, v) else later).append(v)
    called = (first + later)[: max(0, reserves)]
    return Draw(text, ticket, total, tuple(sorted(panel)), tuple(called))


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest(), "big")


def _can_stand_in(pool: Pool, panel: frozenset[str], reserve: str) -> bool:
    """Whether the reserve could take some member's seat with the quotas and households kept.
    Only the quotas of the two people swapped change, so only those are checked."""

    def counted(v: str) -> set[int]:
        profile = pool.profiles[v]
        return {i for i, q in enumerate(pool.quotas) if profile.get(q.feature) == q.value}

    counts = [0] * len(pool.quotas)
    for v in panel:
        for i in counted(v):
            counts[i] += 1
    into = counted(reserve)
    homes = {pool.households[v] for v in panel}
    for member in sorted(panel):
        out = counted(member)
        if pool.one_per_household and pool.households[reserve] in homes - {pool.households[member]}:
            continue
        if all(
            pool.quotas[i].min <= counts[i] - (i in out) + (i in into) <= pool.quotas[i].max
            for i in out ^ into
        ):
            return True
    return False


# -- the leximin chances of each group ------------------------------------------------------------


def _leximin(pool: Pool, pricing: CompositionModel) -> tuple[list[tuple[Composition, float]], int]:
    """Settle the groups' chances stage by stage; return compositions and their probabilities."""
    n_groups = len(pool.groups)
    columns = _initial_columns(pool, pricing)
    reachable = {t for column in columns for t, n in enumerate(column) if n}
    # A group no feasible panel takes has chance 0; settling it first keeps z meaningful.
    fixed = {t: 0.0 for t in range(n_groups) if t not in reachable}
    master = _Master(pool, columns, fixed)
    stages = 0
    while len(fixed) < n_groups and stages <= n_groups:  # each stage settles at least one group
        stages += 1
        z, duals = master.solve_stage(pricing)
        free = [t for t in range(n_groups) if t not in fixed]
        tight = [t for t in free if duals[t] > FIX_TOL] or [max(free, key=lambda t: duals[t])]
        for t in tight:
            fixed[t] = z
            master.settle(t, z)
    return master.final(), stages


def _initial_columns(pool: Pool, pricing: CompositionModel) -> list[Composition]:
    """A diverse warm start: panels found by multiplicative weights (a group's weight shrinks
    each time it gets seats), then one panel for each group still left out."""
    n_groups = len(pool.groups)
    sizes = [len(g.members) for g in pool.groups]
    columns: list[Composition] = []
    # Slightly unequal starting weights break ties between equally good panels the same way
    # every time.
    weights = [1.0 + 1e-3 * ((t * 7919) % 101) / 101 for t in range(n_groups)]
    for _ in range(min(n_groups, 200)):
        found = pricing.best(weights)
        if found is None:
            break
        if found not in columns:
            columns.append(found)
        weights = [w * 0.8 ** (n / size) for w, n, size in zip(weights, found, sizes, strict=True)]
        top = max(weights)
        weights = [w / top for w in weights]
    covered = {t for column in columns for t, n in enumerate(column) if n}
    for t in range(n_groups):
        if t not in covered:
            found = pricing.best([float(u == t) for u in range(n_groups)])
            if found is not None and found[t] and found not in columns:
                columns.append(found)
                covered.update(u for u, n in enumerate(found) if n)
    return columns


class _Master:
    """The restricted master LP over the panels found so far. Column 0 is z, the others x_P:

    minimise -z  subject to, for each group t,
        sum_P x_P * (seats of t in P) / |t|  -  z  >= 0    (t not yet settled)
        sum_P x_P * (seats of t in P) / |t|        >= p_t  (t settled at p_t)
        sum_P x_P = 1,  x >= 0.
    """

    def __init__(self, pool: Pool, columns: list[Composition], fixed: Mapping[int, float]):
        self.sizes = np.array([len(g.members) for g in pool.groups], dtype=float)
        self.n = len(self.sizes)
        self.columns: list[Composition] = []
        self.settled = dict(fixed)
        h = quiet_solver()
        h.setOptionValue("run_crossover", "off")
        h.setOptionValue("presolve", "off")
        self.solver = "choose"
        lower = np.array([fixed.get(t, 0.0) for t in range(self.n)] + [1.0])
        upper = np.array([INF] * self.n + [1.0])
        h.addRows(self.n + 1, lower, upper, 0, np.array([0]), np.array([], np.int32), np.array([]))
        free = np.array([t for t in range(self.n) if t not in fixed], dtype=np.int32)
        h.addCol(-1.0, -INF, INF, len(free), free, -np.ones(len(free)))
        self.h = h
        for column in columns:
            self.add(column)

    def add(self, column: Composition) -> None:
        index = [t for t, n in enumerate(column) if n]
        values = [column[t] / self.sizes[t] for t in index] + [1.0]
        index.append(self.n)
        self.h.addCol(0.0, 0.0, INF, len(index), np.array(index, np.int32), np.array(values))
        self.columns.append(column)

    def settle(self, t: int, chance: float) -> None:
        self.settled[t] = max(0.0, chance - SETTLE_MARGIN)
        self.h.changeCoeff(t, 0, 0.0)
        self.h.changeRowBounds(t, self.settled[t], INF)

    def _run(self, solver: str) -> highspy.HighsSolution:
        for _ in range(MAX_RETRIES):
            if solver != self.solver:
                self.h.setOptionValue("solver", solver)
                self.solver = solver
            self.h.run()
            status = self.h.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal:
                return self.h.getSolution()
            if solver == "ipm":
                # The interior-point method can stall on a degenerate master; simplex decides.
                solver = "simplex"
            elif status == highspy.HighsModelStatus.kInfeasible and self.settled:
                # Rounding can leave a settled chance a hair out of reach; lower them all a
                # little, as the paper's implementation does.
                for t, chance in self.settled.items():
                    self.settled[t] = max(0.0, chance - RETRY_MARGIN)
                    self.h.changeRowBounds(t, self.settled[t], INF)
            else:
                break
        raise RuntimeError(f"panel lottery: master LP {self.h.getModelStatus()}")

    def solve_stage(self, pricing: CompositionModel) -> tuple[float, np.ndarray]:
        """Add panels until none improves the master; return z and the groups' dual prices.

        Simplex, restarted from its last basis, is quick while panels are being added. Once no
        panel improves it, the master is solved again by the interior-point method, whose
        duals settle the most groups; if those duals price a new panel, generation goes on.
        """
        seen = set(self.columns)
        solver = "simplex"
        for _ in range(MAX_ROUNDS):
            solution = self._run(solver)
            duals = np.maximum(np.array(solution.row_dual[: self.n]), 0.0)
            weights = duals / self.sizes
            found = pricing.best(list(weights))
            # The panel's reduced cost: how much adding it could still lower -z.
            gain = float(np.dot(weights, found)) + solution.row_dual[self.n] if found else 0.0
            if found is not None and gain > PRICE_TOL and found not in seen:
                seen.add(found)
                self.add(found)
                solver = "simplex"
            elif solver == "simplex":
                solver = "ipm"
            else:
                break
        return float(solution.col_value[0]), duals

    def final(self) -> list[tuple[Composition, float]]:
        """A basic solution (few panels) giving every group its settled chance: column 0 becomes
        e, the largest shortfall, which simplex minimises."""
        h = self.h
        # Chances are published to many decimals: hold the rows tighter than the default 1e-7.
        h.setOptionValue("primal_feasibility_tolerance", 1e-9)
        h.changeColCost(0, 1.0)
        h.changeColBounds(0, 0.0, INF)
        for t in range(self.n):
            h.changeCoeff(t, 0, 1.0)
        values = self._run("simplex").col_value[1:]
        kept = [(c, float(x)) for c, x in zip(self.columns, values, strict=True) if x > 1e-12]
        total = sum(x for _c, x in kept)
        return [(c, x / total) for c, x in kept]


# -- from seat counts to named panels -------------------------------------------------------------


def _name_panels(
    pool: Pool, compositions: list[tuple[Composition, float]]
) -> dict[frozenset[str], float]:
    """Turn each composition into named panels by systematic sampling within each group, then
    keep a basic solution with the same chances for everyone.

    In a group of n with c seats (0 < c < n), member j sits when [j*c/n, (j+1)*c/n) holds a point
    of u + {0, 1, 2, ...}, for one u uniform in [0, 1) shared by the groups. Each member then sits
    with chance exactly c/n, and the choice changes only where u crosses a multiple of 1/d,
    d = n/gcd(n, c): on the s-th step the members floor((s*gcd + n*m)/c), m = 0..c-1, sit.
    """
    panels: dict[frozenset[str], float] = {}
    for counts, probability in compositions:
        steps: dict[int, tuple[int, int]] = {}  # group -> (d, gcd)
        everyone: list[str] = []
        for t, c in enumerate(counts):
            n = len(pool.groups[t].members)
            if c == n:
                everyone.extend(pool.groups[t].members)
            elif c:
                g = math.gcd(n, c)
                steps[t] = (n // g, g)
        cuts = {Fraction(s, d) for d, _g in steps.values() for s in range(d)}
        edges = sorted(cuts | {Fraction(0), Fraction(1)})
        for lo, hi in itertools.pairwise(edges):
            chosen = list(everyone)
            for t, (d, g) in steps.items():
                members, c = pool.groups[t].members, counts[t]
                s = lo.numerator * d // lo.denominator
                chosen.extend(members[(s * g + len(members) * m) // c] for m in range(c))
            key = frozenset(chosen)
            panels[key] = panels.get(key, 0.0) + probability * float(hi - lo)
    return _basic(pool, panels)


def _basic(pool: Pool, panels: dict[frozenset[str], float]) -> dict[frozenset[str], float]:
    """A basic solution of "the panels' probabilities give every volunteer their chance": at
    most one panel more than there are volunteers (Carathéodory)."""
    if len(panels) <= len(pool.ids) + 1:
        return panels
    row = {v: i for i, v in enumerate(pool.ids)}
    target = np.zeros(len(row) + 1)
    for panel, p in panels.items():
        for v in panel:
            target[row[v]] += p
    target[-1] = 1.0
    order = list(panels)
    starts: list[int] = []
    index: list[int] = []
    for panel in order:
        starts.append(len(index))
        index.extend([*sorted(row[v] for v in panel), len(row)])
    h = quiet_solver()
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("primal_feasibility_tolerance", 1e-9)
    empty = (0, np.array([0]), np.array([], np.int32), np.array([]))
    h.addRows(len(target), target, target, *empty)
    m = len(order)
    h.addCols(
        *(m, np.zeros(m), np.zeros(m), np.full(m, INF), len(index)),
        *(np.array(starts, np.int32), np.array(index, np.int32), np.ones(len(index))),
    )
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return panels  # the full list is exact as well, only longer
    values = h.getSolution().col_value
    return {panel: float(x) for panel, x in zip(order, values, strict=True) if x > 1e-12}


def _lottery(pool: Pool, panels: Mapping[frozenset[str], float], stages: int) -> Lottery:
    """Round to whole tickets in a canonical order; chances are read from the rounded lottery,
    so what is reported is exactly what the draw does."""
    ordered = sorted(panels.items(), key=lambda item: sorted(item[0]))
    counted = [(panel, round(p * TICKETS)) for panel, p in ordered]
    kept = [(panel, n) for panel, n in counted if n > 0]
    total = sum(n for _panel, n in kept)
    distribution = tuple((panel, n / total) for panel, n in kept)
    chances = dict.fromkeys(pool.ids, 0.0)
    for panel, p in distribution:
        for v in panel:
            chances[v] += p
    values = [(q.feature, q.value) for q in pool.quotas]
    seen = set(values)
    for v in pool.ids:
        for pair in sorted(pool.profiles[v].items()):
            if pair not in seen:
                seen.add(pair)
                values.append(pair)
    groups = []
    for feature, value in values:
        who = [v for v in pool.ids if pool.profiles[v].get(feature) == value]
        average = sum(chances[v] for v in who) / len(who) if who else 0.0
        groups.append(GroupShare(feature, value, len(who), average))
    return Lottery(
        seats=pool.seats,
        panels=distribution,
        tickets=tuple(n for _panel, n in kept),
        probabilities=chances,
        groups=tuple(groups),
        flagged=tuple(v for v in pool.ids if chances[v] >= HIGH_CHANCE),
        stages=stages,
        pool=pool,
    )


__all__ = [
    "HIGH_CHANCE",
    "Draw",
    "GroupShare",
    "Infeasible",
    "Lottery",
    "Quota",
    "QuotaConflict",
    "Relaxation",
    "Volunteer",
    "apply_relaxations",
    "check_quotas",
    "draw",
    "gini",
    "min_probability",
    "panel_meets_quotas",
    "select_panel",
]
