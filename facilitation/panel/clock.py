"""The deadline, the cancel request and the progress reports of a lottery's computation.

Pure (the standard library's clock only). The computation asks `Clock.check` between two solves:
it raises Cancelled when the cancel callback says so, and Stop when the deadline has passed; each
solve is also given the time left, so that a long one stops at the deadline too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


class Cancelled(Exception):
    """The computation was cancelled before it finished."""


class Stop(Exception):
    """The deadline passed."""


@dataclass(frozen=True, slots=True)
class Progress:
    """Where the computation stands, reported between solves."""

    stage: int
    settled: int  # volunteers whose chance is settled
    volunteers: int
    smallest: float  # the smallest chance of a lottery already in hand
    bound: float  # the leximin's smallest chance is at most this
    seconds: float


class Clock:
    """The deadline, the cancel callback and the progress callback, checked between solves."""

    def __init__(
        self,
        limit: float | None,
        cancel: Callable[[], bool] | None,
        progress: Callable[[Progress], None] | None,
    ) -> None:
        self.start = time.monotonic()
        self.deadline = None if limit is None else self.start + limit
        self.cancel = cancel
        self.progress = progress

    def check(self) -> None:
        if self.cancel is not None and self.cancel():
            raise Cancelled
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise Stop

    def remaining(self) -> float | None:
        """Seconds left before the deadline (None without one)."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def elapsed(self) -> float:
        return time.monotonic() - self.start
