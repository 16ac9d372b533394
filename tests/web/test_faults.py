"""Faults against a real server: killed with SIGKILL while a room votes it loses no acknowledged
ballot and stores none twice; a ballot re-sent after a reconnect counts once and is acknowledged
again; a phone that reconnects is first told the stage with its own saved ballot."""

from __future__ import annotations

import asyncio
import json
import random
import re
import signal
import uuid
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.helpers import (
    Facilitator,
    Phone,
    Server,
    ServerOutput,
    add_user,
    db_query,
    db_rows_read_only,
    stage_of,
)

WAIT = 15.0  # seconds: a bound on every wait, generous for a loaded machine
SEED = 20240611
KILLS = 3
PHONES = 20
# One phone's ballots are spaced out, as a person's are: the server throttles each connection.
PACE = 1.1


async def next_status(ws) -> str:
    """The next ballot status line on a phone's socket (skipping any stage pushes)."""

    async def read() -> str:
        while True:
            message = await ws.recv()
            if 'id="ballot-status"' in message:
                return message

    return await asyncio.wait_for(read(), WAIT)


def state_of(status: str) -> str:
    return re.search(r'data-state="(\w+)"', status).group(1)


def client_id_of(status: str) -> str:
    return re.search(r'data-client-id="([^"]*)"', status).group(1)


def revision_of(status: str) -> int:
    return int(re.search(r'data-revision="(\d+)"', status).group(1))


def shown_dots(stage: str) -> dict[int, int]:
    """The dot counts a stage fragment's ballot shows, without zeros."""
    counts = re.findall(r'name="dots-(\d+)" value="(\d+)"', stage)
    return {int(o): int(n) for o, n in counts if int(n)}


def shown_ranking(stage: str) -> list[int]:
    return [int(o) for o in re.findall(r'<li class="rank-item[^"]*" data-option="(\d+)"', stage)]


@dataclass
class Room:
    server: Server
    facilitator: Facilitator
    workshop_id: int
    code: str
    options: list[int]
    round_id: int
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    async def phone(self, name: str = "") -> Phone:
        client = httpx.AsyncClient(base_url=self.server.url, timeout=WAIT)
        self.clients.append(client)
        phone = Phone(client, ws_base=self.server.ws_url)
        response = await phone.join(self.code, name)
        assert response.status_code == 200 and 'id="stage-' in response.text, response.text
        return phone


@asynccontextmanager
async def room_on(server: Server, kind: str = "dots"):
    """A workshop on the server with three options and one open round (5 dots, at most 3 on one
    option, or a full ranking)."""
    async with AsyncExitStack() as stack:
        staff = await stack.enter_async_context(
            httpx.AsyncClient(base_url=server.url, timeout=WAIT)
        )
        facilitator = Facilitator(staff)
        assert (await facilitator.login()).status_code == 303
        workshop_id, code = await facilitator.create_workshop("Green spaces")
        options = [
            await facilitator.add_option(workshop_id, title)
            for title in ("Benches", "Lighting", "Trees")
        ]
        round_id = await facilitator.create_round(workshop_id, "Priorities", options, kind=kind)
        opened = await facilitator.round_action(workshop_id, round_id, "open")
        assert opened.status_code == 303, opened.text
        made = Room(server, facilitator, workshop_id, code, options, round_id)
        try:
            yield made
        finally:
            for client in made.clients:
                await client.aclose()


def random_dots(rng: random.Random, options: list[int], budget: int = 5, cap: int = 3) -> dict:
    """A valid dot ballot: at least one dot, at most ``budget``, at most ``cap`` on one option."""
    dots: dict[int, int] = {}
    for _ in range(rng.randint(1, budget)):
        option = rng.choice(options)
        if dots.get(option, 0) < cap:
            dots[option] = dots.get(option, 0) + 1
    return dots


# -- SIGKILL while the room votes ------------------------------------------------------------------


@dataclass
class Sent:
    phone: int
    order: int  # position among this phone's ballots, in the order they were sent
    client_id: str
    dots: dict[int, int]


@dataclass
class Ledger:
    """Every ballot sent and every acknowledgement received, across all the kills."""

    sent: dict[str, Sent] = field(default_factory=dict)
    acks: dict[str, int] = field(default_factory=dict)  # client id -> acknowledged revision
    by_phone: dict[int, list[str]] = field(default_factory=dict)

    def send(self, phone: int, dots: dict[int, int]) -> str:
        """Note a ballot about to be sent (before it goes: the server may store it at once)."""
        client_id = uuid.uuid4().hex
        mine = self.by_phone.setdefault(phone, [])
        self.sent[client_id] = Sent(phone, len(mine), client_id, dots)
        mine.append(client_id)
        return client_id


