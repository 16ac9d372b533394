"""A round's results: counted live from its ballots while open, and stored as a snapshot when it
closes; afterwards the snapshot is the one source for phones, the board, pages and exports."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from facilitation import kinds
from facilitation.core.models import Ballot, Option, ResultRow, Round, RoundResult, RoundStatus
from facilitation.storage.store import Store

# What every snapshot holds; anything else in it is the kind's own details.
BASE_KEYS = ("round_id", "kind", "ballots", "rows")


def result_snapshot(rnd: Round, result: RoundResult, options: Mapping[int, Option]) -> str:
    """The JSON stored when a round closes: its counts, with the options' titles as they were,
    and the kind's own details beside them."""
    rows = [
        {**asdict(r), "title": options[r.option_id].title if r.option_id in options else "?"}
        for r in result.rows
    ]
    base = {"round_id": rnd.id, "kind": rnd.kind, "ballots": result.ballots, "rows": rows}
    return json.dumps({**dict(result.details), **base})


def result_from_snapshot(data: str) -> RoundResult:
    """Rebuild a RoundResult from its stored snapshot."""
    raw: dict[str, Any] = json.loads(data)
    rows = tuple(
        ResultRow(r["option_id"], r["score"], r["place"], r["tied"], r["voters"])
        for r in raw["rows"]
    )
    details = {k: v for k, v in raw.items() if k not in BASE_KEYS}
    return RoundResult(raw["kind"], rows, raw["ballots"], details)


async def result_of(
    store: Store, rnd: Round, ballots: Sequence[Ballot] | None = None
) -> RoundResult:
    """A closed round's stored snapshot, or the live count of an open one (from ``ballots`` when
    the caller has just read them)."""
    if rnd.status is RoundStatus.CLOSED:
        snapshot = await store.rounds.result_snapshot(rnd.id)
        if snapshot:
            return result_from_snapshot(snapshot)
    if ballots is None:
        ballots = await store.ballots.ballots(rnd.id)
    return kinds.get(rnd.kind).tally(rnd, list(ballots))
