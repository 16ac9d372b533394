"""Room for housemates: the lottery without the household rule, mixed anew with every group's
chance unchanged, so that each home's groups sit on enough panels for its people to be parted.

Pure. No panel keeping the rule seats two housemates, so under the rule a home's people's chances
add up to at most the weight of the panels that seat any of their groups: the home's cover. The
lottery without the rule can fall short of it. Someone alone with their answers may sit on half
the panels while their housemate's group sits mostly on those same panels; then no exchange of
seats within groups (facilitation.panel.households) can part them, and the lottery would have to
be worked out again with the rule for that home, which costs as much as the first time.

Instead, seats are traded between two panels of the lottery. A panel seating two or more of the
home's groups gives one of them (alone, or with one other group) to a panel seating none of them,
for groups there that count towards the same quotas. Both panels keep every quota; with the same
weight q taken from each and given to the two new ones, every group keeps its expected seats,
and the home's cover grows by q.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from facilitation.panel.pool import Composition, Pool

SPARE = 0.01  # cover sought beyond the people's chances: with none left, exchanges seldom fit
SHORT = 1e-9  # a home whose cover falls short of its people's chances by more than this
LIGHT = 1e-15  # a panel lighter than this is rounding left over from trades
TRIES = 300_000  # bundles indexed or looked up for one home before it is left to exchanges

Bundle = tuple[int, ...]  # one or two groups, a seat each, traded together


def covering(
    pool: Pool, free: Pool, compositions: Sequence[tuple[Composition, float]]
) -> list[tuple[Composition, float]]:
    """The lottery over compositions of `free` (the volunteers of `pool`, with the household rule
    for some homes only), traded so that the homes it leaves out have the cover their people's
    chances need, where trades can give it without taking any home's cover away; most likely
    first."""
    if not compositions:
        return list(compositions)
    homes = _homes(pool, free)
    short = _short(free, compositions, homes)
    if not short:
        return list(compositions)
    trades = _Trades(free, compositions, [groups for groups, _people in homes])
    for groups, need in short:
        trades.cover(groups, need + SPARE)
    return trades.lottery()


def left_out(pool: Pool, free: Pool) -> list[list[str]]:
    """The people of each home with several that `free` leaves to exchanges (the rule not kept
    for it there), homes in the order of their keys."""
    return [
        members
        for key, members in sorted(pool.homes().items())
        if len(members) > 1 and free.households[members[0]] != key
    ]


def _homes(pool: Pool, free: Pool) -> list[tuple[tuple[int, ...], list[int]]]:
    """The homes `free` leaves to exchanges: their groups, and each person's group."""
    group = free.group_of()
    out = []
    for members in left_out(pool, free):
        people = [group[v] for v in members]
        out.append((tuple(sorted(set(people))), people))
    return out


def _short(
    free: Pool,
    compositions: Sequence[tuple[Composition, float]],
    homes: list[tuple[tuple[int, ...], list[int]]],
) -> list[tuple[tuple[int, ...], float]]:
    """The homes whose cover falls short: their groups and what their people's chances add up
    to, the furthest short first."""
    seats = np.array([c for c, _p in compositions], dtype=np.int32)  # thousands by thousands
    weights = np.array([p for _c, p in compositions])
    chance = weights @ seats / free.sizes
    short = []
    for groups, people in homes:
        need = float(chance[people].sum())
        cover = float(weights[seats[:, groups].sum(axis=1) >= 1].sum())
        if need - cover > SHORT:
            short.append((cover - need, groups, need))
    return [(groups, need) for _gap, groups, need in sorted(short)]


