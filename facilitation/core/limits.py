"""Rate limits against floods and guessing: token buckets and failure counters, with bounded memory.

Pure and clock-free: callers pass the time, so tests are exact and nothing here sleeps.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Hashable
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """Allows ``burst`` events at once and ``rate`` per second after that."""

    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = 0.0

    def allow(self, now: float) -> bool:
        """Take one token if there is one."""
        if self.tokens < 0:
            self.tokens, self.stamp = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Buckets:
    """A token bucket per key (e.g. per participant), forgetting the oldest beyond ``max_keys``."""

    def __init__(self, rate: float, burst: float, max_keys: int = 50_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[Hashable, TokenBucket] = OrderedDict()

    def allow(self, key: Hashable, now: float) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        self._buckets.move_to_end(key)
        return bucket.allow(now)


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
