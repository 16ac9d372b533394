"""The SQLite engine: the connections, the single writer, transactions and the migration runner.

Writes go through one connection guarded by an asyncio.Lock, because aiosqlite serialises
statements but not transactions: the lock is what keeps two coroutines from interleaving inside
one ``BEGIN IMMEDIATE ... COMMIT``. Autocommit reads use a second connection, which in WAL mode
sees the last committed state without waiting for the writer; a third holds the read
transactions of ``snapshot()``, so a consistent read never leaks into other reads.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

import aiosqlite

from facilitation.storage import guard
from facilitation.storage.db import (
    Database,
    IntegrityError,
    Loader,
    Migration,
    Params,
    ReadTx,
    Row,
    Tx,
    step_sql,
)


class SQLiteReadTx(ReadTx):
    """Queries inside one transaction on one connection."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row the query returns."""
        return cast(list[Row], list(await self._conn.execute_fetchall(sql, tuple(params))))


class SQLiteTx(SQLiteReadTx, Tx):
    """A write transaction: everything in it commits together or not at all."""

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns how many rows it changed."""
        try:
            cur = await self._conn.execute(sql, tuple(params))
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        return cur.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement once per row of parameters."""
        try:
            await self._conn.executemany(sql, [tuple(r) for r in rows])
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT; returns the new row's id."""
        try:
            cur = await self._conn.execute(sql, tuple(params))
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        assert cur.lastrowid is not None
        return cur.lastrowid


