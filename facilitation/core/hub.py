"""In-process publish/subscribe by channel, with a bounded queue per subscriber.

The hub knows nothing of HTML or sockets: it moves messages. A subscriber whose queue is full is
marked as overflowed and receives nothing more, so one frozen screen can never make the
publisher wait or hold back the rest of the room; its owner notices and drops the connection.

The same interface reaches across processes when several workers share a Redis
(``facilitation.relay.hub``): a message published there must then be plain data (JSON: numbers,
text, lists, dicts), and channels are tuples of those. ``local=True`` keeps a message in this
process (each worker renders its own screens). Listeners are called at once with each message of
their channel, from any process; the pusher learns that way that a workshop changed elsewhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from typing import Any

_OVERFLOW = object()


class Subscription:
    """One subscriber's bounded inbox."""

    def __init__(self, channel: Hashable, maxsize: int, on_drop: Callable[[], object]) -> None:
        self.channel = channel
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize)
        self.overflowed = False
        self.on_drop = on_drop

    def offer(self, message: Any) -> None:
        """Queue a message without waiting; on a full queue mark the subscriber overflowed."""
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            # What is queued is now moot: the subscriber will be dropped and must reload anyway.
            self.overflowed = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(_OVERFLOW)
            self.on_drop()

    async def get(self) -> Any:
        """The next message; raises Overflowed once the subscriber has fallen too far behind."""
        message = await self.queue.get()
        if message is _OVERFLOW:
            raise Overflowed()
        return message


class Overflowed(Exception):
    """The subscriber fell behind by more than its queue holds."""


class Hub:
    """Channels of subscribers; publish() never blocks. ``on_drop`` is called once for each
    subscriber that overflows (an operator counts the slow clients dropped)."""

    def __init__(self, maxsize: int = 32, on_drop: Callable[[], object] = lambda: None) -> None:
        self.maxsize = maxsize
        self.on_drop = on_drop
        self._channels: dict[Hashable, set[Subscription]] = {}
        self._listeners: dict[Hashable, list[Callable[[Any], object]]] = {}

    async def start(self, namespace: str = "") -> None:
        """Begin hearing other processes (nothing to do in one process)."""

    async def aclose(self) -> None:
        """Stop hearing other processes (nothing to do in one process)."""

    def listen(self, channel: Hashable, callback: Callable[[Any], object]) -> None:
        """Call ``callback`` with every message published on ``channel`` from now on."""
        self._listeners.setdefault(channel, []).append(callback)

    @asynccontextmanager
    async def subscribe(self, channel: Hashable) -> AsyncIterator[Subscription]:
        """Subscribe for the duration of a with-block; always unsubscribes, even on error."""
        sub = Subscription(channel, self.maxsize, self.on_drop)
        self._channels.setdefault(channel, set()).add(sub)
        try:
            yield sub
        finally:
            subs = self._channels.get(channel)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._channels[channel]

    def publish(self, channel: Hashable, message: Any, *, local: bool = False) -> int:
        """Offer a message to every subscriber and listener of a channel; returns how many
        subscribers in this process were offered it. ``local``: not to other processes."""
        return self.deliver(channel, message)

    def deliver(self, channel: Hashable, message: Any) -> int:
        """Hand a message to this process's subscribers and listeners of a channel."""
        for callback in self._listeners.get(channel, ()):
            callback(message)
        subs = self._channels.get(channel, ())
        for sub in list(subs):
            sub.offer(message)
        return len(subs)

    def count(self, channel: Hashable) -> int:
        """How many subscribers a channel has now, in this process."""
        return len(self._channels.get(channel, ()))
