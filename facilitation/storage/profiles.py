"""Profiles repository: profile questions, respondents and their answers, the room, groups.

Answers are kept apart from ballots: a participant row only points at its programme respondent,
so results can be split without a ballot holding anything about the person. When a round closes,
its voters' answers are copied beside it (``round_answers``), and its results are split by that
copy, so a split never moves once voting has closed.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence

from facilitation.core.errors import Conflict, NotFound
from facilitation.people.rules import ProfileQuestion, Respondent, RoomProfile, label_key
from facilitation.storage.db import Database, Tx, move_in_order
from facilitation.storage.questions import (
    CHANGED_MEANWHILE,
    QUESTION_NOT_FOUND,
    check_choices,
    check_label,
    choice_used,
    offered_map,
    question_in,
    question_used,
    questions_in,
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


async def freeze_round_answers(tx: Tx, round_id: int) -> None:
    """Record each voter's answers as they stand now against a round that is closing (replacing
    any recorded when it closed before); call inside the transaction that closes it. Once the
    round's results have been split, its answers stay as they were then: a split recounted after
    someone changed an answer would show that person's ballot."""
    if await tx.value("SELECT 1 FROM split_bases WHERE round_id = ?", (round_id,)):
        return
    await tx.execute("DELETE FROM round_answers WHERE round_id = ?", (round_id,))
    await tx.execute(
        "INSERT INTO round_answers (round_id, participant_id, question_id, choice_id)"
        + FREEZE_SELECT
        + " WHERE r.id = ?",
        (round_id,),
    )