class SQLiteDatabase(Database):
    """The SQLite file: open() it once, then read, write in transactions, close()."""

    engine = "sqlite"

    def __init__(
        self,
        path: str,
        *,
        durability: str = "normal",
        migrations: Sequence[Migration] = (),
    ) -> None:
        self.path = path
        self.durability = durability
        self.migrations = tuple(migrations)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._snapshot: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        # The snapshot connection can hold one transaction at a time.
        self._snapshot_lock = asyncio.Lock()
        # The copy taken before this open() applied migrations, if it did.
        self.upgrade_backup: str | None = None
        # Why the last write failed, until one succeeds: the health probe reports it.
        self._write_failure: str | None = None

    async def open(self) -> None:
        """Connect, switch to WAL, refuse a database from a newer release, back up one with
        pending migrations, apply them."""
        self._writer = await self._connect()
        try:
            # Fetched to the end, so that the statement lets go of its lock on the file.
            await self._writer.execute_fetchall("PRAGMA journal_mode = WAL")
            self.upgrade_backup = await guard.prepare_upgrade(
                self._writer, self.path, self.migration_names
            )
            await self._migrate()
            self._reader = await self._connect()
            self._snapshot = await self._connect()
        except BaseException:
            await self.close()
            raise

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute(f"PRAGMA busy_timeout = {guard.BUSY_TIMEOUT_MS}")
        await conn.execute(f"PRAGMA synchronous = {self.durability.upper()}")
        return conn

    async def close(self) -> None:
        """Close every connection; the Database can be opened again."""
        for conn in (self._snapshot, self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._snapshot = self._reader = self._writer = None

    @asynccontextmanager
    async def transaction(self, workshop: int | None = None) -> AsyncIterator[Tx]:
        """One write transaction on the single writer; rolled back if the block raises. The
        single writer serialises every transaction, so ``workshop`` changes nothing here."""
        conn = self._writer
        assert conn is not None, "Store.open() was not awaited"
        async with self._lock:
            try:
                await conn.execute("BEGIN IMMEDIATE")
                try:
                    yield SQLiteTx(conn)
                    await conn.execute("COMMIT")
                except BaseException:
                    # A failed COMMIT can leave the transaction open, and some errors (a full
                    # disk) end it already; either way the next write must start afresh.
                    if conn.in_transaction:
                        await conn.execute("ROLLBACK")
                    raise
            except sqlite3.IntegrityError as exc:
                raise IntegrityError(str(exc)) from exc
            except sqlite3.Error as exc:
                self._write_failure = str(exc)
                raise
            self._write_failure = None

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[ReadTx]:
        """Several reads that all see the same committed state."""
        conn = self._snapshot
        assert conn is not None, "Store.open() was not awaited"
        async with self._snapshot_lock:
            await conn.execute("BEGIN")
            try:
                yield SQLiteReadTx(conn)
            finally:
                await conn.execute("COMMIT")

    def _autocommit(self) -> SQLiteReadTx:
        conn = self._reader or self._writer
        assert conn is not None, "Store.open() was not awaited"
        return SQLiteReadTx(conn)

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query on the reader connection (autocommit)."""
        return await self._autocommit().all(sql, params)

    async def one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query on the reader connection, or None."""
        return await self._autocommit().one(sql, params)

    async def value(self, sql: str, params: Params = ()) -> Any:
        """The first column of a query's first row on the reader connection, or None."""
        return await self._autocommit().value(sql, params)

    async def health(self) -> guard.Health:
        """Whether the database can be read and written, at this release's migration level
        (see guard.probe: it writes nothing while writes succeed)."""
        if self._writer is None:
            return guard.Health(False, "", "the database is not open")
        async with self._lock:
            health, self._write_failure = await guard.probe(
                self._writer,
                self._autocommit(),
                self.path,
                self.migration_names,
                self._write_failure,
            )
        return health

    async def integrity_check(self) -> str:
        """SQLite's own check of the file: "ok" when it is sound."""
        verdict: str = await self.value("PRAGMA integrity_check")
        return verdict

    # -- copying a whole database (facilitation migrate-data) ------------------------------------

    async def tables(self) -> list[str]:
        """The tables in the order they were made (migrations first)."""
        rows = await self.all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name = 'migrations' DESC, rowid"
        )
        return [r[0] for r in rows]

    async def columns(self, table: str) -> list[str]:
        """A table's columns, in order."""
        return [r[1] for r in await self.all(f"PRAGMA table_info({_quoted(table)})")]

    async def rows(self, table: str, columns: Sequence[str]) -> AsyncIterator[Sequence[Any]]:
        """Every row of a table in primary key order, read on one snapshot, in batches."""
        names = ", ".join(_quoted(c) for c in columns)
        keys = [r[1] for r in await self.all(f"PRAGMA table_info({_quoted(table)})") if r[5]]
        order = ", ".join(_quoted(k) for k in keys) or "rowid"
        async with self.snapshot() as tx:
            offset = 0
            while True:
                batch = await tx.all(
                    f"SELECT {names} FROM {_quoted(table)} ORDER BY {order} LIMIT ? OFFSET ?",
                    (LOAD_BATCH, offset),
                )
                for row in batch:
                    yield tuple(row)
                if len(batch) < LOAD_BATCH:
                    return
                offset += LOAD_BATCH

    @asynccontextmanager
    async def loading(self) -> AsyncIterator[Loader]:
        """One transaction with foreign keys checked only at its end (SQLite's procedure)."""
        assert self._writer is not None
        # Only a command that owns the database loads it, so nothing else writes meanwhile.
        await self._writer.execute("PRAGMA foreign_keys = OFF")
        try:
            async with self.transaction() as tx:
                yield _SQLiteLoader(tx)
                broken = await tx.all("PRAGMA foreign_key_check")
                if broken:
                    found = [tuple(r) for r in broken][:5]
                    raise IntegrityError(f"the copied rows break foreign keys: {found}")
        finally:
            await self._writer.execute("PRAGMA foreign_keys = ON")

    # -- migrations ------------------------------------------------------------------------------

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
        async with self.transaction() as tx:
            await tx.execute(
                "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at REAL)"
            )
            done = {row[0] for row in await tx.all("SELECT name FROM migrations")}
            for name, sql in self.migrations:
                if name in done:
                    continue
                for statement in _statements(step_sql(sql, self.engine)):
                    await tx.execute(statement)
                broken = await tx.all("PRAGMA foreign_key_check")
                if broken:
                    raise RuntimeError(f"migration {name} broke foreign keys: {list(broken)[:5]}")
                await tx.execute("INSERT INTO migrations VALUES (?, ?)", (name, time.time()))


LOAD_BATCH = 2000


class _SQLiteLoader:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def load(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        marks = ", ".join("?" * len(columns))
        names = ", ".join(_quoted(c) for c in columns)
        await self._tx.executemany(f"INSERT INTO {_quoted(table)} ({names}) VALUES ({marks})", rows)

    async def rows(self, table: str, columns: Sequence[str]) -> AsyncIterator[Sequence[Any]]:
        names = ", ".join(_quoted(c) for c in columns)
        for row in await self._tx.all(f"SELECT {names} FROM {_quoted(table)}"):
            yield tuple(row)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (aiosqlite has no executescript inside a transaction)."""
    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return [s for s in out if s]
