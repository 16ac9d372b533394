"""Rate limits against floods and guessing: token buckets and failure counters, with bounded memory.

Pure and clock-free: callers pass the time (or, for the async limits the app uses, a clock),
so tests are exact and nothing here sleeps. ``Pace`` and ``Limits`` are what the use cases ask;
the in-process ones here are the default, and several workers share Redis-backed ones
(``facilitation.relay.limits``) that answer the same questions.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Protocol

# (most failures, within seconds, the key's name) for each limit a Limits checks together.
LimitSpec = tuple[tuple[int, float, str], ...]


@dataclass
class TokenBucket:
    """Allows ``burst`` events at once and ``rate`` per second after that."""

    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = 0.0

    def allow(self, now: float) -> bool:
        """Take one token if there is one."""
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def refund(self) -> None:
        """Give back a token taken for something that turned out not to count."""
        self.tokens = min(self.burst, self.tokens + 1)

    def empty(self, now: float) -> bool:
        """Whether the next event would be refused."""
        self._refill(now)
        return self.tokens < 1

    def full(self, now: float) -> bool:
        """Whether nothing has been taken lately (the burst is all there again)."""
        self._refill(now)
        return self.tokens >= self.burst

    def _refill(self, now: float) -> None:
        if self.tokens < 0:
            self.tokens, self.stamp = self.burst, now
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)


class Buckets:
    """A token bucket per key (e.g. per participant), forgetting the oldest beyond ``max_keys``."""

    def __init__(self, rate: float, burst: float, max_keys: int = 50_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[Hashable, TokenBucket] = OrderedDict()

    def allow(self, key: Hashable, now: float) -> bool:
        """Take one of this key's tokens if it has one."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        self._buckets.move_to_end(key)
        return bucket.allow(now)

    def get(self, key: Hashable) -> TokenBucket | None:
        """This key's bucket, if it has one (a key never seen has a full bucket)."""
        return self._buckets.get(key)


@dataclass
class FailureLimit:
    """At most ``limit`` failures per key within ``window`` seconds; remembers ``max_keys`` keys."""

    limit: int
    window: float
    max_keys: int = 10_000
    _seen: OrderedDict[Hashable, deque[float]] = field(default_factory=OrderedDict)

    def _recent(self, key: Hashable, now: float) -> deque[float]:
        times = self._seen.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._seen[key]
        return times

    def retry_after(self, key: Hashable, now: float) -> float:
        """Seconds until this key may try again; 0 if it may try now."""
        times = self._recent(key, now)
        if len(times) < self.limit:
            return 0.0
        return max(0.0, times[0] + self.window - now)

    def fail(self, key: Hashable, now: float) -> None:
        """Count a failure for this key."""
        times = self._recent(key, now)
        if key not in self._seen:
            self._seen[key] = times
        times.append(now)
        self._seen.move_to_end(key)
        while len(self._seen) > self.max_keys:
            self._seen.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        """Clear a key after a success."""
        self._seen.pop(key, None)


@dataclass
class Backoff:
    """Exponential delays after failures: ``free`` failures cost nothing, then each one doubles
    the wait before the next try, from ``base`` seconds up to ``cap``; a key is forgotten once
    ``forget_after`` seconds pass without a failure. Remembers ``max_keys`` keys."""

    free: int
    base: float
    cap: float
    forget_after: float
    max_keys: int = 10_000
    _seen: OrderedDict[Hashable, tuple[int, float]] = field(default_factory=OrderedDict)

    def failures(self, key: Hashable, now: float) -> int:
        count, last = self._seen.get(key, (0, 0.0))
        if count and now - last >= self.forget_after:
            del self._seen[key]
            return 0
        return count

    def delay(self, count: int) -> float:
        """The wait that ``count`` failures earn."""
        if count <= self.free:
            return 0.0
        return min(self.cap, self.base * 2.0 ** min(count - self.free - 1, 60))

    def retry_after(self, key: Hashable, now: float) -> float:
        """Seconds until this key may try again; 0 if it may try now."""
        count = self.failures(key, now)
        if count <= self.free:
            return 0.0
        _count, last = self._seen[key]
        return max(0.0, last + self.delay(count) - now)

    def fail(self, key: Hashable, now: float) -> None:
        """Count a failure for this key."""
        self._seen[key] = (self.failures(key, now) + 1, now)
        self._seen.move_to_end(key)
        while len(self._seen) > self.max_keys:
            self._seen.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        """Clear a key after a success."""
        self._seen.pop(key, None)

    def undo(self, key: Hashable) -> None:
        """Take back one failure counted in advance for a try that succeeded."""
        count, last = self._seen.get(key, (0, 0.0))
        if count > 1:
            self._seen[key] = (count - 1, last)
        else:
            self._seen.pop(key, None)


@dataclass
class Guard:
    """Several failure limits checked together: the longest wait wins."""

    limits: tuple[tuple[FailureLimit, str], ...]

    def retry_after(self, keys: dict[str, Hashable], now: float) -> float:
        return max(
            (limit.retry_after(keys[name], now) for limit, name in self.limits if name in keys),
            default=0.0,
        )

    def fail(self, keys: dict[str, Hashable], now: float) -> None:
        for limit, name in self.limits:
            if name in keys:
                limit.fail(keys[name], now)

    def forget(self, keys: dict[str, Hashable]) -> None:
        """Clear the named keys after a success."""
        for limit, name in self.limits:
            if name in keys:
                limit.forget(keys[name])


