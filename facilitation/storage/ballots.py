"""Ballots repository: ballots cast once per client id, how many took part, paper entries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass

from facilitation.core.errors import NotFound, RoundNotOpen
from facilitation.core.models import SOURCES, Ballot, Turnout
from facilitation.storage.db import Database, Reader, Row
from facilitation.storage.workshops import bump

# A ballot with where it came from (phone, door tablet, paper), a fact about its participant.
BALLOT_SELECT = "SELECT b.*, p.source FROM ballots b JOIN participants p ON p.id = b.participant_id"


def ballot_payload(ballot: Ballot) -> str:
    """The stored JSON form of a ballot: its entry, in its round kind's own shape."""
    return json.dumps(dict(ballot.entry))


def ballot_from_row(row: Row) -> Ballot:
    """A ballot from its row (read with BALLOT_SELECT to know where it came from)."""
    payload = json.loads(row["payload"])
    return Ballot(
        round_id=row["round_id"],
        participant_id=row["participant_id"],
        entry=payload,
        submitted_at=row["submitted_at"],
        revision=row["revision"],
        source=row["source"] if "source" in row.keys() else "phone",  # noqa: SIM118 (a Row)
    )


# PostgreSQL's cast_ballot for a group of ballots of one workshop, in one statement (its
# data-modifying CTEs run whether or not the final SELECT reads them). For each ballot, in the
# order given: its round's status and an earlier submission with its client id; the ballots of an
# open round of this workshop not sent before each take the workshop's next revision, in order,
# replace their participant's earlier ballot and record their submission. One row comes back per
# ballot, in order, with what cast_result needs. A group holds each participant at most once (an
# upsert may touch a row once per statement); the schema's keys still refuse a second ballot or
# submission, and a refusal fails the whole statement. Parameters are arrays, so every group
# size shares one prepared statement.
CAST_GROUP = """
WITH given AS (
    SELECT * FROM unnest(CAST(? AS INTEGER[]), CAST(? AS INTEGER[]), CAST(? AS TEXT[]),
        CAST(? AS TEXT[]), CAST(? AS DOUBLE PRECISION[]))
        WITH ORDINALITY AS g(round_id, participant_id, client_id, payload, at, n)
),
checked AS (
    SELECT g.*, r.status, r.workshop_id, s.revision AS seen FROM given g
    LEFT JOIN rounds r ON r.id = g.round_id
    LEFT JOIN submissions s ON s.participant_id = g.participant_id AND s.client_id = g.client_id
),
fresh AS (
    SELECT n, round_id, participant_id, client_id, payload, at,
        row_number() OVER (ORDER BY n) AS k
    FROM checked WHERE status = 'open' AND seen IS NULL AND workshop_id = CAST(? AS INTEGER)
),
w AS (
    UPDATE workshops SET revision = revision + (SELECT COUNT(*) FROM fresh)
    WHERE id = CAST(? AS INTEGER) AND EXISTS (SELECT 1 FROM fresh)
    RETURNING revision - (SELECT COUNT(*) FROM fresh) AS base
),
stamped AS (SELECT f.*, w.base + f.k AS revision FROM fresh f CROSS JOIN w),
b AS (
    INSERT INTO ballots (round_id, participant_id, payload, submitted_at, revision)
    SELECT round_id, participant_id, payload, at, revision FROM stamped
    ON CONFLICT (round_id, participant_id) DO UPDATE SET payload = excluded.payload,
        submitted_at = excluded.submitted_at, revision = excluded.revision
),
s AS (
    INSERT INTO submissions (participant_id, client_id, round_id, revision, at)
    SELECT participant_id, client_id, round_id, revision, at FROM stamped
)
SELECT c.status, c.seen, st.revision FROM checked c LEFT JOIN stamped st ON st.n = c.n
ORDER BY c.n
"""


# The most ballots one transaction writes: a larger group would keep the earliest waiting.
GROUP_MAX = 64


@dataclass(frozen=True, slots=True)
class Waiting:
    """A ballot waiting for its workshop's next group, and the sender waiting for its row."""

    ballot: Ballot
    client_id: str
    now: float
    answer: asyncio.Future[Row | None]


def group_params(group: Sequence[Waiting], workshop: int) -> tuple[object, ...]:
    """CAST_GROUP's parameters for a group, in the order of its placeholders."""
    return (
        [w.ballot.round_id for w in group],
        [w.ballot.participant_id for w in group],
        [w.client_id for w in group],
        [ballot_payload(w.ballot) for w in group],
        [w.now for w in group],
        workshop,
        workshop,
    )


