"""Lotteries run in worker processes: two organisers' lotteries are worked out side by side, and
a small one is not kept waiting behind a large one."""

from __future__ import annotations

import asyncio
import csv
import io
import random
import time
from urllib.parse import urlencode

from tests.panel.test_panels_page import make_scene, pool_path, settings, upload
from tests.people.scene import AGE, TENURE, choice, programme_asking

AREA = ("North", "South", "East", "West", "Centre")
GENDER = ("Woman", "Man", "Another way")
WORK = ("In work", "Retired", "Student", "Caring", "Looking for work")


def large_pool(size: int) -> bytes:
    """A pool of `size` volunteers with five answers each, drawn from a fixed seed."""
    rng = random.Random(16)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "email", "household", "Tenure", "Age band", "Area", "Gender", "Work"])
    for i in range(1, size + 1):
        answers = [rng.choice(c) for c in (TENURE, AGE, AREA, GENDER, WORK)]
        writer.writerow([f"Volunteer {i}", f"v{i}@example.org", "", *answers])
    return out.getvalue().encode()


async def large_scene(app, facilitator, size: int):
    programme_id, questions = await programme_asking(
        facilitator, app, Tenure=TENURE, Age_band=AGE, Area=AREA, Gender=GENDER, Work=WORK
    )
    response = await upload(facilitator, programme_id, large_pool(size), "Borough letter")
    assert response.status_code == 303, response.text
    pool_id = int(response.headers["location"].rsplit("/", 1)[1])
    return programme_id, pool_id, questions


def proportional(questions, seats: int) -> dict[str, str]:
    """Quotas of a fair share of seats, one each way, for every answer of every question."""
    params = {"seats": str(seats), "reserves": "3"}
    for q in questions.values():
        share = seats / len(q.choices)
        for c in q.choices:
            key = f"{q.id}-{choice(q, c.label)}"
            params[f"min-{key}"] = str(max(int(share) - 1, 0))
            params[f"max-{key}"] = str(int(share) + 2)
    return params


async def timed_get(client, url: str) -> tuple[int, str, float]:
    response = await client.get(url)
    return response.status_code, response.text, time.monotonic()


async def test_a_small_lottery_is_not_held_behind_a_large_one(app, facilitator):
    small = await make_scene(app, facilitator)
    large = await large_scene(app, facilitator, 400)
    large_url = pool_path(large) + "?" + urlencode(proportional(large[2], 30))
    small_url = pool_path(small) + "?" + urlencode(settings(small[2]))
    heavy = asyncio.create_task(timed_get(facilitator.client, large_url))
    light = asyncio.create_task(timed_get(facilitator.client, small_url))
    (
        (heavy_status, heavy_page, heavy_done),
        (light_status, light_page, light_done),
    ) = await asyncio.wait_for(asyncio.gather(heavy, light), timeout=600)
    assert heavy_status == 200 and light_status == 200
    assert 'data-lottery="ok"' in light_page
    assert "data-chances" in heavy_page
    assert light_done < heavy_done


async def wait_until_running(client, path: str) -> dict:
    """The progress the page reads, once the worker has reported a stage (within 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = (await client.get(path + "/progress")).json()
        if status["running"] and "stage" in status:
            return status
        await asyncio.sleep(0.05)  # polling interval, as the page polls; the condition is above
    raise AssertionError("the lottery never reported progress")


async def test_a_running_lottery_reports_progress_and_can_be_cancelled(app, facilitator):
    large = await large_scene(app, facilitator, 400)
    path = pool_path(large)
    assert (await facilitator.client.get(path + "/progress")).json() == {"running": False}
    heavy = asyncio.create_task(
        facilitator.client.get(path + "?" + urlencode(proportional(large[2], 30)))
    )
    status = await wait_until_running(facilitator.client, path)
    assert status["limit"] == 120.0 and status["volunteers"] == 400
    assert 0 <= status["settled"] <= 400 and status["seconds"] >= 0
    cancelled = await facilitator.post(path + "/cancel", {})
    assert cancelled.status_code == 204
    page = await asyncio.wait_for(heavy, timeout=60)
    assert page.status_code == 409
    assert "The lottery was cancelled." in page.text
    assert (await facilitator.client.get(path + "/progress")).json() == {"running": False}
