"""The panel's quotas: which panels meet them and, when none can, why and what to loosen.

Also the pool as the lottery's programmes see it. Pure. A volunteer counts towards a quota when
their answer to its feature is its value; answers with no quota of their own are not limited. With
the household rule on, a panel holds at most one volunteer per household. When no panel can meet
the quotas, simple counting names the conflict in plain words where it can (too few volunteers with
an answer, minimums that add up to more than the seats ...), and an integer programme finds the
smallest total change to the minimums and maximums that lets some panel meet them all, as a list of
changes the organiser can accept. Messages are templates with parameters, so they can be translated
where they are shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import highspy
import numpy as np

from facilitation.core.i18n import N_
from facilitation.panel.solver import quiet_solver

INF = highspy.kHighsInf
_EMPTY_MATRIX = (np.array([0]), np.array([], dtype=np.int32), np.array([]))


MESSAGES = {
    "pool": N_("The pool has {available} volunteers, fewer than the {seats} seats."),
    "pool_households": N_(
        "With one person per household, the pool has {available} households,"
        " fewer than the {seats} seats."
    ),
    "min_above_max": N_(
        "The minimum for {feature} “{value}” ({min}) is above its maximum ({max})."
    ),
    "too_few": N_(
        "Only {available} volunteers have {feature} “{value}”, but the minimum is {min}."
    ),
    "too_few_households": N_(
        "Only {available} households have someone with {feature} “{value}”,"
        " but the minimum is {min}."
    ),
    "minimums": N_(
        "The minimums for {feature} add up to {total} ({details}), but the panel has {seats} seats."
    ),
    "maximums": N_(
        "The quotas for {feature} can fill at most {total} of the {seats} seats ({details})."
    ),
    "together": N_("No panel can meet these quotas at the same time: {quotas}."),
    "min": N_("Lower the minimum for {feature} “{value}” from {old} to {new}."),
    "max": N_("Raise the maximum for {feature} “{value}” from {old} to {new}."),
}


@dataclass(frozen=True, slots=True)
class Volunteer:
    """One person in the pool: an id, their answers (feature -> value) and their household."""

    id: str
    profile: Mapping[str, str]
    household: str | None = None


@dataclass(frozen=True, slots=True)
class Quota:
    """At least `min` and at most `max` seats for volunteers whose `feature` is `value`."""

    feature: str
    value: str
    min: int
    max: int


@dataclass(frozen=True, slots=True)
class QuotaConflict:
    """Why no panel meets the quotas: a kind (a key of MESSAGES), the template's parameters and
    the (feature, value) quotas it concerns."""

    kind: str
    params: Mapping[str, Any]
    quotas: tuple[tuple[str, str], ...] = ()

    @property
    def message(self) -> str:
        return MESSAGES[self.kind]

    @property
    def text(self) -> str:
        return self.message.format(**self.params)


@dataclass(frozen=True, slots=True)
class Relaxation:
    """One suggested change: a quota's minimum lowered or its maximum raised."""

    feature: str
    value: str
    bound: Literal["min", "max"]
    old: int
    new: int

    @property
    def message(self) -> str:
        return MESSAGES[self.bound]

    @property
    def params(self) -> dict[str, Any]:
        return {"feature": self.feature, "value": self.value, "old": self.old, "new": self.new}

    @property
    def text(self) -> str:
        return self.message.format(**self.params)


class Infeasible(ValueError):
    """No panel meets the quotas: what conflicts, and changes that together would fix it (empty
    when no change to the quotas can, e.g. the pool is smaller than the panel)."""

    def __init__(
        self, conflicts: Sequence[QuotaConflict], relaxations: Sequence[Relaxation]
    ) -> None:
        super().__init__(" ".join(c.text for c in conflicts))
        self.conflicts = tuple(conflicts)
        self.relaxations = tuple(relaxations)


def apply_relaxations(quotas: Iterable[Quota], relaxations: Iterable[Relaxation]) -> list[Quota]:
    """The quotas with the suggested changes made."""
    changes = {(r.feature, r.value, r.bound): r.new for r in relaxations}
    return [
        Quota(
            q.feature,
            q.value,
            changes.get((q.feature, q.value, "min"), q.min),
            changes.get((q.feature, q.value, "max"), q.max),
        )
        for q in quotas
    ]


# -- the pool as the programmes see it ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Group:
    """Volunteers the quotas cannot tell apart: they share every quota and no household."""

    members: tuple[str, ...]  # sorted ids
    quotas: tuple[int, ...]  # indices into Pool.quotas of the quotas they count towards


@dataclass(frozen=True, slots=True)
class Pool:
    seats: int
    quotas: tuple[Quota, ...]
    ids: tuple[str, ...]  # in the order given
    profiles: Mapping[str, Mapping[str, str]]
    households: Mapping[str, str]  # id -> household key, for every volunteer (their id if none)
    groups: tuple[Group, ...]
    shared: tuple[tuple[int, ...], ...]  # the groups of each household with several volunteers
    one_per_household: bool


