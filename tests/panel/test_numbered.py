"""Numbered panels against the real app: the lottery rounded to m panels that each meet the
quotas, its file and commitment fixed before the public value, and the panel that value picks,
which anyone can recompute from the file with the documented recipe. Drawn once only."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re

import pytest

from tests.helpers import db_rows
from tests.panel.test_panels_page import POOL, make_scene, pool_path, settings


@pytest.fixture
async def numbered_scene(app, facilitator):
    return await make_scene(app, facilitator)


async def commit(facilitator, numbered_scene, m="100"):
    _p, _pool, questions = numbered_scene
    return await facilitator.post(
        pool_path(numbered_scene) + "/commit", {**settings(questions), "m": m}
    )


async def test_the_public_value_picks_the_panel_the_recipe_gives(facilitator, numbered_scene):
    fixed = await commit(facilitator, numbered_scene)
    assert fixed.status_code == 303, fixed.text
    page = await facilitator.client.get(fixed.headers["location"])
    digest = re.search(r"data-digest>([0-9a-f]{64})<", page.text).group(1)
    assert "A lottery over 100 numbered panels" in page.text
    assert "Rounding to numbered panels moved the smallest chance from" in page.text
    file = await facilitator.client.get(fixed.headers["location"] + "/lottery.json")
    assert hashlib.sha256(file.content).hexdigest() == digest
    document = json.loads(file.content)
    assert len(document["panels"]) == 100
    assert all(len(p) == 6 for p in document["panels"])
    assert b"@example.org" not in file.content and b"Owner 1" not in file.content

    drawn = await facilitator.post(fixed.headers["location"] + "/draw", {"value": " 07  19 23 "})
    assert drawn.status_code == 303, drawn.text
    panel_page = (await facilitator.client.get(drawn.headers["location"])).text
    seed = hashlib.sha256(f"{digest}:07 19 23".encode()).hexdigest()
    number = int(seed, 16) % 100 + 1
    assert f"panel {number} of 100" in panel_page
    table = panel_page.split("data-members", 1)[1].split("</table>", 1)[0]
    shown = sorted(int(n) for n in re.findall(r'<tr data-volunteer="(\d+)"', table))
    assert shown == document["panels"][number - 1]
    social = sum(POOL[n - 1][1] == "Social rent" for n in shown)
    assert 2 <= social <= 3


async def test_a_fixed_lottery_is_drawn_once_only(app, facilitator, numbered_scene):
    fixed = await commit(facilitator, numbered_scene)
    where = fixed.headers["location"]
    assert (await facilitator.post(where + "/draw", {"value": "1 2 3"})).status_code == 303
    before = db_rows(app.state.settings.data_path)
    again = await facilitator.post(where + "/draw", {"value": "4 5 6"})
    assert again.status_code == 409
    assert "This lottery has already been drawn." in again.text
    blank = await facilitator.post(where + "/draw", {"value": "   "})
    assert blank.status_code in (400, 409)
    assert db_rows(app.state.settings.data_path) == before


async def test_an_unknown_number_of_panels_is_refused(app, facilitator, numbered_scene):
    before = db_rows(app.state.settings.data_path)
    refused = await commit(facilitator, numbered_scene, m="7")
    assert refused.status_code == 400
    assert "Please choose how many numbered panels to draw from." in refused.text
    assert db_rows(app.state.settings.data_path) == before


async def test_two_values_sent_together_record_one_panel(app, facilitator, numbered_scene):
    fixed = await commit(facilitator, numbered_scene)
    where = fixed.headers["location"]
    sent = await asyncio.gather(
        facilitator.post(where + "/draw", {"value": "1 2 3"}),
        facilitator.post(where + "/draw", {"value": "7 8 9"}),
    )
    assert sorted(r.status_code for r in sent) == [303, 409]
    _p, pool_id, _q = numbered_scene
    assert len(await app.state.store.pools.panels(pool_id)) == 1
