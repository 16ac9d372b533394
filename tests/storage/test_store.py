"""The store against a real SQLite file: migrations, workshops, options, rounds and ballots."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from dataclasses import replace

import pytest

from facilitation.core.errors import Conflict, NotFound, RoundNotOpen
from facilitation.core.hub import Hub
from facilitation.core.models import Ballot, Round, RoundStatus
from facilitation.kinds import dots as dots_kind
from facilitation.kinds import ranking as ranking_kind
from facilitation.storage import workshops as workshops_storage
from facilitation.storage.db import IntegrityError
from facilitation.storage.migrations import MIGRATIONS
from facilitation.storage.store import Store
from facilitation.storage.workshops import CODE_ALPHABET, CODE_LENGTH
from facilitation.workshop.workshops import Workshops
from tests.engines import raw, raw_integrity_errors
from tests.helpers import ROOT, tally


async def make_workshop(store: Store, n_options: int = 3):
    user = await store.users.create_user("facilitator", "not-a-real-hash")
    workshop = await store.workshops.create_workshop(
        "Green spaces", dt.date(2024, 5, 4), "Hall", user.id
    )
    options = [
        await store.options.add_option(workshop.id, f"Idea {i}", "") for i in range(n_options)
    ]
    return workshop, options


# What the round form reads for each kind's own settings (the rest are every round's).
SETTINGS = {"dots", "max_per_option", "must_use_all", "top_k", "budget", "rule", "categories"}
DEFAULTS = {
    "dots": {"dots": 5, "max_per_option": 3, "must_use_all": False},
    "rank": {"top_k": None},
}


def draft(workshop_id: int, option_ids, kind="dots", title="Round", **rules) -> Round:
    # As the round form would have it: the kind's defaults, then what the test sets.
    own = {**DEFAULTS.get(kind, {}), **{k: v for k, v in rules.items() if k in SETTINGS}}
    common = {k: v for k, v in rules.items() if k not in SETTINGS}
    return Round(
        0, workshop_id, title, kind, tuple(option_ids), RoundStatus.DRAFT, settings=own, **common
    )


async def remove_option(store: Store, option_id: int) -> tuple[str, int]:
    """Remove an option as the console does: deleted, or withdrawn with its supporters counted
    from the ballots by their rounds' kinds."""
    option = await store.options.option(option_id)
    return await Workshops(store, Hub(), lambda _workshop_id: None).remove_option(option)


async def revision(store: Store, workshop_id: int) -> int:
    return (await store.workshops.workshop(workshop_id)).revision


def snapshot(rnd: Round, ballots: list[Ballot]) -> str:
    """A results snapshot counted with the real rules, plus what it was counted from."""
    result = tally(rnd, ballots)
    return json.dumps(
        {
            "status": rnd.status.value,
            "ballots": [[b.participant_id, dict(b.entry.get("dots", {}))] for b in ballots],
            "rows": [[r.option_id, r.score, r.place] for r in result.rows],
        }
    )


# -- lifecycle ------------------------------------------------------------------------------------


@pytest.mark.sqlite_only
async def test_migrations_are_applied_and_recorded(store, path):
    assert await store.applied_migrations() == [name for name, _ in MIGRATIONS]
    with raw(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"workshops", "options", "rounds", "ballots", "submissions", "results"} <= tables


async def test_opening_again_applies_nothing_twice_and_keeps_data(path):
    first = await Store(path).open()
    workshop, _ = await make_workshop(first)
    await first.close()

    again = await Store(path).open()
    also = await Store(path).open()
    try:
        assert await again.applied_migrations() == [name for name, _ in MIGRATIONS]
        assert await also.applied_migrations() == [name for name, _ in MIGRATIONS]
        assert (await again.workshops.workshop(workshop.id)).title == "Green spaces"
        assert len(await again.options.options(workshop.id)) == 3
    finally:
        await also.close()
        await again.close()
    with raw(path) as db:
        assert db.execute("SELECT COUNT(*) FROM migrations").fetchone()[0] == len(MIGRATIONS)


