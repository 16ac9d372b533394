"""Moving a whole instance between databases (``facilitation migrate-data``): SQLite to PostgreSQL,
or back. The target must be empty; every table is copied as it is, ids included, then counted and
checksummed on both sides, and nothing is kept unless all of it matches.

The checksum of a table is the sum (modulo 2**128) of a hash of each row's values in JSON, so
it does not depend on the order the engines return rows in; integers, floats, text and nulls
come out of both engines as the same JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from facilitation.storage.db import Database
from facilitation.storage.migrations import MIGRATIONS
from facilitation.storage.store import open_database

BATCH = 2000
MODULUS = 2**128


def row_hash(row: Sequence[Any]) -> int:
    """One row's share of its table's checksum."""
    text = json.dumps(list(row), separators=(",", ":"), ensure_ascii=False)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest(), "big")


async def table_sums(rows: AsyncIterator[Sequence[Any]]) -> tuple[int, int]:
    """(rows, checksum) of a table's rows."""
    count, total = 0, 0
    async for row in rows:
        count += 1
        total = (total + row_hash(row)) % MODULUS
    return count, total


async def _user_rows(db: Database) -> int:
    total = 0
    for table in await db.tables():
        if table != "migrations":
            total += int(await db.value(f'SELECT COUNT(*) FROM "{table}"'))
    return total


async def migrate_data(source_url: str, target_url: str) -> str:
    """Copy everything from ``source_url`` into the empty ``target_url``; returns the report.
    ValueError (nothing written, or everything rolled back) when it cannot."""
    if source_url == target_url:
        raise ValueError("--from and --to name the same database.")
    source = open_database(source_url, migrations=MIGRATIONS)
    target = open_database(target_url, migrations=MIGRATIONS)
    await source.open()
    try:
        await target.open()
        try:
            return await _copy(source, target)
        finally:
            await target.close()
    finally:
        await source.close()


async def _copy(source: Database, target: Database) -> str:
    if await _user_rows(target):
        raise ValueError(
            "the target database already holds data; migrate-data only fills an empty one, "
            "so that nothing there is overwritten."
        )
    tables = [t for t in await source.tables() if t != "migrations"]
    missing = set(tables) - set(await target.tables())
    if missing:
        raise ValueError(f"the target lacks the tables {', '.join(sorted(missing))}.")
    plan = []
    for table in tables:
        columns = await source.columns(table)
        absent = set(columns) - set(await target.columns(table))
        if absent:
            raise ValueError(f"the target's table {table} lacks {', '.join(sorted(absent))}.")
        plan.append((table, columns))
    lines = []
    async with target.loading() as loader:
        for table, columns in plan:
            batch: list[Sequence[Any]] = []
            async for row in source.rows(table, columns):
                batch.append(row)
                if len(batch) >= BATCH:
                    await loader.load(table, columns, batch)
                    batch = []
            if batch:
                await loader.load(table, columns, batch)
        # Checked inside the loading transaction: a mismatch keeps nothing.
        for table, columns in plan:
            want = await table_sums(source.rows(table, columns))
            got = await table_sums(loader.rows(table, columns))
            if want != got:
                raise ValueError(
                    f"table {table} differs after copying ({want[0]} rows in the source, "
                    f"{got[0]} in the target; checksums {want[1]:032x} and {got[1]:032x}); "
                    "nothing was kept."
                )
            lines.append(f"  {table:<20} {want[0]:>8} rows  checksum {want[1]:032x}")
    return "Copied every table; counts and checksums match:\n" + "\n".join(lines)
