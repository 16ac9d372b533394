"""Store methods for a programme's profile questions and their choices, and the SQL they share.

Part of the storage layer (the only SQL in the project), mixed into ``storage.Store`` through
``storage_people.PeopleStore``; the tables are made by ``storage_people.PEOPLE_MIGRATIONS``. A
question or a choice that somebody answered is retired rather than deleted, as a withdrawn option
is, so every stored answer (and every answer frozen with a closed round) keeps naming what the
person picked.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import Any

import aiosqlite

from facilitation.core.errors import Conflict, NotFound
from facilitation.people.rules import PREFER_NOT_TO_SAY, Choice, ProfileQuestion, label_key

QUESTION_NOT_FOUND = "profile question"
CHANGED_MEANWHILE = (
    "The profile questions changed while this was being prepared. Please reload and try again."
)


def _choice(row: sqlite3.Row) -> Choice:
    return Choice(
        row["id"], row["question_id"], row["label"], row["position"], bool(row["retired"])
    )


def _question(row: sqlite3.Row, choices: Sequence[Choice]) -> ProfileQuestion:
    return ProfileQuestion(
        row["id"],
        row["programme_id"],
        row["label"],
        row["position"],
        tuple(choices),
        bool(row["retired"]),
    )


async def _rows(db: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> list:
    return list(await db.execute_fetchall(sql, tuple(params)))


async def questions_in(
    db: aiosqlite.Connection, where: str, params: Sequence[Any]
) -> list[ProfileQuestion]:
    """Questions matching ``where`` with all their choices (retired too), in order."""
    rows = await _rows(
        db, f"SELECT * FROM profile_questions WHERE {where} ORDER BY position, id", params
    )
    if not rows:
        return []
    marks = ",".join("?" * len(rows))
    choices: dict[int, list[Choice]] = {r["id"]: [] for r in rows}
    for c in await _rows(
        db,
        f"SELECT * FROM profile_choices WHERE question_id IN ({marks})"
        " ORDER BY question_id, retired, position, id",
        [r["id"] for r in rows],
    ):
        choices[c["question_id"]].append(_choice(c))
    return [_question(r, choices[r["id"]]) for r in rows]


async def _question_in(db: aiosqlite.Connection, question_id: int) -> ProfileQuestion:
    found = await questions_in(db, "id = ?", (question_id,))
    if not found:
        raise NotFound(QUESTION_NOT_FOUND)
    return found[0]


async def _check_label(
    db: aiosqlite.Connection, programme_id: int, label: str, question_id: int = 0
) -> None:
    """Two questions of a programme may not share a label: imports match columns by label."""
    for other in await questions_in(
        db, "programme_id = ? AND id != ? AND retired = 0", (programme_id, question_id)
    ):
        if label_key(other.label) == label_key(label):
            raise Conflict("This programme already asks “{label}”.", label=other.label)


def _check_choices(labels: Sequence[str]) -> None:
    seen = set()
    for label in labels:
        key = label_key(label)
        if key == label_key(PREFER_NOT_TO_SAY):
            raise Conflict("“{label}” is always offered; there is no need to add it.", label=label)
        if key in seen:
            raise Conflict("The answer “{label}” is listed twice.", label=label)
        seen.add(key)


async def _choice_used(db: aiosqlite.Connection, programme_id: int, choice: Choice) -> bool:
    """Whether any answer (now or as frozen when a round closed) or any volunteer names it."""
    row = await (
        await db.execute(
            "SELECT EXISTS (SELECT 1 FROM profile_answers WHERE question_id = :q"
            "   AND choice_id = :c)"
            " OR EXISTS (SELECT 1 FROM round_answers WHERE question_id = :q AND choice_id = :c)"
            " OR EXISTS (SELECT 1 FROM volunteers v JOIN pools p ON p.id = v.pool_id,"
            "   json_each(v.answers) j WHERE p.programme_id = :p"
            "   AND j.key = CAST(:q AS TEXT) AND j.value = :c)",
            {"c": choice.id, "q": choice.question_id, "p": programme_id},
        )
    ).fetchone()
    return bool(row[0])


async def _question_used(db: aiosqlite.Connection, question: ProfileQuestion) -> bool:
    """Whether anybody answered the question (even "prefer not to say"), here, in a closed
    round's frozen answers or in a pool."""
    row = await (
        await db.execute(
            "SELECT EXISTS (SELECT 1 FROM profile_answers WHERE question_id = :q)"
            " OR EXISTS (SELECT 1 FROM round_answers WHERE question_id = :q)"
            " OR EXISTS (SELECT 1 FROM volunteers v JOIN pools p ON p.id = v.pool_id,"
            "   json_each(v.answers) j WHERE p.programme_id = :p AND j.key = CAST(:q AS TEXT))",
            {"q": question.id, "p": question.programme_id},
        )
    ).fetchone()
    return bool(row[0])


async def offered_map(db: aiosqlite.Connection, programme_id: int) -> dict[int, set[int]]:
    """Each current question of a programme with the ids of the choices it offers now."""
    return {
        q.id: {c.id for c in q.offered}
        for q in await questions_in(db, "programme_id = ? AND retired = 0", (programme_id,))
    }


