"""Rating rounds end to end: statements rated 1-5 or "don't know" from phones, refused answers,
and the results page's means (over those who gave a number) and spread table."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from facilitation.kinds import rating as rating_kind
from tests.conftest import new_client
from tests.helpers import Phone, db_rows, signed_in_facilitator

STATEMENTS = ("The estate feels safe at night", "The bins are emptied often enough", "Parking")


def state_of(reply: str) -> str:
    return re.search(r'id="ballot-status".*?data-state="(\w+)"', reply, re.S).group(1)


def status_text(reply: str) -> str:
    return html.unescape(re.search(r'id="ballot-status"[^>]*>\s*(.*?)\s*</p>', reply, re.S)[1])


def spread_table(page: str) -> dict[int, list[str]]:
    """The results page's spread: per statement, the counts of 1..5, don't know, and the mean."""
    table = re.search(r"How many gave each answer</caption>(.*?)</table>", page, re.S).group(1)
    return {
        int(option): re.findall(r"<td[^>]*>([^<]*)</td>", cells)[1:]
        for option, cells in re.findall(r'<tr data-option="(\d+)">(.*?)</tr>', table, re.S)
    }


@pytest.fixture
async def rating(app, client):
    """A workshop with three statements in an open rating round, and a way to add phones."""
    facilitator = await signed_in_facilitator(app, client)
    workshop_id, code = await facilitator.create_workshop("Estate health check")
    ids = [await facilitator.add_option(workshop_id, title) for title in STATEMENTS]
    round_id = await facilitator.create_round(workshop_id, "How are we doing?", ids, kind="rating")
    response = await facilitator.round_action(workshop_id, round_id, "open")
    assert response.status_code == 303
    devices = []

    async def phone() -> Phone:
        devices.append(new_client(app))
        made = Phone(devices[-1])
        await made.join(code)
        return made

    yield {
        "app": app,
        "facilitator": facilitator,
        "workshop_id": workshop_id,
        "code": code,
        "round_id": round_id,
        "ids": ids,
        "phone": phone,
    }
    for device in devices:
        await device.aclose()


async def rate(rating: dict, phone: Phone, *values: str):
    """Send one answer per statement, in order; an empty value leaves that statement out."""
    fields = {f"rate-{o}": v for o, v in zip(rating["ids"], values, strict=False) if v}
    return await phone.send_http(rating["round_id"], fields)


async def test_ratings_from_one_to_five_and_dont_know_are_accepted(rating):
    phone = await rating["phone"]()
    page = (await phone.client.get(f"/w/{rating['code']}")).text
    assert 'data-kind="rating"' in page
    a, b, c = rating["ids"]
    reply = await rate(rating, phone, "5", "dk", "1")
    assert reply.status_code == 200
    assert state_of(reply.text) == "saved"
    store = rating["app"].state.store
    (ballot,) = await store.ballots.ballots(rating["round_id"])
    assert rating_kind.ratings_of(ballot.entry) == {a: 5, b: 0, c: 1}
    # The phone shows the saved answers ticked when it reloads.
    page = (await phone.client.get(f"/w/{rating['code']}")).text
    assert re.search(rf'name="rate-{a}" value="5" checked', page)
    assert re.search(rf'name="rate-{b}" value="dk" checked', page)
    assert re.search(rf'name="rate-{c}" value="1" checked', page)
    assert not re.search(rf'name="rate-{c}" value="dk" checked', page)


async def test_skipping_a_statement_is_allowed(rating):
    phone = await rating["phone"]()
    reply = await rate(rating, phone, "", "3", "")
    assert state_of(reply.text) == "saved"
    (ballot,) = await rating["app"].state.store.ballots.ballots(rating["round_id"])
    assert rating_kind.ratings_of(ballot.entry) == {rating["ids"][1]: 3}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (("0",), "Each rating must be from 1 to 5, or “don’t know”."),
        (("6",), "Each rating must be from 1 to 5, or “don’t know”."),
        (("4", "-1"), "Each rating must be from 1 to 5, or “don’t know”."),
        (("3", "2.5"), "Each rating must be from 1 to 5, or “don’t know”."),
        (("", "", ""), "Answer at least one statement before sending."),
    ],
)
async def test_an_answer_outside_the_scale_is_refused_and_nothing_is_stored(
    rating, settings, values, message
):
    phone = await rating["phone"]()
    before = db_rows(settings.data_path)
    reply = await rate(rating, phone, *values)
    assert reply.status_code == 400
    assert state_of(reply.text) == "error"
    assert status_text(reply.text) == "⚠ " + message
    assert db_rows(settings.data_path) == before


async def test_a_statement_from_outside_the_round_is_refused(rating, settings):
    other = await rating["facilitator"].add_option(rating["workshop_id"], "Not asked")
    phone = await rating["phone"]()
    before = db_rows(settings.data_path)
    reply = await phone.send_http(rating["round_id"], {f"rate-{other}": "4"})
    assert state_of(reply.text) == "error"
    assert "That option is not part of this round." in status_text(reply.text)
    assert db_rows(settings.data_path) == before


async def test_a_rating_round_needs_a_statement(rating, settings):
    before = db_rows(settings.data_path)
    response = await rating["facilitator"].post(
        f"/f/workshops/{rating['workshop_id']}/rounds", {"title": "Empty", "kind": "rating"}
    )
    assert response.status_code == 400
    assert "Choose at least one statement for people to rate." in html.unescape(response.text)
    assert db_rows(settings.data_path) == before


async def test_the_mean_leaves_out_dont_know_and_the_results_show_the_spread(rating):
    a, b, c = rating["ids"]
    for values in (("5", "1", "dk"), ("4", "2", "dk"), ("dk", "3", "")):
        assert state_of((await rate(rating, await rating["phone"](), *values)).text) == "saved"
    url = f"/f/workshops/{rating['workshop_id']}/rounds/{rating['round_id']}"
    for closed in (False, True):  # the live count, then the snapshot saved when it closed
        page = html.unescape((await rating["facilitator"].client.get(url)).text)
        assert "Rating from 1 (strongly disagree) to 5 (strongly agree)" in page
        assert spread_table(page) == {
            #    1    2    3    4    5   dk   mean
            a: ["0", "0", "0", "1", "1", "1", "4.5"],
            b: ["1", "1", "1", "0", "0", "0", "2.0"],
            c: ["0", "0", "0", "0", "0", "2", "–"],
        }
        # The list keeps the order the statements were asked in, not the order of their means.
        listed = re.findall(
            r'<li class="result-row" data-option="(\d+)" data-score="([^"]+)"', page
        )
        assert listed == [(str(a), "4.5"), (str(b), "2"), (str(c), "0")]
        assert "4.5 / 5" in page and "(2 answers)" in page
        assert "no answers yet" in page
        if not closed:
            response = await rating["facilitator"].round_action(
                rating["workshop_id"], rating["round_id"], "close"
            )
            assert response.status_code == 303
    assert "Results, saved when voting closed" in page


async def test_a_changed_answer_replaces_the_earlier_one_in_the_count(rating):
    phone = await rating["phone"]()
    a = rating["ids"][0]
    await rate(rating, phone, "1")
    await rate(rating, phone, "5")
    url = f"/f/workshops/{rating['workshop_id']}/rounds/{rating['round_id']}"
    page = html.unescape((await rating["facilitator"].client.get(url)).text)
    assert spread_table(page)[a] == ["0", "0", "0", "0", "1", "0", "5.0"]


async def test_the_exports_carry_each_answer(rating):
    a, b, _c = rating["ids"]
    await rate(rating, await rating["phone"](), "4", "dk")
    base = f"/f/workshops/{rating['workshop_id']}/export"
    client = rating["facilitator"].client
    rows = list(
        csv.DictReader(io.StringIO((await client.get(f"{base}/ballots.csv")).text.lstrip("\ufeff")))
    )
    assert [(int(r["option_id"]), r["rating"], r["source"]) for r in rows] == [
        (a, "4", "phone"),
        (b, "0", "phone"),  # 0 is "don't know"
    ]
    results = list(
        csv.DictReader(io.StringIO((await client.get(f"{base}/results.csv")).text.lstrip("\ufeff")))
    )
    assert [(int(r["option_id"]), r["method"], r["score"], r["supporters"]) for r in results][
        :2
    ] == [(a, "mean_rating", "4", "1"), (b, "mean_rating", "", "0")]
    data = (await client.get(f"{base}/workshop.json")).json()
    (exported,) = data["rounds"]
    assert exported["ballots"][0]["ratings"] == {str(a): 4, str(b): 0}
