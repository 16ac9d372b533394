"""The worker processes that compute lotteries, so that one organiser's heavy lottery never
holds up another's nor the live workshops on the same server.

Each lottery runs in a process of its own, forked from a fork server that has already imported
the lottery (so a start costs milliseconds, not an interpreter's start-up, and never forks a
process that runs threads). Stopping a lottery ends its process at once, even in the middle of
one long solve, and no other lottery is touched.
"""

from __future__ import annotations

import multiprocessing
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from typing import Any

import anyio
import anyio.to_thread

from facilitation.panel import lottery as lottery_rules
from facilitation.panel.clock import Progress
from facilitation.panel.pool import Volunteer
from facilitation.panel.quotas import Quota

WORKERS = 2  # the lotteries worked out at once; more wait for a free worker
CANCELLED = "cancelled"
JOB_ID = re.compile(r"[A-Za-z0-9_-]{8,40}")
Found = lottery_rules.Lottery | lottery_rules.Infeasible | str


@dataclass(slots=True, eq=False)
class Job:
    """A lottery asked for: its own id, its latest progress, and whether it was stopped."""

    id: str
    limit: float | None
    started: float = field(default_factory=time.monotonic)
    progress: dict[str, float] = field(default_factory=dict)
    cancelled: bool = False
    process: BaseProcess | None = None
    waiting: anyio.CancelScope | None = None

    def status(self) -> dict[str, float | None]:
        """Where the lottery stands: seconds spent and allowed, and the worker's last report."""
        return {
            "seconds": time.monotonic() - self.started,
            "limit": self.limit,
            **self.progress,
        }

    def cancel(self) -> None:
        """Stop the lottery now: a waiting one never starts, a running one's process ends."""
        self.cancelled = True
        if self.waiting is not None:
            self.waiting.cancel()
        if self.process is not None and self.process.is_alive():
            self.process.kill()


def new_job_id() -> str:
    return secrets.token_urlsafe(12)


def job_id(value: Any) -> str | None:
    """A job id as a page sends it back, or None if it is not one this module gives out."""
    if isinstance(value, str) and JOB_ID.fullmatch(value):
        return value
    return None


def compute(
    out: Connection,
    candidates: Sequence[Volunteer],
    seats: int,
    quotas: Sequence[Quota],
    one_per_household: bool,
    time_limit: float | None,
) -> None:
    """Run inside a worker process: send progress reports, then the lottery or why none
    meets the quotas."""

    def report(p: Progress) -> None:
        out.send(
            (
                "progress",
                {
                    "stage": p.stage,
                    "settled": p.settled,
                    "volunteers": p.volunteers,
                    "smallest": p.smallest,
                },
            )
        )

    found: lottery_rules.Lottery | lottery_rules.Infeasible
    try:
        found = lottery_rules.select_panel(
            candidates,
            seats,
            quotas,
            one_per_household=one_per_household,
            time_limit=time_limit,
            progress=report,
        )
    except lottery_rules.Infeasible as infeasible:
        found = infeasible
    out.send(("done", found))
    out.close()


def _context() -> ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


class Workers:
    """At most `size` lotteries worked out at once, each in a process of its own."""

    def __init__(self, size: int = WORKERS) -> None:
        self.size = size
        self._slots = anyio.Semaphore(size)
        self._readers = anyio.CapacityLimiter(size)
        self._context: ForkServerContext | None = None
        self._live: set[Job] = set()

    def job(self, time_limit: float | None, job_id: str | None = None) -> Job:
        return Job(job_id or new_job_id(), time_limit)

    async def lottery(
        self,
        job: Job,
        candidates: Sequence[Volunteer],
        seats: int,
        quotas: Sequence[Quota],
        one_per_household: bool,
    ) -> Found:
        """The lottery, or why none meets the quotas, or CANCELLED if the job was stopped."""
        if job.cancelled:
            return CANCELLED
        with anyio.CancelScope() as waiting:
            job.waiting = waiting
            await self._slots.acquire()
        job.waiting = None
        if waiting.cancelled_caught:  # stopped before a worker was free: no slot was taken
            return CANCELLED
        try:
            if job.cancelled:
                return CANCELLED
            return await self._run(job, candidates, seats, quotas, one_per_household)
        finally:
            self._slots.release()

    async def _run(
        self,
        job: Job,
        candidates: Sequence[Volunteer],
        seats: int,
        quotas: Sequence[Quota],
        one_per_household: bool,
    ) -> Found:
        if self._context is None:
            self._context = _context()
        receive, send = self._context.Pipe(duplex=False)
        args = (send, list(candidates), seats, list(quotas), one_per_household, job.limit)
        process = self._context.Process(target=compute, args=args, daemon=True)
        # Off the event loop: the first start also starts the fork server, which imports.
        await anyio.to_thread.run_sync(process.start)
        send.close()  # the worker holds the only sending end: its end is our end of file
        job.process = process
        self._live.add(job)
        try:
            if job.cancelled:  # stopped while the process started
                process.kill()
            found = await anyio.to_thread.run_sync(
                _read, receive, job.progress, limiter=self._readers, abandon_on_cancel=True
            )
        except BaseException:
            job.cancel()  # whoever waited is gone: the worker is not left running for no one
            raise
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(process.join)
            receive.close()
            self._live.discard(job)
            job.process = None
        if found is None:
            if job.cancelled:
                return CANCELLED
            raise RuntimeError(f"the lottery's worker ended with code {process.exitcode}")
        return found

    def close(self) -> None:
        """Stop every lottery under way: the server is going."""
        for job in list(self._live):
            job.cancel()


def _read(receive: Connection, progress: dict[str, float]) -> Any:
    """The worker's result, keeping `progress` up to date; None if it ended without one."""
    while True:
        try:
            kind, value = receive.recv()
        except (EOFError, OSError):
            return None
        if kind == "done":
            return value
        progress.update(value)
