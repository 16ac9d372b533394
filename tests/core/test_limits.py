"""The rate-limit primitives, with the clock passed in so every case is exact."""

from __future__ import annotations

import pytest

from facilitation.core.limits import Backoff, Buckets, FailureLimit, TokenBucket


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


@pytest.mark.parametrize(
    ("failures", "wait"), [(0, 0.0), (3, 0.0), (4, 1.0), (5, 2.0), (7, 8.0), (20, 30.0)]
)
def test_a_backoff_is_free_for_a_few_failures_then_doubles_up_to_its_cap(failures, wait):
    backoff = Backoff(free=3, base=1.0, cap=30.0, forget_after=3600)
    for _ in range(failures):
        backoff.fail("pair", 100.0)
    assert backoff.retry_after("pair", 100.0) == wait
    assert backoff.retry_after("pair", 100.0 + wait) == 0


def test_a_backoff_forgets_after_a_quiet_spell_or_a_success_and_bounds_its_memory():
    backoff = Backoff(free=0, base=1.0, cap=30.0, forget_after=60, max_keys=2)
    backoff.fail("a", 0.0)
    backoff.fail("a", 0.0)
    assert backoff.failures("a", 59.0) == 2
    assert backoff.failures("a", 60.0) == 0
    backoff.fail("b", 0.0)
    backoff.forget("b")
    assert backoff.retry_after("b", 0.0) == 0
    for key in ("p", "q", "r"):
        backoff.fail(key, 0.0)
    assert len(backoff._seen) == 2


def test_a_bucket_can_be_refunded_and_told_full_or_empty():
    bucket = TokenBucket(rate=1.0, burst=2)
    assert bucket.full(0.0) and not bucket.empty(0.0)
    bucket.allow(0.0)
    bucket.allow(0.0)
    assert bucket.empty(0.0)
    bucket.refund()
    assert not bucket.empty(0.0) and not bucket.full(0.0)
    assert bucket.full(1.0)