class _Trades:
    """The lottery's compositions with their weights, and trades of seats between two of them."""

    def __init__(
        self,
        free: Pool,
        compositions: Sequence[tuple[Composition, float]],
        homes: Sequence[tuple[int, ...]],
    ) -> None:
        self.homes = homes  # each home's groups
        self.homes_of: list[list[int]] = [[] for _ in free.groups]
        for h, groups in enumerate(homes):
            for t in groups:
                self.homes_of[t].append(h)
        self.sizes = [len(g.members) for g in free.groups]
        self.profile = [g.quotas for g in free.groups]
        self.limits = free.limits
        self.rows = free.limited_rows()
        # Insertion order is the order of the compositions given, so trades replay anywhere.
        self.weight: dict[Composition, float] = {}
        for c, p in compositions:
            self.weight[c] = self.weight.get(c, 0.0) + p

    def cover(self, groups: tuple[int, ...], aim: float) -> None:
        """Trade until the panels seating any of the groups weigh `aim`, or no trade is left."""
        weight = self.weight
        left = aim - sum(p for c, p in weight.items() if any(c[t] for t in groups))
        if left <= 0:
            return
        # Panels seating two or more of the groups, the heaviest first: one of those seats can go.
        givers = sorted(
            (c for c in weight if sum(c[t] for t in groups) >= 2), key=lambda c: -weight[c]
        )
        offers = {c: self._bundles(c, groups) for c in givers}
        takers = [c for c in weight if not any(c[t] for t in groups)]
        tries = TRIES  # a bound on the work where few trades fit
        for taker in sorted(takers, key=lambda c: -weight[c]):
            own = self._keyed(taker)
            tries -= sum(len(bundles) for bundles in own.values())
            for giver in givers:
                for bundle in offers[giver]:
                    if giver not in weight or taker not in weight:
                        break
                    tries -= 1
                    if tries < 0:
                        return
                    for other in own.get(self._key(bundle), ()):
                        given = self._after(giver, other, bundle)
                        taken = self._after(taker, bundle, other)
                        if given is None or taken is None:
                            continue
                        if self._uncovers((giver, taker), (given, taken), {*bundle, *other}):
                            continue
                        q = min(weight[giver], weight[taker], left)
                        self._move(giver, given, q)
                        self._move(taker, taken, q)
                        left -= q
                        if left <= LIGHT:
                            return
                        break
            if left <= LIGHT:
                return

    def lottery(self) -> list[tuple[Composition, float]]:
        return sorted(self.weight.items(), key=lambda item: -item[1])

    def _bundles(self, c: Composition, groups: tuple[int, ...]) -> list[Bundle]:
        """What the panel can give while still seating one of the groups: one of their seats,
        alone or with another group's."""
        present = [t for t, k in enumerate(c) if k]
        held = sum(c[t] for t in groups)
        out: list[Bundle] = []
        for s in groups:
            if not c[s]:
                continue
            out.append((s,))
            for t in present:
                if (t != s or c[s] >= 2) and held - 1 - (t in groups) >= 1:
                    out.append((s, t))
        return out

    def _keyed(self, c: Composition) -> dict[tuple[int, tuple[int, ...]], list[Bundle]]:
        """The panel's bundles of one or two seats, by the quotas they count towards."""
        present = [t for t, k in enumerate(c) if k]
        out: dict[tuple[int, tuple[int, ...]], list[Bundle]] = {}
        for bundle in _pairs(c, present):
            out.setdefault(self._key(bundle), []).append(bundle)
        return out

    def _key(self, bundle: Bundle) -> tuple[int, tuple[int, ...]]:
        """Two bundles with the same key leave every quota's count alone when traded."""
        return len(bundle), tuple(sorted(q for t in bundle for q in self.profile[t]))

    def _after(self, c: Composition, gains: Bundle, loses: Bundle) -> Composition | None:
        """The panel with a seat more for each group in `gains` and one less for each in
        `loses`, or None if a group would have more seats than people or a limit is passed."""
        seats = list(c)
        for t in gains:
            seats[t] += 1
        for t in loses:
            seats[t] -= 1
        changed = {*gains, *loses}
        if any(seats[t] > self.sizes[t] or seats[t] < 0 for t in changed):
            return None
        for r in {r for t in changed for r in self.rows[t]}:
            groups, limit = self.limits[r]
            if sum(seats[t] for t in groups) > limit:
                return None
        return tuple(seats)

    def _uncovers(
        self, old: tuple[Composition, ...], new: tuple[Composition, ...], changed: set[int]
    ) -> bool:
        """Whether the trade leaves some home's groups on fewer of the panels than before."""
        for h in {h for t in changed for h in self.homes_of[t]}:
            groups = self.homes[h]
            seated = sum(any(c[t] for t in groups) for c in old)
            if sum(any(c[t] for t in groups) for c in new) < seated:
                return True
        return False

    def _move(self, old: Composition, new: Composition, q: float) -> None:
        weight = self.weight
        weight[old] -= q
        if weight[old] <= LIGHT:
            del weight[old]
        weight[new] = weight.get(new, 0.0) + q


def _pairs(c: Composition, present: list[int]) -> Iterator[Bundle]:
    """Every one or two seats of the panel, by their groups."""
    for i, t in enumerate(present):
        yield (t,)
        for u in present[i:]:
            if u != t or c[t] >= 2:
                yield (t, u)
