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

The work stops when a deadline passes, within a solve as between two, or between two solves when
a cancel callback says so. A deadline leaves the master's last distribution, which always meets
the quotas, with the smallest chance it guarantees and an upper bound on what the leximin could
reach.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from facilitation.panel.clock import Clock, Progress, Stop
from facilitation.panel.master import RISE_TOL, Master
from facilitation.panel.pool import Composition, Pool, chances_under
from facilitation.panel.pricing import CompositionModel, LocalSearch
from facilitation.panel.reach import cover

CERTIFICATE_SLACK = 1e-10  # the exact programme's tolerance on the best panel's value
WARM_START = 60  # local searches with multiplicative weights before the first solve
REACH_TOL = RISE_TOL  # targets count as reached when every group gets this close to its own
CLOSE = 1e-9  # lambda this close to 1 is as far as a column generation aiming at targets goes
MAX_STALLS = 3  # stages in a row that settle nothing before the largest dual settles


@dataclass(frozen=True, slots=True)
class Outcome:
    """The distribution over compositions, and how far the computation got."""

    compositions: list[tuple[Composition, float]]  # empty when `named` is given: it says all
    chances: np.ndarray  # each group's chance under the distribution
    stages: int
    exact: bool  # False when the deadline stopped it: the lottery is leximin only so far
    smallest: float  # its smallest chance, leaving out only volunteers no panel can seat
    bound: float  # the leximin's smallest chance is at most this
    solves: int  # integer programmes solved
    named: Mapping[frozenset[str], float] | None = None  # its named panels, if a route has them


def leximin(
    pool: Pool,
    pricing: CompositionModel,
    first: Composition,
    clock: Clock,
    *,
    warm: Sequence[Composition] = (),
    stages: int | None = None,
    relaxed: np.ndarray | None = None,
) -> Outcome:
    """The leximin distribution over compositions, or as far as the deadline allows; `warm`
    compositions seed the master, `stages` stops after that many stages (not exact), and
    `relaxed`, the chances of the leximin over fractional panels, bounds the first stage."""
    search = LocalSearch(pool)
    master = Master(pool, pricing, search, clock)
    master.add(first)
    for column in warm:
        master.add(column)
    state = _State(pool)
    try:
        reachable = _initial_columns(pool, pricing, search, master, first, clock)
        master.start(reachable)
        if relaxed is not None and reachable == set(np.flatnonzero(relaxed > 1e-9).tolist()):
            # Over the same groups, no lottery's smallest chance beats the fractional one's.
            master.ceiling = float(relaxed[list(reachable)].min(initial=1.0))
        state.settle({t: 0.0 for t in range(len(pool.groups)) if t not in reachable})
        stalls = 0
        while master.free and (stages is None or state.stages < stages):
            clock.check()
            state.stages += 1
            z, duals = master.stage()
            state.report(clock, master, z)
            settled = settle_exactly(master, z, duals)
            # In exact arithmetic some candidate always stays put; should rounding make every
            # one of them rise several times over, the largest dual settles as in the paper.
            stalls = 0 if settled else stalls + 1
            if stalls >= MAX_STALLS:
                settled = [settle_largest(master, duals, z)]
                stalls = 0
            state.settle(dict.fromkeys(settled, z))
            state.report(clock, master, z)
    except Stop:
        return partial(master, state)
    if master.free:
        return partial(master, state)
    compositions = master.final()
    return _outcome(pool, compositions, state.stages, True, master, pricing)


@dataclass(frozen=True, slots=True)
class Reached:
    """A distribution over compositions aimed at target chances, and whether it gives them."""

    compositions: list[tuple[Composition, float]]
    chances: np.ndarray  # each group's chance under the distribution
    complete: bool  # every group gets its target (within REACH_TOL)


