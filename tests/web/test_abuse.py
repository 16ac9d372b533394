"""Hostile clients are refused without hurting the room: facilitator commands from a phone, floods,
forged and replayed cookies, guessed join codes and guessed passwords."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from facilitation.web.live import FLOOD_LIMIT
from facilitation.workshop.guessing import Limits
from tests import engines
from tests.conftest import new_client
from tests.engines import raw
from tests.helpers import (
    PASSWORD,
    WAIT,
    Phone,
    Server,
    add_user,
    browser_socket,
    csrf_of,
    data_option,
    quick_hash,
    receive_until,
    status_of,
)


def ballot_rows(data_path: str, round_id: int) -> list[tuple]:
    with raw(data_path) as db:
        return db.execute(
            "SELECT participant_id, payload FROM ballots WHERE round_id = ?", (round_id,)
        ).fetchall()


def round_state(data_path: str, round_id: int) -> tuple:
    with raw(data_path) as db:
        return db.execute(
            "SELECT status, revealed FROM rounds WHERE id = ?", (round_id,)
        ).fetchone()


# -- a phone is only a phone -----------------------------------------------------------------------


@pytest.mark.parametrize("action", ["open", "close", "reveal", "hide", "delete", "edit"])
async def test_a_phone_cannot_send_facilitator_commands(live_room, action):
    await live_room.act("open")
    before = round_state(live_room.server.data_path, live_room.round_id)
    phone = await live_room.phone()
    async with phone.socket() as ws:
        await asyncio.wait_for(ws.recv(), WAIT)
        await ws.send(json.dumps({"action": action, "round_id": str(live_room.round_id)}))
        reply, _seen = await receive_until(ws, lambda m: 'id="ballot-status"' in m)
    assert status_of(reply) == "error"
    assert "could not be understood" in reply
    assert round_state(live_room.server.data_path, live_room.round_id) == before


# -- floods -------------------------------------------------------------------------------------


async def test_a_flooding_phone_is_throttled_then_cut_off_and_others_are_unaffected(live_room):
    a, b, _c = live_room.options
    await live_room.act("open")
    flooder, honest = await live_room.phone("Flood"), await live_room.phone("Honest")
    async with flooder.socket() as bad, honest.socket() as good:
        await asyncio.wait_for(bad.recv(), WAIT)
        await asyncio.wait_for(good.recv(), WAIT)
        started = time.monotonic()
        closed_with = None
        try:
            for i in range(1000):
                await bad.send(Phone.ballot_message(live_room.round_id, {a: 1 + i % 3, b: 1}))
        except ConnectionClosed as exc:
            closed_with = exc.rcvd.code if exc.rcvd else None
        # The honest phone, voting in the middle of the flood, is answered promptly.
        sent = time.monotonic()
        await good.send(Phone.ballot_message(live_room.round_id, {b: 2}))
        reply, _ = await receive_until(good, lambda m: 'id="ballot-status"' in m)
        answered_in = time.monotonic() - sent
        assert status_of(reply) == "saved"
        # Everything the flooder heard back, up to the moment it was cut off.
        replies = 0
        try:
            while True:
                await asyncio.wait_for(bad.recv(), WAIT)
                replies += 1
        except ConnectionClosed as exc:
            closed_with = closed_with or (exc.rcvd.code if exc.rcvd else None)
    assert closed_with == 1008
    assert time.monotonic() - started < WAIT
    assert answered_in < 2.0
    rows = ballot_rows(live_room.server.data_path, live_room.round_id)
    assert len(rows) == 2  # one row for each phone, however many messages the flood sent
    with raw(live_room.server.data_path) as db:
        stored = db.execute(
            "SELECT COUNT(*) FROM submissions s JOIN participants p ON p.id = s.participant_id"
            " WHERE p.display_name = 'Flood'"
        ).fetchone()[0]
    assert stored <= 10  # the burst allowance, not the flood
    assert FLOOD_LIMIT < 1000
    # Dropped messages are not each answered: a "too fast" note at most once a second.
    assert replies < 40


# -- cookies --------------------------------------------------------------------------------------


async def test_a_forged_cookie_is_refused_on_every_door(live_room):
    forged = "facilitation=eyJ1aWQiOiAxLCAic2lkIjogIngifQ==.Zm9yZ2Vk.c2lnbmF0dXJl"
    headers = {"Cookie": forged, "Origin": live_room.server.url}
    for path in (f"/w/{live_room.code}/ws", f"/f/workshops/{live_room.workshop_id}/board/ws"):
        with pytest.raises(InvalidStatus) as caught:
            async with websockets.connect(
                live_room.server.ws_url + path, additional_headers=headers
            ):
                pass
        assert caught.value.response.status_code == 403
    async with httpx.AsyncClient(base_url=live_room.server.url) as anyone:
        page = await anyone.get(f"/f/workshops/{live_room.workshop_id}", headers={"Cookie": forged})
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login")


async def test_a_facilitator_cookie_copied_before_signing_out_stops_working(live_room):
    staff = live_room.facilitator.client
    copied = "; ".join(f"{k}={v}" for k, v in staff.cookies.items())
    console = await staff.get(f"/f/workshops/{live_room.workshop_id}")
    assert console.status_code == 200
    await staff.post("/logout", data={"csrf": csrf_of(console.text)})
    async with httpx.AsyncClient(base_url=live_room.server.url) as thief:
        replay = await thief.get(
            f"/f/workshops/{live_room.workshop_id}", headers={"Cookie": copied}
        )
        assert replay.status_code == 303
        with pytest.raises(InvalidStatus) as caught:
            async with websockets.connect(
                f"{live_room.server.ws_url}/f/workshops/{live_room.workshop_id}/board/ws",
                additional_headers={"Cookie": copied, "Origin": live_room.server.url},
            ):
                pass
        assert caught.value.response.status_code == 403


async def test_a_replayed_participant_cookie_still_counts_as_one_person(live_room):
    a, b, _c = live_room.options
    await live_room.act("open")
    phone = await live_room.phone()
    async with httpx.AsyncClient(base_url=live_room.server.url) as copy:
        copy.cookies.update(phone.client.cookies)
        twin = Phone(copy, ws_base=live_room.server.ws_url)
        twin.code = live_room.code
        async with phone.socket() as ws, twin.socket() as ws2:
            await asyncio.wait_for(ws.recv(), WAIT)
            await asyncio.wait_for(ws2.recv(), WAIT)
            await ws.send(Phone.ballot_message(live_room.round_id, {a: 3}))
            await receive_until(ws, lambda m: 'data-state="saved"' in m)
            await ws2.send(Phone.ballot_message(live_room.round_id, {b: 3}))
            await receive_until(ws2, lambda m: 'data-state="saved"' in m)
    rows = ballot_rows(live_room.server.data_path, live_room.round_id)
    assert len(rows) == 1
    assert json.loads(rows[0][1]) == {"dots": {str(b): 3}}


async def test_the_board_socket_refuses_a_phone_cookie(live_room):
    phone = await live_room.phone()
    with pytest.raises(InvalidStatus) as caught:
        async with browser_socket(
            live_room.server.ws_url, f"/f/workshops/{live_room.workshop_id}/board/ws", phone.client
        ):
            pass
    assert caught.value.response.status_code == 403


# -- guessing join codes ------------------------------------------------------------------------


async def guess(device: httpx.AsyncClient, code: str) -> httpx.Response:
    home = await device.get("/")
    return await device.post("/join", data={"csrf": csrf_of(home.text), "code": code})


async def test_a_device_guessing_codes_is_stopped_even_for_the_right_code(app, facilitator):
    _workshop_id, code = await facilitator.create_workshop("Green spaces")
    async with new_client(app) as device:
        for i in range(Limits().device_wrong):
            wrong = await guess(device, f"ZZZZ{i:04d}")
            assert wrong.status_code == 404
            assert "No workshop has that code" in wrong.text
        blocked = await guess(device, code)
        assert blocked.status_code == 429
        assert "Too many wrong codes from this device" in blocked.text
        page = await device.get(f"/w/{code}")
        assert page.status_code == 429
    async with new_client(app) as neighbour:  # same Wi-Fi address, another phone
        joined = await guess(neighbour, code)
        assert joined.status_code == 200  # the stage itself
        assert (await neighbour.get(f"/w/{code}")).status_code == 200


async def test_a_room_with_typos_on_one_wifi_can_still_join(app, facilitator):
    _workshop_id, code = await facilitator.create_workshop("Green spaces")
    for i in range(40):  # forty people, each mistyping once, then typing it right
        async with new_client(app) as phone:
            assert (await guess(phone, "ZZZZZZ")).status_code == 404
            assert (await guess(phone, code.lower())).status_code == 200, i


# -- guessing passwords -----------------------------------------------------------------------


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    page = await client.get("/login")
    return await client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "username": username, "password": password},
    )


async def test_a_device_guessing_a_password_is_made_to_wait_and_no_other_account_is(app, client):
    await app.state.store.users.create_user("alex", quick_hash(PASSWORD))
    await app.state.store.users.create_user("sam", quick_hash(PASSWORD))
    for _ in range(7):
        await sign_in(client, "alex", "wrong guess")
    held = await sign_in(client, "alex", PASSWORD)
    assert held.status_code == 429
    assert "Too many failed sign-ins from here. Please wait" in held.text
    async with new_client(app) as colleague:  # another account is not held up
        assert (await sign_in(colleague, "sam", PASSWORD)).status_code == 303


async def test_one_address_guessing_many_accounts_is_slowed(app):
    await app.state.store.users.create_user("alex", quick_hash(PASSWORD))
    async with new_client(app) as guesser:
        statuses = [(await sign_in(guesser, f"user{i}", "guess")).status_code for i in range(30)]
        assert statuses[:20] == [400] * 20
        assert 429 in statuses
        assert (await sign_in(guesser, "alex", PASSWORD)).status_code == 429


async def test_a_successful_sign_in_clears_earlier_mistakes(app, client):
    await app.state.store.users.create_user("alex", quick_hash(PASSWORD))
    for _ in range(4):
        await sign_in(client, "alex", "typo")
    assert (await sign_in(client, "alex", PASSWORD)).status_code == 303
    await client.post("/logout", data={"csrf": csrf_of((await client.get("/f")).text)})
    for _ in range(4):
        await sign_in(client, "alex", "typo")
    assert (await sign_in(client, "alex", PASSWORD)).status_code == 303


async def test_resetting_a_password_signs_the_account_out_everywhere(tmp_path):
    data = engines.database(str(tmp_path / "reset.sqlite3"))
    add_user(data)
    srv = Server(data).start()
    try:
        async with httpx.AsyncClient(base_url=srv.url) as laptop:
            assert (await sign_in(laptop, "facilitator", PASSWORD)).status_code == 303
            assert (await laptop.get("/f")).status_code == 200
            import subprocess
            import sys

            subprocess.run(
                [sys.executable, "-m", "facilitation", "add-user", "facilitator", "--reset",
                 "--password-stdin", *data_option(data)],
                input="another long password\n", text=True, check=True, capture_output=True,
            )  # fmt: skip
            assert (await laptop.get("/f")).status_code == 303
    finally:
        srv.stop()
