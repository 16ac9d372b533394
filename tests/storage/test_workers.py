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
from facilitation.storage.db import IntegrityError
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


async def test_ballots_arriving_together_are_each_stored_and_one_bad_ballot_sinks_none(store):
    workshop, (a, *_), rnd, _ann = await open_dots_round(store)
    people = [await store.workshops.join(workshop.id, f"P{i}") for i in range(20)]
    nobody = max(p.id for p in people) + 1000  # no such participant: the schema refuses it

    async def vote(participant_id: int, client_id: str) -> tuple[int, bool] | str:
        try:
            return await store.ballots.cast_ballot(
                Ballot(rnd.id, participant_id, dots_kind.entry({a: 1})),
                client_id,
                40.0,
                workshop=workshop.id,
            )
        except IntegrityError:
            return "refused"

    answers = await asyncio.gather(
        *(vote(p.id, f"c{p.id}") for p in people),
        vote(nobody, "bad"),
        vote(people[0].id, f"c{people[0].id}"),  # a resend, arriving with the rest
    )
    assert answers[20] == "refused"
    saved = [x for x in answers if isinstance(x, tuple)]
    assert len(saved) == 21
    revisions = [rev for rev, duplicate in saved if not duplicate]
    assert len(revisions) == 20 and len(set(revisions)) == 20  # each its own revision
    first, resent = answers[0], answers[21]
    assert isinstance(first, tuple) and isinstance(resent, tuple)
    assert first[0] == resent[0] and {first[1], resent[1]} == {False, True}
    assert len(await store.ballots.ballots(rnd.id)) == 20
