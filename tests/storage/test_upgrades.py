"""Moving between releases: a database a newer release has upgraded is refused with a message
naming the migration this release does not know; a database at an older level is backed up before
it is upgraded; and /healthz says whether the database can be read and written at this release's
level."""

from __future__ import annotations

import logging
import resource
import sqlite3
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from facilitation import create_app
from facilitation.settings import Settings
from facilitation.storage.copies import DatabaseRefused
from facilitation.storage.migrations import MIGRATIONS
from tests.helpers import (
    Facilitator,
    Server,
    ServerOutput,
    add_user,
    db_query,
    db_rows,
    free_port,
    read_only,
    run,
)
from tests.storage.test_migration_kinds import OLD_MIGRATIONS, build_old_database, table_rows

# About the SQLite file itself (copies, upgrades of old files): PostgreSQL has its own tools.
pytestmark = pytest.mark.sqlite_only

FUTURE = "0010_from_the_future"
LEVEL = MIGRATIONS[-1][0]
WAIT = 15.0


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def record_future_migration(data_path: str) -> None:
    """What a newer release leaves in the database: a migration this one has never heard of."""
    with closing(sqlite3.connect(data_path)) as db:
        db.execute("INSERT INTO migrations VALUES (?, 0)", (FUTURE,))
        db.commit()


@pytest.fixture
def newer(tmp_path) -> Path:
    data = tmp_path / "site.sqlite3"
    add_user(str(data))
    record_future_migration(str(data))
    return data


# -- a database from a newer release --------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ("serve", "--port", str(free_port())),
        ("get", "/healthz"),
        ("add-user", "ann", "--password-stdin"),
    ],
    ids=["serve", "get", "add-user"],
)
def test_the_command_line_refuses_a_database_a_newer_release_has_upgraded(newer, tmp_path, command):
    rows = db_rows(str(newer))
    result = run(*command, "--data", str(newer), cwd=tmp_path, stdin="a long password\n")
    assert result.returncode == 2
    assert f"Refusing to open {newer}" in result.stderr
    assert f"It records migration {FUTURE}, which this release" in result.stderr
    assert "install the newer release again" in result.stderr
    assert f"facilitation restore BACKUP --data {newer}" in result.stderr
    assert "Traceback" not in result.stderr
    assert db_rows(str(newer)) == rows
    assert files_in(tmp_path) == ["site.sqlite3"]


async def test_the_app_refuses_to_start_on_a_database_a_newer_release_has_upgraded(newer):
    rows = db_rows(str(newer))
    app = create_app(Settings(data_path=str(newer)))
    with pytest.raises(DatabaseRefused, match=f"It records migration {FUTURE}, which"):
        async with app.router.lifespan_context(app):
            pass
    assert db_rows(str(newer)) == rows
    assert files_in(newer.parent) == ["site.sqlite3"]


