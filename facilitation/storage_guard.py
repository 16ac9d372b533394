"""Store methods that guard the data across releases: refusing a database a newer release has
upgraded, the backup taken before an upgrade, and the health probe behind /healthz.

Part of the storage layer, mixed into ``storage.Store``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from facilitation import __version__
from facilitation.storage_backup import (
    DatabaseRefused,
    copy_database,
    pre_upgrade_copies,
    pre_upgrade_path,
)

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


class GuardStore:
    """The upgrade guard and the health probe; relies on Store's connections and lock."""

    path: str
    migration_names: tuple[str, ...]
    upgrade_backup: str | None
    _write_failure: str | None
    _writer: Any
    _lock: asyncio.Lock
    _all: Any

    async def _prepare_upgrade(self) -> None:
        """Refuse a database from a newer release; copy one that has data before migrating it."""
        db = self._writer
        has_table = await db.execute_fetchall(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'"
        )
        query = "SELECT name FROM migrations ORDER BY name"
        applied = tuple(r[0] for r in await db.execute_fetchall(query)) if has_table else ()
        if any(name not in self.migration_names for name in applied):
            raise DatabaseRefused(newer_release_message(self.path, applied, self.migration_names))
        pending = [name for name in self.migration_names if name not in applied]
        if applied and pending:
            target = pre_upgrade_path(self.path, pending[0])
            copied = await asyncio.to_thread(copy_database, self.path, str(target))
            self.upgrade_backup = copied.copy.path
            log.warning(
                "Backed up %s to %s before applying migration %s. To undo the upgrade, stop the "
                "server, install the release you had and run: facilitation restore %s --data %s",
                self.path,
                target,
                ", ".join(pending),
                target,
                self.path,
            )

    async def health(self) -> Health:
        """Whether the database can be read and written, at this release's migration level.

        The probe writes nothing while writes succeed: it takes the write lock and lets it go.
        Once a write has failed (a full disk, a read-only file system), it tries a real write of
        its own, so that it reports the failure until writing works again.
        """
        if self._writer is None:
            return Health(False, "", "the database is not open")
        try:
            applied = tuple(
                r[0] for r in await self._all("SELECT name FROM migrations ORDER BY name")
            )
        except sqlite3.Error as exc:
            return Health(False, "", f"the database cannot be read: {exc}")
        level = applied[-1] if applied else ""
        problem = level_problem(applied, self.migration_names)
        if problem:
            return Health(False, level, problem)
        if not os.access(self.path, os.W_OK):
            return Health(False, level, f"the database file {self.path} is read-only")
        problem = await self._probe_write()
        return Health(not problem, level, problem)

    async def _probe_write(self) -> str:
        db = self._writer
        async with self._lock:
            await db.execute(f"PRAGMA busy_timeout = {PROBE_WAIT_MS}")
            try:
                await db.execute("BEGIN IMMEDIATE")
                if self._write_failure is None:
                    await db.execute("ROLLBACK")
                    return ""
                await db.execute(
                    "INSERT INTO meta (key, value) VALUES ('written_at', ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(time.time()),),
                )
                await db.execute("COMMIT")
                self._write_failure = None
                return ""
            except sqlite3.Error as exc:
                if db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        await db.execute("ROLLBACK")
                if exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:
                    return f"another program is holding the database's write lock ({exc})"
                return f"the database cannot be written: {exc}"
            finally:
                await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
