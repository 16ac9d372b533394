"""Upgrading a database made before the newer round kinds: migration 0005 rebuilds the rounds table,
and a workshop's every row must survive it with its references intact."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

import pytest

from facilitation import create_app, kinds
from facilitation.core.errors import BadRequest
from facilitation.core.models import InfoCard, Round, RoundStatus
from facilitation.kinds import ranking as ranking_kind
from facilitation.settings import Settings
from facilitation.storage.db import step_sql
from facilitation.storage.migrations import MIGRATIONS
from facilitation.storage.store import Store
from tests.conftest import new_client
from tests.helpers import Facilitator, quick_hash

# About the SQLite file itself (copies, upgrades of old files): PostgreSQL has its own tools.
pytestmark = pytest.mark.sqlite_only

# The columns of a kind's own settings, which the upgrade to a registry of kinds folds into one.
KIND_COLUMNS = {
    "dots",
    "max_per_option",
    "must_use_all",
    "top_k",
    "budget",
    "budget_rule",
    "categories",
}
# The steps of a database made before the newer round kinds: everything before 0005.
OLD_MIGRATIONS = MIGRATIONS[: [name for name, _sql in MIGRATIONS].index("0005_round_kinds")]
NOW = 1_700_000_000.0


def old_snapshot(round_id: int, kind: str, ballots: int, rows: list[tuple]) -> str:
    """A results snapshot as the app stored it before budget rounds (no funded set)."""
    return json.dumps(
        {
            "round_id": round_id,
            "kind": kind,
            "ballots": ballots,
            "rows": [
                {"option_id": o, "score": s, "place": p, "tied": t, "voters": v, "title": title}
                for o, s, p, t, v, title in rows
            ],
            "schulze": [],
            "methods_disagree": False,
        }
    )


# fmt: off
ROWS = {
    "meta": [("secret", "kept-secret")],
    "users": [(1, "facilitator", quick_hash(), NOW)],
    "sessions": [("old-session", 1, NOW)],
    "programmes": [(1, "Estate plan", "Ash Court", "", "estate-plan", NOW)],
    "workshops": [
        (1, "ABCDEF", "Green spaces", "2024-05-01", "Hall", 9, 2, 1, NOW, 1),
        (2, "GHJKMN", "Play", "", "", 0, None, 1, NOW, None),
    ],
    "options": [
        (1, 1, "Benches", "Wooden", 1, 0, "open", "", ""),
        (2, 1, "Lighting", "", 2, 0, "open", "", ""),
        (3, 1, "Trees", "", 3, 1, "within_limits", "budget", "up to £5,000"),
        (4, 1, "Car park", "", 4, 0, "not_negotiable", "lease", "In the lease"),
    ],
    "rounds": [
        (1, 1, "First", "dots", "closed", 5, 3, 0, None, 0, 1, None, None, NOW, NOW + 60, NOW, 1),
        (2, 1, "Order", "rank", "closed", 5, 3, 0, 2, 1, 1, 120, None, NOW, NOW + 90, NOW, 0),
        (3, 1, "Later", "dots", "draft", 7, 2, 1, None, 1, 0, 300, None, None, None, NOW, 0),
    ],
    "round_options": [
        *((1, option_id, i) for i, option_id in enumerate((1, 2, 4))),
        *((2, option_id, i) for i, option_id in enumerate((1, 2, 3))),
        *((3, option_id, i) for i, option_id in enumerate((1, 2))),
    ],
    "round_cards": [(1, 0, "Money", "There is £5,000."), (1, 1, "Lease", "No parking changes.")],
    "participants": [(1, 1, "token-ann", "Ann", NOW), (2, 1, "token-two", "", NOW)],
    "ballots": [
        (1, 1, '{"dots": {"1": 3, "2": 2}}', NOW, 3),
        (1, 2, '{"dots": {"2": 1}}', NOW, 4),
        (2, 1, '{"ranking": [3, 1, 2]}', NOW, 6),
        (2, 2, '{"ranking": [1, 2, 3]}', NOW, 7),
    ],
    "submissions": [
        (1, "client-0001", 1, 3, NOW),
        (2, "client-0002", 1, 4, NOW),
        (1, "client-0003", 2, 6, NOW),
        (2, "client-0004", 2, 7, NOW),
    ],
    "results": [
        (1, old_snapshot(1, "dots", 2, [(1, 3, 1, True, 1, "Benches"),
                                        (2, 3, 1, True, 2, "Lighting")]), NOW),
        (2, old_snapshot(2, "rank", 2, [(1, 5, 1, False, 1, "Benches"),
                                        (3, 3, 2, True, 1, "Trees"),
                                        (2, 3, 2, True, 0, "Lighting")]), NOW),
    ],
    "needs": [(1, 1, "Seating", "", "prioritised", "", None, "", 1, NOW)],
    "need_options": [(1, 1)],
    "actions": [(1, 1, 1, "Order benches", "staff", "Sam", "2030-01-31", "planned", NOW)],
    "action_notes": [(1, 1, "Quote asked", NOW)],
}
# fmt: on


def build_old_database(path: str) -> dict[str, tuple[list[str], list[tuple]]]:
    """A database as migrations 0001-0004 left it, filled with a workshop's worth of rows;
    returns each table's columns and rows as written."""
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at REAL)")
        for name, sql in OLD_MIGRATIONS:
            db.executescript(step_sql(sql, "sqlite"))
            db.execute("INSERT INTO migrations VALUES (?, ?)", (name, NOW))
        # Workshop 1 names round 2 as current before the round exists; check at the end instead.
        db.execute("PRAGMA defer_foreign_keys = ON")
        for table, rows in ROWS.items():
            marks = ",".join("?" * len(rows[0]))
            db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        db.commit()
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        return {table: table_rows(db, table) for table in ROWS}


