"""The Redis side, without HTTP: two hubs and two limiters on one Redis stand for two workers.

These need the Redis that `--engine postgresql` runs with, so they run there (and are deselected,
never skipped, on SQLite; see tests/engines.py)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest

from facilitation.relay.hub import RedisHub
from facilitation.relay.limits import RedisLimiter
from facilitation.workshop.guessing import Caller, CodeGuard, Limits
from tests.engines import REDIS_VARIABLE

pytestmark = pytest.mark.servers

WAIT = 5.0


@pytest.fixture
async def workers():
    """Two hubs of one instance (a namespace of their own), as two workers have."""
    namespace = uuid.uuid4().hex
    one, two = RedisHub(os.environ[REDIS_VARIABLE]), RedisHub(os.environ[REDIS_VARIABLE])
    await one.start(namespace)
    await two.start(namespace)
    yield one, two
    await one.aclose()
    await two.aclose()


async def test_a_message_published_on_one_worker_reaches_the_others_subscribers(workers):
    one, two = workers
    async with one.subscribe(("phones", 7)) as here, two.subscribe(("phones", 7)) as there:
        one.publish(("phones", 7), {"stage": 7, "id": "abc"})
        got_there = await asyncio.wait_for(there.get(), WAIT)
        got_here = await asyncio.wait_for(here.get(), WAIT)
        assert got_there == got_here == {"stage": 7, "id": "abc"}
        # The publisher's own subscriber had it once: its echo from Redis is skipped.
        one.publish(("phones", 7), {"stage": 7, "id": "def"})
        assert (await asyncio.wait_for(here.get(), WAIT))["id"] == "def"
        assert here.queue.empty()


async def test_a_local_message_stays_on_its_worker(workers):
    one, two = workers
    async with two.subscribe(("board", 3)) as there:
        assert one.publish(("board", 3), "<div>board</div>", local=True) == 0
        one.publish(("board", 3), "<div>shared</div>")
        assert await asyncio.wait_for(there.get(), WAIT) == "<div>shared</div>"
        assert there.queue.empty()


async def test_a_listener_hears_changes_made_on_another_worker(workers):
    one, two = workers
    heard: list[int] = []
    arrived = asyncio.Event()
    two.listen(("changed",), lambda w: (heard.append(w), arrived.set()))
    one.publish(("changed",), 42)
    await asyncio.wait_for(arrived.wait(), WAIT)
    assert heard == [42]


async def test_another_instance_on_the_same_redis_hears_nothing(workers):
    one, _two = workers
    stranger = RedisHub(os.environ[REDIS_VARIABLE])
    await stranger.start(uuid.uuid4().hex)
    try:
        async with stranger.subscribe(("phones", 1)) as sub:
            one.publish(("phones", 1), {"stage": 1, "id": "x"})
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(sub.get(), 0.5)
    finally:
        await stranger.aclose()


@pytest.fixture
async def limiters():
    namespace = uuid.uuid4().hex
    one = RedisLimiter(os.environ[REDIS_VARIABLE], namespace)
    two = RedisLimiter(os.environ[REDIS_VARIABLE], namespace)
    yield one, two
    await one.aclose()
    await two.aclose()


async def test_a_phones_pace_is_shared_by_every_worker(limiters):
    one, two = limiters
    paces = [one.pace("ballot", rate=0.01, burst=5), two.pace("ballot", rate=0.01, burst=5)]
    allowed = [await paces[i % 2].allow("participant-1") for i in range(8)]
    assert allowed == [True] * 5 + [False] * 3
    assert await paces[1].allow("participant-2")  # each key has its own bucket


async def test_wrong_codes_counted_on_two_workers_block_on_both(limiters):
    one, two = limiters
    spec = ((8, 600, "device"), (60, 600, "ip"))
    guards = [one.limits("code", spec), two.limits("code", spec)]
    who = {"device": "d1", "ip": "192.0.2.1"}
    for i in range(8):
        assert await guards[i % 2].retry_after(who) == 0
        await guards[i % 2].fail(who)
    for guard in guards:
        assert 590 < await guard.retry_after(who) <= 600
    assert await guards[0].retry_after({"device": "d2", "ip": "192.0.2.1"}) == 0
    await guards[1].forget({"device": "d1"})
    assert await guards[0].retry_after(who) == 0


async def test_a_backoff_counts_failures_on_two_workers_and_undoes_one(limiters):
    one, two = limiters
    waits = [
        one.backoff("sign-in", free=2, base=100.0, cap=900.0, forget_after=3600),
        two.backoff("sign-in", free=2, base=100.0, cap=900.0, forget_after=3600),
    ]
    for i in range(3):
        assert await waits[i % 2].retry_after("address-1") == 0
        await waits[i % 2].fail("address-1")
    assert 95 < await waits[0].retry_after("address-1") <= 100  # past the free two: base
    await waits[1].fail("address-1")
    assert 195 < await waits[0].retry_after("address-1") <= 200  # each failure doubles it
    await waits[0].undo("address-1")
    assert 95 < await waits[1].retry_after("address-1") <= 100
    assert await waits[1].retry_after("address-2") == 0
    await waits[1].forget("address-1")
    assert await waits[0].retry_after("address-1") == 0


async def test_a_refunded_token_and_an_empty_bucket_are_seen_by_every_worker(limiters):
    one, two = limiters
    paces = [one.pace("code", rate=0.01, burst=2), two.pace("code", rate=0.01, burst=2)]
    assert not await paces[1].empty("address-1")  # never seen: full
    assert await paces[0].allow("address-1")
    assert await paces[1].allow("address-1")
    assert await paces[0].empty("address-1")
    assert await paces[1].empty("address-1")
    await paces[1].refund("address-1")
    assert not await paces[0].empty("address-1")
    assert await paces[0].allow("address-1")
    assert not await paces[1].allow("address-1")


async def test_a_paced_address_waits_its_turn_on_every_worker_together(limiters):
    guards = [CodeGuard(Limits(pace=10.0), limiter=limiter) for limiter in limiters]
    through: list[float] = []

    async def lookup(n: int) -> None:
        assert await guards[n % 2].take_turn(Caller(f"d{n}", "192.0.2.7"))
        through.append(time.monotonic())

    started = time.monotonic()
    await asyncio.gather(*(lookup(n) for n in range(8)))
    # Each worker's own line would let its four through in 0.3 s; together, eight take 0.7 s.
    assert max(through) - started >= 0.7 - 0.02


async def test_a_turn_given_back_on_one_worker_goes_to_the_next_caller_on_another(limiters):
    one, two = (limiter.turns("code-turn", 1.0) for limiter in limiters)
    assert (await one.book("192.0.2.8"))[0] == 0  # the address's line is now a second long
    wait, turn = await two.book("192.0.2.8")
    assert 0.5 < wait <= 1.0
    await two.give_back("192.0.2.8", turn)  # that caller left
    again, _turn = await one.book("192.0.2.8")
    assert 0 < again <= wait  # the turn it gave back, not the one after