async def keep_voting(
    phone: Phone, index: int, room: Room, ledger: Ledger, rng: random.Random, start: float
) -> str | None:
    """Vote again and again, one ballot at a time, until the server goes away.

    The phones send in waves, one every PACE seconds from ``start``, so that when the kill
    comes the server has a queue of ballots to validate, write and acknowledge. Returns the first
    message the socket received (the stage it was shown on connecting)."""
    loop = asyncio.get_running_loop()
    first = None
    try:
        async with phone.socket() as ws:
            first = await asyncio.wait_for(ws.recv(), WAIT)
            wave = 0
            while True:
                wave = max(wave, int((loop.time() - start) / PACE))  # a late phone skips a wave
                at = start + wave * PACE + rng.uniform(0, 0.02)
                await asyncio.sleep(max(0.0, at - loop.time()))
                wave += 1
                dots = random_dots(rng, room.options)
                client_id = ledger.send(index, dots)
                await ws.send(Phone.ballot_message(room.round_id, dots, client_id=client_id))
                status = await next_status(ws)
                assert state_of(status) == "saved", status  # a valid ballot, at a gentle pace
                assert client_id_of(status) == client_id, status
                ledger.acks[client_id] = revision_of(status)
    except (ConnectionClosed, OSError):
        pass  # the server was killed: whatever was in flight may or may not have been stored
    return first


def check_database(data_path: str, room: Room, ledger: Ledger) -> dict[int, dict[int, int]]:
    """Everything acknowledged is stored exactly once; returns each phone's stored dots."""
    assert db_query(data_path, "PRAGMA integrity_check") == [("ok",)]
    submissions = db_query(
        data_path, "SELECT client_id, participant_id, round_id, revision FROM submissions"
    )
    client_ids = [row[0] for row in submissions]
    assert len(client_ids) == len(set(client_ids)), "a submission was stored twice"
    twice = db_query(
        data_path,
        "SELECT round_id, participant_id FROM ballots GROUP BY round_id, participant_id"
        " HAVING COUNT(*) > 1",
    )
    assert twice == [], "a participant has two ballots in one round"
    stored = {cid: (participant, rnd, rev) for cid, participant, rnd, rev in submissions}
    assert set(stored) <= set(ledger.sent), "a submission nobody sent"

    missing = [cid for cid in ledger.acks if cid not in stored]
    assert not missing, f"{len(missing)} acknowledged ballots were lost, e.g. {missing[0]}"
    for cid, revision in ledger.acks.items():
        assert stored[cid][2] == revision, "stored under another revision than acknowledged"

    ballots = {
        participant: (json.loads(payload), revision)
        for participant, payload, revision in db_query(
            data_path,
            "SELECT participant_id, payload, revision FROM ballots WHERE round_id = ?",
            (room.round_id,),
        )
    }
    holds: dict[int, dict[int, int]] = {}
    for phone, cids in ledger.by_phone.items():
        committed = [cid for cid in cids if cid in stored]
        if not committed:
            continue
        assert len({stored[cid][0] for cid in committed}) == 1, "one phone, two participants"
        participant = stored[committed[0]][0]
        # The phone's stored ballots were committed in the order it sent them ...
        by_revision = sorted(committed, key=lambda cid: stored[cid][2])
        assert by_revision == committed, "a phone's ballots were applied out of order"
        # ... so the ballot held is its last committed one: the last acknowledged, or one sent
        # after it whose acknowledgement the kill cut off.
        latest = committed[-1]
        acked = [cid for cid in cids if cid in ledger.acks]
        if acked:
            assert ledger.sent[latest].order >= ledger.sent[acked[-1]].order
        payload, revision = ballots[participant]
        dots = {int(k): v for k, v in payload["dots"].items()}
        assert dots == ledger.sent[latest].dots
        assert revision == stored[latest][2]
        holds[phone] = dots
    return holds


async def test_acknowledged_ballots_survive_sigkill_exactly_once(tmp_path):
    rng = random.Random(SEED)
    data = str(tmp_path / "killed.sqlite3")
    add_user(data)
    server = Server(data).start()
    output = ServerOutput(server)
    try:
        async with room_on(server) as room:
            phones = [await room.phone() for _ in range(PHONES)]
            ledger = Ledger()
            expected: dict[int, dict[int, int]] = {}
            loop = asyncio.get_running_loop()
            for cycle in range(KILLS):
                start = loop.time() + 0.5  # time for every phone to connect
                voting = [
                    asyncio.create_task(
                        keep_voting(p, i, room, ledger, random.Random(f"{SEED}/{cycle}/{i}"), start)
                    )
                    for i, p in enumerate(phones)
                ]
                # The kill point: a random wave, then a random moment while the server works
                # through that wave's ballots (reading, validating, writing, acknowledging).
                kill_at = start + rng.randint(1, 3) * PACE + rng.uniform(0, 0.08)
                try:
                    await asyncio.sleep(kill_at - loop.time())
                finally:
                    log = output.stop(signal.SIGKILL)
                firsts = await asyncio.wait_for(asyncio.gather(*voting), WAIT)
                assert server.proc.returncode == -signal.SIGKILL
                assert "Traceback" not in log, log[-3000:]
                # Each phone was first shown what the database held when the server (re)started.
                for i, first in enumerate(firsts):
                    assert first is not None and stage_of(first) == "open"
                    assert shown_dots(first) == expected.get(i, {}), (cycle, i)
                expected = check_database(data, room, ledger)
                server = Server(data, port=server.port).start()
                output = ServerOutput(server)

            # After the last restart every phone is shown its stored ballot, first thing.
            for i, phone in enumerate(phones):
                async with phone.socket() as ws:
                    first = await asyncio.wait_for(ws.recv(), WAIT)
                assert stage_of(first) == "open"
                assert shown_dots(first) == expected.get(i, {}), i
    finally:
        log = output.stop()
    assert "Traceback" not in log, log[-3000:]
    assert check_database(data, room, ledger) == expected


