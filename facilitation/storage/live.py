"""Live repository: one consistent read of a workshop for a live render, ballots read incrementally.

Kept apart from rounds and ballots because it reads both (and the workshop), while closing a
round reads ballots: here nothing imports in a circle.
"""

from __future__ import annotations

from facilitation.core.errors import NotFound
from facilitation.core.models import Ballot, Round, Workshop
from facilitation.storage.ballots import ballot_from_row
from facilitation.storage.db import Database, ReadTx
from facilitation.storage.rounds import round_in
from facilitation.storage.workshops import workshop_from_row


class Live:
    """What a board or phone shows right now, read in one snapshot."""

    def __init__(self, db: Database) -> None:
        self._db = db
        # The current round's decoded ballots per workshop, as of a revision, kept between live
        # renders so that each render reads and decodes only the ballots saved since the last.
        self._live: dict[int, tuple[int, int, dict[int, Ballot]]] = {}

    async def live_state(
        self, workshop_id: int
    ) -> tuple[Workshop, Round | None, list[Ballot], int]:
        """One consistent read for a live render: workshop, current round, its ballots, joined."""
        async with self._db.snapshot() as tx:
            row = await tx.one("SELECT * FROM workshops WHERE id = ?", (workshop_id,))
            if row is None:
                raise NotFound("workshop")
            workshop = workshop_from_row(row)
            current = workshop.current_round_id
            rnd = await round_in(tx, current) if current else None
            ballots = await self._live_ballots(tx, workshop, rnd.id) if rnd else []
            joined = await tx.value(
                "SELECT COUNT(*) FROM participants WHERE workshop_id = ?", (workshop_id,)
            )
        return workshop, rnd, ballots, joined

    async def _live_ballots(self, tx: ReadTx, workshop: Workshop, round_id: int) -> list[Ballot]:
        """A round's ballots inside live_state's transaction, read incrementally.

        A ballot is only ever written by cast_ballot, which stamps it with the workshop's new
        revision in the same transaction; so the rows saved since a snapshot at revision R are
        exactly those with a revision above R. A count check catches anything else (a reload).
        """
        cached_round, since, by_participant = self._live.get(workshop.id, (0, -1, {}))
        if cached_round != round_id:
            since, by_participant = -1, {}
        rows = await tx.all(
            "SELECT * FROM ballots WHERE round_id = ? AND revision > ?", (round_id, since)
        )
        by_participant.update((r["participant_id"], ballot_from_row(r)) for r in rows)
        count = await tx.value("SELECT COUNT(*) FROM ballots WHERE round_id = ?", (round_id,))
        if count != len(by_participant):
            rows = await tx.all("SELECT * FROM ballots WHERE round_id = ?", (round_id,))
            by_participant = {r["participant_id"]: ballot_from_row(r) for r in rows}
        self._live[workshop.id] = (round_id, workshop.revision, by_participant)
        return [by_participant[p] for p in sorted(by_participant)]
