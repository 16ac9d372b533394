"""Ideas repository: an idea round's ideas, their moderation and merging, becoming options.

An idea is stored once per client id (the same ``submissions`` table guards ballots), its original
wording is kept beside any edit, and a merge only points duplicates at the idea they join, so
nothing a participant sent is ever lost and a merge can be undone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from facilitation.core.errors import Conflict, NotFound, RoundNotOpen
from facilitation.core.models import Idea, IdeaStatus
from facilitation.storage.ballots import round_workshop
from facilitation.storage.db import Database, Reader, Row, Tx
from facilitation.storage.groups import GroupWriter
from facilitation.storage.options import append_options
from facilitation.storage.rounds import add_draft_round
from facilitation.storage.workshops import bump

# A room of phones sending ideas is a few dozen each at most; this stops a script filling the wall.
IDEAS_PER_PERSON = 30

IDEA_SELECT = (
    "SELECT i.*, p.source, 1 + (SELECT COUNT(*) FROM ideas m WHERE m.merged_into = i.id)"
    " AS supporters FROM ideas i JOIN participants p ON p.id = i.participant_id"
)


def idea_from_row(row: Row) -> Idea:
    """An idea from its row, read with IDEA_SELECT."""
    return Idea(
        id=row["id"],
        round_id=row["round_id"],
        participant_id=row["participant_id"],
        text=row["text"],
        original=row["original"],
        category=row["category"],
        status=IdeaStatus(row["status"]),
        created_at=row["created_at"],
        merged_into=row["merged_into"],
        option_id=row["option_id"],
        supporters=row["supporters"],
        source=row["source"],
    )


async def idea_in(db: Reader, idea_id: int) -> Idea:
    """An idea read through ``db`` (inside its transaction, when it is one)."""
    row = await db.one(IDEA_SELECT + " WHERE i.id = ?", (idea_id,))
    if row is None:
        raise NotFound("idea")
    return idea_from_row(row)


# PostgreSQL's add_idea for a group of ideas of one workshop, in one statement, as CAST_GROUP
# does for ballots (see groups.py): for each idea, in the order given, its round's status, an
# earlier submission with its client id (and the idea it made, if it made one) and how many ideas
# its participant has sent in the round; those sent to an open round of this workshop, not sent
# before and within the participant's allowance, each take the workshop's next revision, in
# order, and are stored with their submission. One row comes back per idea, in order.
ADD_GROUP = f"""
WITH given AS (
    SELECT * FROM unnest(CAST(? AS INTEGER[]), CAST(? AS INTEGER[]), CAST(? AS TEXT[]),
        CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS DOUBLE PRECISION[]))
        WITH ORDINALITY AS g(round_id, participant_id, client_id, text, category, at, n)
),
checked AS (
    SELECT g.*, r.status, r.workshop_id, s.revision AS seen, i.id AS seen_idea,
        (SELECT COUNT(*) FROM ideas x
            WHERE x.round_id = g.round_id AND x.participant_id = g.participant_id) AS sent
    FROM given g
    LEFT JOIN rounds r ON r.id = g.round_id
    LEFT JOIN submissions s ON s.participant_id = g.participant_id AND s.client_id = g.client_id
    LEFT JOIN ideas i ON i.participant_id = s.participant_id AND i.client_id = s.client_id
),
fresh AS (
    SELECT n, round_id, participant_id, client_id, text, category, at,
        row_number() OVER (ORDER BY n) AS k
    FROM checked WHERE status = 'open' AND seen IS NULL AND sent < {IDEAS_PER_PERSON}
        AND workshop_id = CAST(? AS INTEGER)
),
w AS (
    UPDATE workshops SET revision = revision + (SELECT COUNT(*) FROM fresh)
    WHERE id = CAST(? AS INTEGER) AND EXISTS (SELECT 1 FROM fresh)
    RETURNING revision - (SELECT COUNT(*) FROM fresh) AS base
),
stamped AS (SELECT f.*, w.base + f.k AS revision FROM fresh f CROSS JOIN w),
made AS (
    INSERT INTO ideas (round_id, participant_id, text, original, category, client_id, created_at)
    SELECT round_id, participant_id, text, text, category, client_id, at FROM stamped
    RETURNING id, participant_id
),
s AS (
    INSERT INTO submissions (participant_id, client_id, round_id, revision, at)
    SELECT participant_id, client_id, round_id, revision, at FROM stamped
)
SELECT c.status, c.seen, c.seen_idea, c.sent, st.revision, m.id AS made FROM checked c
LEFT JOIN stamped st ON st.n = c.n LEFT JOIN made m ON m.participant_id = st.participant_id
ORDER BY c.n
"""


def too_many_ideas() -> Conflict:
    """The refusal of an idea past its sender's allowance in a round."""
    return Conflict(
        "You have sent {n} ideas in this round, which is the most one person can "
        "send. Talk to the facilitator if you have more.",
        n=IDEAS_PER_PERSON,
    )