def table_rows(db: sqlite3.Connection, table: str, columns: list[str] | None = None):
    columns = columns or [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
    rows = db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid").fetchall()
    return columns, rows


@pytest.fixture
def old_database(tmp_path):
    path = str(tmp_path / "old.sqlite3")
    return path, build_old_database(path)


async def test_the_upgrade_keeps_every_row_and_every_reference(old_database):
    path, before = old_database
    store = await Store(path).open()
    try:
        assert await store.applied_migrations() == [name for name, _sql in MIGRATIONS]
        assert await store.integrity_check() == "ok"
    finally:
        await store.close()
    with closing(sqlite3.connect(path)) as db:
        for table, (columns, rows) in before.items():
            if table == "rounds":
                continue  # below: its kinds' own columns now live in its settings
            if table == "workshops":  # below: a date typed as a date is kept as one
                columns = [c for c in columns if c != "date"]
                rows = [row[:3] + row[4:] for row in rows]
            assert table_rows(db, table, columns) == (columns, rows), table
        assert db.execute("SELECT date, held_on FROM workshops ORDER BY id").fetchall() == [
            ("", "2024-05-01"),
            ("", None),
        ]
        columns, rows = before["rounds"]
        common = [c for c in columns if c not in KIND_COLUMNS]
        assert table_rows(db, "rounds", common) == (
            common,
            [tuple(v for c, v in zip(columns, row, strict=True) if c in common) for row in rows],
        )
        # Each round's own settings, as its kind reads them, from the columns they were in.
        settings = [json.loads(s) for (s,) in db.execute("SELECT settings FROM rounds")]
        assert settings == [
            {"dots": 5, "max_per_option": 3, "must_use_all": False},
            {"top_k": 2},
            {"dots": 7, "max_per_option": 2, "must_use_all": True},
        ]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        indexes = {r[1] for r in db.execute("PRAGMA index_list(rounds)")}
        assert "rounds_workshop" in indexes
        # The new columns start empty: nothing old became a costed option or a paper ballot.
        assert db.execute("SELECT DISTINCT cost FROM options").fetchall() == [(None,)]
        assert db.execute("SELECT DISTINCT paper FROM participants").fetchall() == [(0,)]


async def test_old_rounds_read_back_as_they_were(old_database):
    path, _before = old_database
    store = await Store(path).open()
    try:
        first, order, later = await store.rounds.rounds(1)
        assert (first.kind, first.status, first.option_ids) == (
            "dots",
            RoundStatus.CLOSED,
            (1, 2),
        )
        assert first.info_option_ids == (4,)
        assert first.cards == (
            InfoCard("Money", "There is £5,000."),
            InfoCard("Lease", "No parking changes."),
        )
        assert (order.kind, order.settings["top_k"], order.hidden, order.option_ids) == (
            "rank",
            2,
            True,
            (1, 2, 3),
        )
        assert (
            later.status,
            later.settings["dots"],
            later.settings["max_per_option"],
            later.timer_seconds,
        ) == (
            RoundStatus.DRAFT,
            7,
            2,
            300,
        )
        assert ranking_kind.ranking_of((await store.ballots.ballot(2, 1)).entry) == (3, 1, 2)
        assert (await store.workshops.workshop(1)).current_round_id == 2
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("kind", "settings", "option_ids"),
    [
        ("budget", {"budget": 9000, "rule": "greedy"}, (1, 2)),
        ("ideas", {"categories": ["Green", "Safety"]}, ()),
        ("rating", {}, (1,)),
    ],
)
async def test_the_upgraded_database_takes_the_new_kinds(old_database, kind, settings, option_ids):
    path, _before = old_database
    store = await Store(path).open()
    try:
        new = Round(0, 1, f"A {kind} round", kind, option_ids, RoundStatus.DRAFT, settings=settings)
        saved = await store.rounds.save_round(new)
        again = await store.rounds.round(saved.id)
        assert (again.kind, again.settings, again.option_ids) == (kind, settings, option_ids)
    finally:
        await store.close()


