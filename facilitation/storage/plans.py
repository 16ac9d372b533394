"""Plans repository: programmes and their workshops, the standing needs list, the action plan.

The schema itself refuses an override or a "not possible" without a reason, so no code path can
skip giving one.
"""

from __future__ import annotations

import secrets
import time

from facilitation.core.errors import NotFound
from facilitation.core.models import (
    Action,
    ActionNote,
    ActionStatus,
    Need,
    NeedStatus,
    Programme,
    Who,
    Workshop,
)
from facilitation.storage.db import Database, Row
from facilitation.storage.workshops import workshop_from_row

SLUG_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _programme(row: Row) -> Programme:
    return Programme(
        row["id"],
        row["title"],
        row["place"],
        row["description"],
        row["slug"],
        row["organisation_id"],
    )


def _need(row: Row, option_ids: tuple[int, ...] = ()) -> Need:
    return Need(
        id=row["id"],
        programme_id=row["programme_id"],
        title=row["title"],
        description=row["description"],
        status=NeedStatus(row["status"]),
        status_reason=row["status_reason"],
        override_score=row["override_score"],
        override_reason=row["override_reason"],
        option_ids=option_ids,
    )


def _action(row: Row, notes: tuple[ActionNote, ...] = ()) -> Action:
    return Action(
        id=row["id"],
        programme_id=row["programme_id"],
        need_id=row["need_id"],
        what=row["what"],
        who=Who(row["who"]),
        owner=row["owner"],
        due=row["due"],
        status=ActionStatus(row["status"]),
        notes=notes,
    )


