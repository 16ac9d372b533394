"""Profile questions and choices as stored: reading them, and the checks profiles and pools share.

A question or a choice that somebody answered is retired rather than deleted, as a withdrawn option
is, so every stored answer (and every answer frozen with a closed round) keeps naming what the
person picked. The repository that changes them is ``profiles.Profiles``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from facilitation.core.errors import Conflict, NotFound
from facilitation.people.rules import PREFER_NOT_TO_SAY, Choice, ProfileQuestion, label_key
from facilitation.storage.db import Reader, Row

QUESTION_NOT_FOUND = "profile question"
CHANGED_MEANWHILE = (
    "The profile questions changed while this was being prepared. Please reload and try again."
)


def choice_from_row(row: Row) -> Choice:
    """A choice from its row."""
    return Choice(
        row["id"], row["question_id"], row["label"], row["position"], bool(row["retired"])
    )


def question_from_row(row: Row, choices: Sequence[Choice]) -> ProfileQuestion:
    """A question from its row and its choices."""
    return ProfileQuestion(
        row["id"],
        row["programme_id"],
        row["label"],
        row["position"],
        tuple(choices),
        bool(row["retired"]),
    )


async def questions_in(db: Reader, where: str, params: Sequence[Any]) -> list[ProfileQuestion]:
    """Questions matching ``where`` with all their choices (retired too), in order."""
    rows = await db.all(
        f"SELECT * FROM profile_questions WHERE {where} ORDER BY position, id", params
    )
    if not rows:
        return []
    marks = ",".join("?" * len(rows))
    choices: dict[int, list[Choice]] = {r["id"]: [] for r in rows}
    for c in await db.all(
        f"SELECT * FROM profile_choices WHERE question_id IN ({marks})"
        " ORDER BY question_id, retired, position, id",
        [r["id"] for r in rows],
    ):
        choices[c["question_id"]].append(choice_from_row(c))
    return [question_from_row(r, choices[r["id"]]) for r in rows]


async def question_in(db: Reader, question_id: int) -> ProfileQuestion:
    """One question with all its choices; NotFound if there is none."""
    found = await questions_in(db, "id = ?", (question_id,))
    if not found:
        raise NotFound(QUESTION_NOT_FOUND)
    return found[0]


async def check_label(db: Reader, programme_id: int, label: str, question_id: int = 0) -> None:
    """Two questions of a programme may not share a label: imports match columns by label."""
    for other in await questions_in(
        db, "programme_id = ? AND id != ? AND retired = 0", (programme_id, question_id)
    ):
        if label_key(other.label) == label_key(label):
            raise Conflict("This programme already asks “{label}”.", label=other.label)


def check_choices(labels: Sequence[str]) -> None:
    """A question's choices may not repeat, nor list "prefer not to say", which is implied."""
    seen = set()
    for label in labels:
        key = label_key(label)
        if key == label_key(PREFER_NOT_TO_SAY):
            raise Conflict("“{label}” is always offered; there is no need to add it.", label=label)
        if key in seen:
            raise Conflict("The answer “{label}” is listed twice.", label=label)
        seen.add(key)


async def _volunteer_answers(db: Reader, programme_id: int) -> list[dict[str, Any]]:
    """Every volunteer's answers in a programme's pools (JSON read here, on either engine)."""
    rows = await db.all(
        "SELECT v.answers FROM volunteers v JOIN pools p ON p.id = v.pool_id"
        " WHERE p.programme_id = ?",
        (programme_id,),
    )
    return [json.loads(r[0]) for r in rows]


async def choice_used(db: Reader, programme_id: int, choice: Choice) -> bool:
    """Whether any answer (now or as frozen when a round closed) or any volunteer names it."""
    q, c = choice.question_id, choice.id
    if await db.value(
        "SELECT EXISTS (SELECT 1 FROM profile_answers WHERE question_id = ?"
        "   AND choice_id = ?)"
        " OR EXISTS (SELECT 1 FROM round_answers WHERE question_id = ? AND choice_id = ?)",
        (q, c, q, c),
    ):
        return True
    return any(a.get(str(q)) == c for a in await _volunteer_answers(db, programme_id))


async def question_used(db: Reader, question: ProfileQuestion) -> bool:
    """Whether anybody answered the question (even "prefer not to say"), here, in a closed
    round's frozen answers or in a pool."""
    q = question.id
    if await db.value(
        "SELECT EXISTS (SELECT 1 FROM profile_answers WHERE question_id = ?)"
        " OR EXISTS (SELECT 1 FROM round_answers WHERE question_id = ?)",
        (q, q),
    ):
        return True
    return any(str(q) in a for a in await _volunteer_answers(db, question.programme_id))


async def offered_map(db: Reader, programme_id: int) -> dict[int, set[int]]:
    """Each current question of a programme with the ids of the choices it offers now."""
    return {
        q.id: {c.id for c in q.offered}
        for q in await questions_in(db, "programme_id = ? AND retired = 0", (programme_id,))
    }
