"""Store: the only module that speaks SQL. One writer connection, ordered migrations, models out.

Every public method is one transaction. Writes go through a single connection guarded by an
asyncio.Lock, because aiosqlite serialises statements but not transactions; reads use a second
connection, which in WAL mode sees the last committed state without waiting for the writer.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from facilitation.errors import Conflict, NotFound, RoundNotOpen
from facilitation.models import (
    Ballot,
    BudgetRule,
    LimitKind,
    Option,
    Participant,
    Round,
    RoundKind,
    RoundStatus,
    Scope,
    Turnout,
    User,
    Workshop,
)
from facilitation.storage_guard import BUSY_TIMEOUT_MS, GuardStore
from facilitation.storage_ideas import KIND_MIGRATIONS, IdeaStore
from facilitation.storage_pact import PACT_MIGRATIONS, PactStore
from facilitation.storage_people import (
    FROZEN_MIGRATIONS,
    PEOPLE_MIGRATIONS,
    PeopleStore,
    freeze_round_answers,
)
from facilitation.storage_plans import PLAN_MIGRATIONS, PlanStore
from facilitation.storage_room import ROOM_MIGRATIONS, RoomStore
from facilitation.storage_scope import (
    SCOPE_MIGRATIONS,
    RoundParts,
    in_opened_round,
    round_parts,
    write_cards,
)

# Join codes avoid characters people confuse when reading them off a screen: 0/O, 1/I/L, 5/S, 2/Z.
CODE_ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"
CODE_LENGTH = 6

CORE_MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0001_initial",
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE TABLE workshops (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            date TEXT NOT NULL DEFAULT '',
            place TEXT NOT NULL DEFAULT '',
            revision INTEGER NOT NULL DEFAULT 0,
            current_round_id INTEGER REFERENCES rounds(id),
            created_by INTEGER REFERENCES users(id),
            created_at REAL NOT NULL
        );
        CREATE TABLE options (
            id INTEGER PRIMARY KEY,
            workshop_id INTEGER NOT NULL REFERENCES workshops(id),
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            position INTEGER NOT NULL,
            withdrawn INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX options_workshop ON options(workshop_id, position);
        CREATE TABLE rounds (
            id INTEGER PRIMARY KEY,
            workshop_id INTEGER NOT NULL REFERENCES workshops(id),
            title TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('dots', 'rank')),
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
            dots INTEGER NOT NULL DEFAULT 5 CHECK (dots BETWEEN 1 AND 100),
            max_per_option INTEGER NOT NULL DEFAULT 3 CHECK (max_per_option >= 1),
            must_use_all INTEGER NOT NULL DEFAULT 0,
            top_k INTEGER CHECK (top_k IS NULL OR top_k >= 1),
            hidden INTEGER NOT NULL DEFAULT 0,
            revealed INTEGER NOT NULL DEFAULT 0,
            timer_seconds INTEGER,
            ends_at REAL,
            opened_at REAL,
            closed_at REAL,
            created_at REAL NOT NULL
        );
        CREATE INDEX rounds_workshop ON rounds(workshop_id);
        CREATE TABLE round_options (
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            option_id INTEGER NOT NULL REFERENCES options(id),
            position INTEGER NOT NULL,
            PRIMARY KEY (round_id, option_id)
        );
        CREATE TABLE participants (
            id INTEGER PRIMARY KEY,
            workshop_id INTEGER NOT NULL REFERENCES workshops(id),
            token TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL DEFAULT '',
            joined_at REAL NOT NULL
        );
        CREATE INDEX participants_workshop ON participants(workshop_id);
        -- One row per participant and round: the schema, not only the code, keeps it single.
        CREATE TABLE ballots (
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            participant_id INTEGER NOT NULL REFERENCES participants(id),
            payload TEXT NOT NULL,
            submitted_at REAL NOT NULL,
            revision INTEGER NOT NULL,
            PRIMARY KEY (round_id, participant_id)
        );
        -- Submissions already applied, so a ballot re-sent after a reconnect is stored once.
        CREATE TABLE submissions (
            participant_id INTEGER NOT NULL REFERENCES participants(id),
            client_id TEXT NOT NULL,
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            revision INTEGER NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (participant_id, client_id)
        );
        CREATE TABLE results (
            round_id INTEGER PRIMARY KEY REFERENCES rounds(id),
            snapshot TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        """,
    ),
    (
        "0002_sessions",
        """
        -- Facilitator sign-ins held on the server, so signing out ends a copied cookie too.
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            created_at REAL NOT NULL
        );
        CREATE INDEX sessions_user ON sessions(user_id);
        """,
    ),
)


