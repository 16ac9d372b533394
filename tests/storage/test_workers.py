"""Several processes on one database, as several workers are: two stores opened on the same data
(a SQLite file, or a PostgreSQL database under --engine postgresql) keep the guarantees that one
writer gives: a ballot re-sent to two workers at once is stored once, and a ballot racing the
close is either counted or refused, never acknowledged and left out."""

from __future__ import annotations

import asyncio
import json

import pytest

from facilitation.core.errors import RoundNotOpen
from facilitation.core.models import Ballot
from facilitation.kinds import dots as dots_kind
from facilitation.storage.store import Store
from tests.engines import raw
from tests.storage.test_store import open_dots_round


@pytest.fixture
async def second(path):
    """Another worker's store on the same database."""
    opened = await Store(path).open()
    yield opened
    await opened.close()


async def test_a_ballot_sent_to_two_workers_at_once_is_stored_once(store, second, path):
    _w, (a, *_), rnd, ann = await open_dots_round(store)
    ballot = Ballot(rnd.id, ann.id, dots_kind.entry({a: 2}))
    answers = await asyncio.gather(
        *(
            (store if i % 2 else second).ballots.cast_ballot(ballot, "same-id", 10.0 + i)
            for i in range(12)
        )
    )
    assert sum(1 for _rev, duplicate in answers if not duplicate) == 1
    assert len({rev for rev, _dup in answers}) == 1  # every resend is told the same revision
    with raw(path) as db:
        assert db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 1
        assert db.execute("SELECT COUNT(*) FROM ballots").fetchone()[0] == 1


async def test_a_ballot_racing_the_close_on_another_worker_is_counted_or_refused(store, second):
    workshop, (a, b, _c), rnd, _ann = await open_dots_round(store)
    people = [await store.workshops.join(workshop.id, f"P{i}") for i in range(30)]

    async def vote(i: int) -> bool:
        await asyncio.sleep(0.002 * i)
        try:
            await store.ballots.cast_ballot(
                Ballot(rnd.id, people[i].id, dots_kind.entry({a if i % 2 else b: 1})),
                f"c{i}",
                20.0,
                workshop=workshop.id,
            )
        except RoundNotOpen:
            return False
        return True

    async def close() -> None:
        await asyncio.sleep(0.03)
        await second.rounds.close_round(
            rnd.id, 30.0, lambda _r, ballots: json.dumps({"counted": len(ballots)})
        )

    acked = await asyncio.gather(*(vote(i) for i in range(30)), close())
    counted = json.loads(await store.rounds.result_snapshot(rnd.id))["counted"]
    assert counted == sum(1 for ok in acked[:30] if ok)
    assert counted == len(await store.ballots.ballots(rnd.id))
