"""The panel lottery: quotas always met, chances that add up, leximin checked against a brute-force
optimum on small pools, reproducible draws, the household rule, and infeasible quotas explained
with relaxations that work."""

from __future__ import annotations

import itertools
import json
import math
import textwrap

import highspy
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation.panel.lottery import draw, gini, min_probability, select_panel
from facilitation.panel.quotas import (
    Infeasible,
    Quota,
    Volunteer,
    apply_relaxations,
    check_quotas,
    panel_meets_quotas,
)
from tests.helpers import fresh_python, last_line_of

# A small estate: twelve volunteers, skewed towards older owners as real pools are.
POOL_ROWS = [
    ("a1", "16-39", "woman", "renter", "h1"),
    ("a2", "16-39", "man", "renter", "h2"),
    ("a3", "16-39", "woman", "owner", "h3"),
    ("a4", "40+", "woman", "owner", "h4"),
    ("a5", "40+", "man", "owner", "h4"),
    ("a6", "40+", "woman", "owner", "h5"),
    ("a7", "40+", "man", "owner", "h6"),
    ("a8", "40+", "man", "owner", "h7"),
    ("a9", "40+", "woman", "renter", "h8"),
    ("a10", "40+", "man", "owner", "h8"),
    ("a11", "40+", "woman", "owner", "h9"),
    ("a12", "40+", "man", "owner", "h10"),
]
QUOTA_ROWS = [
    ("age", "16-39", 2, 3),
    ("age", "40+", 2, 3),
    ("gender", "woman", 2, 3),
    ("gender", "man", 2, 3),
    ("tenure", "renter", 2, 5),
    ("tenure", "owner", 1, 3),
]
SEATS = 5


def pool_of(rows) -> list[Volunteer]:
    return [
        Volunteer(i, {"age": age, "gender": gender, "tenure": tenure}, home)
        for i, age, gender, tenure, home in rows
    ]


POOL = pool_of(POOL_ROWS)
QUOTAS = [Quota(*row) for row in QUOTA_ROWS]


@pytest.fixture(scope="module")
def lottery():
    return select_panel(POOL, SEATS, QUOTAS)


@pytest.fixture(scope="module")
def household_lottery():
    return select_panel(POOL, SEATS, QUOTAS, one_per_household=True)


# -- a brute-force reference: every panel, exact leximin by one LP per volunteer -----------------


def all_panels(volunteers, seats, quotas, one_per_household=False) -> list[frozenset[str]]:
    ids = [v.id for v in volunteers]
    return [
        frozenset(c)
        for c in itertools.combinations(ids, seats)
        if panel_meets_quotas(c, volunteers, seats, quotas, one_per_household=one_per_household)
    ]


def lp_max(objective, rows, lows) -> float:
    """max objective . x subject to rows . x >= lows, sum x = 1, x >= 0 (dense, small)."""
    m = len(objective)
    h = highspy.Highs()
    h.silent()
    h.addVars(m, np.zeros(m), np.ones(m))
    h.changeColsCost(m, np.arange(m, dtype=np.int32), np.array(objective, dtype=float))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    for row, low in [*zip(rows, lows, strict=True), ([1.0] * m, 1.0)]:
        index = np.array([j for j in range(m) if row[j]], dtype=np.int32)
        upper = 1.0 if row == [1.0] * m else highspy.kHighsInf
        h.addRow(low, upper, len(index), index, np.array([row[j] for j in index], dtype=float))
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h.getInfo().objective_function_value


def exact_leximin(ids, panels) -> dict[str, float]:
    """Leximin by definition: raise the smallest chance, then settle everyone who cannot go
    above it while the others stay at least there (checked one by one, no duals)."""
    incidence = {v: [1.0 if v in p else 0.0 for p in panels] for v in ids}
    settled: dict[str, float] = {}
    for _ in range(len(ids)):
        free = [v for v in ids if v not in settled]
        if not free:
            break
        # max z: free rows - z >= 0; settled rows >= their chance. z is the last column.
        rows = [incidence[v] + [-1.0] for v in free] + [incidence[v] + [0.0] for v in settled]
        lows = [0.0] * len(free) + [settled[v] - 1e-9 for v in settled]
        z = lp_max_with_z(rows, lows, len(panels))
        stuck = []
        for v in free:
            others = [incidence[u] for u in free] + [incidence[u] for u in settled]
            floor = [z - 1e-9] * len(free) + [settled[u] - 1e-9 for u in settled]
            if lp_max(incidence[v], others, floor) <= z + 1e-7:
                stuck.append(v)
        for v in stuck or free:
            settled[v] = z
    return settled


