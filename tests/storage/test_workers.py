"""Several processes on one database, as several workers are: two stores opened on the same data
(a SQLite file, or a PostgreSQL database under --engine postgresql) keep the guarantees that one
writer gives: a ballot re-sent to two workers at once is stored once, and a ballot racing the
close is either counted or refused, never acknowledged and left out."""

from __future__ import annotations

import asyncio
import json

import pytest

from facilitation.core.errors import Conflict, RoundNotOpen
from facilitation.core.models import Ballot
from facilitation.kinds import dots as dots_kind
from facilitation.storage.db import IntegrityError
from facilitation.storage.ideas import IDEAS_PER_PERSON
from facilitation.storage.store import Store
from tests.engines import raw
from tests.storage.test_store import draft, make_workshop, open_dots_round


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


async def test_a_group_with_a_closed_round_and_resends_stores_each_other_ballot_once(store, path):
    workshop, (a, b, _c), first, ann = await open_dots_round(store)
    people = [await store.workshops.join(workshop.id, f"P{i}") for i in range(12)]
    earlier = await store.ballots.cast_ballot(
        Ballot(first.id, ann.id, dots_kind.entry({a: 1})), "before", 1.0, workshop=workshop.id
    )
    await store.rounds.close_round(first.id, 2.0, lambda _r, ballots: str(len(ballots)))
    second = await store.rounds.save_round(draft(workshop.id, [a, b]))
    await store.rounds.open_round(second.id, now=3.0)

    async def vote(round_id: int, participant_id: int, option: int, client_id: str):
        try:
            return await store.ballots.cast_ballot(
                Ballot(round_id, participant_id, dots_kind.entry({option: 1})),
                client_id,
                4.0,
                workshop=workshop.id,
            )
        except RoundNotOpen:
            return "closed"

    # All arrive together, so they are written as one group (and its leftovers).
    answers = await asyncio.gather(
        *(vote(second.id, p.id, a, f"c{p.id}") for p in people[:6]),
        vote(first.id, people[6].id, a, "late"),  # the closed round: refused
        vote(first.id, ann.id, a, "before"),  # a resend of the closed round's ballot: saved
        *(vote(second.id, p.id, a, f"c{p.id}") for p in people[7:]),
        vote(second.id, people[0].id, a, f"c{people[0].id}"),  # resent with the group
        vote(second.id, people[1].id, b, "changed"),  # a changed mind, with the group
    )
    assert answers[6] == "closed"
    assert answers[7] == (earlier[0], True)
    fresh = [answers[i] for i in (0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 14)]
    assert all(isinstance(x, tuple) and not x[1] for x in fresh)
    revisions = [x[0] for x in fresh]
    assert len(set(revisions)) == len(revisions) == 12
    assert answers[13] == (answers[0][0], True)  # told the revision its first sending made
    assert answers[14][0] > answers[1][0]
    stored = {x.participant_id: x for x in await store.ballots.ballots(second.id)}
    assert sorted(stored) == sorted(p.id for p in people if p is not people[6])
    assert dots_kind.placed_dots(stored[people[1].id].entry) == {b: 1}
    assert len(await store.ballots.ballots(first.id)) == 1
    with raw(path) as db:
        saved = db.execute("SELECT COUNT(*) FROM submissions WHERE round_id = ?", (second.id,))
        assert saved.fetchone()[0] == 12


async def test_ideas_arriving_together_are_each_stored_once_and_a_refused_one_sinks_none(
    store, path
):
    workshop, _options = await make_workshop(store)
    people = [await store.workshops.join(workshop.id, f"P{i}") for i in range(10)]
    closed = await store.rounds.save_round(draft(workshop.id, [], kind="ideas", title="Before"))
    await store.rounds.open_round(closed.id, now=1.0)
    earlier, rev, _dup = await store.ideas.add_idea(
        closed.id, people[0].id, "A bench", "", "before", 2.0, workshop=workshop.id
    )
    await store.rounds.close_round(closed.id, 3.0, lambda _r, _b: "{}")
    rnd = await store.rounds.save_round(draft(workshop.id, [], kind="ideas"))
    await store.rounds.open_round(rnd.id, now=4.0)
    for n in range(IDEAS_PER_PERSON):  # people[9] has sent all the ideas one person may
        await store.ideas.add_idea(rnd.id, people[9].id, f"Idea {n}", "", f"cap-{n}", 5.0)

    async def send(round_id: int, person: int, text: str, client_id: str):
        try:
            return await store.ideas.add_idea(
                round_id, people[person].id, text, "", client_id, 6.0, workshop=workshop.id
            )
        except RoundNotOpen:
            return "closed"
        except Conflict:
            return "refused"

    answers = await asyncio.gather(
        *(send(rnd.id, i, f"Idea from {i}", f"i{i}") for i in range(7)),
        send(closed.id, 7, "Too late", "late"),
        send(closed.id, 0, "A bench", "before"),  # a resend of the closed round's idea: saved
        send(rnd.id, 9, "One too many", "over"),
        send(rnd.id, 1, "Idea from 1", "i1"),  # resent with the group
        send(rnd.id, 8, "Idea from 8", "i8"),
    )
    assert answers[7] == "closed" and answers[9] == "refused"
    resent = answers[8]
    assert not isinstance(resent, str) and (resent[0].id, resent[1:]) == (earlier.id, (rev, True))
    fresh = [answers[i] for i in (0, 1, 2, 3, 4, 5, 6, 11)]
    assert all(not isinstance(x, str) and not x[2] for x in fresh)
    assert len({x[1] for x in fresh}) == 8  # each its own revision
    again = answers[10]
    assert not isinstance(again, str) and again[0].id == fresh[1][0].id and again[2]
    texts = sorted(
        i.text for i in await store.ideas.ideas(rnd.id) if i.participant_id != people[9].id
    )
    assert texts == sorted(f"Idea from {i}" for i in (0, 1, 2, 3, 4, 5, 6, 8))
    assert len(await store.ideas.participant_ideas(rnd.id, people[9].id)) == IDEAS_PER_PERSON
    assert len(await store.ideas.ideas(closed.id)) == 1
