"""The pure rules for profile questions and for setting the room against its place."""

from __future__ import annotations

import pytest

from facilitation.people.rules import (
    CHOICES_MAX,
    PREFER_NOT_TO_SAY,
    Choice,
    ProfileError,
    ProfileQuestion,
    RoomProfile,
    answer_labels,
    check_question,
    label_key,
    place_shares,
    room_against_place,
)


def question(qid: int, label: str, *labels: str, position: int = 1, retired=()) -> ProfileQuestion:
    """A question whose choice ids are qid * 10 + 1, + 2 ... in the order given."""
    choices = tuple(
        Choice(qid * 10 + i, qid, text, i, text in retired) for i, text in enumerate(labels, 1)
    )
    return ProfileQuestion(qid, 1, label, position, choices)


TENURE = question(1, "Tenure", "Social rent", "Private rent", "Owner")
AGE = question(2, "Age", "Under 30", "30 to 64", "65 and over", position=2)


# -- checking a question --------------------------------------------------------------------------


def test_a_question_is_tidied():
    assert check_question("  Your   tenure ", [" Owner ", "", "Private  rent"]) == (
        "Your tenure",
        ("Owner", "Private rent"),
    )


@pytest.mark.parametrize(
    ("label", "choices", "message"),
    [
        ("", ["Owner"], "Please give the question a label."),
        ("x" * 121, ["Owner"], "The question is too long: {n} characters at most."),
        ("Tenure", [" ", ""], "Please give at least one answer to choose from."),
        ("Tenure", ["a"] * (CHOICES_MAX + 1), "A question can offer at most {n} answers."),
        ("Tenure", ["x" * 81], "The answer “{label}” is too long: {n} characters at most."),
        ("Tenure", ["Owner", "owner "], "The answer “{label}” is listed twice."),
        (
            "Tenure",
            ["prefer NOT to say"],
            "“{label}” is always offered; there is no need to add it.",
        ),
    ],
)
def test_a_bad_question_is_refused_with_a_translatable_message(label, choices, message):
    with pytest.raises(ProfileError) as caught:
        check_question(label, choices)
    assert caught.value.message == message
    assert str(caught.value) == message.format(**caught.value.params)


def test_labels_match_whatever_their_case_and_spacing():
    assert label_key("  Private   RENT ") == label_key("private rent")
    assert label_key(PREFER_NOT_TO_SAY) == "prefer not to say"


def test_offered_choices_leave_out_retired_ones():
    q = question(3, "Block", "North", "South", retired=("North",))
    assert [c.label for c in q.offered] == ["South"]
    assert q.choice(31).label == "North" and q.choice(99) is None


# -- place shares ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amounts", "shares"),
    [
        ({1: 50.0, 2: 30.0, 3: 20.0}, {1: 50.0, 2: 30.0, 3: 20.0}),  # percentages
        ({1: 600, 2: 300, 3: 100}, {1: 60.0, 2: 30.0, 3: 10.0}),  # head counts
        ({1: 1, 2: 1, 3: 2}, {1: 25.0, 2: 25.0, 3: 50.0}),
        ({1: 0, 2: 0}, {}),
        ({}, {}),
    ],
)
def test_percentages_and_counts_normalise_to_the_same_shares(amounts, shares):
    assert place_shares(amounts) == pytest.approx(shares)


# -- room against place ---------------------------------------------------------------------------


def test_gaps_are_worked_out_against_those_who_picked_a_choice():
    # 10 in the room: 6 social renters, 2 owners, 1 would rather not say, 1 skipped the question.
    room = RoomProfile(10, {1: {11: 6, 13: 2, None: 1}})
    [tenure] = room_against_place([TENURE], room, {1: {11: 1000, 12: 800, 13: 200}})
    rows = {r.choice.label: r for r in tenure.rows}
    assert (tenure.answered, tenure.declined, tenure.unanswered) == (8, 1, 1)
    assert rows["Social rent"].room_count == 6
    assert rows["Social rent"].room_share == pytest.approx(75.0)
    assert rows["Social rent"].place_share == pytest.approx(50.0)
    assert rows["Social rent"].gap == pytest.approx(25.0)
    assert rows["Private rent"].gap == pytest.approx(-40.0)
    assert rows["Owner"].gap == pytest.approx(15.0)
    # The widest gap first, whichever its direction.
    assert [r.choice.label for r in tenure.rows] == ["Private rent", "Social rent", "Owner"]
    assert tenure.widest == pytest.approx(40.0)


