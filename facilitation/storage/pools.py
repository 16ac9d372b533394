"""Pools repository: volunteer pools and the panels drawn from them by lottery.

A pool holds people's contact details, so deleting it removes them and its panels for good.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from facilitation.core.errors import Conflict, NotFound
from facilitation.people.rules import Commitment, Panel, Pool, Volunteer
from facilitation.storage.db import Database, Row
from facilitation.storage.questions import CHANGED_MEANWHILE, offered_map


def _volunteer(row: Row) -> Volunteer:
    answers = json.loads(row["answers"])
    return Volunteer(
        row["id"],
        row["pool_id"],
        row["name"],
        row["email"],
        row["phone"],
        row["household"],
        {int(q): (int(c) if c is not None else None) for q, c in answers.items()},
    )


def _panel(row: Row) -> Panel:
    return Panel(
        row["id"],
        row["pool_id"],
        row["size"],
        row["seed"],
        json.loads(row["quotas"]),
        bool(row["household_rule"]),
        json.loads(row["result"]),
        row["created_at"],
    )


def _answers_json(answers: Mapping[int, int | None]) -> str:
    return json.dumps({str(q): c for q, c in sorted(answers.items())})


class Pools:
    """Volunteer pools and the panels drawn from them."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_pool(
        self, programme_id: int, title: str, volunteers: Sequence[Volunteer]
    ) -> Pool:
        """Add a pool with all its volunteers in one transaction: all of them or none."""
        now = time.time()
        async with self._db.transaction() as tx:
            offered = await offered_map(tx, programme_id)
            for v in volunteers:
                for question_id, choice_id in v.answers.items():
                    if question_id not in offered or (
                        choice_id is not None and choice_id not in offered[question_id]
                    ):
                        raise Conflict(CHANGED_MEANWHILE)
            pool_id = await tx.insert(
                "INSERT INTO pools (programme_id, title, created_at) VALUES (?, ?, ?)",
                (programme_id, title, now),
            )
            await tx.executemany(
                "INSERT INTO volunteers (pool_id, name, email, phone, household, answers)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (pool_id, v.name, v.email, v.phone, v.household, _answers_json(v.answers))
                    for v in volunteers
                ],
            )
            return Pool(pool_id, programme_id, title, now, len(volunteers))

    async def pools(self, programme_id: int) -> list[Pool]:
        """A programme's pools, newest first, each with how many volunteers it holds."""
        rows = await self._db.all(
            "SELECT p.*, (SELECT COUNT(*) FROM volunteers v WHERE v.pool_id = p.id) AS n"
            " FROM pools p WHERE p.programme_id = ? ORDER BY p.created_at DESC, p.id DESC",
            (programme_id,),
        )
        return [Pool(r["id"], r["programme_id"], r["title"], r["created_at"], r["n"]) for r in rows]

    async def pool(self, pool_id: int) -> Pool:
        """A pool with how many volunteers it holds; NotFound if there is none."""
        row = await self._db.one(
            "SELECT p.*, (SELECT COUNT(*) FROM volunteers v WHERE v.pool_id = p.id) AS n"
            " FROM pools p WHERE p.id = ?",
            (pool_id,),
        )
        if row is None:
            raise NotFound("pool")
        return Pool(row["id"], row["programme_id"], row["title"], row["created_at"], row["n"])

    async def volunteers(self, pool_id: int) -> list[Volunteer]:
        """A pool's volunteers in the order they were imported."""
        rows = await self._db.all(
            "SELECT * FROM volunteers WHERE pool_id = ? ORDER BY id", (pool_id,)
        )
        return [_volunteer(r) for r in rows]

    async def delete_pool(self, pool_id: int) -> None:
        """Delete a pool, its volunteers' contact details, its invitations and its panels, for
        good."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "DELETE FROM panel_steps WHERE panel_id IN"
                " (SELECT id FROM panels WHERE pool_id = ?)",
                (pool_id,),
            )
            await tx.execute("DELETE FROM commitments WHERE pool_id = ?", (pool_id,))
            await tx.execute("DELETE FROM panels WHERE pool_id = ?", (pool_id,))
            await tx.execute("DELETE FROM invitations WHERE pool_id = ?", (pool_id,))
            await tx.execute("DELETE FROM invitation_draws WHERE pool_id = ?", (pool_id,))
            await tx.execute("DELETE FROM volunteers WHERE pool_id = ?", (pool_id,))
            if await tx.execute("DELETE FROM pools WHERE id = ?", (pool_id,)) != 1:
                raise NotFound("pool")

    async def save_panel(
        self,
        pool_id: int,
        size: int,
        seed: str,
        quotas: Any,
        household_rule: bool,
        result: Any,
    ) -> Panel:
        """Record a drawn panel; ``quotas`` and ``result`` are stored as JSON.

        A draw is fixed by its inputs and seed, so the same draw sent again (a double click, a
        form re-sent) returns the panel already recorded instead of a second copy.
        """
        now = time.time()
        quotas_json, result_json = json.dumps(quotas), json.dumps(result)
        async with self._db.transaction() as tx:
            found = await tx.one("SELECT 1 FROM pools WHERE id = ?", (pool_id,))
            if found is None:
                raise NotFound("pool")
            same = await tx.one(
                "SELECT * FROM panels WHERE pool_id = ? AND size = ? AND seed = ?"
                " AND quotas = ? AND household_rule = ? AND result = ?",
                (pool_id, size, seed, quotas_json, int(household_rule), result_json),
            )
            if same is not None:
                return _panel(same)
            panel_id = await tx.insert(
                "INSERT INTO panels (pool_id, size, seed, quotas, household_rule, result,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (pool_id, size, seed, quotas_json, int(household_rule), result_json, now),
            )
        return Panel(
            panel_id,
            pool_id,
            size,
            seed,
            json.loads(quotas_json),
            household_rule,
            json.loads(result_json),
            now,
        )

    async def panels(self, pool_id: int) -> list[Panel]:
        """A pool's drawn panels, newest first."""
        rows = await self._db.all(
            "SELECT * FROM panels WHERE pool_id = ? ORDER BY created_at DESC, id DESC", (pool_id,)
        )
        return [_panel(r) for r in rows]

    async def panel(self, panel_id: int) -> Panel:
        """A drawn panel by id; NotFound if there is none."""
        row = await self._db.one("SELECT * FROM panels WHERE id = ?", (panel_id,))
        if row is None:
            raise NotFound("panel")
        return _panel(row)

    async def add_commitment(
        self, pool_id: int, settings: Any, m: int, file: bytes, digest: str, rounding: Any
    ) -> int:
        """Fix a numbered lottery for a later draw; the same lottery sent again is kept once."""
        settings_json, rounding_json = json.dumps(settings), json.dumps(rounding)
        async with self._db.transaction() as tx:
            if await tx.one("SELECT 1 FROM pools WHERE id = ?", (pool_id,)) is None:
                raise NotFound("pool")
            same = await tx.one(
                "SELECT id FROM commitments WHERE pool_id = ? AND digest = ?", (pool_id, digest)
            )
            if same is not None:
                found: int = same["id"]
                return found
            return await tx.insert(
                "INSERT INTO commitments (pool_id, settings, m, file, digest, rounding,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (pool_id, settings_json, m, file.decode(), digest, rounding_json, time.time()),
            )

    async def commitment(self, commitment_id: int) -> Commitment:
        """A fixed numbered lottery; NotFound if there is none."""
        row = await self._db.one("SELECT * FROM commitments WHERE id = ?", (commitment_id,))
        if row is None:
            raise NotFound("commitment")
        return Commitment(
            row["id"],
            row["pool_id"],
            json.loads(row["settings"]),
            row["m"],
            row["file"].encode(),
            row["digest"],
            json.loads(row["rounding"]),
            row["panel_id"],
            row["created_at"],
        )

    async def drawn_from(self, commitment_id: int, panel: Panel) -> None:
        """Record which panel a commitment's draw gave; a commitment is drawn once."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE commitments SET panel_id = ? WHERE id = ? AND panel_id IS NULL",
                (panel.id, commitment_id),
            )
            if changed != 1:
                raise Conflict("This lottery has already been drawn.")