class Pace(Protocol):
    """A token bucket per key, wherever the buckets are kept."""

    async def allow(self, key: str) -> bool:
        """Take one token for ``key`` if there is one."""
        ...

    async def refund(self, key: str) -> None:
        """Give back a token taken for something that turned out not to count."""
        ...

    async def empty(self, key: str) -> bool:
        """Whether the next event for ``key`` would be refused (taking nothing)."""
        ...


class Limits(Protocol):
    """Several failure limits checked together, wherever the counts are kept."""

    async def retry_after(self, keys: dict[str, str]) -> float:
        """Seconds until these keys may try again; 0 if they may try now."""
        ...

    async def fail(self, keys: dict[str, str]) -> None:
        """Count a failure for each named key."""
        ...

    async def forget(self, keys: dict[str, str]) -> None:
        """Clear the named keys after a success."""
        ...


class Backoffs(Protocol):
    """Exponential waits per key (as Backoff counts them), wherever the counts are kept."""

    async def retry_after(self, key: str) -> float:
        """Seconds until this key may try again; 0 if it may try now."""
        ...

    async def fail(self, key: str) -> None:
        """Count a failure for this key."""
        ...

    async def forget(self, key: str) -> None:
        """Clear a key after a success."""
        ...

    async def undo(self, key: str) -> None:
        """Take back one failure counted in advance for a try that succeeded."""
        ...


class Turns(Protocol):
    """Turns booked per key, ``spacing`` seconds apart, wherever the bookings are kept: callers
    of one key go through one at a time at its pace, however many workers they wait on."""

    async def book(self, key: str) -> tuple[float, str]:
        """Book the key's next turn: the seconds until it, and the turn, to give it back."""
        ...

    async def give_back(self, key: str, turn: str) -> None:
        """Give back a booked turn its caller will not take, unless a later one is booked."""
        ...


class Limiter(Protocol):
    """Makes the paces, limits, backoffs and turns of one app, all kept in one place."""

    def pace(self, name: str, rate: float, burst: float) -> Pace: ...

    def turns(self, name: str, spacing: float) -> Turns: ...

    def limits(self, name: str, spec: LimitSpec) -> Limits: ...

    def backoff(
        self, name: str, free: int, base: float, cap: float, forget_after: float
    ) -> Backoffs: ...


@dataclass
class LocalPace:
    """Buckets in this process, read against ``clock``."""

    buckets: Buckets
    clock: Callable[[], float]

    async def allow(self, key: str) -> bool:
        return self.buckets.allow(key, self.clock())

    async def refund(self, key: str) -> None:
        bucket = self.buckets.get(key)
        if bucket is not None:
            bucket.refund()

    async def empty(self, key: str) -> bool:
        bucket = self.buckets.get(key)
        return bucket is not None and bucket.empty(self.clock())


@dataclass
class LocalLimits:
    """A Guard in this process, read against ``clock``."""

    guard: Guard
    clock: Callable[[], float]

    async def retry_after(self, keys: dict[str, str]) -> float:
        return self.guard.retry_after(dict(keys), self.clock())

    async def fail(self, keys: dict[str, str]) -> None:
        self.guard.fail(dict(keys), self.clock())

    async def forget(self, keys: dict[str, str]) -> None:
        self.guard.forget(dict(keys))


@dataclass
class LocalBackoffs:
    """A Backoff in this process, read against ``clock``."""

    backoff: Backoff
    clock: Callable[[], float]

    async def retry_after(self, key: str) -> float:
        return self.backoff.retry_after(key, self.clock())

    async def fail(self, key: str) -> None:
        self.backoff.fail(key, self.clock())

    async def forget(self, key: str) -> None:
        self.backoff.forget(key)

    async def undo(self, key: str) -> None:
        self.backoff.undo(key)


@dataclass
class LocalTurns:
    """Turns booked in this process, read against ``clock``; remembers ``max_keys`` keys."""

    spacing: float
    clock: Callable[[], float]
    max_keys: int = 10_000
    _last: OrderedDict[str, float] = field(default_factory=OrderedDict)

    async def book(self, key: str) -> tuple[float, str]:
        now = self.clock()
        turn = max(now, self._last.get(key, float("-inf")) + self.spacing)
        self._last[key] = turn
        self._last.move_to_end(key)
        while len(self._last) > self.max_keys:
            self._last.popitem(last=False)
        return turn - now, repr(turn)

    async def give_back(self, key: str, turn: str) -> None:
        if key in self._last and repr(self._last[key]) == turn:
            self._last[key] -= self.spacing


@dataclass
class LocalLimiter:
    """Paces and limits kept in this process (one worker, or no Redis)."""

    clock: Callable[[], float]

    def pace(self, name: str, rate: float, burst: float) -> Pace:
        return LocalPace(Buckets(rate=rate, burst=burst), self.clock)

    def turns(self, name: str, spacing: float) -> Turns:
        return LocalTurns(spacing, self.clock)

    def limits(self, name: str, spec: LimitSpec) -> Limits:
        return LocalLimits(
            Guard(tuple((FailureLimit(n, window), key) for n, window, key in spec)), self.clock
        )

    def backoff(
        self, name: str, free: int, base: float, cap: float, forget_after: float
    ) -> Backoffs:
        return LocalBackoffs(Backoff(free, base, cap, forget_after), self.clock)
