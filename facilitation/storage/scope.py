"""Migration and SQL helpers for what is up for grabs: option scopes and round information cards.

Part of the storage layer (the only SQL in the project), used by ``storage.Store``. A round keeps
every option chosen for it; whether each is voted on or only shown follows the option's scope, so
a round read from here lists its votable options and its information-only options apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiosqlite

from facilitation.core.models import InfoCard, Scope

SCOPE_MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0004_option_scope_and_cards",
        """
        ALTER TABLE options ADD COLUMN scope TEXT NOT NULL DEFAULT 'open'
            CHECK (scope IN ('open', 'within_limits', 'not_negotiable'));
        ALTER TABLE options ADD COLUMN limit_kind TEXT NOT NULL DEFAULT ''
            CHECK (limit_kind IN ('', 'budget', 'statutory', 'health_safety', 'lease', 'other'));
        ALTER TABLE options ADD COLUMN limit_text TEXT NOT NULL DEFAULT '';
        ALTER TABLE rounds ADD COLUMN cards_on_board INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE round_cards (
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            position INTEGER NOT NULL,
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            PRIMARY KEY (round_id, position)
        );
        """,
    ),
)


class RoundParts:
    """What a round row needs from other tables: its votable and information-only options (in
    the round's order) and its information cards."""

    __slots__ = ("cards", "costs", "info_option_ids", "option_ids")

    def __init__(self) -> None:
        self.option_ids: list[int] = []
        self.costs: list[int] = []  # of the votable options, in order (0 when not costed)
        self.info_option_ids: list[int] = []
        self.cards: list[InfoCard] = []


async def round_parts(conn: aiosqlite.Connection, round_ids: Sequence[int]) -> dict[int, Any]:
    """Options and cards of the given rounds, read through one connection."""
    out = {rid: RoundParts() for rid in round_ids}
    if not round_ids:
        return out
    marks = ",".join("?" * len(round_ids))
    rows = await conn.execute_fetchall(
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
    cards = await conn.execute_fetchall(
        f"SELECT round_id, title, text FROM round_cards WHERE round_id IN ({marks})"
        " ORDER BY round_id, position",
        tuple(round_ids),
    )
    for round_id, title, text in cards:
        out[round_id].cards.append(InfoCard(title, text))
    return out


async def write_cards(db: aiosqlite.Connection, round_id: int, cards: Sequence[InfoCard]) -> None:
    """Replace a round's information cards (inside the caller's transaction)."""
    await db.execute("DELETE FROM round_cards WHERE round_id = ?", (round_id,))
    await db.executemany(
        "INSERT INTO round_cards (round_id, position, title, text) VALUES (?, ?, ?, ?)",
        [(round_id, i, c.title, c.text) for i, c in enumerate(cards)],
    )


async def in_opened_round(db: aiosqlite.Connection, option_id: int) -> bool:
    """Whether an option belongs to a round that has opened (its ballot can no longer change)."""
    row = await (
        await db.execute(
            "SELECT 1 FROM round_options ro JOIN rounds r ON r.id = ro.round_id"
            " WHERE ro.option_id = ? AND r.status != 'draft' LIMIT 1",
            (option_id,),
        )
    ).fetchone()
    return row is not None
