"""Two servers on one database and one Redis, as two workers or hosts: a guesser's wrong
passwords and wrong join codes count on both together, so it gets no more tries for there being
two. They need the servers `--engine postgresql` runs with (see tests/engines.py)."""

from __future__ import annotations

import httpx
import pytest

from tests import engines
from tests.helpers import WAIT, Server, add_user, csrf_of
from tests.room import live_room_on
from tests.web.test_guessing import LIMITS

pytestmark = pytest.mark.servers


@pytest.fixture
def two_hosts(tmp_path):
    """Two servers behind a trusted proxy on 127.0.0.1, sharing a database and the Redis."""
    data = engines.database(str(tmp_path / "unused.sqlite3"))
    add_user(data)
    env = {"FACILITATION_TRUSTED_PROXIES": "127.0.0.1"}
    servers = [Server(data, extra_env=env).start(timeout=60) for _ in range(2)]
    yield servers
    for srv in servers:
        srv.stop()


def device_at(address: str) -> httpx.AsyncClient:
    """One device at ``address``, its cookie sent to whichever server it asks."""
    return httpx.AsyncClient(timeout=10 * WAIT, headers={"X-Forwarded-For": address})


async def test_wrong_passwords_on_two_servers_count_together(two_hosts):
    one, two = two_hosts
    statuses, refusals = [], []
    async with device_at("127.0.40.1") as guesser:
        # Each server alone would see six failures at most and let every one be checked.
        for i in range(12):
            server = (one, two)[i % 2]
            guesser.cookies.clear()
            page = await guesser.get(f"{server.url}/login")
            answer = await guesser.post(
                f"{server.url}/login",
                data={"csrf": csrf_of(page.text), "username": "facilitator", "password": f"g{i}"},
            )
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                refusals.append(answer.text)
    assert statuses[:6] == [400] * 6
    assert 429 in statuses[6:]
    assert all("Too many failed sign-ins from here" in text for text in refusals)


async def test_wrong_join_codes_on_two_servers_count_together(two_hosts):
    one, two = two_hosts
    async with live_room_on(one) as room, device_at("127.0.41.1") as stubborn:
        # Half the device's allowance of wrong codes on each server: neither alone would refuse.
        for i in range(LIMITS.device_wrong):
            server = (one, two)[i % 2]
            assert (await stubborn.get(f"{server.url}/w/R{i:07d}")).status_code == 404
        for server in (one, two):
            refused = await stubborn.get(f"{server.url}/w/{room.code}")
            assert refused.status_code == 429
            assert "Too many wrong codes from this device" in refused.text
