"""Recruitment repository: invitations drawn into a pool, registrations, and each step a drawn
panel goes through after the draw (confirmed, withdrew, an alternate seated)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from facilitation.core.errors import Conflict, NotFound
from facilitation.panel.invitations import Step, standing
from facilitation.people.rules import Pool, Volunteer
from facilitation.storage.db import Database, Row
from facilitation.storage.questions import CHANGED_MEANWHILE, offered_map

ALREADY_REGISTERED = "This invitation has already been used to register."


@dataclass(frozen=True, slots=True)
class Invitation:
    """One invited address: its place in the draw, its registration link's token, and the
    volunteer it became once registered (None until then)."""

    id: int
    pool_id: int
    position: int
    address: str
    token: str
    volunteer_id: int | None
    registered_at: float | None


@dataclass(frozen=True, slots=True)
class InvitationDraw:
    pool_id: int
    seed: str
    addresses: int
    created_at: float


@dataclass(frozen=True, slots=True)
class Counts:
    """A programme's recruitment in numbers, without names: what the public page shows."""

    invited: int
    registered: int
    seats: int
    confirmed: int
    replaced: int


class Recruitment:
    """Invitations, registrations and the steps after a draw."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def invite(
        self,
        programme_id: int,
        title: str,
        seed: str,
        addresses: int,
        invited: Sequence[tuple[str, str]],
    ) -> Pool:
        """A new, empty pool with the drawn (address, token) invitations, in one transaction."""
        now = time.time()
        async with self._db.transaction() as tx:
            pool_id = await tx.insert(
                "INSERT INTO pools (programme_id, title, created_at) VALUES (?, ?, ?)",
                (programme_id, title, now),
            )
            await tx.execute(
                "INSERT INTO invitation_draws (pool_id, seed, addresses, created_at)"
                " VALUES (?, ?, ?, ?)",
                (pool_id, seed, addresses, now),
            )
            await tx.executemany(
                "INSERT INTO invitations (pool_id, position, address, token) VALUES (?, ?, ?, ?)",
                [(pool_id, n, a, t) for n, (a, t) in enumerate(invited, start=1)],
            )
        return Pool(pool_id, programme_id, title, now, 0)

    async def draw(self, pool_id: int) -> InvitationDraw | None:
        """How a pool's invitations were drawn, or None for a pool imported from a file."""
        row = await self._db.one("SELECT * FROM invitation_draws WHERE pool_id = ?", (pool_id,))
        if row is None:
            return None
        return InvitationDraw(row["pool_id"], row["seed"], row["addresses"], row["created_at"])

    async def invitations(self, pool_id: int) -> list[Invitation]:
        """A pool's invitations in the order they were drawn."""
        rows = await self._db.all(
            "SELECT * FROM invitations WHERE pool_id = ? ORDER BY position", (pool_id,)
        )
        return [_invitation(r) for r in rows]

    async def invitation(self, token: str) -> Invitation:
        """The invitation with this registration token; NotFound if there is none."""
        row = await self._db.one("SELECT * FROM invitations WHERE token = ?", (token,))
        if row is None:
            raise NotFound("invitation")
        return _invitation(row)

    async def register(self, token: str, programme_id: int, volunteer: Volunteer) -> int:
        """Add the invited person to the pool as a volunteer, once; their id."""
        async with self._db.transaction() as tx:
            row = await tx.one("SELECT * FROM invitations WHERE token = ?", (token,))
            if row is None:
                raise NotFound("invitation")
            if row["volunteer_id"] is not None:
                raise Conflict(ALREADY_REGISTERED)
            offered = await offered_map(tx, programme_id)
            for question_id, choice_id in volunteer.answers.items():
                if question_id not in offered or (
                    choice_id is not None and choice_id not in offered[question_id]
                ):
                    raise Conflict(CHANGED_MEANWHILE)
            answers = {str(q): c for q, c in sorted(volunteer.answers.items())}
            volunteer_id = await tx.insert(
                "INSERT INTO volunteers (pool_id, name, email, phone, household, answers)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    row["pool_id"],
                    volunteer.name,
                    volunteer.email,
                    volunteer.phone,
                    volunteer.household,
                    json.dumps(answers),
                ),
            )
            await tx.execute(
                "UPDATE invitations SET volunteer_id = ?, registered_at = ? WHERE id = ?",
                (volunteer_id, time.time(), row["id"]),
            )
        return volunteer_id

    async def steps(self, panel_id: int) -> list[Step]:
        """A drawn panel's steps in the order they were recorded."""
        rows = await self._db.all(
            "SELECT * FROM panel_steps WHERE panel_id = ? ORDER BY id", (panel_id,)
        )
        return [Step(r["volunteer"], r["step"], r["reason"], r["replaces"]) for r in rows]

    async def add_steps(self, panel_id: int, steps: Sequence[Step]) -> None:
        """Record steps for a drawn panel, all or none."""
        now = time.time()
        async with self._db.transaction() as tx:
            if await tx.one("SELECT 1 FROM panels WHERE id = ?", (panel_id,)) is None:
                raise NotFound("panel")
            await tx.executemany(
                "INSERT INTO panel_steps (panel_id, volunteer, step, reason, replaces,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [(panel_id, s.volunteer, s.step, s.reason, s.replaces, now) for s in steps],
            )

    async def counts(self, programme_id: int) -> Counts | None:
        """The programme's latest invitation pool in numbers, None when it has none: invitations,
        registrations, and for the pool's latest draw its seats, confirmations, replacements."""
        pool = await self._db.one(
            "SELECT p.id AS id FROM pools p JOIN invitation_draws d ON d.pool_id = p.id"
            " WHERE p.programme_id = ? ORDER BY p.created_at DESC, p.id DESC",
            (programme_id,),
        )
        if pool is None:
            return None
        invited = await self._db.value(
            "SELECT COUNT(*) FROM invitations WHERE pool_id = ?", (pool["id"],)
        )
        registered = await self._db.value(
            "SELECT COUNT(*) FROM invitations WHERE pool_id = ? AND volunteer_id IS NOT NULL",
            (pool["id"],),
        )
        panel = await self._db.one(
            "SELECT id, size, result FROM panels WHERE pool_id = ?"
            " ORDER BY created_at DESC, id DESC",
            (pool["id"],),
        )
        if panel is None:
            return Counts(invited, registered, 0, 0, 0)
        steps = await self.steps(panel["id"])
        now = standing(json.loads(panel["result"])["panel"], steps)
        return Counts(invited, registered, panel["size"], len(now.confirmed), len(now.seated))


def _invitation(row: Row) -> Invitation:
    return Invitation(
        row["id"],
        row["pool_id"],
        row["position"],
        row["address"],
        row["token"],
        row["volunteer_id"],
        row["registered_at"],
    )
