"""The panel's quotas: when no panel can meet them, why, and what to loosen.

Pure. When no panel can meet the quotas, simple counting names the conflict in plain words where it
can (too few volunteers with an answer, minimums that add up to more than the seats ...), and an
integer programme finds the smallest total change to the minimums and maximums that lets some panel
meet them all, as a list of changes the organiser can accept. A change that lets some panel meet
the quotas can still leave volunteers whom no such panel seats (a chance of 0): the change is then
widened, one small integer programme at a time, until every volunteer has a chance, and whoever
still has none is named, so that it can be said before the change is accepted. Messages are
templates with parameters, translated where they are shown; those with a count have a singular and
a plural form, chosen by the count (ngettext-style).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import highspy
import numpy as np

from facilitation.core.i18n import N_, N_plural
from facilitation.panel.pool import (
    Group,
    Pool,
    Quota,
    Volunteer,
    build_pool,
    meets_quotas,
    panel_meets_quotas,
)
from facilitation.panel.pricing import CompositionModel, add_rows
from facilitation.panel.reach import unreachable
from facilitation.panel.solver import quiet_solver

INF = highspy.kHighsInf
_EMPTY_MATRIX = (np.array([0]), np.array([], dtype=np.int32), np.array([]))


Template = str | tuple[str, str]

MESSAGES: dict[str, Template] = {
    "pool": N_plural(
        "The pool has {available} volunteer, fewer than the {seats} seats.",
        "The pool has {available} volunteers, fewer than the {seats} seats.",
    ),
    "pool_households": N_plural(
        "With one person per household, the pool has {available} household,"
        " fewer than the {seats} seats.",
        "With one person per household, the pool has {available} households,"
        " fewer than the {seats} seats.",
    ),
    "min_above_max": N_(
        "The minimum for {feature} “{value}” ({min}) is above its maximum ({max})."
    ),
    "too_few": N_plural(
        "Only {available} volunteer has {feature} “{value}”, but the minimum is {min}.",
        "Only {available} volunteers have {feature} “{value}”, but the minimum is {min}.",
    ),
    "too_few_households": N_plural(
        "Only {available} household has someone with {feature} “{value}”,"
        " but the minimum is {min}.",
        "Only {available} households have someone with {feature} “{value}”,"
        " but the minimum is {min}.",
    ),
    "minimums": N_plural(
        "The minimums for {feature} add up to {total} ({details}), but the panel has {seats} seat.",
        "The minimums for {feature} add up to {total} ({details}),"
        " but the panel has {seats} seats.",
    ),
    "maximums": N_plural(
        "The quotas for {feature} can fill at most {total} of the {seats} seat ({details}).",
        "The quotas for {feature} can fill at most {total} of the {seats} seats ({details}).",
    ),
    "together": N_("No panel can meet these quotas at the same time: {quotas}."),
    "min": N_("Lower the minimum for {feature} “{value}” from {old} to {new}."),
    "max": N_("Raise the maximum for {feature} “{value}” from {old} to {new}."),
    "left_out": N_plural(
        "With these changes, volunteer {numbers} would still have no chance of a seat.",
        "With these changes, {count} volunteers would still have no chance of a seat: {numbers}.",
    ),
}
# The parameter whose number picks a message's singular or plural form.
COUNTS = {
    "pool": "available",
    "pool_households": "available",
    "too_few": "available",
    "too_few_households": "available",
    "minimums": "seats",
    "maximums": "seats",
    "left_out": "count",
}


def english(kind: str, params: Mapping[str, Any]) -> str:
    """A message's English template, in the form its count calls for."""
    template = MESSAGES[kind]
    if isinstance(template, str):
        return template
    return template[0] if params[COUNTS[kind]] == 1 else template[1]


@dataclass(frozen=True, slots=True)
class QuotaConflict:
    """Why no panel meets the quotas: a kind (a key of MESSAGES), the template's parameters and
    the (feature, value) quotas it concerns."""

    kind: str
    params: Mapping[str, Any]
    quotas: tuple[tuple[str, str], ...] = ()

    @property
    def message(self) -> str:
        """The English template in the form the count calls for."""
        return english(self.kind, self.params)

    @property
    def forms(self) -> tuple[str, str] | None:
        """Singular and plural templates, for ngettext, when the message has a count."""
        template = MESSAGES[self.kind]
        return None if isinstance(template, str) else template

    @property
    def count(self) -> int | None:
        """The number that picks the form, when the message has one."""
        key = COUNTS.get(self.kind)
        return None if key is None else int(self.params[key])

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
        return english(self.bound, {})

    @property
    def params(self) -> dict[str, Any]:
        return {"feature": self.feature, "value": self.value, "old": self.old, "new": self.new}

    @property
    def text(self) -> str:
        return self.message.format(**self.params)


