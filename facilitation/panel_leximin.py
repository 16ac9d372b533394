"""The leximin chances of the pool's groups, stage by stage, by column generation.

Pure. Each stage raises z, the smallest chance of the groups not yet settled, keeping every settled
group at its chance, over a distribution of compositions (the *master*, a linear programme). New
compositions come from pricing: local search, then the pricing programme's linear relaxation
(rounded when fractional), then the exact integer programme, until the exact programme or the
relaxation proves that none improves the master: z is then the best over all panels.

A group is settled only when it provably cannot rise. The certificate is the stage's dual prices
y with the exact value M of the panel they favour most: any lottery keeping the free groups at
z + r_t and the settled ones at their chances + r_t has sum_t y_t r_t <= M - z * sum_free y -
sum_settled y p (see `_Master.settle_exactly`), so a group whose price is large enough cannot rise
by more than RISE_TOL. Groups it cannot prove stay free and are settled in a later stage at the
same z; should no group be proven, a second programme maximises the candidates' rise (with its own
column generation) and settles those that cannot rise at all.

The work stops between two solves when a deadline passes or a cancel callback says so. A deadline
leaves the master's current distribution, which always meets the quotas, with the smallest chance
it guarantees and an upper bound on what the leximin could reach.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import highspy
import numpy as np

from facilitation.panel_pool import Composition, Pool
from facilitation.panel_pricing import CompositionModel, LocalSearch
from facilitation.panel_reach import cover

INF = highspy.kHighsInf
PRICE_TOL = 1e-9  # a panel must improve the master by more than this to be added
RISE_TOL = 1e-7  # a group is settled when no lottery can raise it further above z than this
NOISE = 1e-9  # solver tolerance on one group's chance
RISER = 1e-8  # a candidate whose rise exceeds this in a solution is set free
SLACK_CAP = 1e-3  # each candidate's rise counts up to this, so that many rise together
CANDIDATE = 1e-9  # a dual price above this makes a group a candidate for the rise programme
CERTIFICATE_SLACK = 1e-10  # the exact programme's tolerance on the best panel's value
SETTLE_MARGIN = 1e-10  # settled a hair below z, so that tolerances keep the master feasible
RETRY_MARGIN = 1e-8  # how far settled chances drop if the master turns out infeasible
MAX_RETRIES = 5
MAX_ROUNDS = 20_000  # pricing rounds in one programme; it converges in far fewer
STARTS = 6  # local searches per pricing round
SPREAD = 12  # panels priced under perturbed duals for each one the programmes find
SPREAD_NOISE = 0.25  # log-normal spread of the perturbation
WARM_START = 60  # local searches with multiplicative weights before the first solve
PRIMAL, DUAL = 4, 1  # HiGHS simplex strategies
SMOOTHING = 0.7  # weight of the best-bound duals in the smoothed pricing duals
REACH_TOL = 1e-9  # targets count as reached when every group gets this close, relatively
MAX_STALLS = 3  # stages in a row that settle nothing before the largest dual settles


class Cancelled(Exception):
    """The computation was cancelled before it finished."""


class _Stop(Exception):
    """The deadline passed."""


@dataclass(frozen=True, slots=True)
class Progress:
    """Where the computation stands, reported between solves."""

    stage: int
    settled: int  # volunteers whose chance is settled
    volunteers: int
    smallest: float  # the smallest chance of a lottery already in hand
    bound: float  # the leximin's smallest chance is at most this
    seconds: float


@dataclass(frozen=True, slots=True)
class Outcome:
    """The distribution over compositions, and how far the computation got."""

    compositions: list[tuple[Composition, float]]
    chances: np.ndarray  # each group's chance under the distribution
    stages: int
    exact: bool  # False when the deadline stopped it: the lottery is leximin only so far
    smallest: float  # its smallest chance, leaving out only volunteers no panel can seat
    bound: float  # the leximin's smallest chance is at most this
    solves: int  # integer programmes solved


class Clock:
    """The deadline, the cancel callback and the progress callback, checked between solves."""

    def __init__(
        self,
        limit: float | None,
        cancel: Callable[[], bool] | None,
        progress: Callable[[Progress], None] | None,
    ) -> None:
        self.start = time.monotonic()
        self.deadline = None if limit is None else self.start + limit
        self.cancel = cancel
        self.progress = progress

    def check(self) -> None:
        if self.cancel is not None and self.cancel():
            raise Cancelled
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise _Stop

    def elapsed(self) -> float:
        return time.monotonic() - self.start


def leximin(
    pool: Pool,
    pricing: CompositionModel,
    first: Composition,
    clock: Clock,
    *,
    warm: Sequence[Composition] = (),
    stages: int | None = None,
) -> Outcome:
    """The leximin distribution over compositions, or as far as the deadline allows; `warm`
    compositions seed the master, and `stages` stops after that many stages (not exact)."""
    search = LocalSearch(pool)
    master = _Master(pool, pricing, search, clock)
    master.add(first)
    for column in warm:
        master.add(column)
    state = _State(pool)
    try:
        reachable = _initial_columns(pool, pricing, search, master, first, clock)
        master.start(reachable)
        state.settle({t: 0.0 for t in range(len(pool.groups)) if t not in reachable})
        stalls = 0
        while master.free and (stages is None or state.stages < stages):
            clock.check()
            state.stages += 1
            z, duals = master.stage()
            state.report(clock, master, z)
            settled = master.settle_exactly(z, duals)
            # In exact arithmetic some candidate always stays put; should rounding make every
            # one of them rise several times over, the largest dual settles as in the paper.
            stalls = 0 if settled else stalls + 1
            if stalls >= MAX_STALLS:
                settled = [master.settle_largest(duals, z)]
                stalls = 0
            state.settle(dict.fromkeys(settled, z))
            state.report(clock, master, z)
    except _Stop:
        return master.partial(state)
    if master.free:
        return master.partial(state)
    compositions = master.final()
    return _outcome(pool, compositions, state.stages, True, master, pricing)


def reach(
    pool: Pool,
    pricing: CompositionModel,
    first: Composition,
    clock: Clock,
    targets: np.ndarray,
    warm: Sequence[Composition] = (),
) -> tuple[list[tuple[Composition, float]], np.ndarray] | None:
    """A distribution over compositions giving every group at least its target chance, or None
    when none does (within REACH_TOL): max lambda such that each group's chance is at least
    lambda times its target, by the same column generation; the targets are reached when
    lambda is 1."""
    master = _Master(pool, pricing, LocalSearch(pool), clock)
    for column in (first, *warm):
        master.add(column)
    master.free = set(range(master.n))
    for t in range(master.n):
        master.h.changeCoeff(t, 0, -float(targets[t]))
    try:
        lam, _duals = master.stage()
    except _Stop:
        return None
    if lam < 1.0 - REACH_TOL:
        return None
    compositions = master._distribution()
    chances = np.zeros(master.n)
    for column, x in compositions:
        chances += x * np.array(column) / master.sizes
    return compositions, chances


class _State:
    def __init__(self, pool: Pool) -> None:
        self.sizes = pool.sizes
        self.settled: dict[int, float] = {}
        self.stages = 0
        self.smallest = 0.0
        self.bound = 1.0

    def settle(self, chances: dict[int, float]) -> None:
        self.settled.update(chances)

    def report(self, clock: Clock, master: _Master, z: float) -> None:
        positive = [c for c in self.settled.values() if c > 0]
        if self.stages == 1 or not positive:
            self.smallest, self.bound = z, master.bound
        else:
            self.smallest = self.bound = min(positive)
        if clock.progress is not None:
            settled = int(sum(self.sizes[t] for t in self.settled))
            clock.progress(
                Progress(
                    self.stages,
                    settled,
                    int(self.sizes.sum()),
                    self.smallest,
                    self.bound,
                    clock.elapsed(),
                )
            )


def _initial_columns(
    pool: Pool,
    pricing: CompositionModel,
    search: LocalSearch,
    master: _Master,
    first: Composition,
    clock: Clock,
) -> set[int]:
    """A diverse warm start, and the groups some panel can take (the others' chance is 0).

    Local search with multiplicative weights (a group's weight shrinks each time it gets seats)
    spreads the seats; then panels are sought that seat groups still left out, by local search
    and then by the exact programme, until it proves that no panel seats any of the rest."""
    n_groups = len(pool.groups)
    sizes = pool.sizes
    # Slightly unequal starting weights break ties between equally good panels the same way
    # every time.
    weights = np.array([1.0 + 1e-3 * ((t * 7919) % 101) / 101 for t in range(n_groups)])
    column = first
    for _ in range(min(n_groups, WARM_START)):
        clock.check()
        column = search.climb(column, weights)
        master.add(column)
        weights *= 0.8 ** (np.array(column) / sizes)
        weights /= weights.max()
    seen = {t for c in master.columns for t, n in enumerate(c) if n}
    return cover(pool, pricing, search, column, master.add, clock.check, seen)


class _Master:
    """The restricted master over the compositions found so far. Column 0 is z, columns 1..T are
    each group's rise s_t, the others are x_P:

        sum_P x_P * (seats of t in P) / |t|  -  z  -  s_t  >=  0      (t free)
        sum_P x_P * (seats of t in P) / |t|               >=  p_t    (t settled at p_t)
        sum_P x_P = 1,  x >= 0.

    A stage maximises z with every s_t at 0; the settling test fixes z and maximises the
    candidates' s_t, each capped at SLACK_CAP.
    """

    def __init__(
        self, pool: Pool, pricing: CompositionModel, search: LocalSearch, clock: Clock
    ) -> None:
        self.pool = pool
        self.pricing = pricing
        self.search = search
        self.clock = clock
        self.sizes = pool.sizes
        self.n = len(self.sizes)
        self.columns: list[Composition] = []
        self.seen: set[Composition] = set()
        self.matrix = np.zeros((64, self.n), dtype=np.float64)  # rows: columns' seat shares
        self.settled: dict[int, float] = {}
        self.free: set[int] = set()
        self.unreachable: set[int] = set()
        self.bound = 1.0
        self.x = np.zeros(0)
        h = highspy.Highs()
        h.silent()
        h.setOptionValue("presolve", "off")
        h.setOptionValue("run_crossover", "off")
        h.setOptionValue("primal_feasibility_tolerance", 1e-9)
        h.setOptionValue("dual_feasibility_tolerance", 1e-9)
        self.solver = "simplex"
        h.setOptionValue("solver", "simplex")
        self.simplex = DUAL
        h.setOptionValue("simplex_strategy", DUAL)
        n = self.n
        h.addRows(n + 1, np.zeros(n + 1), np.array([INF] * n + [1.0]), *_EMPTY)
        h.changeRowBounds(n, 1.0, 1.0)
        h.addCol(-1.0, 0.0, 1.0, 0, np.array([], np.int32), np.array([]))
        ones = np.arange(n, dtype=np.int32)
        h.addCols(
            n,
            np.zeros(n),
            np.zeros(n),
            np.zeros(n),
            n,
            ones,
            ones,
            -np.ones(n),
        )
        self.h = h

    def add(self, column: Composition) -> bool:
        if column in self.seen:
            return False
        self.seen.add(column)
        index = [t for t, k in enumerate(column) if k]
        values = [column[t] / self.sizes[t] for t in index] + [1.0]
        index.append(self.n)
        self.h.addCol(0.0, 0.0, INF, len(index), np.array(index, np.int32), np.array(values))
        j = len(self.columns)
        if j == len(self.matrix):
            self.matrix = np.vstack([self.matrix, np.zeros_like(self.matrix)])
        self.matrix[j] = np.array(column) / self.sizes
        self.columns.append(column)
        return True

    def start(self, reachable: set[int]) -> None:
        """Free the groups some panel can take; the rest are settled at 0."""
        self.free = set(reachable)
        self.unreachable = set(range(self.n)) - reachable
        for t in range(self.n):
            if t in reachable:
                self.h.changeCoeff(t, 0, -1.0)
            else:
                self.settled[t] = 0.0

    # -- solving --------------------------------------------------------------------------------

    def _use(self, solver: str) -> None:
        if solver != self.solver:
            self.h.setOptionValue("solver", solver)
            self.solver = solver

    def _moved(self) -> None:
        """Bounds changed: the basis stays dual feasible, so the dual simplex goes first."""
        self.strategy(DUAL)

    def strategy(self, which: int) -> None:
        if which != self.simplex:
            self.h.setOptionValue("simplex_strategy", which)
            self.simplex = which

    def _run(self) -> highspy.HighsSolution:
        for _ in range(MAX_RETRIES):
            self.clock.check()
            self._use("simplex")
            self.h.run()
            status = self.h.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal:
                solution = self.h.getSolution()
                self.x = np.array(solution.col_value[self.n + 1 :])
                # New columns leave the basis primal feasible: the primal simplex goes on.
                self.strategy(PRIMAL)
                return solution
            if status == highspy.HighsModelStatus.kInfeasible and self.settled:
                # Rounding can leave a settled chance a hair out of reach; lower them all a
                # little.
                for t, chance in self.settled.items():
                    self.settled[t] = max(0.0, chance - RETRY_MARGIN)
                    self.h.changeRowBounds(t, self.settled[t], INF)
                self._moved()
                continue
            break
        raise RuntimeError(f"panel lottery: master LP {self.h.getModelStatus()}")

    def _generate(self, bounded: bool) -> highspy.HighsSolution:
        """Add improving compositions until none exists; return the optimal solution.

        Each round tries, in order of cost: local searches from the compositions in hand; the
        linear relaxation of pricing, whose optimum bounds every panel's value and, when whole,
        is the best panel; the exact integer programme. While z is maximised, the relaxation
        and the programme price with the duals smoothed towards the ones that gave the best
        (lowest) Lagrangian bound so far (Wentges' smoothing), which damps the duals' swings
        that otherwise make column generation crawl near the optimum; when a smoothed price
        finds nothing the lottery can use, the plain duals decide. A panel found this way is
        the start of a few more local searches under perturbed duals, so that each solve of
        the master gets several new columns."""
        centre: np.ndarray | None = None
        best_bound = INF
        smooth = SMOOTHING if bounded else 0.0
        solution = self._run()
        for round_ in range(MAX_ROUNDS):
            duals = np.maximum(np.array(solution.row_dual[: self.n]), 0.0)
            weights = duals / self.sizes
            floor = -solution.row_dual[self.n] + PRICE_TOL  # a column must be worth more
            if self._search(weights, floor):
                solution = self._run()
                continue
            self.clock.check()
            prices = (
                duals
                if centre is None or smooth == 0.0
                else (smooth * centre + (1.0 - smooth) * duals)
            )
            found, value = self._price(prices / self.sizes, weights, floor, smooth == 0.0)
            if found is None and value == INF:
                break
            if bounded:
                bound = self._lagrangian(prices, value)
                if bound < best_bound:
                    best_bound, centre = bound, prices
                    self.bound = min(self.bound, bound)
            added = False
            if found is not None:
                for column in [found, *self.pricing.found, *self._spread(found, weights, round_)]:
                    if float(np.dot(weights, column)) > floor:
                        added |= self.add(column)
            if added:
                smooth = SMOOTHING if bounded else 0.0
                solution = self._run()
            elif smooth > 0.0:
                smooth = 0.0  # mispriced: the plain duals have the last word
            else:
                break
        return solution

    def _price(
        self, prices: np.ndarray, weights: np.ndarray, floor: float, final: bool
    ) -> tuple[Composition | None, float]:
        """The best panel for the prices and an upper bound on its value; the relaxation
        answers when it is whole or, for the plain duals, when it proves nothing improves."""
        self.pricing.found = []
        bound, whole = self.pricing.relaxed(prices)
        if whole is not None:
            return whole, bound
        if final and bound <= floor:
            return None, bound
        if not final:
            # Smoothed duals only need a good panel; the bound stays the relaxation's.
            near = self.pricing.rounded(prices)
            if near is not None and float(np.dot(weights, near)) > floor:
                return near, bound
        found = self.pricing.best(prices)
        if found is None:
            return None, INF
        return found, float(np.dot(prices, found))

    def _spread(self, found: Composition, weights: np.ndarray, round_: int) -> list[Composition]:
        """More panels for the same solve of the master, since its cost hardly depends on how
        many come at once: the relaxation (rounded where it is fractional) under randomly
        perturbed duals, each improved by local search under the true ones."""
        rng = np.random.default_rng(round_)
        out = [self.search.climb(found, weights)]
        for _ in range(SPREAD):
            noisy = weights * rng.lognormal(0.0, SPREAD_NOISE, size=len(weights))
            _bound, whole = self.pricing.relaxed(noisy)
            column = whole if whole is not None else self.pricing.rounded(noisy)
            if column is not None:
                out.append(self.search.climb(column, weights))
        return out

    def _lagrangian(self, prices: np.ndarray, best: float) -> float:
        """An upper bound on z over all lotteries from prices y >= 0 and (an upper bound on) the
        value of the panel they value most:
        z * sum_free y + sum_settled y * p  <=  sum_t y_t * chance_t  <=  max_P y . P."""
        free = list(self.free)
        weight = float(prices[free].sum())
        if weight <= 0:
            return INF
        value = best - sum(prices[t] * chance for t, chance in self.settled.items())
        return value / weight

    def _search(self, weights: np.ndarray, floor: float) -> bool:
        """Local searches from the most valuable compositions in hand; True if one improved."""
        j = len(self.columns)
        scores = self.matrix[:j] @ (weights * self.sizes)
        starts = np.argsort(-scores)[:STARTS]
        added = False
        for s in starts:
            column = self.search.climb(self.columns[int(s)], weights)
            if float(np.dot(weights, column)) > floor:
                added |= self.add(column)
        return added

    def stage(self) -> tuple[float, np.ndarray]:
        """Maximise z over all panels; return z and the simplex duals of the group rows."""
        h = self.h
        h.changeColCost(0, -1.0)
        h.changeColBounds(0, 0.0, 1.0)
        self._moved()
        self.bound = 1.0
        solution = self._generate(bounded=True)
        z = float(solution.col_value[0])
        self.bound = max(self.bound, z)
        return z, np.maximum(np.array(solution.row_dual[: self.n]), 0.0)

    def settle_exactly(self, z: float, duals: np.ndarray) -> list[int]:
        """The free groups that provably cannot rise above z, now settled at z.

        The certificate: for any prices y >= 0 on the group rows, every lottery with the free
        groups at z + r_t and the settled ones at p_t + r_t (r >= 0) has
            sum_t y_t r_t  <=  G = max_P sum_t y_t (seats of t in P) / |t|
                                  - z * sum_free y_t - sum_settled y_t p_t,
        where the maximum is bounded by the pricing relaxation or found by the exact programme;
        so group u can rise by at most G / y_u. The simplex prices of the stage's optimum make
        G nil up to tolerances, since column generation has converged. (Interior-point prices,
        positive on every group that cannot rise, would settle more at once, but they are
        interior to the *restricted* master's optimal face and usually price out panels it
        lacks, leaving G large.) Groups whose price is too small to prove them stuck stay free
        and are settled in a later stage at the same z. Should nothing be proven, the rise
        programme decides (see `_rise_test`)."""
        for _ in range(MAX_STALLS):
            proven, found = self._certify(z, duals)
            if proven:
                for t in proven:
                    self._settle(t, z)
                return proven
            # The prices prove nothing: a panel they value more than the lottery goes in, and
            # the stage is solved again.
            if found is None or not any([self.add(c) for c in [found, *self.pricing.found]]):
                break
            z, duals = self.stage()
        return self._rise_test(z, duals)

    def _certify(self, z: float, prices: np.ndarray) -> tuple[list[int], Composition | None]:
        """The groups these prices prove stuck at z, and the best panel for them if priced."""
        weights = prices / self.sizes
        free = sorted(self.free)
        given = z * float(prices[free].sum())
        given += sum(prices[t] * chance for t, chance in self.settled.items())
        # The relaxation's bound is cheap and often enough; the exact programme's value is
        # tighter when it is not.
        best, found = self.pricing.relaxed(weights)
        proven = self._proven(free, prices, best - given)
        if not proven:
            found = self.pricing.best(weights)
            if found is None:
                return [], None
            proven = self._proven(free, prices, float(np.dot(weights, found)) - given)
        return proven, found

    def _proven(self, free: list[int], prices: np.ndarray, gap: float) -> list[int]:
        """The free groups whose rise the certificate bounds by RISE_TOL."""
        gap = max(gap, 0.0) + CERTIFICATE_SLACK
        return [t for t in free if prices[t] > 0 and gap <= RISE_TOL * prices[t]]

    def _rise_test(self, z: float, duals: np.ndarray) -> list[int]:
        """Settle the candidates that cannot rise: keep z and every settled chance, maximise the
        candidates' total rise (each capped), set free those that rise, until the best total
        rise is nil."""
        h = self.h
        free = sorted(self.free)
        candidates = {t for t in free if duals[t] > CANDIDATE} or set(free)
        h.changeColCost(0, 0.0)
        # Held a hair below z so that tolerances keep the programme feasible; a rise counts
        # from there, hence NOISE per candidate in the test.
        h.changeColBounds(0, z - NOISE, z - NOISE)
        proven: list[int] = []
        while candidates:
            index = np.array(sorted(candidates), dtype=np.int32)
            h.changeColsBounds(
                len(index), index + 1, np.zeros(len(index)), np.full(len(index), SLACK_CAP)
            )
            h.changeColsCost(len(index), index + 1, -np.ones(len(index)))
            self._moved()
            solution = self._generate(bounded=False)
            rise = np.array(solution.col_value[1 : self.n + 1])
            h.changeColsBounds(len(index), index + 1, np.zeros(len(index)), np.zeros(len(index)))
            h.changeColsCost(len(index), index + 1, np.zeros(len(index)))
            total = float(rise[index].sum())
            if total <= RISE_TOL + NOISE * len(index):
                proven = list(index)
                break
            risers = {t for t in candidates if rise[t] > RISER}
            candidates -= risers or {int(index[np.argmax(rise[index])])}
        h.changeColBounds(0, 0.0, 1.0)
        h.changeColCost(0, -1.0)
        for t in proven:
            self._settle(int(t), z)
        return [int(t) for t in proven]

    def settle_largest(self, duals: np.ndarray, z: float) -> int:
        t = max(self.free, key=lambda u: duals[u])
        self._settle(t, z)
        return t

    def _settle(self, t: int, chance: float) -> None:
        self.settled[t] = max(0.0, chance - SETTLE_MARGIN)
        self.free.discard(t)
        self.h.changeCoeff(t, 0, 0.0)
        self.h.changeRowBounds(t, self.settled[t], INF)

    def final(self) -> list[tuple[Composition, float]]:
        """A basic solution (few compositions) giving every group its settled chance: column 0
        becomes e, the largest shortfall, which simplex minimises."""
        h = self.h
        h.changeColCost(0, 1.0)
        h.changeColBounds(0, 0.0, INF)
        for t in range(self.n):
            h.changeCoeff(t, 0, 1.0)
        self._moved()
        self.clock.deadline = None  # the answer is known; only its form is left
        self._run()
        return self._distribution()

    def _distribution(self) -> list[tuple[Composition, float]]:
        kept = [(c, float(x)) for c, x in zip(self.columns, self.x, strict=False) if x > 1e-12]
        total = sum(x for _c, x in kept)
        return [(c, x / total) for c, x in kept]

    def partial(self, state: _State) -> Outcome:
        """The distribution of the last solve: it meets the quotas; leximin only so far."""
        compositions = [(self.columns[0], 1.0)] if len(self.x) == 0 else self._distribution()
        return _outcome(self.pool, compositions, state.stages, False, self, self.pricing, state)


_EMPTY = (0, np.array([0]), np.array([], np.int32), np.array([]))


def _outcome(
    pool: Pool,
    compositions: list[tuple[Composition, float]],
    stages: int,
    exact: bool,
    master: _Master,
    pricing: CompositionModel,
    state: _State | None = None,
) -> Outcome:
    chances = np.zeros(len(pool.groups))
    for column, x in compositions:
        chances += x * np.array(column) / master.sizes
    # Groups proven out of every panel do not count; any other group does, even at 0.
    seatable = [t for t in range(len(chances)) if t not in master.unreachable]
    smallest = float(chances[seatable].min()) if seatable else 0.0
    if exact:
        bound = smallest
    else:
        bound = master.bound if state is None or state.stages <= 1 else state.bound
        bound = max(bound, smallest)
    return Outcome(compositions, chances, stages, exact, smallest, bound, pricing.solves)
