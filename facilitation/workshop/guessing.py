"""Limits on guessing join codes that never lock the innocent out.

A device that keeps typing wrong codes is refused for a while: only itself. An address that
sends many wrong codes (or every address that sent any, while the whole server is being tried
with more wrong codes than rooms ever make) is not refused but paced: its lookups of codes it
has not joined go through one at a time, a few a second, right code or wrong, so the pace says
nothing about which codes exist. A phone sharing that address with a guesser still gets in, after
its turn; a phone that has joined is never asked its code again (see Ballots.member).

The counts are kept where the limiter keeps them: in this process, or in the Redis every worker
shares, so a guesser gets no more tries for there being several workers. So are a paced
address's turns: each worker keeps its own line for the address (first come, first served, and a
caller who leaves frees its place), and the head of each line books the address's next turn
where every worker books them, so the address's lookups go through at its pace in all.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass

from facilitation.core.limits import Limiter, LocalLimiter, Turns

MAX_GATES = 10_000  # addresses with a line to wait in, the least recently used forgotten


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
    """Lets an address's callers on this worker through one at a time, in the order they came,
    each at a turn booked for the address in ``turns``."""

    def __init__(self, address: str, turns: Turns) -> None:
        self.address = address
        self.turns = turns
        self.lock = asyncio.Lock()  # hands itself on first come, first served

    async def through(self) -> None:
        async with self.lock:
            wait, turn = await self.turns.book(self.address)
            try:
                await asyncio.sleep(wait)
            except asyncio.CancelledError:
                # Its caller left: the next in line may have the turn it booked.
                await self.turns.give_back(self.address, turn)
                raise


class CodeGuard:
    """Counts wrong join codes per device, per address and for the server, and says who must
    wait (a device) or take its turn (an address)."""

    def __init__(
        self,
        limits: Limits = Limits(),
        clock: Callable[[], float] = time.monotonic,
        on_wrong: Callable[[], None] = lambda: None,
        on_paced: Callable[[], None] = lambda: None,
        limiter: Limiter | None = None,
    ) -> None:
        self.clock = clock
        self.on_wrong = on_wrong  # counts each wrong code, for the operator's figures
        self.on_paced = on_paced  # counts each lookup that had to take its turn
        self.limits = limits
        limiter = limiter or LocalLimiter(clock)
        self.devices = limiter.limits(
            "code-device", ((limits.device_wrong, limits.device_window, "device"),)
        )
        self.addresses = limiter.pace(
            "code-address", limits.address_wrong / limits.address_window, limits.address_wrong
        )
        self.server = limiter.pace(
            "code-server", limits.server_wrong / limits.server_window, limits.server_wrong
        )
        # An address's wait while it has sent a wrong code lately: every failure past none
        # waits the whole window, so "lately" is a single count and time per address.
        window = limits.address_window
        self.lately = limiter.backoff(
            "code-lately", free=0, base=window, cap=window, forget_after=window
        )
        self.turns = limiter.turns("code-turn", 1.0 / limits.pace)
        self._gates: OrderedDict[str, Gate] = OrderedDict()

    async def device_wait(self, caller: Caller) -> float:
        """Seconds this device must wait before it may try a code; 0 if it may now."""
        return await self.devices.retry_after({"device": caller.device})

    async def charge(self, caller: Caller) -> bool:
        """Take one lookup from the address's allowance for wrong codes, before the lookup, so
        that many lookups at once cannot all slip through on the last of it; False when none is
        left: the lookup must take its turn. A right code gets its share back (settle)."""
        return await self.addresses.allow(caller.address)

    async def server_wide(self, caller: Caller) -> bool:
        """Whether the whole server is being tried with more wrong codes than rooms make, and
        this address sent one of them lately: then it takes its turn too."""
        return await self.lately.retry_after(caller.address) > 0 and await self.server.empty("all")

    async def take_turn(self, caller: Caller) -> bool:
        """Wait for this address's turn; False if the caller went away meanwhile."""
        self.on_paced()
        gate = self._gates.get(caller.address)
        if gate is None:
            gate = self._gates[caller.address] = Gate(caller.address, self.turns)
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

    async def settle(self, caller: Caller, charged: bool, wrong: bool) -> None:
        """After a lookup: a wrong code counts against the device, its address and the server;
        a right one (or one never made) gives back what charge took."""
        if not wrong:
            if charged:
                await self.addresses.refund(caller.address)
            return
        self.on_wrong()
        await self.devices.fail({"device": caller.device})
        await self.server.allow("all")
        await self.lately.fail(caller.address)