class Infeasible(ValueError):
    """No panel meets the quotas: what conflicts, and changes that together would fix it (empty
    when no change to the quotas can, e.g. the pool is smaller than the panel).

    The changes keep every volunteer's chance above zero where some change can; `left_out` names
    (by id) whoever would still have no chance with them, and `warning` says so in words.
    `smallest` is the smallest total change, which may leave `dropped` without a chance: the page
    can offer it too, saying so."""

    def __init__(
        self,
        conflicts: Sequence[QuotaConflict],
        relaxations: Sequence[Relaxation],
        left_out: Sequence[str] = (),
        smallest: Sequence[Relaxation] | None = None,
        dropped: Sequence[str] = (),
    ) -> None:
        super().__init__(" ".join(c.text for c in conflicts))
        self.conflicts = tuple(conflicts)
        self.relaxations = tuple(relaxations)
        self.left_out = tuple(left_out)
        self.smallest = tuple(relaxations if smallest is None else smallest)
        self.dropped = tuple(dropped)

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its parts when it comes back from a worker process.
        parts = (self.conflicts, self.relaxations, self.left_out, self.smallest, self.dropped)
        return (Infeasible, parts)

    @property
    def warning(self) -> QuotaConflict | None:
        """What the changes would leave undone, as a message, or None."""
        if not self.left_out:
            return None
        params = {"count": len(self.left_out), "numbers": ", ".join(self.left_out)}
        return QuotaConflict("left_out", params)


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
    """Name what conflicts in plain words and find the smallest loosening of the quotas that
    leaves every volunteer some chance (or names who would have none)."""
    relaxations = _relax(pool) or []
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
    smallest = relaxations
    relaxations, left_out, dropped = _keep_everyone_in(pool, relaxations)
    return Infeasible(conflicts, relaxations, left_out, smallest, dropped)


def _keep_everyone_in(
    pool: Pool, relaxations: list[Relaxation]
) -> tuple[list[Relaxation], list[str], list[str]]:
    """Widen the change until every volunteer some loosening can seat is seated by some panel;
    return the change, whoever no panel seats even then, and whoever the change as given would
    have left without a chance (both in pool order)."""
    quotas = apply_relaxations(pool.quotas, relaxations)
    tried: set[str] = set()
    first: set[str] | None = None
    while True:
        relaxed = _with_quotas(pool, quotas)
        out = unreachable(relaxed)
        if first is None:
            first = {v for t in out for v in relaxed.groups[t].members}
        missing = [relaxed.groups[t].members[0] for t in sorted(out)]
        todo = [v for v in missing if v not in tried]
        if not todo:
            break
        tried.add(todo[0])
        group = relaxed.group_of()[todo[0]]
        extra = _relax(relaxed, include=group)
        if extra:
            quotas = apply_relaxations(quotas, extra)
    left = {v for t in unreachable(relaxed) for v in relaxed.groups[t].members}
    in_order = [v for v in pool.ids if v in left]
    return _changes(pool.quotas, quotas), in_order, [v for v in pool.ids if v in (first or ())]


def _changes(before: Sequence[Quota], after: Sequence[Quota]) -> list[Relaxation]:
    out = []
    for old, new in zip(before, after, strict=True):
        if new.min < old.min:
            out.append(Relaxation(old.feature, old.value, "min", old.min, new.min))
        if new.max > old.max:
            out.append(Relaxation(old.feature, old.value, "max", old.max, new.max))
    return out


def _with_quotas(pool: Pool, quotas: Sequence[Quota]) -> Pool:
    """The same pool under other quotas (on the same feature values, so the same groups)."""
    volunteers = [Volunteer(v, pool.profiles[v], pool.households[v]) for v in pool.ids]
    return build_pool(volunteers, pool.seats, quotas, one_per_household=pool.one_per_household)


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


def _relax(pool: Pool, include: int | None = None) -> list[Relaxation] | None:
    """The smallest total change to minimums and maximums that lets some panel meet them (one
    that seats group `include`, if given); None when no change can (too few volunteers or
    households for the seats)."""
    n, m = len(pool.groups), len(pool.quotas)
    cols = n + 2 * m
    upper = [float(len(g.members)) for g in pool.groups]
    for q in pool.quotas:
        upper += [float(q.min), float(pool.seats)]
    lower = np.zeros(cols)
    if include is not None:
        lower[include] = 1.0
    h = quiet_solver()
    costs = np.array([0.0] * n + [1.0] * (2 * m))
    h.addCols(cols, costs, lower, np.array(upper), 0, *_EMPTY_MATRIX)
    integer = np.array([highspy.HighsVarType.kInteger] * cols)
    h.changeColsIntegrality(cols, np.arange(cols, dtype=np.int32), integer)
    add_rows(h, pool, n, relax_from=n)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    values = h.getSolution().col_value
    out = []
    for i, q in enumerate(pool.quotas):
        lower_by, higher_by = round(values[n + 2 * i]), round(values[n + 2 * i + 1])
        if lower_by:
            out.append(Relaxation(q.feature, q.value, "min", q.min, q.min - lower_by))
        if higher_by:
            out.append(Relaxation(q.feature, q.value, "max", q.max, q.max + higher_by))
    return out


__all__ = [
    "MESSAGES",
    "CompositionModel",
    "Group",
    "Infeasible",
    "Pool",
    "Quota",
    "QuotaConflict",
    "Relaxation",
    "Volunteer",
    "apply_relaxations",
    "build_pool",
    "check_quotas",
    "explain_infeasible",
    "meets_quotas",
    "panel_meets_quotas",
]
