"""The hub on its own: channels, bounded inboxes, clean-up, and a publisher that never waits."""

from __future__ import annotations

import asyncio
import inspect
from contextlib import AsyncExitStack

import pytest

from facilitation.core.hub import Hub, Overflowed

BOARD_1 = ("board", 1)
BOARD_2 = ("board", 2)


def drain(sub) -> list:
    """Everything a subscriber has queued right now, without waiting."""
    out = []
    while not sub.queue.empty():
        out.append(sub.queue.get_nowait())
    return out


async def test_publish_reaches_every_subscriber_of_the_channel_and_no_other():
    hub = Hub()
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(hub.subscribe(BOARD_1))
        second = await stack.enter_async_context(hub.subscribe(BOARD_1))
        other = await stack.enter_async_context(hub.subscribe(BOARD_2))
        assert hub.publish(BOARD_1, "tally changed") == 2
        assert await first.get() == "tally changed"
        assert await second.get() == "tally changed"
        assert other.queue.empty()
        assert hub.publish(BOARD_2, "stage") == 1
        assert await other.get() == "stage"
        assert first.queue.empty() and second.queue.empty()


async def test_messages_arrive_in_order_and_unchanged():
    hub = Hub()
    payload = {"round": 3}
    async with hub.subscribe(BOARD_1) as sub:
        for message in ("a", payload, 3):
            hub.publish(BOARD_1, message)
        assert [await sub.get() for _ in range(3)] == ["a", payload, 3]
    assert drain(sub) == []


async def test_publish_to_a_channel_nobody_follows_reaches_no_one():
    hub = Hub()
    assert hub.publish(BOARD_1, "anyone?") == 0
    assert hub.count(BOARD_1) == 0


async def test_a_waiting_subscriber_is_woken_by_publish():
    hub = Hub()
    ready = asyncio.Event()

    async def listen():
        async with hub.subscribe(BOARD_1) as sub:
            ready.set()
            return await sub.get()

    task = asyncio.create_task(listen())
    await ready.wait()
    hub.publish(BOARD_1, "opened")
    assert await asyncio.wait_for(task, timeout=5) == "opened"
    assert hub.count(BOARD_1) == 0


async def test_leaving_the_block_unsubscribes():
    hub = Hub()
    async with hub.subscribe(BOARD_1):
        async with hub.subscribe(BOARD_1) as second:
            assert hub.count(BOARD_1) == 2
        assert hub.count(BOARD_1) == 1
        hub.publish(BOARD_1, "after second left")
        assert drain(second) == []
    assert hub.count(BOARD_1) == 0
    assert hub.publish(BOARD_1, "nobody") == 0


async def test_an_error_in_the_body_still_unsubscribes():
    hub = Hub()
    with pytest.raises(RuntimeError, match="socket closed"):
        async with hub.subscribe(BOARD_1):
            assert hub.count(BOARD_1) == 1
            raise RuntimeError("socket closed")
    assert hub.count(BOARD_1) == 0


async def test_a_cancelled_listener_unsubscribes():
    hub = Hub()
    ready = asyncio.Event()

    async def listen():
        async with hub.subscribe(BOARD_1) as sub:
            ready.set()
            await sub.get()

    task = asyncio.create_task(listen())
    await ready.wait()
    assert hub.count(BOARD_1) == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert hub.count(BOARD_1) == 0


async def test_an_overflowing_subscriber_is_told_and_others_keep_up():
    hub = Hub(maxsize=2)
    async with hub.subscribe(BOARD_1) as frozen, hub.subscribe(BOARD_1) as lively:
        received = []
        for n in range(10):
            assert hub.publish(BOARD_1, n) == 2
            received.append(await lively.get())
        assert received == list(range(10))
        assert frozen.overflowed and not lively.overflowed
        with pytest.raises(Overflowed):
            await frozen.get()


async def test_each_dropped_subscriber_is_reported_once():
    dropped = []
    hub = Hub(maxsize=1, on_drop=lambda: dropped.append(1))
    async with hub.subscribe(BOARD_1) as frozen, hub.subscribe(BOARD_1) as other:
        for n in range(5):
            hub.publish(BOARD_1, n)
        assert frozen.overflowed and other.overflowed
    assert dropped == [1, 1]


async def test_an_overflowed_subscriber_receives_nothing_more():
    hub = Hub(maxsize=1)
    async with hub.subscribe(BOARD_1) as sub:
        hub.publish(BOARD_1, "first")
        hub.publish(BOARD_1, "second")
        hub.publish(BOARD_1, "third")
        assert sub.overflowed
        with pytest.raises(Overflowed):
            await sub.get()
        assert drain(sub) == []


async def test_a_queue_exactly_full_has_not_overflowed():
    hub = Hub(maxsize=3)
    async with hub.subscribe(BOARD_1) as sub:
        for n in range(3):
            hub.publish(BOARD_1, n)
        assert not sub.overflowed
        assert [await sub.get() for _ in range(3)] == [0, 1, 2]


def test_publish_is_plain_function_that_never_awaits():
    assert not inspect.iscoroutinefunction(Hub.publish)
    assert not inspect.iscoroutinefunction(Hub.count)


async def test_publish_to_a_frozen_subscriber_returns_at_once():
    # Thousands of messages to a reader that never reads: publish is synchronous, so this loop
    # finishing at all shows nothing waited on the frozen queue.
    hub = Hub(maxsize=4)
    async with hub.subscribe(BOARD_1) as frozen, hub.subscribe(BOARD_1) as lively:
        for n in range(5000):
            result = hub.publish(BOARD_1, n)
            assert result == 2
            assert not inspect.isawaitable(result)
            assert await lively.get() == n
        assert frozen.queue.qsize() <= 4
    assert hub.count(BOARD_1) == 0
