"""Paces, failure limits, backoffs and turns shared by every worker through Redis, with the same
answers as the in-process ones (core.limits): a token bucket per key, failures counted per key
within a window, exponential waits per key, and each key's turns booked one after the other.
Each check is one Lua script, so two workers never race on a key, and the time is Redis's own,
so workers on several hosts agree on it. Keys expire when they no longer matter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import redis.asyncio as aioredis

from facilitation.core.limits import Backoffs, Limits, LimitSpec, Pace, Turns

# KEYS[1] the bucket; ARGV rate, burst, and what to do: 'take' returns 1 if a token was taken,
# 'refund' gives one back, 'peek' returns 1 if a token is there (taking nothing).
_BUCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens, stamp = tonumber(state[1]), tonumber(state[2])
if tokens == nil then
  if ARGV[3] ~= 'take' then return 1 end
  tokens, stamp = burst, now
end
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
if ARGV[3] == 'peek' then
  if tokens >= 1 then return 1 end
  return 0
end
local allowed = 0
if ARGV[3] == 'refund' then
  tokens = math.min(burst, tokens + 1)
elseif tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
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

# KEYS[1] the backoff (count and time of the last failure); ARGV free, base, cap, forget_after,
# and what to do: 'wait' returns the wait (seconds, as text), 'fail' counts one failure, 'undo'
# takes one back. A key unfailed for forget_after seconds starts afresh, as Backoff does.
_BACKOFF = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local free, base, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local forget_after = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'count', 'last')
local count, last = tonumber(state[1]) or 0, tonumber(state[2]) or 0
if count > 0 and now - last >= forget_after then
  redis.call('DEL', KEYS[1])
  count = 0
end
if ARGV[5] == 'fail' then
  redis.call('HSET', KEYS[1], 'count', count + 1, 'last', tostring(now))
  redis.call('EXPIRE', KEYS[1], math.ceil(forget_after))
  return '0'
elseif ARGV[5] == 'undo' then
  if count > 1 then redis.call('HSET', KEYS[1], 'count', count - 1)
  else redis.call('DEL', KEYS[1]) end
  return '0'
end
if count <= free then return '0' end
local delay = math.min(cap, base * 2 ^ math.min(count - free - 1, 60))
return tostring(math.max(0, last + delay - now))
"""

# KEYS[1] the key's last booked turn; ARGV spacing, what to do, and for 'give' the turn given
# back. 'book' returns {seconds until the next turn, the turn}; 'give' moves the last turn back
# by one spacing if it is still the given one. Times travel as text: Lua would round a number.
_TURNS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local spacing = tonumber(ARGV[1])
local last = redis.call('GET', KEYS[1])
if ARGV[2] == 'give' then
  if last == ARGV[3] then
    redis.call('SET', KEYS[1], string.format('%.6f', tonumber(last) - spacing), 'KEEPTTL')
  end
  return 0
end
local turn = now
if last and tonumber(last) + spacing > now then turn = tonumber(last) + spacing end
local booked = string.format('%.6f', turn)
redis.call('SET', KEYS[1], booked, 'PX', math.ceil((turn - now + spacing) * 1000) + 1000)
return {string.format('%.6f', turn - now), booked}
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

    async def _run(self, key: str, action: str) -> bool:
        args = [self.rate, self.burst, action]
        return bool(int(await self._script(keys=[f"{self.prefix}:{key}"], args=args)))

    async def allow(self, key: str) -> bool:
        return await self._run(key, "take")

    async def refund(self, key: str) -> None:
        await self._run(key, "refund")

    async def empty(self, key: str) -> bool:
        return not await self._run(key, "peek")


@dataclass
class RedisTurns:
    """Turns per key, booked in Redis."""

    redis: aioredis.Redis
    prefix: str
    spacing: float

    def __post_init__(self) -> None:
        self._script = cast(Any, self.redis.register_script(_TURNS))

    async def book(self, key: str) -> tuple[float, str]:
        wait, turn = await self._script(keys=[f"{self.prefix}:{key}"], args=[self.spacing, "book"])
        return max(0.0, float(wait)), turn.decode()

    async def give_back(self, key: str, turn: str) -> None:
        await self._script(keys=[f"{self.prefix}:{key}"], args=[self.spacing, "give", turn])


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


@dataclass
class RedisBackoffs:
    """Exponential waits per key, counted in Redis."""

    redis: aioredis.Redis
    prefix: str
    free: int
    base: float
    cap: float
    forget_after: float

    def __post_init__(self) -> None:
        self._script = cast(Any, self.redis.register_script(_BACKOFF))

    async def _run(self, key: str, action: str) -> float:
        args = [self.free, self.base, self.cap, self.forget_after, action]
        return float(await self._script(keys=[f"{self.prefix}:{key}"], args=args))

    async def retry_after(self, key: str) -> float:
        return max(0.0, await self._run(key, "wait"))

    async def fail(self, key: str) -> None:
        await self._run(key, "fail")

    async def forget(self, key: str) -> None:
        await self.redis.delete(f"{self.prefix}:{key}")

    async def undo(self, key: str) -> None:
        await self._run(key, "undo")


class RedisLimiter:
    """Paces and limits that every worker sharing the Redis at ``url`` sees alike."""

    def __init__(self, url: str, namespace: str = "") -> None:
        self.redis = aioredis.from_url(url)
        self.namespace = namespace

    def _prefix(self, name: str) -> str:
        return f"facilitation:{self.namespace}:{name}" if self.namespace else f"facilitation:{name}"

    def pace(self, name: str, rate: float, burst: float) -> Pace:
        return RedisPace(self.redis, self._prefix(name), rate, burst)

    def turns(self, name: str, spacing: float) -> Turns:
        return RedisTurns(self.redis, self._prefix(name), spacing)

    def limits(self, name: str, spec: LimitSpec) -> Limits:
        return RedisLimits(self.redis, self._prefix(name), spec)

    def backoff(
        self, name: str, free: int, base: float, cap: float, forget_after: float
    ) -> Backoffs:
        return RedisBackoffs(self.redis, self._prefix(name), free, base, cap, forget_after)

    async def aclose(self) -> None:
        await self.redis.aclose()