@pytest.mark.sqlite_only
async def test_journal_mode_is_wal(store, path):
    with raw(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_secret_is_made_once_and_kept_across_reopen(path):
    first = await Store(path).open()
    secret = await first.users.secret()
    assert len(secret) >= 32
    assert await first.users.secret() == secret
    await first.close()
    again = await Store(path).open()
    try:
        assert await again.users.secret() == secret
    finally:
        await again.close()


async def test_a_fresh_database_gets_a_different_secret(tmp_path):
    one = await Store(str(tmp_path / "one.sqlite3")).open()
    two = await Store(str(tmp_path / "two.sqlite3")).open()
    try:
        assert await one.users.secret() != await two.users.secret()
    finally:
        await one.close()
        await two.close()


def test_the_store_is_reached_through_its_repositories_only(path):
    public = {name for name in dir(Store(path)) if not name.startswith("_")}
    repositories = {"users", "workshops", "options", "rounds", "ballots", "live", "ideas"}
    repositories |= {"plans", "profiles", "pools", "pact", "organisations", "kiosks"}
    repositories |= {"disclosures"}
    repositories |= {"erasures"}
    repositories |= {"languages", "translations"}
    repositories |= {"recruitment"}
    lifecycle = {"open", "close", "applied_migrations", "integrity_check"}
    # and what guards the data across releases: the migration list, the copy taken before an
    # upgrade, the health probe behind /healthz.
    guard = {"migration_names", "upgrade_backup", "health"}
    assert public == repositories | lifecycle | guard


def test_no_sql_is_written_outside_storage():
    statement = re.compile(r"\b(SELECT .* FROM|INSERT INTO|UPDATE \w+ SET|DELETE FROM|PRAGMA)\b")
    package = ROOT / "facilitation"
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in package.rglob("*.py")
        if path.parent.name != "storage"
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if statement.search(line)
    ]
    assert found == []


async def test_integrity_check_is_ok(store):
    await make_workshop(store)
    assert await store.integrity_check() == "ok"


# -- workshops ------------------------------------------------------------------------------------


async def test_workshop_is_found_by_its_code(store):
    workshop, _ = await make_workshop(store)
    assert len(workshop.code) == CODE_LENGTH
    assert set(workshop.code) <= set(CODE_ALPHABET)
    found = await store.workshops.workshop_by_code(workshop.code)
    assert (found.id, found.code, found.title) == (workshop.id, workshop.code, "Green spaces")
    assert await store.workshops.workshop_by_code("NOSUCH") is None


async def test_join_codes_use_only_the_readable_alphabet_and_are_unique(store):
    user = await store.users.create_user("f", "hash")
    codes = [
        (await store.workshops.create_workshop(f"W{i}", None, "", user.id)).code for i in range(40)
    ]
    assert len(set(codes)) == 40
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set("0O1IL5S2Z") & set(CODE_ALPHABET)


async def test_a_join_code_already_taken_is_drawn_again(store, monkeypatch):
    user = await store.users.create_user("f", "hash")
    taken = await store.workshops.create_workshop("First", None, "", user.id)
    # The next draw repeats the code in use, then draws a free one.
    draws = iter(taken.code + "ABCDEFGH")
    monkeypatch.setattr(workshops_storage.secrets, "choice", lambda _alphabet: next(draws))
    second = await store.workshops.create_workshop("Second", None, "", user.id)
    assert second.code == "ABCDEFGH"
    assert (await store.workshops.workshop_by_code("ABCDEFGH")).title == "Second"
    assert (await store.workshops.workshop_by_code(taken.code)).title == "First"


async def test_unknown_workshop_is_not_found(store):
    with pytest.raises(NotFound):
        await store.workshops.workshop(12345)


# -- options --------------------------------------------------------------------------------------