def build_pool(
    volunteers: Sequence[Volunteer],
    seats: int,
    quotas: Sequence[Quota],
    *,
    one_per_household: bool = False,
) -> Pool:
    """Check the inputs and group the volunteers the quotas cannot tell apart."""
    ids = tuple(v.id for v in volunteers)
    if len(set(ids)) != len(ids):
        raise ValueError("volunteer ids must be unique")
    if seats < 1:
        raise ValueError("the panel needs at least one seat")
    keys = [(q.feature, q.value) for q in quotas]
    if len(set(keys)) != len(keys):
        raise ValueError("each feature value may have one quota only")
    if any(q.min < 0 or q.max < 0 for q in quotas):
        raise ValueError("quotas cannot be negative")
    # A volunteer may leave a feature unanswered: the None value then matches no quota.
    index: dict[tuple[str, str | None], int] = {key: i for i, key in enumerate(keys)}
    profiles = {v.id: dict(v.profile) for v in volunteers}
    # A volunteer without a household key lives alone; keys are prefixed so an id never
    # collides with a household key.
    households = {v.id: ("h:" + v.household if v.household else "v:" + v.id) for v in volunteers}
    size: dict[str, int] = {}
    for key in households.values():
        size[key] = size.get(key, 0) + 1
    features = sorted({q.feature for q in quotas})
    by_kind: dict[tuple[tuple[int, ...], str], list[str]] = {}
    for v in volunteers:
        counted = tuple(
            sorted(i for f in features if (i := index.get((f, v.profile.get(f)))) is not None)
        )
        alone = not one_per_household or size[households[v.id]] == 1
        # Someone sharing a household under the rule is a group of their own, because the
        # household row ties them to their housemates and no one else.
        kind = (counted, "") if alone else (counted, v.id)
        by_kind.setdefault(kind, []).append(v.id)
    ordered = sorted(by_kind.items())
    groups = tuple(Group(tuple(sorted(m)), kind[0]) for kind, m in ordered)
    shared: dict[str, list[int]] = {}
    if one_per_household:
        for t, group in enumerate(groups):
            key = households[group.members[0]]
            if size[key] > 1:
                shared.setdefault(key, []).append(t)
    return Pool(
        seats=seats,
        quotas=tuple(quotas),
        ids=ids,
        profiles=profiles,
        households=households,
        groups=groups,
        shared=tuple(tuple(ts) for _key, ts in sorted(shared.items())),
        one_per_household=one_per_household,
    )


def meets_quotas(pool: Pool, panel: Iterable[str]) -> bool:
    """Whether a named panel has the right size, meets every quota and the household rule."""
    chosen = list(panel)
    if len(chosen) != pool.seats or len(set(chosen)) != len(chosen):
        return False
    if any(v not in pool.profiles for v in chosen):
        return False
    for q in pool.quotas:
        n = sum(1 for v in chosen if pool.profiles[v].get(q.feature) == q.value)
        if not q.min <= n <= q.max:
            return False
    return not pool.one_per_household or len({pool.households[v] for v in chosen}) == len(chosen)


def panel_meets_quotas(
    panel: Iterable[str],
    volunteers: Sequence[Volunteer],
    seats: int,
    quotas: Sequence[Quota],
    *,
    one_per_household: bool = False,
) -> bool:
    """Whether a named panel meets the quotas (for checks and for a hand-picked substitute)."""
    pool = build_pool(volunteers, seats, quotas, one_per_household=one_per_household)
    return meets_quotas(pool, panel)


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
        h.setOptionValue("mip_abs_gap", 1e-9)
        n = len(pool.groups)
        upper = np.array([len(g.members) for g in pool.groups], dtype=float)
        h.addVars(n, np.zeros(n), upper)
        h.changeColsIntegrality(
            n, np.arange(n, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * n)
        )
        _add_rows(h, pool, n)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.h = h
        self.n = n

    def best(self, weights: Sequence[float]) -> tuple[int, ...] | None:
        """Seats per group of a feasible panel with the largest weighted seat count, or None."""
        if not self.possible:
            return None
        self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), np.array(weights))
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return tuple(round(x) for x in self.h.getSolution().col_value[: self.n])


def _add_rows(h: highspy.Highs, pool: Pool, n: int, relax_from: int | None = None) -> None:
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


# -- explaining infeasible quotas -----------------------------------------------------------------


def check_quotas(
    volunteers: Sequence[Volunteer],
    seats: int,
    quotas: Sequence[Quota],
    *,
    one_per_household: bool = False,
) -> Infeasible | None:
    """None when some panel meets the quotas; otherwise what conflicts and how to loosen them."""
    pool = build_pool(volunteers, seats, quotas, one_per_household=one_per_household)
    if CompositionModel(pool).best([0.0] * len(pool.groups)) is not None:
        return None
    return explain_infeasible(pool)


