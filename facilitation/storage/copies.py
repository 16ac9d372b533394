"""Copies of the database file: a consistent online backup, its checks, and putting one back.

Part of the storage layer. These run outside the server's event loop (from the command line, or in
a thread before migrations) through their own sqlite3 connections, so a running server is never
paused for them.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Pages copied per step of a backup: 1 MiB of SQLite's default 4 KiB pages.
STEP_PAGES = 256
# How long restore waits for a lock before it concludes that a server has the database open.
IN_USE_WAIT = 2.0
# Files SQLite keeps beside a database while it is in use or after a crash.
COMPANIONS = ("-wal", "-shm", "-journal")
# What a backup counts, for the operator to recognise their data (tables present since 0001).
COUNTED = ("workshops", "participants", "ballots")


class DatabaseRefused(Exception):
    """A database that cannot be used as asked; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Inspection:
    """What a database file holds, as checked: integrity, migrations, a few counts."""

    path: str
    size: int
    integrity: str
    migrations: tuple[str, ...]
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class Copied:
    """A finished backup: the checked copy, and how it was made."""

    copy: Inspection
    steps: int
    seconds: float


def stamp() -> str:
    """The local time, for file names that sort by date."""
    return time.strftime("%Y%m%d-%H%M%S")


def pre_upgrade_path(data_path: str, migration: str) -> Path:
    """Where the copy taken before ``migration`` is applied goes: next to the database."""
    data = Path(data_path)
    path = data.with_name(f"{data.stem}.pre-{migration}.sqlite3")
    # A second upgrade to the same step (after a restore) keeps the first copy too.
    return (
        path.with_name(f"{data.stem}.pre-{migration}-{stamp()}.sqlite3") if path.exists() else path
    )


def pre_upgrade_copies(data_path: str, migration: str) -> list[Path]:
    """The copies taken before ``migration`` was applied, oldest first."""
    data = Path(data_path)
    return sorted(data.parent.glob(f"{data.stem}.pre-{migration}*.sqlite3"))


def open_read_only(path: str) -> sqlite3.Connection:
    """A connection that cannot change the file, nor leave -wal or -shm files beside it."""
    # A WAL database read without its -wal needs no shared memory if it is opened as immutable.
    flag = "mode=ro" if Path(f"{path}-wal").exists() else "immutable=1"
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?{flag}", uri=True)


def read_migrations(db: sqlite3.Connection) -> tuple[str, ...]:
    """The migrations a database records, in name order; empty for a new database."""
    has_table = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'"
    ).fetchone()
    if not has_table:
        return ()
    return tuple(r[0] for r in db.execute("SELECT name FROM migrations ORDER BY name"))


def copy_database(
    source: str, target: str, *, step_pages: int = STEP_PAGES, pause: float = 0.0
) -> Copied:
    """Copy a database that may be in use into a new file, then check the copy.

    SQLite's online backup copies ``step_pages`` pages per step. Between steps it would normally
    drop its read lock, and a write by the server in between makes it start again from the first
    page; under a steady stream of ballots it may never finish. So the copy holds one read
    transaction from the first step to the last: every step reads the same committed state, and in
    WAL mode (the server's) a reader never blocks the writer, whose commits simply wait in the WAL
    until the copy ends. The copy is written under a temporary name and renamed once checked, so a
    failed backup never leaves a file that looks like a good one.
    """
    if not Path(source).is_file():
        raise DatabaseRefused(f"There is no database file at {source}.")
    final = Path(target)
    if final.exists():
        raise DatabaseRefused(f"{target} already exists; a backup never overwrites a file.")
    if not final.parent.is_dir():
        raise DatabaseRefused(f"The folder {final.parent} does not exist.")
    partial = final.with_name(final.name + ".partial")
    _remove(partial)  # left by a backup that was interrupted
    started = time.monotonic()
    steps = 0

    def step(_status: int, _remaining: int, _total: int) -> None:
        nonlocal steps
        steps += 1
        if pause:
            time.sleep(pause)

    src = sqlite3.connect(source, isolation_level=None)
    try:
        src.execute("PRAGMA query_only = ON")
        src.execute("BEGIN")
        try:
            level = read_migrations(src)  # the first read starts the snapshot the copy is made of
        except sqlite3.DatabaseError as exc:
            raise DatabaseRefused(f"{source} is not a readable SQLite database: {exc}.") from exc
        if not level:
            raise DatabaseRefused(
                f"{source} is not a facilitation database: it records no migrations."
            )
        dest = sqlite3.connect(partial, isolation_level=None)
        try:
            src.backup(dest, pages=step_pages, progress=step)
            # A backup is one self-contained file; the server turns WAL on again when it opens it.
            dest.execute("PRAGMA journal_mode = DELETE")
        finally:
            dest.close()
        src.execute("COMMIT")
    except BaseException:
        _remove(partial)
        raise
    finally:
        src.close()
    try:
        copy = inspect(str(partial))
        if copy.integrity != "ok":
            raise DatabaseRefused(f"The copy failed its integrity check: {copy.integrity}")
        if copy.migrations != level:
            raise DatabaseRefused("The copy's migrations differ from the database's.")
        os.replace(partial, final)
    except BaseException:
        _remove(partial)
        raise
    copy = Inspection(str(final), copy.size, copy.integrity, copy.migrations, copy.counts)
    return Copied(copy, steps, time.monotonic() - started)


