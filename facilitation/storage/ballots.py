"""Ballots repository: ballots cast once per client id, how many took part, paper entries."""

from __future__ import annotations

import json
from dataclasses import dataclass

from facilitation.core.errors import NotFound, RoundNotOpen
from facilitation.core.models import SOURCES, Ballot, Turnout
from facilitation.storage.db import Database, Reader, Row
from facilitation.storage.groups import GroupWriter
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
# submission, and a refusal fails the whole statement (see groups.py).
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


def cast_result(row: Row) -> tuple[int, bool]:
    """(revision, duplicate) from CAST_GROUP's row for one ballot, or the refusal it reports."""
    if row["status"] is None:
        raise NotFound("round")
    if row["seen"] is not None:
        return row["seen"], True
    if row["status"] != "open":
        raise RoundNotOpen()
    if row["revision"] is None:
        raise NotFound("workshop")
    return row["revision"], False


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
        self._groups = GroupWriter(db, CAST_GROUP)

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
        columns = (ballot.round_id, ballot.participant_id, client_id, ballot_payload(ballot), now)
        return cast_result(await self._groups.write(workshop, ballot.participant_id, columns))

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
