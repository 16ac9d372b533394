"""What a layer between the app and PostgreSQL costs: a ballot's transaction (lock the workshop's
row, store the submission once, replace the ballot, bump the revision) through asyncpg directly,
as the PostgreSQL engine does it, and through SQLAlchemy Core's asyncio engine on the same asyncpg
driver, with the same SQL in text() and with its expression language.

SQLAlchemy is not one of the app's dependencies: run this from a virtualenv that has it.

    python3 -m venv /tmp/sa && /tmp/sa/bin/pip install sqlalchemy asyncpg greenlet
    eval "$(scripts/services start)"
    /tmp/sa/bin/python bench/sql_layer.py --transactions 2000

It prints, for each way, the client's CPU time and the wall time per transaction (the median of
--repeats runs), on the database named by FACILITATION_TEST_POSTGRES_URL, in a throwaway schema.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid

import asyncpg
from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import create_async_engine

SCHEMA = f"sql_layer_{uuid.uuid4().hex[:8]}"
DDL = [
    f"CREATE SCHEMA {SCHEMA}",
    f"CREATE TABLE {SCHEMA}.workshops (id integer PRIMARY KEY, revision integer NOT NULL)",
    f"CREATE TABLE {SCHEMA}.submissions (client_id text PRIMARY KEY, participant_id integer,"
    " revision integer, at double precision)",
    f"CREATE TABLE {SCHEMA}.ballots (round_id integer, participant_id integer, payload text,"
    " revision integer, PRIMARY KEY (round_id, participant_id))",
    f"INSERT INTO {SCHEMA}.workshops VALUES (1, 0)",
]
LOCK = f"SELECT id FROM {SCHEMA}.workshops WHERE id = $1 FOR UPDATE"
SUBMIT = (
    f"INSERT INTO {SCHEMA}.submissions VALUES ($1, $2, $3, $4) ON CONFLICT (client_id) DO NOTHING"
)
BALLOT = (
    f"INSERT INTO {SCHEMA}.ballots VALUES ($1, $2, $3, $4) ON CONFLICT (round_id, participant_id)"
    " DO UPDATE SET payload = excluded.payload, revision = excluded.revision"
)
BUMP = f"UPDATE {SCHEMA}.workshops SET revision = revision + 1 WHERE id = $1 RETURNING revision"

meta = MetaData(schema=SCHEMA)
workshops = Table(
    "workshops", meta, Column("id", Integer, primary_key=True), Column("revision", Integer)
)
submissions = Table(
    "submissions",
    meta,
    Column("client_id", Text, primary_key=True),
    Column("participant_id", Integer),
    Column("revision", Integer),
    Column("at", Float),
)
ballots = Table(
    "ballots",
    meta,
    Column("round_id", Integer, primary_key=True),
    Column("participant_id", Integer, primary_key=True),
    Column("payload", Text),
    Column("revision", Integer),
)


def named(sql: str) -> str:
    """The same statement with :pN parameters, for text()."""
    for n in range(4, 0, -1):
        sql = sql.replace(f"${n}", f":p{n}")
    return sql


async def direct(url: str, n: int) -> None:
    pool = await asyncpg.create_pool(url, min_size=1, max_size=1)
    async with pool.acquire() as conn:
        for i in range(n):
            async with conn.transaction():
                await conn.fetchval(LOCK, 1)
                await conn.execute(SUBMIT, f"d{i}", i % 500, i, 1.0)
                await conn.execute(BALLOT, 1, i % 500, '{"1": 2}', i)
                await conn.fetchval(BUMP, 1)
    await pool.close()


async def sa_text(url: str, n: int) -> None:
    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://"))
    lock, submit, ballot, bump = (text(named(s)) for s in (LOCK, SUBMIT, BALLOT, BUMP))
    async with engine.connect() as conn:
        for i in range(n):
            async with conn.begin():
                await conn.execute(lock, {"p1": 1})
                await conn.execute(submit, {"p1": f"t{i}", "p2": i % 500, "p3": i, "p4": 1.0})
                await conn.execute(ballot, {"p1": 1, "p2": i % 500, "p3": '{"1": 2}', "p4": i})
                (await conn.execute(bump, {"p1": 1})).scalar_one()
    await engine.dispose()


async def sa_core(url: str, n: int) -> None:
    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://"))
    lock = select(workshops.c.id).where(workshops.c.id == 1).with_for_update()
    bump = (
        update(workshops)
        .where(workshops.c.id == 1)
        .values(revision=workshops.c.revision + 1)
        .returning(workshops.c.revision)
    )
    async with engine.connect() as conn:
        for i in range(n):
            async with conn.begin():
                await conn.execute(lock)
                await conn.execute(
                    insert(submissions)
                    .values(client_id=f"c{i}", participant_id=i % 500, revision=i, at=1.0)
                    .on_conflict_do_nothing(index_elements=["client_id"])
                )
                new = insert(ballots).values(
                    round_id=1, participant_id=i % 500, payload='{"1": 2}', revision=i
                )
                await conn.execute(
                    new.on_conflict_do_update(
                        index_elements=["round_id", "participant_id"],
                        set_={"payload": new.excluded.payload, "revision": new.excluded.revision},
                    )
                )
                (await conn.execute(bump)).scalar_one()
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    base = os.environ["FACILITATION_TEST_POSTGRES_URL"]
    conn = await asyncpg.connect(base)
    try:
        for statement in DDL:
            await conn.execute(statement)
        ways = {"asyncpg": direct, "SQLAlchemy text()": sa_text, "SQLAlchemy Core": sa_core}
        print(f"{args.transactions} ballot transactions, median of {args.repeats} runs")
        print("| way | client CPU µs per transaction | wall µs per transaction |")
        print("| --- | --- | --- |")
        for name, way in ways.items():
            cpu, wall = [], []
            for _ in range(args.repeats):
                await conn.execute(f"TRUNCATE {SCHEMA}.submissions, {SCHEMA}.ballots")
                c0, w0 = time.process_time(), time.perf_counter()
                await way(base, args.transactions)
                cpu.append(time.process_time() - c0)
                wall.append(time.perf_counter() - w0)
            per = 1e6 / args.transactions
            cpu_us, wall_us = statistics.median(cpu) * per, statistics.median(wall) * per
            print(f"| {name} | {cpu_us:.0f} | {wall_us:.0f} |")
    finally:
        await conn.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
        await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
