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
answers, say, or whose groups are all seated. Their homes are reported, so that the lottery
without the rule can be worked out again with the rule for those homes too; meanwhile their
clashes are parted with no exchange, which moves a few chances, for a lottery that stands in
should the deadline pass first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from facilitation.panel.pool import Composition, Pool

LIGHT = 1e-15  # a named panel lighter than this is rounding left over from exchanges


@dataclass(frozen=True, slots=True)
class Parted:
    """The lottery with housemates apart, and the homes whose housemates no exchange could part.

    With stuck homes, a housemate of theirs still on a panel has given the seat, with nothing
    in exchange, to someone alike or else to whoever keeps the quotas; failing both, the panel
    is left out. The lottery meets the quotas and the rule, though some chances have moved."""

    compositions: list[tuple[Composition, float]]  # most likely first
    panels: dict[frozenset[str], float]  # the named panels behind them
    chances: np.ndarray  # each group's chance of a seat (groups of the pool with the rule)
    stuck: frozenset[str]  # household keys (as in Pool.households)


def apart(pool: Pool, free: Pool, panels: Mapping[frozenset[str], float]) -> Parted:
    """The named panels of `free` (the same volunteers, without the rule or with it for some
    homes only) as a lottery over compositions of `pool` (with it) that, unless some home is
    stuck, gives everyone the same chance, and never seats two people from one home."""
    book = _Book(pool, free, panels)
    stuck: set[str] = set()
    waiting = deque(sorted(book.clashing(), key=sorted))
    while waiting:
        stuck |= book.part(waiting.popleft())
        # An exchange can move weight from one clashing panel to another, which then waits
        # its turn; each exchange parts one pair, so this ends.
        waiting.extend(book.moved)
        book.moved.clear()
    for panel in sorted(book.clashing(), key=sorted):
        # The pairs left are those no exchange could part, so their homes are among the
        # stuck; should one not be, the chances it moves make it so.
        stuck |= book.force(panel)
    compositions, named, chances = book.result()
    return Parted(compositions, named, chances, frozenset(stuck))


class _Book:
    """The named panels with their weights, who sits on which, and the exchanges between them."""

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
        self.weight: dict[frozenset[str], float] = {}
        group = pool.group_of()
        self.counted = {v: frozenset(pool.groups[group[v]].quotas) for v in pool.ids}
        self.chance: dict[str, float] | None = None  # kept once panels are parted by force
        self.moved: list[frozenset[str]] = []  # clashing panels that exchanges gave weight to
        # Dicts, not sets: what is tried first must not depend on the process's string
        # hashing, so that the lottery replays anywhere.
        self.seated: dict[str, dict[frozenset[str], None]] = {v: {} for v in pool.ids}
        for panel, p in panels.items():
            self._add(panel, p)

    def clashing(self) -> list[frozenset[str]]:
        return [panel for panel in self.weight if self._clash(panel) is not None]

    def part(self, panel: frozenset[str]) -> set[str]:
        """Exchange seats to part the pairs of housemates on this panel, one pair after another
        (the pieces it becomes wait their turn should they seat another pair); the homes
        whose housemates could not be parted."""
        stuck: set[str] = set()
        failed: set[tuple[str, str]] = set()
        while panel in self.weight:
            pair = self._clash(panel, failed)
            if pair is None:
                break
            if any(self._exchange(panel, w) for w in pair):
                break
            # The other pairs on it may still part.
            failed.add(pair)
            stuck.add(self.home[pair[0]])
        return stuck

    def force(self, panel: frozenset[str]) -> set[str]:
        """Part the housemates on this panel with no exchange: an extra housemate gives the
        seat to someone alike whose home is clear of it, else to whoever keeps the quotas with
        the least chance so far, or the panel is left out. The homes parted so."""
        homes: set[str] = set()
        while panel in self.weight:
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
                self._add(panel, -self.weight[panel])
                break
            panel = self._move(panel, self.weight[panel], pair[1], u)
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
            for u in pool.ids
            if u not in panel
            and self.home[u] not in homes
            and all(
                q.min <= counts[i] + (i in self.counted[u]) <= q.max
                for i, q in enumerate(pool.quotas)
            )
        ]
        if not fits:
            return None
        if self.chance is None:
            self.chance = dict.fromkeys(pool.ids, 0.0)
            for seated, weight in self.weight.items():
                for v in seated:
                    self.chance[v] += weight
        chance = self.chance
        return min(fits, key=lambda v: chance[v])

    def result(
        self,
    ) -> tuple[list[tuple[Composition, float]], dict[frozenset[str], float], np.ndarray]:
        """The lottery over compositions, most likely first, and over named panels; each
        group's chance under it."""
        sizes = self.pool.sizes
        total = sum(self.weight.values())
        if total <= 0:
            return [], {}, np.zeros(len(sizes))
        named = {panel: weight / total for panel, weight in self.weight.items()}
        compositions, chances = self.pool.compositions(named)
        return compositions, named, chances

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

    def _exchange(self, panel: frozenset[str], w: str) -> bool:
        """Give w's seat on `panel` to people alike whose homes are clear of it, each for part
        of its weight, and w seats of theirs worth the same elsewhere; False if they cannot
        make up its whole weight between them. Each part is an exchange in itself: what is
        done stays done."""
        for u in self._clear_of(panel, w):
            donors = self._donors(u, w, self.weight[panel])
            got = sum(q for _donor, q in donors)
            if got <= 0:
                continue
            for donor, q in donors:
                self._waits(self._move(donor, q, u, w))
            self._waits(self._move(panel, got, w, u))
            if panel not in self.weight:
                return True
        return False

    def _clear_of(self, panel: frozenset[str], w: str) -> Iterator[str]:
        """People alike to w, off the panel, whose homes are clear of it."""
        homes = {self.home[v] for v in panel}
        return (u for u in self.alike[w] if u not in panel and self.home[u] not in homes)

    def _donors(self, u: str, w: str, p: float) -> list[tuple[frozenset[str], float]]:
        """Panels of total weight up to p where u sits and neither w nor w's home does."""
        away = {w, *self.housemates[w]}
        out: list[tuple[frozenset[str], float]] = []
        left = p
        for panel in self.seated[u]:
            if away.isdisjoint(panel):
                q = min(self.weight[panel], left)
                out.append((panel, q))
                left -= q
                if left <= LIGHT:
                    break
        return out

    def _waits(self, panel: frozenset[str]) -> None:
        if self._clash(panel) is not None:
            self.moved.append(panel)

    def _move(self, panel: frozenset[str], q: float, leaving: str, taking: str) -> frozenset[str]:
        """Weight q of the panel becomes the panel with `taking` in the seat of `leaving`."""
        self._add(panel, -q)
        made = (panel - {leaving}) | {taking}
        self._add(made, q)
        return made

    def _add(self, panel: frozenset[str], q: float) -> None:
        if self.chance is not None:
            for v in panel:
                self.chance[v] += q
        p = self.weight.get(panel, 0.0) + q
        if p > LIGHT:
            if panel not in self.weight:
                for v in panel:
                    self.seated[v][panel] = None
            self.weight[panel] = p
        elif panel in self.weight:
            del self.weight[panel]
            for v in panel:
                self.seated[v].pop(panel, None)
