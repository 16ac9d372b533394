"""Store methods and migration for the newer round kinds: ideas, budgets, ratings, paper ballots.

Part of the storage layer (the only SQL in the project), mixed into ``storage.Store``. An idea is
stored once per client id (the same ``submissions`` table guards ballots), its original wording is
kept beside any edit, and a merge only points duplicates at the idea they join, so nothing a
participant sent is ever lost and a merge can be undone.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Sequence

import aiosqlite

from facilitation.core.errors import Conflict, NotFound, RoundNotOpen
from facilitation.core.models import Idea, IdeaStatus, Participant

# SQLite cannot change a CHECK constraint in place: the rounds table is rebuilt with the new kinds
# (storage.Store._migrate turns foreign keys off around migrations, as SQLite's own procedure for
# rebuilding a table asks, and checks them before committing).
ROUND_COLUMNS = (
    "id, workshop_id, title, kind, status, dots, max_per_option, must_use_all, top_k, hidden,"
    " revealed, timer_seconds, ends_at, opened_at, closed_at, created_at, cards_on_board"
)

KIND_MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0005_round_kinds",
        f"""
        CREATE TABLE rounds_new (
            id INTEGER PRIMARY KEY,
            workshop_id INTEGER NOT NULL REFERENCES workshops(id),
            title TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('dots', 'rank', 'budget', 'ideas', 'rating')),
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
            dots INTEGER NOT NULL DEFAULT 5 CHECK (dots BETWEEN 1 AND 100),
            max_per_option INTEGER NOT NULL DEFAULT 3 CHECK (max_per_option >= 1),
            must_use_all INTEGER NOT NULL DEFAULT 0,
            top_k INTEGER CHECK (top_k IS NULL OR top_k >= 1),
            hidden INTEGER NOT NULL DEFAULT 0,
            revealed INTEGER NOT NULL DEFAULT 0,
            timer_seconds INTEGER,
            ends_at REAL,
            opened_at REAL,
            closed_at REAL,
            created_at REAL NOT NULL,
            cards_on_board INTEGER NOT NULL DEFAULT 0,
            budget INTEGER CHECK (budget IS NULL OR budget >= 1),
            budget_rule TEXT NOT NULL DEFAULT 'equal_shares'
                CHECK (budget_rule IN ('equal_shares', 'greedy')),
            categories TEXT NOT NULL DEFAULT '[]',
            CHECK (kind != 'budget' OR budget IS NOT NULL)
        );
        INSERT INTO rounds_new ({ROUND_COLUMNS}) SELECT {ROUND_COLUMNS} FROM rounds;
        DROP TABLE rounds;
        ALTER TABLE rounds_new RENAME TO rounds;
        CREATE INDEX rounds_workshop ON rounds(workshop_id);
        ALTER TABLE options ADD COLUMN cost INTEGER CHECK (cost IS NULL OR cost >= 0);
        ALTER TABLE participants ADD COLUMN paper INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX participants_paper ON participants(workshop_id, paper, display_name);
        CREATE TABLE ideas (
            id INTEGER PRIMARY KEY,
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            participant_id INTEGER NOT NULL REFERENCES participants(id),
            text TEXT NOT NULL,
            original TEXT NOT NULL,
            category TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'approved', 'hidden', 'merged')),
            merged_into INTEGER REFERENCES ideas(id),
            option_id INTEGER REFERENCES options(id),
            client_id TEXT NOT NULL,
            created_at REAL NOT NULL,
            -- A merged idea always says which idea it joined, and only a merged one does.
            CHECK ((status = 'merged') = (merged_into IS NOT NULL))
        );
        CREATE INDEX ideas_round ON ideas(round_id, status);
        """,
    ),
)

# A room of phones sending ideas is a few dozen each at most; this stops a script filling the wall.
IDEAS_PER_PERSON = 30


def _idea(row: sqlite3.Row) -> Idea:
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
        paper=bool(row["paper"]),
    )


IDEA_SELECT = (
    "SELECT i.*, p.paper, 1 + (SELECT COUNT(*) FROM ideas m WHERE m.merged_into = i.id)"
    " AS supporters FROM ideas i JOIN participants p ON p.id = i.participant_id"
)


class IdeaStore:
    """Ideas, their moderation, and the participants that stand for paper ballots."""

    # -- ideas -----------------------------------------------------------------------------------

    async def add_idea(
        self,
        round_id: int,
        participant_id: int,
        text: str,
        category: str,
        client_id: str,
        now: float,
    ) -> tuple[Idea, int, bool]:
        """Store an idea once per client id; returns (idea, revision, duplicate).

        Like a ballot, a re-sent idea that was already saved is acknowledged again, and a new one
        is refused once the round has closed."""
        async with self._write() as db:
            row = await (
                await db.execute(
                    "SELECT status, workshop_id, kind FROM rounds WHERE id = ?", (round_id,)
                )
            ).fetchone()
            if row is None or row["kind"] != "ideas":
                raise NotFound("round")
            seen = await (
                await db.execute(
                    "SELECT s.revision, i.id FROM submissions s LEFT JOIN ideas i"
                    " ON i.participant_id = s.participant_id AND i.client_id = s.client_id"
                    " WHERE s.participant_id = ? AND s.client_id = ?",
                    (participant_id, client_id),
                )
            ).fetchone()
            if seen and seen[1] is not None:
                return await self._idea_in(db, seen[1]), seen[0], True
            if seen:  # that id already carried a ballot: the page is out of date
                raise Conflict("This page is out of date. Please reload it.")
            if row["status"] != "open":
                raise RoundNotOpen()
            count = await (
                await db.execute(
                    "SELECT COUNT(*) FROM ideas WHERE round_id = ? AND participant_id = ?",
                    (round_id, participant_id),
                )
            ).fetchone()
            if count[0] >= IDEAS_PER_PERSON:
                raise Conflict(
                    "You have sent {n} ideas in this round, which is the most one person can "
                    "send. Talk to the facilitator if you have more.",
                    n=IDEAS_PER_PERSON,
                )
            revision = await self._bump(db, row["workshop_id"])
            cur = await db.execute(
                "INSERT INTO ideas (round_id, participant_id, text, original, category,"
                " client_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (round_id, participant_id, text, text, category, client_id, now),
            )
            await db.execute(
                "INSERT INTO submissions (participant_id, client_id, round_id, revision, at)"
                " VALUES (?, ?, ?, ?, ?)",
                (participant_id, client_id, round_id, revision, now),
            )
            return await self._idea_in(db, cur.lastrowid), revision, False

    @staticmethod
    async def _idea_in(db: aiosqlite.Connection, idea_id: int) -> Idea:
        row = await (await db.execute(IDEA_SELECT + " WHERE i.id = ?", (idea_id,))).fetchone()
        if row is None:
            raise NotFound("idea")
        return _idea(row)

    async def ideas(self, round_id: int) -> list[Idea]:
        """A round's ideas in the order they arrived, merged ones included."""
        rows = await self._all(IDEA_SELECT + " WHERE i.round_id = ? ORDER BY i.id", (round_id,))
        return [_idea(r) for r in rows]

    async def idea(self, idea_id: int) -> Idea:
        row = await self._one(IDEA_SELECT + " WHERE i.id = ?", (idea_id,))
        if row is None:
            raise NotFound("idea")
        return _idea(row)

    async def participant_ideas(self, round_id: int, participant_id: int) -> list[Idea]:
        rows = await self._all(
            IDEA_SELECT + " WHERE i.round_id = ? AND i.participant_id = ? ORDER BY i.id",
            (round_id, participant_id),
        )
        return [_idea(r) for r in rows]

    async def edit_idea(self, idea_id: int, text: str, category: str) -> Idea:
        """Reword an idea; the participant's original wording stays beside it."""
        async with self._write() as db:
            idea = await self._idea_in(db, idea_id)
            await db.execute(
                "UPDATE ideas SET text = ?, category = ? WHERE id = ?", (text, category, idea_id)
            )
            await self._bump_round(db, idea.round_id)
            return await self._idea_in(db, idea_id)

    async def set_idea_status(self, idea_id: int, status: IdeaStatus) -> Idea:
        """Approve, hide or send back to pending; a merged idea is first split out again."""
        if status is IdeaStatus.MERGED:
            raise Conflict("Use merge to join ideas.")
        async with self._write() as db:
            await self._idea_in(db, idea_id)
            await db.execute(
                "UPDATE ideas SET status = ?, merged_into = NULL WHERE id = ?",
                (status.value, idea_id),
            )
            idea = await self._idea_in(db, idea_id)
            await self._bump_round(db, idea.round_id)
            return idea

    async def merge_ideas(self, target_id: int, source_ids: Sequence[int]) -> Idea:
        """Join duplicates into one idea: each source, and whatever had been merged into it, now
        counts as a supporter of the target. The target keeps its wording and status."""
        async with self._write() as db:
            target = await self._idea_in(db, target_id)
            if target.status is IdeaStatus.MERGED:
                raise Conflict("That idea has itself been merged into another. Choose that one.")
            sources = [await self._idea_in(db, s) for s in dict.fromkeys(source_ids)]
            sources = [s for s in sources if s.id != target_id]
            if not sources:
                raise Conflict("Tick at least two ideas to merge them.")
            if any(s.round_id != target.round_id for s in sources):
                raise NotFound("idea")
            ids = [s.id for s in sources]
            marks = ",".join("?" * len(ids))
            await db.execute(
                f"UPDATE ideas SET status = 'merged', merged_into = ? WHERE id IN ({marks})"
                f" OR merged_into IN ({marks})",
                (target_id, *ids, *ids),
            )
            await self._bump_round(db, target.round_id)
            return await self._idea_in(db, target_id)

    async def ideas_to_options(
        self, round_id: int, title: str, now: float
    ) -> tuple[list[int], int | None]:
        """Turn a round's approved ideas into options, and put them in a new draft dot-voting
        round; returns (new option ids, new round id). Ideas already turned are not repeated."""
        async with self._write() as db:
            rnd = await (
                await db.execute("SELECT workshop_id FROM rounds WHERE id = ?", (round_id,))
            ).fetchone()
            if rnd is None:
                raise NotFound("round")
            workshop_id = rnd[0]
            rows = await db.execute_fetchall(
                IDEA_SELECT + " WHERE i.round_id = ? AND i.status = 'approved'"
                " AND i.option_id IS NULL ORDER BY supporters DESC, i.id",
                (round_id,),
            )
            ideas = [_idea(r) for r in rows]
            if not ideas:
                raise Conflict(
                    "There are no approved ideas that have not already become options. Approve "
                    "some ideas first."
                )
            top = await (
                await db.execute(
                    "SELECT COALESCE(MAX(position), 0) FROM options WHERE workshop_id = ?",
                    (workshop_id,),
                )
            ).fetchone()
            option_ids = []
            for i, idea in enumerate(ideas, start=1):
                cur = await db.execute(
                    "INSERT INTO options (workshop_id, title, description, position)"
                    " VALUES (?, ?, ?, ?)",
                    (workshop_id, idea.text, idea.category, top[0] + i),
                )
                option_ids.append(cur.lastrowid)
                await db.execute(
                    "UPDATE ideas SET option_id = ? WHERE id = ?", (cur.lastrowid, idea.id)
                )
            new_round = None
            if len(option_ids) >= 2:
                cur = await db.execute(
                    "INSERT INTO rounds (workshop_id, title, kind, dots, max_per_option,"
                    " created_at) VALUES (?, ?, 'dots', 5, 3, ?)",
                    (workshop_id, title, now),
                )
                new_round = cur.lastrowid
                await db.executemany(
                    "INSERT INTO round_options (round_id, option_id, position) VALUES (?, ?, ?)",
                    [(new_round, oid, i) for i, oid in enumerate(option_ids)],
                )
            await self._bump(db, workshop_id)
            return option_ids, new_round

    async def _bump_round(self, db: aiosqlite.Connection, round_id: int) -> int:
        row = await (
            await db.execute("SELECT workshop_id FROM rounds WHERE id = ?", (round_id,))
        ).fetchone()
        return await self._bump(db, row[0])

    # -- paper ballots ---------------------------------------------------------------------------

    async def paper_participant(self, workshop_id: int, label: str) -> Participant:
        """The participant standing for the paper ballot with this label, made on first use, so
        the same sheet entered in a later round is one person, not two."""
        async with self._write() as db:
            row = await (
                await db.execute(
                    "SELECT * FROM participants WHERE workshop_id = ? AND paper = 1"
                    " AND display_name = ?",
                    (workshop_id, label),
                )
            ).fetchone()
            if row is None:
                token = "paper-" + secrets.token_urlsafe(18)
                cur = await db.execute(
                    "INSERT INTO participants (workshop_id, token, display_name, joined_at, paper)"
                    " VALUES (?, ?, ?, ?, 1)",
                    (workshop_id, token, label, time.time()),
                )
                await self._bump(db, workshop_id)
                return Participant(cur.lastrowid, workshop_id, token, label, True)
            return Participant(row["id"], workshop_id, row["token"], row["display_name"], True)

    async def paper_labels(self, workshop_id: int) -> list[str]:
        """Labels of the paper ballots entered so far, in the order first entered."""
        rows = await self._all(
            "SELECT display_name FROM participants WHERE workshop_id = ? AND paper = 1 ORDER BY id",
            (workshop_id,),
        )
        return [r[0] for r in rows]

    async def paper_entries(self, round_id: int) -> list[tuple[str, float]]:
        """(label, when) of each paper ballot or idea entered in a round, newest first."""
        rows = await self._all(
            "SELECT p.display_name, b.submitted_at AS at FROM ballots b"
            " JOIN participants p ON p.id = b.participant_id"
            " WHERE b.round_id = ? AND p.paper = 1"
            " UNION ALL SELECT p.display_name, i.created_at FROM ideas i"
            " JOIN participants p ON p.id = i.participant_id"
            " WHERE i.round_id = ? AND p.paper = 1 ORDER BY at DESC",
            (round_id, round_id),
        )
        return [(r[0], r[1]) for r in rows]
