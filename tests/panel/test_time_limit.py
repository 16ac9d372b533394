"""A lottery that cannot be finished in the time allowed: the page says so, shows what the
lottery reached guarantees, and a panel drawn from it still meets every quota."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import highspy
import numpy as np
import pytest

from facilitation.panel.clock import Clock, Stop
from facilitation.panel.solver import quiet_solver, run_within
from tests.panel.test_panels_page import POOL, make_scene, pool_path, settings


@pytest.fixture
async def slow_scene(app, facilitator):
    return await make_scene(app, facilitator)


async def test_an_unfinished_lottery_is_named_and_still_meets_the_quotas(
    app, facilitator, slow_scene
):
    _p, _pool, questions = slow_scene
    app.state.lotteries.time_limit = 0.0  # as if the pool were too large for the time allowed
    params = settings(questions)
    page = await facilitator.client.get(pool_path(slow_scene) + "?" + urlencode(params))
    assert page.status_code == 200
    note = re.search(r"data-not-exact>([^<]+)<", page.text)
    assert note and "could not be worked out in the time allowed" in note.group(1)
    assert "This lottery meets every quota" in note.group(1)
    drawn = await facilitator.post(pool_path(slow_scene) + "/draw", {**params, "seed": "9 9"})
    assert drawn.status_code == 303
    panel = (await facilitator.client.get(drawn.headers["location"])).text
    table = panel.split("data-members", 1)[1].split("</table>", 1)[0]
    members = [int(n) for n in re.findall(r'<tr data-volunteer="(\d+)"', table)]
    assert len(members) == 6
    assert 2 <= sum(POOL[n - 1][1] == "Social rent" for n in members) <= 3
    assert sum(POOL[n - 1][1] == "Owner" for n in members) <= 3
    assert 1 <= sum(POOL[n - 1][2] == "Under 30" for n in members) <= 2


async def test_a_finished_lottery_carries_no_such_note(facilitator, slow_scene):
    _p, _pool, questions = slow_scene
    page = await facilitator.client.get(
        pool_path(slow_scene) + "?" + urlencode(settings(questions))
    )
    assert 'data-lottery="ok"' in page.text and "data-not-exact" not in page.text


def market_split(rows: int = 4, columns: int = 36, seed: int = 7) -> highspy.Highs:
    """A small integer programme known to take a branch-and-bound solver a long time
    (Cornuéjols and Dawande's market split), standing in for a pricing solve on a huge pool."""
    rng = np.random.default_rng(seed)
    h = quiet_solver()
    h.addVars(columns, np.zeros(columns), np.ones(columns))
    h.changeColsIntegrality(
        columns,
        np.arange(columns, dtype=np.int32),
        np.array([highspy.HighsVarType.kInteger] * columns),
    )
    for _ in range(rows):
        a = rng.integers(0, 100, columns)
        index = np.arange(columns, dtype=np.int32)
        target = float(a.sum() // 2)
        h.addRow(target, target, columns, index, a.astype(float))
    return h


def test_a_solve_that_would_run_long_stops_at_the_lotterys_deadline():
    clock = Clock(0.0, None, None)  # the deadline has just passed
    with pytest.raises(Stop):
        run_within(market_split(), clock)


def test_a_solve_with_time_left_finishes():
    h = quiet_solver()
    h.addVars(2, np.zeros(2), np.ones(2))
    h.addRow(1.0, 1.0, 2, np.array([0, 1], dtype=np.int32), np.ones(2))
    assert run_within(h, Clock(60.0, None, None)) == highspy.HighsModelStatus.kOptimal


def test_a_linear_programme_solved_many_times_still_gets_the_time_left():
    # HiGHS counts a linear programme's time limit over all the solver's runs: a master
    # programme re-solved for minutes must still be given the seconds the lottery has left.
    rng = np.random.default_rng(3)
    n = 300
    h = quiet_solver()
    h.setOptionValue("presolve", "off")
    h.addVars(n, np.zeros(n), np.full(n, 10.0))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), -rng.random(n))
    for _ in range(150):
        h.addRow(-highspy.kHighsInf, 50.0, n, np.arange(n, dtype=np.int32), rng.random(n))
    for _ in range(2000):
        if h.getRunTime() > 1.0:
            break
        h.clearSolver()
        h.run()
    assert h.getRunTime() > 1.0
    h.clearSolver()
    assert run_within(h, Clock(1.0, None, None)) == highspy.HighsModelStatus.kOptimal
