"""Languages repository: the languages each workshop is run in (its main one and the board's) and
each facilitator's own language."""

from __future__ import annotations

from collections.abc import Sequence

from facilitation.core.wording import Languages
from facilitation.storage.db import Database, Reader, Tx
from facilitation.storage.workshops import bump


async def workshop_languages_in(db: Reader, workshop_id: int) -> Languages:
    """A workshop's languages read through ``db``; English alone when none were set."""
    rows = await db.all(
        "SELECT language, board FROM workshop_languages WHERE workshop_id = ?"
        " ORDER BY position, language",
        (workshop_id,),
    )
    if not rows:
        return Languages()
    codes = tuple(r[0] for r in rows)
    board = tuple(r[0] for r in sorted((r for r in rows if r[1]), key=lambda r: r[1]))
    return Languages(codes[0], codes, board or codes[:1])


async def write_workshop_languages(tx: Tx, workshop_id: int, chosen: Languages) -> None:
    """Replace a workshop's languages inside ``tx``: main first, then the others in order."""
    await tx.execute("DELETE FROM workshop_languages WHERE workshop_id = ?", (workshop_id,))
    order = [chosen.main, *(c for c in chosen.all if c != chosen.main)]
    await tx.executemany(
        "INSERT INTO workshop_languages (workshop_id, language, position, board)"
        " VALUES (?, ?, ?, ?)",
        [
            (workshop_id, code, i, chosen.board.index(code) + 1 if code in chosen.board else 0)
            for i, code in enumerate(order)
        ],
    )


class LanguageChoices:
    """Which languages a workshop offers, and in which a facilitator reads their pages."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def workshop_languages(self, workshop_id: int) -> Languages:
        """A workshop's languages: main, all (main first), and the board's one or two."""
        return await workshop_languages_in(self._db, workshop_id)

    async def set_workshop_languages(self, workshop_id: int, chosen: Languages) -> None:
        """Replace a workshop's languages; its screens show the change."""
        async with self._db.transaction() as tx:
            await write_workshop_languages(tx, workshop_id, chosen)
            await bump(tx, workshop_id)

    async def programme_languages(self, programme_id: int) -> Languages:
        """The languages of a programme's workshops: the main one of its first workshop (or
        English), then every other one any of them offers."""
        rows = await self._db.all(
            "SELECT wl.language, wl.position FROM workshop_languages wl"
            " JOIN workshops w ON w.id = wl.workshop_id WHERE w.programme_id = ?"
            " ORDER BY w.created_at, w.id, wl.position",
            (programme_id,),
        )
        if not rows:
            return Languages()
        codes: Sequence[str] = list(dict.fromkeys(r[0] for r in rows))
        return Languages(codes[0], tuple(codes), (codes[0],))

    async def user_language(self, user_id: int) -> str | None:
        """The language a facilitator chose for their pages, if they chose one."""
        value = await self._db.value(
            "SELECT language FROM user_languages WHERE user_id = ?", (user_id,)
        )
        return value if isinstance(value, str) else None

    async def set_user_language(self, user_id: int, language: str) -> None:
        """Keep a facilitator's choice of language for their pages, on every device."""
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM user_languages WHERE user_id = ?", (user_id,))
            await tx.execute(
                "INSERT INTO user_languages (user_id, language) VALUES (?, ?)",
                (user_id, language),
            )
