"""The rate-limit primitives, with the clock passed in so every case is exact."""

from __future__ import annotations

import pytest

from facilitation.core.limits import Buckets, FailureLimit, Guard, TokenBucket


def test_a_bucket_allows_its_burst_then_its_rate():
    bucket = TokenBucket(rate=1.0, burst=3)
    assert [bucket.allow(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.allow(0.5) is False
    assert bucket.allow(1.0) is True
    assert bucket.allow(1.0) is False


def test_a_bucket_never_saves_up_more_than_its_burst():
    bucket = TokenBucket(rate=10.0, burst=2)
    bucket.allow(0.0)
    assert [bucket.allow(100.0) for _ in range(3)] == [True, True, False]


def test_buckets_are_separate_per_key_and_memory_is_bounded():
    buckets = Buckets(rate=1.0, burst=1, max_keys=3)
    assert buckets.allow("a", 0.0) and not buckets.allow("a", 0.0)
    assert buckets.allow("b", 0.0)
    for key in ("c", "d", "e"):
        buckets.allow(key, 0.0)
    assert len(buckets._buckets) == 3
    assert buckets.allow("a", 0.0)  # forgotten, so it starts afresh


@pytest.mark.parametrize(
    ("failures", "now", "wait"),
    [
        ([0, 1, 2], 3, 597.0),  # three of three used: wait until the first expires
        ([0, 1], 3, 0.0),  # under the limit
        ([0, 1, 2], 601, 0.0),  # the window has passed
    ],
)
def test_failure_limit_waits_until_the_oldest_failure_expires(failures, now, wait):
    limit = FailureLimit(limit=3, window=600)
    for t in failures:
        limit.fail("device", t)
    assert limit.retry_after("device", now) == pytest.approx(wait)


def test_failure_limit_forgets_after_success_and_bounds_its_memory():
    limit = FailureLimit(limit=1, window=60, max_keys=2)
    limit.fail("x", 0)
    assert limit.retry_after("x", 1) > 0
    limit.forget("x")
    assert limit.retry_after("x", 1) == 0
    for key in ("p", "q", "r"):
        limit.fail(key, 0)
    assert len(limit._seen) == 2


def test_a_guard_waits_for_the_strictest_of_its_limits():
    device, address = FailureLimit(2, 100), FailureLimit(5, 100)
    guard = Guard(((device, "device"), (address, "ip")))
    for t in range(2):
        guard.fail({"device": "d1", "ip": "wifi"}, t)
    assert guard.retry_after({"device": "d1", "ip": "wifi"}, 2) == pytest.approx(98)
    assert guard.retry_after({"device": "d2", "ip": "wifi"}, 2) == 0
    guard.forget({"device": "d1"})
    assert guard.retry_after({"device": "d1", "ip": "wifi"}, 2) == 0