def reach(
    pool: Pool,
    pricing: CompositionModel,
    first: Composition,
    clock: Clock,
    targets: np.ndarray,
    warm: Sequence[Composition] = (),
    runs: int | None = None,
) -> Reached | None:
    """A distribution over compositions giving every group at least its target chance: max
    lambda such that each group's chance is at least lambda times its target, by the same
    column generation; the targets are reached when lambda is 1, or so close to it that no
    group falls short by more than REACH_TOL, the tolerance a settled chance has. When no
    lottery reaches them, or the deadline passes first, the distribution in hand, which meets
    the quotas, is not complete; None if the deadline passed before there was one. `runs`
    bounds the master's solves as the deadline bounds its time."""
    # Many warm columns make the first solve one the primal simplex without perturbation can
    # stall on for minutes, this programme being very degenerate: the interior point method
    # takes it, and its crossover leaves the basis every later solve goes on from.
    master = Master(pool, pricing, LocalSearch(pool), clock, first="ipm", runs=runs)
    for column in (first, *warm):
        master.add(column)
    master.free = set(range(master.n))
    master.targets = np.asarray(targets, dtype=float)
    for t in range(master.n):
        master.h.changeCoeff(t, 0, -float(targets[t]))
    try:
        # Reaching the targets is all that is asked: lambda need not be maximised further.
        lam, _duals = master.stage(enough=1.0 - CLOSE)
    except Stop:
        lam = 0.0
    # Targets worked out over fractional panels are only as exact as that solver's tolerances:
    # on large pools their total can exceed the seats by some 1e-8, and lambda then stops a
    # little short of 1. Chances settled in stages carry the same tolerance, absolute.
    enough = 1.0 - REACH_TOL / max(float(np.max(targets, initial=0.0)), REACH_TOL)
    if len(master.x) == 0:
        return None
    compositions = master.distribution()
    return Reached(compositions, chances_under(compositions, master.sizes), lam >= enough)


class _State:
    def __init__(self, pool: Pool) -> None:
        self.sizes = pool.sizes
        self.settled: dict[int, float] = {}
        self.stages = 0
        self.smallest = 0.0
        self.bound = 1.0

    def settle(self, chances: dict[int, float]) -> None:
        self.settled.update(chances)

    def report(self, clock: Clock, master: Master, z: float) -> None:
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
    master: Master,
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


def settle_exactly(master: Master, z: float, duals: np.ndarray) -> list[int]:
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
        proven, found = _certify(master, z, duals)
        if proven:
            for t in proven:
                master.settle(t, z)
            return proven
        # The prices prove nothing: a panel they value more than the lottery goes in, and
        # the stage is solved again.
        if found is None or not any([master.add(c) for c in [found, *master.pricing.found]]):
            break
        z, duals = master.stage()
    return master.rise_test(z, duals)


def _certify(master: Master, z: float, prices: np.ndarray) -> tuple[list[int], Composition | None]:
    """The groups these prices prove stuck at z, and the best panel for them if priced."""
    weights = prices / master.sizes
    free = sorted(master.free)
    given = z * float(prices[free].sum())
    given += sum(prices[t] * chance for t, chance in master.settled.items())
    # The relaxation's bound is cheap and often enough; the exact programme's value is
    # tighter when it is not.
    best, found = master.pricing.relaxed(weights)
    proven = _proven(master, free, prices, best - given)
    if not proven:
        found = master.pricing.best(weights)
        if found is None:
            return [], None
        proven = _proven(master, free, prices, float(np.dot(weights, found)) - given)
    return proven, found


def _proven(master: Master, free: list[int], prices: np.ndarray, gap: float) -> list[int]:
    """The free groups whose rise the certificate bounds by RISE_TOL."""
    gap = max(gap, 0.0) + CERTIFICATE_SLACK
    return [t for t in free if prices[t] > 0 and gap <= RISE_TOL * prices[t]]


def settle_largest(master: Master, duals: np.ndarray, z: float) -> int:
    t = max(master.free, key=lambda u: duals[u])
    master.settle(t, z)
    return t


def partial(master: Master, state: _State) -> Outcome:
    """The distribution of the last solve: it meets the quotas; leximin only so far."""
    compositions = [(master.columns[0], 1.0)] if len(master.x) == 0 else master.distribution()
    return _outcome(master.pool, compositions, state.stages, False, master, master.pricing, state)


def _outcome(
    pool: Pool,
    compositions: list[tuple[Composition, float]],
    stages: int,
    exact: bool,
    master: Master,
    pricing: CompositionModel,
    state: _State | None = None,
) -> Outcome:
    chances = chances_under(compositions, master.sizes)
    # Groups proven out of every panel do not count; any other group does, even at 0.
    seatable = [t for t in range(len(chances)) if t not in master.unreachable]
    smallest = float(chances[seatable].min()) if seatable else 0.0
    if exact:
        bound = smallest
    else:
        bound = master.bound if state is None or state.stages <= 1 else state.bound
        bound = max(bound, smallest)
    return Outcome(compositions, chances, stages, exact, smallest, bound, pricing.solves)