async def test_options_are_listed_in_the_order_added(store):
    workshop, _ = await make_workshop(store)
    listed = await store.options.options(workshop.id)
    assert [o.title for o in listed] == ["Idea 0", "Idea 1", "Idea 2"]
    assert [o.position for o in listed] == [1, 2, 3]


@pytest.mark.parametrize(
    ("index", "step", "expected"),
    [(2, -1, [0, 2, 1]), (0, 1, [1, 0, 2]), (0, -1, [0, 1, 2]), (2, 1, [0, 1, 2])],
    ids=["up", "down", "first cannot go up", "last cannot go down"],
)
async def test_move_option(store, index, step, expected):
    workshop, options = await make_workshop(store)
    before = await revision(store, workshop.id)
    await store.options.move_option(options[index].id, step)
    listed = await store.options.options(workshop.id)
    assert [o.id for o in listed] == [options[i].id for i in expected]
    moved = expected != [0, 1, 2]
    assert await revision(store, workshop.id) == before + (1 if moved else 0)


async def test_removing_an_unused_option_deletes_it_and_takes_it_out_of_drafts(store):
    workshop, options = await make_workshop(store)
    rnd = await store.rounds.save_round(draft(workshop.id, [o.id for o in options]))
    assert await remove_option(store, options[1].id) == ("deleted", 0)
    with pytest.raises(NotFound):
        await store.options.option(options[1].id)
    assert (await store.rounds.round(rnd.id)).option_ids == (options[0].id, options[2].id)


async def test_removing_an_option_put_to_the_room_withdraws_it_and_counts_supporters(store):
    workshop, options = await make_workshop(store)
    a, b, c = (o.id for o in options)
    rnd = await store.rounds.save_round(draft(workshop.id, [a, b, c]))
    later = await store.rounds.save_round(draft(workshop.id, [a, b], title="Later"))
    await store.rounds.open_round(rnd.id, now=100.0)
    people = [await store.workshops.join(workshop.id, name) for name in ("Ann", "Bo", "Cy")]
    await store.ballots.cast_ballot(
        Ballot(rnd.id, people[0].id, dots_kind.entry({a: 2, b: 1})), "c-ann", 101.0
    )
    await store.ballots.cast_ballot(
        Ballot(rnd.id, people[1].id, dots_kind.entry({b: 3})), "c-bo", 101.0
    )
    await store.ballots.cast_ballot(
        Ballot(rnd.id, people[2].id, dots_kind.entry({c: 1})), "c-cy", 101.0
    )
    await store.rounds.close_round(rnd.id, 102.0, snapshot)

    assert await remove_option(store, b) == ("withdrawn", 2)
    option = await store.options.option(b)
    assert option.withdrawn
    assert b not in [
        o.id for o in await store.options.options(workshop.id, include_withdrawn=False)
    ]
    assert (await store.rounds.round(rnd.id)).option_ids == (a, b, c)  # history keeps it
    assert (await store.rounds.round(later.id)).option_ids == (a,)  # drafts lose it

    await store.options.restore_option(b)
    assert not (await store.options.option(b)).withdrawn


async def test_withdrawn_ranking_option_counts_everyone_who_ranked_it(store):
    workshop, options = await make_workshop(store)
    a, b, c = (o.id for o in options)
    rnd = await store.rounds.save_round(draft(workshop.id, [a, b, c], kind="rank", top_k=1))
    await store.rounds.open_round(rnd.id, now=1.0)
    for name, first in (("Ann", a), ("Bo", c), ("Cy", c)):
        person = await store.workshops.join(workshop.id, name)
        await store.ballots.cast_ballot(
            Ballot(rnd.id, person.id, ranking_kind.entry((first,))), f"id-{name}", 2.0
        )
    await store.rounds.close_round(rnd.id, 3.0, snapshot)
    assert await remove_option(store, c) == ("withdrawn", 2)
    assert await remove_option(store, b) == ("withdrawn", 0)