def test_questions_with_the_widest_gap_come_first():
    room = RoomProfile(4, {1: {11: 2, 12: 2}, 2: {21: 4}})
    place = {1: {11: 50, 12: 50}, 2: {21: 20, 22: 40, 23: 40}}
    ordered = room_against_place([TENURE, AGE], room, place)
    assert [q.question.label for q in ordered] == ["Age", "Tenure"]
    assert ordered[0].widest == pytest.approx(80.0)


def test_a_choice_the_make_up_leaves_out_counts_as_none_of_the_place():
    room = RoomProfile(2, {1: {11: 1, 13: 1}})
    [tenure] = room_against_place([TENURE], room, {1: {11: 100}})
    owner = next(r for r in tenure.rows if r.choice.label == "Owner")
    assert owner.place_share == 0.0 and owner.gap == pytest.approx(50.0)


def test_without_figures_for_the_place_there_is_no_gap():
    room = RoomProfile(3, {1: {11: 3}})
    [tenure] = room_against_place([TENURE], room, {})
    assert all(r.place_share is None and r.gap is None for r in tenure.rows)
    assert tenure.widest is None
    assert [r.choice.label for r in tenure.rows] == ["Social rent", "Private rent", "Owner"]


def test_an_empty_room_has_no_room_shares():
    [tenure] = room_against_place([TENURE], RoomProfile(0), {1: {11: 1, 12: 1}})
    assert all(r.room_share is None and r.gap is None for r in tenure.rows)
    assert (tenure.answered, tenure.declined, tenure.unanswered) == (0, 0, 0)


def test_only_declined_answers_give_no_room_share_but_are_counted():
    room = RoomProfile(3, {1: {None: 3}})
    [tenure] = room_against_place([TENURE], room, {1: {11: 1}})
    assert tenure.declined == 3 and tenure.answered == 0 and tenure.unanswered == 0
    assert all(r.room_share is None for r in tenure.rows)


def test_paper_sheets_are_counted_apart_and_never_as_not_answered():
    # 10 present: 3 sheets copied from paper, 5 picked a choice, 1 would rather not say, 1 skipped.
    room = RoomProfile(10, {1: {11: 4, 13: 1, None: 1}}, paper=3)
    [tenure] = room_against_place([TENURE], room, {})
    assert (tenure.answered, tenure.declined, tenure.unanswered, tenure.paper) == (5, 1, 1, 3)
    assert tenure.rows[0].room_share == pytest.approx(80.0)


def test_a_retired_choice_appears_only_while_someone_in_the_room_picked_it():
    q = question(1, "Tenure", "Social rent", "Leaseholder", retired=("Leaseholder",))
    [nobody] = room_against_place([q], RoomProfile(1, {1: {11: 1}}), {})
    assert [r.choice.label for r in nobody.rows] == ["Social rent"]
    [someone] = room_against_place([q], RoomProfile(2, {1: {11: 1, 12: 1}}), {})
    assert [r.choice.label for r in someone.rows] == ["Social rent", "Leaseholder"]


def test_answers_are_named_by_label_for_the_panel_lottery():
    answers = {1: 13, 2: None, 3: 31, 99: 1}
    assert answer_labels(answers, [TENURE, AGE]) == {"Tenure": "Owner", "Age": PREFER_NOT_TO_SAY}
    assert answer_labels({1: 999}, [TENURE]) == {}
