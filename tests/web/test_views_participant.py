"""A resident's phone in process: joining by code, one place per device, stage and HTTP ballots."""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import new_client
from tests.helpers import Phone, csrf_of, db_rows, stage_of


def text(response) -> str:
    return html.unescape(response.text)


@pytest.fixture
async def open_round(room):
    """An open dot round (5 dots, up to 3 on one option) on Benches and Lighting:
    (workshop id, code, round id, options)."""
    options = room.options[:2]
    round_id = await room.create_round("Priorities", options)
    await room.act("open")
    return room.workshop_id, room.code, round_id, options


@pytest.fixture
async def device(app):
    async with new_client(app) as c:
        yield c


async def joined_count(facilitator, workshop_id: int) -> int:
    console = await facilitator.client.get(f"/f/workshops/{workshop_id}")
    return int(re.search(r"<dd data-joined>(\d+)</dd>", console.text).group(1))


async def results_csv(facilitator, workshop_id: int) -> str:
    return (await facilitator.client.get(f"/f/workshops/{workshop_id}/export/results.csv")).text


# -- joining ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [str.lower, lambda c: f"  {c[:3]} {c[3:]} ", lambda c: f"{c[:3]}-{c[3:]}".lower(), str],
    ids=["lower-case", "spaces", "dash", "exact"],
)
async def test_joining_by_code_from_the_home_page(facilitator, room, device, typed):
    workshop_id, code = room.workshop_id, room.code
    home = await device.get("/")
    response = await device.post("/join", data={"csrf": csrf_of(home.text), "code": typed(code)})
    # The answer is the workshop's page itself: no redirect to wait for on a slow link.
    assert response.status_code == 200
    assert stage_of(response.text) == "waiting"
    assert f'data-socket="/w/{code}/ws"' in response.text
    page = await device.get(f"/w/{code}")
    assert stage_of(page.text) == "waiting"
    assert await joined_count(facilitator, workshop_id) == 1


async def test_an_unknown_code_is_refused_with_a_clear_message(room, device, settings):
    home = await device.get("/")
    before = db_rows(settings.data_path)
    response = await device.post("/join", data={"csrf": csrf_of(home.text), "code": "ZZZZZZ"})
    assert response.status_code == 404
    assert "No workshop has that code. Check the letters on the screen and try again." in text(
        response
    )
    assert 'value="ZZZZZZ"' in response.text
    assert db_rows(settings.data_path) == before


@pytest.mark.parametrize(("name", "greeting"), [("Ann", "Welcome, Ann"), ("", "Welcome")])
async def test_the_name_is_optional(room, device, name, greeting):
    code = room.code
    await Phone(device).join(code, name)
    page = text(await device.get(f"/w/{code}"))
    assert f'<h1 dir="auto">{greeting}</h1>' in page


async def test_the_join_link_asks_for_a_name_then_joins(facilitator, room, device):
    workshop_id, code = room.workshop_id, room.code
    page = await device.get(f"/w/{code}")
    assert "Join the workshop" in page.text
    response = await device.post(f"/w/{code}/join", data={"csrf": csrf_of(page.text), "name": "Bo"})
    assert response.status_code == 200
    assert "Welcome, Bo" in response.text
    assert "Welcome, Bo" in (await device.get(f"/w/{code}")).text
    assert await joined_count(facilitator, workshop_id) == 1