async def test_an_option_in_an_open_round_cannot_be_removed(store):
    workshop, options = await make_workshop(store)
    rnd = await store.rounds.save_round(draft(workshop.id, [o.id for o in options]))
    await store.rounds.open_round(rnd.id, now=1.0)
    before = await revision(store, workshop.id)
    with pytest.raises(Conflict, match="open now"):
        await store.options.remove_option(options[0].id)
    assert not (await store.options.option(options[0].id)).withdrawn
    assert (await store.rounds.round(rnd.id)).option_ids == tuple(o.id for o in options)
    assert await revision(store, workshop.id) == before


# -- rounds ---------------------------------------------------------------------------------------


async def test_a_new_round_is_a_draft_with_its_options_in_order(store):
    workshop, options = await make_workshop(store)
    order = [options[2].id, options[0].id]
    rnd = await store.rounds.save_round(
        draft(workshop.id, order, dots=7, max_per_option=2, must_use_all=True, hidden=True)
    )
    assert rnd.id > 0
    assert rnd.status is RoundStatus.DRAFT
    assert rnd.option_ids == tuple(order)
    assert (
        rnd.settings["dots"],
        rnd.settings["max_per_option"],
        rnd.settings["must_use_all"],
        rnd.hidden,
    ) == (7, 2, True, True)
    assert await store.rounds.rounds(workshop.id) == [rnd]


async def test_a_draft_round_can_be_edited(store):
    workshop, options = await make_workshop(store)
    rnd = await store.rounds.save_round(draft(workshop.id, [o.id for o in options]))
    edited = await store.rounds.save_round(
        replace(
            rnd,
            title="Rank them",
            kind="rank",
            option_ids=(options[1].id,),
            settings={"top_k": 1},
        )
    )
    assert edited.id == rnd.id
    assert (edited.title, edited.kind, edited.option_ids, edited.settings["top_k"]) == (
        "Rank them",
        "rank",
        (options[1].id,),
        1,
    )
    assert len(await store.rounds.rounds(workshop.id)) == 1


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
async def test_a_round_that_has_opened_cannot_be_edited_or_deleted(store, closed):
    workshop, options = await make_workshop(store)
    rnd = await store.rounds.save_round(draft(workshop.id, [o.id for o in options]))
    await store.rounds.open_round(rnd.id, now=1.0)
    if closed:
        await store.rounds.close_round(rnd.id, 2.0, snapshot)
    with pytest.raises(Conflict, match="fixed once it has opened"):
        await store.rounds.save_round(replace(rnd, title="Changed", settings={"dots": 9}))
    with pytest.raises(Conflict):
        await store.rounds.delete_round(rnd.id)
    kept = await store.rounds.round(rnd.id)
    assert (kept.title, kept.settings["dots"]) == ("Round", 5)


async def test_a_draft_round_can_be_deleted(store):
    workshop, options = await make_workshop(store)
    rnd = await store.rounds.save_round(draft(workshop.id, [o.id for o in options]))
    await store.rounds.delete_round(rnd.id)
    assert await store.rounds.rounds(workshop.id) == []
    with pytest.raises(NotFound):
        await store.rounds.round(rnd.id)


async def test_a_failed_write_leaves_nothing_behind(store):
    workshop, _ = await make_workshop(store)
    before = await revision(store, workshop.id)
    with pytest.raises(IntegrityError):
        await store.rounds.save_round(draft(workshop.id, [99999]))
    assert await store.rounds.rounds(workshop.id) == []
    assert await revision(store, workshop.id) == before


