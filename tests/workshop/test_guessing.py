"""The limits on guessing join codes, with small numbers and a clock the test moves: who is
refused, whose address is paced, and the line a paced address waits in."""

from __future__ import annotations

import asyncio
import time

from facilitation.workshop.guessing import Caller, CodeGuard, Limits

SMALL = Limits(
    device_wrong=3,
    device_window=60,
    address_wrong=5,
    address_window=60,
    server_wrong=8,
    server_window=3600,
    pace=20.0,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def wrong(guard: CodeGuard, caller: Caller) -> bool:
    """One wrong code, as find_by_code counts it; True if it had to take its turn."""
    charged = await guard.charge(caller)
    paced = not charged or await guard.server_wide(caller)
    await guard.settle(caller, charged, wrong=True)
    return paced


async def test_a_device_is_refused_after_its_wrong_codes_and_forgiven_after_the_window():
    clock = Clock()
    guard = CodeGuard(SMALL, clock)
    phone = Caller("device-1", "127.0.0.5")
    for _ in range(3):
        await wrong(guard, phone)
    assert await guard.device_wait(phone) == 60
    assert await guard.device_wait(Caller("device-2", "127.0.0.5")) == 0
    clock.now += 60
    assert await guard.device_wait(phone) == 0


async def test_an_address_is_paced_after_its_allowance_and_a_right_code_costs_it_nothing():
    guard = CodeGuard(SMALL, Clock())
    hall = [Caller(f"fresh-{i}", "127.0.0.6") for i in range(50)]
    for caller in hall:
        charged = await guard.charge(caller)
        await guard.settle(caller, charged, wrong=False)  # right codes, however many
    assert [await wrong(guard, c) for c in hall[:7]] == [False] * 5 + [True] * 2
    assert not await wrong(guard, Caller("elsewhere", "127.0.0.7"))


async def test_many_lookups_at_once_cannot_all_slip_through_on_the_last_of_the_allowance():
    guard = CodeGuard(SMALL, Clock())
    callers = [Caller(f"fresh-{i}", "127.0.0.8") for i in range(30)]
    charged = [await guard.charge(c) for c in callers]  # all asked before any answer
    assert charged.count(True) == SMALL.address_wrong


async def test_a_flood_across_the_server_paces_every_address_that_guessed_lately():
    clock = Clock()
    guard = CodeGuard(SMALL, clock)
    # Eight addresses, one wrong code each: none is past its own allowance...
    addresses = [f"127.0.1.{i}" for i in range(8)]
    assert [await wrong(guard, Caller(f"d{i}", a)) for i, a in enumerate(addresses)] == [False] * 8
    # ...but the server is, so each of them now takes its turn; one that never guessed does not.
    assert all([await guard.server_wide(Caller("x", a)) for a in addresses])
    assert not await guard.server_wide(Caller("x", "127.0.2.1"))
    clock.now += SMALL.address_window
    assert not await guard.server_wide(Caller("x", addresses[0]))


async def test_a_paced_address_goes_through_in_order_at_its_pace():
    guard = CodeGuard(SMALL)
    order: list[int] = []

    async def lookup(n: int) -> None:
        assert await guard.take_turn(Caller(f"d{n}", "127.0.0.9"))
        order.append(n)

    started = time.monotonic()
    await asyncio.gather(*(lookup(n) for n in range(10)))
    assert order == list(range(10))
    assert time.monotonic() - started >= 9 / SMALL.pace


async def test_a_caller_that_leaves_the_line_frees_its_place():
    guard = CodeGuard(Limits(pace=1.0))
    gone = asyncio.Event()
    assert await guard.take_turn(Caller("first", "127.0.0.10"))  # the line is now a second long

    async def until_gone() -> None:
        await gone.wait()

    leaving = asyncio.create_task(guard.take_turn(Caller("left", "127.0.0.10", until_gone)))
    await asyncio.sleep(0)
    gone.set()
    assert await asyncio.wait_for(leaving, 5) is False
    started = time.monotonic()
    assert await guard.take_turn(Caller("next", "127.0.0.10"))
    assert time.monotonic() - started < 1.5  # waited out the first one's second, not two
