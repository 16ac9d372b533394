"""Group commit on PostgreSQL: a workshop's phone writes that arrive together, written by one
statement in one transaction, each answered only after that commit.

A workshop's writes are serialised by its lock, and on PostgreSQL each transaction waits for its
commit to reach the disk; writing those that queued up meanwhile together makes one commit, one
lock and one statement serve them all. The statement takes one array per column (so every group
size shares one prepared statement) and returns one row per write, in order, saying what became
of it: a write it refused (a closed round, a resend) is answered as it would have been alone and
sinks no other. If the statement fails (a key refused one write), each is written again alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from facilitation.storage.db import Database, Row

# The most writes one transaction takes: a larger group would keep the earliest waiting.
GROUP_MAX = 64


@dataclass(frozen=True, slots=True)
class Waiting:
    """A write waiting for its workshop's next group (its columns, the participant's id among
    them), and its sender waiting for its row."""

    columns: tuple[object, ...]
    participant_id: int
    answer: asyncio.Future[Row | None]


def next_group(waiting: list[Waiting]) -> tuple[list[Waiting], list[Waiting]]:
    """The next group to write, and those left for a later one: up to GROUP_MAX writes, in the
    order they came, each participant's first only. A participant's later write (a resend, or a
    changed mind) waits for the next group, which sees the first committed, as one at a time
    would have; the statement need then never touch one participant's row twice."""
    group: list[Waiting] = []
    later: list[Waiting] = []
    participants: set[int] = set()
    for one in waiting:
        if len(group) < GROUP_MAX and one.participant_id not in participants:
            participants.add(one.participant_id)
            group.append(one)
        else:
            later.append(one)
    return group, later


def _answer(waiting: asyncio.Future[Row | None], outcome: Row | BaseException | None) -> None:
    """Hand a waiting write its row or its failure, unless its sender has stopped waiting."""
    if waiting.done():
        return
    if isinstance(outcome, asyncio.CancelledError):
        waiting.cancel()
    elif isinstance(outcome, BaseException):
        waiting.set_exception(outcome)
    else:
        waiting.set_result(outcome)


class GroupWriter:
    """Writes each workshop's waiting writes with ``statement``, whose parameters are one array
    per column, then the workshop's id twice."""

    def __init__(self, db: Database, statement: str) -> None:
        self._db = db
        self._statement = statement
        self._waiting: dict[int, list[Waiting]] = {}
        self._writers: dict[int, asyncio.Task[None]] = {}

    async def write(self, workshop: int, participant_id: int, columns: tuple[object, ...]) -> Row:
        """Write one row's columns with the workshop's next group; its row, after the commit."""
        answer: asyncio.Future[Row | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(workshop, []).append(Waiting(columns, participant_id, answer))
        if workshop not in self._writers:
            self._writers[workshop] = asyncio.create_task(self._write(workshop))
        row = await answer
        assert row is not None, "the statement returns one row per write"
        return row

    async def _write(self, workshop: int) -> None:
        """Write a workshop's waiting writes, group after group, until none is waiting."""
        try:
            for _group in range(1_000_000):
                group, later = next_group(self._waiting.pop(workshop, []))
                if later:
                    self._waiting[workshop] = later
                if not group:
                    return
                await self._write_one_group(group, workshop)
        finally:
            # In the same step as finding nothing left to write (a done callback would run a
            # step later), so a write arriving after it starts a writer of its own rather than
            # waiting for one that has finished.
            self._writers.pop(workshop, None)

    async def _write_one_group(self, group: list[Waiting], workshop: int) -> None:
        """Write one group and answer each of its writers."""
        try:
            rows = await self._write_group(group, workshop)
        except asyncio.CancelledError as exc:
            # Stopped mid-transaction (the server is shutting down): nothing was committed,
            # and every sender still waiting is told so rather than left waiting.
            for one in group + self._waiting.pop(workshop, []):
                _answer(one.answer, exc)
            raise
        except Exception as exc:
            if len(group) == 1:
                _answer(group[0].answer, exc)
                return
            for one in group:
                try:
                    (row,) = await self._write_group([one], workshop)
                except Exception as alone:
                    _answer(one.answer, alone)
                else:
                    _answer(one.answer, row)
            return
        for one, row in zip(group, rows, strict=True):
            _answer(one.answer, row)

    async def _write_group(self, group: Sequence[Waiting], workshop: int) -> list[Row]:
        """One transaction writing a group: a row per write, in order."""
        arrays = [list(column) for column in zip(*(one.columns for one in group), strict=True)]
        async with self._db.transaction(workshop=workshop) as tx:
            return await tx.all(self._statement, (*arrays, workshop, workshop))
