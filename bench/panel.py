"""The panel lottery against the Sortition Foundation's implementation of the same method.

Pools of 150 and 600 volunteers are generated with four features (age band, gender, tenure and
area), skewed as real pools are: older people and owners volunteer more. A panel of 20 is chosen
with quotas from a stated population make-up: for each answer, at least floor(share x 20) - 1 and
at most ceil(share x 20) + 1 seats. On the same pools it runs our leximin lottery
(facilitation.panel.lottery), sortition-algorithms' leximin and its default algorithm (maximin), and
prints a table of the smallest chance, the Gini coefficient of the chances and the time taken.

sortition-algorithms (GPL-3.0) is used here only, never by the product; install it with
`.venv/bin/pip install -e .[bench]`. Its leximin solves its dual LP with Gurobi: where gurobipy
is installed it runs on gurobipy's bundled size-limited licence (enough for these pools), and
where it is not, the leximin rows say so and ours is compared with maximin alone.

    .venv/bin/python bench/panel.py            # both pools, about 4 minutes (their leximin)
    .venv/bin/python bench/panel.py --quick    # the 150 pool only

Checks on ours: the smallest chance is within 0.0001 of their leximin's (or above it), the Gini
is no worse than theirs (1e-6 allowed), the best of --repeat runs takes at most 2 s (150) or
15 s (600), and every run gives the same lottery. Exit status 1 if a check fails.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import math
import os
import random
import sys
import time
from collections.abc import Callable

from facilitation.panel.lottery import gini, select_panel
from facilitation.panel.quotas import Quota, Volunteer

SEATS = 20
# The population the panel should look like (shares of residents), and how much more or less
# likely than average each answer is to volunteer.
POPULATION = {
    "age": {"16-29": 0.22, "30-44": 0.25, "45-64": 0.32, "65+": 0.21},
    "gender": {"woman": 0.51, "man": 0.47, "another": 0.02},
    "tenure": {"owner": 0.55, "social renter": 0.20, "private renter": 0.25},
    "area": {"north": 0.30, "south": 0.30, "east": 0.20, "west": 0.20},
}
VOLUNTEERING = {
    "age": {"16-29": 0.5, "30-44": 0.8, "45-64": 1.2, "65+": 1.6},
    "tenure": {"owner": 1.5, "social renter": 0.7, "private renter": 0.6},
}
TARGET_SECONDS = {150: 2.0, 600: 15.0}
MIN_TOLERANCE = 1e-4
GINI_TOLERANCE = 1e-6


def generate_pool(size: int, seed: int, shared: float = 0.0) -> list[Volunteer]:
    """`size` volunteers; with `shared`, about that share of them live with another volunteer."""
    rng = random.Random(seed)
    pool = []
    home = 0
    for i in range(size):
        profile = {}
        for feature, shares in POPULATION.items():
            values = list(shares)
            weights = [shares[v] * VOLUNTEERING.get(feature, {}).get(v, 1.0) for v in values]
            profile[feature] = rng.choices(values, weights)[0]
        joins = i % 2 == 1 and rng.random() < shared  # moves in with the one before
        if not joins:
            home += 1
        pool.append(Volunteer(f"p{i:04d}", profile, f"home{home}" if shared else None))
    return pool


def quotas() -> list[Quota]:
    return [
        Quota(feature, value, max(0, math.floor(share * SEATS) - 1), math.ceil(share * SEATS) + 1)
        for feature, shares in POPULATION.items()
        for value, share in shares.items()
    ]


def timed(run: Callable[[], dict[str, float]]) -> tuple[dict[str, float], float]:
    start = time.perf_counter()
    chances = run()
    return chances, time.perf_counter() - start


def ours(pool: list[Volunteer], one_per_household: bool = False) -> tuple[dict[str, float], int]:
    lottery = select_panel(pool, SEATS, quotas(), one_per_household=one_per_household)
    return dict(lottery.probabilities), len(lottery.panels)


def theirs(pool: list[Volunteer], algorithm: str, seed: int) -> tuple[dict[str, float], int]:
    from requests.structures import CaseInsensitiveDict
    from sortition_algorithms.committee_generation import (
        find_distribution_leximin,
        find_distribution_maximin,
        standardize_distribution,
    )
    from sortition_algorithms.features import FeatureValueMinMax
    from sortition_algorithms.people import People
    from sortition_algorithms.utils import set_random_provider

    for name in ("sortition_algorithms", "sortition_algorithms_user"):
        logging.getLogger(name).setLevel(logging.WARNING)  # after import: it sets its own level
    set_random_provider(seed)
    features: dict = {}
    for q in quotas():
        features.setdefault(q.feature, {})[q.value] = FeatureValueMinMax(min=q.min, max=q.max)
    people = People([])
    for row, v in enumerate(pool):
        people.add(v.id, CaseInsensitiveDict(v.profile), features, row)
    find = find_distribution_leximin if algorithm == "leximin" else find_distribution_maximin
    committees, probabilities, _report = find(features, people, SEATS, [], "highspy")
    committees, probabilities = standardize_distribution(committees, probabilities)
    chances = dict.fromkeys(people, 0.0)
    for committee, p in zip(committees, probabilities, strict=True):
        for v in committee:
            chances[v] += p
    return chances, len(committees)


def gurobi_available() -> bool:
    return importlib.util.find_spec("gurobipy") is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the 150 pool only")
    parser.add_argument("--seed", type=int, default=1, help="random seed for the pools")
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours; the best is timed")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("sortition_algorithms") is None:
        print("sortition-algorithms is not installed: .venv/bin/pip install -e .[bench]")
        return 2

    load = os.getloadavg()[0]
    print(f"load average {load:.2f} on {os.cpu_count()} CPUs (times need an idle machine)\n")
    rows: list[tuple[str, str, str, str, str, str]] = []
    failures: list[str] = []
    sizes = (150,) if args.quick else (150, 600)
    for size in sizes:
        pool = generate_pool(size, args.seed)
        runs = [timed(lambda pool=pool: ours(pool)) for _ in range(max(1, args.repeat))]
        (mine, panels), best = runs[0][0], min(seconds for _result, seconds in runs)
        if any(result != runs[0][0] for result, _seconds in runs):
            failures.append(f"{size}: ours gave different lotteries on the same input")
        rows.append(row(size, "ours (leximin)", mine, panels, best))
        reference = None
        if gurobi_available():
            (leximin, count), seconds = timed(lambda pool=pool: theirs(pool, "leximin", args.seed))
            rows.append(row(size, "sortition-algorithms leximin", leximin, count, seconds))
            reference = leximin
        else:
            rows.append(
                (str(size), "sortition-algorithms leximin", "not run: needs Gurobi", "", "", "")
            )
        (maximin, count), seconds = timed(lambda pool=pool: theirs(pool, "maximin", args.seed))
        rows.append(row(size, "sortition-algorithms maximin", maximin, count, seconds))
        failures += checks(size, mine, best, reference, maximin)
    if not args.quick:
        pool = generate_pool(600, args.seed, shared=0.2)
        homes: dict[str | None, int] = {}
        for v in pool:
            homes[v.household] = homes.get(v.household, 0) + 1
        sharing = sum(n for n in homes.values() if n > 1)
        (mine, panels), seconds = timed(lambda: ours(pool, one_per_household=True))
        method = f"ours, one per household ({sharing} live with another volunteer)"
        rows.append(row(600, method, mine, panels, seconds))

    print("| pool | method | min probability | Gini | panels | time (s) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for cells in rows:
        print("| " + " | ".join(cells) + " |")
    print()
    for failure in failures:
        print("FAILED:", failure)
    if not failures:
        print("all checks passed")
    return 1 if failures else 0


def row(size: int, method: str, chances: dict[str, float], panels: int, seconds: float):
    smallest = min(chances.values())
    return (
        str(size),
        method,
        f"{smallest:.8f}",
        f"{gini(chances.values()):.8f}",
        str(panels),
        f"{seconds:.2f}",
    )


def checks(size, mine, seconds, leximin, maximin) -> list[str]:
    out = []
    smallest = min(mine.values())
    if leximin is not None:
        if smallest < min(leximin.values()) - MIN_TOLERANCE:
            out.append(
                f"{size}: min {smallest:.6f} below their leximin's {min(leximin.values()):.6f}"
            )
        if gini(mine.values()) > gini(leximin.values()) + GINI_TOLERANCE:
            out.append(f"{size}: Gini {gini(mine.values()):.6f} above their leximin's")
    elif smallest < min(maximin.values()) - MIN_TOLERANCE:
        out.append(f"{size}: min {smallest:.6f} below their maximin's {min(maximin.values()):.6f}")
    if seconds > TARGET_SECONDS[size]:
        out.append(f"{size}: {seconds:.2f} s, over the {TARGET_SECONDS[size]:.0f} s target")
    return out


if __name__ == "__main__":
    sys.exit(main())