def next_group(waiting: list[Waiting]) -> tuple[list[Waiting], list[Waiting]]:
    """The next group to write, and those left for a later one: up to GROUP_MAX ballots, in the
    order they came, each participant's first only. A participant's later ballot (a resend, or a
    changed mind) waits for the next group, which sees the first committed, as one at a time
    would have."""
    group: list[Waiting] = []
    later: list[Waiting] = []
    participants: set[int] = set()
    for one in waiting:
        pid = one.ballot.participant_id
        if len(group) < GROUP_MAX and pid not in participants:
            participants.add(pid)
            group.append(one)
        else:
            later.append(one)
    return group, later


def cast_result(row: Row | None) -> tuple[int, bool]:
    """(revision, duplicate) from CAST_GROUP's row for one ballot, or the refusal it reports."""
    assert row is not None, "the statement always returns one row"
    if row["status"] is None:
        raise NotFound("round")
    if row["seen"] is not None:
        return row["seen"], True
    if row["status"] != "open":
        raise RoundNotOpen()
    if row["revision"] is None:
        raise NotFound("workshop")
    return row["revision"], False


def _answer(waiting: asyncio.Future[Row | None], outcome: Row | BaseException | None) -> None:
    """Hand a waiting ballot its row or its failure, unless its sender has stopped waiting."""
    if waiting.done():
        return
    if isinstance(outcome, asyncio.CancelledError):
        waiting.cancel()
    elif isinstance(outcome, BaseException):
        waiting.set_exception(outcome)
    else:
        waiting.set_result(outcome)


async def round_ballots_in(db: Reader, round_id: int) -> list[Ballot]:
    """A round's ballots in participant order, as counted when it closes (paper not told)."""
    rows = await db.all(
        "SELECT * FROM ballots WHERE round_id = ? ORDER BY participant_id", (round_id,)
    )
    return [ballot_from_row(r) for r in rows]


@dataclass(frozen=True, slots=True)
class Submission:
    """A ballot or idea already stored under its client id: its round, the workshop revision it
    made, and the idea it was (None for a ballot)."""

    round_id: int
    revision: int
    idea_id: int | None


async def round_workshop(db: Reader, round_id: int) -> int:
    """The workshop a round belongs to (which never changes); NotFound if there is no round."""
    workshop_id = await db.value("SELECT workshop_id FROM rounds WHERE id = ?", (round_id,))
    if workshop_id is None:
        raise NotFound("round")
    return int(workshop_id)


