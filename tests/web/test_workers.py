"""Several workers on PostgreSQL and Redis: `facilitation serve --workers 2`, and separate servers
standing for several hosts behind one proxy. A phone, a board and a console on different
processes see the same workshop live, a board's updates coalesced as on one process; killing a
worker mid-round loses no acknowledged ballot, and its phones are back on a worker within ten
seconds.

They need the servers `--engine postgresql` runs with (see tests/engines.py)."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid

import httpx
import psutil
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from tests import engines
from tests.engines import raw
from tests.helpers import (
    WAIT,
    Facilitator,
    Phone,
    Server,
    add_user,
    browser_socket,
    receive_until,
    score,
    stage_of,
    status_of,
    vote_back_to_back,
    vote_over,
)
from tests.room import live_room_on

pytestmark = pytest.mark.servers

BACK_WITHIN = 10.0  # seconds from a worker's death to its phones being live on another


@pytest.fixture
def two_workers(tmp_path):
    """`facilitation serve --workers 2` on a fresh PostgreSQL schema and the shared Redis."""
    data = engines.database(str(tmp_path / "unused.sqlite3"))
    add_user(data)
    srv = Server(data, workers=2).start(timeout=90)
    yield srv
    srv.stop()


@pytest.fixture
def hosts(tmp_path):
    """Three separate servers on one database and one Redis, as three hosts behind nginx."""
    data = engines.database(str(tmp_path / "unused.sqlite3"))
    add_user(data)
    servers = [Server(data).start(timeout=60) for _ in range(3)]
    yield servers
    for srv in servers:
        srv.stop()


def worker_of(server: Server, ws) -> int:
    """The pid of the worker process holding a client's websocket."""
    port = ws.local_address[1]
    for child in psutil.Process(server.proc.pid).children(recursive=True):
        try:
            for conn in child.net_connections(kind="tcp"):
                if conn.raddr and conn.raddr.port == port:
                    return child.pid
        except psutil.NoSuchProcess:
            continue
    raise AssertionError(f"no worker holds the connection from port {port}")


