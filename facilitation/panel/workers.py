"""The worker processes that compute lotteries, so that one organiser's heavy lottery never
holds up another's nor the live workshops on the same server."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import MutableMapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.managers import SyncManager
from typing import Any

from facilitation.panel import lottery as lottery_rules
from facilitation.panel.clock import Cancelled, Progress
from facilitation.panel.pool import Volunteer
from facilitation.panel.quotas import Quota

WORKERS = 2  # the lotteries worked out at once; more wait for a free worker


CANCELLED = "cancelled"


@dataclass(slots=True)
class Job:
    """A lottery being worked out: its cancel request and its latest progress, shared with the
    worker process through the manager."""

    cancel: Any  # a manager Event
    progress: MutableMapping[str, float]
    limit: float | None
    started: float

    def status(self) -> dict[str, float | None]:
        """Where the lottery stands: seconds spent and allowed, and the worker's last report."""
        return {
            "seconds": time.monotonic() - self.started,
            "limit": self.limit,
            **dict(self.progress),
        }


def compute(
    candidates: Sequence[Volunteer],
    seats: int,
    quotas: Sequence[Quota],
    one_per_household: bool,
    time_limit: float | None,
    cancel: Any,
    progress: MutableMapping[str, float],
) -> lottery_rules.Lottery | lottery_rules.Infeasible | str:
    """The lottery, or why none meets the quotas, or CANCELLED; run inside a worker process."""

    def report(p: Progress) -> None:
        progress.update(
            stage=p.stage, settled=p.settled, volunteers=p.volunteers, smallest=p.smallest
        )

    try:
        return lottery_rules.select_panel(
            candidates,
            seats,
            quotas,
            one_per_household=one_per_household,
            time_limit=time_limit,
            cancel=cancel.is_set,
            progress=report,
        )
    except lottery_rules.Infeasible as infeasible:
        return infeasible
    except Cancelled:
        return CANCELLED


class Workers:
    """A pool of worker processes, started on first use and stopped with the app."""

    def __init__(self, size: int = WORKERS) -> None:
        self.size = size
        self._pool: ProcessPoolExecutor | None = None
        self._manager: SyncManager | None = None

    def job(self, time_limit: float | None) -> Job:
        if self._manager is None:
            self._manager = multiprocessing.get_context("spawn").Manager()
        return Job(self._manager.Event(), self._manager.dict(), time_limit, time.monotonic())

    async def lottery(
        self,
        job: Job,
        candidates: Sequence[Volunteer],
        seats: int,
        quotas: Sequence[Quota],
        one_per_household: bool,
    ) -> lottery_rules.Lottery | lottery_rules.Infeasible | str:
        if self._pool is None:
            # A fresh interpreter per worker: forking a process that runs threads is unsafe.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.size, mp_context=context)
        loop = asyncio.get_running_loop()
        args = (list(candidates), seats, list(quotas), one_per_household, job.limit)
        return await loop.run_in_executor(self._pool, compute, *args, job.cancel, job.progress)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if self._manager is not None:
            self._manager.shutdown()
            self._manager = None
