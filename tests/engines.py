"""Which engine the tests run on: SQLite (the default) or PostgreSQL with Redis.

``pytest --engine postgresql`` (or FACILITATION_TEST_ENGINE=postgresql) runs the same tests on the
servers named by FACILITATION_TEST_POSTGRES_URL and FACILITATION_TEST_REDIS_URL (`scripts/services
start` starts both and prints them); each database the tests ask for is then a fresh schema of
that PostgreSQL database. Tests that are about the SQLite file itself carry the ``sqlite_only``
marker and are deselected there; tests that need the servers themselves (several workers, the
Redis hub) carry ``servers`` and are deselected on SQLite: deselected, never skipped.
"""

from __future__ import annotations

import os
import uuid

ENGINE_VARIABLE = "FACILITATION_TEST_ENGINE"
POSTGRES_VARIABLE = "FACILITATION_TEST_POSTGRES_URL"
REDIS_VARIABLE = "FACILITATION_TEST_REDIS_URL"
ENGINES = ("sqlite", "postgresql")


def engine() -> str:
    return os.environ.get(ENGINE_VARIABLE, "sqlite")


def on_postgres() -> bool:
    return engine() == "postgresql"


def database(sqlite_path: str) -> str:
    """Where a test's data goes: ``sqlite_path`` on SQLite, else a new PostgreSQL schema."""
    if not on_postgres():
        return sqlite_path
    base = os.environ[POSTGRES_VARIABLE]
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}search_path=t_{uuid.uuid4().hex[:16]}"


def redis_url() -> str:
    """The Redis the servers share on PostgreSQL; none on SQLite."""
    return os.environ[REDIS_VARIABLE] if on_postgres() else ""


def is_url(data: str) -> bool:
    return "://" in data


def missing_services() -> str:
    """Why the PostgreSQL run cannot start ("" when both servers answer)."""
    import socket
    from urllib.parse import urlsplit

    problems = []
    for variable in (POSTGRES_VARIABLE, REDIS_VARIABLE):
        url = os.environ.get(variable, "")
        if not url:
            problems.append(f"{variable} is not set")
            continue
        parts = urlsplit(url)
        try:
            socket.create_connection((parts.hostname, parts.port), timeout=2).close()
        except OSError as exc:
            problems.append(f"nothing answers at {variable}={url} ({exc})")
    if not problems:
        return ""
    return (
        "pytest --engine postgresql needs a PostgreSQL and a Redis server: "
        + "; ".join(problems)
        + '. Start both with: eval "$(scripts/services start)"'
    )


class _PgCursor:
    def __init__(self, rows: list) -> None:
        self._rows = [tuple(r) for r in rows]

    def fetchone(self):
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list:
        return list(self._rows)

    def __iter__(self):
        return iter(self._rows)


class _PgRaw:
    """A plain connection beside the store, as another process would have (autocommit)."""

    def __init__(self, url: str) -> None:
        import asyncio
        import threading

        import asyncpg

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._conn = self._run(asyncpg.connect(url))

    def _run(self, coro):
        import asyncio

        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(30)

    def execute(self, sql: str, params=()) -> _PgCursor:
        from facilitation.storage.postgres import placeholders

        return _PgCursor(self._run(self._conn.fetch(placeholders(sql), *params)))

    def commit(self) -> None:
        """Each statement commits by itself here."""

    def iterdump(self) -> list[str]:
        """Every row of every table, as text, in a stable order (as sqlite3's iterdump)."""
        tables = self.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.relname"
        )
        lines = []
        for (table,) in tables:
            rows = self.execute(f'SELECT * FROM "{table}"').fetchall()
            lines += sorted(f"{table} {row!r}" for row in rows)
        return lines

    def close(self) -> None:
        self._run(self._conn.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


def raw(data: str):
    """A plain connection to a test's database beside the store (foreign keys enforced)."""
    import sqlite3
    from contextlib import closing

    if is_url(data):
        return closing(_PgRaw(data))
    db = sqlite3.connect(data, timeout=5)
    db.execute("PRAGMA foreign_keys = ON")
    return closing(db)


def raw_integrity_errors() -> tuple[type[Exception], ...]:
    """What a plain connection raises when the schema refuses a row, on either engine."""
    import sqlite3

    import asyncpg

    return (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)
