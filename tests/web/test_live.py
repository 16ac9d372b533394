"""Real websockets against a real server: the phone's stage and acks, the board's pushes, limits,
and that an acknowledged ballot survives the server being killed."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import time

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.helpers import (
    WAIT,
    Facilitator,
    Phone,
    Server,
    browser_socket,
    receive_until,
    score,
    stage_of,
    status_of,
    vote_back_to_back,
    vote_over,
)
from tests.room import Room, live_room_on

# -- the phone -------------------------------------------------------------------------------------


async def test_the_first_message_is_the_full_current_stage(live_room):
    phone = await live_room.phone("Ann")
    async with phone.socket() as ws:
        first = await asyncio.wait_for(ws.recv(), WAIT)
    assert first.startswith(f'<section id="stage-{live_room.workshop_id}"')
    assert stage_of(first) == "waiting"
    assert "Welcome, Ann" in first


async def test_a_reconnecting_phone_gets_its_saved_ballot_first(live_room):
    a, b, _c = live_room.options
    await live_room.act("open")
    phone = await live_room.phone()
    async with phone.connected() as ws:
        assert status_of(await vote_over(ws, live_room.round_id, {a: 2, b: 3})) == "saved"
    async with phone.socket() as ws:
        first = await asyncio.wait_for(ws.recv(), WAIT)
    assert stage_of(first) == "open"
    assert f'name="dots-{a}" value="2"' in first
    assert f'name="dots-{b}" value="3"' in first


async def test_a_ballot_is_acknowledged_after_it_is_stored(live_room):
    a, b, _c = live_room.options
    await live_room.act("open")
    phone = await live_room.phone()
    async with phone.connected() as ws:
        await ws.send(
            Phone.ballot_message(live_room.round_id, {a: 3, b: 2}, client_id="phone-ack-0001")
        )
        ack = await asyncio.wait_for(ws.recv(), WAIT)
        # Read straight after the ack, while the socket is still open: it is already stored.
        results = await live_room.export("results.csv")
    assert ack.startswith('<p id="ballot-status"')
    assert status_of(ack) == "saved"
    assert 'data-client-id="phone-ack-0001"' in ack
    assert 'hx-swap-oob="true"' in ack
    assert f"{live_room.round_id},Priorities,dots,1,no,{a},Benches,3,1,1" in results
    assert f"{live_room.round_id},Priorities,dots,2,no,{b},Lighting,2,1,1" in results


async def test_the_same_ballot_sent_twice_over_the_socket_counts_once(live_room):
    a, b, _c = live_room.options
    await live_room.act("open")
    phone = await live_room.phone()
    async with phone.connected() as ws:
        for dots in ({a: 3}, {b: 3}):
            await ws.send(
                Phone.ballot_message(live_room.round_id, dots, client_id="resent-form-01")
            )
            ack = await asyncio.wait_for(ws.recv(), WAIT)
            assert status_of(ack) == "saved"
    ballots = await live_room.export("ballots.csv")
    assert len(ballots.strip().splitlines()) == 2  # the header and Benches' three dots
    assert f",{a},Benches,3," in ballots


BAD_MESSAGES = {
    "not-json": lambda room: "{this is not json",
    "json-list": lambda room: json.dumps(["ballot", room.round_id]),
    "json-string": lambda room: json.dumps("ballot"),
    "wrong-action": lambda room: json.dumps(
        {**json.loads(Phone.ballot_message(room.round_id, {room.options[0]: 1})), "action": "drop"}
    ),
    "unknown-round": lambda room: Phone.ballot_message(999999, {room.options[0]: 1}),
    "over-budget": lambda room: Phone.ballot_message(
        room.round_id, {room.options[0]: 3, room.options[1]: 3}
    ),
    "over-cap": lambda room: Phone.ballot_message(room.round_id, {room.options[0]: 4}),
    "no-client-id": lambda room: json.dumps(
        {"action": "ballot", "round_id": str(room.round_id), f"dots-{room.options[0]}": "1"}
    ),
}


@pytest.mark.parametrize("kind", list(BAD_MESSAGES))
async def test_a_bad_message_gets_an_error_status_and_changes_nothing(live_room, kind):
    await live_room.act("open")
    phone = await live_room.phone()
    before = await live_room.export("ballots.csv")
    async with phone.connected() as ws:
        await ws.send(BAD_MESSAGES[kind](live_room))
        reply = await asyncio.wait_for(ws.recv(), WAIT)
        assert reply.startswith('<p id="ballot-status"')
        assert status_of(reply) == "error"
        # The connection stays usable: a good ballot afterwards is saved.
        await ws.send(Phone.ballot_message(live_room.round_id, {live_room.options[2]: 1}))
        assert status_of(await asyncio.wait_for(ws.recv(), WAIT)) == "saved"
    after = await live_room.export("ballots.csv")
    assert after.splitlines()[0] == before.strip()
    assert len(after.strip().splitlines()) == 2
    assert f",{live_room.options[2]},Trees,1," in after


async def test_a_ballot_for_a_closed_round_is_refused_with_the_closed_message(live_room):
    a, b, _c = live_room.options
    await live_room.act("open")
    phone = await live_room.phone()
    async with phone.connected() as ws:
        assert status_of(await vote_over(ws, live_room.round_id, {a: 3})) == "saved"
        await live_room.act("close")
        await receive_until(ws, lambda m: "data-stage" in m and stage_of(m) == "closed")
        reply = await vote_over(ws, live_room.round_id, {b: 3})
    assert status_of(reply) == "error"
    assert "This round is closed, so your ballot was not changed." in reply
    results = await live_room.export("results.csv")
    assert f"{live_room.round_id},Priorities,dots,1,no,{a},Benches,3,1,1" in results


async def test_a_message_over_64_kib_closes_the_connection_with_1009(live_room):
    await live_room.act("open")
    phone = await live_room.phone()
    async with phone.connected() as ws:
        await ws.send(json.dumps({"action": "ballot", "padding": "x" * (64 * 1024)}))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), WAIT)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009
    assert (await live_room.export("ballots.csv")).strip().count("\n") == 0


@pytest.mark.parametrize("origin", ["http://evil.example", "null", None])
async def test_a_handshake_from_another_origin_is_refused(live_room, origin):
    phone = await live_room.phone()
    headers = {"Cookie": phone.cookie_header()}
    if origin is not None:
        headers["Origin"] = origin
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(
            f"{live_room.server.ws_url}/w/{live_room.code}/ws",
            additional_headers=headers,
            open_timeout=WAIT,
        ):
            pass
    assert refused.value.response.status_code == 403


async def test_a_phone_that_has_not_joined_is_refused(live_room):
    stranger = Phone(live_room.client(), ws_base=live_room.server.ws_url)
    stranger.code = live_room.code
    await stranger.client.get("/")  # a signed cookie, but no place in the workshop
    with pytest.raises(InvalidStatus) as refused:
        async with stranger.socket():
            pass
    assert refused.value.response.status_code == 403


async def test_a_phone_follows_the_facilitator_without_asking(live_room):
    phone = await live_room.phone()
    async with phone.socket() as ws:
        assert stage_of(await asyncio.wait_for(ws.recv(), WAIT)) == "waiting"
        await live_room.act("open")
        opened, _ = await receive_until(ws, lambda m: "data-stage" in m and stage_of(m) == "open")
        assert 'id="ballot"' in opened
        assert "Benches" in opened
        await live_room.act("close")
        closed, _ = await receive_until(ws, lambda m: "data-stage" in m and stage_of(m) == "closed")
        assert 'id="ballot"' not in closed


async def test_after_a_close_each_phone_is_pushed_its_own_ballot(live_room):
    """The new stage is read once for all the room's phones; each still shows its own ballot."""
    a, b, c = live_room.options
    await live_room.act("open")
    phones = [await live_room.phone(name) for name in ("Ann", "Bo", "Cy")]
    votes = [{a: 2, b: 3}, {c: 1}, None]
    async with (
        phones[0].connected() as ann,
        phones[1].connected() as bo,
        phones[2].connected() as cy,
    ):
        sockets = (ann, bo, cy)
        for ws, dots in zip(sockets, votes, strict=True):
            if dots:
                assert status_of(await vote_over(ws, live_room.round_id, dots)) == "saved"
        await live_room.act("close")
        closed = [
            (await receive_until(ws, lambda m: "data-stage" in m and stage_of(m) == "closed"))[0]
            for ws in sockets
        ]

    def own(html: str) -> list[str]:
        mine = re.search(r'<details class="my-ballot">(.*?)</details>', html, re.S)
        items = re.findall(r"<li>(.*?)</li>", mine.group(1)) if mine else []
        return [re.sub(r"<[^>]+>", "", item) for item in items]

    assert own(closed[0]) == ["Benches: 2 dots", "Lighting: 3 dots"]
    assert own(closed[1]) == ["Trees: 1 dot"]
    assert own(closed[2]) == []
    assert all("data-results" in html for html in closed)


