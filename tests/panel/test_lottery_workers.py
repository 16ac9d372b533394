"""Lotteries run in worker processes: two organisers' lotteries are worked out side by side, and
a small one is not kept waiting behind a large one."""

from __future__ import annotations

import asyncio
import csv
import io
import random
import time
from urllib.parse import urlencode

import pytest

from facilitation.panel.lottery import Lottery
from facilitation.panel.pool import Volunteer
from facilitation.panel.quotas import Quota
from facilitation.panel.workers import CANCELLED, Workers
from tests.conftest import new_client
from tests.helpers import Facilitator
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


async def wait_until_running(client, path: str, job: str) -> dict:
    """The progress the page reads for its job, once the worker has reported a stage
    (within 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = (await client.get(path + "/progress", params={"job": job})).json()
        if status["running"] and "stage" in status:
            return status
        await asyncio.sleep(0.05)  # polling interval, as the page polls; the condition is above
    raise AssertionError("the lottery never reported progress")


async def wait_until_solving(client, path: str, job: str) -> dict:
    """The progress once the job's worker has been at it for a second (within 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = (await client.get(path + "/progress", params={"job": job})).json()
        if status["running"] and status["seconds"] >= 1:
            return status
        await asyncio.sleep(0.05)  # polling interval, as the page polls; the condition is above
    raise AssertionError("the lottery never started")


def progress_of(client, path: str, job: str):
    return client.get(path + "/progress", params={"job": job})


async def test_a_running_lottery_reports_progress_and_can_be_cancelled(app, facilitator):
    large = await large_scene(app, facilitator, 400)
    path = pool_path(large)
    job = "page-one-job"
    assert (await progress_of(facilitator.client, path, job)).json() == {"running": False}
    query = {**proportional(large[2], 30), "job": job}
    heavy = asyncio.create_task(facilitator.client.get(path + "?" + urlencode(query)))
    status = await wait_until_running(facilitator.client, path, job)
    assert status["limit"] == 120.0 and status["volunteers"] == 400
    assert 0 <= status["settled"] <= 400 and status["seconds"] >= 0
    cancelled = await facilitator.post(path + "/cancel", {"job": job})
    assert cancelled.json() == {"stopped": True}
    page = await asyncio.wait_for(heavy, timeout=60)
    assert page.status_code == 409
    assert "The lottery was cancelled." in page.text
    assert (await progress_of(facilitator.client, path, job)).json() == {"running": False}


async def test_stop_ends_a_long_lottery_at_once_and_the_next_one_works(app, facilitator):
    """Stop does not wait for the solve under way: the page hears within seconds. This
    lottery takes several seconds, so Stop comes in the middle of it."""
    large = await large_scene(app, facilitator, 1500)
    small = await make_scene(app, facilitator)
    path = pool_path(large)
    query = {**proportional(large[2], 60), "job": "long-one-job"}
    heavy = asyncio.create_task(facilitator.client.get(path + "?" + urlencode(query)))
    await wait_until_solving(facilitator.client, path, "long-one-job")
    asked = time.monotonic()
    await facilitator.post(path + "/cancel", {"job": "long-one-job"})
    page = await asyncio.wait_for(heavy, timeout=60)
    assert page.status_code == 409 and "The lottery was cancelled." in page.text
    assert time.monotonic() - asked < 3
    after = await facilitator.client.get(pool_path(small) + "?" + urlencode(settings(small[2])))
    assert after.status_code == 200 and 'data-lottery="ok"' in after.text


