"""The pool as the lottery's programmes see it: volunteers the quotas cannot tell apart, grouped.

Pure. A volunteer counts towards a quota when their answer to its feature is its value; answers
with no quota of their own are not limited. With the household rule on, a panel holds at most one
volunteer per household. A panel is described by how many seats each group takes (a
*composition*); any composition that meets the quotas can be filled with named volunteers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

Composition = tuple[int, ...]  # seats taken from each group


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
    # Groups and the most seats they may take together: what the household rule implies for
    # homes whose volunteers it does not tell apart (see facilitation.panel.lottery).
    caps: tuple[tuple[tuple[int, ...], int], ...] = ()

    @property
    def sizes(self) -> np.ndarray:
        """How many volunteers each group has."""
        return np.array([len(g.members) for g in self.groups], dtype=float)

    @property
    def limits(self) -> tuple[tuple[tuple[int, ...], int], ...]:
        """Rows bounding the seats of a few groups together, with their limits: one per shared
        household (1), then the caps."""
        return tuple((groups, 1) for groups in self.shared) + self.caps

    def limited_rows(self) -> list[tuple[int, ...]]:
        """Each group's rows among `limits`, by their index there."""
        rows: list[list[int]] = [[] for _ in self.groups]
        for r, (groups, _limit) in enumerate(self.limits):
            for t in groups:
                rows[t].append(r)
        return [tuple(r) for r in rows]

    def group_of(self) -> dict[str, int]:
        """Each volunteer's group."""
        return {v: t for t, g in enumerate(self.groups) for v in g.members}

    def homes(self) -> dict[str, list[str]]:
        """Each household's volunteers, in the order given (household keys as in `households`)."""
        out: dict[str, list[str]] = {}
        for v in self.ids:
            out.setdefault(self.households[v], []).append(v)
        return out

    def compositions(
        self, panels: Mapping[frozenset[str], float]
    ) -> tuple[list[tuple[Composition, float]], np.ndarray]:
        """A lottery over named panels as one over compositions, most likely first, and each
        group's chance of a seat under it."""
        group_of = self.group_of()
        out: dict[Composition, float] = {}
        expected = [0.0] * len(self.groups)  # seats per group
        for panel, p in panels.items():
            seats = [0] * len(self.groups)
            for v in panel:
                t = group_of[v]
                seats[t] += 1
                expected[t] += p
            key = tuple(seats)
            out[key] = out.get(key, 0.0) + p
        compositions = sorted(out.items(), key=lambda item: -item[1])
        return compositions, np.array(expected) / self.sizes

    def volunteers(self) -> list[Volunteer]:
        """The pool's volunteers again, in the order given."""
        return [Volunteer(v, self.profiles[v], self.households[v]) for v in self.ids]


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
    households = {v.id: _home_key(v) for v in volunteers}
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


def _home_key(v: Volunteer) -> str:
    # A volunteer without a household key lives alone; keys are prefixed so an id never
    # collides with a household key.
    return "h:" + v.household if v.household else "v:" + v.id


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


def chances_under(
    compositions: Iterable[tuple[Composition, float]], sizes: np.ndarray
) -> np.ndarray:
    """Each group's chance of a seat under a distribution over compositions."""
    chances = np.zeros(len(sizes))
    for column, x in compositions:
        chances += x * np.array(column) / sizes
    return chances


def incidence(pool: Pool) -> np.ndarray:
    """Quota by volunteer: 1 where the volunteer counts towards the quota (rows in pool order)."""
    out = np.zeros((len(pool.ids), len(pool.quotas)), dtype=np.int64)
    for row, v in enumerate(pool.ids):
        for i, q in enumerate(pool.quotas):
            out[row, i] = pool.profiles[v].get(q.feature) == q.value
    return out


def deviation(pool: Pool, counts: np.ndarray) -> np.ndarray:
    """Seats outside the quotas for quota counts (last axis: the quotas): below each minimum plus
    above each maximum, summed."""
    low = np.array([q.min for q in pool.quotas], dtype=np.int64)
    high = np.array([q.max for q in pool.quotas], dtype=np.int64)
    return (np.maximum(low - counts, 0) + np.maximum(counts - high, 0)).sum(axis=-1)
