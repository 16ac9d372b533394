"""Translations repository: what facilitators write, in other languages, kept in tables beside the
originals (an option's, a round's title, a card's, a profile question's and its choices', a
programme's health-check statements), each with the original words it translates."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from facilitation.core.wording import Key, Texts, Translation
from facilitation.storage.db import Database, Reader, Tx
from facilitation.storage.workshops import bump


@dataclass(frozen=True, slots=True)
class Table:
    """Where one subject's translations live: the table, the columns naming the thing, and the
    columns of its words."""

    name: str
    keys: tuple[str, ...]
    words: tuple[str, ...]


TABLES = {
    "option": Table("option_texts", ("option_id",), ("title", "description", "limit_text")),
    "round": Table("round_texts", ("round_id",), ("title",)),
    "card": Table("card_texts", ("round_id", "position"), ("title", "text")),
    "question": Table("question_texts", ("question_id",), ("label",)),
    "choice": Table("choice_texts", ("choice_id",), ("label",)),
    "statement": Table("statement_texts", ("programme_id", "dimension"), ("statement",)),
}

# The translations of one workshop's words, and of one programme's, joined to their owner.
_WORKSHOP = (
    ("option", "SELECT t.* FROM option_texts t JOIN options o ON o.id = t.option_id"
     " WHERE o.workshop_id = ?"),
    ("round", "SELECT t.* FROM round_texts t JOIN rounds r ON r.id = t.round_id"
     " WHERE r.workshop_id = ?"),
    ("card", "SELECT t.* FROM card_texts t JOIN rounds r ON r.id = t.round_id"
     " WHERE r.workshop_id = ?"),
)  # fmt: skip
_PROGRAMME = (
    ("question", "SELECT t.* FROM question_texts t JOIN profile_questions q"
     " ON q.id = t.question_id WHERE q.programme_id = ?"),
    ("choice", "SELECT t.* FROM choice_texts t JOIN profile_choices c ON c.id = t.choice_id"
     " JOIN profile_questions q ON q.id = c.question_id WHERE q.programme_id = ?"),
    ("statement", "SELECT t.* FROM statement_texts t WHERE t.programme_id = ?"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Wording:
    """One thing's words in one language, to keep: empty words remove its translation."""

    key: Key
    words: tuple[str, ...]
    source: tuple[str, ...]


async def _read(
    db: Reader, queries: Sequence[tuple[str, str]], owner: int
) -> dict[tuple[str, str, str], Translation]:
    found: dict[tuple[str, str, str], Translation] = {}
    for subject, sql in queries:
        table = TABLES[subject]
        for row in await db.all(sql, (owner,)):
            ref = ":".join(str(row[k]) for k in table.keys)
            source = tuple(json.loads(row["source"]))
            words = tuple(row[w] for w in table.words)
            found[(subject, ref, row["language"])] = Translation(words, source)
    return found


async def write_wordings(tx: Tx, language: str, wordings: Sequence[Wording]) -> None:
    """Keep (or, when all its words are empty, remove) each thing's translation inside ``tx``."""
    for wording in wordings:
        subject, ref = wording.key
        table = TABLES[subject]
        refs = [int(part) if part.isdigit() else part for part in ref.split(":")]
        where = " AND ".join(f"{k} = ?" for k in table.keys)
        await tx.execute(
            f"DELETE FROM {table.name} WHERE {where} AND language = ?", (*refs, language)
        )
        if not any(wording.words):
            continue
        columns = (*table.keys, "language", *table.words, "source")
        marks = ", ".join("?" * len(columns))
        await tx.execute(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})",
            (*refs, language, *wording.words, json.dumps(list(wording.source))),
        )


class Translations:
    """Translations of a workshop's and a programme's words."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def workshop_texts(self, workshop_id: int, main: str) -> Texts:
        """Every translation of a workshop's options, round titles and cards."""
        return Texts(main, await _read(self._db, _WORKSHOP, workshop_id))

    async def programme_texts(self, programme_id: int, main: str) -> Texts:
        """Every translation of a programme's profile questions, their choices and its
        health-check statements."""
        return Texts(main, await _read(self._db, _PROGRAMME, programme_id))

    async def save_workshop_texts(
        self, workshop_id: int, language: str, wordings: Sequence[Wording]
    ) -> None:
        """Keep a workshop's translations into one language, all at once; its screens show
        them."""
        async with self._db.transaction() as tx:
            await write_wordings(tx, language, wordings)
            await bump(tx, workshop_id)

    async def save_programme_texts(
        self, programme_id: int, language: str, wordings: Sequence[Wording]
    ) -> None:
        """Keep a programme's translations into one language, all at once."""
        async with self._db.transaction() as tx:
            await write_wordings(tx, language, wordings)
