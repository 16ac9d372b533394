"""Organisations repository: the landlords, councils and groups that share one instance."""

from __future__ import annotations

import time

from facilitation.core.errors import Conflict, NotFound
from facilitation.core.i18n import N_
from facilitation.core.models import Organisation, Role, User
from facilitation.storage.db import Database, IntegrityError, Row, Tx

# The organisation an instance's first account makes when none was named (and migration 0015's
# name for the one that holds an older instance's data).
FIRST_NAME = "Our organisation"
TAKEN = N_("There is already an organisation called “{name}”.")


def organisation_from_row(row: Row) -> Organisation:
    """An organisation from its row."""
    return Organisation(row["id"], row["name"])


async def add_organisation(tx: Tx, name: str) -> Organisation:
    """Add an organisation inside ``tx``; Conflict if the name is taken (in any letter case)."""
    try:
        async with tx.savepoint():
            organisation_id = await tx.insert(
                "INSERT INTO organisations (name, created_at) VALUES (?, ?)", (name, time.time())
            )
    except IntegrityError as exc:
        raise Conflict(TAKEN, name=name) from exc
    return Organisation(organisation_id, name)


async def sole_organisation(tx: Tx) -> int:
    """The id of the instance's only organisation, made if there is none yet (a one-organisation
    instance never has to name it); Conflict when there are several to choose from."""
    rows = await tx.all("SELECT id FROM organisations ORDER BY id LIMIT 2")
    if len(rows) > 1:
        raise Conflict("This instance has several organisations: please say which one.")
    if rows:
        organisation_id: int = rows[0][0]
        return organisation_id
    return (await add_organisation(tx, FIRST_NAME)).id


class Organisations:
    """Organisations, made by the instance's administrators, each with its first organiser."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, name: str) -> Organisation:
        """Add an organisation; Conflict if the name is taken."""
        async with self._db.transaction() as tx:
            return await add_organisation(tx, name)

    async def create_with_organiser(
        self, name: str, username: str, password_hash: str
    ) -> tuple[Organisation, User]:
        """Add an organisation and its first organiser together: both or neither."""
        async with self._db.transaction() as tx:
            organisation = await add_organisation(tx, name)
            try:
                async with tx.savepoint():
                    user_id = await tx.insert(
                        "INSERT INTO users (username, password_hash, created_at, organisation_id,"
                        " role) VALUES (?, ?, ?, ?, ?)",
                        (username, password_hash, time.time(), organisation.id, "organiser"),
                    )
            except IntegrityError as exc:
                raise Conflict("That username is already taken.") from exc
            return organisation, User(user_id, username, organisation.id, Role.ORGANISER)

    async def organisation(self, organisation_id: int) -> Organisation:
        """An organisation by id; NotFound if there is none."""
        row = await self._db.one("SELECT * FROM organisations WHERE id = ?", (organisation_id,))
        if row is None:
            raise NotFound("organisation")
        return organisation_from_row(row)

    async def by_name(self, name: str) -> Organisation | None:
        """The organisation with this name, in any letter case, if any."""
        row = await self._db.one(
            "SELECT * FROM organisations WHERE lower(name) = lower(?)", (name,)
        )
        return organisation_from_row(row) if row else None

    async def organisations(self) -> list[tuple[Organisation, int, int]]:
        """Every organisation by name, with how many accounts and workshops it has: all an
        administrator is shown of them."""
        rows = await self._db.all(
            "SELECT o.id, o.name,"
            " (SELECT COUNT(*) FROM users u WHERE u.organisation_id = o.id),"
            " (SELECT COUNT(*) FROM workshops w WHERE w.organisation_id = o.id)"
            " FROM organisations o ORDER BY lower(o.name), o.id"
        )
        return [(Organisation(r[0], r[1]), r[2], r[3]) for r in rows]
