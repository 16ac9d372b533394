"""The panel lottery at scale, against the Sortition Foundation's implementation of the method.

Pools of 1,500 and 5,000 volunteers are generated with four to six features (age band, gender,
tenure, area, ethnicity, disability), skewed as real pools are: older people, owners and white
residents volunteer more. With the household rule, about 30% of volunteers share a home with
another volunteer. Panels have 20, 60 or 100 seats, each answer's quota from floor(share x seats)
- 1 to ceil(share x seats) + 1 of a stated population make-up. For every combination it runs ours
(facilitation.panel) and, beside it in the same run, sortition-algorithms' leximin and its default
algorithm (maximin), each in a process of its own and given up after --their-limit seconds (the
row then says so), and prints one table: smallest chance, Gini coefficient, panels, wall and CPU
seconds, and whether ours finished exactly. The machine may be shared: CPU seconds say what a run
cost, wall seconds also count its neighbours.

sortition-algorithms (GPL-3.0) is used here only, never by the product; install it with
`.venv/bin/pip install --require-hashes -r requirements/bench.lock`. Its leximin needs Gurobi:
gurobipy from PyPI brings a size-limited licence, which refuses larger pools (their rows then say
why).

    .venv/bin/python bench/panel.py > /tmp/panel-bench.txt      # the whole grid (hours)
    .venv/bin/python bench/panel.py --quick        # 1,500 / 20 / 4, with and without households
    .venv/bin/python bench/panel.py --targets      # the three runs the checks below name
    .venv/bin/python bench/panel.py --sizes 600 --panels 20 --features 4 \
        --theirs 600:20:4:no,600:20:4:yes --their-limit 900
    .venv/bin/python bench/panel.py --check        # exactness against an independent leximin
    .venv/bin/python bench/panel.py --check --check-sizes 150,600
    .venv/bin/python bench/panel.py --alternates   # alternates against the old reserves
    .venv/bin/python bench/panel.py --uniform      # the uniform lottery's rounding

Checks on ours (exit status 1 if one fails): 1,500 / 20 / 4 features within 10 s; 5,000 / 100 / 6
features within 120 s (wall); with the household rule at most 3 times the time without it (CPU
seconds, which the neighbours do not inflate); smallest chance never below theirs (1e-6 allowed)
where theirs finished.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import itertools
import logging
import math
import multiprocessing
import os
import queue
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facilitation.panel.alternates import choose_alternates, dropout_chances
from facilitation.panel.lottery import draw, gini, select_panel
from facilitation.panel.pool import meets_quotas
from facilitation.panel.quotas import Quota, Volunteer
from facilitation.panel.uniform import uniform_lottery

# The population the panel should look like (shares of residents), and how much more or less
# likely than average each answer is to volunteer.
POPULATION = {
    "age": {"16-29": 0.22, "30-44": 0.25, "45-64": 0.32, "65+": 0.21},
    "gender": {"woman": 0.51, "man": 0.47, "another": 0.02},
    "tenure": {"owner": 0.55, "social renter": 0.20, "private renter": 0.25},
    "area": {"north": 0.30, "south": 0.30, "east": 0.20, "west": 0.20},
    "ethnicity": {"white": 0.62, "asian": 0.14, "black": 0.12, "mixed": 0.07, "other": 0.05},
    "disability": {"yes": 0.22, "no": 0.78},
}
VOLUNTEERING = {
    "age": {"16-29": 0.5, "30-44": 0.8, "45-64": 1.2, "65+": 1.6},
    "tenure": {"owner": 1.5, "social renter": 0.7, "private renter": 0.6},
    "ethnicity": {"white": 1.2, "asian": 0.8, "black": 0.7, "mixed": 0.9, "other": 0.8},
}
SHARED = 0.3  # share of volunteers who live with another volunteer, under the household rule
MIN_TOLERANCE = 1e-6


def features(n: int) -> list[str]:
    return list(POPULATION)[:n]


def generate_pool(size: int, seed: int, n_features: int, shared: float = 0.0) -> list[Volunteer]:
    """`size` volunteers; with `shared`, that share of them live in pairs."""
    rng = random.Random(seed)
    pool = []
    home = 0
    for i in range(size):
        profile = {}
        for feature in features(n_features):
            shares = POPULATION[feature]
            values = list(shares)
            weights = [shares[v] * VOLUNTEERING.get(feature, {}).get(v, 1.0) for v in values]
            profile[feature] = rng.choices(values, weights)[0]
        joins = i % 2 == 1 and rng.random() < shared  # moves in with the one before
        if not joins:
            home += 1
        pool.append(Volunteer(f"p{i:05d}", profile, f"home{home}" if shared else None))
    return pool


def quotas(seats: int, n_features: int) -> list[Quota]:
    return [
        Quota(f, value, max(0, math.floor(share * seats) - 1), math.ceil(share * seats) + 1)
        for f in features(n_features)
        for value, share in POPULATION[f].items()
    ]


# -- one run, in a process of its own ------------------------------------------------------------


def run_ours(size, seats, n_features, households, seed, limit) -> dict:
    pool = generate_pool(size, seed, n_features, SHARED if households else 0.0)
    lottery = select_panel(
        pool, seats, quotas(seats, n_features), one_per_household=households, time_limit=limit
    )
    chances = dict(lottery.probabilities)
    return {
        "chances": chances,
        "panels": len(lottery.panels),
        "exact": lottery.exact,
        "bound": lottery.bound,
        "stages": lottery.stages,
    }


def run_theirs(size, seats, n_features, households, seed, algorithm) -> dict:
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
    pool = generate_pool(size, seed, n_features, SHARED if households else 0.0)
    wanted: dict = {}
    for q in quotas(seats, n_features):
        wanted.setdefault(q.feature, {})[q.value] = FeatureValueMinMax(min=q.min, max=q.max)
    people = People(["address"])
    for row, v in enumerate(pool):
        people.add(
            v.id, CaseInsensitiveDict({**v.profile, "address": v.household or v.id}), wanted, row
        )
    find = find_distribution_leximin if algorithm == "leximin" else find_distribution_maximin
    address = ["address"] if households else []
    committees, probabilities, _report = find(wanted, people, seats, address, "highspy")
    committees, probabilities = standardize_distribution(committees, probabilities)
    chances = dict.fromkeys(people, 0.0)
    for committee, p in zip(committees, probabilities, strict=True):
        for v in committee:
            chances[v] += p
    return {"chances": chances, "panels": len(committees), "exact": True}


def _worker(target, args, results) -> None:
    # The solvers' banners would land in the table: the worker's output goes nowhere.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    try:
        out = target(*args)
        out["wall"] = time.perf_counter() - start_wall
        out["cpu"] = time.process_time() - start_cpu
        results.put(out)
    except Exception as exc:  # reported in the table, the grid goes on
        results.put({"error": f"{type(exc).__name__}: {str(exc)[:80]}"})


def isolated(target, args, timeout: float) -> dict:
    """Run in a fresh process; give up (and say so) after `timeout` seconds."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_worker, args=(target, args, results))
    process.start()
    try:
        out = results.get(timeout=timeout)
    except queue.Empty:
        out = {"error": f"did not finish within {timeout:.0f} s"}
    process.join(timeout=5)
    if process.is_alive():
        process.terminate()
        process.join(timeout=5)
    return out