def explain_infeasible(pool: Pool) -> Infeasible:
    """Name what conflicts in plain words and find the smallest loosening of the quotas."""
    relaxations = _relax(pool)
    conflicts = _conflicts(pool)
    if not relaxations:
        return Infeasible(conflicts, relaxations)  # the pool itself is too small
    # Whatever the counts above do not explain is quotas of different features pulling against
    # each other: with the named quotas loosened as suggested, find a smallest set that still
    # cannot be met by dropping each quota in turn and leaving it out for good if the rest still
    # fail (a deletion filter, one small integer programme per quota).
    named = {key for c in conflicts for key in c.quotas}
    loosened = [r for r in relaxations if (r.feature, r.value) in named]
    clash = apply_relaxations(pool.quotas, loosened)
    if not _feasible(pool, clash):
        for quota in list(clash):
            rest = [q for q in clash if q is not quota]
            if not _feasible(pool, rest):
                clash = rest
        original = {(q.feature, q.value): q for q in pool.quotas}
        shown = [original[(q.feature, q.value)] for q in clash]
        listed = ", ".join(f"{q.feature} “{q.value}” ({q.min}–{q.max})" for q in shown)
        involved = tuple((q.feature, q.value) for q in shown)
        conflicts.append(QuotaConflict("together", {"quotas": listed}, involved))
    return Infeasible(conflicts, relaxations)


def _feasible(pool: Pool, quotas: Sequence[Quota]) -> bool:
    """Whether some panel from the same pool meets these quotas instead."""
    volunteers = [Volunteer(v, pool.profiles[v], pool.households[v]) for v in pool.ids]
    other = build_pool(volunteers, pool.seats, quotas, one_per_household=pool.one_per_household)
    return CompositionModel(other).best([0.0] * len(other.groups)) is not None


def _available(pool: Pool, who: Iterable[str]) -> int:
    """How many of these volunteers could sit together: under the household rule, one each."""
    who = list(who)
    return len({pool.households[v] for v in who}) if pool.one_per_household else len(who)


def _conflicts(pool: Pool) -> list[QuotaConflict]:
    out: list[QuotaConflict] = []
    households = pool.one_per_household
    available = _available(pool, pool.ids)
    params: dict[str, object]
    if available < pool.seats:
        params = {"available": available, "seats": pool.seats}
        out.append(QuotaConflict("pool_households" if households else "pool", params))
    having = {
        (q.feature, q.value): _available(
            pool, (v for v in pool.ids if pool.profiles[v].get(q.feature) == q.value)
        )
        for q in pool.quotas
    }
    for q in pool.quotas:
        key = (q.feature, q.value)
        params = {"feature": q.feature, "value": q.value, "min": q.min, "max": q.max}
        if q.min > q.max:
            out.append(QuotaConflict("min_above_max", params, (key,)))
        elif having[key] < q.min:
            kind = "too_few_households" if households else "too_few"
            out.append(QuotaConflict(kind, {**params, "available": having[key]}, (key,)))
    for feature in sorted({q.feature for q in pool.quotas}):
        own = [q for q in pool.quotas if q.feature == feature]
        keys = tuple((q.feature, q.value) for q in own)
        total = sum(q.min for q in own)
        if total > pool.seats:
            details = ", ".join(f"{q.value}: {q.min}" for q in own if q.min)
            params = {"feature": feature, "total": total, "details": details, "seats": pool.seats}
            out.append(QuotaConflict("minimums", params, keys))
            continue
        # Seats each value can fill: its maximum, or fewer if fewer have it; answers without a
        # quota fill seats freely.
        values = {q.value for q in own}
        free = _available(
            pool, (v for v in pool.ids if pool.profiles[v].get(feature) not in values)
        )
        fill = {q.value: min(q.max, having[(q.feature, q.value)]) for q in own}
        room = sum(fill.values()) + free
        if room < pool.seats <= available:
            details = ", ".join(f"{value}: {n}" for value, n in fill.items())
            params = {"feature": feature, "total": room, "details": details, "seats": pool.seats}
            out.append(QuotaConflict("maximums", params, keys))
    return out


def _relax(pool: Pool) -> list[Relaxation]:
    """The smallest total change to minimums and maximums that lets some panel meet them; empty
    when no change can (too few volunteers or households for the seats)."""
    n, m = len(pool.groups), len(pool.quotas)
    cols = n + 2 * m
    upper = [float(len(g.members)) for g in pool.groups]
    for q in pool.quotas:
        upper += [float(q.min), float(pool.seats)]
    h = quiet_solver()
    costs = np.array([0.0] * n + [1.0] * (2 * m))
    h.addCols(cols, costs, np.zeros(cols), np.array(upper), 0, *_EMPTY_MATRIX)
    integer = np.array([highspy.HighsVarType.kInteger] * cols)
    h.changeColsIntegrality(cols, np.arange(cols, dtype=np.int32), integer)
    _add_rows(h, pool, n, relax_from=n)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return []
    values = h.getSolution().col_value
    out = []
    for i, q in enumerate(pool.quotas):
        lower, higher = round(values[n + 2 * i]), round(values[n + 2 * i + 1])
        if lower:
            out.append(Relaxation(q.feature, q.value, "min", q.min, q.min - lower))
        if higher:
            out.append(Relaxation(q.feature, q.value, "max", q.max, q.max + higher))
    return out