def lp_max_with_z(rows, lows, m) -> float:
    h = highspy.Highs()
    h.silent()
    h.addVars(m + 1, np.zeros(m + 1), np.array([1.0] * m + [1.0]))
    h.changeColCost(m, 1.0)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    for row, low in zip(rows, lows, strict=True):
        index = np.array([j for j in range(m + 1) if row[j]], dtype=np.int32)
        h.addRow(low, highspy.kHighsInf, len(index), index, np.array([row[j] for j in index]))
    h.addRow(1.0, 1.0, m, np.arange(m, dtype=np.int32), np.ones(m))
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h.getInfo().objective_function_value


def uniform_chances(ids, panels) -> dict[str, float]:
    """The naive lottery: every feasible panel equally likely."""
    return {v: sum(v in p for p in panels) / len(panels) for v in ids}


# -- the lottery ----------------------------------------------------------------------------------


def test_every_panel_in_the_lottery_meets_the_quotas(lottery):
    assert lottery.panels
    for panel, probability in lottery.panels:
        assert panel_meets_quotas(panel, POOL, SEATS, QUOTAS)
        assert probability > 0


def test_the_chances_add_up_to_the_seats_and_the_panels_to_one(lottery):
    assert math.isclose(sum(lottery.probabilities.values()), SEATS, abs_tol=1e-9)
    assert math.isclose(sum(p for _panel, p in lottery.panels), 1.0, abs_tol=1e-9)
    assert all(0.0 <= p <= 1.0 + 1e-12 for p in lottery.probabilities.values())
    total = sum(lottery.tickets)
    for (_panel, p), tickets in zip(lottery.panels, lottery.tickets, strict=True):
        assert p == tickets / total


def test_the_chances_are_the_brute_force_leximin_and_beat_a_uniform_lottery(lottery):
    ids = [v.id for v in POOL]
    panels = all_panels(POOL, SEATS, QUOTAS)
    exact = exact_leximin(ids, panels)
    for v in ids:
        assert lottery.probabilities[v] == pytest.approx(exact[v], abs=1e-6), v
    ours = sorted(lottery.probabilities.values())
    naive = sorted(uniform_chances(ids, panels).values())
    assert min_probability(ours) > min_probability(naive) + 0.01
    assert gini(ours) < gini(naive)
    first = next(i for i, (a, b) in enumerate(zip(ours, naive, strict=True)) if abs(a - b) > 1e-7)
    assert ours[first] > naive[first]


def test_a_forced_seat_is_flagged_and_the_rest_share_equally():
    pool = [Volunteer("w", {"gender": "woman"})] + [
        Volunteer(f"m{i}", {"gender": "man"}) for i in range(3)
    ]
    quotas = [Quota("gender", "woman", 1, 1), Quota("gender", "man", 1, 1)]
    result = select_panel(pool, 2, quotas)
    assert result.probabilities["w"] == pytest.approx(1.0)
    assert all(result.probabilities[f"m{i}"] == pytest.approx(1 / 3) for i in range(3))
    assert result.flagged == ("w",)


def test_group_averages_cover_every_answer(lottery):
    shares = {(g.feature, g.value): g for g in lottery.groups}
    assert set(shares) == {(q.feature, q.value) for q in QUOTAS}
    renters = [v.id for v in POOL if v.profile["tenure"] == "renter"]
    expected = sum(lottery.probabilities[v] for v in renters) / len(renters)
    assert shares[("tenure", "renter")].volunteers == len(renters)
    assert shares[("tenure", "renter")].average == pytest.approx(expected)
    # every panel has 2 to 3 women, so their expected seats lie in between
    assert 2 - 1e-9 <= shares[("gender", "woman")].expected_seats <= 3 + 1e-9


@pytest.mark.parametrize(
    ("chances", "expected"),
    [([0.5, 0.5, 0.5, 0.5], 0.0), ([0.0, 0.0, 0.0, 1.0], 0.75), ([], 0.0), ([0.2, 0.6], 0.25)],
)
def test_gini(chances, expected):
    assert gini(chances) == pytest.approx(expected)