# -- the board and the console ---------------------------------------------------------------------


async def test_the_board_receives_the_new_totals_after_a_vote(live_room):
    a, b, _c = live_room.options
    await live_room.act("open")
    phone = await live_room.phone()
    async with live_room.board_socket() as board, phone.connected() as ws:
        first = await asyncio.wait_for(board.recv(), WAIT)
        assert first.startswith(f'<div id="board-{live_room.workshop_id}"')
        assert 'data-ballots="0"' in first
        assert status_of(await vote_over(ws, live_room.round_id, {a: 3, b: 2})) == "saved"
        updated, _ = await receive_until(board, lambda m: 'data-ballots="1"' in m)
    assert updated.startswith(f'<div id="board-{live_room.workshop_id}"')
    assert score(updated, a) == 3
    assert score(updated, b) == 2
    assert re.search(r"<dd data-voted>1</dd>", updated)


async def test_the_console_strip_counts_a_new_participant(live_room):
    path = f"/f/workshops/{live_room.workshop_id}/ws"
    async with browser_socket(
        live_room.server.ws_url, path, live_room.facilitator.client
    ) as console:
        first = await asyncio.wait_for(console.recv(), WAIT)
        assert first.startswith(f'<section id="console-live-{live_room.workshop_id}"')
        assert "<dd data-joined>0</dd>" in first
        await live_room.phone()
        await receive_until(console, lambda m: "<dd data-joined>1</dd>" in m)