# Every step in the order it is applied; a step's name is recorded once it has run.
MIGRATIONS = (
    CORE_MIGRATIONS
    + PLAN_MIGRATIONS
    + SCOPE_MIGRATIONS
    + KIND_MIGRATIONS
    + PEOPLE_MIGRATIONS
    + ROOM_MIGRATIONS
    + PACT_MIGRATIONS
    + FROZEN_MIGRATIONS
)


def _round(row: sqlite3.Row, parts: RoundParts) -> Round:
    return Round(
        id=row["id"],
        workshop_id=row["workshop_id"],
        title=row["title"],
        kind=RoundKind(row["kind"]),
        option_ids=tuple(parts.option_ids),
        status=RoundStatus(row["status"]),
        dots=row["dots"],
        max_per_option=row["max_per_option"],
        must_use_all=bool(row["must_use_all"]),
        top_k=row["top_k"],
        hidden=bool(row["hidden"]),
        revealed=bool(row["revealed"]),
        timer_seconds=row["timer_seconds"],
        ends_at=row["ends_at"],
        opened_at=row["opened_at"],
        closed_at=row["closed_at"],
        info_option_ids=tuple(parts.info_option_ids),
        cards=tuple(parts.cards),
        cards_on_board=bool(row["cards_on_board"]),
        budget=row["budget"],
        budget_rule=BudgetRule(row["budget_rule"]),
        costs=tuple(parts.costs),
        categories=tuple(json.loads(row["categories"])),
    )


def _workshop(row: sqlite3.Row) -> Workshop:
    return Workshop(
        row["id"],
        row["code"],
        row["title"],
        row["date"],
        row["place"],
        row["revision"],
        row["current_round_id"],
    )


def _option(row: sqlite3.Row) -> Option:
    return Option(
        row["id"],
        row["workshop_id"],
        row["title"],
        row["description"],
        row["position"],
        bool(row["withdrawn"]),
        Scope(row["scope"]),
        LimitKind(row["limit_kind"]) if row["limit_kind"] else None,
        row["limit_text"],
        row["cost"],
    )


def _ballot(row: sqlite3.Row) -> Ballot:
    payload = json.loads(row["payload"])
    return Ballot(
        round_id=row["round_id"],
        participant_id=row["participant_id"],
        dots={int(k): int(v) for k, v in payload.get("dots", {}).items()},
        ranking=tuple(int(v) for v in payload.get("ranking", ())),
        picks=tuple(int(v) for v in payload.get("picks", ())),
        ratings={int(k): int(v) for k, v in payload.get("ratings", {}).items()},
        submitted_at=row["submitted_at"],
        revision=row["revision"],
        paper=bool(row["paper"]) if "paper" in row.keys() else False,  # noqa: SIM118 (a Row)
    )


# A ballot with whether it was copied from paper, which is a fact about its participant.
BALLOT_SELECT = "SELECT b.*, p.paper FROM ballots b JOIN participants p ON p.id = b.participant_id"


def ballot_payload(ballot: Ballot) -> str:
    """The stored JSON form of a ballot."""
    if ballot.ranking:
        return json.dumps({"ranking": list(ballot.ranking)})
    if ballot.picks:
        return json.dumps({"picks": list(ballot.picks)})
    if ballot.ratings:
        return json.dumps({"ratings": {str(k): v for k, v in sorted(ballot.ratings.items())}})
    return json.dumps({"dots": {str(k): v for k, v in sorted(ballot.dots.items())}})


