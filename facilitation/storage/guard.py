"""Guarding the data across releases: refusing a database a newer release has upgraded, the
backup taken before an upgrade, and the health probe behind /healthz (used by db.Database)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

import aiosqlite

from facilitation.storage.copies import (
    DatabaseRefused,
    copy_database,
    pre_upgrade_copies,
    pre_upgrade_path,
)
from facilitation.version import __version__

log = logging.getLogger("facilitation.storage")

# Every connection waits this long for a lock before a write fails as "database is locked".
BUSY_TIMEOUT_MS = 5000
# The health probe waits less: a write lock held this long already delays the room's votes.
PROBE_WAIT_MS = 1000


@dataclass(frozen=True, slots=True)
class Health:
    """What the health probe found: whether all is well, the migration level, and if not, why."""

    ok: bool
    migration: str
    reason: str = ""


def level_problem(applied: tuple[str, ...], known: tuple[str, ...]) -> str:
    """What is wrong with a database's migration level for this release ("" if nothing)."""
    unknown = [name for name in applied if name not in known]
    if unknown:
        return (
            f"the database records migration {', '.join(unknown)}, which this release "
            f"({__version__}) does not know: a newer release has upgraded it"
        )
    missing = [name for name in known if name not in applied]
    if missing:
        return f"migration {', '.join(missing)} has not been applied"
    return ""


def newer_release_message(path: str, applied: tuple[str, ...], known: tuple[str, ...]) -> str:
    """Why a database upgraded by a newer release is not served, and the two ways out."""
    unknown = [name for name in applied if name not in known]
    copies = pre_upgrade_copies(path, unknown[0])
    backup = str(copies[-1]) if copies else "BACKUP"
    where = (
        f"the copy taken before that upgrade is {backup}"
        if copies
        else "use a backup taken before that upgrade"
    )
    return (
        f"Refusing to open {path}: a newer release of facilitation has upgraded it. It records "
        f"migration {', '.join(unknown)}, which this release ({__version__}) does not know, so "
        "serving it could lose or damage data.\n"
        "Either install the newer release again, or go back to the data as it was before the "
        f"upgrade ({where}):\n"
        f"    facilitation restore {backup} --data {path}"
    )


async def prepare_upgrade(
    writer: aiosqlite.Connection, path: str, known: tuple[str, ...]
) -> str | None:
    """Refuse a database from a newer release; copy one that has data before migrating it.
    Returns the copy's path, if one was taken."""
    has_table = await writer.execute_fetchall(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'"
    )
    query = "SELECT name FROM migrations ORDER BY name"
    applied = tuple(r[0] for r in await writer.execute_fetchall(query)) if has_table else ()
    if any(name not in known for name in applied):
        raise DatabaseRefused(newer_release_message(path, applied, known))
    pending = [name for name in known if name not in applied]
    if not (applied and pending):
        return None
    target = pre_upgrade_path(path, pending[0])
    copied = await asyncio.to_thread(copy_database, path, str(target))
    log.warning(
        "Backed up %s to %s before applying migration %s. To undo the upgrade, stop the "
        "server, install the release you had and run: facilitation restore %s --data %s",
        path,
        target,
        ", ".join(pending),
        target,
        path,
    )
    return copied.copy.path


async def probe(
    writer: aiosqlite.Connection,
    reader: Any,
    path: str,
    known: tuple[str, ...],
    write_failure: str | None,
) -> tuple[Health, str | None]:
    """Whether the database can be read and written, at this release's migration level; with
    the write failure still standing afterwards. The caller holds the write lock.

    The probe writes nothing while writes succeed: it takes the write lock and lets it go.
    Once a write has failed (a full disk, a read-only file system), it tries a real write of
    its own, so that it reports the failure until writing works again.
    """
    try:
        applied = tuple(r[0] for r in await reader.all("SELECT name FROM migrations ORDER BY name"))
    except sqlite3.Error as exc:
        return Health(False, "", f"the database cannot be read: {exc}"), write_failure
    level = applied[-1] if applied else ""
    problem = level_problem(applied, known)
    if problem:
        return Health(False, level, problem), write_failure
    if not os.access(path, os.W_OK):
        return Health(False, level, f"the database file {path} is read-only"), write_failure
    problem, write_failure = await _probe_write(writer, write_failure)
    return Health(not problem, level, problem), write_failure


async def _probe_write(
    db: aiosqlite.Connection, write_failure: str | None
) -> tuple[str, str | None]:
    await db.execute(f"PRAGMA busy_timeout = {PROBE_WAIT_MS}")
    try:
        await db.execute("BEGIN IMMEDIATE")
        if write_failure is None:
            await db.execute("ROLLBACK")
            return "", None
        await db.execute(
            "INSERT INTO meta (key, value) VALUES ('written_at', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(time.time()),),
        )
        await db.execute("COMMIT")
        return "", None
    except sqlite3.Error as exc:
        if db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                await db.execute("ROLLBACK")
        if exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:
            return f"another program is holding the database's write lock ({exc})", write_failure
        return f"the database cannot be written: {exc}", write_failure
    finally:
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