async def test_a_burst_of_ballots_is_coalesced_into_few_board_messages(live_room):
    a, b, c = live_room.options
    await live_room.act("open")
    phones = await asyncio.gather(*(live_room.phone() for _ in range(20)))
    sequence = [{a: 1}, {a: 1, b: 1}, {a: 2, b: 2, c: 1}]  # each phone's last ballot counts

    def final(m: str) -> bool:
        return 'data-ballots="20"' in m and (score(m, a), score(m, b), score(m, c)) == (40, 40, 20)

    async with live_room.board_socket() as board:
        await asyncio.wait_for(board.recv(), WAIT)
        started = time.monotonic()
        await asyncio.gather(*(vote_back_to_back(p, live_room.round_id, sequence) for p in phones))
        last, pushed = await receive_until(board, final)
        elapsed = time.monotonic() - started
    ballots = len(phones) * len(sequence)
    assert last == pushed[-1]
    assert len(pushed) < ballots / 3, f"{len(pushed)} board messages for {ballots} ballots"
    # At most one render per push interval (0.1 s), plus the one already under way.
    assert len(pushed) <= elapsed / 0.1 + 2


# -- durability ------------------------------------------------------------------------------------


async def test_an_acknowledged_ballot_survives_the_server_being_killed(server):
    async with live_room_on(server) as room:
        await vote_then_kill_then_check(room)


async def vote_then_kill_then_check(room: Room) -> None:
    a, b, _c = room.options
    await room.act("open")
    phone = await room.phone()
    async with phone.connected() as ws:
        assert status_of(await vote_over(ws, room.round_id, {a: 1, b: 3})) == "saved"
        room.server.proc.send_signal(signal.SIGKILL)
        room.server.proc.wait(WAIT)
    assert room.server.proc.returncode == -signal.SIGKILL

    again = Server(room.server.data_path).start()
    try:
        async with httpx.AsyncClient(base_url=again.url, timeout=WAIT) as staff:
            facilitator = Facilitator(staff)
            assert (await facilitator.login()).status_code == 303
            base = f"/f/workshops/{room.workshop_id}/export"
            results = (await staff.get(f"{base}/results.csv")).text
            ballots = (await staff.get(f"{base}/ballots.csv")).text
    finally:
        again.stop()
    assert f"{room.round_id},Priorities,dots,1,no,{b},Lighting,3,1,1" in results
    assert f"{room.round_id},Priorities,dots,2,no,{a},Benches,1,1,1" in results
    assert f",{b},Lighting,3," in ballots
