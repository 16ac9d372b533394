"""How many live sockets one network address, and one participant, may hold open.

An address may hold many (a venue's router puts a whole hall behind one), up to a cap that
stops one machine from using up the server; a participant (one cookie) holds a few, and a new
one replaces its oldest, so a phone that reconnects is never refused but a script copying one
cookie into thousands of sockets holds three.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

PER_PARTICIPANT = 3

Closer = Callable[[], Awaitable[None]]


class SocketCaps:
    """Open sockets counted per address, and each participant's in the order they opened."""

    def __init__(self, per_address: int, per_participant: int = PER_PARTICIPANT) -> None:
        self.per_address = per_address
        self.per_participant = per_participant
        self.by_address: Counter[str] = Counter()
        self.by_participant: dict[int, deque[Closer]] = {}

    def admits(self, address: str) -> bool:
        """Whether this address may open one more socket."""
        return self.by_address[address] < self.per_address

    @contextmanager
    def holding(
        self, address: str, participant_id: int | None, close: Closer
    ) -> Iterator[list[Closer]]:
        """Count a socket while it is open; yields how to close the participant's sockets that
        it replaces (its oldest, beyond the few each may hold)."""
        self.by_address[address] += 1
        mine = (
            self.by_participant.setdefault(participant_id, deque())
            if participant_id is not None
            else None
        )
        replaced: list[Closer] = []
        if mine is not None:
            mine.append(close)
            while len(mine) > self.per_participant:
                replaced.append(mine.popleft())
        try:
            yield replaced
        finally:
            self.by_address[address] -= 1
            if self.by_address[address] <= 0:
                del self.by_address[address]
            if mine is not None:
                if close in mine:
                    mine.remove(close)
                if not mine and participant_id is not None:
                    self.by_participant.pop(participant_id, None)

    async def close_participant(self, participant_id: int) -> int:
        """Close every socket a participant holds (they were erased); returns how many."""
        closers = list(self.by_participant.get(participant_id, ()))
        for close in closers:
            await close()
        return len(closers)
