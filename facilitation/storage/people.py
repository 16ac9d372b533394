"""Store methods and migration for who is in the room: respondents, answers, room and groups.

Part of the storage layer (the only SQL in the project): mixed into ``storage.Store``, using its
single writer and reader connections; the migration also makes the tables of the profile
questions (``storage_profile``) and of the volunteer pools (``storage_pools``), whose methods
come in through this mixin. Answers are kept apart from ballots: a participant row only points at
its programme respondent, so results can be split without a ballot holding anything about the
person. When a round closes, its voters' answers are copied beside it (``round_answers``), and
its results are split by that copy, so a split never moves once voting has closed.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping

import aiosqlite

from facilitation.core.errors import Conflict, NotFound
from facilitation.people.rules import Respondent, RoomProfile
from facilitation.storage.pools import PoolStore
from facilitation.storage.profiles import (
    CHANGED_MEANWHILE,
    QUESTION_NOT_FOUND,
    ProfileStore,
    offered_map,
    questions_in,
)

PEOPLE_MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0006_people",
        """
        CREATE TABLE respondents (
            id INTEGER PRIMARY KEY,
            programme_id INTEGER NOT NULL REFERENCES programmes(id),
            token TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL
        );
        CREATE INDEX respondents_programme ON respondents(programme_id);
        ALTER TABLE participants ADD COLUMN respondent_id INTEGER REFERENCES respondents(id);
        CREATE INDEX participants_respondent ON participants(respondent_id);
        CREATE TABLE profile_questions (
            id INTEGER PRIMARY KEY,
            programme_id INTEGER NOT NULL REFERENCES programmes(id),
            label TEXT NOT NULL,
            position INTEGER NOT NULL,
            retired INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL
        );
        CREATE INDEX profile_questions_programme ON profile_questions(programme_id, position);
        CREATE TABLE profile_choices (
            id INTEGER PRIMARY KEY,
            question_id INTEGER NOT NULL REFERENCES profile_questions(id),
            label TEXT NOT NULL,
            position INTEGER NOT NULL,
            retired INTEGER NOT NULL DEFAULT 0,
            UNIQUE (question_id, id)
        );
        -- The pair keys below make the schema refuse an answer with another question's choice.
        -- No row: the question was skipped. A row with no choice: "prefer not to say".
        CREATE TABLE profile_answers (
            respondent_id INTEGER NOT NULL REFERENCES respondents(id),
            question_id INTEGER NOT NULL REFERENCES profile_questions(id),
            choice_id INTEGER,
            answered_at REAL NOT NULL,
            PRIMARY KEY (respondent_id, question_id),
            FOREIGN KEY (question_id, choice_id) REFERENCES profile_choices(question_id, id)
        );
        CREATE INDEX profile_answers_question ON profile_answers(question_id, choice_id);
        -- Head counts or percentages as the organiser gave them; shares are worked out on reading.
        CREATE TABLE place_makeup (
            question_id INTEGER NOT NULL REFERENCES profile_questions(id),
            choice_id INTEGER NOT NULL,
            amount REAL NOT NULL CHECK (amount >= 0),
            PRIMARY KEY (question_id, choice_id),
            FOREIGN KEY (question_id, choice_id) REFERENCES profile_choices(question_id, id)
        );
        CREATE TABLE pools (
            id INTEGER PRIMARY KEY,
            programme_id INTEGER NOT NULL REFERENCES programmes(id),
            title TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE INDEX pools_programme ON pools(programme_id);
        CREATE TABLE volunteers (
            id INTEGER PRIMARY KEY,
            pool_id INTEGER NOT NULL REFERENCES pools(id),
            name TEXT NOT NULL,
            email TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            household TEXT NOT NULL DEFAULT '',
            answers TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(answers))
        );
        CREATE INDEX volunteers_pool ON volunteers(pool_id);
        CREATE TABLE panels (
            id INTEGER PRIMARY KEY,
            pool_id INTEGER NOT NULL REFERENCES pools(id),
            size INTEGER NOT NULL CHECK (size >= 1),
            seed TEXT NOT NULL,
            quotas TEXT NOT NULL CHECK (json_valid(quotas)),
            household_rule INTEGER NOT NULL,
            result TEXT NOT NULL CHECK (json_valid(result)),
            created_at REAL NOT NULL
        );
        CREATE INDEX panels_pool ON panels(pool_id);
        """,
    ),
)

# Who was in which group when a round closed: each voter's answers (question id -> choice id, no
# choice for "prefer not to say"; a skipped question has no row) as they stood at that moment.
# Results by group read these, never the current answers, so an answer changed later cannot
# move a voter between groups of a closed round, which comparing two splits would show.
FREEZE_SELECT = """
    SELECT b.round_id, b.participant_id, a.question_id, a.choice_id FROM rounds r
    JOIN workshops w ON w.id = r.workshop_id
    JOIN ballots b ON b.round_id = r.id
    JOIN participants p ON p.id = b.participant_id
    JOIN profile_answers a ON a.respondent_id = p.respondent_id
    JOIN profile_questions q ON q.id = a.question_id AND q.programme_id = w.programme_id