async def connect_with_retry(phone: Phone, deadline: float):
    """As phone.js does: try again every half second until a worker takes the socket."""
    while True:
        try:
            return await websockets.connect(
                f"{phone.ws_base}/w/{phone.code}/ws",
                additional_headers={
                    "Cookie": phone.cookie_header(),
                    "Origin": phone.ws_base.replace("ws://", "http://"),
                },
                open_timeout=2,
            )
        except (OSError, websockets.InvalidHandshake, TimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def test_a_killed_worker_loses_no_acknowledged_ballot_and_its_phones_come_back(
    two_workers,
):
    async with live_room_on(two_workers) as room:
        await room.act("open")
        a, b, c = room.options
        phones = [await room.phone(f"P{i}") for i in range(8)]
        sockets = []
        for phone in phones:
            ws = await connect_with_retry(phone, time.monotonic() + WAIT)
            await asyncio.wait_for(ws.recv(), WAIT)
            sockets.append(ws)
        acked: list[str] = []
        for ws in sockets:
            client_id = uuid.uuid4().hex
            await ws.send(Phone.ballot_message(room.round_id, {a: 1, b: 2}, client_id=client_id))
            reply, _ = await receive_until(ws, lambda m: 'id="ballot-status"' in m)
            assert status_of(reply) == "saved"
            acked.append(client_id)

        victim = worker_of(two_workers, sockets[0])
        on_victim = [i for i, ws in enumerate(sockets) if worker_of(two_workers, ws) == victim]
        # Mid-round: the victim's phones send again as it dies; what was acknowledged must stay.
        sends = [
            sockets[i].send(Phone.ballot_message(room.round_id, {c: 3}, client_id=f"late-{i}"))
            for i in on_victim
        ]
        await asyncio.gather(*sends)
        late_acks = await asyncio.gather(
            *(
                receive_until(sockets[i], lambda m: 'id="ballot-status"' in m, timeout=0.2)
                for i in on_victim
            ),
            return_exceptions=True,
        )
        os_kill_started = time.monotonic()
        psutil.Process(victim).send_signal(signal.SIGKILL)
        for i, answer in zip(on_victim, late_acks, strict=True):
            if not isinstance(answer, BaseException) and status_of(answer[0]) == "saved":
                acked.append(f"late-{i}")

        # The victim's phones lose their socket and are back, on a worker, within ten seconds.
        deadline = os_kill_started + BACK_WITHIN
        for i in on_victim:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(receive_until(sockets[i], lambda m: False), BACK_WITHIN)
            sockets[i] = await connect_with_retry(phones[i], deadline)
            first = await asyncio.wait_for(sockets[i].recv(), max(0.1, deadline - time.monotonic()))
            assert stage_of(first) == "open"
        assert time.monotonic() - os_kill_started < BACK_WITHIN

        # Every phone, on whichever worker, hears the round close.
        await room.act("close")
        for ws in sockets:
            closed, _ = await receive_until(ws, lambda m: 'data-status="closed"' in m)
            assert stage_of(closed) == "closed"
        for ws in sockets:
            await ws.close()

    with raw(two_workers.data_path) as db:
        stored = {r[0] for r in db.execute("SELECT client_id FROM submissions")}
    assert set(acked) <= stored
    assert len(acked) >= len(phones)


async def test_a_phone_board_and_console_on_three_hosts_see_one_workshop_live(hosts):
    phone_host, board_host, console_host = hosts
    async with live_room_on(console_host) as room:
        board_device = httpx.AsyncClient(base_url=board_host.url, timeout=WAIT)
        room.devices.append(board_device)
        assert (await Facilitator(board_device).login()).status_code == 303
        a, _b, _c = room.options
        phone = Phone(room.client(), ws_base=phone_host.ws_url)
        phone.client.base_url = phone_host.url
        await phone.join(room.code, "Ann")
        path = f"/f/workshops/{room.workshop_id}"
        async with (
            browser_socket(board_host.ws_url, path + "/board/ws", board_device) as board,
            browser_socket(console_host.ws_url, path + "/ws", room.facilitator.client) as console,
            phone.socket() as ws,
        ):
            await asyncio.wait_for(board.recv(), WAIT)
            await asyncio.wait_for(console.recv(), WAIT)
            await asyncio.wait_for(ws.recv(), WAIT)
            await room.act("open")  # on the console's host
            opened, _ = await receive_until(ws, lambda m: 'data-status="open"' in m)
            assert stage_of(opened) == "open"
            assert status_of(await vote_over(ws, room.round_id, {a: 3})) == "saved"
            shown, _ = await receive_until(board, lambda m: score(m, a) == 3)
            assert score(shown, a) == 3
            await receive_until(console, lambda m: "<dd data-voted>1</dd>" in m)


async def test_a_burst_on_two_hosts_reaches_a_board_on_a_third_coalesced(hosts):
    phone_host, board_host, console_host = hosts
    async with live_room_on(console_host) as room:
        board_device = httpx.AsyncClient(base_url=board_host.url, timeout=WAIT)
        room.devices.append(board_device)
        assert (await Facilitator(board_device).login()).status_code == 303
        a, b, c = room.options
        await room.act("open")
        phones = []
        for i in range(20):  # half the room on one host, half on another
            host = phone_host if i % 2 else console_host
            phone = Phone(room.client(), ws_base=host.ws_url)
            phone.client.base_url = host.url
            await phone.join(room.code, f"P{i}")
            phones.append(phone)
        sequence = [{a: 1}, {a: 1, b: 1}, {a: 2, b: 2, c: 1}]  # each phone's last ballot counts

        def final(m: str) -> bool:
            scores = (score(m, a), score(m, b), score(m, c))
            return 'data-ballots="20"' in m and scores == (40, 40, 20)

        path = f"/f/workshops/{room.workshop_id}/board/ws"
        async with browser_socket(board_host.ws_url, path, board_device) as board:
            await asyncio.wait_for(board.recv(), WAIT)
            started = time.monotonic()
            await asyncio.gather(*(vote_back_to_back(p, room.round_id, sequence) for p in phones))
            _last, pushed = await receive_until(board, final)
            elapsed = time.monotonic() - started
    ballots = len(phones) * len(sequence)
    assert len(pushed) < ballots / 3, f"{len(pushed)} board messages for {ballots} ballots"
    # As on one process: at most one render per push interval (0.1 s), plus one under way.
    assert len(pushed) <= elapsed / 0.1 + 2