class Store(PlanStore, IdeaStore, PeopleStore, RoomStore, PactStore, GuardStore):
    """The database: open() it in the app's lifespan, close() it on the way out."""

    migration_names = tuple(name for name, _sql in MIGRATIONS)

    def __init__(self, path: str, *, durability: str = "normal") -> None:
        self.path = path
        self.durability = durability
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._snapshot: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        # Snapshot reads share the reader connection, which can hold one transaction at a time.
        self._snapshot_lock = asyncio.Lock()
        # The current round's decoded ballots per workshop, as of a revision, kept between live
        # renders so that each render reads and decodes only the ballots saved since the last.
        self._live: dict[int, tuple[int, int, dict[int, Ballot]]] = {}
        # The copy taken before this open() applied migrations, if it did.
        self.upgrade_backup: str | None = None
        # Why the last write failed, until one succeeds: the health probe reports it.
        self._write_failure: str | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    async def open(self) -> Store:
        """Connect, switch to WAL, refuse a database from a newer release, back up one with
        pending migrations, apply them."""
        self._writer = await self._connect()
        try:
            # Fetched to the end, so that the statement lets go of its lock on the file.
            await self._writer.execute_fetchall("PRAGMA journal_mode = WAL")
            await self._prepare_upgrade()
            await self._migrate()
            self._reader = await self._connect()
            self._snapshot = await self._connect()
        except BaseException:
            await self.close()
            raise
        return self

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute(f"PRAGMA synchronous = {self.durability.upper()}")
        return conn

    async def close(self) -> None:
        for conn in (self._snapshot, self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._snapshot = self._reader = self._writer = None

    async def _migrate(self) -> None:
        # A migration may rebuild a table that others refer to; SQLite's procedure for that is to
        # turn foreign keys off (outside the transaction), then check them all before committing.
        assert self._writer is not None
        await self._writer.execute("PRAGMA foreign_keys = OFF")
        try:
            await self._apply_migrations()
        finally:
            await self._writer.execute("PRAGMA foreign_keys = ON")

    async def _apply_migrations(self) -> None:
        async with self._write() as db:
            await db.execute(
                "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at REAL)"
            )
            done = {row[0] async for row in await db.execute("SELECT name FROM migrations")}
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                for statement in _statements(sql):
                    await db.execute(statement)
                broken = await db.execute_fetchall("PRAGMA foreign_key_check")
                if broken:
                    raise RuntimeError(f"migration {name} broke foreign keys: {list(broken)[:5]}")
                await db.execute("INSERT INTO migrations VALUES (?, ?)", (name, time.time()))

    async def applied_migrations(self) -> list[str]:
        """Names of the migrations recorded in the database, in order."""
        return [r[0] for r in await self._all("SELECT name FROM migrations ORDER BY name")]

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        assert self._writer is not None, "Store.open() was not awaited"
        db = self._writer
        async with self._lock:
            try:
                await db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                    await db.execute("COMMIT")
                except BaseException:
                    # A failed COMMIT can leave the transaction open, and some errors (a full
                    # disk) end it already; either way the next write must start afresh.
                    if db.in_transaction:
                        await db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                if not isinstance(exc, sqlite3.IntegrityError):
                    self._write_failure = str(exc)
                raise
            self._write_failure = None

    async def _all(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        conn = self._reader or self._writer
        assert conn is not None
        return list(await conn.execute_fetchall(sql, tuple(params)))

    async def _one(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    @staticmethod
    async def _bump(db: aiosqlite.Connection, workshop_id: int) -> int:
        cur = await db.execute(
            "UPDATE workshops SET revision = revision + 1 WHERE id = ? RETURNING revision",
            (workshop_id,),
        )
        row = await cur.fetchone()
        if row is None:
            raise NotFound("workshop")
        return row[0]

    # -- meta and users --------------------------------------------------------------------------

    async def secret(self) -> str:
        """The signing secret, made once on first use and kept in the database."""
        async with self._write() as db:
            row = await (await db.execute("SELECT value FROM meta WHERE key = 'secret'")).fetchone()
            if row:
                return row[0]
            value = secrets.token_urlsafe(48)
            await db.execute("INSERT INTO meta VALUES ('secret', ?)", (value,))
            return value

    async def create_user(self, username: str, password_hash: str) -> User:
        """Add a facilitator account; Conflict if the name is taken."""
        async with self._write() as db:
            try:
                cur = await db.execute(
                    "INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?)",
                    (username, password_hash, time.time()),
                )
            except sqlite3.IntegrityError as exc:
                raise Conflict("That username is already taken.") from exc
            return User(cur.lastrowid, username)

    async def set_password(self, username: str, password_hash: str) -> bool:
        """Replace a facilitator's password hash and end their sign-ins; False if no such user."""
        async with self._write() as db:
            cur = await db.execute(
                "UPDATE users SET password_hash = ? WHERE username = ?", (password_hash, username)
            )
            await db.execute(
                "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = ?)",
                (username,),
            )
            return cur.rowcount == 1

    async def user_credentials(self, username: str) -> tuple[User, str] | None:
        """A user and their password hash, for logging in."""
        row = await self._one(
            "SELECT id, username, password_hash FROM users WHERE username = ?", (username,)
        )
        return (User(row["id"], row["username"]), row["password_hash"]) if row else None

    async def start_session(self, user_id: int) -> str:
        """Record a facilitator's sign-in; returns its unguessable id for the cookie."""
        session_id = secrets.token_urlsafe(32)
        async with self._write() as db:
            await db.execute(
                "INSERT INTO sessions (id, user_id, created_at) VALUES (?, ?, ?)",
                (session_id, user_id, time.time()),
            )
        return session_id

    async def session_user(self, session_id: str, max_age: float) -> User | None:
        """The facilitator signed in under this session id, if it exists and is not too old."""
        row = await self._one(
            "SELECT u.id, u.username FROM sessions s JOIN users u ON u.id = s.user_id"
            " WHERE s.id = ? AND s.created_at > ?",
            (session_id, time.time() - max_age),
        )
        return User(row["id"], row["username"]) if row else None

    async def end_session(self, session_id: str) -> None:
        """Sign out: the session id stops working wherever a copy of the cookie is."""
        async with self._write() as db:
            await db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    async def user(self, user_id: int) -> User | None:
        row = await self._one("SELECT id, username FROM users WHERE id = ?", (user_id,))
        return User(row["id"], row["username"]) if row else None

    # -- workshops -------------------------------------------------------------------------------

    async def create_workshop(self, title: str, date: str, place: str, user_id: int) -> Workshop:
        """Add a workshop with a fresh join code."""
        async with self._write() as db:
            for _ in range(50):
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                try:
                    cur = await db.execute(
                        "INSERT INTO workshops (code, title, date, place, created_by, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (code, title, date, place, user_id, time.time()),
                    )
                except sqlite3.IntegrityError:
                    continue
                return Workshop(cur.lastrowid, code, title, date, place, 0, None)
        raise Conflict("Could not find a free join code; please try again.")

    async def update_workshop(self, workshop_id: int, title: str, date: str, place: str) -> None:
        async with self._write() as db:
            await db.execute(
                "UPDATE workshops SET title = ?, date = ?, place = ? WHERE id = ?",
                (title, date, place, workshop_id),
            )
            await self._bump(db, workshop_id)

    async def workshops(self) -> list[Workshop]:
        """All workshops, newest first."""
        rows = await self._all("SELECT * FROM workshops ORDER BY created_at DESC, id DESC")
        return [_workshop(r) for r in rows]

    async def workshop(self, workshop_id: int) -> Workshop:
        row = await self._one("SELECT * FROM workshops WHERE id = ?", (workshop_id,))
        if row is None:
            raise NotFound("workshop")
        return _workshop(row)

    async def workshop_by_code(self, code: str) -> Workshop | None:
        row = await self._one("SELECT * FROM workshops WHERE code = ?", (code,))
        return _workshop(row) if row else None

    # -- options ---------------------------------------------------------------------------------

    async def options(self, workshop_id: int, *, include_withdrawn: bool = True) -> list[Option]:
        """A workshop's options in the facilitator's order."""
        rows = await self._all(
            "SELECT * FROM options WHERE workshop_id = ? ORDER BY position, id", (workshop_id,)
        )
        return [o for o in map(_option, rows) if include_withdrawn or not o.withdrawn]

    async def option(self, option_id: int) -> Option:
        row = await self._one("SELECT * FROM options WHERE id = ?", (option_id,))
        if row is None:
            raise NotFound("option")
        return _option(row)

    @staticmethod
    async def _option_in(db: aiosqlite.Connection, option_id: int) -> Option:
        """An option read through the given connection (inside its transaction)."""
        row = await (
            await db.execute("SELECT * FROM options WHERE id = ?", (option_id,))
        ).fetchone()
        if row is None:
            raise NotFound("option")
        return _option(row)

    async def add_option(
        self,
        workshop_id: int,
        title: str,
        description: str,
        scope: tuple[Scope, LimitKind | None, str] = (Scope.OPEN, None, ""),
        cost: int | None = None,
    ) -> Option:
        """Add an option at the end; ``scope`` is (scope, limit kind, limit or reason)."""
        async with self._write() as db:
            row = await (
                await db.execute(
                    "SELECT COALESCE(MAX(position), 0) + 1 FROM options WHERE workshop_id = ?",
                    (workshop_id,),
                )
            ).fetchone()
            cur = await db.execute(
                "INSERT INTO options (workshop_id, title, description, position, scope,"
                " limit_kind, limit_text, cost) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (workshop_id, title, description, row[0], *_scope_values(scope), cost),
            )
            await self._bump(db, workshop_id)
            return Option(
                cur.lastrowid, workshop_id, title, description, row[0], False, *scope, cost
            )

    async def update_option(
        self,
        option_id: int,
        title: str,
        description: str,
        scope: tuple[Scope, LimitKind | None, str] | None = None,
        cost: int | None = None,
        *,
        set_cost: bool = False,
    ) -> int:
        """Change an option's wording (and scope, and cost if ``set_cost``); returns how many
        ballots already support it.

        Whether an option is voted on at all, and what it costs, cannot change once a round with
        it has opened: its ballots and results would no longer match what the room was asked."""
        async with self._write() as db:
            option = await self._option_in(db, option_id)
            if set_cost and cost != option.cost:
                if await in_opened_round(db, option_id):
                    raise Conflict(
                        "This option has already been put to the room, so its cost can no "
                        "longer change. Add a new option with the new cost instead."
                    )
                await db.execute("UPDATE options SET cost = ? WHERE id = ?", (cost, option_id))
            await db.execute(
                "UPDATE options SET title = ?, description = ? WHERE id = ?",
                (title, description, option_id),
            )
            if scope is not None:
                if (scope[0] is Scope.NOT_NEGOTIABLE) != (
                    option.scope is Scope.NOT_NEGOTIABLE
                ) and await in_opened_round(db, option_id):
                    raise Conflict(
                        "This option has already been put to the room, so whether it is voted "
                        "on can no longer change. Add a new option instead."
                    )
                await db.execute(
                    "UPDATE options SET scope = ?, limit_kind = ?, limit_text = ? WHERE id = ?",
                    (*_scope_values(scope), option_id),
                )
            await self._bump(db, option.workshop_id)
            return await self._supporters(db, option_id)

    async def move_option(self, option_id: int, step: int) -> None:
        """Swap an option with its neighbour above (step -1) or below (step +1)."""
        async with self._write() as db:
            option = await self._option_in(db, option_id)
            ordered = [
                r[0]
                for r in await db.execute_fetchall(
                    "SELECT id FROM options WHERE workshop_id = ? ORDER BY position, id",
                    (option.workshop_id,),
                )
            ]
            i = ordered.index(option_id)
            j = i + step
            if 0 <= j < len(ordered):
                ordered[i], ordered[j] = ordered[j], ordered[i]
                await db.executemany(
                    "UPDATE options SET position = ? WHERE id = ?",
                    [(pos, oid) for pos, oid in enumerate(ordered, start=1)],
                )
                await self._bump(db, option.workshop_id)

    @staticmethod
    async def _supporters(db: aiosqlite.Connection, option_id: int) -> int:
        sql = (
            "SELECT COUNT(*) FROM ballots b JOIN round_options ro ON ro.round_id = b.round_id"
            " WHERE ro.option_id = :o AND ("
            " EXISTS (SELECT 1 FROM json_each(b.payload, '$.dots') WHERE key = CAST(:o AS TEXT)"
            "   AND value > 0)"
            " OR EXISTS (SELECT 1 FROM json_each(b.payload, '$.ranking') WHERE value = :o)"
            " OR EXISTS (SELECT 1 FROM json_each(b.payload, '$.picks') WHERE value = :o)"
            " OR EXISTS (SELECT 1 FROM json_each(b.payload, '$.ratings')"
            "   WHERE key = CAST(:o AS TEXT)))"
        )
        row = await (await db.execute(sql, {"o": option_id})).fetchone()
        return row[0]

    async def remove_option(self, option_id: int) -> tuple[str, int]:
        """Remove an option: ("deleted", 0) if unused, ("withdrawn", ballots) if rounds used it.

        An option already put to the room is withdrawn rather than deleted, so past results and
        exports still name it; it leaves every draft round either way. Refused while a round that
        contains it is open.
        """
        async with self._write() as db:
            option = await self._option_in(db, option_id)
            statuses = [
                r[0]
                for r in await db.execute_fetchall(
                    "SELECT r.status FROM rounds r JOIN round_options ro ON ro.round_id = r.id"
                    " WHERE ro.option_id = ?",
                    (option_id,),
                )
            ]
            if "open" in statuses:
                raise Conflict(
                    "This option is in a round that is open now. Close the round first, then "
                    "remove the option."
                )
            await db.execute(
                "DELETE FROM round_options WHERE option_id = ? AND round_id IN"
                " (SELECT id FROM rounds WHERE status = 'draft')",
                (option_id,),
            )
            await self._bump(db, option.workshop_id)
            if "closed" in statuses:
                supporters = await self._supporters(db, option_id)
                await db.execute("UPDATE options SET withdrawn = 1 WHERE id = ?", (option_id,))
                return "withdrawn", supporters
            await db.execute("UPDATE ideas SET option_id = NULL WHERE option_id = ?", (option_id,))
            await db.execute("DELETE FROM options WHERE id = ?", (option_id,))
            return "deleted", 0

    async def restore_option(self, option_id: int) -> None:
        """Bring a withdrawn option back for future rounds."""
        async with self._write() as db:
            option = await self._option_in(db, option_id)
            await db.execute("UPDATE options SET withdrawn = 0 WHERE id = ?", (option_id,))
            await self._bump(db, option.workshop_id)

    # -- rounds ----------------------------------------------------------------------------------

    async def _round_parts(self, round_ids: list[int]) -> dict[int, RoundParts]:
        conn = self._reader or self._writer
        assert conn is not None
        return await round_parts(conn, round_ids)

    async def rounds(self, workshop_id: int) -> list[Round]:
        """A workshop's rounds in the order they were made."""
        rows = await self._all(
            "SELECT * FROM rounds WHERE workshop_id = ? ORDER BY id", (workshop_id,)
        )
        parts = await self._round_parts([r["id"] for r in rows])
        return [_round(r, parts[r["id"]]) for r in rows]

    async def round(self, round_id: int) -> Round:
        row = await self._one("SELECT * FROM rounds WHERE id = ?", (round_id,))
        if row is None:
            raise NotFound("round")
        return _round(row, (await self._round_parts([round_id]))[round_id])

    async def open_round_count(self) -> int:
        """How many rounds are open for voting, over all workshops."""
        row = await self._one("SELECT count(*) FROM rounds WHERE status = 'open'")
        return row[0]

    async def save_round(self, rnd: Round) -> Round:
        """Insert a new round (id 0) or update a draft one, with its options in order."""
        fields = (
            rnd.title,
            rnd.kind.value,
            rnd.dots,
            rnd.max_per_option,
            int(rnd.must_use_all),
            rnd.top_k,
            int(rnd.hidden),
            rnd.timer_seconds,
            int(rnd.cards_on_board),
            rnd.budget,
            rnd.budget_rule.value,
            json.dumps(list(rnd.categories)),
        )
        async with self._write() as db:
            if rnd.id:
                current = await self._round_in(db, rnd.id)
                if current.status is not RoundStatus.DRAFT:
                    raise Conflict("A round's settings are fixed once it has opened.")
                await db.execute(
                    "UPDATE rounds SET title = ?, kind = ?, dots = ?, max_per_option = ?,"
                    " must_use_all = ?, top_k = ?, hidden = ?, timer_seconds = ?,"
                    " cards_on_board = ?, budget = ?, budget_rule = ?, categories = ?"
                    " WHERE id = ?",
                    (*fields, rnd.id),
                )
                round_id = rnd.id
                await db.execute("DELETE FROM round_options WHERE round_id = ?", (round_id,))
            else:
                cur = await db.execute(
                    "INSERT INTO rounds (title, kind, dots, max_per_option, must_use_all, top_k,"
                    " hidden, timer_seconds, cards_on_board, budget, budget_rule, categories,"
                    " workshop_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*fields, rnd.workshop_id, time.time()),
                )
                round_id = cur.lastrowid
            await db.executemany(
                "INSERT INTO round_options (round_id, option_id, position) VALUES (?, ?, ?)",
                [(round_id, oid, i) for i, oid in enumerate(rnd.option_ids + rnd.info_option_ids)],
            )
            await write_cards(db, round_id, rnd.cards)
            await self._bump(db, rnd.workshop_id)
        return await self.round(round_id)

    async def delete_round(self, round_id: int) -> None:
        """Delete a round that never opened."""
        async with self._write() as db:
            rnd = await self._round_in(db, round_id)
            if rnd.status is not RoundStatus.DRAFT:
                raise Conflict("Only a round that has never opened can be deleted.")
            await db.execute("DELETE FROM round_options WHERE round_id = ?", (round_id,))
            await write_cards(db, round_id, ())
            await db.execute("DELETE FROM rounds WHERE id = ?", (round_id,))
            await self._bump(db, rnd.workshop_id)

    async def open_round(self, round_id: int, now: float) -> int:
        """Open a draft or closed round (reopening keeps its ballots); returns the revision."""
        async with self._write() as db:
            rnd = await self._round_in(db, round_id)
            other = await (
                await db.execute(
                    "SELECT title FROM rounds"
                    " WHERE workshop_id = ? AND status = 'open' AND id != ?",
                    (rnd.workshop_id, round_id),
                )
            ).fetchone()
            if other:
                raise Conflict(
                    "“{title}” is still open. Close it before opening another round.",
                    title=other[0],
                )
            if rnd.status is RoundStatus.OPEN:
                raise Conflict("This round is already open.")
            ends_at = now + rnd.timer_seconds if rnd.timer_seconds else None
            await db.execute(
                "UPDATE rounds SET status = 'open', revealed = 0, opened_at = ?, closed_at = NULL,"
                " ends_at = ? WHERE id = ?",
                (now, ends_at, round_id),
            )
            await db.execute(
                "UPDATE workshops SET current_round_id = ? WHERE id = ?",
                (round_id, rnd.workshop_id),
            )
            return await self._bump(db, rnd.workshop_id)

    async def close_round(
        self, round_id: int, now: float, snapshot: Callable[[Round, list[Ballot]], str]
    ) -> int:
        """Close an open round and store its results snapshot, counted from the stored ballots
        inside the same transaction, so no ballot can slip in between counting and closing; the
        voters' answers are frozen with it, for splitting its results by group."""
        async with self._write() as db:
            rnd = await self._round_in(db, round_id)
            if rnd.status is not RoundStatus.OPEN:
                raise Conflict("This round is not open.")
            await db.execute(
                "UPDATE rounds SET status = 'closed', closed_at = ?, ends_at = NULL,"
                " revealed = CASE WHEN hidden THEN 0 ELSE 1 END WHERE id = ?",
                (now, round_id),
            )
            rows = await db.execute_fetchall(
                "SELECT * FROM ballots WHERE round_id = ? ORDER BY participant_id", (round_id,)
            )
            closed = await self._round_in(db, round_id)
            await db.execute(
                "INSERT INTO results (round_id, snapshot, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (round_id) DO UPDATE SET snapshot = excluded.snapshot,"
                " created_at = excluded.created_at",
                (round_id, snapshot(closed, [_ballot(r) for r in rows]), now),
            )
            await freeze_round_answers(db, round_id)
            return await self._bump(db, rnd.workshop_id)

    async def _round_in(self, db: aiosqlite.Connection, round_id: int) -> Round:
        """A round read through the given connection (inside its transaction)."""
        row = await (await db.execute("SELECT * FROM rounds WHERE id = ?", (round_id,))).fetchone()
        if row is None:
            raise NotFound("round")
        return _round(row, (await round_parts(db, [round_id]))[round_id])

    async def reveal_round(self, round_id: int, revealed: bool = True) -> int:
        """Show (or hide again) a round's results to the room."""
        async with self._write() as db:
            rnd = await self._round_in(db, round_id)
            await db.execute(
                "UPDATE rounds SET revealed = ? WHERE id = ?", (int(revealed), round_id)
            )
            return await self._bump(db, rnd.workshop_id)

    async def result_snapshot(self, round_id: int) -> str | None:
        """The JSON results stored when the round last closed."""
        row = await self._one("SELECT snapshot FROM results WHERE round_id = ?", (round_id,))
        return row[0] if row else None

    # -- participants and ballots ----------------------------------------------------------------

    async def join(self, workshop_id: int, display_name: str) -> Participant:
        """Add a participant with a new secret token."""
        token = secrets.token_urlsafe(24)
        async with self._write() as db:
            cur = await db.execute(
                "INSERT INTO participants (workshop_id, token, display_name, joined_at)"
                " VALUES (?, ?, ?, ?)",
                (workshop_id, token, display_name, time.time()),
            )
            await self._bump(db, workshop_id)
            return Participant(cur.lastrowid, workshop_id, token, display_name)

    async def rename_participant(self, participant_id: int, display_name: str) -> None:
        async with self._write() as db:
            await db.execute(
                "UPDATE participants SET display_name = ? WHERE id = ?",
                (display_name, participant_id),
            )

    async def participant_by_token(self, token: str) -> Participant | None:
        row = await self._one("SELECT * FROM participants WHERE token = ?", (token,))
        if row is None:
            return None
        return Participant(
            row["id"], row["workshop_id"], row["token"], row["display_name"], bool(row["paper"])
        )

    async def participants(self, workshop_id: int) -> list[Participant]:
        rows = await self._all(
            "SELECT * FROM participants WHERE workshop_id = ? ORDER BY id", (workshop_id,)
        )
        return [
            Participant(r["id"], r["workshop_id"], r["token"], r["display_name"], bool(r["paper"]))
            for r in rows
        ]

    async def cast_ballot(self, ballot: Ballot, client_id: str, now: float) -> tuple[int, bool]:
        """Store a participant's ballot, replacing their earlier one, once per client id.

        Returns (revision, duplicate). The round must still be open when the transaction runs, so
        a ballot racing the facilitator's close is refused rather than counted after the snapshot.
        """
        async with self._write() as db:
            row = await (
                await db.execute(
                    "SELECT status, workshop_id FROM rounds WHERE id = ?", (ballot.round_id,)
                )
            ).fetchone()
            if row is None:
                raise NotFound("round")
            seen = await (
                await db.execute(
                    "SELECT revision FROM submissions WHERE participant_id = ? AND client_id = ?",
                    (ballot.participant_id, client_id),
                )
            ).fetchone()
            if seen:
                return seen[0], True
            if row["status"] != "open":
                raise RoundNotOpen()
            revision = await self._bump(db, row["workshop_id"])
            await db.execute(
                "INSERT INTO ballots (round_id, participant_id, payload, submitted_at, revision)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (round_id, participant_id) DO UPDATE SET"
                " payload = excluded.payload, submitted_at = excluded.submitted_at,"
                " revision = excluded.revision",
                (ballot.round_id, ballot.participant_id, ballot_payload(ballot), now, revision),
            )
            await db.execute(
                "INSERT INTO submissions (participant_id, client_id, round_id, revision, at)"
                " VALUES (?, ?, ?, ?, ?)",
                (ballot.participant_id, client_id, ballot.round_id, revision, now),
            )
            return revision, False

    async def ballot(self, round_id: int, participant_id: int) -> Ballot | None:
        """A participant's last committed ballot in a round."""
        row = await self._one(
            BALLOT_SELECT + " WHERE b.round_id = ? AND b.participant_id = ?",
            (round_id, participant_id),
        )
        return _ballot(row) if row else None

    async def ballots(self, round_id: int) -> list[Ballot]:
        rows = await self._all(
            BALLOT_SELECT + " WHERE b.round_id = ? ORDER BY b.participant_id", (round_id,)
        )
        return [_ballot(r) for r in rows]

    async def live_state(
        self, workshop_id: int
    ) -> tuple[Workshop, Round | None, list[Ballot], int]:
        """One consistent read for a live render: workshop, current round, its ballots, joined.

        It runs on its own connection so that its transaction never leaks into other reads.
        """
        db = self._snapshot
        assert db is not None
        async with self._snapshot_lock:
            await db.execute("BEGIN")
            try:
                row = await (
                    await db.execute("SELECT * FROM workshops WHERE id = ?", (workshop_id,))
                ).fetchone()
                if row is None:
                    raise NotFound("workshop")
                workshop = _workshop(row)
                current = workshop.current_round_id
                rnd = await self._round_in(db, current) if current else None
                ballots = await self._live_ballots(db, workshop, rnd.id) if rnd else []
                joined = await (
                    await db.execute(
                        "SELECT COUNT(*) FROM participants WHERE workshop_id = ?", (workshop_id,)
                    )
                ).fetchone()
            finally:
                await db.execute("COMMIT")
        return workshop, rnd, ballots, joined[0]

    async def _live_ballots(
        self, db: aiosqlite.Connection, workshop: Workshop, round_id: int
    ) -> list[Ballot]:
        """A round's ballots inside live_state's transaction, read incrementally.

        A ballot is only ever written by cast_ballot, which stamps it with the workshop's new
        revision in the same transaction; so the rows saved since a snapshot at revision R are
        exactly those with a revision above R. A count check catches anything else (a reload).
        """
        cached_round, since, by_participant = self._live.get(workshop.id, (0, -1, {}))
        if cached_round != round_id:
            since, by_participant = -1, {}
        rows = await db.execute_fetchall(
            "SELECT * FROM ballots WHERE round_id = ? AND revision > ?", (round_id, since)
        )
        by_participant.update((r["participant_id"], _ballot(r)) for r in rows)
        count = await (
            await db.execute("SELECT COUNT(*) FROM ballots WHERE round_id = ?", (round_id,))
        ).fetchone()
        if count[0] != len(by_participant):
            rows = await db.execute_fetchall(
                "SELECT * FROM ballots WHERE round_id = ?", (round_id,)
            )
            by_participant = {r["participant_id"]: _ballot(r) for r in rows}
        self._live[workshop.id] = (round_id, workshop.revision, by_participant)
        return [by_participant[p] for p in sorted(by_participant)]

    async def turnout(self, workshop_id: int, round_id: int | None) -> Turnout:
        joined = await self._one(
            "SELECT COUNT(*) FROM participants WHERE workshop_id = ?", (workshop_id,)
        )
        voted = (0,)
        if round_id is not None:
            # An idea round has no ballots: whoever sent an idea has taken part.
            voted = await self._one(
                "SELECT (SELECT COUNT(*) FROM ballots WHERE round_id = ?)"
                " + (SELECT COUNT(DISTINCT participant_id) FROM ideas WHERE round_id = ?)",
                (round_id, round_id),
            )
        return Turnout(joined[0], voted[0])

    async def integrity_check(self) -> str:
        row = await self._one("PRAGMA integrity_check")
        return row[0]


def _scope_values(scope: tuple[Scope, LimitKind | None, str]) -> tuple[str, str, str]:
    kind, limit, text = scope
    return kind.value, limit.value if limit else "", text


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (aiosqlite has no executescript inside a transaction)."""
    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return [s for s in out if s]