def test_min_probability_is_the_smallest_chance(lottery):
    assert min_probability([0.3, 0.1, 0.7]) == 0.1
    assert lottery.min_probability == min(lottery.probabilities.values())


# -- the draw -------------------------------------------------------------------------------------


def test_the_same_seed_draws_the_same_panel_and_reserves(lottery):
    first = draw(lottery, "published seed 42", reserves=4)
    again = draw(lottery, "published seed 42", reserves=4)
    assert first == again
    assert draw(lottery, 42, reserves=4) == draw(lottery, "42", reserves=4)
    assert panel_meets_quotas(first.panel, POOL, SEATS, QUOTAS)
    assert len(first.reserves) == 4
    assert not set(first.reserves) & set(first.panel)
    assert len(set(first.reserves)) == 4


def test_a_fresh_process_draws_the_same_panel(lottery):
    here = draw(lottery, "town hall 2026", reserves=3)
    code = textwrap.dedent(
        f"""
        import json
        from facilitation.panel.lottery import draw, select_panel
        from facilitation.panel.quotas import Quota, Volunteer
        rows, quota_rows = {json.dumps(POOL_ROWS)}, {json.dumps(QUOTA_ROWS)}
        pool = [Volunteer(i, {{"age": a, "gender": g, "tenure": t}}, h) for i, a, g, t, h in rows]
        result = draw(select_panel(pool, {SEATS}, [Quota(*q) for q in quota_rows]),
                      "town hall 2026", reserves=3)
        print(json.dumps([result.ticket, result.panel, result.reserves]))
        """
    )
    # HiGHS prints its banner once per process, whatever the options: the answer is the last line.
    ticket, panel, reserves = json.loads(last_line_of(code, hash_seed="12345"))
    assert (ticket, tuple(panel), tuple(reserves)) == (here.ticket, here.panel, here.reserves)


def test_a_lottery_in_a_fresh_process_writes_nothing_to_its_output():
    # The server runs lotteries in a worker thread; a solver banner there lands in its log.
    code = textwrap.dedent(
        f"""
        import threading
        from facilitation.panel.lottery import draw, select_panel
        from facilitation.panel.quotas import Quota, Volunteer, check_quotas
        rows, quota_rows = {json.dumps(POOL_ROWS)}, {json.dumps(QUOTA_ROWS)}
        pool = [Volunteer(i, {{"age": a, "gender": g, "tenure": t}}, h) for i, a, g, t, h in rows]
        outcome = []

        def work():
            lottery = select_panel(pool, {SEATS}, [Quota(*q) for q in quota_rows])
            outcome.append(draw(lottery, "seed", reserves=2).panel)
            outcome.append(check_quotas(pool, {SEATS}, [Quota("tenure", "renter", 4, 5)]))

        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
        panel, problem = outcome
        print(len(panel), bool(problem.relaxations))
        """
    )
    out = fresh_python(code)
    assert (out.stdout, out.stderr) == (f"{SEATS} True\n", "")


def test_draws_over_many_seeds_match_the_reported_chances(lottery):
    runs = 2000
    seen = dict.fromkeys(lottery.probabilities, 0)
    for seed in range(runs):
        result = draw(lottery, seed)
        assert panel_meets_quotas(result.panel, POOL, SEATS, QUOTAS)
        for v in result.panel:
            seen[v] += 1
    for v, p in lottery.probabilities.items():
        # Five standard errors: with twelve volunteers a correct draw strays this far with
        # probability below one in a hundred thousand.
        assert abs(seen[v] / runs - p) <= 5 * math.sqrt(p * (1 - p) / runs) + 1e-9, v


def test_reserves_who_can_stand_in_are_called_first():
    pool = [
        Volunteer("w1", {"gender": "woman"}),
        Volunteer("w2", {"gender": "woman"}),
        Volunteer("m1", {"gender": "man"}),
        Volunteer("m2", {"gender": "man"}),
        Volunteer("x1", {"gender": "another"}),
        Volunteer("x2", {"gender": "another"}),
    ]
    quotas = [Quota("gender", "woman", 1, 1), Quota("gender", "man", 1, 1)]
    result = select_panel(pool, 2, quotas)
    assert result.probabilities["x1"] == 0.0
    for seed in range(20):
        reserves = draw(result, seed, reserves=4).reserves
        assert set(reserves[:2]) <= {"w1", "w2", "m1", "m2"}
        assert set(reserves[2:]) == {"x1", "x2"}


