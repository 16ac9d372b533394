"""Two hosts behind Debian's nginx with the shipped site config, its upstream listing both, as the
README's "Several hosts behind nginx" sets them up: one database (PostgreSQL) and one Redis.
When a host is killed mid-round, its phones are back through nginx on the other within ten
seconds, nothing acknowledged is lost, and the room goes on voting.

It needs the servers `--engine postgresql` runs with (see tests/engines.py)."""

from __future__ import annotations

import asyncio
import re
import signal
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from tests import engines
from tests.engines import raw
from tests.helpers import Phone, Server, add_user
from tests.test_proxy import (
    NGINX,
    WAIT,
    Stack,
    certificate,
    main_config,
    open_round,
    other_port,
    receive_until,
    site_config,
    wait_until_served,
)

pytestmark = pytest.mark.servers

PHONES = 6
BACK_WITHIN = 10.0  # seconds from a host's death to its phones being live on the other


def phones_connected(host: Server) -> int:
    """The host's own count of open phone sockets, from its /metrics (asked from loopback)."""
    text = httpx.get(host.url + "/metrics", timeout=WAIT).text
    return int(float(re.search(r"^facilitation_phones_connected (\S+)$", text, re.M)[1]))


@pytest.fixture
def hosts_behind_nginx(tmp_path: Path):
    """nginx in front of two servers on one database and one Redis, each trusting nginx."""
    data = engines.database(str(tmp_path / "unused.sqlite3"))
    add_user(data)
    trust = {"FACILITATION_TRUSTED_PROXIES": "127.0.0.1"}
    first = Server(data, public_url="", extra_env=trust).start(timeout=60)
    second = Server(data, public_url="", extra_env=trust).start(timeout=60)
    cert, key = certificate(tmp_path)
    https_port = other_port(first.port, second.port)
    http_port = other_port(first.port, second.port, https_port)
    text = site_config(first.port, http_port, https_port, cert, key)
    # The README's upstream block: one line per host.
    one = f"server 127.0.0.1:{first.port};"
    text = text.replace(one, f"{one}\n    server 127.0.0.1:{second.port};")
    site = tmp_path / "facilitation.conf"
    site.write_text(text)
    conf = tmp_path / "nginx.conf"
    conf.write_text(main_config(tmp_path, site))
    nginx = subprocess.Popen(
        [NGINX, "-p", f"{tmp_path}/", "-c", str(conf), "-e", str(tmp_path / "error.log"),
         "-g", "daemon off;"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    stack = Stack(
        first, nginx, https_port, http_port, ssl.create_default_context(cafile=cert), tmp_path
    )
    try:
        wait_until_served(stack)
        yield stack, [first, second]
    finally:
        stack.stop()
        second.stop()


async def alive(ws) -> bool:
    """Whether a socket still answers a ping (through nginx, from the host behind it)."""
    try:
        await asyncio.wait_for(await ws.ping(), 5)
    except (ConnectionClosed, TimeoutError):
        return False
    return True


async def reconnect(stack: Stack, path: str, client: httpx.AsyncClient, deadline: float):
    """As phone.js does: try again every half second until a host takes the socket."""
    while True:
        try:
            return await stack.socket(path, client)
        except (OSError, websockets.InvalidHandshake, TimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def test_a_killed_host_loses_nothing_and_its_phones_come_back_through_nginx(
    hosts_behind_nginx,
):
    stack, servers = hosts_behind_nginx
    async with stack.client() as staff:
        _f, workshop_id, code, option, round_id = await open_round(staff)
        devices = [stack.client() for _ in range(PHONES)]
        sockets, acked = [], []
        for i, device in enumerate(devices):
            assert (await Phone(device).join(code, f"P{i}")).status_code == 200
            ws = await stack.socket(f"/w/{code}/ws", device)
            await asyncio.wait_for(ws.recv(), WAIT)
            await ws.send(
                Phone.ballot_message(round_id, {option: 1}, client_id=f"first-ballot-{i}")
            )
            assert 'data-state="saved"' in await receive_until(ws, 'id="ballot-status"')
            sockets.append(ws)
            acked.append(f"first-ballot-{i}")
        counts = [phones_connected(s) for s in servers]
        assert sum(counts) == PHONES
        victim = servers[0] if counts[0] >= counts[1] else servers[1]
        survivor = servers[1] if victim is servers[0] else servers[0]
        on_victim = max(counts)

        killed_at = time.monotonic()
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait(WAIT)
        deadline = killed_at + BACK_WITHIN
        lost = [i for i, ws in enumerate(sockets) if not await alive(ws)]
        assert len(lost) == on_victim
        for i in lost:
            sockets[i] = await reconnect(stack, f"/w/{code}/ws", devices[i], deadline)
            first = await asyncio.wait_for(sockets[i].recv(), WAIT)
            assert 'data-status="open"' in first
        assert time.monotonic() - killed_at < BACK_WITHIN
        assert phones_connected(survivor) == PHONES

        # The room goes on: every phone changes its ballot through the surviving host, and a
        # board opened now shows all of them.
        async with stack.socket(f"/f/workshops/{workshop_id}/board/ws", staff) as board:
            for i, ws in enumerate(sockets):
                await ws.send(
                    Phone.ballot_message(round_id, {option: 2}, client_id=f"then-ballot-{i}")
                )
                assert 'data-state="saved"' in await receive_until(ws, 'id="ballot-status"')
                acked.append(f"then-ballot-{i}")
            assert f'data-ballots="{PHONES}"' in await receive_until(
                board, f'data-ballots="{PHONES}"'
            )
        for ws in sockets:
            await ws.close()
        for device in devices:
            await device.aclose()

    with raw(survivor.data_path) as db:
        stored = {r[0] for r in db.execute("SELECT client_id FROM submissions")}
    assert set(acked) <= stored
