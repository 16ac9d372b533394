"""Options repository: a workshop's options, their order, scope, cost and picture, withdrawal and
return."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Literal

from facilitation.core.errors import Conflict, NotFound
from facilitation.core.models import LimitKind, Option, Scope
from facilitation.storage.db import Database, Reader, Row, Tx, move_in_order
from facilitation.storage.rounds import in_opened_round
from facilitation.storage.workshops import bump


def option_from_row(row: Row) -> Option:
    """An option from its row."""
    return Option(
        row["id"],
        row["workshop_id"],
        row["title"],
        row["description"],
        row["position"],
        bool(row["withdrawn"]),
        Scope(row["scope"]),
        LimitKind(row["limit_kind"]) if row["limit_kind"] else None,
        row["limit_text"],
        row["cost"],
        row["picture"],
    )


def _scope_values(scope: tuple[Scope, LimitKind | None, str]) -> tuple[str, str, str]:
    kind, limit, text = scope
    return kind.value, limit.value if limit else "", text


async def option_in(db: Reader, option_id: int) -> Option:
    """An option read through ``db`` (inside its transaction, when it is one)."""
    row = await db.one("SELECT * FROM options WHERE id = ?", (option_id,))
    if row is None:
        raise NotFound("option")
    return option_from_row(row)


async def append_options(
    tx: Tx, workshop_id: int, rows: Sequence[tuple[str, str, str]]
) -> list[int]:
    """Add options (title, description, health-check dimension or "") after a workshop's last
    one, inside ``tx``; returns their ids in order. The caller bumps the workshop."""
    top = await tx.value(
        "SELECT COALESCE(MAX(position), 0) FROM options WHERE workshop_id = ?", (workshop_id,)
    )
    return [
        await tx.insert(
            "INSERT INTO options (workshop_id, title, description, position, pact)"
            " VALUES (?, ?, ?, ?, ?)",
            (workshop_id, title, description, top + i, pact),
        )
        for i, (title, description, pact) in enumerate(rows, start=1)
    ]


class Options:
    """What a workshop's rounds can put to the room."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def options(self, workshop_id: int, *, include_withdrawn: bool = True) -> list[Option]:
        """A workshop's options in the facilitator's order."""
        rows = await self._db.all(
            "SELECT * FROM options WHERE workshop_id = ? ORDER BY position, id", (workshop_id,)
        )
        return [o for o in map(option_from_row, rows) if include_withdrawn or not o.withdrawn]

    async def option(self, option_id: int) -> Option:
        """An option by id; NotFound if there is none."""
        return await option_in(self._db, option_id)

    async def add_option(
        self,
        workshop_id: int,
        title: str,
        description: str,
        scope: tuple[Scope, LimitKind | None, str] = (Scope.OPEN, None, ""),
        cost: int | None = None,
    ) -> Option:
        """Add an option at the end; ``scope`` is (scope, limit kind, limit or reason)."""
        async with self._db.transaction() as tx:
            position = await tx.value(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM options WHERE workshop_id = ?",
                (workshop_id,),
            )
            option_id = await tx.insert(
                "INSERT INTO options (workshop_id, title, description, position, scope,"
                " limit_kind, limit_text, cost) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (workshop_id, title, description, position, *_scope_values(scope), cost),
            )
            await bump(tx, workshop_id)
            return Option(option_id, workshop_id, title, description, position, False, *scope, cost)

    async def add_options(self, workshop_id: int, rows: list[tuple[str, str]]) -> int:
        """Add many options (title, description) to a workshop in one transaction."""
        async with self._db.transaction() as tx:
            first = await tx.value(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM options WHERE workshop_id = ?",
                (workshop_id,),
            )
            await tx.executemany(
                "INSERT INTO options (workshop_id, title, description, position)"
                " VALUES (?, ?, ?, ?)",
                [(workshop_id, t, d, first + i) for i, (t, d) in enumerate(rows)],
            )
            await bump(tx, workshop_id)
        return len(rows)

    async def update_option(
        self,
        option_id: int,
        title: str,
        description: str,
        scope: tuple[Scope, LimitKind | None, str] | None = None,
        cost: int | None = None,
        *,
        set_cost: bool = False,
    ) -> None:
        """Change an option's wording (and scope, and cost if ``set_cost``).

        Whether an option is voted on at all, and what it costs, cannot change once a round with
        it has opened: its ballots and results would no longer match what the room was asked."""
        async with self._db.transaction() as tx:
            option = await option_in(tx, option_id)
            if set_cost and cost != option.cost:
                if await in_opened_round(tx, option_id):
                    raise Conflict(
                        "This option has already been put to the room, so its cost can no "
                        "longer change. Add a new option with the new cost instead."
                    )
                await tx.execute("UPDATE options SET cost = ? WHERE id = ?", (cost, option_id))
            await tx.execute(
                "UPDATE options SET title = ?, description = ? WHERE id = ?",
                (title, description, option_id),
            )
            if scope is not None:
                if (scope[0] is Scope.NOT_NEGOTIABLE) != (
                    option.scope is Scope.NOT_NEGOTIABLE
                ) and await in_opened_round(tx, option_id):
                    raise Conflict(
                        "This option has already been put to the room, so whether it is voted "
                        "on can no longer change. Add a new option instead."
                    )
                await tx.execute(
                    "UPDATE options SET scope = ?, limit_kind = ?, limit_text = ? WHERE id = ?",
                    (*_scope_values(scope), option_id),
                )
            await bump(tx, option.workshop_id)

    async def move_option(self, option_id: int, step: int) -> None:
        """Swap an option with its neighbour above (step -1) or below (step +1)."""
        async with self._db.transaction() as tx:
            option = await option_in(tx, option_id)
            if await move_in_order(
                tx, "options", "workshop_id", option.workshop_id, option_id, step
            ):
                await bump(tx, option.workshop_id)

    async def remove_option(self, option_id: int) -> Literal["deleted", "withdrawn"]:
        """Remove an option: "deleted" if no round used it, "withdrawn" if a closed round did.

        An option already put to the room is withdrawn rather than deleted, so past results and
        exports still name it; it leaves every draft round either way. Refused while a round that
        contains it is open.
        """
        async with self._db.transaction() as tx:
            option = await option_in(tx, option_id)
            statuses = [
                r[0]
                for r in await tx.all(
                    "SELECT r.status FROM rounds r JOIN round_options ro ON ro.round_id = r.id"
                    " WHERE ro.option_id = ?",
                    (option_id,),
                )
            ]
            if "open" in statuses:
                raise Conflict(
                    "This option is in a round that is open now. Close the round first, then "
                    "remove the option."
                )
            await tx.execute(
                "DELETE FROM round_options WHERE option_id = ? AND round_id IN"
                " (SELECT id FROM rounds WHERE status = 'draft')",
                (option_id,),
            )
            await bump(tx, option.workshop_id)
            if "closed" in statuses:
                await tx.execute("UPDATE options SET withdrawn = 1 WHERE id = ?", (option_id,))
                return "withdrawn"
            # An idea that had become this option goes back to being only an idea.
            await tx.execute("DELETE FROM option_pictures WHERE option_id = ?", (option_id,))
            await tx.execute("UPDATE ideas SET option_id = NULL WHERE option_id = ?", (option_id,))
            await tx.execute("DELETE FROM options WHERE id = ?", (option_id,))
            return "deleted"

    async def restore_option(self, option_id: int) -> None:
        """Bring a withdrawn option back for future rounds."""
        async with self._db.transaction() as tx:
            option = await option_in(tx, option_id)
            await tx.execute("UPDATE options SET withdrawn = 0 WHERE id = ?", (option_id,))
            await bump(tx, option.workshop_id)

    async def set_picture(
        self, option_id: int, image: bytes, media_type: str, size: tuple[int, int], version: str
    ) -> None:
        """Give an option its picture (already checked and made small), replacing any other."""
        async with self._db.transaction() as tx:
            option = await option_in(tx, option_id)
            await tx.execute("DELETE FROM option_pictures WHERE option_id = ?", (option_id,))
            await tx.execute(
                "INSERT INTO option_pictures (option_id, image, media_type, width, height, version,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (option_id, image, media_type, *size, version, time.time()),
            )
            await tx.execute("UPDATE options SET picture = ? WHERE id = ?", (version, option_id))
            await bump(tx, option.workshop_id)

    async def remove_picture(self, option_id: int) -> None:
        """Take an option's picture away."""
        async with self._db.transaction() as tx:
            option = await option_in(tx, option_id)
            await tx.execute("DELETE FROM option_pictures WHERE option_id = ?", (option_id,))
            await tx.execute("UPDATE options SET picture = '' WHERE id = ?", (option_id,))
            await bump(tx, option.workshop_id)

    async def picture(self, option_id: int, version: str) -> tuple[bytes, str]:
        """An option's picture and its media type, if ``version`` is its current one."""
        row = await self._db.one(
            "SELECT image, media_type FROM option_pictures WHERE option_id = ? AND version = ?",
            (option_id, version),
        )
        if row is None:
            raise NotFound("picture")
        return bytes(row["image"]), row["media_type"]