class Ballots:
    """Participants' ballots and the figures the room sees about them."""

    def __init__(self, db: Database) -> None:
        self._db = db
        # PostgreSQL's group commit: each workshop's ballots waiting for the next transaction,
        # and the task writing them.
        self._waiting: dict[int, list[Waiting]] = {}
        self._writers: dict[int, asyncio.Task[None]] = {}

    async def cast_ballot(
        self, ballot: Ballot, client_id: str, now: float, workshop: int | None = None
    ) -> tuple[int, bool]:
        """Store a participant's ballot, replacing their earlier one, once per client id.

        Returns (revision, duplicate). The round must still be open when the transaction runs, so
        a ballot racing the facilitator's close is refused rather than counted after the snapshot.
        ``workshop`` (the round's, looked up if not given) scopes the transaction to it.
        """
        if workshop is None:
            workshop = await round_workshop(self._db, ballot.round_id)
        if self._db.engine == "postgresql":
            return await self._cast_in_one(ballot, client_id, now, workshop)
        async with self._db.transaction(workshop=workshop) as tx:
            row = await tx.one(
                "SELECT status, workshop_id FROM rounds WHERE id = ?", (ballot.round_id,)
            )
            if row is None:
                raise NotFound("round")
            seen = await tx.one(
                "SELECT revision FROM submissions WHERE participant_id = ? AND client_id = ?",
                (ballot.participant_id, client_id),
            )
            if seen:
                return seen[0], True
            if row["status"] != "open":
                raise RoundNotOpen()
            revision = await bump(tx, row["workshop_id"])
            await tx.execute(
                "INSERT INTO ballots (round_id, participant_id, payload, submitted_at, revision)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (round_id, participant_id) DO UPDATE SET"
                " payload = excluded.payload, submitted_at = excluded.submitted_at,"
                " revision = excluded.revision",
                (ballot.round_id, ballot.participant_id, ballot_payload(ballot), now, revision),
            )
            await tx.execute(
                "INSERT INTO submissions (participant_id, client_id, round_id, revision, at)"
                " VALUES (?, ?, ?, ?, ?)",
                (ballot.participant_id, client_id, ballot.round_id, revision, now),
            )
            return revision, False

    async def _cast_in_one(
        self, ballot: Ballot, client_id: str, now: float, workshop: int
    ) -> tuple[int, bool]:
        """cast_ballot on PostgreSQL: the ballot joins its workshop's next group, written by one
        statement (CAST_GROUP) that makes the same checks and writes as SQLite's path, after the
        workshop's locks are taken, so it sees what their last holder committed (a close
        included). The answer comes only after the group's commit."""
        answer: asyncio.Future[Row | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(workshop, []).append(Waiting(ballot, client_id, now, answer))
        if workshop not in self._writers:
            writer = asyncio.create_task(self._write(workshop))
            self._writers[workshop] = writer
            writer.add_done_callback(lambda _t: self._writers.pop(workshop, None))
        return cast_result(await answer)

    async def _write(self, workshop: int) -> None:
        """Write a workshop's waiting ballots, those that arrived together in one statement and
        one transaction, until none is waiting: one commit serves them all, and each is answered
        only after it. If the group fails (a key refused one ballot), each is written again
        alone, so one bad ballot sinks no other."""
        for _group in range(1_000_000):
            group, later = next_group(self._waiting.pop(workshop, []))
            if later:
                self._waiting[workshop] = later
            if not group:
                return
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
                    continue
                for one in group:
                    try:
                        (row,) = await self._write_group([one], workshop)
                    except Exception as alone:
                        _answer(one.answer, alone)
                    else:
                        _answer(one.answer, row)
                continue
            for one, row in zip(group, rows, strict=True):
                _answer(one.answer, row)

    async def _write_group(self, group: Sequence[Waiting], workshop: int) -> list[Row]:
        """One transaction writing a group with CAST_GROUP: a row per ballot, in order."""
        async with self._db.transaction(workshop=workshop) as tx:
            return await tx.all(CAST_GROUP, group_params(group, workshop))

    async def submission(self, participant_id: int, client_id: str) -> Submission | None:
        """What a participant's submission with this client id stored, if it was stored."""
        row = await self._db.one(
            "SELECT s.round_id, s.revision, i.id AS idea_id FROM submissions s LEFT JOIN ideas i"
            " ON i.participant_id = s.participant_id AND i.client_id = s.client_id"
            " WHERE s.participant_id = ? AND s.client_id = ?",
            (participant_id, client_id),
        )
        return Submission(row["round_id"], row["revision"], row["idea_id"]) if row else None

    async def ballot(self, round_id: int, participant_id: int) -> Ballot | None:
        """A participant's last committed ballot in a round."""
        row = await self._db.one(
            BALLOT_SELECT + " WHERE b.round_id = ? AND b.participant_id = ?",
            (round_id, participant_id),
        )
        return ballot_from_row(row) if row else None

    async def ballots(self, round_id: int) -> list[Ballot]:
        """A round's ballots in participant order."""
        rows = await self._db.all(
            BALLOT_SELECT + " WHERE b.round_id = ? ORDER BY b.participant_id", (round_id,)
        )
        return [ballot_from_row(r) for r in rows]

    async def option_ballots(self, option_id: int) -> list[tuple[str, Ballot]]:
        """Every ballot of every round an option is in, each with its round's kind."""
        rows = await self._db.all(
            "SELECT b.*, p.source, r.kind FROM ballots b"
            " JOIN participants p ON p.id = b.participant_id"
            " JOIN rounds r ON r.id = b.round_id"
            " JOIN round_options ro ON ro.round_id = b.round_id WHERE ro.option_id = ?"
            " ORDER BY b.round_id, b.participant_id",
            (option_id,),
        )
        return [(r["kind"], ballot_from_row(r)) for r in rows]

    async def turnout(self, workshop_id: int, round_id: int | None) -> Turnout:
        """How many joined the workshop, and how many of them took part in the round."""
        joined = await self._db.value(
            "SELECT COUNT(*) FROM participants WHERE workshop_id = ?", (workshop_id,)
        )
        voted = 0
        if round_id is not None:
            # An idea round has no ballots: whoever sent an idea has taken part.
            voted = await self._db.value(
                "SELECT (SELECT COUNT(*) FROM ballots WHERE round_id = ?)"
                " + (SELECT COUNT(DISTINCT participant_id) FROM ideas WHERE round_id = ?)",
                (round_id, round_id),
            )
        counted = {
            row[0]: row[1]
            for row in await self._db.all(
                "SELECT source, COUNT(*) FROM participants WHERE workshop_id = ? GROUP BY source",
                (workshop_id,),
            )
        }
        return Turnout(joined, voted, tuple((s, counted.get(s, 0)) for s in SOURCES))

    async def paper_entries(self, round_id: int) -> list[tuple[str, float]]:
        """(label, when) of each paper ballot or idea entered in a round, newest first."""
        rows = await self._db.all(
            "SELECT p.display_name, b.submitted_at AS at FROM ballots b"
            " JOIN participants p ON p.id = b.participant_id"
            " WHERE b.round_id = ? AND p.paper = 1"
            " UNION ALL SELECT p.display_name, i.created_at FROM ideas i"
            " JOIN participants p ON p.id = i.participant_id"
            " WHERE i.round_id = ? AND p.paper = 1 ORDER BY at DESC",
            (round_id, round_id),
        )
        return [(r[0], r[1]) for r in rows]
