"""Store methods and migration for whether a workshop's board shows the room against its place.

Part of the storage layer (the only SQL in the project), mixed into ``storage.Store``. The choice
is the facilitator's, per workshop, and off unless they turn it on: a row means "on".
"""

from __future__ import annotations

from typing import Any

ROOM_MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0007_room_on_board",
        """
        CREATE TABLE room_on_board (
            workshop_id INTEGER PRIMARY KEY REFERENCES workshops(id)
        );
        """,
    ),
)


class RoomStore:
    """The board's room panel switch; relies on Store's _write and _one."""

    _write: Any
    _one: Any

    async def room_on_board(self, workshop_id: int) -> bool:
        """Whether the facilitator chose to show the room against the place on the board."""
        row = await self._one("SELECT 1 FROM room_on_board WHERE workshop_id = ?", (workshop_id,))
        return row is not None

    async def set_room_on_board(self, workshop_id: int, on: bool) -> None:
        async with self._write() as db:
            if on:
                await db.execute(
                    "INSERT OR IGNORE INTO room_on_board (workshop_id) VALUES (?)", (workshop_id,)
                )
            else:
                await db.execute("DELETE FROM room_on_board WHERE workshop_id = ?", (workshop_id,))
