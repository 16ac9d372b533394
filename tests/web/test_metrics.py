"""/metrics: what an operator's Prometheus reads, through a real server and real websockets, and
who may read it."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from facilitation import create_app
from facilitation.settings import Settings
from tests.helpers import WAIT, Phone, browser_socket, receive_until
from tests.room import live_room_on

TOKEN = "a long scrape token for the tests"


def figures(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape by name and labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def scrape(base_url: str) -> dict[tuple[str, tuple], float]:
    async with httpx.AsyncClient(base_url=base_url, timeout=WAIT) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return figures(response.text)


async def eventually(base_url: str, wanted, timeout: float = WAIT) -> dict:
    """Scrape until the figures satisfy ``wanted`` (a socket's end is counted as it unwinds)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        now = await scrape(base_url)
        if wanted(now) or asyncio.get_running_loop().time() > deadline:
            return now
        await asyncio.sleep(0.05)


PHONES = ("facilitation_phones_connected", ())
BOARDS = ("facilitation_screens_connected", (("screen", "board"),))
CONSOLES = ("facilitation_screens_connected", (("screen", "console"),))
BALLOTS = ("facilitation_ballots_acknowledged_total", ())
OPEN = ("facilitation_rounds_open", ())


def latency(part: str, via: str, le: str | None = None) -> tuple[str, tuple]:
    labels = {"via": via} if le is None else {"le": le, "via": via}
    return (f"facilitation_ack_latency_seconds_{part}", tuple(sorted(labels.items())))


async def test_ballots_over_the_socket_and_http_move_the_counter_and_the_latency(server):
    async with live_room_on(server) as room:
        a, b, _c = room.options
        await room.act("open")
        before = await scrape(server.url)
        by_socket, by_http = await room.phone(), await room.phone()
        async with by_socket.socket() as ws:
            await asyncio.wait_for(ws.recv(), WAIT)
            for dots in ({a: 3}, {b: 2}):
                await ws.send(Phone.ballot_message(room.round_id, dots))
                await receive_until(ws, lambda m: 'data-state="saved"' in m)
        assert (await by_http.vote_http(room.round_id, {a: 1})).status_code == 200
        after = await scrape(server.url)

    assert before[BALLOTS] == 0
    assert after[BALLOTS] == 3
    assert after[latency("count", "socket")] == 2
    assert after[latency("count", "http")] == 1
    # Every ack on loopback comes well inside the top bucket, and took some time.
    assert after[latency("bucket", "socket", "2.0")] == 2
    assert after[latency("bucket", "http", "2.0")] == 1
    assert 0 < after[latency("sum", "socket")] < 4


async def test_a_refused_ballot_is_not_counted(server):
    async with live_room_on(server) as room:
        await room.act("open")
        phone = await room.phone()
        async with phone.socket() as ws:
            await asyncio.wait_for(ws.recv(), WAIT)
            await ws.send(Phone.ballot_message(room.round_id, {room.options[0]: 9}))
            await receive_until(ws, lambda m: 'data-state="error"' in m)
        after = await scrape(server.url)
    assert after[BALLOTS] == 0
    assert after[latency("count", "socket")] == 0


async def test_connected_phones_and_screens_are_gauges(server):
    async with live_room_on(server) as room:
        phone = await room.phone()
        staff = room.facilitator.client
        console = f"/f/workshops/{room.workshop_id}/ws"
        async with (
            phone.socket() as ws,
            room.board_socket() as board,
            browser_socket(server.ws_url, console, staff) as strip,
        ):
            for sock in (ws, board, strip):
                await asyncio.wait_for(sock.recv(), WAIT)
            during = await scrape(server.url)
        after = await eventually(server.url, lambda f: f[PHONES] == f[BOARDS] == f[CONSOLES] == 0)
    assert (during[PHONES], during[BOARDS], during[CONSOLES]) == (1, 1, 1)
    assert (after[PHONES], after[BOARDS], after[CONSOLES]) == (0, 0, 0)


async def test_open_rounds_are_read_at_scrape_time(server):
    async with live_room_on(server) as room:
        draft = await scrape(server.url)
        await room.act("open")
        opened = await scrape(server.url)
        await room.act("close")
        closed = await scrape(server.url)
    assert (draft[OPEN], opened[OPEN], closed[OPEN]) == (0, 1, 0)


async def test_process_figures_are_there(server):
    scraped = await scrape(server.url)
    names = {name for name, _labels in scraped}
    assert scraped[("process_resident_memory_bytes", ())] > 0
    assert scraped[("process_open_fds", ())] > 0
    assert {"python_info", "python_gc_collections_total"} <= names


# -- slow clients, per app ------------------------------------------------------------------------


@pytest.fixture
async def two_apps(tmp_path):
    """Two apps in one process, each with a one-message queue per screen."""
    apps = [
        create_app(Settings(data_path=str(tmp_path / f"{name}.sqlite3"), client_queue=1))
        for name in ("first", "second")
    ]
    first, second = apps
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        yield apps


async def local_scrape(app) -> dict[tuple[str, tuple], float]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    return figures(response.text)


async def test_a_dropped_slow_client_is_counted_by_its_own_app_only(two_apps):
    first, second = two_apps
    async with first.state.hub.subscribe(("board", 1)) as frozen:
        for n in range(3):  # nobody reads: the second message overflows the queue
            first.state.hub.publish(("board", 1), f"render {n}")
        assert frozen.overflowed
    dropped = ("facilitation_slow_clients_dropped_total", ())
    assert (await local_scrape(first))[dropped] == 1
    assert (await local_scrape(second))[dropped] == 0


# -- who may read it ------------------------------------------------------------------------------


@pytest.fixture
async def guarded(tmp_path):
    app = create_app(Settings(data_path=str(tmp_path / "m.sqlite3"), metrics_token=TOKEN))
    async with app.router.lifespan_context(app):
        yield app


async def fetch(app, client: tuple[str, int], headers: dict | None = None) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        return await c.get("/metrics", headers=headers or {})


async def fetch_both(app, client, headers) -> tuple[httpx.Response, httpx.Response]:
    """/metrics and a page that does not exist, from one browser (so one CSRF token)."""
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        return await c.get("/metrics", headers=headers), await c.get("/no-such-page")


REMOTE = ("203.0.113.7", 50123)


@pytest.mark.parametrize(
    ("client", "headers"),
    [
        (REMOTE, {}),
        (REMOTE, {"Authorization": "Bearer not the token"}),
        (REMOTE, {"Authorization": TOKEN}),
        (("127.0.0.1", 50123), {"X-Forwarded-For": "203.0.113.7"}),
        (("127.0.0.1", 50123), {"Forwarded": "for=203.0.113.7"}),
    ],
    ids=["no-token", "wrong-token", "not-bearer", "proxied", "proxied-rfc7239"],
)
async def test_metrics_are_not_found_from_elsewhere_without_the_token(guarded, client, headers):
    refused, unknown = await fetch_both(guarded, client, headers)
    assert refused.status_code == 404
    assert "facilitation_" not in refused.text
    # Nothing tells a stranger the page exists. The language menu echoes the path asked for,
    # which tells the caller only what it typed, so the echo is set aside before comparing.
    assert refused.text.replace("/metrics", "/no-such-page") == unknown.text


@pytest.mark.parametrize(
    ("client", "headers"),
    [
        (REMOTE, {"Authorization": f"Bearer {TOKEN}"}),
        (("127.0.0.1", 50123), {}),
        (("::1", 50123), {}),
    ],
    ids=["token", "loopback-v4", "loopback-v6"],
)
async def test_metrics_are_served_to_this_machine_or_with_the_token(guarded, client, headers):
    response = await fetch(guarded, client, headers)
    assert response.status_code == 200
    assert "facilitation_ballots_acknowledged_total 0.0" in response.text


async def test_without_a_token_setting_no_bearer_opens_the_metrics(app):
    response = await fetch(app, REMOTE, {"Authorization": "Bearer "})
    assert response.status_code == 404
