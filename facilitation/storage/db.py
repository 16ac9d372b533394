"""Database: the small interface every repository speaks to, whichever engine stands behind it.

Repositories write SQL with ``?`` placeholders and reach the data only through a ``Database``
(autocommit reads, ``transaction()``, ``snapshot()``) and the ``Tx``/``ReadTx`` it hands out. Two
engines implement it: SQLite (``storage.sqlite``, the embedded default) and PostgreSQL
(``storage.postgres``); ``store.open_database`` picks one from a database URL.

Both keep the same promises. A write transaction commits whole or not at all, and returns only
after the commit; the schema refuses what it must (one ballot per participant and round) with
the shared ``IntegrityError``; and writes are serialised as the single SQLite writer serialises
them: PostgreSQL takes an exclusive lock for an ordinary transaction, and for one scoped to a
workshop (``transaction(workshop=id)``) a shared lock plus that workshop's row, so that only the
writes of different workshops run side by side.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from facilitation.storage.guard import Health

Params = Sequence[Any]


class Row(Protocol):
    """A result row, read by column name or by position (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, key: Any) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...

    def keys(self) -> Iterable[str]: ...


class IntegrityError(Exception):
    """The schema refused a statement (a UNIQUE, CHECK or foreign key clash), on either engine."""


class Reader(Protocol):
    """Anything that answers queries: the Database itself (autocommit) or a transaction."""

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row the query returns."""

    async def one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row the query returns, or None."""

    async def value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None when there is no row."""


class Queries(abc.ABC):
    """Answers queries: an engine gives all(), and one() and value() are read from it."""

    @abc.abstractmethod
    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row the query returns."""

    async def one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row the query returns, or None."""
        rows = await self.all(sql, params)
        return rows[0] if rows else None

    async def value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None when there is no row."""
        row = await self.one(sql, params)
        return row[0] if row is not None else None


class ReadTx(Queries):
    """Queries inside one transaction on one connection."""


class Tx(ReadTx):
    """A write transaction: everything in it commits together or not at all."""

    @abc.abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns how many rows it changed."""

    @abc.abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement once per row of parameters."""

    @abc.abstractmethod
    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT into a table with an ``id`` column; returns the new row's id."""

    # Numbers this transaction's savepoints, so that nested ones have distinct names.
    _savepoints = 0

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """Statements that may fail and be tried again without losing the transaction."""
        # Both engines take the standard spelling of SAVEPOINT, ROLLBACK TO and RELEASE.
        self._savepoints += 1
        name = f"sp{self._savepoints}"
        await self.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            await self.execute(f"ROLLBACK TO SAVEPOINT {name}")
            await self.execute(f"RELEASE SAVEPOINT {name}")
            raise
        await self.execute(f"RELEASE SAVEPOINT {name}")


class Loader(Protocol):
    """Adds rows to tables inside Database.loading(), and reads them back before the commit."""

    async def load(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None: ...

    def rows(self, table: str, columns: Sequence[str]) -> AsyncIterator[Sequence[Any]]: ...


@dataclass(frozen=True, slots=True)
class Engines:
    """A migration step whose SQL differs by engine; a plain string serves both."""

    sqlite: str
    postgresql: str


# A migration step: its name and its SQL (one text for both engines, or one per engine).
Migration = tuple[str, str | Engines]


def step_sql(sql: str | Engines, engine: str) -> str:
    """The SQL a migration step runs on ``engine``."""
    return sql if isinstance(sql, str) else getattr(sql, engine)


class Database(Queries):
    """One database: open() it once, then read (autocommit), write in transactions, close()."""

    engine: str = ""
    migrations: tuple[Migration, ...] = ()
    # The copy taken before this open() applied migrations, if it did (SQLite only).
    upgrade_backup: str | None = None

    @property
    def migration_names(self) -> tuple[str, ...]:
        return tuple(name for name, _sql in self.migrations)

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect, refuse a database from a newer release, apply pending migrations."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close every connection; the Database can be opened again."""

    @abc.abstractmethod
    def transaction(self, workshop: int | None = None) -> AbstractAsyncContextManager[Tx]:
        """One write transaction, rolled back if the block raises. ``workshop`` says that it
        reads and writes only that workshop's rows, so it may run beside other workshops'."""

    @abc.abstractmethod
    def snapshot(self) -> AbstractAsyncContextManager[ReadTx]:
        """Several reads that all see the same committed state."""

    @abc.abstractmethod
    async def health(self) -> Health:
        """Whether the database can be read and written at this release's migration level."""

    @abc.abstractmethod
    async def integrity_check(self) -> str:
        """The engine's own check of the data: "ok" when it is sound."""

    @abc.abstractmethod
    async def tables(self) -> list[str]:
        """The application's tables (the migration record included), in creation order."""

    @abc.abstractmethod
    async def columns(self, table: str) -> list[str]:
        """A table's columns, in order."""

    @abc.abstractmethod
    def rows(self, table: str, columns: Sequence[str]) -> AsyncIterator[Sequence[Any]]:
        """Every row of a table, in primary key order, in batches read on one snapshot."""

    @abc.abstractmethod
    def loading(self) -> AbstractAsyncContextManager[Loader]:
        """One transaction that adds rows as they are (ids included), checks every foreign key
        at the end and moves id counters past the loaded ids; nothing is kept if it fails."""


async def move_in_order(
    tx: Tx, table: str, parent: str, parent_id: int, item_id: int, step: int
) -> bool:
    """Swap a row of ``table`` with its neighbour above (step -1) or below (step +1) among the
    rows with the same ``parent``, renumbering their positions from 1; False if at an end.
    ``table`` and ``parent`` are the caller's own names, never user input."""
    ordered = [
        row[0]
        for row in await tx.all(
            f"SELECT id FROM {table} WHERE {parent} = ? ORDER BY position, id", (parent_id,)
        )
    ]
    i = ordered.index(item_id)
    j = i + step
    if not 0 <= j < len(ordered):
        return False
    ordered[i], ordered[j] = ordered[j], ordered[i]
    await tx.executemany(
        f"UPDATE {table} SET position = ? WHERE id = ?",
        [(position, row_id) for position, row_id in enumerate(ordered, start=1)],
    )
    return True


def engine_of(url: str) -> tuple[str, str]:
    """("sqlite", file path) or ("postgresql", URL) for a database URL; a bare path is a
    SQLite file. ValueError names what is accepted."""
    scheme = urlsplit(url).scheme if "://" in url else ""
    if not scheme:
        return "sqlite", url
    if scheme == "sqlite":
        # As SQLAlchemy writes it: sqlite:///relative.sqlite3, sqlite:////absolute.sqlite3.
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path:
            raise ValueError("a sqlite:/// URL needs a file path, as in sqlite:///data.sqlite3")
        return "sqlite", path
    if scheme in ("postgresql", "postgres"):
        return "postgresql", url
    raise ValueError(
        f"database URL {url!r}: use sqlite:///PATH or postgresql://USER@HOST:PORT/NAME"
    )


def as_mapping(row: Row) -> Mapping[str, Any]:
    """A row as a column-to-value mapping."""
    return dict(zip(row.keys(), row, strict=True))