async def test_two_organisers_on_one_pool_each_see_and_stop_their_own(app, facilitator):
    large = await large_scene(app, facilitator, 400)
    path = pool_path(large)
    async with new_client(app) as device:
        colleague = Facilitator(device)
        assert (await colleague.login()).status_code == 303
        mine = {**proportional(large[2], 30), "job": "mine-job-1"}
        theirs = {**proportional(large[2], 24), "job": "theirs-job-1"}
        my_page = asyncio.create_task(facilitator.client.get(path + "?" + urlencode(mine)))
        their_page = asyncio.create_task(colleague.client.get(path + "?" + urlencode(theirs)))
        mine_now = await wait_until_running(facilitator.client, path, "mine-job-1")
        theirs_now = await wait_until_running(colleague.client, path, "theirs-job-1")
        assert mine_now["volunteers"] == theirs_now["volunteers"] == 400
        await colleague.post(path + "/cancel", {"job": "theirs-job-1"})
        their_answer = await asyncio.wait_for(their_page, timeout=60)
        assert their_answer.status_code == 409
        # Mine goes on, and ends with its own lottery.
        my_answer = await asyncio.wait_for(my_page, timeout=600)
        assert my_answer.status_code == 200 and "data-chances" in my_answer.text


async def test_stop_for_an_unknown_job_changes_nothing(app, facilitator):
    large = await large_scene(app, facilitator, 400)
    path = pool_path(large)
    query = {**proportional(large[2], 30), "job": "the-real-job"}
    heavy = asyncio.create_task(facilitator.client.get(path + "?" + urlencode(query)))
    await wait_until_running(facilitator.client, path, "the-real-job")
    for wrong in ("another-job", "<bad id>", ""):
        answer = await facilitator.post(path + "/cancel", {"job": wrong})
        assert answer.json() == {"stopped": False}
    assert (await progress_of(facilitator.client, path, "the-real-job")).json()["running"]
    await facilitator.post(path + "/cancel", {"job": "the-real-job"})
    assert (await asyncio.wait_for(heavy, timeout=60)).status_code == 409


def volunteers_and_quotas(size: int, seats: int):
    """`size` volunteers with five answers each and a fair share of seats for every answer."""
    rng = random.Random(5)
    answers = {"tenure": TENURE, "age": AGE, "area": AREA, "gender": GENDER, "work": WORK}
    volunteers = [
        Volunteer(str(i), {k: rng.choice(v) for k, v in answers.items()})
        for i in range(1, size + 1)
    ]
    quotas = [
        Quota(k, value, max(seats // len(v) - 1, 0), seats // len(v) + 2)
        for k, v in answers.items()
        for value in v
    ]
    return volunteers, quotas


async def test_a_lottery_waiting_for_a_worker_stops_at_once_and_the_worker_is_kept():
    workers = Workers(size=1)
    try:
        volunteers, quotas = volunteers_and_quotas(400, 30)
        busy = workers.job(120.0)
        running = asyncio.create_task(workers.lottery(busy, volunteers, 30, quotas, False))
        deadline = time.monotonic() + 60
        while busy.process is None:  # until the one worker is taken
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        waiting = workers.job(120.0)
        queued = asyncio.create_task(workers.lottery(waiting, volunteers, 24, quotas, False))
        while waiting.waiting is None:  # until it queues behind the first
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        assert waiting.process is None and not queued.done()
        waiting.cancel()
        assert await asyncio.wait_for(queued, timeout=2) == CANCELLED
        busy.cancel()
        assert await asyncio.wait_for(running, timeout=5) == CANCELLED
        # The slot the waiting one never took is not lost: the next lottery runs.
        small, small_quotas = volunteers_and_quotas(40, 6)
        found = await asyncio.wait_for(
            workers.lottery(workers.job(120.0), small, 6, small_quotas, False), timeout=120
        )
        assert isinstance(found, Lottery)
    finally:
        workers.close()


async def test_a_lottery_nobody_waits_for_any_more_is_not_left_running():
    workers = Workers(size=1)
    try:
        volunteers, quotas = volunteers_and_quotas(400, 30)
        job = workers.job(120.0)
        task = asyncio.create_task(workers.lottery(job, volunteers, 30, quotas, False))
        deadline = time.monotonic() + 60
        while job.process is None:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        process = job.process
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5)
        assert not process.is_alive()
    finally:
        workers.close()
