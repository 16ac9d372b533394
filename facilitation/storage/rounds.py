"""Rounds repository: rounds, their options and information cards, opening, closing, results.

A round keeps every option chosen for it; whether each is voted on or only shown follows the
option's scope, so a round read from here lists its votable options and its information-only
options apart.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from facilitation.core.errors import Conflict, NotFound
from facilitation.core.models import Ballot, InfoCard, Round, RoundStatus, Scope
from facilitation.storage.ballots import round_ballots_in
from facilitation.storage.db import Database, Reader, Row, Tx
from facilitation.storage.profiles import freeze_round_answers
from facilitation.storage.workshops import bump


class RoundParts:
    """What a round row needs from other tables: its votable and information-only options (in
    the round's order) and its information cards."""

    __slots__ = ("cards", "costs", "info_option_ids", "option_ids")

    def __init__(self) -> None:
        self.option_ids: list[int] = []
        self.costs: list[int] = []  # of the votable options, in order (0 when not costed)
        self.info_option_ids: list[int] = []
        self.cards: list[InfoCard] = []


async def round_parts(db: Reader, round_ids: Sequence[int]) -> dict[int, RoundParts]:
    """Options and cards of the given rounds."""
    out = {rid: RoundParts() for rid in round_ids}
    if not round_ids:
        return out
    marks = ",".join("?" * len(round_ids))
    rows = await db.all(
        "SELECT ro.round_id, ro.option_id, o.scope, o.cost FROM round_options ro"
        f" JOIN options o ON o.id = ro.option_id WHERE ro.round_id IN ({marks})"
        " ORDER BY ro.round_id, ro.position",
        tuple(round_ids),
    )
    for round_id, option_id, scope, cost in rows:
        parts = out[round_id]
        if scope == Scope.NOT_NEGOTIABLE.value:
            parts.info_option_ids.append(option_id)
        else:
            parts.option_ids.append(option_id)
            parts.costs.append(cost or 0)
    cards = await db.all(
        f"SELECT round_id, title, text FROM round_cards WHERE round_id IN ({marks})"
        " ORDER BY round_id, position",
        tuple(round_ids),
    )
    for round_id, title, text in cards:
        out[round_id].cards.append(InfoCard(title, text))
    return out


def round_from_row(row: Row, parts: RoundParts) -> Round:
    """A round from its row and its parts."""
    return Round(
        id=row["id"],
        workshop_id=row["workshop_id"],
        title=row["title"],
        kind=row["kind"],
        option_ids=tuple(parts.option_ids),
        status=RoundStatus(row["status"]),
        hidden=bool(row["hidden"]),
        revealed=bool(row["revealed"]),
        timer_seconds=row["timer_seconds"],
        ends_at=row["ends_at"],
        opened_at=row["opened_at"],
        closed_at=row["closed_at"],
        info_option_ids=tuple(parts.info_option_ids),
        cards=tuple(parts.cards),
        cards_on_board=bool(row["cards_on_board"]),
        costs=tuple(parts.costs),
        settings=json.loads(row["settings"]),
    )


async def round_in(db: Reader, round_id: int) -> Round:
    """A round read through ``db`` (inside its transaction, when it is one)."""
    row = await db.one("SELECT * FROM rounds WHERE id = ?", (round_id,))
    if row is None:
        raise NotFound("round")
    return round_from_row(row, (await round_parts(db, [round_id]))[round_id])


async def write_cards(tx: Tx, round_id: int, cards: Sequence[InfoCard]) -> None:
    """Replace a round's information cards inside ``tx``."""
    await tx.execute("DELETE FROM round_cards WHERE round_id = ?", (round_id,))
    await tx.executemany(
        "INSERT INTO round_cards (round_id, position, title, text) VALUES (?, ?, ?, ?)",
        [(round_id, i, c.title, c.text) for i, c in enumerate(cards)],
    )


async def in_opened_round(db: Reader, option_id: int) -> bool:
    """Whether an option belongs to a round that has opened (its ballot can no longer change)."""
    row = await db.one(
        "SELECT 1 FROM round_options ro JOIN rounds r ON r.id = ro.round_id"
        " WHERE ro.option_id = ? AND r.status != 'draft' LIMIT 1",
        (option_id,),
    )
    return row is not None


async def add_draft_round(
    tx: Tx,
    workshop_id: int,
    title: str,
    kind: tuple[str, Mapping[str, Any]],
    option_ids: Sequence[int],
    now: float,
) -> int:
    """Add a draft round of ``kind`` (its name and settings) over these options, in order,
    inside ``tx``; returns its id. The caller bumps the workshop."""
    name, settings = kind
    round_id = await tx.insert(
        "INSERT INTO rounds (workshop_id, title, kind, settings, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (workshop_id, title, name, json.dumps(dict(settings)), now),
    )
    await tx.executemany(
        "INSERT INTO round_options (round_id, option_id, position) VALUES (?, ?, ?)",
        [(round_id, oid, i) for i, oid in enumerate(option_ids)],
    )
    return round_id


class Rounds:
    """A workshop's rounds, from draft through open to closed, and their stored results."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def rounds(self, workshop_id: int) -> list[Round]:
        """A workshop's rounds in the order they were made."""
        rows = await self._db.all(
            "SELECT * FROM rounds WHERE workshop_id = ? ORDER BY id", (workshop_id,)
        )
        parts = await round_parts(self._db, [r["id"] for r in rows])
        return [round_from_row(r, parts[r["id"]]) for r in rows]

    async def round(self, round_id: int) -> Round:
        """A round by id; NotFound if there is none."""
        return await round_in(self._db, round_id)

    async def save_round(self, rnd: Round) -> Round:
        """Insert a new round (id 0) or update a draft one, with its options in order."""
        fields = (
            rnd.title,
            rnd.kind,
            int(rnd.hidden),
            rnd.timer_seconds,
            int(rnd.cards_on_board),
            json.dumps(dict(rnd.settings)),
        )
        async with self._db.transaction() as tx:
            if rnd.id:
                current = await round_in(tx, rnd.id)
                if current.status is not RoundStatus.DRAFT:
                    raise Conflict("A round's settings are fixed once it has opened.")
                await tx.execute(
                    "UPDATE rounds SET title = ?, kind = ?, hidden = ?, timer_seconds = ?,"
                    " cards_on_board = ?, settings = ? WHERE id = ?",
                    (*fields, rnd.id),
                )
                round_id = rnd.id
                await tx.execute("DELETE FROM round_options WHERE round_id = ?", (round_id,))
            else:
                round_id = await tx.insert(
                    "INSERT INTO rounds (title, kind, hidden, timer_seconds, cards_on_board,"
                    " settings, workshop_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (*fields, rnd.workshop_id, time.time()),
                )
            await tx.executemany(
                "INSERT INTO round_options (round_id, option_id, position) VALUES (?, ?, ?)",
                [(round_id, oid, i) for i, oid in enumerate(rnd.option_ids + rnd.info_option_ids)],
            )
            await write_cards(tx, round_id, rnd.cards)
            await bump(tx, rnd.workshop_id)
        return await self.round(round_id)

    async def delete_round(self, round_id: int) -> None:
        """Delete a round that never opened."""
        async with self._db.transaction() as tx:
            rnd = await round_in(tx, round_id)
            if rnd.status is not RoundStatus.DRAFT:
                raise Conflict("Only a round that has never opened can be deleted.")
            await tx.execute("DELETE FROM round_options WHERE round_id = ?", (round_id,))
            await write_cards(tx, round_id, ())
            await tx.execute("DELETE FROM rounds WHERE id = ?", (round_id,))
            await bump(tx, rnd.workshop_id)

    async def open_round(self, round_id: int, now: float) -> int:
        """Open a draft or closed round (reopening keeps its ballots); returns the revision."""
        async with self._db.transaction() as tx:
            rnd = await round_in(tx, round_id)
            other = await tx.one(
                "SELECT title FROM rounds WHERE workshop_id = ? AND status = 'open' AND id != ?",
                (rnd.workshop_id, round_id),
            )
            if other:
                raise Conflict(
                    "“{title}” is still open. Close it before opening another round.",
                    title=other[0],
                )
            if rnd.status is RoundStatus.OPEN:
                raise Conflict("This round is already open.")
            ends_at = now + rnd.timer_seconds if rnd.timer_seconds else None
            await tx.execute(
                "UPDATE rounds SET status = 'open', revealed = 0, opened_at = ?, closed_at = NULL,"
                " ends_at = ? WHERE id = ?",
                (now, ends_at, round_id),
            )
            await tx.execute(
                "UPDATE workshops SET current_round_id = ? WHERE id = ?",
                (round_id, rnd.workshop_id),
            )
            return await bump(tx, rnd.workshop_id)

    async def close_round(
        self, round_id: int, now: float, snapshot: Callable[[Round, list[Ballot]], str]
    ) -> int:
        """Close an open round and store its results snapshot, counted from the stored ballots
        inside the same transaction, so no ballot can slip in between counting and closing; the
        voters' answers are frozen with it, for splitting its results by group."""
        async with self._db.transaction() as tx:
            rnd = await round_in(tx, round_id)
            if rnd.status is not RoundStatus.OPEN:
                raise Conflict("This round is not open.")
            await tx.execute(
                "UPDATE rounds SET status = 'closed', closed_at = ?, ends_at = NULL,"
                " revealed = CASE WHEN hidden = 1 THEN 0 ELSE 1 END WHERE id = ?",
                (now, round_id),
            )
            ballots = await round_ballots_in(tx, round_id)
            closed = await round_in(tx, round_id)
            await tx.execute(
                "INSERT INTO results (round_id, snapshot, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (round_id) DO UPDATE SET snapshot = excluded.snapshot,"
                " created_at = excluded.created_at",
                (round_id, snapshot(closed, ballots), now),
            )
            await freeze_round_answers(tx, round_id)
            return await bump(tx, rnd.workshop_id)

    async def reveal_round(self, round_id: int, revealed: bool = True) -> int:
        """Show (or hide again) a round's results to the room."""
        async with self._db.transaction() as tx:
            rnd = await round_in(tx, round_id)
            await tx.execute(
                "UPDATE rounds SET revealed = ? WHERE id = ?", (int(revealed), round_id)
            )
            return await bump(tx, rnd.workshop_id)

    async def open_round_count(self) -> int:
        """How many rounds are open for voting, over all workshops."""
        count: int = await self._db.value("SELECT count(*) FROM rounds WHERE status = 'open'")
        return count

    async def result_snapshot(self, round_id: int) -> str | None:
        """The JSON results stored when the round last closed."""
        snapshot: str | None = await self._db.value(
            "SELECT snapshot FROM results WHERE round_id = ?", (round_id,)
        )
        return snapshot
