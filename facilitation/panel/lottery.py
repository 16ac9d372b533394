"""The panel lottery: a random panel that always meets the quotas, as fair as they allow.

Every volunteer gets as fair a chance of a seat as the quotas allow. The lottery is the *leximin*
one of Flanigan, Gölz, Gupta, Hennig and Procaccia, "Fair algorithms for selecting citizens'
assemblies", Nature 596 (2021): of all the ways to choose at random between panels that meet the
quotas, take the one whose smallest chance of a seat is as large as possible; among those, the one
whose second smallest chance is as large as possible; and so on. It is computed as in the paper, by
column generation in stages (facilitation.panel.leximin), over groups of volunteers the quotas
cannot tell apart (facilitation.panel.pool), who all get the same chance; a group's chance is
settled only once a linear programme proves it cannot rise. Seat counts are then turned into named
panels combinatorially (facilitation.panel.naming).

Under the one-per-household rule the lottery without the rule comes first: its named panels, with
seats exchanged between people alike so that no housemates sit together and nobody's chance moves
(facilitation.panel.households), are the leximin lottery with the rule, which only removes panels.
That first lottery keeps what the rule implies for whole groups (a group holding two housemates
never sits whole: `_caps`), and keeps the rule itself for homes that exchanges could not part:
those whose people all have answers few share, and those whose chances without the rule add up
to more than one. Homes no exchange can part get the rule in it, and it is worked out again,
starting from the chances it had whenever fractional panels still allow them.

A time limit, a cancel callback and a progress callback can be given. When the limit passes first,
the lottery is the one reached so far: it still meets the quotas, `exact` is False, and its
smallest chance and an upper bound on what the leximin could reach are reported.

The draw is reproducible and checkable by anyone: the panels are listed in a canonical order with
whole tickets, and the published seed picks the ticket (see `draw`). For a lottery anyone can draw
by hand, over a few numbered panels and with a seed nobody controls, see facilitation.panel.uniform
and facilitation.panel.verify.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from facilitation.panel.alternates import choose_alternates
from facilitation.panel.clock import Cancelled, Clock, Progress, Stop
from facilitation.panel.coverage import covering, left_out
from facilitation.panel.households import apart
from facilitation.panel.leximin import REACH_TOL, Outcome, Reached, leximin, reach
from facilitation.panel.naming import name_panels
from facilitation.panel.pool import Composition, Pool, build_pool, chances_under
from facilitation.panel.pricing import CompositionModel
from facilitation.panel.quotas import (
    Infeasible,
    Quota,
    QuotaConflict,
    Relaxation,
    Volunteer,
    apply_relaxations,
    check_quotas,
    explain_infeasible,
    panel_meets_quotas,
)
from facilitation.panel.relaxation import Unsolved, panels_towards, relaxed_leximin

HIGH_CHANCE = 0.8  # a chance this high is flagged: that volunteer is all but sure of a seat
TICKETS = 10**12  # the distribution is published as whole tickets out of about this many
SEATABLE = 1e-9  # a group whose leximin chance is below this is one no panel can seat
FEW_ALIKE = 12  # a home where each has at most this many alike (themselves too) is crowded
AGAIN_RUNS = 120  # solves a guide started from the one before may take, then it goes afresh
GUIDES = 12  # times the lottery without the rule is worked out, with it for more homes each time
WARM_LIMIT = (
    4_000  # panels of the lottery in hand, most likely first, that seed a column generation
)
PROGRESS_STEPS = 20  # steps of the walk to whole panels between two progress reports


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
    exact: bool = True  # False when the time limit stopped it: leximin only so far
    smallest: float = 0.0  # the smallest chance, leaving out only volunteers no panel can seat
    bound: float = 0.0  # the leximin's smallest chance (as above) is at most this

    @property
    def compositions(self) -> list[tuple[Composition, float]]:
        """The lottery as one over compositions (seats per group of pool.groups), most likely
        first, as its panels give it."""
        return self.pool.compositions(dict(self.panels))[0]

    @property
    def min_probability(self) -> float:
        return min_probability(self.probabilities.values())

    @property
    def gini(self) -> float:
        return gini(self.probabilities.values())


@dataclass(frozen=True, slots=True)
class Draw:
    """One panel drawn with a published seed, and the alternates in the order they are called."""

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
    time_limit: float | None = None,
    cancel: Callable[[], bool] | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> Lottery:
    """The leximin lottery over panels of `seats` that meet the quotas; raises Infeasible.

    With `time_limit` (seconds) the computation stops between two solves once it has passed and
    returns the lottery reached so far (`exact` False); `cancel` is asked between solves and
    raises Cancelled when it answers True; `progress` is told the stage and the smallest chance
    guaranteed so far."""
    pool = build_pool(volunteers, seats, quotas, one_per_household=one_per_household)
    pricing = CompositionModel(pool)
    first = pricing.best([1.0] * len(pool.groups))
    if first is None:
        raise explain_infeasible(pool)
    clock = Clock(time_limit, cancel, progress)
    routes = _Routes(pool, pricing, first, clock)
    outcome: Outcome | None = None
    if pool.shared:
        # The lottery without the household rule, over far fewer groups, most often settles it.
        outcome = routes.without_the_rule(volunteers)
    if outcome is None:
        outcome = routes.through_relaxation()
    if outcome is None:
        outcome = routes.in_stages()
    panels = outcome.named
    if panels is None:
        panels = name_panels(pool, outcome.compositions)
    return _lottery(
        pool,
        panels,
        outcome.stages,
        exact=outcome.exact,
        smallest=outcome.smallest,
        bound=outcome.bound,
    )


def _exact(
    pool: Pool,
    pricing: CompositionModel,
    first: Composition,
    clock: Clock,
    relaxed: tuple[np.ndarray, int] | None = None,
) -> Outcome:
    """The leximin lottery over the pool's groups, through the fractional panels when they
    lead to it, else by column generation in stages. `relaxed`: the leximin over fractional
    panels with its stages, if already known."""
    routes = _Routes(pool, pricing, first, clock)
    return routes.through_relaxation(relaxed) or routes.in_stages()


class _Routes:
    """The routes to the leximin lottery, cheapest first; the panels each finds seed the next,
    and the fairest lottery one leaves behind stands in should the deadline pass first."""

    def __init__(
        self, pool: Pool, pricing: CompositionModel, first: Composition, clock: Clock
    ) -> None:
        self.pool = pool
        self.pricing = pricing
        self.first = first
        self.clock = clock
        self.warm: list[Composition] = []
        self.relaxed: np.ndarray | None = None  # the leximin chances over fractional panels
        self.fallback: Outcome | None = None
        # The fractional leximin of the lottery without the rule, and the homes it had it for.
        self.fractional: tuple[frozenset[str], tuple[np.ndarray, int]] | None = None

    def through_relaxation(self, known: tuple[np.ndarray, int] | None = None) -> Outcome | None:
        """The leximin lottery when whole panels give every group its chance under the leximin
        over fractional panels (no lottery can do better, so it is the leximin); `known`: that
        leximin and its stages, if already worked out."""
        pool, clock = self.pool, self.clock
        try:
            relaxed, stages = known or relaxed_leximin(pool, clock)
            seatable = relaxed[relaxed > SEATABLE]
            bound = float(seatable.min()) if len(seatable) else 0.0

            def step(taken: int) -> None:
                # No chance is settled before the end; the bar shows the walk's share of its
                # longest course, one step per group.
                if taken % PROGRESS_STEPS == 0:
                    self._report(0, min(taken / max(len(pool.groups), 1), 1.0), 0.0, bound)

            panels = panels_towards(pool, relaxed, clock, step)
        except (Stop, Unsolved):
            return None
        self.relaxed = relaxed
        self.warm += panels
        return self._aim(relaxed, stages)

    def without_the_rule(self, volunteers: Sequence[Volunteer]) -> Outcome | None:
        """The leximin lottery under the household rule when the rule changes no one's chance.

        The rule only removes panels, so if the leximin chances without it (a much smaller
        problem) can still be given with it, they are the leximin chances with it too. They
        are given when the lottery without the rule, its seats first traded between panels so
        that every home's groups sit often enough (facilitation.panel.coverage), can be named
        with housemates apart (facilitation.panel.households). The homes whose housemates
        cannot be parted that way get the rule in it, and it is worked out again: first by
        seeking the same chances with the rule for those homes too, from its parted panels
        (`_again`), else afresh; failing that, its named panels, each extra housemate swapped
        for someone with the same answers, start a column generation that seeks its chances."""
        pool = self.pool
        # The homes the guide keeps apart itself.
        ruled = _crowded(pool, build_pool(volunteers, pool.seats, pool.quotas))
        ruled |= self._over_one(volunteers, ruled)
        seated: np.ndarray | None = None  # the groups an exact guide seats: all that can sit
        before: _Before | None = None
        for _ in range(GUIDES):
            found = self._guide(volunteers, ruled, before)
            if found is None:
                return None
            guide, targets, bound, free, panels = found
            if guide.exact:
                seated = targets > SEATABLE
            # A guide the deadline cut short may leave out groups that can sit: they count.
            seatable = seated if seated is not None else np.ones(len(targets), dtype=bool)
            parted = apart(pool, free, panels)
            if parted.stuck or not guide.exact:
                # Should the deadline cut what follows short, this lottery stands in.
                self._keep([], parted.chances, seatable, bound, guide.stages, parted.panels)
            elif _gives(parted.chances, targets):
                chances = parted.chances
                smallest = float(chances[seatable].min()) if seatable.any() else 0.0
                self._report(guide.stages, 1.0, smallest, smallest)
                # Its named panels say what it is: no need for the compositions.
                return Outcome(
                    [],
                    chances,
                    guide.stages,
                    True,
                    smallest,
                    smallest,
                    self.pricing.solves,
                    parted.panels,
                )
            if not guide.exact or not parted.stuck - ruled:
                break
            ruled |= parted.stuck
            chance = {v: float(targets[t]) for v, t in pool.group_of().items()}
            before = _Before(chance, parted.panels, guide.stages)
        if not guide.exact:
            return None
        self.warm += [c for c, _p in parted.compositions[:WARM_LIMIT]]
        return self._aim(targets, guide.stages)

    def _over_one(self, volunteers: Sequence[Volunteer], ruled: set[str]) -> set[str]:
        """The homes whose people's chances, in the leximin over fractional panels without the
        rule for them, add up to more than one: as no lottery with the rule can give them
        that, the guide keeps them apart from the start rather than find them stuck (someone
        whom every panel needs, say, and a housemate)."""
        pool = self.pool
        free = _free(pool, volunteers, ruled)
        try:
            relaxed, stages = relaxed_leximin(free, self.clock)
        except (Stop, Unsolved):
            return set()
        # The guide needs it too, should no home be added.
        self.fractional = (frozenset(ruled), (relaxed, stages))
        group = free.group_of()
        return {
            key
            for key, members in pool.homes().items()
            if len(members) > 1
            and key not in ruled
            and sum(relaxed[group[v]] for v in members) > 1.0 + REACH_TOL
        }

    def _guide(
        self, volunteers: Sequence[Volunteer], ruled: set[str], before: _Before | None = None
    ) -> tuple[Outcome, np.ndarray, float, Pool, dict[frozenset[str], float]] | None:
        """The leximin lottery with the household rule for the `ruled` homes only (keys as in
        Pool.households): the chances it gives each group of the pool, a bound on the
        leximin's smallest chance with the rule for all, and its own pool and named panels.
        `before` is the guide with the rule for fewer homes, if there was one."""
        pool = self.pool
        free = _free(pool, volunteers, ruled)
        free_pricing = CompositionModel(free)
        start = free_pricing.best([1.0] * len(free.groups))
        if start is None:
            return None
        guide = None
        if before is not None:
            guide = _again(free, free_pricing, start, self.clock, before)
        if guide is None:
            known = None
            if self.fractional is not None and self.fractional[0] == ruled:
                known = self.fractional[1]
            guide = _exact(free, free_pricing, start, self.clock, known)
        free_group = free.group_of()
        targets = np.array([guide.chances[free_group[g.members[0]]] for g in pool.groups])
        # The rule only removes panels: what bounds the leximin's smallest chance with it for
        # some homes bounds it with it for all, over the same groups, if the guide seats every
        # group that can sit.
        bound = guide.bound if guide.smallest > SEATABLE else 1.0
        # Traded first so that every home it leaves out has the cover its people need.
        compositions = covering(pool, free, guide.compositions)
        return guide, targets, bound, free, name_panels(free, compositions)

    def in_stages(self) -> Outcome:
        """The leximin lottery by column generation in stages, or the fairest in hand when the
        deadline passes first."""
        outcome = leximin(
            self.pool, self.pricing, self.first, self.clock, warm=self.warm, relaxed=self.relaxed
        )
        kept = self.fallback
        if outcome.exact or kept is None or _guarantee(kept) <= _guarantee(outcome):
            return outcome
        # Both bounds hold; the lottery kept guarantees more.
        return replace(kept, bound=max(kept.smallest, min(kept.bound, outcome.bound)))

    def _report(self, stage: int, share: float, smallest: float, bound: float) -> None:
        if self.clock.progress is not None:
            volunteers = int(self.pool.sizes.sum())
            settled = int(share * volunteers)
            self.clock.progress(
                Progress(stage, settled, volunteers, smallest, bound, self.clock.elapsed())
            )

    def _aim(self, targets: np.ndarray, stages: int) -> Outcome | None:
        """The leximin lottery if some lottery gives every group its target chance (none can
        give more); else None, keeping the lottery that came nearest."""
        reached = reach(self.pool, self.pricing, self.first, self.clock, targets, self.warm)
        if reached is None:
            return None
        seatable = targets > SEATABLE
        if reached.complete:
            outcome = _given(reached, targets, stages, self.pricing.solves)
            self._report(stages, 1.0, outcome.smallest, outcome.smallest)
            return outcome
        # No lottery gives every group more than its target.
        compositions = reached.compositions
        if compositions:
            chances = chances_under(compositions, self.pool.sizes)
            bound = float(targets[seatable].min())
            self._keep(compositions, chances, seatable, bound, stages)
        return None

    def _keep(
        self,
        compositions: list[tuple[Composition, float]],
        chances: np.ndarray,
        seatable: np.ndarray,
        bound: float,
        stages: int,
        named: Mapping[frozenset[str], float] | None = None,
    ) -> None:
        """Keep this lottery (each group's chance under it given; over compositions, or over
        named panels only) to stand in, if it guarantees more than the one kept. `bound`
        bounds the leximin's smallest chance over the `seatable` groups, so it holds if this
        lottery seats every one of them (else they may not all be seatable, and 1 is all
        that is known)."""
        if not compositions and not named:
            return  # no panel in it
        smallest = float(chances[seatable].min()) if seatable.any() else 0.0
        if not (chances[seatable] > SEATABLE).all():
            bound = 1.0
        kept = Outcome(
            compositions,
            chances,
            stages,
            False,
            smallest,
            max(bound, smallest),
            self.pricing.solves,
            named,
        )
        if self.fallback is None or _guarantee(kept) > _guarantee(self.fallback):
            self.fallback = kept


@dataclass(frozen=True, slots=True)
class _Before:
    """A guide with the rule for fewer homes: everyone's chance, and its panels, named and
    parted with no two housemates on one."""

    chance: Mapping[str, float]
    panels: Mapping[frozenset[str], float]
    stages: int


def _again(
    free: Pool, pricing: CompositionModel, first: Composition, clock: Clock, before: _Before
) -> Outcome | None:
    """The guide for more homes, if the one before's chances can be given with the rule for
    them: they are then its leximin chances, the rule only removing panels. The panels before,
    parted, meet the rule for every home and start the search, so this usually takes a
    fraction of working the guide out afresh."""
    targets = np.array([before.chance[g.members[0]] for g in free.groups])
    try:
        relaxed, _stages = relaxed_leximin(free, clock)
    except (Stop, Unsolved):
        return None
    if _below(relaxed, targets, free.sizes):
        # No lottery can give the targets, fractional panels not even: the rule for these
        # homes lowers someone's chance.
        return None
    warm, _chances = free.compositions(before.panels)
    # Counted in solves, not seconds, so that the same pool always gets the same lottery.
    reached = reach(
        free, pricing, first, clock, targets, [c for c, _p in warm[:WARM_LIMIT]], AGAIN_RUNS
    )
    if reached is None or not reached.complete:
        return None
    return _given(reached, targets, before.stages, pricing.solves)


def _given(reached: Reached, targets: np.ndarray, stages: int, solves: int) -> Outcome:
    """The leximin lottery a column generation found giving every group its target chance."""
    seatable = reached.chances[targets > SEATABLE]
    smallest = float(seatable.min()) if len(seatable) else 0.0
    return Outcome(reached.compositions, reached.chances, stages, True, smallest, smallest, solves)


def _below(chances: np.ndarray, targets: np.ndarray, sizes: np.ndarray) -> bool:
    """Whether the chances, volunteer by volunteer, come before the targets in the leximin
    order (sorted smallest first, the first that differ by more than REACH_TOL decides)."""
    ours = np.sort(np.repeat(chances, sizes.astype(int)))
    theirs = np.sort(np.repeat(targets, sizes.astype(int)))
    apart = np.flatnonzero(np.abs(ours - theirs) > REACH_TOL)
    return bool(len(apart)) and bool(ours[apart[0]] < theirs[apart[0]])


def _free(pool: Pool, volunteers: Sequence[Volunteer], ruled: set[str]) -> Pool:
    """The pool with the household rule for the `ruled` homes only, and the caps it implies for
    the others."""
    alone = [
        v if pool.households[v.id] in ruled else replace(v, household=None) for v in volunteers
    ]
    free = build_pool(alone, pool.seats, pool.quotas, one_per_household=bool(ruled))
    return replace(free, caps=_caps(pool, free))


def _caps(pool: Pool, free: Pool) -> tuple[tuple[tuple[int, ...], int], ...]:
    """What the household rule implies for the groups of `free` (the volunteers of `pool`, the
    rule kept for some homes only) over the homes it leaves out: each of them seats one of its
    people at most, so groups holding several such homes' people can never all sit.

    No panel that keeps the rule breaks these caps, so a lottery within them is still one that
    only the rule's removing panels can lower. Without them the guide would often seat a whole
    group, or two whole groups, housemates among them, and no exchange could part those."""
    group = free.group_of()
    kept_off: dict[tuple[int, ...], int] = {}  # groups -> people who cannot sit with a housemate
    for members in left_out(pool, free):
        groups = tuple(sorted({group[v] for v in members}))
        kept_off[groups] = kept_off.get(groups, 0) + len(members) - 1
    sizes = free.sizes
    caps = []
    for groups, out in sorted(kept_off.items()):
        cap = int(sum(sizes[t] for t in groups)) - out
        if cap < pool.seats:  # a cap of the seats or more never binds
            caps.append((groups, cap))
    return tuple(caps)


def _crowded(pool: Pool, free: Pool) -> set[str]:
    """The homes where everyone has answers few others share (`free`: the same volunteers
    without the rule): exchanges seldom part them, so the lottery without the rule keeps the
    rule for them from the start."""
    group = free.group_of()
    return {
        key
        for key, members in pool.homes().items()
        if len(members) > 1
        and all(len(free.groups[group[v]].members) <= FEW_ALIKE for v in members)
    }


def _gives(chances: np.ndarray, targets: np.ndarray) -> bool:
    """Whether the chances are the targets (to within REACH_TOL)."""
    return bool(np.all(np.abs(chances - targets) <= REACH_TOL))


def _guarantee(outcome: Outcome) -> tuple[float, int]:
    """What a lottery guarantees, to choose between two: its smallest chance, then how many
    groups it seats at all."""
    return outcome.smallest, int((outcome.chances > SEATABLE).sum())


def draw(
    lottery: Lottery,
    seed: int | str,
    reserves: int = 0,
    dropout: Mapping[str, float] | None = None,
) -> Draw:
    """Draw the panel the seed picks, and up to `reserves` alternates from everyone else.

    The ticket is the SHA-256 digest of "panel:" + the seed (UTF-8), read as a big-endian
    integer, modulo the total number of tickets; the panels hold consecutive tickets in the
    order listed. The alternates are those who keep the panel closest to its quotas after the
    dropouts `dropout` (each volunteer's chance of withdrawing; 15% without it) makes likely,
    in the order they are called (see facilitation.panel.alternates); among volunteers with
    the same answers the seed decides.
    """
    text = str(seed)
    total = sum(lottery.tickets)
    ticket = _digest(f"panel:{text}") % total
    index = bisect.bisect_right(list(itertools.accumulate(lottery.tickets)), ticket)
    panel = tuple(sorted(lottery.panels[index][0]))
    called: tuple[str, ...] = ()
    if reserves > 0:
        called = choose_alternates(lottery.pool, panel, reserves, dropout, seed=text).order
    return Draw(text, ticket, total, panel, called)


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest(), "big")


def _lottery(
    pool: Pool,
    panels: Mapping[frozenset[str], float],
    stages: int,
    *,
    exact: bool,
    smallest: float,
    bound: float,
) -> Lottery:
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
        exact=exact,
        smallest=smallest,
        bound=max(bound, smallest),
    )


__all__ = [
    "HIGH_CHANCE",
    "Cancelled",
    "Draw",
    "GroupShare",
    "Infeasible",
    "Lottery",
    "Progress",
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
