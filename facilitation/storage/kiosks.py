"""Kiosks repository: the shared tablets at a workshop's door and who took part on them."""

from __future__ import annotations

import secrets
import time

from facilitation.core.errors import NotFound
from facilitation.core.models import Kiosk, Participant
from facilitation.storage.db import Database, Row
from facilitation.storage.workshops import bump

KIOSK_SELECT = (
    "SELECT k.*, (SELECT COUNT(*) FROM participants p WHERE p.kiosk_id = k.id) AS people"
    " FROM kiosks k"
)


def kiosk_from_row(row: Row) -> Kiosk:
    return Kiosk(row["id"], row["workshop_id"], row["created_at"], row["locked_at"], row["people"])


class Kiosks:
    """Tablets unlocked for a workshop, each known by a secret token kept in its cookie."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def unlock(self, workshop_id: int) -> tuple[Kiosk, str]:
        """A new tablet for a workshop and the secret token that identifies it."""
        token = secrets.token_urlsafe(24)
        now = time.time()
        async with self._db.transaction() as tx:
            kiosk_id = await tx.insert(
                "INSERT INTO kiosks (workshop_id, token, created_at) VALUES (?, ?, ?)",
                (workshop_id, token, now),
            )
            return Kiosk(kiosk_id, workshop_id, now), token

    async def by_token(self, token: str) -> Kiosk | None:
        """The tablet holding this token, locked or not, if any."""
        row = await self._db.one(KIOSK_SELECT + " WHERE k.token = ?", (token,))
        return kiosk_from_row(row) if row else None

    async def kiosks(self, workshop_id: int) -> list[Kiosk]:
        """A workshop's tablets in the order they were unlocked."""
        rows = await self._db.all(
            KIOSK_SELECT + " WHERE k.workshop_id = ? ORDER BY k.id", (workshop_id,)
        )
        return [kiosk_from_row(r) for r in rows]

    async def lock(self, workshop_id: int, kiosk_id: int) -> Kiosk:
        """Lock a workshop's tablet: it takes no one else until unlocked again."""
        async with self._db.transaction() as tx:
            row = await tx.one(
                KIOSK_SELECT + " WHERE k.id = ? AND k.workshop_id = ?", (kiosk_id, workshop_id)
            )
            if row is None:
                raise NotFound("tablet")
            if row["locked_at"] is None:
                await tx.execute(
                    "UPDATE kiosks SET locked_at = ? WHERE id = ?", (time.time(), kiosk_id)
                )
            return kiosk_from_row(row)

    async def new_person(self, kiosk: Kiosk, display_name: str) -> Participant:
        """A new participant taking part on this tablet, with a secret token of their own."""
        token = secrets.token_urlsafe(24)
        async with self._db.transaction() as tx:
            participant_id = await tx.insert(
                "INSERT INTO participants (workshop_id, token, display_name, joined_at, source,"
                " kiosk_id) VALUES (?, ?, ?, ?, 'kiosk', ?)",
                (kiosk.workshop_id, token, display_name, time.time(), kiosk.id),
            )
            await bump(tx, kiosk.workshop_id)
            return Participant(participant_id, kiosk.workshop_id, token, display_name, "kiosk")
