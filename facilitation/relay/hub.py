"""The hub across processes: each worker keeps its own subscribers and bounded queues, and every
message that is not ``local`` also goes through one Redis pub/sub channel to the other workers,
which hand it to their subscribers and listeners. Messages are JSON on the wire.

Publishing never waits: messages queue for a sender task, which sends what has piled up in one
pipeline (a busy room's many "changed" messages cost one round trip, not one each); a bounded
outbox drops the oldest when Redis is away. A lost connection is retried every few seconds,
and a worker's own messages, which come back from Redis, are skipped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Hashable
from contextlib import suppress
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from facilitation.core.hub import Hub

log = logging.getLogger("facilitation.relay")

OUTBOX = 10_000
RETRY_SECONDS = 2.0


class RedisHub(Hub):
    """A Hub whose messages also reach every other worker sharing the Redis at ``url``."""

    def __init__(self, url: str, maxsize: int = 32, on_drop: Any = lambda: None) -> None:
        super().__init__(maxsize, on_drop)
        self.url = url
        self.origin = uuid.uuid4().hex
        self.channel = "facilitation:hub"
        self.sent = 0
        self.received = 0
        self._outbox: asyncio.Queue[str] = asyncio.Queue(OUTBOX)
        self._tasks: list[asyncio.Task[None]] = []
        self._redis: aioredis.Redis | None = None
        self._ready = asyncio.Event()

    async def start(self, namespace: str = "") -> None:
        """Connect, and hear the other workers of this instance (``namespace`` keeps instances
        sharing one Redis apart); returns once subscribed."""
        if namespace:
            self.channel = f"facilitation:{namespace}:hub"
        self._redis = aioredis.from_url(self.url)
        self._tasks = [
            asyncio.create_task(self._receive(), name="hub-receive"),
            asyncio.create_task(self._send(), name="hub-send"),
        ]
        with suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), 10)
        if not self._ready.is_set():
            raise RuntimeError(f"could not subscribe to Redis at {self.url}")

    async def aclose(self) -> None:
        """Stop hearing and sending; what is still queued is dropped."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError, Exception):
                await task
        if self._redis is not None:
            await self._redis.aclose()

    def publish(self, channel: Hashable, message: Any, *, local: bool = False) -> int:
        """Deliver here at once; queue for the other workers unless ``local``."""
        if not local:
            wire = json.dumps([self.origin, channel, message], separators=(",", ":"))
            if self._outbox.full():
                self._outbox.get_nowait()  # Redis is away: the oldest change is the most stale
            self._outbox.put_nowait(wire)
        return self.deliver(channel, message)

    async def _send(self) -> None:
        assert self._redis is not None
        while True:
            batch = [await self._outbox.get()]
            while not self._outbox.empty() and len(batch) < 500:
                batch.append(self._outbox.get_nowait())
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for wire in batch:
                        pipe.publish(self.channel, wire)
                    await pipe.execute()
                self.sent += len(batch)
            except (RedisError, OSError) as exc:
                log.warning("could not send %d live messages to Redis: %s", len(batch), exc)
                await asyncio.sleep(RETRY_SECONDS)

    async def _receive(self) -> None:
        assert self._redis is not None
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._ready.set()
                    async for item in pubsub.listen():
                        self._hand_on(item.get("data"))
            except (RedisError, OSError) as exc:
                log.warning("lost Redis (%s); listening again in %ss", exc, RETRY_SECONDS)
                await asyncio.sleep(RETRY_SECONDS)

    def _hand_on(self, data: Any) -> None:
        try:
            origin, channel, message = json.loads(data)
        except (TypeError, ValueError):
            log.warning("ignored a live message that is not ours: %r", data)
            return
        if origin == self.origin:
            return
        self.received += 1
        try:
            self.deliver(tuple(channel) if isinstance(channel, list) else channel, message)
        except Exception:  # one bad subscriber must not stop the others' messages
            log.exception("a live message could not be handed on")
