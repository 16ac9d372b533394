"""Paces and failure limits shared by every worker through Redis, with the same answers as the
in-process ones (core.limits): a token bucket per key, and failures counted per key within a
window. Each check is one Lua script, so two workers never race on a key, and the time is Redis's
own, so workers on several hosts agree on it. Keys expire when they no longer matter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import redis.asyncio as aioredis

from facilitation.core.limits import Limits, LimitSpec, Pace

# KEYS[1] the bucket; ARGV rate, burst. Returns 1 if a token was taken.
_BUCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens, stamp = tonumber(state[1]), tonumber(state[2])
if tokens == nil then tokens, stamp = burst, now end
tokens = math.min(burst, tokens + (now - stamp) * rate)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return allowed
"""

# KEYS the failure lists; ARGV limit and window per key, in turn. Returns the longest wait
# (seconds, as text) before all of them may try again.
_RETRY_AFTER = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local wait = 0
for i, key in ipairs(KEYS) do
  local limit, window = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now)
  end
end
return tostring(wait)
"""

# KEYS the failure lists; ARGV window per key. Counts one failure on each.
_FAIL = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[i])
  redis.call('ZADD', key, now, t[1] .. t[2] .. ':' .. redis.call('INCR', key .. ':n'))
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  redis.call('EXPIRE', key, math.ceil(window))
  redis.call('EXPIRE', key .. ':n', math.ceil(window))
end
return 0
"""


@dataclass
class RedisPace:
    """A token bucket per key, kept in Redis."""

    redis: aioredis.Redis
    prefix: str
    rate: float
    burst: float

    def __post_init__(self) -> None:
        self._script = cast(Any, self.redis.register_script(_BUCKET))

    async def allow(self, key: str) -> bool:
        taken = await self._script(keys=[f"{self.prefix}:{key}"], args=[self.rate, self.burst])
        return bool(int(taken))


@dataclass
class RedisLimits:
    """Failure limits checked together, counted in Redis."""

    redis: aioredis.Redis
    prefix: str
    spec: LimitSpec

    def __post_init__(self) -> None:
        self._retry_after = cast(Any, self.redis.register_script(_RETRY_AFTER))
        self._fail = cast(Any, self.redis.register_script(_FAIL))

    def _keys(self, keys: dict[str, str]) -> list[tuple[str, int, float]]:
        return [
            (f"{self.prefix}:{name}:{keys[name]}", limit, window)
            for limit, window, name in self.spec
            if name in keys
        ]

    async def retry_after(self, keys: dict[str, str]) -> float:
        found = self._keys(keys)
        if not found:
            return 0.0
        args: list[float] = []
        for _key, limit, window in found:
            args += [limit, window]
        wait = await self._retry_after(keys=[k for k, _l, _w in found], args=args)
        return max(0.0, float(wait))

    async def fail(self, keys: dict[str, str]) -> None:
        found = self._keys(keys)
        if found:
            await self._fail(keys=[k for k, _l, _w in found], args=[w for _k, _l, w in found])

    async def forget(self, keys: dict[str, str]) -> None:
        found = self._keys(keys)
        if found:
            await self.redis.delete(*(k for k, _l, _w in found), *(f"{k}:n" for k, _l, _w in found))


class RedisLimiter:
    """Paces and limits that every worker sharing the Redis at ``url`` sees alike."""

    def __init__(self, url: str, namespace: str = "") -> None:
        self.redis = aioredis.from_url(url)
        self.namespace = namespace

    def _prefix(self, name: str) -> str:
        return f"facilitation:{self.namespace}:{name}" if self.namespace else f"facilitation:{name}"

    def pace(self, name: str, rate: float, burst: float) -> Pace:
        return RedisPace(self.redis, self._prefix(name), rate, burst)

    def limits(self, name: str, spec: LimitSpec) -> Limits:
        return RedisLimits(self.redis, self._prefix(name), spec)

    async def aclose(self) -> None:
        await self.redis.aclose()
