"""The restricted master of the lottery's column generation, and the generation itself.

Pure. A linear programme (HiGHS) over the compositions found so far, with z, the smallest chance
of the groups not yet settled, and each group's rise above z as columns; `generate` adds improving
compositions until none exists, trying in order of cost local search, the pricing programme's
linear relaxation (rounded when fractional) and the exact integer programme, with Wentges'
smoothing of the duals while z is maximised and several panels per solve.
"""

from __future__ import annotations

import highspy
import numpy as np

from facilitation.panel.clock import Clock, Stop
from facilitation.panel.pool import Composition, Pool
from facilitation.panel.pricing import CompositionModel, LocalSearch
from facilitation.panel.solver import quiet_solver, run_within

INF = highspy.kHighsInf
PRICE_TOL = 1e-9  # a panel must improve the master by more than this to be added
NOISE = 1e-9  # solver tolerance on one group's chance
RISER = 1e-8  # a candidate whose rise exceeds this in a solution is set free
SLACK_CAP = 1e-3  # each candidate's rise counts up to this, so that many rise together
CANDIDATE = 1e-9  # a dual price above this makes a group a candidate for the rise programme
RISE_TOL = 1e-7  # a group is settled when no lottery can raise it further above z than this
SETTLE_MARGIN = 1e-10  # settled a hair below z, so that tolerances keep the master feasible
RETRY_MARGIN = 1e-8  # how far settled chances drop if the master turns out infeasible
MAX_RETRIES = 5
MAX_ROUNDS = 20_000  # pricing rounds in one programme; it converges in far fewer
STARTS = 6  # local searches per pricing round
SPREAD = 12  # panels priced under perturbed duals for each one the programmes find
SPREAD_NOISE = 0.25  # log-normal spread of the perturbation
SMOOTHING = 0.7  # weight of the best-bound duals in the smoothed pricing duals
PRIMAL, DUAL = 4, 1  # HiGHS simplex strategies
STALL_STEPS = 5  # simplex steps per row and column of the master past which a solve stalls
STEPS_UNLIMITED = 2**31 - 1  # HiGHS's own default: no limit
KEEP = 4  # compositions held, per group, before the unused ones are dropped
_EMPTY = (0, np.array([0]), np.array([], np.int32), np.array([]))