def added(row: Row) -> tuple[int, int, bool]:
    """(idea id, revision, duplicate) from ADD_GROUP's row for one idea, or the refusal it
    reports, checked in the order add_idea checks them."""
    if row["status"] is None:
        raise NotFound("round")
    if row["seen"] is not None and row["seen_idea"] is not None:
        return row["seen_idea"], row["seen"], True
    if row["seen"] is not None:
        raise Conflict("This page is out of date. Please reload it.")
    if row["status"] != "open":
        raise RoundNotOpen()
    if row["sent"] >= IDEAS_PER_PERSON:
        raise too_many_ideas()
    if row["revision"] is None:
        raise NotFound("workshop")
    return row["made"], row["revision"], False


async def _bump_round(tx: Tx, round_id: int) -> int:
    workshop_id = await tx.value("SELECT workshop_id FROM rounds WHERE id = ?", (round_id,))
    return await bump(tx, workshop_id)


class Ideas:
    """The ideas of a workshop's idea rounds."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._groups = GroupWriter(db, ADD_GROUP)

    async def add_idea(
        self,
        round_id: int,
        participant_id: int,
        text: str,
        category: str,
        client_id: str,
        now: float,
        workshop: int | None = None,
    ) -> tuple[Idea, int, bool]:
        """Store an idea once per client id; returns (idea, revision, duplicate).

        Like a ballot, a re-sent idea that was already saved is acknowledged again, and a new one
        is refused once the round has closed. ``workshop`` scopes the transaction, as a ballot's."""
        if workshop is None:
            workshop = await round_workshop(self._db, round_id)
        if self._db.engine == "postgresql":
            # With its workshop's next group (see groups.py), read back after the commit.
            columns = (round_id, participant_id, client_id, text, category, now)
            idea_id, revision, duplicate = added(
                await self._groups.write(workshop, participant_id, columns)
            )
            return await self.idea(idea_id), revision, duplicate
        async with self._db.transaction(workshop=workshop) as tx:
            row = await tx.one("SELECT status, workshop_id FROM rounds WHERE id = ?", (round_id,))
            if row is None:
                raise NotFound("round")
            seen = await tx.one(
                "SELECT s.revision, i.id FROM submissions s LEFT JOIN ideas i"
                " ON i.participant_id = s.participant_id AND i.client_id = s.client_id"
                " WHERE s.participant_id = ? AND s.client_id = ?",
                (participant_id, client_id),
            )
            if seen and seen[1] is not None:
                return await idea_in(tx, seen[1]), seen[0], True
            if seen:  # that id already carried a ballot: the page is out of date
                raise Conflict("This page is out of date. Please reload it.")
            if row["status"] != "open":
                raise RoundNotOpen()
            count = await tx.value(
                "SELECT COUNT(*) FROM ideas WHERE round_id = ? AND participant_id = ?",
                (round_id, participant_id),
            )
            if count >= IDEAS_PER_PERSON:
                raise too_many_ideas()
            revision = await bump(tx, row["workshop_id"])
            idea_id = await tx.insert(
                "INSERT INTO ideas (round_id, participant_id, text, original, category,"
                " client_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (round_id, participant_id, text, text, category, client_id, now),
            )
            await tx.execute(
                "INSERT INTO submissions (participant_id, client_id, round_id, revision, at)"
                " VALUES (?, ?, ?, ?, ?)",
                (participant_id, client_id, round_id, revision, now),
            )
            return await idea_in(tx, idea_id), revision, False

    async def ideas(self, round_id: int) -> list[Idea]:
        """A round's ideas in the order they arrived, merged ones included."""
        rows = await self._db.all(IDEA_SELECT + " WHERE i.round_id = ? ORDER BY i.id", (round_id,))
        return [idea_from_row(r) for r in rows]

    async def idea(self, idea_id: int) -> Idea:
        """An idea by id; NotFound if there is none."""
        return await idea_in(self._db, idea_id)

    async def participant_ideas(self, round_id: int, participant_id: int) -> list[Idea]:
        """The ideas one participant sent in a round, in the order they sent them."""
        rows = await self._db.all(
            IDEA_SELECT + " WHERE i.round_id = ? AND i.participant_id = ? ORDER BY i.id",
            (round_id, participant_id),
        )
        return [idea_from_row(r) for r in rows]

    async def edit_idea(self, idea_id: int, text: str, category: str) -> Idea:
        """Reword an idea; the participant's original wording stays beside it."""
        async with self._db.transaction() as tx:
            idea = await idea_in(tx, idea_id)
            await tx.execute(
                "UPDATE ideas SET text = ?, category = ? WHERE id = ?", (text, category, idea_id)
            )
            await _bump_round(tx, idea.round_id)
            return await idea_in(tx, idea_id)

    async def set_idea_status(self, idea_id: int, status: IdeaStatus) -> Idea:
        """Approve, hide or send back to pending; a merged idea is first split out again."""
        if status is IdeaStatus.MERGED:
            raise Conflict("Use merge to join ideas.")
        async with self._db.transaction() as tx:
            await idea_in(tx, idea_id)
            await tx.execute(
                "UPDATE ideas SET status = ?, merged_into = NULL WHERE id = ?",
                (status.value, idea_id),
            )
            idea = await idea_in(tx, idea_id)
            await _bump_round(tx, idea.round_id)
            return idea

    async def merge_ideas(self, target_id: int, source_ids: Sequence[int]) -> Idea:
        """Join duplicates into one idea: each source, and whatever had been merged into it, now
        counts as a supporter of the target. The target keeps its wording and status."""
        async with self._db.transaction() as tx:
            target = await idea_in(tx, target_id)
            if target.status is IdeaStatus.MERGED:
                raise Conflict("That idea has itself been merged into another. Choose that one.")
            sources = [await idea_in(tx, s) for s in dict.fromkeys(source_ids)]
            sources = [s for s in sources if s.id != target_id]
            if not sources:
                raise Conflict("Tick at least two ideas to merge them.")
            if any(s.round_id != target.round_id for s in sources):
                raise NotFound("idea")
            ids = [s.id for s in sources]
            marks = ",".join("?" * len(ids))
            await tx.execute(
                f"UPDATE ideas SET status = 'merged', merged_into = ? WHERE id IN ({marks})"
                f" OR merged_into IN ({marks})",
                (target_id, *ids, *ids),
            )
            await _bump_round(tx, target.round_id)
            return await idea_in(tx, target_id)

    async def ideas_to_options(
        self, round_id: int, title: str, kind: tuple[str, Mapping[str, Any]], now: float
    ) -> tuple[list[int], int | None]:
        """Turn a round's approved ideas into options, and put them in a new draft round of
        ``kind`` (its name and settings); returns (new option ids, new round id). Ideas already
        turned are not repeated."""
        async with self._db.transaction() as tx:
            workshop_id = await tx.value("SELECT workshop_id FROM rounds WHERE id = ?", (round_id,))
            if workshop_id is None:
                raise NotFound("round")
            rows = await tx.all(
                IDEA_SELECT + " WHERE i.round_id = ? AND i.status = 'approved'"
                " AND i.option_id IS NULL ORDER BY supporters DESC, i.id",
                (round_id,),
            )
            ideas = [idea_from_row(r) for r in rows]
            if not ideas:
                raise Conflict(
                    "There are no approved ideas that have not already become options. Approve "
                    "some ideas first."
                )
            option_ids = await append_options(
                tx, workshop_id, [(idea.text, idea.category, "") for idea in ideas]
            )
            await tx.executemany(
                "UPDATE ideas SET option_id = ? WHERE id = ?",
                [(option_id, idea.id) for option_id, idea in zip(option_ids, ideas, strict=True)],
            )
            new_round = None
            if len(option_ids) >= 2:
                new_round = await add_draft_round(tx, workshop_id, title, kind, option_ids, now)
            await bump(tx, workshop_id)
            return option_ids, new_round