async def test_only_one_round_may_be_open_at_a_time(store):
    workshop, options = await make_workshop(store)
    ids = [o.id for o in options]
    first = await store.rounds.save_round(draft(workshop.id, ids, title="Spending"))
    second = await store.rounds.save_round(draft(workshop.id, ids, title="Ranking"))
    await store.rounds.open_round(first.id, now=1.0)
    with pytest.raises(Conflict) as refused:
        await store.rounds.open_round(second.id, now=2.0)
    assert refused.value.params == {"title": "Spending"}
    assert (await store.rounds.round(second.id)).status is RoundStatus.DRAFT
    with pytest.raises(Conflict, match="already open"):
        await store.rounds.open_round(first.id, now=2.0)

    await store.rounds.close_round(first.id, 3.0, snapshot)
    await store.rounds.open_round(second.id, now=4.0)
    assert (await store.workshops.workshop(workshop.id)).current_round_id == second.id


async def test_opening_sets_the_timer_and_closing_clears_it(store):
    workshop, options = await make_workshop(store)
    rnd = await store.rounds.save_round(
        draft(workshop.id, [o.id for o in options], timer_seconds=90)
    )
    await store.rounds.open_round(rnd.id, now=1000.0)
    opened = await store.rounds.round(rnd.id)
    assert (opened.status, opened.opened_at, opened.ends_at) == (RoundStatus.OPEN, 1000.0, 1090.0)
    await store.rounds.close_round(rnd.id, 1050.0, snapshot)
    closed = await store.rounds.round(rnd.id)
    assert (closed.status, closed.closed_at, closed.ends_at) == (RoundStatus.CLOSED, 1050.0, None)


# -- ballots --------------------------------------------------------------------------------------


async def open_dots_round(store: Store):
    workshop, options = await make_workshop(store)
    rnd = await store.rounds.save_round(draft(workshop.id, [o.id for o in options]))
    await store.rounds.open_round(rnd.id, now=1.0)
    person = await store.workshops.join(workshop.id, "Ann")
    return workshop, [o.id for o in options], rnd, person


def ballot_count(path: str, round_id: int) -> int:
    with raw(path) as db:
        return db.execute(
            "SELECT COUNT(*) FROM ballots WHERE round_id = ?", (round_id,)
        ).fetchone()[0]


async def test_a_new_ballot_replaces_the_earlier_one(store, path):
    _, (a, b, c), rnd, ann = await open_dots_round(store)
    first_rev, dup1 = await store.ballots.cast_ballot(
        Ballot(rnd.id, ann.id, dots_kind.entry({a: 3})), "client-1", 10.0
    )
    second_rev, dup2 = await store.ballots.cast_ballot(
        Ballot(rnd.id, ann.id, dots_kind.entry({b: 1, c: 2})), "client-2", 11.0
    )
    assert (dup1, dup2) == (False, False)
    assert second_rev > first_rev
    saved = await store.ballots.ballot(rnd.id, ann.id)
    assert (dots_kind.placed_dots(saved.entry), saved.submitted_at, saved.revision) == (
        {b: 1, c: 2},
        11.0,
        second_rev,
    )
    assert await store.ballots.ballots(rnd.id) == [saved]
    assert ballot_count(path, rnd.id) == 1


async def test_a_ranking_ballot_is_stored_in_order(store):
    workshop, (a, b, c), dots, ann = await open_dots_round(store)
    await store.rounds.close_round(dots.id, 2.0, snapshot)
    rnd = await store.rounds.save_round(draft(workshop.id, [a, b, c], kind="rank", title="R"))
    await store.rounds.open_round(rnd.id, now=3.0)
    await store.ballots.cast_ballot(
        Ballot(rnd.id, ann.id, ranking_kind.entry((c, a, b))), "rank-1", 4.0
    )
    saved = await store.ballots.ballot(rnd.id, ann.id)
    assert (ranking_kind.ranking_of(saved.entry), dots_kind.placed_dots(saved.entry)) == (
        (c, a, b),
        {},
    )


