"""What a real server says to odd and hostile input, and what it writes down: a saved ballot is
never reported as lost however fast it is re-sent, and every refusal is a plain answer with at
most one short line in the log, never a dropped socket or a traceback."""

from __future__ import annotations

import asyncio
import json
import re
import uuid

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from facilitation.web.live import FLOOD_LIMIT
from tests.helpers import (
    WAIT,
    Facilitator,
    Phone,
    Server,
    ServerOutput,
    add_user,
    receive_until,
    status_of,
)
from tests.room import live_room_on


@pytest.fixture(scope="module")
def logged_server(tmp_path_factory):
    """One real server for the module whose every printed line is kept."""
    data = str(tmp_path_factory.mktemp("logged") / "live.sqlite3")
    add_user(data)
    server = Server(data).start()
    output = ServerOutput(server)
    yield server, output
    output.stop()


async def log_after(server: Server, output: ServerOutput, since: int) -> list[str]:
    """The lines the server printed after line ``since``, once it has written everything that
    came before a request made now (a marker in its access log)."""
    marker = f"/marker-{uuid.uuid4().hex}"
    async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as c:
        await c.get(marker)

    async def written() -> None:
        while not any(marker in line for line in output.lines[since:]):
            await asyncio.sleep(0.02)

    await asyncio.wait_for(written(), WAIT)
    lines = output.lines[since:]
    return lines[: next(i for i, x in enumerate(lines) if marker in x)]


def unexpected(lines: list[str]) -> list[str]:
    """Log lines other than the access log's one line per request."""
    return [line for line in lines if "facilitation.access" not in line]


def status_line(html: str) -> str:
    return re.search(r'id="ballot-status".*?</p>', html, re.S).group(0)


# -- a saved ballot is never reported as lost ----------------------------------------------------


@pytest.mark.parametrize("via", ["http", "socket"])
async def test_a_saved_ballot_resent_in_a_burst_is_acknowledged_as_saved(logged_server, via):
    server, _output = logged_server
    async with live_room_on(server) as room:
        a, b, _c = room.options
        await room.act("open")
        phone = await room.phone()
        saved = await phone.vote_http(room.round_id, {a: 2}, client_id="kept-then-resent")
        assert status_of(saved.text) == "saved"
        if via == "http":
            refused = [
                (await phone.vote_http(room.round_id, {b: 1 + i % 3})).status_code for i in range(8)
            ]
            again = await phone.vote_http(room.round_id, {a: 2}, client_id="kept-then-resent")
            reply = again.text
            assert again.status_code == 200
        else:
            async with phone.socket() as ws:
                await asyncio.wait_for(ws.recv(), WAIT)
                refused = []
                for i in range(7):  # past the pace for ballots, within the socket's own burst
                    await ws.send(Phone.ballot_message(room.round_id, {b: 1 + i % 3}))
                    answer, _ = await receive_until(ws, lambda m: 'id="ballot-status"' in m)
                    refused.append(429 if "very fast" in answer else 200)
                await ws.send(
                    Phone.ballot_message(room.round_id, {a: 2}, client_id="kept-then-resent")
                )
                reply, _ = await receive_until(ws, lambda m: "kept-then-resent" in m)
    assert 429 in refused  # the burst was past the pace...
    assert status_of(reply) == "saved"  # ...and the saved one is still told it is saved
    assert 'data-client-id="kept-then-resent"' in reply
    assert "not saved" not in status_line(reply)


