"""Backups and restores from the command line: a backup taken while a real server takes ballots
holds exactly what was committed when it began; restore puts it back, keeps what it replaces, and
never lets a stale -wal file or a running server spoil the result."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
import time
import uuid
from contextlib import AsyncExitStack, closing
from pathlib import Path

import httpx
import pytest

from facilitation import create_app
from facilitation.settings import Settings
from facilitation.storage.migrations import MIGRATIONS
from tests.helpers import (
    ROOT,
    Facilitator,
    Phone,
    Server,
    add_user,
    db_query,
    db_rows,
    run,
    stage_of,
)

# About the SQLite file itself (copies, upgrades of old files): PostgreSQL has its own tools.
pytestmark = pytest.mark.sqlite_only

WAIT = 30.0  # seconds: a bound on every wait, generous for a loaded machine
PHONES = 10
# The server takes about one ballot a second from a phone, as a person sends them.
PACE = 1.05


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def cli(*args: str) -> tuple[int, str, str]:
    """Run the command line as a real process without holding up this event loop."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACILITATION_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "facilitation",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


async def test_a_backup_taken_while_the_room_votes_holds_everything_committed_before_it(
    server, tmp_path
):
    """Phones keep voting and the facilitator keeps adding options while `facilitation backup`
    copies the database one page per step. The copy is the state at one commit: everything
    acknowledged before the backup began, nothing torn; the server went on saving ballots during
    the copy; and the restored copy passes its integrity check and is served by the app."""
    backup = tmp_path / "backups" / "during-the-vote.sqlite3"
    backup.parent.mkdir()
    ballots: list[tuple[str, float]] = []  # client id, when acknowledged
    options: list[tuple[str, float]] = []  # title, when acknowledged
    async with AsyncExitStack() as stack:
        staff = await stack.enter_async_context(
            httpx.AsyncClient(base_url=server.url, timeout=WAIT)
        )
        facilitator = Facilitator(staff)
        assert (await facilitator.login()).status_code == 303
        workshop_id, code = await facilitator.create_workshop("Green spaces")
        first = [await facilitator.add_option(workshop_id, t) for t in ("Benches", "Trees")]
        round_id = await facilitator.create_round(workshop_id, "Priorities", first)
        assert (await facilitator.round_action(workshop_id, round_id, "open")).status_code == 303
        phones = []
        for _ in range(PHONES):
            client = await stack.enter_async_context(
                httpx.AsyncClient(base_url=server.url, timeout=WAIT)
            )
            phone = Phone(client)
            assert (await phone.join(code)).status_code == 200  # the stage itself
            phones.append(phone)
        stop = asyncio.Event()

        async def vote(phone: Phone, n: int) -> None:
            while not stop.is_set():
                client_id = uuid.uuid4().hex
                dots = {first[n % 2]: 1 + n % 3, first[(n + 1) % 2]: 1}
                response = await phone.vote_http(round_id, dots, client_id=client_id)
                assert response.status_code == 200, response.text
                ballots.append((client_id, time.monotonic()))
                n += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), PACE)

        async def add_options() -> None:
            for n in range(10_000):
                if stop.is_set():
                    return
                title = f"Idea {n}"
                response = await facilitator.post(
                    f"/f/workshops/{workshop_id}/options", {"title": title}
                )
                assert response.status_code == 303, response.text
                options.append((title, time.monotonic()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), PACE)

        writers = [asyncio.create_task(vote(p, i)) for i, p in enumerate(phones)]
        writers.append(asyncio.create_task(add_options()))
        try:
            deadline = time.monotonic() + WAIT
            while len(ballots) < 2 * PHONES or len(options) < 3:
                assert time.monotonic() < deadline, "the room did not get going"
                assert not any(w.done() for w in writers), [w.exception() for w in writers]
                await asyncio.sleep(0.01)
            began = time.monotonic()
            code_, out, err = await cli(
                "backup", str(backup), "--data", server.data_path,
                "--step-pages", "1", "--pause", "0.05",
            )  # fmt: skip
            ended = time.monotonic()
        finally:
            stop.set()
            await asyncio.gather(*writers)

    assert code_ == 0, err
    assert f"to {backup}" in out and "integrity check: ok" in out
    assert f"migration level {MIGRATIONS[-1][0]}" in out

    copied = {r[0] for r in db_query(str(backup), "SELECT client_id FROM submissions")}
    before = [cid for cid, at in ballots if at < began]
    assert before and set(before) <= copied
    # The server went on acknowledging ballots while the copy was made, and those are not in it.
    during = [cid for cid, at in ballots if began < at < ended and cid not in copied]
    assert len(during) >= PHONES, (len(during), ended - began)

    # One commit's state: a ballot's submission carries the workshop's revision at its commit, so
    # the copy holds exactly the live database's submissions up to the copy's revision.
    [(revision,)] = db_query(str(backup), "SELECT revision FROM workshops")
    live = db_query(
        server.data_path,
        "SELECT client_id FROM submissions WHERE revision <= ? ORDER BY client_id",
        (revision,),
    )
    assert [r[0] for r in live] == sorted(copied)

    restored = tmp_path / "fresh" / "site.sqlite3"
    restored.parent.mkdir()
    code_, out, err = await cli("restore", str(backup), "--data", str(restored))
    assert code_ == 0, err
    assert f"Restored {backup} to {restored}" in out
    assert files_in(restored.parent) == ["site.sqlite3"]
    assert db_query(str(restored), "PRAGMA integrity_check") == [("ok",)]
    stored = {r[0] for r in db_query(str(restored), "SELECT client_id FROM submissions")}
    assert set(before) <= stored

    app = create_app(Settings(data_path=str(restored)))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as staff,
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as device,
        ):
            assert (await staff.get("/healthz")).status_code == 200
            facilitator = Facilitator(staff)
            assert (await facilitator.login()).status_code == 303
            console = (await staff.get(f"/f/workshops/{workshop_id}")).text
            for title in ("Benches", "Trees", *(t for t, at in options if at < began)):
                assert f">{title}<" in console, title
            phone = Phone(device)
            assert (await phone.join(code)).status_code == 200  # the stage itself
            assert stage_of((await device.get(f"/w/{code}")).text) == "open"
            voted = await phone.vote_http(round_id, {first[0]: 2})
            assert voted.status_code == 200, voted.text