class Master:
    """The restricted master over the compositions found so far. Column 0 is z, columns 1..T are
    each group's rise s_t, the others are x_P:

        sum_P x_P * (seats of t in P) / |t|  -  z  -  s_t  >=  0      (t free)
        sum_P x_P * (seats of t in P) / |t|               >=  p_t    (t settled at p_t)
        sum_P x_P = 1,  x >= 0.

    A stage maximises z with every s_t at 0; the settling test fixes z and maximises the
    candidates' s_t, each capped at SLACK_CAP.
    """

    def __init__(
        self,
        pool: Pool,
        pricing: CompositionModel,
        search: LocalSearch,
        clock: Clock,
        *,
        first: str = "simplex",
        runs: int | None = None,
    ) -> None:
        """`first`: the HiGHS solver for the first solve, which has no basis to go on from;
        `runs`: solves allowed before Stop, as at a deadline."""
        self.pool = pool
        self.first = first
        self.runs = runs
        self.pricing = pricing
        pricing.clock = clock
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
        self.ceiling = 1.0  # a bound on z known beforehand, until a group is settled
        self.targets = np.ones(self.n)  # each row asks for z times this
        self.x = np.zeros(0)
        h = quiet_solver()
        h.setOptionValue("presolve", "off")
        h.setOptionValue("run_crossover", "on")
        h.setOptionValue("primal_feasibility_tolerance", 1e-9)
        h.setOptionValue("dual_feasibility_tolerance", 1e-9)
        # New columns and settled rows leave a basis the primal simplex goes on from; its bound
        # perturbation, meant against degeneracy, costs this very degenerate programme three
        # times the steps it saves (the fallback in `run` covers a stall).
        h.setOptionValue("primal_simplex_bound_perturbation_multiplier", 0.0)
        self.solver = "simplex"
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("simplex_strategy", PRIMAL)
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

    def run(self) -> highspy.HighsSolution:
        if self.runs is not None:
            if self.runs <= 0:
                raise Stop
            self.runs -= 1
        for _ in range(MAX_RETRIES):
            self.clock.check()
            self._use("simplex" if self.h.getBasis().valid else self.first)
            # A stall runs on until the deadline unless its steps are counted: past this many,
            # the fallback below takes over.
            self.h.setOptionValue("simplex_iteration_limit", self._steps())
            try:
                status = run_within(self.h, self.clock)
            finally:
                self.h.setOptionValue("simplex_iteration_limit", STEPS_UNLIMITED)
            if status not in (
                highspy.HighsModelStatus.kOptimal,
                highspy.HighsModelStatus.kInfeasible,
            ):
                # Without the bound perturbation the primal simplex can stall on a degenerate
                # basis, and the interior point method can end unsure; the dual simplex, with
                # HiGHS's own safeguards, finishes from there.
                self._use("simplex")
                self.h.setOptionValue("simplex_strategy", DUAL)
                self.h.setOptionValue("primal_simplex_bound_perturbation_multiplier", 1.0)
                try:
                    status = run_within(self.h, self.clock)
                    if status == highspy.HighsModelStatus.kUnknown:
                        # A basis the solver cannot trust any more: start afresh.
                        self.h.clearSolver()
                        status = run_within(self.h, self.clock)
                finally:
                    self.h.setOptionValue("simplex_strategy", PRIMAL)
                    self.h.setOptionValue("primal_simplex_bound_perturbation_multiplier", 0.0)
            if status == highspy.HighsModelStatus.kOptimal:
                solution = self.h.getSolution()
                self.x = np.array(solution.col_value[self.n + 1 :])
                self._prune(solution)
                return solution
            if status == highspy.HighsModelStatus.kInfeasible and self.settled:
                # Rounding can leave a settled chance a hair out of reach; lower them all a
                # little.
                for t, chance in self.settled.items():
                    self.settled[t] = max(0.0, chance - RETRY_MARGIN)
                    self.h.changeRowBounds(t, self.settled[t], INF)
                continue
            break
        raise RuntimeError(f"panel lottery: master LP {self.h.getModelStatus()}")

    def _steps(self) -> int:
        """Simplex steps a solve may take before it counts as stalled: many times what a
        solve from a fresh start takes on a programme this size."""
        return STALL_STEPS * (self.h.getNumRow() + self.h.getNumCol())

    def _prune(self, solution: highspy.HighsSolution) -> None:
        """Keep the programme small: past KEEP times as many compositions as groups, drop the
        unused ones the prices rate worst. Each simplex step costs in proportion to the
        compositions held, and a dropped one comes back through pricing should it pay again."""
        j = len(self.columns)
        if j <= KEEP * self.n:
            return
        status = self.h.getBasis().col_status[self.n + 1 :]
        cost = np.array(solution.col_dual[self.n + 1 :])
        idle = [k for k in range(j) if status[k] == highspy.HighsBasisStatus.kLower]
        idle.sort(key=lambda k: -cost[k])
        drop = np.array(sorted(idle[: j - (KEEP * self.n) // 2]), dtype=np.int32)
        if len(drop) == 0:
            return
        self.h.deleteCols(len(drop), drop + self.n + 1)
        keep = np.ones(j, dtype=bool)
        keep[drop] = False
        for k in drop:
            self.seen.discard(self.columns[int(k)])
        self.columns = [c for c, kept in zip(self.columns, keep, strict=True) if kept]
        self.matrix = self.matrix[:j][keep].copy()
        self.x = self.x[keep]

    def generate(self, bounded: bool, enough: float = INF) -> highspy.HighsSolution:
        """Add improving compositions until none exists, or until z reaches `enough`; return the
        last solution.

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
        solution = self.run()
        for round_ in range(MAX_ROUNDS):
            if solution.col_value[0] >= enough:
                break
            duals = np.maximum(np.array(solution.row_dual[: self.n]), 0.0)
            weights = duals / self.sizes
            floor = -solution.row_dual[self.n] + PRICE_TOL  # a column must be worth more
            if self._search(weights, floor):
                solution = self.run()
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
                if enough < INF and self.bound < enough:
                    break  # z cannot reach it
            added = False
            if found is not None:
                for column in [found, *self.pricing.found, *self._spread(found, weights, round_)]:
                    if float(np.dot(weights, column)) > floor:
                        added |= self.add(column)
            if added:
                smooth = SMOOTHING if bounded else 0.0
                solution = self.run()
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
        z * sum_free y * target + sum_settled y * p  <=  sum_t y_t * chance_t  <=  max_P y . P."""
        free = list(self.free)
        weight = float(np.dot(prices[free], self.targets[free]))
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

    def stage(self, enough: float = INF) -> tuple[float, np.ndarray]:
        """Maximise z over all panels, or only until it reaches `enough`; return z and the
        simplex duals of the group rows."""
        h = self.h
        h.changeColCost(0, -1.0)
        h.changeColBounds(0, 0.0, 1.0)
        self.bound = self.ceiling
        solution = self.generate(bounded=True, enough=enough)
        z = float(solution.col_value[0])
        self.bound = max(self.bound, z)
        return z, np.maximum(np.array(solution.row_dual[: self.n]), 0.0)

    def rise_test(self, z: float, duals: np.ndarray) -> list[int]:
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
            solution = self.generate(bounded=False)
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
            self.settle(int(t), z)
        return [int(t) for t in proven]

    def settle(self, t: int, chance: float) -> None:
        self.ceiling = 1.0  # later stages' z rise above the first one's bound
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
        self.clock.deadline = None  # the answer is known; only its form is left
        self.run()
        return self.distribution()

    def distribution(self) -> list[tuple[Composition, float]]:
        kept = [(c, float(x)) for c, x in zip(self.columns, self.x, strict=False) if x > 1e-12]
        total = sum(x for _c, x in kept)
        return [(c, x / total) for c, x in kept]