async def test_a_resent_client_id_is_stored_once(store, path):
    workshop, (a, b, _c), rnd, ann = await open_dots_round(store)
    rev, duplicate = await store.ballots.cast_ballot(
        Ballot(rnd.id, ann.id, dots_kind.entry({a: 2})), "resent", 10.0
    )
    assert not duplicate
    before = await revision(store, workshop.id)
    again = await store.ballots.cast_ballot(
        Ballot(rnd.id, ann.id, dots_kind.entry({b: 1})), "resent", 12.0
    )
    assert again == (rev, True)
    saved = await store.ballots.ballot(rnd.id, ann.id)
    assert (dots_kind.placed_dots(saved.entry), saved.submitted_at, saved.revision) == (
        {a: 2},
        10.0,
        rev,
    )
    assert await revision(store, workshop.id) == before
    assert ballot_count(path, rnd.id) == 1


async def test_a_ballot_after_close_is_refused_but_a_resent_one_is_acknowledged(store):
    workshop, (a, b, _c), rnd, ann = await open_dots_round(store)
    rev, _ = await store.ballots.cast_ballot(
        Ballot(rnd.id, ann.id, dots_kind.entry({a: 2})), "before-close", 10.0
    )
    await store.rounds.close_round(rnd.id, 20.0, snapshot)
    after_close = await revision(store, workshop.id)

    with pytest.raises(RoundNotOpen):
        await store.ballots.cast_ballot(
            Ballot(rnd.id, ann.id, dots_kind.entry({b: 1})), "after-close", 21.0
        )
    assert await store.ballots.cast_ballot(
        Ballot(rnd.id, ann.id, dots_kind.entry({b: 1})), "before-close", 22.0
    ) == (
        rev,
        True,
    )
    assert dots_kind.placed_dots((await store.ballots.ballot(rnd.id, ann.id)).entry) == {a: 2}
    assert await revision(store, workshop.id) == after_close


async def test_a_ballot_for_a_draft_round_is_refused(store):
    workshop, (a, *_), _, ann = await open_dots_round(store)
    later = await store.rounds.save_round(draft(workshop.id, [a], title="Later"))
    with pytest.raises(RoundNotOpen):
        await store.ballots.cast_ballot(
            Ballot(later.id, ann.id, dots_kind.entry({a: 1})), "too-early", 5.0
        )
    assert await store.ballots.ballot(later.id, ann.id) is None


async def test_a_ballot_for_an_unknown_round_is_not_found(store):
    _, (a, *_), _, ann = await open_dots_round(store)
    with pytest.raises(NotFound):
        await store.ballots.cast_ballot(
            Ballot(9999, ann.id, dots_kind.entry({a: 1})), "nowhere", 5.0
        )


async def test_the_schema_keeps_one_ballot_per_participant_and_round(store, path):
    _, (a, *_), rnd, ann = await open_dots_round(store)
    await store.ballots.cast_ballot(Ballot(rnd.id, ann.id, dots_kind.entry({a: 1})), "only", 10.0)
    with raw(path) as db, pytest.raises(raw_integrity_errors()):
        db.execute(
            "INSERT INTO ballots (round_id, participant_id, payload, submitted_at, revision)"
            " VALUES (?, ?, '{}', 0, 0)",
            (rnd.id, ann.id),
        )
    assert ballot_count(path, rnd.id) == 1


async def test_simultaneous_ballots_are_each_stored_with_their_own_revision(store, path):
    workshop, (a, b, _c), rnd, _ = await open_dots_round(store)
    people = [await store.workshops.join(workshop.id, f"P{i}") for i in range(25)]
    results = await asyncio.gather(
        *(
            store.ballots.cast_ballot(
                Ballot(rnd.id, p.id, dots_kind.entry({a: 1, b: i % 3})), f"c-{p.id}", 10.0
            )
            for i, p in enumerate(people)
        )
    )
    revisions = [rev for rev, duplicate in results]
    assert not any(duplicate for _, duplicate in results)
    assert len(set(revisions)) == 25
    assert ballot_count(path, rnd.id) == 25
    assert await revision(store, workshop.id) == max(revisions)
    assert await store.integrity_check() == "ok"