class ProfileStore:
    """A programme's profile questions; relies on Store's _write and its connections."""

    _write: Any
    _all: Any
    _one: Any
    _writer: Any
    _reader: Any

    def _conn(self) -> aiosqlite.Connection:
        conn = self._reader or self._writer
        assert conn is not None, "Store.open() was not awaited"
        return conn

    # -- profile questions -----------------------------------------------------------------------

    async def profile_questions(
        self, programme_id: int, *, include_retired: bool = False
    ) -> list[ProfileQuestion]:
        """A programme's questions in order, each with all its choices (offered ones first)."""
        where = "programme_id = ?" + ("" if include_retired else " AND retired = 0")
        return await questions_in(self._conn(), where, (programme_id,))

    async def profile_question(self, question_id: int) -> ProfileQuestion:
        return await _question_in(self._conn(), question_id)

    async def add_profile_question(
        self, programme_id: int, label: str, choices: Sequence[str]
    ) -> ProfileQuestion:
        """Add a question at the end with its choices in order ("prefer not to say" is implied)."""
        _check_choices(choices)
        async with self._write() as db:
            await _check_label(db, programme_id, label)
            row = await (
                await db.execute(
                    "SELECT COALESCE(MAX(position), 0) + 1 FROM profile_questions"
                    " WHERE programme_id = ?",
                    (programme_id,),
                )
            ).fetchone()
            cur = await db.execute(
                "INSERT INTO profile_questions (programme_id, label, position, created_at)"
                " VALUES (?, ?, ?, ?)",
                (programme_id, label, row[0], time.time()),
            )
            question_id = cur.lastrowid
            await db.executemany(
                "INSERT INTO profile_choices (question_id, label, position) VALUES (?, ?, ?)",
                [(question_id, c, i) for i, c in enumerate(choices, start=1)],
            )
            return await _question_in(db, question_id)

    async def update_profile_question(
        self, question_id: int, label: str, choices: Sequence[tuple[int | None, str]]
    ) -> ProfileQuestion:
        """Reword a question and set its offered choices: (choice id, label) keeps and renames a
        choice, (None, label) adds one. A choice left out is deleted if nobody picked it, else
        retired; a new label matching a retired choice brings that choice back."""
        _check_choices([c for _id, c in choices])
        async with self._write() as db:
            question = await _question_in(db, question_id)
            await _check_label(db, question.programme_id, label, question_id)
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
            await db.execute(
                "UPDATE profile_questions SET label = ? WHERE id = ?", (label, question_id)
            )
            for choice in question.choices:
                if choice.id in keep_ids or choice.retired:
                    continue
                if await _choice_used(db, question.programme_id, choice):
                    await db.execute(
                        "UPDATE profile_choices SET retired = 1, position = ? WHERE id = ?",
                        (len(kept) + choice.position, choice.id),
                    )
                else:
                    await db.execute("DELETE FROM place_makeup WHERE choice_id = ?", (choice.id,))
                    await db.execute("DELETE FROM profile_choices WHERE id = ?", (choice.id,))
            for position, (choice_id, text) in enumerate(kept, start=1):
                if choice_id is None:
                    await db.execute(
                        "INSERT INTO profile_choices (question_id, label, position)"
                        " VALUES (?, ?, ?)",
                        (question_id, text, position),
                    )
                else:
                    await db.execute(
                        "UPDATE profile_choices SET label = ?, position = ?, retired = 0"
                        " WHERE id = ?",
                        (text, position, choice_id),
                    )
            return await _question_in(db, question_id)

    async def move_profile_question(self, question_id: int, step: int) -> None:
        """Swap a question with its neighbour above (step -1) or below (step +1)."""
        async with self._write() as db:
            question = await _question_in(db, question_id)
            ordered = [
                r[0]
                for r in await _rows(
                    db,
                    "SELECT id FROM profile_questions WHERE programme_id = ? ORDER BY position, id",
                    (question.programme_id,),
                )
            ]
            i = ordered.index(question_id)
            j = i + step
            if 0 <= j < len(ordered):
                ordered[i], ordered[j] = ordered[j], ordered[i]
                await db.executemany(
                    "UPDATE profile_questions SET position = ? WHERE id = ?",
                    [(pos, qid) for pos, qid in enumerate(ordered, start=1)],
                )

    async def remove_profile_question(self, question_id: int) -> str:
        """Remove a question: "deleted" if nobody answered it, else "retired" (kept, not asked)."""
        async with self._write() as db:
            question = await _question_in(db, question_id)
            if await _question_used(db, question):
                await db.execute(
                    "UPDATE profile_questions SET retired = 1 WHERE id = ?", (question_id,)
                )
                return "retired"
            await db.execute("DELETE FROM place_makeup WHERE question_id = ?", (question_id,))
            await db.execute("DELETE FROM profile_choices WHERE question_id = ?", (question_id,))
            await db.execute("DELETE FROM profile_questions WHERE id = ?", (question_id,))
            return "deleted"

    async def restore_profile_question(self, question_id: int) -> None:
        """Ask a retired question again; refused if a current question now has its label."""
        async with self._write() as db:
            question = await _question_in(db, question_id)
            await _check_label(db, question.programme_id, question.label, question_id)
            await db.execute(
                "UPDATE profile_questions SET retired = 0 WHERE id = ?", (question_id,)
            )