async def test_a_lower_case_join_link_redirects_to_the_workshop(room, device):
    code = room.code
    response = await device.get(f"/w/{code.lower()}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/w/{code}"


async def test_one_device_stays_one_participant_across_reloads_and_rejoins(
    app, facilitator, room, device
):
    workshop_id, code = room.workshop_id, room.code
    phone = Phone(device)
    await phone.join(code, "Ann")
    await phone.join(code, "Someone else")
    for _ in range(3):
        page = await device.get(f"/w/{code}")
        assert stage_of(page.text) == "waiting"
        assert "Welcome, Ann" in page.text
    assert await joined_count(facilitator, workshop_id) == 1

    async with new_client(app) as other:
        await Phone(other).join(code)
    assert await joined_count(facilitator, workshop_id) == 2


# -- the stage -------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["waiting", "draft", "open", "closed", "revealed"])
async def test_the_phone_page_shows_the_stage_for_the_round_state(facilitator, room, device, state):
    workshop_id, code, options = room.workshop_id, room.code, room.options[:2]
    phone = Phone(device)
    await phone.join(code)
    if state != "waiting":
        round_id = await facilitator.create_round(workshop_id, "Priorities", options, hidden="on")
    if state in ("open", "closed", "revealed"):
        await facilitator.round_action(workshop_id, round_id, "open")
        phone.token = csrf_of((await device.get(f"/w/{code}")).text)
        saved = await phone.vote_http(round_id, {options[0]: 3, options[1]: 1})
        assert 'data-state="saved"' in saved.text
    if state in ("closed", "revealed"):
        await facilitator.round_action(workshop_id, round_id, "close")
    if state == "revealed":
        await facilitator.round_action(workshop_id, round_id, "reveal")

    page = text(await device.get(f"/w/{code}"))
    expected = {"waiting": "waiting", "draft": "waiting", "revealed": "closed"}.get(state, state)
    assert stage_of(page) == expected
    if expected == "waiting":
        assert "When the facilitator opens a vote, it will appear here by itself." in page
        assert 'id="ballot"' not in page
    elif state == "open":
        assert 'id="ballot"' in page
        assert f'name="dots-{options[0]}" value="3"' in page
        assert "Saved at" in page
    else:
        assert 'id="ballot"' not in page
        assert "Voting has closed. Your saved ballot counts." in page
        assert '<span dir="auto">Benches</span>: 3 dots' in page
        if state == "closed":
            assert "The facilitator will share the results soon." in page
            assert "data-results" not in page
        else:
            assert "data-results" in page
            assert f'data-option="{options[0]}" data-score="3"' in page


async def test_the_stage_endpoint_returns_the_stage_fragment(open_round, device):
    workshop_id, code, round_id, _options = open_round
    await Phone(device).join(code)
    response = await device.get(f"/w/{code}/stage")
    assert response.status_code == 200
    assert response.text.startswith(f'<section id="stage-{workshop_id}"')
    assert f'data-round="{round_id}"' in response.text
    assert "<html" not in response.text


async def test_the_stage_endpoint_needs_a_place_in_the_workshop(open_round, device):
    _workshop_id, code, _round_id, _options = open_round
    response = await device.get(f"/w/{code}/stage")
    assert response.status_code == 404


# -- ballots over plain HTTP -----------------------------------------------------------------------


async def test_the_http_ballot_fallback_saves_and_redirects_to_the_phone_page(
    facilitator, open_round, device
):
    workshop_id, code, round_id, (benches, lighting) = open_round
    phone = Phone(device)
    await phone.join(code)
    response = await phone.vote_http(round_id, {benches: 2, lighting: 3}, htmx=False)
    assert response.status_code == 303
    page = text(await device.get(response.headers["location"]))
    assert "Saved. You can change your vote until the round closes." in page
    assert f'name="dots-{lighting}" value="3"' in page
    csv = await results_csv(facilitator, workshop_id)
    assert f"{round_id},Priorities,dots,1,no,{lighting},Lighting,3,1,1" in csv


async def test_the_http_ballot_with_htmx_gets_the_saved_status(open_round, device):
    _workshop_id, code, round_id, (benches, _lighting) = open_round
    phone = Phone(device)
    await phone.join(code)
    response = await phone.vote_http(round_id, {benches: 1}, client_id="c" * 16)
    assert response.status_code == 200
    assert response.text.startswith('<p id="ballot-status"')
    assert 'data-state="saved"' in response.text
    assert f'data-client-id="{"c" * 16}"' in response.text
    assert 'hx-swap-oob="true"' in response.text


async def test_the_same_client_id_twice_is_stored_once(facilitator, open_round, device):
    workshop_id, code, round_id, (benches, lighting) = open_round
    phone = Phone(device)
    await phone.join(code)
    first = await phone.vote_http(round_id, {benches: 3}, client_id="same-form-1234")
    again = await phone.vote_http(round_id, {lighting: 3}, client_id="same-form-1234")
    assert 'data-state="saved"' in again.text
    revision = re.search(r'data-revision="(\d+)"', first.text).group(1)
    assert f'data-revision="{revision}"' in again.text
    csv = await results_csv(facilitator, workshop_id)
    assert f"{round_id},Priorities,dots,1,no,{benches},Benches,3,1,1" in csv
    assert f"{round_id},Priorities,dots,2,no,{lighting},Lighting,0,0,1" in csv


async def test_a_ballot_on_a_closed_round_is_refused_and_changes_nothing(
    facilitator, open_round, device, settings
):
    workshop_id, code, round_id, (benches, lighting) = open_round
    phone = Phone(device)
    await phone.join(code)
    await phone.vote_http(round_id, {benches: 3})
    await facilitator.round_action(workshop_id, round_id, "close")
    before = db_rows(settings.data_path)
    response = await phone.vote_http(round_id, {lighting: 3})
    assert response.status_code == 409
    assert 'data-state="error"' in response.text
    assert "This round is closed, so your ballot was not changed." in text(response)
    assert db_rows(settings.data_path) == before
    plain = await phone.vote_http(round_id, {lighting: 3}, htmx=False)
    assert plain.status_code == 409
    assert "This round is closed" in text(plain)
    assert db_rows(settings.data_path) == before


@pytest.mark.parametrize(
    ("dots", "message"),
    [
        ({"A": 4}, "You can put at most 3 dots on one option."),
        ({"A": 3, "B": 3}, "You have 5 dots to use, not 6."),
        ({"A": "lots"}, "Dots must be whole numbers, such as 0, 1 or 2."),
        ({"999999": 1}, "That option is not part of this round."),
    ],
    ids=["over-cap", "over-budget", "not-a-number", "unknown-option"],
)
async def test_an_invalid_http_ballot_is_refused_and_changes_nothing(
    open_round, device, settings, dots, message
):
    _workshop_id, code, round_id, (benches, lighting) = open_round
    phone = Phone(device)
    await phone.join(code)
    ids = {"A": benches, "B": lighting}
    before = db_rows(settings.data_path)
    response = await phone.vote_http(round_id, {ids.get(k, k): v for k, v in dots.items()})
    assert response.status_code == 400
    assert 'data-state="error"' in response.text
    assert message in text(response)
    assert db_rows(settings.data_path) == before


async def test_a_ballot_without_a_place_in_the_workshop_is_refused(open_round, device):
    _workshop_id, code, round_id, (benches, _lighting) = open_round
    home = await device.get("/")
    response = await device.post(
        f"/w/{code}/ballot",
        data={
            "csrf": csrf_of(home.text),
            "round_id": str(round_id),
            "client_id": "x" * 16,
            f"dots-{benches}": "1",
        },
    )
    assert response.status_code == 404
