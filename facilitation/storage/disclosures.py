"""Disclosures repository: what each round has shown of its voters, for the rule in
facilitation.people.disclosure. A round's split basis (its ballots and frozen answers, fixed the
first time its results are split), the questions it has been split by, whether its ballots have
gone out one by one, and removing a person's answers from all of it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from facilitation.core.errors import Conflict, NotFound
from facilitation.core.models import Ballot
from facilitation.storage.ballots import ballot_from_row
from facilitation.storage.db import Database, Reader

# Why a round's splits are withheld for good.
ANSWERS_REMOVED = "answers_removed"

# memberships: question id -> participant id -> choice id (None: not said), for the basis voters.
Memberships = Mapping[int, Mapping[int, int | None]]


@dataclass(frozen=True, slots=True)
class SplitState:
    """What a round has shown: when its split basis was fixed (None: never split), why its
    splits are withheld for good ("" if they are not), the questions released, and whether its
    ballots have gone out one by one."""

    round_id: int
    fixed_at: float | None
    withheld: str
    released: tuple[int, ...]
    ballots_released: bool


async def _state(tx: Reader, round_id: int) -> SplitState:
    basis = await tx.one(
        "SELECT fixed_at, withheld FROM split_bases WHERE round_id = ?", (round_id,)
    )
    released = await tx.all(
        "SELECT question_id FROM split_releases WHERE round_id = ?"
        " ORDER BY released_at, question_id",
        (round_id,),
    )
    out = await tx.value("SELECT 1 FROM ballot_releases WHERE round_id = ?", (round_id,))
    return SplitState(
        round_id,
        basis[0] if basis else None,
        basis[1] if basis else "",
        tuple(r[0] for r in released),
        bool(out),
    )


async def _memberships(tx: Reader, round_id: int, question_ids: Iterable[int]) -> Memberships:
    voters = [
        r[0]
        for r in await tx.all(
            "SELECT participant_id FROM split_ballots WHERE round_id = ? ORDER BY participant_id",
            (round_id,),
        )
    ]
    out: dict[int, dict[int, int | None]] = {}
    for question_id in question_ids:
        given = {
            r[0]: r[1]
            for r in await tx.all(
                "SELECT participant_id, choice_id FROM round_answers"
                " WHERE round_id = ? AND question_id = ?",
                (round_id, question_id),
            )
        }
        out[question_id] = {p: given.get(p) for p in voters}
    return out


class Disclosures:
    """Each round's split basis and what has been released of it."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def split_state(self, round_id: int) -> SplitState:
        return await _state(self._db, round_id)

    async def fix_split_basis(self, round_id: int) -> SplitState:
        """Fix a closed round's split basis if it has none (and its ballots have not gone out
        one by one): copy its ballots as they stand; its frozen answers stop moving from now."""
        async with self._db.transaction() as tx:
            status = await tx.value("SELECT status FROM rounds WHERE id = ?", (round_id,))
            if status is None:
                raise NotFound("round")
            if status != "closed":
                raise Conflict("Results can be split by group once voting has closed.")
            state = await _state(tx, round_id)
            if state.fixed_at is not None or state.ballots_released:
                return state
            await tx.execute(
                "INSERT INTO split_bases (round_id, fixed_at) VALUES (?, ?)",
                (round_id, time.time()),
            )
            await tx.execute(
                "INSERT INTO split_ballots (round_id, participant_id, payload)"
                " SELECT round_id, participant_id, payload FROM ballots WHERE round_id = ?",
                (round_id,),
            )
            return await _state(tx, round_id)

    async def basis_ballots(self, round_id: int) -> list[Ballot]:
        """The ballots a round's splits are counted from, as they stood when its basis was fixed."""
        rows = await self._db.all(
            "SELECT s.round_id, s.participant_id, s.payload, 0 AS submitted_at, 0 AS revision,"
            " p.paper FROM split_ballots s JOIN participants p ON p.id = s.participant_id"
            " WHERE s.round_id = ? ORDER BY s.participant_id",
            (round_id,),
        )
        return [ballot_from_row(r) for r in rows]

    async def release_split(
        self, round_id: int, question_id: int, decide: Callable[[Memberships], bool]
    ) -> bool:
        """Release a split of a round by a question, if ``decide`` allows it given the basis
        voters' answers to it and to every question released before (all read and written in
        one transaction, so two releases can never both pass on what the other did not see).
        A question already released stays released."""
        async with self._db.transaction() as tx:
            state = await _state(tx, round_id)
            if state.fixed_at is None or state.withheld:
                return False
            if question_id in state.released:
                return True
            memberships = await _memberships(tx, round_id, (*state.released, question_id))
            if not decide(memberships):
                return False
            await tx.execute(
                "INSERT INTO split_releases (round_id, question_id, released_at) VALUES (?, ?, ?)",
                (round_id, question_id, time.time()),
            )
            return True

    async def release_ballots(self, round_ids: Iterable[int]) -> set[int]:
        """Record that these rounds' ballots go out one by one, except rounds whose results have
        been split (those are never offered one by one); returns the rounds that may go out."""
        async with self._db.transaction() as tx:
            allowed = set()
            for round_id in round_ids:
                if await tx.value("SELECT 1 FROM split_bases WHERE round_id = ?", (round_id,)):
                    continue
                await tx.execute(
                    "INSERT INTO ballot_releases (round_id, released_at) VALUES (?, ?)"
                    " ON CONFLICT (round_id) DO NOTHING",
                    (round_id, time.time()),
                )
                allowed.add(round_id)
            return allowed

    async def forget_answers(self, respondent_id: int) -> None:
        """Remove a person's answers everywhere: their programme answers, the answers frozen
        with every round they voted in, their name, and the link from their places in
        workshops to their answers. A round whose released split counted them in an answer
        group is withheld for good: showing it again without them would show them."""
        async with self._db.transaction() as tx:
            people = [
                r[0]
                for r in await tx.all(
                    "SELECT id FROM participants WHERE respondent_id = ?", (respondent_id,)
                )
            ]
            for participant_id in people:
                exposed = await tx.all(
                    "SELECT DISTINCT a.round_id FROM round_answers a"
                    " JOIN split_releases r ON r.round_id = a.round_id"
                    "   AND r.question_id = a.question_id"
                    " JOIN split_ballots s ON s.round_id = a.round_id"
                    "   AND s.participant_id = a.participant_id"
                    " WHERE a.participant_id = ? AND a.choice_id IS NOT NULL",
                    (participant_id,),
                )
                await tx.executemany(
                    "UPDATE split_bases SET withheld = ? WHERE round_id = ?",
                    [(ANSWERS_REMOVED, r[0]) for r in exposed],
                )
                await tx.execute(
                    "DELETE FROM round_answers WHERE participant_id = ?", (participant_id,)
                )
            await tx.execute(
                "DELETE FROM profile_answers WHERE respondent_id = ?", (respondent_id,)
            )
            await tx.execute(
                "UPDATE participants SET display_name = '', respondent_id = NULL"
                " WHERE respondent_id = ?",
                (respondent_id,),
            )
