"""A lottery that cannot be finished in the time allowed: the page says so, shows what the
lottery reached guarantees, and a panel drawn from it still meets every quota."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

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
