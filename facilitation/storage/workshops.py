"""Workshops repository: workshops and their revision, participants (paper and door tablet too),
room switch."""

from __future__ import annotations

import datetime as dt
import secrets
import time

from facilitation.core.errors import Conflict, NotFound
from facilitation.core.models import Participant, Workshop
from facilitation.storage.db import Database, IntegrityError, Row, Tx

# Join codes avoid characters people confuse when reading them off a screen: 0/O, 1/I/L, 5/S, 2/Z.
CODE_ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"
# 27^8, about 2.8 x 10^11 codes: guessing stays hopeless at any pace the server can answer (see
# the README's "Refusing hostile clients"). Workshops made with six characters keep their codes.
CODE_LENGTH = 8


def workshop_from_row(row: Row) -> Workshop:
    """A workshop from its row: its date a date, or None with any old text kept as a note."""
    day, note = _day(row["held_on"]), row["date"]
    if day is None and row["held_on"]:
        note = note or str(row["held_on"])  # a date the migration took but no calendar has
    return Workshop(
        row["id"],
        row["code"],
        row["title"],
        day,
        row["place"],
        row["revision"],
        row["current_round_id"],
        row["organisation_id"],
        note,
    )


def _day(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def participant_from_row(row: Row) -> Participant:
    """A participant from its row."""
    return Participant(
        row["id"], row["workshop_id"], row["token"], row["display_name"], row["source"]
    )


async def bump(tx: Tx, workshop_id: int) -> int:
    """Move a workshop on to its next revision inside ``tx``; returns the new revision.

    Every change a live screen shows bumps it, in the transaction that makes the change."""
    row = await tx.one(
        "UPDATE workshops SET revision = revision + 1 WHERE id = ? RETURNING revision",
        (workshop_id,),
    )
    if row is None:
        raise NotFound("workshop")
    revision: int = row[0]
    return revision


class Workshops:
    """Workshops, who joined them, and the board's room switch."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- workshops -------------------------------------------------------------------------------

    async def create_workshop(
        self, title: str, date: dt.date | None, place: str, user_id: int
    ) -> Workshop:
        """Add a workshop with a fresh join code, in the organisation of the account making it."""
        async with self._db.transaction() as tx:
            organisation_id = await tx.value(
                "SELECT organisation_id FROM users WHERE id = ?", (user_id,)
            )
            if organisation_id is None:
                raise NotFound("account")
            for _ in range(50):
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                try:
                    async with tx.savepoint():
                        workshop_id = await tx.insert(
                            "INSERT INTO workshops (code, title, held_on, place, created_by,"
                            " created_at, organisation_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (code, title, _iso(date), place, user_id, time.time(), organisation_id),
                        )
                except IntegrityError:
                    continue
                return Workshop(workshop_id, code, title, date, place, 0, None, organisation_id)
        raise Conflict("Could not find a free join code; please try again.")

    async def update_workshop(
        self, workshop_id: int, title: str, date: dt.date | None, place: str
    ) -> None:
        """Change a workshop's title, date and place; a date given replaces any old note."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE workshops SET title = ?, held_on = ?, place = ? WHERE id = ?",
                (title, _iso(date), place, workshop_id),
            )
            if date is not None:
                await tx.execute("UPDATE workshops SET date = '' WHERE id = ?", (workshop_id,))
            await bump(tx, workshop_id)

    async def workshops(self, organisation_id: int) -> list[Workshop]:
        """An organisation's workshops, newest first."""
        rows = await self._db.all(
            "SELECT * FROM workshops WHERE organisation_id = ? ORDER BY created_at DESC, id DESC",
            (organisation_id,),
        )
        return [workshop_from_row(r) for r in rows]

    async def workshop(self, workshop_id: int) -> Workshop:
        """A workshop by id; NotFound if there is none."""
        row = await self._db.one("SELECT * FROM workshops WHERE id = ?", (workshop_id,))
        if row is None:
            raise NotFound("workshop")
        return workshop_from_row(row)

    async def workshop_by_code(self, code: str) -> Workshop | None:
        """The workshop with this join code, if any."""
        row = await self._db.one("SELECT * FROM workshops WHERE code = ?", (code,))
        return workshop_from_row(row) if row else None

    # -- participants ----------------------------------------------------------------------------

    async def join(self, workshop_id: int, display_name: str) -> Participant:
        """Add a participant with a new secret token."""
        token = secrets.token_urlsafe(24)
        async with self._db.transaction(workshop=workshop_id) as tx:
            participant_id = await tx.insert(
                "INSERT INTO participants (workshop_id, token, display_name, joined_at)"
                " VALUES (?, ?, ?, ?)",
                (workshop_id, token, display_name, time.time()),
            )
            await bump(tx, workshop_id)
            return Participant(participant_id, workshop_id, token, display_name)

    async def rename_participant(self, participant_id: int, display_name: str) -> None:
        """Change the name a participant goes by."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE participants SET display_name = ? WHERE id = ?",
                (display_name, participant_id),
            )

    async def participant_by_token(self, token: str) -> Participant | None:
        """The participant holding this secret token, if any."""
        row = await self._db.one("SELECT * FROM participants WHERE token = ?", (token,))
        return participant_from_row(row) if row else None

    async def participants(self, workshop_id: int) -> list[Participant]:
        """A workshop's participants in the order they joined."""
        rows = await self._db.all(
            "SELECT * FROM participants WHERE workshop_id = ? ORDER BY id", (workshop_id,)
        )
        return [participant_from_row(r) for r in rows]

    async def paper_participant(self, workshop_id: int, label: str) -> Participant:
        """The participant standing for the paper ballot with this label, made on first use, so
        the same sheet entered in a later round is one person, not two."""
        async with self._db.transaction() as tx:
            row = await tx.one(
                "SELECT * FROM participants WHERE workshop_id = ? AND paper = 1"
                " AND display_name = ? AND erased = 0",
                (workshop_id, label),
            )
            if row is None:
                token = "paper-" + secrets.token_urlsafe(18)
                participant_id = await tx.insert(
                    "INSERT INTO participants (workshop_id, token, display_name, joined_at, paper,"
                    " source) VALUES (?, ?, ?, ?, 1, 'paper')",
                    (workshop_id, token, label, time.time()),
                )
                await bump(tx, workshop_id)
                return Participant(participant_id, workshop_id, token, label, "paper")
            return Participant(row["id"], workshop_id, row["token"], row["display_name"], "paper")

    async def paper_labels(self, workshop_id: int) -> list[str]:
        """Labels of the paper ballots entered so far, in the order first entered."""
        rows = await self._db.all(
            "SELECT display_name FROM participants WHERE workshop_id = ? AND paper = 1"
            " AND erased = 0 ORDER BY id",
            (workshop_id,),
        )
        return [r[0] for r in rows]

    # -- the board's room panel ------------------------------------------------------------------

    async def room_on_board(self, workshop_id: int) -> bool:
        """Whether the facilitator chose to show the room against the place on the board."""
        row = await self._db.one(
            "SELECT 1 FROM room_on_board WHERE workshop_id = ?", (workshop_id,)
        )
        return row is not None

    async def set_room_on_board(self, workshop_id: int, on: bool) -> None:
        """Show the room against the place on the board, or stop showing it (off unless set)."""
        async with self._db.transaction() as tx:
            if on:
                await tx.execute(
                    "INSERT INTO room_on_board (workshop_id) VALUES (?) ON CONFLICT DO NOTHING",
                    (workshop_id,),
                )
            else:
                await tx.execute("DELETE FROM room_on_board WHERE workshop_id = ?", (workshop_id,))
