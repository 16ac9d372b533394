"""Store methods and migration for the PACT health check: statements tagged with their dimension,
a programme's own wording of them, and the closed health checks of a programme.

Part of the storage layer (the only SQL in the project), mixed into ``storage.Store``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from facilitation.core.errors import NotFound

PACT_MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0008_pact",
        """
        ALTER TABLE options ADD COLUMN pact TEXT NOT NULL DEFAULT ''
            CHECK (pact IN ('', 'power', 'accountability', 'connection', 'trust'));
        CREATE TABLE pact_statements (
            programme_id INTEGER NOT NULL REFERENCES programmes(id),
            dimension TEXT NOT NULL
                CHECK (dimension IN ('power', 'accountability', 'connection', 'trust')),
            statement TEXT NOT NULL CHECK (statement != ''),
            PRIMARY KEY (programme_id, dimension)
        );
        """,
    ),
)


class PactStore:
    """The health check's statements and results."""

    async def pact_statements(self, programme_id: int) -> dict[str, str]:
        """The programme's own wording of each dimension's statement (missing: not reworded)."""
        rows = await self._all(
            "SELECT dimension, statement FROM pact_statements WHERE programme_id = ?",
            (programme_id,),
        )
        return {r[0]: r[1] for r in rows}

    async def save_pact_statements(self, programme_id: int, statements: dict[str, str]) -> None:
        async with self._write() as db:
            await db.execute("DELETE FROM pact_statements WHERE programme_id = ?", (programme_id,))
            await db.executemany(
                "INSERT INTO pact_statements (programme_id, dimension, statement) VALUES (?, ?, ?)",
                [(programme_id, d, text) for d, text in statements.items()],
            )

    async def add_health_check(
        self, workshop_id: int, title: str, statements: Sequence[tuple[str, str]]
    ) -> int:
        """Add the statements as tagged options and a draft rating round over them; returns
        the round's id. All in one transaction."""
        async with self._write() as db:
            row = await (
                await db.execute(
                    "SELECT COALESCE(MAX(position), 0) FROM options WHERE workshop_id = ?",
                    (workshop_id,),
                )
            ).fetchone()
            option_ids = []
            for i, (dimension, text) in enumerate(statements, start=1):
                cur = await db.execute(
                    "INSERT INTO options (workshop_id, title, description, position, pact)"
                    " VALUES (?, ?, '', ?, ?)",
                    (workshop_id, text, row[0] + i, dimension),
                )
                option_ids.append(cur.lastrowid)
            cur = await db.execute(
                "INSERT INTO rounds (workshop_id, title, kind, created_at)"
                " VALUES (?, ?, 'rating', ?)",
                (workshop_id, title, time.time()),
            )
            await db.executemany(
                "INSERT INTO round_options (round_id, option_id, position) VALUES (?, ?, ?)",
                [(cur.lastrowid, oid, i) for i, oid in enumerate(option_ids)],
            )
            await self._bump(db, workshop_id)
            return cur.lastrowid

    async def pact_tags(self, workshop_id: int) -> dict[int, str]:
        """Option id -> dimension for a workshop's health-check statements."""
        rows = await self._all(
            "SELECT id, pact FROM options WHERE workshop_id = ? AND pact != ''", (workshop_id,)
        )
        return {r[0]: r[1] for r in rows}

    async def programme_health_checks(self, programme_id: int) -> list[tuple[int, str, int]]:
        """(round id, workshop title, workshop id) of every closed rating round of the programme
        that asks health-check statements, in the order they closed."""
        if await self._one("SELECT 1 FROM programmes WHERE id = ?", (programme_id,)) is None:
            raise NotFound("programme")
        rows = await self._all(
            "SELECT DISTINCT r.id, w.title, w.id, r.closed_at FROM rounds r"
            " JOIN workshops w ON w.id = r.workshop_id"
            " JOIN round_options ro ON ro.round_id = r.id JOIN options o ON o.id = ro.option_id"
            " WHERE w.programme_id = ? AND r.kind = 'rating' AND r.status = 'closed'"
            " AND o.pact != '' ORDER BY r.closed_at, r.id",
            (programme_id,),
        )
        return [(r[0], r[1], r[2]) for r in rows]