# -- no unhandled exceptions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "field"), [("dots", "dots-"), ("rating", "rate-"), ("fist", "fist-")]
)
async def test_a_field_name_of_4300_digits_is_refused_in_plain_words(logged_server, kind, field):
    server, output = logged_server
    since = len(output.lines)
    async with live_room_on(server) as room:
        round_id = await room.create_round("Huge", kind=kind)
        await room.act("open", round_id)
        phone = await room.phone()
        huge = {field + "9" * 4300: "1"}
        async with phone.socket() as ws:
            await asyncio.wait_for(ws.recv(), WAIT)
            await ws.send(Phone.form_message(round_id, huge))
            over_socket, _ = await receive_until(ws, lambda m: 'id="ballot-status"' in m)
            await ws.send(Phone.form_message(round_id, {}))  # the socket is still open
            await receive_until(ws, lambda m: 'id="ballot-status"' in m)
        over_http = await phone.send_http(round_id, huge)
    lines = await log_after(server, output, since)
    assert status_of(over_socket) == "error"
    assert "That option is not part of this round" in over_socket
    assert over_http.status_code == 400
    assert "That option is not part of this round" in over_http.text
    assert unexpected(lines) == []


async def test_a_lone_surrogate_in_an_idea_is_refused_in_plain_words(logged_server):
    server, output = logged_server
    since = len(output.lines)
    async with live_room_on(server) as room:
        round_id = await room.create_round("Ideas", [], kind="ideas")
        await room.act("open", round_id)
        phone = await room.phone()
        async with phone.socket() as ws:
            await asyncio.wait_for(ws.recv(), WAIT)
            message = json.loads(Phone.form_message(round_id, {"text": "Benches"}))
            # A JSON escape can carry half a surrogate pair, which no UTF-8 can hold.
            await ws.send(json.dumps(message).replace("Benches", "Bench\\ud800es"))
            refused, _ = await receive_until(ws, lambda m: 'id="ballot-status"' in m)
            await ws.send(Phone.form_message(round_id, {"text": "Benches by the pond"}))
            saved, _ = await receive_until(ws, lambda m: 'data-state="saved"' in m)
    lines = await log_after(server, output, since)
    assert status_of(refused) == "error"
    assert "“Your idea” has characters that could not be read" in refused
    assert "Benches by the pond" in saved
    assert unexpected(lines) == []


async def test_closing_a_flooding_socket_writes_one_short_line(logged_server):
    server, output = logged_server
    since = len(output.lines)
    async with live_room_on(server) as room:
        a, _b, _c = room.options
        await room.act("open")
        phone = await room.phone()
        closed_with = None
        async with phone.socket() as ws:
            await asyncio.wait_for(ws.recv(), WAIT)
            try:
                for _ in range(3 * FLOOD_LIMIT):
                    await ws.send(Phone.ballot_message(room.round_id, {a: 1}))
                for _ in range(10 * FLOOD_LIMIT):  # the replies, until the server hangs up
                    await asyncio.wait_for(ws.recv(), WAIT)
            except ConnectionClosed as exc:
                closed_with = exc.rcvd.code if exc.rcvd else None
    lines = await log_after(server, output, since)
    assert closed_with == 1008
    assert [line.split(": ", 1)[1].strip() for line in unexpected(lines)] == [
        f"closed a phone socket from 127.0.0.1: {FLOOD_LIMIT + 1} messages came too fast"
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/f/workshops/{long}",
        "/f/workshops/{workshop_id}/rounds/{long}",
        "/f/programmes/{programme_id}/actions?need={huge}",
        "/f/programmes/{programme_id}/actions?need=²",
        "/f/programmes/{programme_id}?split={huge}",
        "/f/programmes/{programme_id}/panels/{long}",
    ],
)
async def test_ids_too_long_for_the_database_are_plain_answers(logged_server, path):
    server, output = logged_server
    since = len(output.lines)
    async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as laptop:
        staff = Facilitator(laptop)
        assert (await staff.login()).status_code == 303
        workshop_id, _code = await staff.create_workshop("Long numbers")
        made = await staff.post("/f/programmes", {"title": "Long numbers"})
        programme_id = int(made.headers["location"].rsplit("/", 1)[1])
        url = path.format(
            long="9" * 30, huge="9" * 5000, workshop_id=workshop_id, programme_id=programme_id
        )
        response = await laptop.get(url)
    lines = await log_after(server, output, since)
    assert response.status_code in (200, 404)
    assert "Something went wrong on our side" not in response.text
    assert unexpected(lines) == []
