"""Connections against a real server: the open-file limit raised and said at start, trickling and
idle connections cut off while health checks still get through on the common 1,024-file limit,
one cookie holding a few sockets however many it opens, an address held to its cap, and none of
it filling the log."""

from __future__ import annotations

import asyncio
import os
import re
import resource
import signal
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from facilitation.settings import Settings
from facilitation.web.connections import RESERVE
from facilitation.web.socket_caps import PER_PARTICIPANT
from tests.helpers import (
    WAIT,
    Phone,
    Server,
    ServerOutput,
    add_user,
    from_address,
    socket_from,
)
from tests.room import live_room_on

SLOW_CLIENTS = 1500
HEADER_TIMEOUT = Settings().header_timeout


def open_files(soft: int, hard: int):
    """Set the server process's open-file limit before it starts, as a shell's ulimit would."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    return limit


def process_open_files(server: Server) -> int:
    limits = Path(f"/proc/{server.proc.pid}/limits").read_text()
    return int(re.search(r"^Max open files\s+(\d+)", limits, re.M)[1])


def phones_connected(server: Server) -> float:
    figures = httpx.get(server.url + "/metrics", timeout=WAIT).text
    return float(re.search(r"^facilitation_phones_connected (\S+)$", figures, re.M)[1])


def unexpected(output: ServerOutput) -> list[str]:
    return [line for line in output.lines if "facilitation.access" not in line]


@pytest.fixture
def watched_server(tmp_path):
    """A real server on the common 1,024 open-file limit (soft and hard, so it cannot raise it)
    whose output is kept."""
    data = str(tmp_path / "watched.sqlite3")
    add_user(data)
    server = Server(data, preexec_fn=open_files(1024, 1024)).start()
    output = ServerOutput(server)
    yield server, output
    output.stop()


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory):
    """A real server behind a trusted proxy that lets one address hold five live sockets."""
    data = str(tmp_path_factory.mktemp("capped") / "live.sqlite3")
    add_user(data)
    env = {"FACILITATION_TRUSTED_PROXIES": "127.0.0.1", "FACILITATION_SOCKETS_PER_ADDRESS": "5"}
    server = Server(data, extra_env=env).start()
    output = ServerOutput(server)
    yield server, output
    output.stop()


def test_the_open_file_limit_is_raised_at_start_and_said(tmp_path):
    data = str(tmp_path / "files.sqlite3")
    add_user(data)
    server = Server(data, preexec_fn=open_files(1024, 4096)).start()
    output = ServerOutput(server)
    try:
        raised = process_open_files(server)
    finally:
        log = output.stop()
    assert raised == 4096
    assert (
        f"Open files: up to 4096 (raised from 1024); connections held at once: up to "
        f"{4096 - RESERVE}" in log
    )


async def slow_client(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A client that starts a request and never finishes its headers."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Waiting: ")
    await writer.drain()
    return reader, writer


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    try:
        return await reader.read() == b""
    except ConnectionError:
        return True


async def test_trickling_connections_are_cut_off_and_health_checks_get_through(watched_server):
    server, output = watched_server
    port = int(server.url.rsplit(":", 1)[1])
    clients = []
    # Paused while the flood connects, the server meets it in one burst, as a slow machine
    # would: more connections wait to be accepted than it has files for.
    os.kill(server.proc.pid, signal.SIGSTOP)
    try:
        for start in range(0, SLOW_CLIENTS, 100):
            clients += await asyncio.gather(*(slow_client(port) for _ in range(start, start + 100)))
    finally:
        os.kill(server.proc.pid, signal.SIGCONT)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=5.0) as monitor:
            health = [(await monitor.get("/healthz")).status_code for _ in range(3)]
            page = await monitor.get("/")
        closed = await asyncio.wait_for(
            asyncio.gather(*(closed_by_server(reader) for reader, _w in clients)),
            HEADER_TIMEOUT + WAIT,
        )
    finally:
        for _reader, writer in clients:
            writer.close()
    assert health == [200, 200, 200]
    assert page.status_code == 200
    assert all(closed)
    lines = unexpected(output)
    assert not any("Traceback" in line or "ERROR" in line for line in lines), lines[-20:]
    assert len(lines) < 20, lines[-20:]
    assert any("connections closed:" in line for line in lines)
    assert any("no open files left" in line for line in lines)


async def test_one_cookie_holds_only_a_few_sockets_however_many_it_opens(live_room):
    phone = await live_room.phone()
    before = phones_connected(live_room.server)
    sockets, closed = [], 0
    try:
        for _ in range(20):
            ws = await websockets.connect(
                f"{live_room.server.ws_url}/w/{live_room.code}/ws",
                additional_headers={
                    "Cookie": phone.cookie_header(),
                    "Origin": live_room.server.url,
                },
                open_timeout=WAIT,
            )
            await asyncio.wait_for(ws.recv(), WAIT)
            sockets.append(ws)
        for ws in sockets[:-PER_PARTICIPANT]:  # the oldest were closed by the server
            try:
                await asyncio.wait_for(ws.recv(), WAIT)
                while True:
                    await asyncio.wait_for(ws.recv(), WAIT)
            except ConnectionClosed as exc:
                closed += exc.rcvd is not None and exc.rcvd.code == 1008
        held = phones_connected(live_room.server) - before
        newest = sockets[-1]
        await newest.send(Phone.ballot_message(live_room.round_id, {live_room.options[0]: 1}))
        still_served = await asyncio.wait_for(newest.recv(), WAIT)
    finally:
        for ws in sockets:
            await ws.close()
    assert closed == 20 - PER_PARTICIPANT
    assert held == PER_PARTICIPANT
    assert 'id="ballot-status"' in still_served


async def test_an_address_past_its_cap_is_refused_and_others_are_not(capped_server):
    server, _output = capped_server
    async with live_room_on(server) as room:
        crowd = []
        for i in range(8):
            phone = Phone(from_address(server, "127.0.50.1"), ws_base=server.ws_url)
            await phone.join(room.code, f"Crowd {i}")
            crowd.append(phone)
        elsewhere = Phone(from_address(server, "127.0.50.2"), ws_base=server.ws_url)
        await elsewhere.join(room.code, "Elsewhere")
        opened, refused = [], []
        async with AsyncExitStack() as held:
            for phone in crowd:
                try:
                    door = socket_from(server, f"/w/{room.code}/ws", phone.client)
                    opened.append(await held.enter_async_context(door))
                except InvalidStatus as exc:
                    refused.append(exc.response.status_code)
            async with socket_from(server, f"/w/{room.code}/ws", elsewhere.client) as ws:
                first = await asyncio.wait_for(ws.recv(), WAIT)
            for phone in [*crowd, elsewhere]:
                held.push_async_callback(phone.client.aclose)
    assert len(opened) == 5
    assert refused == [403, 403, 403]
    assert first.startswith(f'<section id="stage-{room.workshop_id}"')


async def test_a_flood_of_refused_sockets_writes_a_few_lines(capped_server):
    server, output = capped_server
    async with live_room_on(server) as room:
        phones = []
        for i in range(5):
            phone = Phone(from_address(server, "127.0.51.1"), ws_base=server.ws_url)
            await phone.join(room.code, f"Held {i}")
            phones.append(phone)
        async with AsyncExitStack() as held:
            for phone in phones:
                held.push_async_callback(phone.client.aclose)
                await held.enter_async_context(
                    socket_from(server, f"/w/{room.code}/ws", phone.client)
                )
            since = len(output.lines)
            for _ in range(300):
                with pytest.raises(InvalidStatus):
                    async with socket_from(server, f"/w/{room.code}/ws", phones[0].client):
                        pass
        async with httpx.AsyncClient(base_url=server.url) as c:
            await c.get("/healthz")
    lines = output.lines[since:]
    refusals = [line for line in lines if "refused a live socket" in line]
    access = [line for line in lines if "facilitation.access" in line and "/ws" in line]
    assert 1 <= len(refusals) <= 6
    assert len(access) <= 300  # one short line per refusal at most, never a traceback
    assert not any("Traceback" in line for line in lines)