class Profiles:
    """A programme's profile questions, who answered them how, and the room and groups."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- profile questions -----------------------------------------------------------------------

    async def profile_questions(
        self, programme_id: int, *, include_retired: bool = False
    ) -> list[ProfileQuestion]:
        """A programme's questions in order, each with all its choices (offered ones first)."""
        where = "programme_id = ?" + ("" if include_retired else " AND retired = 0")
        return await questions_in(self._db, where, (programme_id,))

    async def profile_question(self, question_id: int) -> ProfileQuestion:
        """One question with all its choices; NotFound if there is none."""
        return await question_in(self._db, question_id)

    async def add_profile_question(
        self, programme_id: int, label: str, choices: Sequence[str]
    ) -> ProfileQuestion:
        """Add a question at the end with its choices in order ("prefer not to say" is implied)."""
        check_choices(choices)
        async with self._db.transaction() as tx:
            await check_label(tx, programme_id, label)
            position = await tx.value(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM profile_questions"
                " WHERE programme_id = ?",
                (programme_id,),
            )
            question_id = await tx.insert(
                "INSERT INTO profile_questions (programme_id, label, position, created_at)"
                " VALUES (?, ?, ?, ?)",
                (programme_id, label, position, time.time()),
            )
            await tx.executemany(
                "INSERT INTO profile_choices (question_id, label, position) VALUES (?, ?, ?)",
                [(question_id, c, i) for i, c in enumerate(choices, start=1)],
            )
            return await question_in(tx, question_id)

    async def update_profile_question(
        self, question_id: int, label: str, choices: Sequence[tuple[int | None, str]]
    ) -> ProfileQuestion:
        """Reword a question and set its offered choices: (choice id, label) keeps and renames a
        choice, (None, label) adds one. A choice left out is deleted if nobody picked it, else
        retired; a new label matching a retired choice brings that choice back."""
        check_choices([c for _id, c in choices])
        async with self._db.transaction() as tx:
            question = await question_in(tx, question_id)
            await check_label(tx, question.programme_id, label, question_id)
            mine = {c.id for c in question.choices}
            named = {cid for cid, _ in choices if cid is not None}
            if not named <= mine:
                raise Conflict(CHANGED_MEANWHILE)
            # A new label that an existing choice already has (retired, or left out of the form)
            # is that choice, so its answers stay together.
            spare = {label_key(c.label): c.id for c in question.choices if c.id not in named}
            kept = [
                (cid if cid is not None else spare.pop(label_key(text), None), text)
                for cid, text in choices
            ]
            keep_ids = {cid for cid, _ in kept if cid is not None}
            await tx.execute(
                "UPDATE profile_questions SET label = ? WHERE id = ?", (label, question_id)
            )
            for choice in question.choices:
                if choice.id in keep_ids or choice.retired:
                    continue
                if await choice_used(tx, question.programme_id, choice):
                    await tx.execute(
                        "UPDATE profile_choices SET retired = 1, position = ? WHERE id = ?",
                        (len(kept) + choice.position, choice.id),
                    )
                else:
                    await tx.execute("DELETE FROM place_makeup WHERE choice_id = ?", (choice.id,))
                    await tx.execute("DELETE FROM profile_choices WHERE id = ?", (choice.id,))
            for position, (choice_id, text) in enumerate(kept, start=1):
                if choice_id is None:
                    await tx.execute(
                        "INSERT INTO profile_choices (question_id, label, position)"
                        " VALUES (?, ?, ?)",
                        (question_id, text, position),
                    )
                else:
                    await tx.execute(
                        "UPDATE profile_choices SET label = ?, position = ?, retired = 0"
                        " WHERE id = ?",
                        (text, position, choice_id),
                    )
            return await question_in(tx, question_id)

    async def move_profile_question(self, question_id: int, step: int) -> None:
        """Swap a question with its neighbour above (step -1) or below (step +1)."""
        async with self._db.transaction() as tx:
            question = await question_in(tx, question_id)
            await move_in_order(
                tx, "profile_questions", "programme_id", question.programme_id, question_id, step
            )

    async def remove_profile_question(self, question_id: int) -> str:
        """Remove a question: "deleted" if nobody answered it, else "retired" (kept, not asked)."""
        async with self._db.transaction() as tx:
            question = await question_in(tx, question_id)
            if await question_used(tx, question):
                await tx.execute(
                    "UPDATE profile_questions SET retired = 1 WHERE id = ?", (question_id,)
                )
                return "retired"
            await tx.execute("DELETE FROM place_makeup WHERE question_id = ?", (question_id,))
            await tx.execute("DELETE FROM profile_choices WHERE question_id = ?", (question_id,))
            await tx.execute("DELETE FROM profile_questions WHERE id = ?", (question_id,))
            return "deleted"

    async def restore_profile_question(self, question_id: int) -> None:
        """Ask a retired question again; refused if a current question now has its label."""
        async with self._db.transaction() as tx:
            question = await question_in(tx, question_id)
            await check_label(tx, question.programme_id, question.label, question_id)
            await tx.execute(
                "UPDATE profile_questions SET retired = 0 WHERE id = ?", (question_id,)
            )

    # -- respondents and answers -----------------------------------------------------------------

    async def link_respondent(self, participant_id: int, token: str | None) -> Respondent | None:
        """The programme respondent for a workshop participant, linked to them: theirs if they
        have one, else the one this device's ``token`` names in the same programme, else a new
        one. None if the workshop is in no programme."""
        async with self._db.transaction() as tx:
            row = await tx.one(
                "SELECT p.respondent_id, w.programme_id FROM participants p"
                " JOIN workshops w ON w.id = p.workshop_id WHERE p.id = ?",
                (participant_id,),
            )
            if row is None:
                raise NotFound("place in this workshop")
            programme_id = row["programme_id"]
            if programme_id is None:
                return None
            found = None
            if row["respondent_id"] is not None:
                # Checked against the programme: a workshop moved to another programme leaves
                # the old link pointing at a respondent of the first one.
                found = await tx.one(
                    "SELECT * FROM respondents WHERE id = ? AND programme_id = ?",
                    (row["respondent_id"], programme_id),
                )
            if found is None and token:
                found = await tx.one(
                    "SELECT * FROM respondents WHERE programme_id = ? AND token = ?",
                    (programme_id, token),
                )
            if found is None:
                new_token = secrets.token_urlsafe(24)
                respondent_id = await tx.insert(
                    "INSERT INTO respondents (programme_id, token, created_at) VALUES (?, ?, ?)",
                    (programme_id, new_token, time.time()),
                )
                respondent = Respondent(respondent_id, programme_id, new_token)
            else:
                respondent = Respondent(found["id"], found["programme_id"], found["token"])
            await tx.execute(
                "UPDATE participants SET respondent_id = ? WHERE id = ?",
                (respondent.id, participant_id),
            )
            return respondent

    async def participant_respondent(self, participant_id: int) -> Respondent | None:
        """The respondent a participant is linked to, if any."""
        row = await self._db.one(
            "SELECT r.* FROM participants p JOIN respondents r ON r.id = p.respondent_id"
            " WHERE p.id = ?",
            (participant_id,),
        )
        return Respondent(row["id"], row["programme_id"], row["token"]) if row else None

    async def respondent_by_token(self, programme_id: int, token: str) -> Respondent | None:
        """The programme's respondent holding this device token, if any."""
        row = await self._db.one(
            "SELECT * FROM respondents WHERE programme_id = ? AND token = ?",
            (programme_id, token),
        )
        return Respondent(row["id"], row["programme_id"], row["token"]) if row else None

    async def profile_answers(self, respondent_id: int) -> dict[int, int | None]:
        """A respondent's answers: question id to choice id, None for "prefer not to say";
        skipped questions are absent."""
        rows = await self._db.all(
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
        async with self._db.transaction() as tx:
            row = await tx.one(
                "SELECT programme_id FROM respondents WHERE id = ?", (respondent_id,)
            )
            if row is None:
                raise NotFound("place in this workshop")
            questions = {
                q.id: q
                for q in await questions_in(
                    tx, "programme_id = ? AND retired = 0", (row["programme_id"],)
                )
            }
            before = {
                r[0]: r[1]
                for r in await tx.all(
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
            await tx.executemany(
                "DELETE FROM profile_answers WHERE respondent_id = ? AND question_id = ?",
                [(respondent_id, q) for q in skipped],
            )
            # An unchanged answer keeps the time it was first given.
            await tx.executemany(
                "INSERT INTO profile_answers (respondent_id, question_id, choice_id, answered_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (respondent_id, question_id) DO UPDATE SET"
                " choice_id = excluded.choice_id, answered_at = excluded.answered_at"
                # (no choice, "prefer not to say", is -1 here: ids are positive)
                " WHERE COALESCE(profile_answers.choice_id, -1)"
                " != COALESCE(excluded.choice_id, -1)",
                [(respondent_id, q, c, time.time()) for q, c in answers.items()],
            )

    # -- the room, the place and groups ----------------------------------------------------------

    async def room_profile(self, workshop_id: int) -> RoomProfile:
        """How the workshop's participants answered its programme's questions; paper sheets
        are counted apart, as nobody asked them."""
        present = await self._db.one(
            "SELECT COUNT(*), COALESCE(SUM(paper), 0) FROM participants WHERE workshop_id = ?",
            (workshop_id,),
        )
        assert present is not None  # an aggregate without GROUP BY always has its one row
        rows = await self._db.all(
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
        rows = await self._db.all(
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
        async with self._db.transaction() as tx:
            offered = await offered_map(tx, programme_id)
            for question_id, amounts in makeup.items():
                if question_id not in offered or not set(amounts) <= offered[question_id]:
                    raise Conflict(CHANGED_MEANWHILE)
                if any(a < 0 for a in amounts.values()):
                    raise Conflict("A figure for the place cannot be below zero.")
            for question_id, amounts in makeup.items():
                await tx.execute("DELETE FROM place_makeup WHERE question_id = ?", (question_id,))
                await tx.executemany(
                    "INSERT INTO place_makeup (question_id, choice_id, amount) VALUES (?, ?, ?)",
                    [(question_id, c, float(a)) for c, a in amounts.items()],
                )

    async def round_groups(self, round_id: int, question_id: int) -> dict[int, str | None]:
        """Each participant of a closed round's workshop with the label of the answer to the
        question they had when the round closed (see FREEZE_SELECT); None when they had
        skipped it, preferred not to say, answered nothing or did not vote."""
        row = await self._db.one(
            "SELECT w.programme_id, r.status FROM rounds r"
            " JOIN workshops w ON w.id = r.workshop_id WHERE r.id = ?",
            (round_id,),
        )
        if row is None:
            raise NotFound("round")
        question = await self._db.one(
            "SELECT programme_id FROM profile_questions WHERE id = ?", (question_id,)
        )
        if question is None or question[0] != row[0]:
            raise NotFound(QUESTION_NOT_FOUND)
        if row[1] != "closed":
            raise Conflict("Results can be split by group once voting has closed.")
        rows = await self._db.all(
            "SELECT p.id, c.label FROM rounds r"
            " JOIN participants p ON p.workshop_id = r.workshop_id"
            " LEFT JOIN round_answers f ON f.round_id = r.id AND f.participant_id = p.id"
            "   AND f.question_id = ?"
            " LEFT JOIN profile_choices c ON c.id = f.choice_id"
            " WHERE r.id = ? ORDER BY p.id",
            (question_id, round_id),
        )
        return {r[0]: r[1] for r in rows}