async def test_close_stores_a_snapshot_counted_from_the_stored_ballots(store):
    workshop, (a, b, c), rnd, ann = await open_dots_round(store)
    bo = await store.workshops.join(workshop.id, "Bo")
    await store.ballots.cast_ballot(Ballot(rnd.id, ann.id, dots_kind.entry({a: 3})), "ann-1", 10.0)
    await store.ballots.cast_ballot(
        Ballot(rnd.id, ann.id, dots_kind.entry({c: 3})), "ann-2", 11.0
    )  # replaces
    await store.ballots.cast_ballot(
        Ballot(rnd.id, bo.id, dots_kind.entry({c: 1, b: 2})), "bo-1", 12.0
    )
    assert await store.rounds.result_snapshot(rnd.id) is None

    await store.rounds.close_round(rnd.id, 20.0, snapshot)
    stored = json.loads(await store.rounds.result_snapshot(rnd.id))
    assert stored["status"] == "closed"
    assert stored["ballots"] == [[ann.id, {str(c): 3}], [bo.id, {str(b): 2, str(c): 1}]]
    assert stored["rows"] == [[c, 4, 1], [b, 2, 2], [a, 0, 3]]


async def test_reopening_keeps_ballots_and_closing_again_replaces_the_snapshot(store):
    _, (a, b, _c), rnd, ann = await open_dots_round(store)
    await store.ballots.cast_ballot(Ballot(rnd.id, ann.id, dots_kind.entry({a: 1})), "one", 10.0)
    await store.rounds.close_round(rnd.id, 20.0, snapshot)
    await store.rounds.open_round(rnd.id, now=30.0)
    assert dots_kind.placed_dots((await store.ballots.ballot(rnd.id, ann.id)).entry) == {a: 1}
    await store.ballots.cast_ballot(Ballot(rnd.id, ann.id, dots_kind.entry({b: 2})), "two", 31.0)
    await store.rounds.close_round(rnd.id, 40.0, snapshot)
    stored = json.loads(await store.rounds.result_snapshot(rnd.id))
    assert stored["rows"][0] == [b, 2, 1]


async def test_closing_a_round_that_is_not_open_is_refused(store):
    workshop, options = await make_workshop(store)
    rnd = await store.rounds.save_round(draft(workshop.id, [o.id for o in options]))
    with pytest.raises(Conflict, match="not open"):
        await store.rounds.close_round(rnd.id, 1.0, snapshot)
    assert await store.rounds.result_snapshot(rnd.id) is None


async def test_hidden_round_stays_hidden_after_close_until_revealed(store):
    workshop, options = await make_workshop(store)
    shown = await store.rounds.save_round(
        draft(workshop.id, [o.id for o in options], title="Shown")
    )
    hidden = await store.rounds.save_round(
        draft(workshop.id, [o.id for o in options], title="Hidden", hidden=True)
    )
    for rnd in (shown, hidden):
        await store.rounds.open_round(rnd.id, now=1.0)
        await store.rounds.close_round(rnd.id, 2.0, snapshot)
    assert (await store.rounds.round(shown.id)).results_visible
    assert not (await store.rounds.round(hidden.id)).results_visible
    await store.rounds.reveal_round(hidden.id)
    assert (await store.rounds.round(hidden.id)).results_visible


async def test_turnout_counts_joined_and_voted(store):
    workshop, (a, *_), rnd, ann = await open_dots_round(store)
    await store.workshops.join(workshop.id, "Bo")
    await store.ballots.cast_ballot(Ballot(rnd.id, ann.id, dots_kind.entry({a: 1})), "t-1", 1.0)
    turnout = await store.ballots.turnout(workshop.id, rnd.id)
    assert (turnout.joined, turnout.voted) == (2, 1)
    assert (await store.ballots.turnout(workshop.id, None)).voted == 0