class Plans:
    """Programmes, their workshops' results, needs and the action plan."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- programmes ------------------------------------------------------------------------------

    async def create_programme(
        self, title: str, place: str, description: str, organisation_id: int
    ) -> Programme:
        """Add an organisation's programme with an unguessable public address (its slug)."""
        slug = "".join(secrets.choice(SLUG_ALPHABET) for _ in range(10))
        async with self._db.transaction() as tx:
            programme_id = await tx.insert(
                "INSERT INTO programmes (title, place, description, slug, created_at,"
                " organisation_id) VALUES (?, ?, ?, ?, ?, ?)",
                (title, place, description, slug, time.time(), organisation_id),
            )
            return Programme(programme_id, title, place, description, slug, organisation_id)

    async def update_programme(self, programme_id: int, title: str, place: str, text: str) -> None:
        """Change a programme's title, place and description."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE programmes SET title = ?, place = ?, description = ? WHERE id = ?",
                (title, place, text, programme_id),
            )

    async def programmes(self, organisation_id: int) -> list[Programme]:
        """An organisation's programmes, newest first."""
        rows = await self._db.all(
            "SELECT * FROM programmes WHERE organisation_id = ? ORDER BY created_at DESC, id DESC",
            (organisation_id,),
        )
        return [_programme(r) for r in rows]

    async def programme(self, programme_id: int) -> Programme:
        """A programme by id; NotFound if there is none."""
        row = await self._db.one("SELECT * FROM programmes WHERE id = ?", (programme_id,))
        if row is None:
            raise NotFound("programme")
        return _programme(row)

    async def programme_by_slug(self, slug: str) -> Programme | None:
        """The programme at this public address, if any."""
        row = await self._db.one("SELECT * FROM programmes WHERE slug = ?", (slug,))
        return _programme(row) if row else None

    async def set_workshop_programme(self, workshop_id: int, programme_id: int | None) -> None:
        """Put a workshop in a programme, or take it out (None)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE workshops SET programme_id = ? WHERE id = ?", (programme_id, workshop_id)
            )

    async def workshop_programme(self, workshop_id: int) -> int | None:
        """The id of the programme a workshop is in, if any."""
        row = await self._db.one("SELECT programme_id FROM workshops WHERE id = ?", (workshop_id,))
        return row[0] if row else None

    async def programme_workshops(self, programme_id: int) -> list[Workshop]:
        """A programme's workshops, oldest first."""
        rows = await self._db.all(
            "SELECT * FROM workshops WHERE programme_id = ? ORDER BY created_at, id",
            (programme_id,),
        )
        return [workshop_from_row(r) for r in rows]

    async def programme_closed_rounds(self, programme_id: int) -> list[tuple[int, int, str]]:
        """(workshop id, round id, results snapshot) for every closed round, oldest first."""
        rows = await self._db.all(
            "SELECT r.workshop_id, r.id, res.snapshot FROM rounds r"
            " JOIN workshops w ON w.id = r.workshop_id JOIN results res ON res.round_id = r.id"
            " WHERE w.programme_id = ? AND r.status = 'closed' ORDER BY r.closed_at, r.id",
            (programme_id,),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def programme_turnout(self, programme_id: int) -> list[tuple[int, int, int]]:
        """(workshop id, participants joined, most ballots in one round) per workshop."""
        rows = await self._db.all(
            "SELECT w.id,"
            " (SELECT COUNT(*) FROM participants p WHERE p.workshop_id = w.id),"
            " (SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM ballots b"
            "   JOIN rounds r ON r.id = b.round_id WHERE r.workshop_id = w.id GROUP BY r.id)"
            " AS per_round)"
            " FROM workshops w WHERE w.programme_id = ? ORDER BY w.created_at, w.id",
            (programme_id,),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    # -- needs -----------------------------------------------------------------------------------

    async def needs(self, programme_id: int) -> list[Need]:
        """A programme's needs in the order they were added, with their linked options."""
        rows = await self._db.all(
            "SELECT * FROM needs WHERE programme_id = ? ORDER BY position, id", (programme_id,)
        )
        links = await self._db.all(
            "SELECT no.need_id, no.option_id FROM need_options no"
            " JOIN needs n ON n.id = no.need_id WHERE n.programme_id = ?"
            " ORDER BY no.option_id",
            (programme_id,),
        )
        linked: dict[int, list[int]] = {}
        for link in links:
            linked.setdefault(link[0], []).append(link[1])
        return [_need(r, tuple(linked.get(r["id"], ()))) for r in rows]

    async def need(self, need_id: int) -> Need:
        """A need with its linked options; NotFound if there is none."""
        row = await self._db.one("SELECT * FROM needs WHERE id = ?", (need_id,))
        if row is None:
            raise NotFound("need")
        links = await self._db.all(
            "SELECT option_id FROM need_options WHERE need_id = ? ORDER BY option_id", (need_id,)
        )
        return _need(row, tuple(r[0] for r in links))

    async def add_need(
        self, programme_id: int, title: str, description: str, option_ids: tuple[int, ...] = ()
    ) -> Need:
        """Add a need, optionally fed by existing options (each option feeds one need only)."""
        async with self._db.transaction() as tx:
            position = await tx.value(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM needs WHERE programme_id = ?",
                (programme_id,),
            )
            need_id = await tx.insert(
                "INSERT INTO needs (programme_id, title, description, position, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (programme_id, title, description, position, time.time()),
            )
            await tx.executemany(
                "INSERT INTO need_options (need_id, option_id) VALUES (?, ?)"
                " ON CONFLICT (option_id) DO UPDATE SET need_id = excluded.need_id",
                [(need_id, o) for o in option_ids],
            )
        return await self.need(need_id)

    async def update_need(self, need_id: int, title: str, description: str) -> None:
        """Change a need's title and description."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE needs SET title = ?, description = ? WHERE id = ?",
                (title, description, need_id),
            )

    async def set_need_status(self, need_id: int, status: NeedStatus, reason: str) -> None:
        """Move a need on (or back); "not possible" needs a reason, which the schema insists on."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE needs SET status = ?, status_reason = ? WHERE id = ?",
                (status.value, reason, need_id),
            )

    async def set_need_override(self, need_id: int, score: float | None, reason: str) -> None:
        """Set (or clear, with None) a manual score; the schema insists on a reason."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE needs SET override_score = ?, override_reason = ? WHERE id = ?",
                (score, reason if score is not None else "", need_id),
            )

    async def link_options(self, need_id: int, option_ids: tuple[int, ...]) -> None:
        """Make these options feed this need (moving them from any other need)."""
        async with self._db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO need_options (need_id, option_id) VALUES (?, ?)"
                " ON CONFLICT (option_id) DO UPDATE SET need_id = excluded.need_id",
                [(need_id, o) for o in option_ids],
            )

    async def unlinked_options(self, programme_id: int) -> list[tuple[int, str, str]]:
        """(option id, title, description) of the programme's options that feed no need yet."""
        rows = await self._db.all(
            "SELECT o.id, o.title, o.description FROM options o"
            " JOIN workshops w ON w.id = o.workshop_id"
            " WHERE w.programme_id = ? AND o.withdrawn = 0 AND o.pact = ''"
            " AND o.id NOT IN (SELECT option_id FROM need_options)"
            " ORDER BY w.created_at, o.position, o.id",
            (programme_id,),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    # -- actions ---------------------------------------------------------------------------------

    async def actions(self, programme_id: int) -> list[Action]:
        """A programme's actions, soonest due first (undated last), each with its notes."""
        rows = await self._db.all(
            "SELECT * FROM actions WHERE programme_id = ? ORDER BY due = '', due, id",
            (programme_id,),
        )
        notes = await self._db.all(
            "SELECT n.* FROM action_notes n JOIN actions a ON a.id = n.action_id"
            " WHERE a.programme_id = ? ORDER BY n.at, n.id",
            (programme_id,),
        )
        by_action: dict[int, list[ActionNote]] = {}
        for n in notes:
            by_action.setdefault(n["action_id"], []).append(
                ActionNote(n["id"], n["action_id"], n["note"], n["at"])
            )
        return [_action(r, tuple(by_action.get(r["id"], ()))) for r in rows]

    async def action(self, action_id: int) -> Action:
        """An action by id (without its notes); NotFound if there is none."""
        row = await self._db.one("SELECT * FROM actions WHERE id = ?", (action_id,))
        if row is None:
            raise NotFound("action")
        return _action(row)

    async def save_action(self, action: Action) -> Action:
        """Insert a new action (id 0) or update one."""
        fields = (
            action.need_id,
            action.what,
            action.who.value,
            action.owner,
            action.due,
            action.status.value,
        )
        async with self._db.transaction() as tx:
            if action.id:
                await tx.execute(
                    "UPDATE actions SET need_id = ?, what = ?, who = ?, owner = ?, due = ?,"
                    " status = ? WHERE id = ?",
                    (*fields, action.id),
                )
                action_id = action.id
            else:
                action_id = await tx.insert(
                    "INSERT INTO actions (need_id, what, who, owner, due, status, programme_id,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (*fields, action.programme_id, time.time()),
                )
            if action.need_id is not None:
                # A need with an action is in the plan, unless it is already done or ruled out.
                await tx.execute(
                    "UPDATE needs SET status = 'in_plan'"
                    " WHERE id = ? AND status IN ('proposed', 'prioritised')",
                    (action.need_id,),
                )
        return await self.action(action_id)

    async def add_action_note(self, action_id: int, note: str, at: float | None = None) -> None:
        """Add a dated progress note to an action."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO action_notes (action_id, note, at) VALUES (?, ?, ?)",
                (action_id, note, at if at is not None else time.time()),
            )

    # -- imports ---------------------------------------------------------------------------------

    async def add_needs(self, programme_id: int, rows: list[tuple[str, str]]) -> int:
        """Add many needs (title, description) in one transaction: all of them or none."""
        async with self._db.transaction() as tx:
            first = await tx.value(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM needs WHERE programme_id = ?",
                (programme_id,),
            )
            now = time.time()
            await tx.executemany(
                "INSERT INTO needs (programme_id, title, description, position, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [(programme_id, t, d, first + i, now) for i, (t, d) in enumerate(rows)],
            )
        return len(rows)