# -- the household rule ---------------------------------------------------------------------------


def test_no_panel_or_draw_has_two_people_from_one_household(household_lottery):
    home = {v.id: v.household for v in POOL}
    for panel, _p in household_lottery.panels:
        assert len({home[v] for v in panel}) == SEATS
    for seed in range(50):
        assert len({home[v] for v in draw(household_lottery, seed).panel}) == SEATS


def test_the_household_rule_lottery_is_the_brute_force_leximin(household_lottery):
    ids = [v.id for v in POOL]
    exact = exact_leximin(ids, all_panels(POOL, SEATS, QUOTAS, one_per_household=True))
    for v in ids:
        assert household_lottery.probabilities[v] == pytest.approx(exact[v], abs=1e-6), v


# -- infeasible quotas ----------------------------------------------------------------------------


def tenure_pool() -> list[Volunteer]:
    return [Volunteer(f"o{i}", {"tenure": "owner"}) for i in range(20)] + [
        Volunteer(f"r{i}", {"tenure": "renter"}) for i in range(20)
    ]


@pytest.mark.parametrize(
    ("quotas", "seats", "kind", "text"),
    [
        (
            [Quota("tenure", "renter", 8, 15), Quota("tenure", "owner", 10, 15)],
            15,
            "minimums",
            "The minimums for tenure add up to 18 (renter: 8, owner: 10),"
            " but the panel has 15 seats.",
        ),
        (
            [Quota("tenure", "renter", 0, 4), Quota("tenure", "owner", 0, 5)],
            12,
            "maximums",
            "The quotas for tenure can fill at most 9 of the 12 seats (renter: 4, owner: 5).",
        ),
        (
            [Quota("tenure", "co-op", 3, 5)],
            6,
            "too_few",
            "Only 0 volunteers have tenure “co-op”, but the minimum is 3.",
        ),
        (
            [Quota("tenure", "owner", 4, 2)],
            6,
            "min_above_max",
            "The minimum for tenure “owner” (4) is above its maximum (2).",
        ),
    ],
)
def test_infeasible_quotas_are_named_and_relaxed(quotas, seats, kind, text):
    pool = tenure_pool()
    problem = check_quotas(pool, seats, quotas)
    assert problem is not None
    assert [c.kind for c in problem.conflicts] == [kind]
    assert problem.conflicts[0].text == text
    assert problem.conflicts[0].message.format(**problem.conflicts[0].params) == text
    assert problem.relaxations
    relaxed = apply_relaxations(quotas, problem.relaxations)
    assert check_quotas(pool, seats, relaxed) is None
    with pytest.raises(Infeasible) as caught:
        select_panel(pool, seats, quotas)
    assert caught.value.conflicts == problem.conflicts


def test_the_smallest_relaxation_is_offered():
    quotas = [Quota("tenure", "renter", 8, 15), Quota("tenure", "owner", 10, 15)]
    problem = check_quotas(tenure_pool(), 15, quotas)
    assert problem is not None
    assert sum(r.old - r.new for r in problem.relaxations) == 3
    assert all(
        r.bound == "min" and r.text.startswith("Lower the minimum") for r in problem.relaxations
    )


def test_a_pool_smaller_than_the_panel_cannot_be_relaxed():
    pool = tenure_pool()[:5]
    problem = check_quotas(pool, 6, [Quota("tenure", "owner", 0, 6)])
    assert problem is not None
    assert problem.conflicts[0].text == "The pool has 5 volunteers, fewer than the 6 seats."
    assert problem.relaxations == ()


def test_households_count_once_when_the_rule_is_on():
    pool = [Volunteer(f"p{i}", {"tenure": "owner"}, household=f"h{i // 2}") for i in range(6)]
    problem = check_quotas(pool, 4, [], one_per_household=True)
    assert problem is not None
    assert problem.conflicts[0].text == (
        "With one person per household, the pool has 3 households, fewer than the 4 seats."
    )
    assert check_quotas(pool, 4, []) is None


