"""Who is in the room, stored in a real SQLite file: answers, make-up, groups, pools, panels."""

from __future__ import annotations

import datetime as dt

import pytest

from facilitation.core.errors import Conflict, NotFound
from facilitation.core.models import Ballot, Round, RoundStatus
from facilitation.kinds import dots as dots_kind
from facilitation.people.groups import split, tally_groups
from facilitation.people.rules import RoomProfile, Volunteer, room_against_place
from facilitation.storage.migrations import MIGRATIONS
from facilitation.storage.store import Store
from tests.engines import raw, raw_integrity_errors
from tests.helpers import tally


def dump(path: str) -> list[str]:
    with raw(path) as db:
        return list(db.iterdump())


async def programme_with_workshop(store: Store, title: str = "Phoenix Place"):
    user = await store.users.create_user(f"facilitator-{title}", "not-a-real-hash")
    programme = await store.plans.create_programme(title, "", "", user.organisation_id)
    workshop = await store.workshops.create_workshop(
        "Courtyard", dt.date(2025, 3, 1), "Hall", user.id
    )
    await store.plans.set_workshop_programme(workshop.id, programme.id)
    return programme, workshop


@pytest.fixture
async def place(store):
    """A programme with a workshop and two questions: tenure (3 choices) and age (2)."""
    programme, workshop = await programme_with_workshop(store)
    tenure = await store.profiles.add_profile_question(
        programme.id, "Tenure", ["Social rent", "Private rent", "Owner"]
    )
    age = await store.profiles.add_profile_question(
        programme.id, "Age band", ["Under 30", "30 and over"]
    )
    return programme, workshop, tenure, age


def ids(question) -> dict[str, int]:
    return {c.label: c.id for c in question.choices}


async def join_and_answer(store, workshop, answers, token=None):
    participant = await store.workshops.join(workshop.id, "")
    respondent = await store.profiles.link_respondent(participant.id, token)
    await store.profiles.save_profile_answers(respondent.id, answers)
    return participant, respondent


# -- migration ------------------------------------------------------------------------------------