"""

FROZEN_MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0009_round_answers",
        f"""
        CREATE TABLE round_answers (
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            participant_id INTEGER NOT NULL REFERENCES participants(id),
            question_id INTEGER NOT NULL REFERENCES profile_questions(id),
            choice_id INTEGER,
            PRIMARY KEY (round_id, participant_id, question_id),
            FOREIGN KEY (question_id, choice_id) REFERENCES profile_choices(question_id, id)
        );
        CREATE INDEX round_answers_question ON round_answers(question_id, choice_id);
        -- Rounds closed before this step are frozen as their voters answer now: the nearest
        -- there is to the moment they closed, and from here on it holds still.
        INSERT INTO round_answers (round_id, participant_id, question_id, choice_id)
        {FREEZE_SELECT} WHERE r.status = 'closed';
        """,
    ),
)


async def freeze_round_answers(db: aiosqlite.Connection, round_id: int) -> None:
    """Record each voter's answers as they stand now against a round that is closing (replacing
    any recorded when it closed before); call inside the transaction that closes it."""
    await db.execute("DELETE FROM round_answers WHERE round_id = ?", (round_id,))
    await db.execute(
        "INSERT INTO round_answers (round_id, participant_id, question_id, choice_id)"
        + FREEZE_SELECT
        + " WHERE r.id = ?",
        (round_id,),
    )


class PeopleStore(ProfileStore, PoolStore):
    """Respondents, their answers, the room against its place and results by group, with the
    questions (ProfileStore) and the pools (PoolStore); relies on Store's _write, _all and _one."""

    # -- respondents and answers -----------------------------------------------------------------

    async def link_respondent(self, participant_id: int, token: str | None) -> Respondent | None:
        """The programme respondent for a workshop participant, linked to them: theirs if they
        have one, else the one this device's ``token`` names in the same programme, else a new
        one. None if the workshop is in no programme."""
        async with self._write() as db:
            row = await (
                await db.execute(
                    "SELECT p.respondent_id, w.programme_id FROM participants p"
                    " JOIN workshops w ON w.id = p.workshop_id WHERE p.id = ?",
                    (participant_id,),
                )
            ).fetchone()
            if row is None:
                raise NotFound("place in this workshop")
            programme_id = row["programme_id"]
            if programme_id is None:
                return None
            found = None
            if row["respondent_id"] is not None:
                # Checked against the programme: a workshop moved to another programme leaves
                # the old link pointing at a respondent of the first one.
                found = await (
                    await db.execute(
                        "SELECT * FROM respondents WHERE id = ? AND programme_id = ?",
                        (row["respondent_id"], programme_id),
                    )
                ).fetchone()
            if found is None and token:
                found = await (
                    await db.execute(
                        "SELECT * FROM respondents WHERE programme_id = ? AND token = ?",
                        (programme_id, token),
                    )
                ).fetchone()
            if found is None:
                new_token = secrets.token_urlsafe(24)
                cur = await db.execute(
                    "INSERT INTO respondents (programme_id, token, created_at) VALUES (?, ?, ?)",
                    (programme_id, new_token, time.time()),
                )
                respondent = Respondent(cur.lastrowid, programme_id, new_token)
            else:
                respondent = Respondent(found["id"], found["programme_id"], found["token"])
            await db.execute(
                "UPDATE participants SET respondent_id = ? WHERE id = ?",
                (respondent.id, participant_id),
            )
            return respondent

    async def participant_respondent(self, participant_id: int) -> Respondent | None:
        """The respondent a participant is linked to, if any."""
        row = await self._one(
            "SELECT r.* FROM participants p JOIN respondents r ON r.id = p.respondent_id"
            " WHERE p.id = ?",
            (participant_id,),
        )
        return Respondent(row["id"], row["programme_id"], row["token"]) if row else None

    async def respondent_by_token(self, programme_id: int, token: str) -> Respondent | None:
        row = await self._one(
            "SELECT * FROM respondents WHERE programme_id = ? AND token = ?",
            (programme_id, token),
        )
        return Respondent(row["id"], row["programme_id"], row["token"]) if row else None

    async def profile_answers(self, respondent_id: int) -> dict[int, int | None]:
        """A respondent's answers: question id to choice id, None for "prefer not to say";
        skipped questions are absent."""
        rows = await self._all(
            "SELECT question_id, choice_id FROM profile_answers WHERE respondent_id = ?",
            (respondent_id,),
        )
        return {r[0]: r[1] for r in rows}

    async def save_profile_answers(
        self, respondent_id: int, answers: Mapping[int, int | None]
    ) -> None:
        """Replace a respondent's answers to the programme's current questions: a question left
        out of ``answers`` is skipped (its answer, if any, is removed). A retired choice may be
        kept but not newly picked."""
        async with self._write() as db:
            row = await (
                await db.execute(
                    "SELECT programme_id FROM respondents WHERE id = ?", (respondent_id,)
                )
            ).fetchone()
            if row is None:
                raise NotFound("place in this workshop")
            questions = {
                q.id: q
                for q in await questions_in(
                    db, "programme_id = ? AND retired = 0", (row["programme_id"],)
                )
            }
            before = {
                r[0]: r[1]
                for r in await db.execute_fetchall(
                    "SELECT question_id, choice_id FROM profile_answers WHERE respondent_id = ?",
                    (respondent_id,),
                )
            }
            for question_id, choice_id in answers.items():
                question = questions.get(question_id)
                if question is None:
                    raise NotFound(QUESTION_NOT_FOUND)
                if choice_id is None:
                    continue
                choice = question.choice(choice_id)
                if choice is None:
                    raise Conflict(CHANGED_MEANWHILE)
                if choice.retired and before.get(question_id) != choice_id:
                    raise Conflict(
                        "“{label}” is no longer offered. Please choose again.", label=choice.label
                    )
            skipped = [q for q in questions if q not in answers]
            await db.executemany(
                "DELETE FROM profile_answers WHERE respondent_id = ? AND question_id = ?",
                [(respondent_id, q) for q in skipped],
            )
            # An unchanged answer keeps the time it was first given.
            await db.executemany(
                "INSERT INTO profile_answers (respondent_id, question_id, choice_id, answered_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (respondent_id, question_id) DO UPDATE SET"
                " choice_id = excluded.choice_id, answered_at = excluded.answered_at"
                " WHERE choice_id IS NOT excluded.choice_id",
                [(respondent_id, q, c, time.time()) for q, c in answers.items()],
            )

    # -- the room, the place and groups ----------------------------------------------------------

    async def room_profile(self, workshop_id: int) -> RoomProfile:
        """How the workshop's participants answered its programme's questions; paper sheets
        are counted apart, as nobody asked them."""
        present = await self._one(
            "SELECT COUNT(*), COALESCE(SUM(paper), 0) FROM participants WHERE workshop_id = ?",
            (workshop_id,),
        )
        rows = await self._all(
            "SELECT a.question_id, a.choice_id, COUNT(*) FROM participants p"
            " JOIN workshops w ON w.id = p.workshop_id"
            " JOIN profile_answers a ON a.respondent_id = p.respondent_id"
            " JOIN profile_questions q ON q.id = a.question_id AND q.programme_id = w.programme_id"
            " WHERE p.workshop_id = ? AND p.paper = 0 GROUP BY a.question_id, a.choice_id",
            (workshop_id,),
        )
        counts: dict[int, dict[int | None, int]] = {}
        for question_id, choice_id, n in rows:
            counts.setdefault(question_id, {})[choice_id] = n
        return RoomProfile(present[0], counts, paper=present[1])

    async def place_makeup(self, programme_id: int) -> dict[int, dict[int, float]]:
        """The place's figures as given: {question id: {choice id: amount}}."""
        rows = await self._all(
            "SELECT m.question_id, m.choice_id, m.amount FROM place_makeup m"
            " JOIN profile_questions q ON q.id = m.question_id WHERE q.programme_id = ?"
            " ORDER BY m.question_id, m.choice_id",
            (programme_id,),
        )
        out: dict[int, dict[int, float]] = {}
        for question_id, choice_id, amount in rows:
            out.setdefault(question_id, {})[choice_id] = amount
        return out

    async def set_place_makeup(
        self, programme_id: int, makeup: Mapping[int, Mapping[int, float]]
    ) -> None:
        """Replace the figures of each question in ``makeup`` (an empty mapping clears them),
        all in one transaction; questions not in it keep theirs."""
        async with self._write() as db:
            offered = await offered_map(db, programme_id)
            for question_id, amounts in makeup.items():
                if question_id not in offered or not set(amounts) <= offered[question_id]:
                    raise Conflict(CHANGED_MEANWHILE)
                if any(a < 0 for a in amounts.values()):
                    raise Conflict("A figure for the place cannot be below zero.")
            for question_id, amounts in makeup.items():
                await db.execute("DELETE FROM place_makeup WHERE question_id = ?", (question_id,))
                await db.executemany(
                    "INSERT INTO place_makeup (question_id, choice_id, amount) VALUES (?, ?, ?)",
                    [(question_id, c, float(a)) for c, a in amounts.items()],
                )

    async def round_groups(self, round_id: int, question_id: int) -> dict[int, str | None]:
        """Each participant of a closed round's workshop with the label of the answer to the
        question they had when the round closed (see FREEZE_SELECT); None when they had
        skipped it, preferred not to say, answered nothing or did not vote."""
        row = await self._one(
            "SELECT w.programme_id, r.status FROM rounds r"
            " JOIN workshops w ON w.id = r.workshop_id WHERE r.id = ?",
            (round_id,),
        )
        if row is None:
            raise NotFound("round")
        question = await self._one(
            "SELECT programme_id FROM profile_questions WHERE id = ?", (question_id,)
        )
        if question is None or question[0] != row[0]:
            raise NotFound(QUESTION_NOT_FOUND)
        if row[1] != "closed":
            raise Conflict("Results can be split by group once voting has closed.")
        rows = await self._all(
            "SELECT p.id, c.label FROM rounds r"
            " JOIN participants p ON p.workshop_id = r.workshop_id"
            " LEFT JOIN round_answers f ON f.round_id = r.id AND f.participant_id = p.id"
            "   AND f.question_id = ?"
            " LEFT JOIN profile_choices c ON c.id = f.choice_id"
            " WHERE r.id = ? ORDER BY p.id",
            (question_id, round_id),
        )
        return {r[0]: r[1] for r in rows}
