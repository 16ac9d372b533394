"""The lottery's worker processes: how long a small pool's lottery takes alone and while large
ones are worked out, and how soon Stop ends a large one.

It drives facilitation.panel.workers directly (the same code the pool page awaits), so the
figures are the workers' own, without HTTP. A small pool (30 volunteers, 6 seats, 2 features)
is worked out alone, beside one large lottery (both workers busy), and beside two (the small
one waits for a free worker). Then large lotteries are stopped at staggered moments and the
time from Stop to the worker's answer is recorded.

    .venv/bin/python bench/lottery_workers.py
    .venv/bin/python bench/lottery_workers.py --size 5000 --seats 100 --features 6 --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time

from facilitation.panel.pool import Volunteer
from facilitation.panel.quotas import Quota
from facilitation.panel.workers import CANCELLED, Job, Workers

VALUES = (3, 4, 5, 3, 5, 4, 3, 6)  # answers per feature


def pool(size: int, seats: int, features: int, seed: int) -> tuple[list[Volunteer], list[Quota]]:
    """`size` volunteers with `features` answers each, and quotas of a fair share, one either
    way, for every answer."""
    rng = random.Random(seed)
    values = [[f"a{j}" for j in range(k)] for k in VALUES[:features]]
    volunteers = [
        Volunteer(str(i), {f"f{k}": rng.choice(vs) for k, vs in enumerate(values)})
        for i in range(1, size + 1)
    ]
    quotas = [
        Quota(f"f{k}", v, max(seats // len(vs) - 1, 0), seats // len(vs) + 2)
        for k, vs in enumerate(values)
        for v in vs
    ]
    return volunteers, quotas


async def timed(workers: Workers, job: Job, volunteers, seats, quotas) -> tuple[float, str]:
    start = time.monotonic()
    found = await workers.lottery(job, volunteers, seats, quotas, False)
    outcome = "stopped" if found == CANCELLED else type(found).__name__.lower()
    return time.monotonic() - start, outcome


async def started(job: Job, timeout: float = 60.0) -> None:
    """Until the job's worker process runs (bounded)."""
    deadline = time.monotonic() + timeout
    while job.process is None:
        if time.monotonic() > deadline:
            raise RuntimeError("the large lottery never started")
        await asyncio.sleep(0.01)  # a look every 10 ms; the condition is above


async def small_beside(workers: Workers, args, large: int, runs: int, limit: float) -> list[float]:
    """The small lottery's seconds, each run beside `large` large lotteries under way."""
    small_pool, big_pool, seats = args
    out = []
    for _run in range(runs):
        big_jobs = [workers.job(limit) for _ in range(large)]
        tasks = [
            asyncio.create_task(timed(workers, job, big_pool[0], seats, big_pool[1]))
            for job in big_jobs
        ]
        for job in big_jobs:
            await started(job)
        await asyncio.sleep(1.0)  # the large ones well into their solves
        elapsed, outcome = await timed(workers, workers.job(limit), small_pool[0], 6, small_pool[1])
        assert outcome == "lottery", outcome
        out.append(elapsed)
        for job in big_jobs:
            job.cancel()
        await asyncio.gather(*tasks)
    return out


async def stop_delays(workers: Workers, big_pool, seats: int, runs: int, limit: float):
    """Seconds from Stop to the answer, Stop pressed 1, 2, 3... seconds into a large lottery."""
    out = []
    for n in range(runs):
        job = workers.job(limit)
        task = asyncio.create_task(timed(workers, job, big_pool[0], seats, big_pool[1]))
        await started(job)
        await asyncio.sleep(1.0 + n)
        asked = time.monotonic()
        job.cancel()
        _elapsed, outcome = await task
        out.append((time.monotonic() - asked, outcome))
    return out


def row(name: str, seconds: list[float]) -> str:
    median = statistics.median(seconds)
    return f"| {name:<42} | {median:>8.3f} | {max(seconds):>8.3f} | {len(seconds):>4} |"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1500, help="volunteers in the large pool")
    parser.add_argument("--seats", type=int, default=60, help="seats on the large panel")
    parser.add_argument("--features", type=int, default=5, help="features of the large pool")
    parser.add_argument("--runs", type=int, default=3)
    # Beside two large lotteries the small one waits until one of them ends: at this limit.
    parser.add_argument("--limit", type=float, default=30.0, help="each lottery's time limit")
    args = parser.parse_args()
    small_pool = pool(30, 6, 2, seed=1)
    big_pool = pool(args.size, args.seats, args.features, seed=2)
    workers = Workers()
    try:
        # The first lottery starts the fork server; it is not counted.
        await timed(workers, workers.job(args.limit), small_pool[0], 6, small_pool[1])
        both = (small_pool, big_pool, args.seats)
        alone = await small_beside(workers, both, 0, args.runs, args.limit)
        beside_one = await small_beside(workers, both, 1, args.runs, args.limit)
        beside_two = await small_beside(workers, both, 2, args.runs, args.limit)
        stops = await stop_delays(workers, big_pool, args.seats, args.runs, args.limit)
    finally:
        workers.close()
    large = f"{args.size} / {args.seats} / {args.features}"
    print(f"Large pool: {large} (volunteers / seats / features); {os.cpu_count()} CPUs")
    print(f"| {'small lottery (30 / 6 / 2), seconds':<42} | {'median':>8} | {'max':>8} | runs |")
    print(f"| {'-' * 42} | {'-' * 8} | {'-' * 8} | ---- |")
    print(row("alone", alone))
    print(row("beside one large lottery", beside_one))
    print(row("beside two (waits for a free worker)", beside_two))
    print(row("Stop to answer, large lottery", [s for s, _o in stops]))
    print("outcomes after Stop:", ", ".join(o for _s, o in stops))


if __name__ == "__main__":
    asyncio.run(main())