@pytest.mark.sqlite_only
async def test_the_people_migration_is_recorded_after_the_others(store, path):
    names = [name for name, _ in MIGRATIONS]
    assert names.index("0006_people") == names.index("0005_round_kinds") + 1
    assert await store.applied_migrations() == sorted(names)
    with raw(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        columns = {r[1] for r in db.execute("PRAGMA table_info(participants)")}
    assert {"respondents", "profile_questions", "profile_choices", "profile_answers"} <= tables
    assert {"place_makeup", "pools", "volunteers", "panels"} <= tables
    assert "respondent_id" in columns


async def test_reopening_applies_the_migration_once_and_keeps_answers(path):
    first = await Store(path).open()
    programme, workshop = await programme_with_workshop(first)
    q = await first.profiles.add_profile_question(programme.id, "Tenure", ["Owner"])
    _p, respondent = await join_and_answer(first, workshop, {q.id: q.choices[0].id})
    await first.close()
    again = await Store(path).open()
    assert await again.profiles.profile_answers(respondent.id) == {q.id: q.choices[0].id}
    await again.close()


# -- questions ------------------------------------------------------------------------------------


async def test_questions_are_listed_in_order_with_their_choices(store, place):
    programme, _w, _t, age = place
    listed = await store.profiles.profile_questions(programme.id)
    assert [q.label for q in listed] == ["Tenure", "Age band"]
    assert [c.label for c in listed[0].offered] == ["Social rent", "Private rent", "Owner"]
    assert await store.profiles.profile_question(age.id) == listed[1]
    await store.profiles.move_profile_question(age.id, -1)
    assert [q.label for q in await store.profiles.profile_questions(programme.id)] == [
        "Age band",
        "Tenure",
    ]


async def test_two_questions_of_a_programme_cannot_share_a_label(store, place, path):
    programme, _w, _t, age = place
    before = dump(path)
    with pytest.raises(Conflict) as caught:
        await store.profiles.add_profile_question(programme.id, " TENURE ", ["A"])
    assert caught.value.message == "This programme already asks “{label}”."
    with pytest.raises(Conflict):
        await store.profiles.update_profile_question(age.id, "tenure", [])
    assert dump(path) == before
    other, _ = await programme_with_workshop(store, "Elsewhere")
    assert (await store.profiles.add_profile_question(other.id, "Tenure", ["A"])).label == "Tenure"


async def test_choices_can_be_renamed_reordered_and_added(store, place):
    _p, _w, tenure, _a = place
    c = ids(tenure)
    updated = await store.profiles.update_profile_question(
        tenure.id,
        "Your tenure",
        [(c["Owner"], "Owner-occupier"), (c["Social rent"], "Social rent"), (None, "Shared")],
    )
    assert updated.label == "Your tenure"
    assert [(ch.label, ch.retired) for ch in updated.choices] == [
        ("Owner-occupier", False),
        ("Social rent", False),
        ("Shared", False),
    ]
    assert updated.choices[0].id == c["Owner"]  # renamed in place: answers follow it


async def test_a_choice_somebody_picked_is_retired_not_deleted(store, place):
    _p, workshop, tenure, _a = place
    c = ids(tenure)
    _participant, respondent = await join_and_answer(store, workshop, {tenure.id: c["Owner"]})
    updated = await store.profiles.update_profile_question(
        tenure.id, "Tenure", [(c["Social rent"], "Social rent")]
    )
    assert [(ch.label, ch.retired) for ch in updated.choices] == [
        ("Social rent", False),
        ("Owner", True),
    ]
    assert [ch.label for ch in updated.offered] == ["Social rent"]
    assert await store.profiles.profile_answers(respondent.id) == {tenure.id: c["Owner"]}
    # Adding the label again brings the same choice back rather than a twin.
    again = await store.profiles.update_profile_question(
        tenure.id, "Tenure", [(c["Social rent"], "Social rent"), (None, "owner")]
    )
    assert [(ch.id, ch.label, ch.retired) for ch in again.choices] == [
        (c["Social rent"], "Social rent", False),
        (c["Owner"], "owner", False),
    ]


async def test_choices_are_refused_when_listed_twice_or_as_prefer_not_to_say(store, place):
    programme, _w, tenure, _a = place
    with pytest.raises(Conflict):
        await store.profiles.add_profile_question(programme.id, "Block", ["North", "north"])
    with pytest.raises(Conflict):
        await store.profiles.update_profile_question(
            tenure.id, "Tenure", [(None, "Prefer not to say")]
        )


async def test_a_choice_of_another_question_cannot_be_slipped_in(store, place):
    _p, _w, tenure, age = place
    with pytest.raises(Conflict):
        await store.profiles.update_profile_question(
            tenure.id, "Tenure", [(age.choices[0].id, "Young")]
        )


async def test_an_unanswered_question_is_deleted_an_answered_one_retired(store, place):
    programme, workshop, tenure, age = place
    await join_and_answer(store, workshop, {tenure.id: None})  # "prefer not to say" is an answer
    assert await store.profiles.remove_profile_question(age.id) == "deleted"
    assert await store.profiles.remove_profile_question(tenure.id) == "retired"
    assert await store.profiles.profile_questions(programme.id) == []
    [kept] = await store.profiles.profile_questions(programme.id, include_retired=True)
    assert kept.retired and kept.label == "Tenure"
    with pytest.raises(NotFound):
        await store.profiles.profile_question(age.id)
    await store.profiles.restore_profile_question(tenure.id)
    assert [q.label for q in await store.profiles.profile_questions(programme.id)] == ["Tenure"]


async def test_a_retired_question_cannot_come_back_over_a_new_one_with_its_label(store, place):
    programme, workshop, tenure, _a = place
    await join_and_answer(store, workshop, {tenure.id: None})
    await store.profiles.remove_profile_question(tenure.id)
    await store.profiles.add_profile_question(programme.id, "Tenure", ["Owner"])
    with pytest.raises(Conflict):
        await store.profiles.restore_profile_question(tenure.id)


# -- respondents and answers ----------------------------------------------------------------------


async def test_a_device_keeps_one_respondent_across_a_programme(store, place):
    programme, workshop, tenure, _a = place
    user = await store.users.create_user("second", "x")
    later = await store.workshops.create_workshop("Bins", dt.date(2025, 4, 5), "Hall", user.id)
    await store.plans.set_workshop_programme(later.id, programme.id)
    first, respondent = await join_and_answer(store, workshop, {tenure.id: None})
    again = await store.workshops.join(later.id, "")
    assert await store.profiles.link_respondent(again.id, respondent.token) == respondent
    assert await store.profiles.participant_respondent(again.id) == respondent
    # Linking twice changes nothing, whatever token comes with it.
    assert await store.profiles.link_respondent(first.id, None) == respondent
    assert await store.profiles.respondent_by_token(programme.id, respondent.token) == respondent


async def test_a_token_from_another_programme_or_none_makes_a_new_respondent(store, place):
    _p, workshop, _t, _a = place
    other, elsewhere = await programme_with_workshop(store, "Elsewhere")
    stranger = await store.profiles.link_respondent(
        (await store.workshops.join(elsewhere.id, "")).id, None
    )
    mine = await store.profiles.link_respondent(
        (await store.workshops.join(workshop.id, "")).id, stranger.token
    )
    assert mine.id != stranger.id and mine.token != stranger.token
    assert stranger.programme_id == other.id
    fresh = await store.profiles.link_respondent(
        (await store.workshops.join(workshop.id, "")).id, None
    )
    assert fresh.id not in (mine.id, stranger.id)


async def test_a_workshop_in_no_programme_has_no_respondents(store):
    user = await store.users.create_user("f", "x")
    workshop = await store.workshops.create_workshop("Alone", None, "", user.id)
    participant = await store.workshops.join(workshop.id, "")
    assert await store.profiles.link_respondent(participant.id, None) is None
    assert await store.profiles.participant_respondent(participant.id) is None
    with pytest.raises(NotFound):
        await store.profiles.link_respondent(9999, None)


async def test_answers_can_be_changed_and_skipped(store, place):
    _p, workshop, tenure, age = place
    c, a = ids(tenure), ids(age)
    _participant, respondent = await join_and_answer(
        store, workshop, {tenure.id: c["Owner"], age.id: a["Under 30"]}
    )
    await store.profiles.save_profile_answers(respondent.id, {tenure.id: None})
    assert await store.profiles.profile_answers(respondent.id) == {tenure.id: None}
    await store.profiles.save_profile_answers(respondent.id, {})
    assert await store.profiles.profile_answers(respondent.id) == {}


async def test_an_unchanged_answer_keeps_when_it_was_given(store, place, path):
    _p, workshop, tenure, _a = place
    owner = ids(tenure)["Owner"]
    _participant, respondent = await join_and_answer(store, workshop, {tenure.id: owner})
    with raw(path) as db:
        first = db.execute("SELECT answered_at FROM profile_answers").fetchone()
    await store.profiles.save_profile_answers(respondent.id, {tenure.id: owner})
    with raw(path) as db:
        assert db.execute("SELECT answered_at FROM profile_answers").fetchone() == first


@pytest.mark.parametrize("case", ["other question's choice", "unknown question", "retired"])
async def test_a_bad_answer_changes_nothing(store, place, path, case):
    _p, workshop, tenure, age = place
    _participant, respondent = await join_and_answer(store, workshop, {})
    other, _ = await programme_with_workshop(store, "Elsewhere")
    foreign = await store.profiles.add_profile_question(other.id, "Foreign", ["X"])
    if case == "retired":
        await join_and_answer(store, workshop, {tenure.id: ids(tenure)["Owner"]})
        await store.profiles.update_profile_question(tenure.id, "Tenure", [])
    answers = {
        "other question's choice": {tenure.id: age.choices[0].id},
        "unknown question": {foreign.id: foreign.choices[0].id},
        "retired": {tenure.id: ids(tenure)["Owner"]},
    }[case]
    before = dump(path)
    with pytest.raises((Conflict, NotFound)):
        await store.profiles.save_profile_answers(respondent.id, {age.id: None, **answers})
    assert dump(path) == before


async def test_a_retired_choice_already_given_may_be_kept(store, place):
    _p, workshop, tenure, _a = place
    owner = ids(tenure)["Owner"]
    _participant, respondent = await join_and_answer(store, workshop, {tenure.id: owner})
    await store.profiles.update_profile_question(tenure.id, "Tenure", [])
    await store.profiles.save_profile_answers(respondent.id, {tenure.id: owner})
    assert await store.profiles.profile_answers(respondent.id) == {tenure.id: owner}


async def test_the_schema_refuses_an_answer_with_another_questions_choice(store, place, path):
    _p, workshop, tenure, age = place
    _participant, respondent = await join_and_answer(store, workshop, {})
    with raw(path) as db, pytest.raises(raw_integrity_errors()):
        db.execute(
            "INSERT INTO profile_answers VALUES (?, ?, ?, 0)",
            (respondent.id, tenure.id, age.choices[0].id),
        )


# -- the room against the place -------------------------------------------------------------------


async def test_the_room_profile_counts_this_workshops_participants_only(store, place):
    programme, workshop, tenure, age = place
    c = ids(tenure)
    for answers in [
        {tenure.id: c["Social rent"], age.id: age.choices[0].id},
        {tenure.id: c["Social rent"]},
        {tenure.id: None},
        {},
    ]:
        await join_and_answer(store, workshop, answers)
    await store.workshops.join(workshop.id, "")  # joined, never linked to a respondent
    user = await store.users.create_user("other", "x")
    elsewhere = await store.workshops.create_workshop("Bins", None, "", user.id)
    await store.plans.set_workshop_programme(elsewhere.id, programme.id)
    await join_and_answer(store, elsewhere, {tenure.id: c["Owner"]})
    profile = await store.profiles.room_profile(workshop.id)
    assert profile == RoomProfile(
        5, {tenure.id: {c["Social rent"]: 2, None: 1}, age.id: {age.choices[0].id: 1}}
    )


async def test_the_room_profile_counts_paper_sheets_apart(store, place):
    _p, workshop, tenure, _a = place
    await join_and_answer(store, workshop, {tenure.id: tenure.choices[0].id})
    await store.workshops.paper_participant(workshop.id, "P1")
    await store.workshops.paper_participant(workshop.id, "P2")
    profile = await store.profiles.room_profile(workshop.id)
    assert profile == RoomProfile(3, {tenure.id: {tenure.choices[0].id: 1}}, paper=2)


async def test_the_make_up_is_stored_per_question_and_compared(store, place):
    programme, workshop, tenure, age = place
    c = ids(tenure)
    await store.profiles.set_place_makeup(
        programme.id, {tenure.id: {c["Social rent"]: 600, c["Private rent"]: 400}}
    )
    await store.profiles.set_place_makeup(programme.id, {age.id: {age.choices[0].id: 30.0}})
    makeup = await store.profiles.place_makeup(programme.id)
    assert makeup == {
        tenure.id: {c["Social rent"]: 600.0, c["Private rent"]: 400.0},
        age.id: {age.choices[0].id: 30.0},
    }
    for choice in ["Private rent"] * 3 + ["Owner"]:
        await join_and_answer(store, workshop, {tenure.id: c[choice]})
    [first, *_] = room_against_place(
        await store.profiles.profile_questions(programme.id),
        await store.profiles.room_profile(workshop.id),
        makeup,
    )
    assert first.question.id == tenure.id
    assert [(r.choice.label, r.gap) for r in first.rows] == [
        ("Social rent", pytest.approx(-60.0)),
        ("Private rent", pytest.approx(35.0)),
        ("Owner", pytest.approx(25.0)),
    ]
    await store.profiles.set_place_makeup(programme.id, {tenure.id: {}})
    assert tenure.id not in await store.profiles.place_makeup(programme.id)


async def test_a_bad_make_up_changes_nothing(store, place, path):
    programme, _w, tenure, age = place
    before = dump(path)
    with pytest.raises(Conflict):
        await store.profiles.set_place_makeup(
            programme.id,
            {tenure.id: {tenure.choices[0].id: 5}, age.id: {tenure.choices[1].id: 5}},
        )
    with pytest.raises(Conflict):
        await store.profiles.set_place_makeup(programme.id, {tenure.id: {tenure.choices[0].id: -1}})
    assert dump(path) == before


async def test_a_choice_only_the_make_up_uses_is_deleted_with_its_figure(store, place):
    programme, _w, tenure, _a = place
    c = ids(tenure)
    await store.profiles.set_place_makeup(
        programme.id, {tenure.id: {c["Owner"]: 5, c["Social rent"]: 5}}
    )
    await store.profiles.update_profile_question(
        tenure.id, "Tenure", [(c["Social rent"], "Social rent")]
    )
    assert await store.profiles.place_makeup(programme.id) == {tenure.id: {c["Social rent"]: 5.0}}


# -- results by group -----------------------------------------------------------------------------


async def test_round_results_split_by_a_question(store, place):
    _p, workshop, tenure, _a = place
    c = ids(tenure)
    options = [
        await store.options.add_option(workshop.id, title, "") for title in ("Benches", "Lights")
    ]
    rnd = await store.rounds.save_round(
        Round(
            0,
            workshop.id,
            "Which first?",
            "dots",
            tuple(o.id for o in options),
            RoundStatus.DRAFT,
        )
    )
    await store.rounds.open_round(rnd.id, 1.0)
    # Six social renters back benches; three owners and two who would not say back lights, and
    # fall together into "other" (each group alone is too small to show).
    voters = [(c["Social rent"], options[0].id)] * 6 + [(c["Owner"], options[1].id)] * 3
    voters += [(None, options[1].id)] * 2
    for choice_id, option_id in voters:
        participant, _r = await join_and_answer(store, workshop, {tenure.id: choice_id})
        ballot = Ballot(rnd.id, participant.id, dots_kind.entry({option_id: 1}))
        await store.ballots.cast_ballot(ballot, f"c{participant.id}", 2.0)
    await store.workshops.join(workshop.id, "")  # present, did not vote
    await store.rounds.close_round(rnd.id, 3.0, no_snapshot)
    groups_of = await store.profiles.round_groups(rnd.id, tenure.id)
    assert sorted(groups_of.values(), key=str) == sorted(
        ["Social rent"] * 6 + ["Owner"] * 3 + [None] * 3, key=str
    )
    by_participant = {b.participant_id: b for b in await store.ballots.ballots(rnd.id)}
    order = [ch.label for ch in tenure.choices]
    current = await store.rounds.round(rnd.id)
    counted = tally_groups(
        split(by_participant, groups_of, order=order), lambda bs: tally(current, bs)
    )
    assert [(g.label, g.size, r.ballots) for g, r in counted] == [
        ("Social rent", 6, 6),
        ("Other", 5, 5),
    ]
    assert counted[1][1].rows[0].option_id == options[1].id  # "other" backed the lights


def no_snapshot(_rnd: Round, _ballots: list[Ballot]) -> str:
    return "{}"


async def closed_round(store, workshop, voters):
    """A dot round in which one participant per item of ``voters`` (their answers) votes, then
    closed; returns the round and each voter's (participant, respondent)."""
    options = [await store.options.add_option(workshop.id, t, "") for t in ("Benches", "Lights")]
    rnd = await store.rounds.save_round(
        Round(0, workshop.id, "R", "dots", tuple(o.id for o in options), RoundStatus.DRAFT)
    )
    await store.rounds.open_round(rnd.id, 1.0)
    people = []
    for answers in voters:
        participant, respondent = await join_and_answer(store, workshop, answers)
        ballot = Ballot(rnd.id, participant.id, dots_kind.entry({options[0].id: 1}))
        await store.ballots.cast_ballot(ballot, f"c{participant.id}", 2.0)
        people.append((participant, respondent))
    await store.rounds.close_round(rnd.id, 3.0, no_snapshot)
    return rnd, people


async def test_a_closed_rounds_groups_are_the_answers_given_when_it_closed(store, place):
    _p, workshop, tenure, _a = place
    c = ids(tenure)
    voters = [{tenure.id: c["Social rent"]}, {tenure.id: c["Owner"]}, {tenure.id: None}, {}]
    rnd, people = await closed_round(store, workshop, voters)
    (first, first_r), (second, second_r), (third, _), (fourth, fourth_r) = people
    frozen = {first.id: "Social rent", second.id: "Owner", third.id: None, fourth.id: None}
    assert await store.profiles.round_groups(rnd.id, tenure.id) == frozen
    # Answers changed, removed or given for the first time after closing move nobody.
    await store.profiles.save_profile_answers(first_r.id, {tenure.id: c["Owner"]})
    await store.profiles.save_profile_answers(second_r.id, {})
    await store.profiles.save_profile_answers(fourth_r.id, {tenure.id: c["Private rent"]})
    assert await store.profiles.round_groups(rnd.id, tenure.id) == frozen
    # Reopened and closed again, the round takes the answers as they are at its new close.
    await store.rounds.open_round(rnd.id, 4.0)
    await store.rounds.close_round(rnd.id, 5.0, no_snapshot)
    assert await store.profiles.round_groups(rnd.id, tenure.id) == {
        first.id: "Owner",
        second.id: None,
        third.id: None,
        fourth.id: "Private rent",
    }


async def test_round_groups_refuse_a_round_that_has_not_closed(store, place):
    _p, workshop, tenure, _a = place
    rnd, _people = await closed_round(store, workshop, [{tenure.id: tenure.choices[0].id}])
    await store.rounds.open_round(rnd.id, 4.0)
    with pytest.raises(Conflict):
        await store.profiles.round_groups(rnd.id, tenure.id)


async def test_an_answer_only_a_closed_round_remembers_keeps_its_choice_and_question(store, place):
    _p, workshop, tenure, age = place
    c = ids(tenure)
    voters = [{tenure.id: c["Owner"], age.id: age.choices[0].id}]
    rnd, [(voter, respondent)] = await closed_round(store, workshop, voters)
    await store.profiles.save_profile_answers(respondent.id, {tenure.id: c["Social rent"]})
    # Nobody answers "Owner" or the age band now, but the closed round still names both.
    kept = [(c["Social rent"], "Social rent"), (c["Private rent"], "Private rent")]
    updated = await store.profiles.update_profile_question(tenure.id, "Tenure", kept)
    assert [(ch.label, ch.retired) for ch in updated.choices][-1] == ("Owner", True)
    assert await store.profiles.remove_profile_question(age.id) == "retired"
    assert await store.profiles.round_groups(rnd.id, tenure.id) == {voter.id: "Owner"}
    assert await store.profiles.round_groups(rnd.id, age.id) == {voter.id: "Under 30"}


@pytest.mark.sqlite_only  # an upgrade of a file from before 0009
async def test_upgrading_freezes_the_rounds_closed_before_answers_were_frozen(path):
    """A database from before 0009: its closed rounds are frozen as their voters answer at the
    upgrade, its open round is not, and from then on the closed rounds' groups hold still."""
    store = await Store(path).open()
    programme, workshop = await programme_with_workshop(store)
    tenure = await store.profiles.add_profile_question(
        programme.id, "Tenure", ["Social rent", "Owner"]
    )
    c = ids(tenure)
    rnd, people = await closed_round(
        store, workshop, [{tenure.id: c["Owner"]}, {tenure.id: None}, {}]
    )
    later, _ = await closed_round(store, workshop, [{tenure.id: c["Owner"]}])
    await store.rounds.open_round(later.id, 9.0)
    await store.close()
    with raw(path) as db:
        db.execute("DROP TABLE round_answers")
        db.execute("DELETE FROM migrations WHERE name = '0009_round_answers'")
        db.commit()
    store = await Store(path).open()
    try:
        assert "0009_round_answers" in await store.applied_migrations()
        (owner, owner_r), (declined, _), (skipped, _) = people
        frozen = {owner.id: "Owner", declined.id: None, skipped.id: None}
        groups_of = await store.profiles.round_groups(rnd.id, tenure.id)
        assert {p: groups_of[p] for p in frozen} == frozen
        await store.profiles.save_profile_answers(owner_r.id, {tenure.id: c["Social rent"]})
        assert await store.profiles.round_groups(rnd.id, tenure.id) == groups_of
        assert await store.integrity_check() == "ok"
    finally:
        await store.close()
    with raw(path) as db:
        rounds = {r[0] for r in db.execute("SELECT round_id FROM round_answers")}
        assert rounds == {rnd.id}
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


async def test_round_groups_refuse_a_question_of_another_programme(store, place):
    _p, workshop, _t, _a = place
    other, _ = await programme_with_workshop(store, "Elsewhere")
    foreign = await store.profiles.add_profile_question(other.id, "Foreign", ["X"])
    rnd = await store.rounds.save_round(Round(0, workshop.id, "R", "dots", (), RoundStatus.DRAFT))
    with pytest.raises(NotFound):
        await store.profiles.round_groups(rnd.id, foreign.id)
    with pytest.raises(NotFound):
        await store.profiles.round_groups(9999, foreign.id)


# -- pools and panels -----------------------------------------------------------------------------


def volunteer(name: str, answers=None, household: str = "") -> Volunteer:
    return Volunteer(0, 0, name, f"{name.lower()}@example.org", "", household, answers or {})


async def test_a_pool_is_stored_with_its_volunteers_and_their_answers(store, place):
    programme, _w, tenure, age = place
    c = ids(tenure)
    pool = await store.pools.add_pool(
        programme.id,
        "Spring letter",
        [
            volunteer("Ada", {tenure.id: c["Owner"], age.id: None}, "1 Mill Lane"),
            volunteer("Grace", household="1 Mill Lane"),
        ],
    )
    assert (pool.title, pool.volunteers) == ("Spring letter", 2)
    assert await store.pools.pool(pool.id) == pool
    assert await store.pools.pools(programme.id) == [pool]
    ada, grace = await store.pools.volunteers(pool.id)
    assert (ada.pool_id, ada.name, ada.email, ada.household) == (
        pool.id,
        "Ada",
        "ada@example.org",
        "1 Mill Lane",
    )
    assert ada.answers == {tenure.id: c["Owner"], age.id: None}
    assert grace.answers == {}


async def test_a_pool_with_an_answer_that_no_longer_fits_is_not_stored_at_all(store, place, path):
    programme, _w, tenure, age = place
    before = dump(path)
    with pytest.raises(Conflict):
        await store.pools.add_pool(
            programme.id,
            "Bad",
            [volunteer("Ada"), volunteer("Bob", {tenure.id: age.choices[0].id})],
        )
    assert dump(path) == before


async def test_a_choice_a_volunteer_holds_is_retired_not_deleted(store, place):
    programme, _w, tenure, _a = place
    c = ids(tenure)
    await store.pools.add_pool(programme.id, "Pool", [volunteer("Ada", {tenure.id: c["Owner"]})])
    updated = await store.profiles.update_profile_question(tenure.id, "Tenure", [])
    assert all(ch.retired for ch in updated.choices if ch.id == c["Owner"])
    assert [ch.id for ch in updated.choices] == [c["Owner"]]
    assert await store.profiles.remove_profile_question(tenure.id) == "retired"


async def test_a_panel_is_saved_and_read_back(store, place):
    programme, _w, tenure, _a = place
    pool = await store.pools.add_pool(programme.id, "Pool", [volunteer("Ada"), volunteer("Bob")])
    v1, v2 = await store.pools.volunteers(pool.id)
    quotas = {str(tenure.id): {"min": 1, "max": 2}}
    panel = await store.pools.save_panel(pool.id, 1, "seed-123", quotas, True, {"chosen": [v2.id]})
    assert (panel.size, panel.seed, panel.household_rule) == (1, "seed-123", True)
    assert panel.quotas == quotas and panel.result == {"chosen": [v2.id]}
    assert await store.pools.panel(panel.id) == panel
    later = await store.pools.save_panel(pool.id, 1, "seed-456", {}, False, {"chosen": [v1.id]})
    assert [p.id for p in await store.pools.panels(pool.id)] == [later.id, panel.id]
    with pytest.raises(NotFound):
        await store.pools.save_panel(9999, 1, "s", {}, False, {})
    with pytest.raises(NotFound):
        await store.pools.panel(9999)


async def test_deleting_a_pool_removes_every_contact_detail_and_panel(store, place, path):
    programme, _w, _t, _a = place
    pool = await store.pools.add_pool(programme.id, "Pool", [volunteer("Ada")])
    await store.pools.save_panel(pool.id, 1, "s", {}, False, {})
    await store.pools.delete_pool(pool.id)
    assert await store.pools.pools(programme.id) == []
    assert not any("ada@example.org" in line for line in dump(path))
    with pytest.raises(NotFound):
        await store.pools.pool(pool.id)
    with pytest.raises(NotFound):
        await store.pools.delete_pool(pool.id)