# -- revisions ------------------------------------------------------------------------------------


async def test_every_write_raises_the_workshop_revision(store):
    workshop, options = await make_workshop(store)
    assert workshop.revision == 0
    seen = [await revision(store, workshop.id)]
    assert seen == [3]  # one per option added

    async def step(write, *, returns_revision=False):
        returned = await write
        now = await revision(store, workshop.id)
        assert now > seen[-1]
        if returns_revision:
            assert returned == now
        seen.append(now)
        return returned

    ids = [o.id for o in options]
    await step(store.workshops.update_workshop(workshop.id, "Green spaces 2", None, "Library"))
    await step(store.options.add_option(workshop.id, "Idea 3", "more"))
    await step(store.options.update_option(ids[0], "Idea zero", ""))
    await step(store.options.move_option(ids[1], -1))
    rnd = await step(store.rounds.save_round(draft(workshop.id, ids)))
    await step(store.rounds.open_round(rnd.id, now=1.0), returns_revision=True)
    ann = await step(store.workshops.join(workshop.id, "Ann"))
    rev, _ = await step(
        store.ballots.cast_ballot(Ballot(rnd.id, ann.id, dots_kind.entry({ids[0]: 1})), "r-1", 2.0)
    )
    assert rev == seen[-1]
    await step(store.rounds.close_round(rnd.id, 3.0, snapshot), returns_revision=True)
    await step(store.rounds.reveal_round(rnd.id, revealed=False), returns_revision=True)
    await step(store.options.remove_option(ids[2]))
    await step(store.options.restore_option(ids[2]))
    assert len(seen) == 13


async def test_live_state_read_after_read_matches_a_full_read(store, path):
    """Live renders read ballots incrementally; every read must equal reading them all afresh."""
    workshop, options = await make_workshop(store)
    ids = [o.id for o in options]
    people = [await store.workshops.join(workshop.id, name) for name in ("Ann", "Bo", "Cy")]
    first = await store.rounds.save_round(draft(workshop.id, ids))
    second = await store.rounds.save_round(draft(workshop.id, ids, title="Second"))

    async def live_equals_full(round_id: int) -> None:
        _w, rnd, ballots, joined = await store.live.live_state(workshop.id)
        assert rnd.id == round_id and joined == len(people)
        assert ballots == await store.ballots.ballots(round_id)

    await store.rounds.open_round(first.id, now=1.0)
    await live_equals_full(first.id)
    await store.ballots.cast_ballot(
        Ballot(first.id, people[0].id, dots_kind.entry({ids[0]: 2})), "a-1", 2.0
    )
    await live_equals_full(first.id)
    await store.ballots.cast_ballot(
        Ballot(first.id, people[1].id, dots_kind.entry({ids[1]: 1})), "b-1", 3.0
    )
    await store.ballots.cast_ballot(
        Ballot(first.id, people[0].id, dots_kind.entry({ids[2]: 3})), "a-2", 4.0
    )
    await live_equals_full(first.id)
    await store.rounds.close_round(first.id, 5.0, snapshot)
    await store.rounds.open_round(second.id, now=6.0)
    await live_equals_full(second.id)
    await store.ballots.cast_ballot(
        Ballot(second.id, people[2].id, dots_kind.entry({ids[0]: 1})), "c-1", 7.0
    )
    await live_equals_full(second.id)
    await store.rounds.close_round(second.id, 8.0, snapshot)
    await store.rounds.open_round(first.id, now=9.0)  # reopened: its ballots are all still there
    await live_equals_full(first.id)
    assert len((await store.live.live_state(workshop.id))[2]) == 2
    with raw(path) as db:  # a row changed behind the store's back is noticed, not kept stale
        db.execute("DELETE FROM ballots WHERE participant_id = ?", (people[1].id,))
        db.commit()
    await live_equals_full(first.id)
    assert len((await store.live.live_state(workshop.id))[2]) == 1
