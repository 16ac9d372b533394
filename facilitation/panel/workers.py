"""The worker processes that compute lotteries, so that one organiser's heavy lottery never
holds up another's nor the live workshops on the same server."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from facilitation.panel import lottery as lottery_rules
from facilitation.panel.pool import Volunteer
from facilitation.panel.quotas import Quota

WORKERS = 2  # the lotteries worked out at once; more wait for a free worker


def compute(
    candidates: Sequence[Volunteer],
    seats: int,
    quotas: Sequence[Quota],
    one_per_household: bool,
    time_limit: float | None,
) -> lottery_rules.Lottery | lottery_rules.Infeasible:
    """The lottery, or why none meets the quotas; run inside a worker process."""
    try:
        return lottery_rules.select_panel(
            candidates,
            seats,
            quotas,
            one_per_household=one_per_household,
            time_limit=time_limit,
        )
    except lottery_rules.Infeasible as infeasible:
        return infeasible


class Workers:
    """A pool of worker processes, started on first use and stopped with the app."""

    def __init__(self, size: int = WORKERS) -> None:
        self.size = size
        self._pool: ProcessPoolExecutor | None = None

    async def lottery(
        self,
        candidates: Sequence[Volunteer],
        seats: int,
        quotas: Sequence[Quota],
        one_per_household: bool,
        time_limit: float | None,
    ) -> lottery_rules.Lottery | lottery_rules.Infeasible:
        if self._pool is None:
            # A fresh interpreter per worker: forking a process that runs threads is unsafe.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.size, mp_context=context)
        loop = asyncio.get_running_loop()
        args = (list(candidates), seats, list(quotas), one_per_household, time_limit)
        return await loop.run_in_executor(self._pool, compute, *args)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
