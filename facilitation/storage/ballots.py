"""Ballots repository: ballots cast once per client id, how many took part, paper entries."""

from __future__ import annotations

import asyncio
import json
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


# PostgreSQL's cast_ballot in one statement (its data-modifying CTEs run whether or not the
# final SELECT reads them): the round's status, an earlier submission with this client id, the
# workshop's next revision, the ballot replacing the participant's earlier one, and the
# submission. Parameters are cast because INSERT ... SELECT does not type them by its columns.
CAST_IN_ONE = """
WITH r AS (SELECT status, workshop_id FROM rounds WHERE id = CAST(? AS INTEGER)),
seen AS (
    SELECT revision FROM submissions
    WHERE participant_id = CAST(? AS INTEGER) AND client_id = CAST(? AS TEXT)
),
w AS (
    UPDATE workshops SET revision = revision + 1
    WHERE id = (SELECT workshop_id FROM r) AND (SELECT status FROM r) = 'open'
    AND NOT EXISTS (SELECT 1 FROM seen)
    RETURNING revision
),
b AS (
    INSERT INTO ballots (round_id, participant_id, payload, submitted_at, revision)
    SELECT CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS TEXT),
        CAST(? AS DOUBLE PRECISION), w.revision FROM w
    ON CONFLICT (round_id, participant_id) DO UPDATE SET payload = excluded.payload,
        submitted_at = excluded.submitted_at, revision = excluded.revision
),
s AS (
    INSERT INTO submissions (participant_id, client_id, round_id, revision, at)
    SELECT CAST(? AS INTEGER), CAST(? AS TEXT), CAST(? AS INTEGER), w.revision,
        CAST(? AS DOUBLE PRECISION) FROM w
)
SELECT (SELECT status FROM r) AS status, (SELECT revision FROM seen) AS seen,
    (SELECT revision FROM w) AS revision
"""


# The most ballots one transaction writes: a larger group would keep the earliest waiting.
GROUP_MAX = 64


def cast_params(ballot: Ballot, client_id: str, now: float) -> tuple[object, ...]:
    """CAST_IN_ONE's parameters, in the order of its placeholders."""
    rid, pid = ballot.round_id, ballot.participant_id
    return (rid, pid, client_id, rid, pid, ballot_payload(ballot), now, pid, client_id, rid, now)


def cast_result(row: Row | None) -> tuple[int, bool]:
    """(revision, duplicate) from CAST_IN_ONE's row, or the refusal it reports."""
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
        self._waiting: dict[int, list[tuple[tuple[object, ...], asyncio.Future[Row | None]]]] = {}
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
        """cast_ballot on PostgreSQL: the same checks and writes as one statement, so the
        workshop's lock is held for that statement and the commit rather than for a round trip
        per step. It runs after the locks are taken, so it sees what their last holder committed
        (a close included); the writes happen only when no submission has this client id and
        the round is open."""
        waiting: asyncio.Future[Row | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(workshop, []).append(
            (cast_params(ballot, client_id, now), waiting)
        )
        if workshop not in self._writers:
            writer = asyncio.create_task(self._write(workshop))
            self._writers[workshop] = writer
            writer.add_done_callback(lambda _t: self._writers.pop(workshop, None))
        return cast_result(await waiting)

    async def _write(self, workshop: int) -> None:
        """Write a workshop's waiting ballots, those that arrived together in one transaction,
        until none is waiting: one commit serves them all, and each is answered only after it.
        If the transaction fails, each is written again alone, so one bad ballot sinks no other."""
        for _batch in range(1_000_000):
            waiting = self._waiting.pop(workshop, [])
            batch, rest = waiting[:GROUP_MAX], waiting[GROUP_MAX:]
            if rest:
                self._waiting[workshop] = rest
            if not batch:
                return
            try:
                async with self._db.transaction(workshop=workshop) as tx:
                    rows = [await tx.one(CAST_IN_ONE, params) for params, _w in batch]
            except asyncio.CancelledError as exc:
                # Stopped mid-transaction (the server is shutting down): nothing was committed,
                # and every sender still waiting is told so rather than left waiting.
                for _params, one in batch + self._waiting.pop(workshop, []):
                    _answer(one, exc)
                raise
            except Exception as exc:
                if len(batch) == 1:
                    _answer(batch[0][1], exc)
                    continue
                for params, one in batch:
                    try:
                        async with self._db.transaction(workshop=workshop) as tx:
                            row = await tx.one(CAST_IN_ONE, params)
                    except Exception as alone:
                        _answer(one, alone)
                    else:
                        _answer(one, row)
                continue
            for (_params, one), row in zip(batch, rows, strict=True):
                _answer(one, row)

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