# -- the grid ------------------------------------------------------------------------------------


TARGETS = ((1500, 20, 4, False), (1500, 20, 4, True), (5000, 100, 6, False))


def grid(args, runs: Sequence[tuple[int, int, int, bool]] | None = None) -> int:
    have_theirs = importlib.util.find_spec("sortition_algorithms") is not None
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs at the start")
    if not have_theirs:
        print(
            "sortition-algorithms is not installed "
            "(`pip install --require-hashes -r requirements/bench.lock`): ours only"
        )
    print(
        "| pool | seats | features | households | method | min chance | Gini | panels "
        "| wall (s) | CPU (s) | note |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    failures: list[str] = []
    times: dict[tuple, tuple[float, float]] = {}
    if runs is None:
        runs = list(itertools.product(args.sizes, args.panels, args.features, args.households))
    for size, seats, n_features, households in runs:
        key = (size, seats, n_features)
        shape = (size, seats, n_features, households, args.seed)
        mine = isolated(run_ours, (*shape, args.limit), args.limit + 120)
        line(shape, "ours (leximin)", mine)
        if "error" in mine:
            failures.append(f"{key} households={households}: ours {mine['error']}")
            continue
        times[(*key, households)] = (mine["wall"], mine["cpu"])
        smallest = min(mine["chances"].values())
        chosen = args.theirs is None or (size, seats, n_features, households) in args.theirs
        if not have_theirs or not chosen:
            continue
        for algorithm in ("leximin", "maximin"):
            theirs = isolated(run_theirs, (*shape, algorithm), args.their_limit)
            line(shape, f"sortition-algorithms {algorithm}", theirs)
            if "error" not in theirs:
                their_min = min(theirs["chances"].values())
                if smallest < their_min - MIN_TOLERANCE:
                    failures.append(
                        f"{key} households={households}: min {smallest:.8f} below "
                        f"their {algorithm}'s {their_min:.8f}"
                    )
        sys.stdout.flush()
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end\n")
    failures += targets(times)
    for failure in failures:
        print("FAILED:", failure)
    if not failures:
        print("all checks passed")
    return 1 if failures else 0


def line(shape, method: str, result: dict) -> None:
    size, seats, n_features, households, _seed = shape
    cells = [str(size), str(seats), str(n_features), "30% share" if households else "no", method]
    if "error" in result:
        cells += ["", "", "", "", "", result["error"]]
    else:
        chances = result["chances"].values()
        note = ""
        if result.get("exact") is False:
            note = f"not finished: smallest guaranteed, leximin's at most {result['bound']:.8f}"
        elif "stages" in result:
            note = f"{result['stages']} stages"
        cells += [
            f"{min(chances):.8f}",
            f"{gini(chances):.6f}",
            str(result["panels"]),
            f"{result['wall']:.1f}",
            f"{result['cpu']:.1f}",
            note,
        ]
    print("| " + " | ".join(cells) + " |", flush=True)


def targets(times: dict[tuple, tuple[float, float]]) -> list[str]:
    out = []
    for key, limit in (((1500, 20, 4, False), 10), ((5000, 100, 6, False), 120)):
        if key in times and times[key][0] > limit:
            wall, cpu = times[key]
            out.append(
                f"{key[0]} / {key[1]} / {key[2]}: {wall:.1f} s ({cpu:.1f} s CPU), over {limit} s"
            )
    for (size, seats, n_features, households), (_wall, cpu) in times.items():
        alone = times.get((size, seats, n_features, False))
        if households and alone and cpu > 3 * alone[1]:
            out.append(
                f"{size} / {seats} / {n_features} households: {cpu:.1f} s CPU, "
                f"over 3 x {alone[1]:.1f} s CPU"
            )
    return out


# -- exactness against an independent leximin ----------------------------------------------------


def check_exact(args) -> int:
    from tests.panel.reference import Reference

    print(
        "| pool | seats | features | households | largest difference | ours (s) | reference (s) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    worst = 0.0
    for size in args.check_sizes:
        for households in (False, True):
            pool = generate_pool(size, args.seed, 4, SHARED if households else 0.0)
            wanted = quotas(20, 4)
            start = time.perf_counter()
            lottery = select_panel(pool, 20, wanted, one_per_household=households)
            ours = time.perf_counter() - start
            start = time.perf_counter()
            expected = Reference(pool, 20, wanted, households).leximin()
            reference = time.perf_counter() - start
            gap = max(abs(lottery.probabilities[v] - expected[v]) for v in expected)
            worst = max(worst, gap)
            label = "30% share" if households else "no"
            print(
                f"| {size} | 20 | 4 | {label} | {gap:.2e} | {ours:.1f} | {reference:.1f} |",
                flush=True,
            )
    print("\nall within 1e-6" if worst <= 1e-6 else f"\nFAILED: a chance differs by {worst:.2e}")
    return 0 if worst <= 1e-6 else 1


# -- alternates against the old reserves ---------------------------------------------------------


def old_reserves(lottery, panel: tuple[str, ...], seed: str, count: int) -> list[str]:
    """The reserves draws used to call: everyone off the panel in the order of the SHA-256 of
    "reserve:" + seed + ":" + id, those who could each take some member's seat first."""
    pool = lottery.pool
    order = sorted(
        (v for v in pool.ids if v not in panel),
        key=lambda v: hashlib.sha256(f"reserve:{seed}:{v}".encode()).digest(),
    )
    first, later = [], []
    for v in order:
        if len(first) >= count:
            break
        stands_in = any(
            meets_quotas(pool, [*(u for u in panel if u != member), v]) for member in panel
        )
        (first if stands_in else later).append(v)
    return (first + later)[:count]


def coverage(pool, panel, order) -> tuple[float, float]:
    first = some = 0
    for member in panel:
        rest = [v for v in panel if v != member]
        fits = [meets_quotas(pool, [*rest, a]) for a in order]
        first += bool(fits and fits[0])
        some += any(fits)
    return first / len(panel), some / len(panel)


def check_alternates(args) -> int:
    print("| pool | seats | features | draws | method | first covers | some of 10 covers | s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for size, seats, n_features in ((600, 20, 4), (1500, 20, 4), (1500, 60, 5)):
        pool = generate_pool(size, args.seed, n_features)
        lottery = select_panel(pool, seats, quotas(seats, n_features), time_limit=args.limit)
        totals = {"old reserves": [0.0, 0.0, 0.0], "alternates": [0.0, 0.0, 0.0]}
        for d in range(args.draws):
            seed = f"draw {d}"
            panel = draw(lottery, seed).panel
            start = time.perf_counter()
            old = old_reserves(lottery, panel, seed, 10)
            totals["old reserves"][2] += time.perf_counter() - start
            start = time.perf_counter()
            new = choose_alternates(
                lottery.pool, panel, 10, dropout_chances(lottery.pool), seed=seed
            ).order
            totals["alternates"][2] += time.perf_counter() - start
            for name, order in (("old reserves", old), ("alternates", new)):
                first, some = coverage(lottery.pool, panel, order)
                totals[name][0] += first / args.draws
                totals[name][1] += some / args.draws
        for name, (first, some, seconds) in totals.items():
            print(
                f"| {size} | {seats} | {n_features} | {args.draws} | {name} | {first:.1%} "
                f"| {some:.1%} | {seconds / args.draws:.2f} |",
                flush=True,
            )
    return 0


# -- the uniform lottery -------------------------------------------------------------------------


def check_uniform(args) -> int:
    print(
        "| pool | seats | households | m | exact min | uniform min | min fell by | largest fall "
        "| bound (ours) | bound k/m | proven best |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for size, seats, households in ((600, 20, False), (1500, 20, False), (1500, 20, True)):
        pool = generate_pool(size, args.seed, 4, SHARED if households else 0.0)
        lottery = select_panel(
            pool, seats, quotas(seats, 4), one_per_household=households, time_limit=args.limit
        )
        for m in (100, 1000):
            u = uniform_lottery(lottery, m)
            assert all(meets_quotas(lottery.pool, p) for p in u.panels)
            label = "30% share" if households else "no"
            print(
                f"| {size} | {seats} | {label} | {m} | {u.exact_smallest:.6f} | {u.smallest:.6f} "
                f"| {u.exact_smallest - u.smallest:.6f} | {u.largest_fall:.6f} | {u.bound:.6f} "
                f"| {u.their_bound:.6f} | {'yes' if u.optimal else 'no'} |",
                flush=True,
            )
    return 0


def _run_key(text: str) -> tuple[int, int, int, bool]:
    size, seats, n_features, households = text.split(":")
    return int(size), int(seats), int(n_features), households == "yes"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    numbers = lambda text: [int(x) for x in text.split(",")]  # noqa: E731
    parser.add_argument("--sizes", type=numbers, default=[1500, 5000])
    parser.add_argument("--panels", type=numbers, default=[20, 60, 100])
    parser.add_argument("--features", type=numbers, default=[4, 5, 6])
    parser.add_argument(
        "--households",
        type=lambda t: [x == "yes" for x in t.split(",")],
        default=[False, True],
        help="no,yes",
    )
    parser.add_argument("--limit", type=float, default=600.0, help="seconds for each run of ours")
    parser.add_argument("--their-limit", type=float, default=300.0, help="seconds for theirs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--draws", type=int, default=20, help="draws for --alternates")
    parser.add_argument(
        "--theirs",
        type=lambda text: {_run_key(x) for x in text.split(",") if x},
        default=None,
        help="runs where sortition-algorithms runs too, as pool:seats:features:households,... "
        "(all of them unless given)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="only 1,500 / 20 / 4, with and without households"
    )
    parser.add_argument(
        "--targets",
        action="store_true",
        help="only the runs the targets name: 1,500 / 20 / 4 with and without households, "
        "5,000 / 100 / 6 (theirs beside the first two)",
    )
    parser.add_argument("--check", action="store_true")
    parser.add_argument(
        "--check-sizes", type=numbers, default=[150, 600, 1500], help="pools --check compares on"
    )
    parser.add_argument("--alternates", action="store_true")
    parser.add_argument("--uniform", action="store_true")
    args = parser.parse_args(argv)
    if args.check:
        return check_exact(args)
    if args.alternates:
        return check_alternates(args)
    if args.uniform:
        return check_uniform(args)
    if args.quick:
        args.sizes, args.panels, args.features = [1500], [20], [4]
    if args.targets:
        if args.theirs is None:
            args.theirs = set(TARGETS[:2])
        return grid(args, runs=TARGETS)
    return grid(args)


if __name__ == "__main__":
    sys.exit(main())
