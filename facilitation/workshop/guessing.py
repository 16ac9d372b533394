"""Limits on guessing join codes that never lock the innocent out.

A device that keeps typing wrong codes is refused for a while: only itself. An address that
sends many wrong codes (or every address that sent any, while the whole server is being tried
with more wrong codes than rooms ever make) is not refused but paced: its lookups of codes it
has not joined go through one at a time, a few a second, right code or wrong, so the pace says
nothing about which codes exist. A phone sharing that address with a guesser still gets in, after
its turn; a phone that has joined is never asked its code again (see Ballots.member).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass

from facilitation.core.limits import Buckets, FailureLimit, TokenBucket

MAX_GATES = 10_000  # addresses with a line to wait in, the least recently used forgotten
MAX_ADDRESSES = 50_000  # addresses whose last wrong code is remembered


@dataclass(frozen=True, slots=True)
class Limits:
    """How much guessing is let through, by whom, before what."""

    # A device may get this many codes wrong in ten minutes; then it waits out the ten minutes.
    device_wrong: int = 10
    device_window: float = 600.0
    # An address may send this many wrong codes in ten minutes before its lookups are paced (a
    # hall of 2,000 phones behind one router, a few of them mistyping, stays well under it).
    address_wrong: int = 200
    address_window: float = 600.0
    # More wrong codes than this in an hour, over the whole server, pace every address that
    # sent one.
    server_wrong: int = 20_000
    server_window: float = 3600.0
    # Lookups let through each second for one paced address.
    pace: float = 20.0


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking for a code: the device (its session), its network address, and a way to
    hear that it has gone (a closed connection), so a departed caller frees its place in line."""

    device: str
    address: str
    gone: Callable[[], Awaitable[object]] | None = None


class Gate:
    """Lets one caller through every ``spacing`` seconds, in the order they came."""

    def __init__(self, spacing: float, clock: Callable[[], float]) -> None:
        self.spacing = spacing
        self.clock = clock
        self.lock = asyncio.Lock()  # hands itself on first come, first served
        self.last = float("-inf")

    async def through(self) -> None:
        async with self.lock:
            wait = self.last + self.spacing - self.clock()
            if wait > 0:
                await asyncio.sleep(wait)
            self.last = self.clock()


class CodeGuard:
    """Counts wrong join codes per device, per address and for the server, and says who must
    wait (a device) or take its turn (an address)."""

    def __init__(
        self,
        limits: Limits = Limits(),
        clock: Callable[[], float] = time.monotonic,
        on_wrong: Callable[[], None] = lambda: None,
        on_paced: Callable[[], None] = lambda: None,
    ) -> None:
        self.clock = clock
        self.on_wrong = on_wrong  # counts each wrong code, for the operator's figures
        self.on_paced = on_paced  # counts each lookup that had to take its turn
        self.limits = limits
        self.devices = FailureLimit(limits.device_wrong, limits.device_window)
        self.addresses = Buckets(limits.address_wrong / limits.address_window, limits.address_wrong)
        self.server = TokenBucket(limits.server_wrong / limits.server_window, limits.server_wrong)
        self._gates: OrderedDict[str, Gate] = OrderedDict()
        self._last_wrong: OrderedDict[str, float] = OrderedDict()

    def device_wait(self, caller: Caller) -> float:
        """Seconds this device must wait before it may try a code; 0 if it may now."""
        return self.devices.retry_after(caller.device, self.clock())

    def charge(self, caller: Caller) -> bool:
        """Take one lookup from the address's allowance for wrong codes, before the lookup, so
        that many lookups at once cannot all slip through on the last of it; False when none is
        left: the lookup must take its turn. A right code gets its share back (settle)."""
        return self.addresses.allow(caller.address, self.clock())

    def server_wide(self, caller: Caller) -> bool:
        """Whether the whole server is being tried with more wrong codes than rooms make, and
        this address sent one of them lately: then it takes its turn too."""
        now = self.clock()
        last = self._last_wrong.get(caller.address)
        return (
            last is not None and now - last < self.limits.address_window and self.server.empty(now)
        )

    async def take_turn(self, caller: Caller) -> bool:
        """Wait for this address's turn; False if the caller went away meanwhile."""
        self.on_paced()
        gate = self._gates.get(caller.address)
        if gate is None:
            gate = self._gates[caller.address] = Gate(1.0 / self.limits.pace, self.clock)
            while len(self._gates) > MAX_GATES:
                self._gates.popitem(last=False)
        self._gates.move_to_end(caller.address)
        turn = asyncio.ensure_future(gate.through())
        if caller.gone is None:
            await turn
            return True
        left = asyncio.ensure_future(caller.gone())
        try:
            await asyncio.wait({turn, left}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (turn, left):
                if not task.done():
                    task.cancel()
                    with suppress(asyncio.CancelledError):
                        await task
        return turn.done() and not turn.cancelled()

    def settle(self, caller: Caller, charged: bool, wrong: bool) -> None:
        """After a lookup: a wrong code counts against the device, its address and the server;
        a right one (or one never made) gives back what charge took."""
        now = self.clock()
        bucket = self.addresses.get(caller.address)
        if not wrong:
            if charged and bucket is not None:
                bucket.refund()
            return
        self.on_wrong()
        self.devices.fail(caller.device, now)
        self.server.allow(now)
        self._last_wrong[caller.address] = now
        self._last_wrong.move_to_end(caller.address)
        while len(self._last_wrong) > MAX_ADDRESSES:
            self._last_wrong.popitem(last=False)