async def test_the_registry_not_the_schema_knows_the_kinds(old_database):
    """A new kind of round needs no migration: the schema takes any kind's name and any valid
    settings, and the round form refuses a kind the registry does not know."""
    path, _before = old_database
    store = await Store(path).open()
    await store.close()
    with closing(sqlite3.connect(path)) as db:
        db.execute(
            "INSERT INTO rounds (workshop_id, title, kind, settings, created_at)"
            " VALUES (1, 'x', 'lot', '{\"draws\": 3}', 0)"
        )
    for kind, settings in (("", "{}"), ("dots", "not json")):
        with closing(sqlite3.connect(path)) as db, pytest.raises(sqlite3.IntegrityError):
            db.execute(
                "INSERT INTO rounds (workshop_id, title, kind, settings, created_at)"
                " VALUES (1, 'x', ?, ?, 0)",
                (kind, settings),
            )
    with pytest.raises(BadRequest):
        kinds.get("lot")


async def test_the_app_shows_results_saved_before_the_upgrade(old_database):
    path, _before = old_database
    app = create_app(Settings(data_path=path))
    async with app.router.lifespan_context(app), new_client(app) as device:
        facilitator = Facilitator(device)
        assert (await facilitator.login()).status_code == 303
        page = await device.get("/f/workshops/1/rounds/1")
        assert page.status_code == 200
        assert "Results, saved when voting closed" in page.text
        tied = '<td>1 <span class="tie-label">(tied)</span></td><td>Benches</td><td>3</td>'
        assert f'<tr data-option="1">{tied}' in page.text
        ranked = await device.get("/f/workshops/1/rounds/2")
        assert ranked.status_code == 200
        assert (
            '<tr data-option="1"><td>1</td><td>Benches</td><td>5</td><td>1</td></tr>' in ranked.text
        )
        export = await device.get("/f/workshops/1/export/results.csv")
        assert export.status_code == 200
        assert "Benches" in export.text


@pytest.mark.parametrize(
    ("typed", "held_on", "kept"),
    [
        ("2025-06-14", "2025-06-14", ""),
        ("14/06/2025", "2025-06-14", ""),
        ("Saturday 10:00", None, "Saturday 10:00"),
        ("", None, ""),
    ],
)
async def test_a_typed_workshop_date_becomes_a_date_or_is_kept_as_typed(
    old_database, typed, held_on, kept
):
    path, _before = old_database
    with closing(sqlite3.connect(path)) as db:
        db.execute("UPDATE workshops SET date = ? WHERE id = 1", (typed,))
        db.commit()
    store = await Store(path).open()
    try:
        workshop = await store.workshops.workshop(1)
    finally:
        await store.close()
    assert (workshop.date.isoformat() if workshop.date else None, workshop.date_note) == (
        held_on,
        kept,
    )