def test_a_backup_into_a_folder_gets_a_dated_name_and_never_overwrites(server, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    result = run("backup", str(folder), "--data", server.data_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [made] = files_in(folder)
    assert made.startswith("live-") and made.endswith(".sqlite3")
    assert db_query(str(folder / made), "SELECT username FROM users") == [("facilitator",)]

    kept = (folder / made).read_bytes()
    again = run("backup", str(folder / made), "--data", server.data_path, cwd=tmp_path)
    assert again.returncode == 2
    assert "already exists; a backup never overwrites a file" in again.stderr
    assert (folder / made).read_bytes() == kept
    assert files_in(folder) == [made]


def test_a_backup_of_a_missing_database_creates_nothing(tmp_path):
    result = run("backup", "copy.sqlite3", "--data", "missing.sqlite3", cwd=tmp_path)
    assert result.returncode == 2
    assert "There is no database file at missing.sqlite3." in result.stderr
    assert files_in(tmp_path) == []


def test_restore_refuses_while_the_server_has_the_database_open(server, tmp_path):
    backup = tmp_path / "copy.sqlite3"
    assert run("backup", str(backup), "--data", server.data_path, cwd=tmp_path).returncode == 0
    before = files_in(tmp_path)
    rows = db_query(server.data_path, "SELECT * FROM users")

    result = run("restore", str(backup), "--data", server.data_path, cwd=tmp_path)
    assert result.returncode == 2
    assert "is in use" in result.stderr and "Stop the server, then restore." in result.stderr
    assert files_in(tmp_path) == before
    assert db_query(server.data_path, "SELECT * FROM users") == rows
    assert httpx.get(server.url + "/healthz", timeout=WAIT).status_code == 200


async def test_restore_after_a_crash_sets_the_old_database_aside_whole_and_replays_no_stale_wal(
    server, tmp_path
):
    """A server killed outright leaves its last commits in the -wal file. Restoring a backup
    over it keeps those commits in the set-aside copy, and the stale -wal is not replayed into
    the restored database."""
    data = Path(server.data_path)
    async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as staff:
        facilitator = Facilitator(staff)
        assert (await facilitator.login()).status_code == 303
        await facilitator.create_workshop("Kept in the backup")
        backup = tmp_path / "copy.sqlite3"
        assert (await cli("backup", str(backup), "--data", str(data)))[0] == 0
        await facilitator.create_workshop("Made after the backup")
    server.stop(signal.SIGKILL)
    wal = Path(f"{data}-wal")
    assert wal.stat().st_size > 0

    code, out, err = await cli("restore", str(backup), "--data", str(data))
    assert code == 0, err
    [aside] = [p for p in tmp_path.iterdir() if ".before-restore-" in p.name]
    assert f"kept as {aside}" in out
    assert aside.name.startswith("live.sqlite3.before-restore-")
    assert not wal.exists()
    assert not Path(f"{data}-shm").exists()
    titles = "SELECT title FROM workshops ORDER BY id"
    assert db_query(str(data), titles) == [("Kept in the backup",)]
    assert db_query(str(aside), titles) == [("Kept in the backup",), ("Made after the backup",)]
    assert db_query(str(aside), "PRAGMA integrity_check") == [("ok",)]

    restarted = Server(str(data)).start()
    try:
        async with httpx.AsyncClient(base_url=restarted.url, timeout=WAIT) as staff:
            facilitator = Facilitator(staff)
            assert (await facilitator.login()).status_code == 303
            listing = (await staff.get("/f")).text
            assert "Kept in the backup" in listing and "Made after the backup" not in listing
    finally:
        restarted.stop()


def test_restore_refuses_what_is_not_a_good_backup_and_changes_nothing(tmp_path):
    data = tmp_path / "site.sqlite3"
    add_user(str(data))
    rows = db_rows(str(data))
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database, but long enough to look like one? " * 200)
    newer = tmp_path / "newer.sqlite3"
    assert run("backup", str(newer), "--data", str(data), cwd=tmp_path).returncode == 0
    with closing(sqlite3.connect(newer)) as db:
        db.execute("INSERT INTO migrations VALUES ('0010_from_the_future', 0)")
        db.commit()
    before = files_in(tmp_path)
    cases = {
        "missing.sqlite3": "There is no backup file at missing.sqlite3.",
        "notes.txt": "notes.txt is not a readable SQLite database",
        "newer.sqlite3": "It records migration 0010_from_the_future",
        "site.sqlite3": "is the database itself",
    }
    for backup, message in cases.items():
        result = run("restore", backup, "--data", str(data), cwd=tmp_path)
        assert result.returncode == 2, backup
        assert message in result.stderr, (backup, result.stderr)
        assert files_in(tmp_path) == before
        assert db_rows(str(data)) == rows


def test_restore_over_a_damaged_database_sets_it_aside(tmp_path):
    """The file SQLite can no longer read is the usual reason to restore: it is kept, not lost."""
    data = tmp_path / "site.sqlite3"
    add_user(str(data))
    backup = tmp_path / "copy.sqlite3"
    assert run("backup", str(backup), "--data", str(data), cwd=tmp_path).returncode == 0
    damaged = b"this was a database until the disk failed" * 100
    data.write_bytes(damaged)

    result = run("restore", str(backup), "--data", str(data), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [aside] = [p for p in tmp_path.iterdir() if ".before-restore-" in p.name]
    assert aside.read_bytes() == damaged
    assert db_query(str(data), "SELECT username FROM users") == [("facilitator",)]