def inspect(path: str, *, read_only: bool = False) -> Inspection:
    """Check a database file: its integrity, its migrations and what it holds."""
    if not Path(path).is_file():
        raise DatabaseRefused(f"There is no database file at {path}.")
    try:
        db = open_read_only(path) if read_only else sqlite3.connect(path)
    except sqlite3.Error as exc:
        raise DatabaseRefused(f"{path} cannot be opened: {exc}.") from exc
    try:
        integrity = "; ".join(r[0] for r in db.execute("PRAGMA integrity_check(20)"))
        migrations = read_migrations(db)
        if not migrations:
            raise DatabaseRefused(
                f"{path} is not a facilitation database: it records no migrations."
            )
        counts = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in COUNTED}
    except sqlite3.DatabaseError as exc:
        raise DatabaseRefused(f"{path} is not a readable SQLite database: {exc}.") from exc
    finally:
        db.close()
    return Inspection(path, Path(path).stat().st_size, integrity, migrations, counts)


@contextlib.contextmanager
def held_exclusively(path: str) -> Iterator[None]:
    """Hold a database so that no server can open it meanwhile; DatabaseRefused if one has it.

    Every connection to a WAL database holds a shared lock from its first read until it closes,
    so leaving WAL mode, which needs the only lock, fails while a server (or a backup) has the
    file open. Leaving
    it also folds the WAL into the main file and removes the -wal and -shm files, so that what is
    set aside is the whole database in one file.
    """
    in_use = DatabaseRefused(
        f"{path} is in use: a server (or a backup) has it open. Stop the server, then restore."
    )
    db = sqlite3.connect(path, isolation_level=None, timeout=IN_USE_WAIT)
    try:
        try:
            db.execute("PRAGMA journal_mode = DELETE")
            db.execute("PRAGMA locking_mode = EXCLUSIVE")
            db.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise in_use from exc
            raise
        except sqlite3.DatabaseError:
            # Not a database SQLite can open (the reason to restore, perhaps): ask the locks.
            db.close()
            if _locked_by_another_process(path):
                raise in_use from None
        yield
    finally:
        db.close()


def _locked_by_another_process(path: str) -> bool:
    """Whether another process holds SQLite's shared lock on the file, read from the lock bytes
    SQLite places at the 1 GiB offset (the file format's "lock-byte page")."""
    import fcntl

    shared_first, shared_size = 0x40000002, 510
    with open(path, "rb+") as f:
        try:
            fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, shared_size, shared_first)
        except OSError:
            return True
        fcntl.lockf(f, fcntl.LOCK_UN, shared_size, shared_first)
        return False


@dataclass(frozen=True, slots=True)
class Restored:
    """A restore done: what was put in place, and where the database it replaced went."""

    restored: Inspection
    set_aside: tuple[str, ...]


def restore_database(backup: str, target: str) -> Restored:
    """Put a checked backup in place of the database at ``target``, keeping the old one aside.

    The backup is read through SQLite (so a copy taken with its -wal file comes back whole) into a
    temporary file beside the target, checked, and renamed into place while the old database is
    held exclusively. The old database and any -wal/-shm files beside it are renamed to
    ``<name>.before-restore-<time>``: a stale -wal left next to the restored file would otherwise
    be replayed into it.
    """
    target_path = Path(target)
    if not target_path.parent.is_dir():
        raise DatabaseRefused(f"The folder {target_path.parent} does not exist.")
    if Path(backup).resolve() == target_path.resolve():
        raise DatabaseRefused(f"{backup} is the database itself; name a backup to restore.")
    source = inspect(backup, read_only=True)
    if source.integrity != "ok":
        raise DatabaseRefused(f"{backup} failed its integrity check: {source.integrity}")
    when = stamp()
    aside = target_path.with_name(f"{target_path.name}.before-restore-{when}")
    incoming = target_path.with_name(f"{target_path.name}.restoring-{when}")
    held = held_exclusively(target) if target_path.exists() else contextlib.nullcontext()
    with held:
        try:
            src = open_read_only(backup)
            dest = sqlite3.connect(incoming, isolation_level=None)
            try:
                src.backup(dest)
                dest.execute("PRAGMA journal_mode = DELETE")
            finally:
                dest.close()
                src.close()
            check = inspect(str(incoming))
            if check.integrity != "ok" or check.migrations != source.migrations:
                raise DatabaseRefused(f"The copy of {backup} did not read back the same.")
            moved: list[tuple[str, str]] = []
            try:
                for suffix in ("", *COMPANIONS):
                    if Path(f"{target}{suffix}").exists():
                        os.rename(f"{target}{suffix}", f"{aside}{suffix}")
                        moved.append((f"{target}{suffix}", f"{aside}{suffix}"))
                os.replace(incoming, target_path)
            except BaseException:
                for old, new in reversed(moved):
                    os.rename(new, old)
                raise
        except BaseException:
            _remove(incoming)
            raise
    restored = Inspection(target, check.size, check.integrity, check.migrations, check.counts)
    return Restored(restored, tuple(new for _old, new in moved))


def _remove(path: Path) -> None:
    for suffix in ("", *COMPANIONS):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{path}{suffix}")
