"""Backups from the command line: take one while the server runs, put one back, and the check
that stops a release from serving a database a newer release has upgraded."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from facilitation.settings import Settings
from facilitation.storage.copies import (
    STEP_PAGES,
    DatabaseRefused,
    Inspection,
    copy_database,
    open_read_only,
    read_migrations,
    restore_database,
    stamp,
)
from facilitation.storage.guard import newer_release_message
from facilitation.storage.store import Store

KNOWN = Store.migration_names


def backup(
    settings: Settings, target: str, *, step_pages: int = STEP_PAGES, pause: float = 0.0
) -> str:
    """Copy the database to ``target`` (a new file, or a folder to put a dated file in) and
    check the copy; returns what to tell the operator."""
    source = Path(settings.data_path)
    path = Path(target)
    if path.is_dir():
        path = path / f"{source.stem}-{stamp()}.sqlite3"
    copied = copy_database(str(source), str(path), step_pages=step_pages, pause=pause)
    size = copied.copy.size / 1_000_000
    return (
        f"Backed up {source} to {path}\n"
        f"  {size:.1f} MB in {copied.seconds:.2f} s ({counted(copied.steps, 'step')}); "
        f"integrity check: {copied.copy.integrity}\n"
        f"  {describe(copied.copy)}"
    )


def restore(settings: Settings, backup_path: str) -> str:
    """Put a backup in place of the database (no server may be using it); returns what to tell
    the operator."""
    if not Path(backup_path).is_file():
        raise DatabaseRefused(f"There is no backup file at {backup_path}.")
    if Path(backup_path).resolve() == Path(settings.data_path).resolve():
        raise DatabaseRefused(f"{backup_path} is the database itself; name a backup to restore.")
    with closing(open_read_only(backup_path)) as db:
        applied = _readable_migrations(db, backup_path)
    if any(name not in KNOWN for name in applied):
        raise DatabaseRefused(
            newer_release_message(backup_path, applied, KNOWN).replace(
                "Refusing to open", "Refusing to restore", 1
            )
        )
    done = restore_database(backup_path, settings.data_path)
    lines = [f"Restored {backup_path} to {settings.data_path}", f"  {describe(done.restored)}"]
    if done.set_aside:
        lines.append("  The database it replaced is kept as " + ", ".join(done.set_aside))
    if len(done.restored.migrations) < len(KNOWN):
        lines.append(
            "  The server will upgrade it when it starts, after taking a backup of it first."
        )
    return "\n".join(lines)


def refuse_newer_database(data_path: str) -> None:
    """DatabaseRefused if a newer release has upgraded the database; nothing if it is new."""
    if not Path(data_path).is_file():
        return
    with closing(sqlite3.connect(data_path)) as db:
        applied = _readable_migrations(db, data_path)
    if any(name not in KNOWN for name in applied):
        raise DatabaseRefused(newer_release_message(data_path, applied, KNOWN))


def describe(found: Inspection) -> str:
    """A database's migration level and what it holds, in one line."""
    level = found.migrations[-1] if found.migrations else "none"
    known = sum(name in KNOWN for name in found.migrations)
    newer = [name for name in found.migrations if name not in KNOWN]
    if newer:
        where = f"includes {', '.join(newer)} from a newer release"
    elif known == len(KNOWN):
        where = f"all {known} migrations of this release"
    else:
        where = f"{known} of this release's {len(KNOWN)} migrations"
    holds = ", ".join(counted(n, table.removesuffix("s")) for table, n in found.counts.items())
    return f"migration level {level} ({where}); holds {holds}"


def counted(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def _readable_migrations(db: sqlite3.Connection, path: str) -> tuple[str, ...]:
    try:
        return read_migrations(db)
    except sqlite3.DatabaseError as exc:
        raise DatabaseRefused(f"{path} is not a readable SQLite database: {exc}.") from exc