def test_the_refusal_names_the_copy_taken_before_the_upgrade_and_restoring_it_works(tmp_path):
    """The newer release left a copy of the data from before its upgrade; the older release
    says which file to restore, and once it is restored the older release serves again."""
    data = tmp_path / "site.sqlite3"
    add_user(str(data))
    before = tmp_path / f"site.pre-{FUTURE}.sqlite3"
    assert run("backup", str(before), "--data", str(data), cwd=tmp_path).returncode == 0
    record_future_migration(str(data))

    refused = run("get", "/healthz", "--data", str(data), cwd=tmp_path)
    assert refused.returncode == 2
    advice = f"facilitation restore {before} --data {data}"
    assert advice in refused.stderr

    restored = run(*advice.split()[1:], cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    served = run("get", "/healthz", "--data", str(data), cwd=tmp_path)
    assert served.returncode == 0, served.stderr
    assert '"status":"ok"' in served.stdout


# -- a database from an older release --------------------------------------------------------------


async def test_opening_a_database_at_an_older_level_backs_it_up_before_the_upgrade(
    tmp_path, caplog
):
    path = tmp_path / "old.sqlite3"
    before = build_old_database(str(path))
    copy = tmp_path / "old.pre-0005_round_kinds.sqlite3"
    app = create_app(Settings(data_path=str(path)))
    with caplog.at_level(logging.WARNING, logger="facilitation.storage"):
        async with app.router.lifespan_context(app):
            assert app.state.store.upgrade_backup == str(copy)
            assert await app.state.store.applied_migrations() == sorted(n for n, _ in MIGRATIONS)
    assert f"Backed up {path} to {copy} before applying migration 0005_round_kinds" in caplog.text
    assert f"facilitation restore {copy} --data {path}" in caplog.text

    with closing(read_only(str(copy))) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        names = [r[0] for r in db.execute("SELECT name FROM migrations ORDER BY name")]
        assert names == [name for name, _ in OLD_MIGRATIONS]
        for table, (columns, rows) in before.items():
            assert table_rows(db, table, columns) == (columns, rows), table

    # Up to date now: opening it again copies nothing.
    app = create_app(Settings(data_path=str(path)))
    async with app.router.lifespan_context(app):
        assert app.state.store.upgrade_backup is None
    assert files_in(tmp_path) == ["old.pre-0005_round_kinds.sqlite3", "old.sqlite3"]


def test_undoing_an_upgrade_and_upgrading_again_keeps_both_copies(tmp_path):
    path = tmp_path / "old.sqlite3"
    build_old_database(str(path))
    copy = tmp_path / "old.pre-0005_round_kinds.sqlite3"
    assert run("get", "/healthz", "--data", str(path), cwd=tmp_path).returncode == 0
    kept = copy.read_bytes()

    undone = run("restore", str(copy), "--data", str(path), cwd=tmp_path)
    assert undone.returncode == 0, undone.stderr
    assert f"4 of this release's {len(MIGRATIONS)} migrations" in undone.stdout
    assert "The server will upgrade it when it starts" in undone.stdout
    assert db_query(str(path), "SELECT COUNT(*) FROM migrations") == [(4,)]

    assert run("get", "/healthz", "--data", str(path), cwd=tmp_path).returncode == 0
    copies = sorted(p.name for p in tmp_path.glob("old.pre-0005_round_kinds*.sqlite3"))
    assert len(copies) == 2 and copies[0] != copies[1]
    assert copy.read_bytes() == kept


async def test_a_new_database_is_not_backed_up(settings):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert app.state.store.upgrade_backup is None
    assert files_in(Path(settings.data_path).parent) == ["test.sqlite3"]


# -- /healthz --------------------------------------------------------------------------------------


async def test_healthz_answers_ok_with_the_migration_level(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "migration": LEVEL}
    assert response.headers["cache-control"] == "no-store"


async def test_healthz_answers_503_while_another_program_holds_the_write_lock(client, settings):
    with closing(sqlite3.connect(settings.data_path, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        response = await client.get("/healthz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unavailable"
        assert "another program is holding the database's write lock" in body["reason"]
        other.execute("ROLLBACK")
    assert (await client.get("/healthz")).status_code == 200


async def test_healthz_answers_503_when_a_newer_release_upgrades_the_database_meanwhile(
    client, settings
):
    record_future_migration(settings.data_path)
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert f"records migration {FUTURE}, which this release" in response.json()["reason"]


def limit_file_size(limit: int):
    """Run in the server's process: no file it writes may grow past ``limit`` bytes, as on a
    full disk (Python ignores the signal the kernel sends, so the write just fails)."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    return apply


async def test_healthz_answers_503_once_a_write_fails_and_200_when_writing_works_again(tmp_path):
    data = tmp_path / "live.sqlite3"
    add_user(str(data))
    server = Server(str(data), preexec_fn=limit_file_size(128 * 1024)).start()
    output = ServerOutput(server)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as staff:
            facilitator = Facilitator(staff)
            assert (await facilitator.login()).status_code == 303
            workshop_id, _code = await facilitator.create_workshop("Green spaces")
            add = f"/f/workshops/{workshop_id}/options"
            failed = 0
            for n in range(200):
                response = await facilitator.post(add, {"title": f"Idea {n}", "description": "x"})
                if response.status_code == 303:
                    continue
                assert response.status_code == 500
                failed += 1
                # Asked on a connection of its own: the server closes the one that got the
                # error. The probe's own write is one page, so it may still fit where the
                # failed write did not: then the next write fills the file.
                response = httpx.get(server.url + "/healthz", timeout=WAIT)
                if response.status_code != 200:
                    break
            assert failed, "the file never reached its limit"
            assert response.status_code == 503
            assert response.json()["reason"].startswith("the database cannot be written: ")

            # Space freed: the limit is lifted from outside, as an operator would clear the disk.
            unlimited = (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
            resource.prlimit(server.proc.pid, resource.RLIMIT_FSIZE, unlimited)
            assert httpx.get(server.url + "/healthz", timeout=WAIT).status_code == 200
            response = await facilitator.post(add, {"title": "After", "description": ""})
            assert response.status_code == 303
    finally:
        output.stop()