def test_quotas_that_clash_across_features_are_explained_together():
    # Every renter is young, and every owner old: 3 renters at least, 3 old at least, 4 seats.
    pool = [Volunteer(f"r{i}", {"tenure": "renter", "age": "young"}) for i in range(5)] + [
        Volunteer(f"o{i}", {"tenure": "owner", "age": "old"}) for i in range(5)
    ]
    quotas = [Quota("tenure", "renter", 3, 4), Quota("age", "old", 3, 4)]
    problem = check_quotas(pool, 4, quotas)
    assert problem is not None
    assert [c.kind for c in problem.conflicts] == ["together"]
    assert problem.conflicts[0].text == (
        "No panel can meet these quotas at the same time: tenure “renter” (3–4), age “old” (3–4)."
    )
    assert problem.conflicts[0].quotas == (("tenure", "renter"), ("age", "old"))
    assert sum(abs(r.new - r.old) for r in problem.relaxations) == 2
    assert check_quotas(pool, 4, apply_relaxations(quotas, problem.relaxations)) is None


# -- properties on generated small pools ----------------------------------------------------------


@st.composite
def instances(draw_):
    size = draw_(st.integers(4, 9))
    seats = draw_(st.integers(2, min(4, size - 1)))
    pool = [
        Volunteer(
            f"v{i}",
            {
                "gender": draw_(st.sampled_from(["woman", "man"])),
                "tenure": draw_(st.sampled_from(["owner", "renter", "co-op"])),
            },
            draw_(st.sampled_from([None, "h1", "h2", "h3"])),
        )
        for i in range(size)
    ]
    quotas = []
    for feature, value in [
        ("gender", "woman"),
        ("gender", "man"),
        ("tenure", "owner"),
        ("tenure", "renter"),
    ]:
        if draw_(st.booleans()):
            low = draw_(st.integers(0, 2))
            # Mostly sensible quotas, sometimes a maximum below the minimum.
            high = draw_(st.integers(low, max(low, seats)) | st.integers(0, seats))
            quotas.append(Quota(feature, value, low, high))
    return pool, seats, quotas, draw_(st.booleans())


def needed_loosening(pool, panel, quotas) -> int:
    """How far this panel is from meeting the quotas, in seats."""
    total = 0
    for q in quotas:
        n = sum(1 for v in pool if v.id in panel and v.profile.get(q.feature) == q.value)
        total += max(0, q.min - n) + max(0, n - q.max)
    return total


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_generated_pools_get_the_exact_leximin_lottery_or_a_working_relaxation(instance):
    pool, seats, quotas, rule = instance
    ids = [v.id for v in pool]
    panels = all_panels(pool, seats, quotas, one_per_household=rule)
    problem = check_quotas(pool, seats, quotas, one_per_household=rule)
    assert (problem is None) == bool(panels)
    if problem is not None:
        assert problem.conflicts and all(c.text for c in problem.conflicts)
        home = {v.id: (v.household or v.id) if rule else v.id for v in pool}
        candidates = [
            c for c in itertools.combinations(ids, seats) if len({home[v] for v in c}) == seats
        ]
        if not candidates:
            assert problem.relaxations == ()
            return
        best = min(needed_loosening(pool, set(c), quotas) for c in candidates)
        # The change is at least the smallest one, widened where that would leave someone
        # with no chance of a seat.
        assert sum(abs(r.new - r.old) for r in problem.relaxations) >= best
        relaxed = apply_relaxations(quotas, problem.relaxations)
        assert check_quotas(pool, seats, relaxed, one_per_household=rule) is None
        seated = set().union(*all_panels(pool, seats, relaxed, one_per_household=rule))
        assert set(problem.left_out) == set(ids) - seated
        # Only someone no loosening at all could seat is left out.
        assert seated == set().union(*candidates)
        return
    result = select_panel(pool, seats, quotas, one_per_household=rule)
    for panel, _p in result.panels:
        assert panel_meets_quotas(panel, pool, seats, quotas, one_per_household=rule)
    assert math.isclose(sum(result.probabilities.values()), seats, abs_tol=1e-9)
    assert all(-1e-12 <= p <= 1 + 1e-12 for p in result.probabilities.values())
    exact = exact_leximin(ids, panels)
    for v in ids:
        assert result.probabilities[v] == pytest.approx(exact[v], abs=1e-6)
    for seed in range(5):
        drawn = draw(result, seed, reserves=2)
        assert panel_meets_quotas(drawn.panel, pool, seats, quotas, one_per_household=rule)
        assert not set(drawn.reserves) & set(drawn.panel)
