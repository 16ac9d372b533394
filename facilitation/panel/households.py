"""Housemates apart: the lottery without the household rule, named so that no panel seats two
people from one home, with everyone's chance unchanged.

Pure and combinatorial. The household rule only removes panels, so when the leximin chances
without it can still be given with it, they are the leximin chances with it. Naming
(facilitation.panel.naming) gives everyone their group's chance but knows nothing of homes: some
named panels seat two housemates. Each such panel, with weight p, has one of the housemates, w,
give the seat to someone else, u, with the same answers and a home not yet seated on it; in
exchange, u gives w a seat on other panels of total weight p where u sits and neither w nor
anyone from w's home does. Every group keeps its seats on every panel, so the quotas hold; w
and u each lose p and gain p, so every chance is unchanged.

Some clashes find no such exchange: two housemates who are each the only one with their
answers, say, or one of whom sits on most panels while the other's group seldom sits without
them (facilitation.panel.coverage first trades seats between panels so that the groups of every
home sit on enough panels, where it can). A pair that cannot be parted leaves the other pairs on
its panel to be tried in turn. The homes of those that cannot are reported, so that the lottery
without the rule can be worked out again with the rule for those homes too; meanwhile their
clashes are parted with no exchange, which moves a few chances, for a lottery that stands in
should the deadline pass first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from facilitation.panel.pool import Composition, Pool

LIGHT = 1e-15  # a named panel lighter than this is rounding left over from exchanges


@dataclass(frozen=True)
class Parted:
    """The lottery with housemates apart, and the homes whose housemates no exchange could part.

    With stuck homes, a housemate of theirs still on a panel has given the seat, with nothing
    in exchange, to someone alike or else to whoever keeps the quotas; failing both, the panel
    is left out. The lottery meets the quotas and the rule, though some chances have moved."""

    pool: Pool  # the pool with the rule
    panels: dict[frozenset[str], float]  # the named panels
    chances: np.ndarray  # each group's chance of a seat (groups of the pool with the rule)
    stuck: frozenset[str]  # household keys (as in Pool.households)

    @cached_property
    def compositions(self) -> list[tuple[Composition, float]]:
        """The lottery over compositions, most likely first: worked out only when asked for
        (to start a column generation), as they take seconds on the largest pools."""
        return self.pool.compositions(self.panels)[0]


def apart(pool: Pool, free: Pool, panels: Mapping[frozenset[str], float]) -> Parted:
    """The named panels of `free` (the same volunteers, without the rule or with it for some
    homes only) as a lottery over compositions of `pool` (with it) that, unless some home is
    stuck, gives everyone the same chance, and never seats two people from one home."""
    book = _Book(pool, free, panels)
    stuck: set[str] = set()
    waiting = deque(book.clashing())
    while waiting:
        stuck |= book.part(waiting.popleft())
        # An exchange can move weight from one clashing panel to another, which then waits
        # its turn; each exchange parts one pair, so this ends.
        waiting.extend(book.moved)
        book.moved.clear()
    for panel in book.clashing():
        # The pairs left are those no exchange could part, so their homes are among the
        # stuck; should one not be, the chances it moves make it so.
        stuck |= book.force(panel)
    named, chances = book.result()
    return Parted(pool, named, chances, frozenset(stuck))


class _Book:
    """The named panels with their weights, who sits on which, and the exchanges between them.

    A panel is known by a number that stays its own when a seat on all of it changes hands,
    so that only the two people concerned need their list of panels updated."""

    def __init__(self, pool: Pool, free: Pool, panels: Mapping[frozenset[str], float]) -> None:
        self.pool = pool
        self.home = pool.households
        self.housemates: dict[str, tuple[str, ...]] = {}
        for members in pool.homes().values():
            for v in members:
                self.housemates[v] = tuple(u for u in members if u != v)
        self.sharers = frozenset(v for v, mates in self.housemates.items() if mates)
        # Someone who lives alone first: they can take any seat their answers allow.
        by_group = [
            sorted(g.members, key=lambda u: (bool(self.housemates[u]), u)) for g in free.groups
        ]
        self.alike = {v: by_group[t] for v, t in free.group_of().items()}
        group = pool.group_of()
        self.counted = {v: frozenset(pool.groups[group[v]].quotas) for v in pool.ids}
        self.order = {v: i for i, v in enumerate(pool.ids)}
        # Everyone by the quotas they count towards, in the pool's order.
        self.kinds: dict[frozenset[int], list[str]] = {}
        for v in pool.ids:
            self.kinds.setdefault(self.counted[v], []).append(v)
        self.members: dict[int, frozenset[str]] = {}
        self.weight: dict[int, float] = {}
        self.number: dict[frozenset[str], int] = {}
        self.made = 0  # panels numbered so far
        self.chance: dict[str, float] | None = None  # kept once panels are parted by force
        self.moved: list[int] = []  # clashing panels that exchanges gave weight to
        # Dicts, not sets: what is tried first must not depend on the process's string
        # hashing, so that the lottery replays anywhere.
        self.seated: dict[str, dict[int, None]] = {v: {} for v in pool.ids}
        # Sorted by their members, so that the order panels are tried in depends on them only.
        for panel in sorted(panels, key=sorted):
            self._add(panel, panels[panel])

    def clashing(self) -> list[int]:
        return [k for k, panel in self.members.items() if self._clash(panel) is not None]

    def part(self, k: int) -> set[str]:
        """Exchange seats to part the pairs of housemates on panel k, one pair after another
        (the pieces it becomes wait their turn should they seat another pair); the homes
        whose housemates could not be parted."""
        stuck: set[str] = set()
        failed: set[tuple[str, str]] = set()
        while k in self.weight:
            pair = self._clash(self.members[k], failed)
            if pair is None:
                break
            if any(self._exchange(k, w) for w in pair):
                break
            # The other pairs on it may still part.
            failed.add(pair)
            stuck.add(self.home[pair[0]])
        return stuck

    def force(self, k: int) -> set[str]:
        """Part the housemates on panel k with no exchange: an extra housemate gives the seat
        to someone alike whose home is clear of it, else to whoever keeps the quotas with the
        least chance so far, or the panel is left out. The homes parted so."""
        homes: set[str] = set()
        while k in self.weight:
            panel = self.members[k]
            pair = self._clash(panel)
            if pair is None:
                break
            homes.add(self.home[pair[0]])
            u = next(self._clear_of(panel, pair[1]), None)
            if u is None:
                u = self._keeping_quotas(panel, pair[1])
            if u is None:
                # Every pair left on it is stuck with it.
                rest = panel
                while (pair := self._clash(rest)) is not None:
                    homes.add(self.home[pair[0]])
                    rest = rest - {pair[1]}
                self._add(panel, -self.weight[k])
                break
            k = self._move(k, self.weight[k], pair[1], u)
        return homes

    def _keeping_quotas(self, panel: frozenset[str], w: str) -> str | None:
        """Who could take w's seat on the panel, their home clear of it, with every quota kept:
        the one with the least chance, so that leaving the panel out, with everyone else on it,
        is not needed."""
        pool = self.pool
        counts = [0] * len(pool.quotas)
        for v in panel:
            for i in self.counted[v]:
                counts[i] += 1
        for i in self.counted[w]:
            counts[i] -= 1
        homes = {self.home[v] for v in panel if v != w}
        fits = [
            u
            for kind, people in self.kinds.items()
            if all(q.min <= counts[i] + (i in kind) <= q.max for i, q in enumerate(pool.quotas))
            for u in people
            if u not in panel and self.home[u] not in homes
        ]
        if not fits:
            return None
        if self.chance is None:
            self.chance = dict.fromkeys(pool.ids, 0.0)
            for k, weight in self.weight.items():
                for v in self.members[k]:
                    self.chance[v] += weight
        chance, order = self.chance, self.order
        return min(fits, key=lambda v: (chance[v], order[v]))

    def result(self) -> tuple[dict[frozenset[str], float], np.ndarray]:
        """The lottery over named panels, and each group's chance under it."""
        pool = self.pool
        total = sum(self.weight.values())
        if total <= 0:
            return {}, np.zeros(len(pool.groups))
        named = {self.members[k]: weight / total for k, weight in self.weight.items()}
        index = self.order
        lengths = np.fromiter((len(panel) for panel in named), np.int64, len(named))
        sitting = np.fromiter(
            (index[v] for panel in named for v in panel), np.int64, int(lengths.sum())
        )
        weights = np.repeat(np.fromiter(named.values(), float, len(named)), lengths)
        chance = np.bincount(sitting, weights=weights, minlength=len(pool.ids))
        group = pool.group_of()
        of = np.fromiter((group[v] for v in pool.ids), np.int64, len(pool.ids))
        chances = np.bincount(of, weights=chance, minlength=len(pool.groups)) / pool.sizes
        return named, chances

    def _clash(
        self, panel: frozenset[str], but: Container[tuple[str, str]] = ()
    ) -> tuple[str, str] | None:
        """Two housemates on the panel, but not a pair in `but`: the same two whatever the
        order of iteration."""
        pairs = [
            (v, u)
            for v in panel & self.sharers
            for u in self.housemates[v]
            if u in panel and (v, u) not in but
        ]
        return min(pairs) if pairs else None

    def _exchange(self, k: int, w: str) -> bool:
        """Give w's seat on panel k to people alike whose homes are clear of it, each for part
        of its weight, and w seats of theirs worth the same elsewhere; False if they cannot
        make up its whole weight between them. Each part is an exchange in itself: what is
        done stays done."""
        panel = self.members[k]
        for u in self._clear_of(panel, w):
            donors = self._donors(u, w, self.weight[k])
            got = sum(q for _donor, q in donors)
            if got <= 0:
                continue
            for donor, q in donors:
                self._waits(self._move(donor, q, u, w))
            made = self._move(k, got, w, u)
            self._waits(made)
            if made == k or k not in self.weight:
                return True
        return False

    def _clear_of(self, panel: frozenset[str], w: str) -> Iterator[str]:
        """People alike to w, off the panel, whose homes are clear of it."""
        homes = {self.home[v] for v in panel}
        return (u for u in self.alike[w] if u not in panel and self.home[u] not in homes)

    def _donors(self, u: str, w: str, p: float) -> list[tuple[int, float]]:
        """Panels of total weight up to p where u sits and neither w nor w's home does."""
        away = {w, *self.housemates[w]}
        out: list[tuple[int, float]] = []
        left = p
        for k in self.seated[u]:
            if away.isdisjoint(self.members[k]):
                q = min(self.weight[k], left)
                out.append((k, q))
                left -= q
                if left <= LIGHT:
                    break
        return out

    def _waits(self, k: int) -> None:
        if k in self.members and self._clash(self.members[k]) is not None:
            self.moved.append(k)

    def _move(self, k: int, q: float, leaving: str, taking: str) -> int:
        """Weight q of panel k becomes the panel with `taking` in the seat of `leaving`; that
        panel's number."""
        panel = self.members[k]
        made = (panel - {leaving}) | {taking}
        if self.weight[k] - q > LIGHT or q <= LIGHT or made in self.number:
            self._add(panel, -q)
            return self._add(made, q)
        # All of it: the panel keeps its number, and only the two people's lists change.
        if self.chance is not None:
            self.chance[leaving] -= q
            self.chance[taking] += q
        del self.number[panel]
        self.number[made] = k
        self.members[k] = made
        self.weight[k] = q
        del self.seated[leaving][k]
        self.seated[taking][k] = None
        return k

    def _add(self, panel: frozenset[str], q: float) -> int:
        """Add weight q (which may be negative) to the panel; its number (-1 if it has none,
        as when it is too light to keep)."""
        if self.chance is not None:
            for v in panel:
                self.chance[v] += q
        k = self.number.get(panel)
        if k is None:
            if q <= LIGHT:
                return -1
            k = self.made
            self.made += 1
            self.number[panel] = k
            self.members[k] = panel
            self.weight[k] = q
            for v in panel:
                self.seated[v][k] = None
            return k
        p = self.weight[k] + q
        if p > LIGHT:
            self.weight[k] = p
        else:
            del self.weight[k], self.members[k], self.number[panel]
            for v in panel:
                del self.seated[v][k]
        return k