# -- re-sending and reconnecting -------------------------------------------------------------------


@pytest.fixture
def watched(tmp_path):
    """A real server whose output is kept, to show that nothing went wrong inside it."""
    data = str(tmp_path / "watched.sqlite3")
    add_user(data)
    server = Server(data).start()
    output = ServerOutput(server)
    yield server, output
    output.stop()


@pytest.mark.parametrize("ack_read", [True, False], ids=["ack-received", "ack-lost"])
async def test_a_ballot_resent_after_a_reconnect_is_stored_once_and_acknowledged_again(
    watched, ack_read
):
    server, output = watched
    async with room_on(server) as room:
        a, b, _c = room.options
        phone = await room.phone()
        message = Phone.ballot_message(room.round_id, {a: 2, b: 1}, client_id="resent-over-new-1")
        first_revision = None
        async with phone.socket() as ws:
            await asyncio.wait_for(ws.recv(), WAIT)
            await ws.send(message)
            if ack_read:
                ack = await next_status(ws)
                assert state_of(ack) == "saved"
                first_revision = revision_of(ack)
        # The phone did not hear back (or the page did not keep it) and sends it again.
        async with phone.socket() as ws:
            first = await asyncio.wait_for(ws.recv(), WAIT)
            assert first.startswith(f'<section id="stage-{room.workshop_id}"')
            before = db_rows_read_only(server.data_path)
            await ws.send(message)
            again = await next_status(ws)
            after = db_rows_read_only(server.data_path)

    assert state_of(again) == "saved"
    assert client_id_of(again) == "resent-over-new-1"
    assert 'hx-swap-oob="true"' in again
    if ack_read:
        assert revision_of(again) == first_revision
        assert after == before, "the second copy changed the database"
    rows = db_query(
        server.data_path,
        "SELECT participant_id, round_id FROM submissions WHERE client_id = ?",
        ("resent-over-new-1",),
    )
    assert len(rows) == 1
    participant, round_id = rows[0]
    ballots = db_query(
        server.data_path,
        "SELECT payload FROM ballots WHERE participant_id = ? AND round_id = ?",
        (participant, round_id),
    )
    assert [json.loads(p) for (p,) in ballots] == [{"dots": {str(a): 2, str(b): 1}}]
    log = output.stop()
    assert "Traceback" not in log, log[-3000:]  # a phone that leaves mid-answer is no error


@pytest.mark.parametrize("kind", ["dots", "rank"])
async def test_a_phone_reconnecting_to_a_restarted_server_first_gets_its_own_ballot(tmp_path, kind):
    data = str(tmp_path / "restart.sqlite3")
    add_user(data)
    server = Server(data).start()
    output = ServerOutput(server)
    try:
        async with room_on(server, kind) as room:
            a, b, c = room.options
            if kind == "dots":
                ballots = [{a: 3, b: 2}, {c: 1}, {b: 1, c: 3}]
            else:
                ballots = [[c, a, b], [b, c, a], [a, b, c]]
            phones = [await room.phone(name) for name in ("Ann", "Bea", "Cy")]
            for phone, ballot in zip(phones, ballots, strict=True):
                async with phone.socket() as ws:
                    await asyncio.wait_for(ws.recv(), WAIT)
                    if kind == "dots":
                        await ws.send(Phone.ballot_message(room.round_id, ballot))
                    else:
                        await ws.send(Phone.ballot_message(room.round_id, ranking=ballot))
                    assert state_of(await next_status(ws)) == "saved"

            output.stop(signal.SIGKILL)
            server = Server(data, port=server.port).start()
            output = ServerOutput(server)

            for phone, ballot, name in zip(phones, ballots, ("Ann", "Bea", "Cy"), strict=True):
                async with phone.socket() as ws:
                    first = await asyncio.wait_for(ws.recv(), WAIT)
                assert first.startswith(f'<section id="stage-{room.workshop_id}"'), first[:80]
                assert stage_of(first) == "open"
                assert f'data-round="{room.round_id}"' in first
                status = re.search(r'<p id="ballot-status".*?</p>', first, re.S).group(0)
                assert state_of(status) == "saved", name
                if kind == "dots":
                    assert shown_dots(first) == ballot, name
                else:
                    assert shown_ranking(first) == ballot, name
    finally:
        log = output.stop()
    assert "Traceback" not in log, log[-3000:]
