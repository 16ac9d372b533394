"""Pact repository: the PACT health check's statements, their tagged options, closed checks."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from facilitation.core.errors import NotFound
from facilitation.storage.db import Database
from facilitation.storage.options import append_options
from facilitation.storage.rounds import add_draft_round
from facilitation.storage.workshops import bump


class Pact:
    """A programme's wording of the statements and the health checks that asked them."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def pact_statements(self, programme_id: int) -> dict[str, str]:
        """The programme's own wording of each dimension's statement (missing: not reworded)."""
        rows = await self._db.all(
            "SELECT dimension, statement FROM pact_statements WHERE programme_id = ?",
            (programme_id,),
        )
        return {r[0]: r[1] for r in rows}

    async def save_pact_statements(self, programme_id: int, statements: dict[str, str]) -> None:
        """Replace the programme's own wording of the statements."""
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM pact_statements WHERE programme_id = ?", (programme_id,))
            await tx.executemany(
                "INSERT INTO pact_statements (programme_id, dimension, statement) VALUES (?, ?, ?)",
                [(programme_id, d, text) for d, text in statements.items()],
            )

    async def add_health_check(
        self,
        workshop_id: int,
        title: str,
        statements: Sequence[tuple[str, str]],
        kind: tuple[str, Mapping[str, Any]],
    ) -> int:
        """Add the statements as tagged options and a draft round of ``kind`` (its name and
        settings) over them; returns the round's id. All in one transaction."""
        async with self._db.transaction() as tx:
            option_ids = await append_options(
                tx, workshop_id, [(text, "", dimension) for dimension, text in statements]
            )
            round_id = await add_draft_round(tx, workshop_id, title, kind, option_ids, time.time())
            await bump(tx, workshop_id)
            return round_id

    async def pact_tags(self, workshop_id: int) -> dict[int, str]:
        """Option id -> dimension for a workshop's health-check statements."""
        rows = await self._db.all(
            "SELECT id, pact FROM options WHERE workshop_id = ? AND pact != ''", (workshop_id,)
        )
        return {r[0]: r[1] for r in rows}

    async def programme_health_checks(self, programme_id: int) -> list[tuple[int, str, int]]:
        """(round id, workshop title, workshop id) of every closed rating round of the programme
        that asks health-check statements, in the order they closed."""
        if await self._db.one("SELECT 1 FROM programmes WHERE id = ?", (programme_id,)) is None:
            raise NotFound("programme")
        rows = await self._db.all(
            "SELECT DISTINCT r.id, w.title, w.id, r.closed_at FROM rounds r"
            " JOIN workshops w ON w.id = r.workshop_id"
            " JOIN round_options ro ON ro.round_id = r.id JOIN options o ON o.id = ro.option_id"
            " WHERE w.programme_id = ? AND r.status = 'closed'"
            " AND o.pact != '' ORDER BY r.closed_at, r.id",
            (programme_id,),
        )
        return [(r[0], r[1], r[2]) for r in rows]
