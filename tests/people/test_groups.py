"""Splitting results by a profile question: no shown group is small, none can be inferred."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facilitation.people.groups import NOT_SAID, OTHER, GroupKind, split, tally_groups


def room(**sizes: int) -> tuple[dict[int, str], dict[int, str | None]]:
    """Ballots and groups for groups of the given sizes (the keyword "none" means not said)."""
    ballots, groups = {}, {}
    pid = 0
    for label, n in sizes.items():
        for _ in range(n):
            pid += 1
            ballots[pid] = f"ballot {pid}"
            groups[pid] = None if label == "none" else label
    return ballots, groups


def shape(groups) -> list[tuple[str, int, bool]]:
    return [(g.label, g.size, g.withheld) for g in groups]


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        # Every group big enough: each shown, in the order given.
        (
            {"young": 5, "middle": 6, "old": 7},
            [("young", 5, False), ("middle", 6, False), ("old", 7, False)],
        ),
        # Small groups together make "other", big enough to show.
        ({"young": 6, "middle": 3, "old": 2}, [("young", 6, False), ("Other", 5, False)]),
        # "Other" too small: it takes the smallest shown group, so nothing is left to subtract.
        ({"young": 6, "middle": 7, "old": 2}, [("middle", 7, False), ("Other", 8, False)]),
        # Sizes tie: the later group in the order goes into "other".
        ({"young": 6, "middle": 6, "old": 1}, [("young", 6, False), ("Other", 7, False)]),
        # Fewer than five voters in all: nothing can be shown split.
        ({"young": 2, "old": 2}, [("Other", 4, True)]),
        # Not said is a group like any other.
        ({"young": 5, "none": 5}, [("young", 5, False), (NOT_SAID, 5, False)]),
        ({"young": 5, "none": 3, "old": 2}, [("young", 5, False), ("Other", 5, False)]),
        ({}, []),
    ],
)
def test_the_rule_on_hand_worked_rooms(sizes, expected):
    ballots, groups = room(**sizes)
    assert shape(split(ballots, groups, order=["young", "middle", "old"])) == expected


def test_other_and_not_said_are_marked_for_translation_answers_are_not():
    ballots, groups = room(young=5, none=5, old=3)
    kinds = [(g.kind, g.label) for g in split(ballots, groups, order=["young", "old"])]
    assert kinds[0] == (GroupKind.ANSWER, "young")
    assert {k for k, _label in kinds[1:]} <= {GroupKind.NOT_SAID, GroupKind.OTHER}
    assert OTHER == "Other"


def test_answers_outside_the_order_follow_it_alphabetically():
    ballots, groups = room(zebra=5, apple=5, middle=5)
    assert [g.label for g in split(ballots, groups, order=["middle"])] == [
        "middle",
        "apple",
        "zebra",
    ]


def test_a_voter_missing_from_the_groups_counts_as_not_said():
    ballots = {i: i for i in range(1, 6)}
    [group] = split(ballots, {})
    assert (group.kind, group.size, group.withheld) == (GroupKind.NOT_SAID, 5, False)


def test_a_participant_who_did_not_vote_is_in_no_group():
    ballots, groups = room(young=5)
    groups[99] = "young"
    [group] = split(ballots, groups)
    assert 99 not in group.participant_ids and group.size == 5


def test_groups_carry_their_ballots_in_participant_order():
    ballots, groups = room(young=5)
    [group] = split(ballots, groups)
    assert group.ballots == tuple(f"ballot {p}" for p in group.participant_ids)
    assert list(group.participant_ids) == sorted(group.participant_ids)


def test_a_minimum_below_one_is_a_mistake():
    with pytest.raises(ValueError):
        split({1: "b"}, {1: "a"}, min_size=0)


def test_tallies_leave_withheld_groups_uncounted():
    ballots, groups = room(young=6, old=7)
    counted = tally_groups(split(ballots, groups), len)
    assert [(g.label, n) for g, n in counted] == [("old", 7), ("young", 6)]
    ballots, groups = room(young=2)
    [(group, result)] = tally_groups(split(ballots, groups), len)
    assert group.withheld and result is None


# -- properties -----------------------------------------------------------------------------------

labels = st.sampled_from(["a", "b", "c", "d", "e", "f", None])
rooms = st.dictionaries(st.integers(1, 400), labels, max_size=80)


@given(rooms, st.integers(1, 8))
def test_no_shown_group_is_smaller_than_the_minimum(groups, min_size):
    for group in split({p: p for p in groups}, groups, min_size=min_size):
        assert group.withheld or group.size >= min_size


@given(rooms, st.integers(1, 8))
def test_shown_and_withheld_groups_partition_the_voters(groups, min_size):
    out = split({p: p for p in groups}, groups, min_size=min_size)
    ids = [p for g in out for p in g.participant_ids]
    assert sorted(ids) == sorted(groups)
    assert len(ids) == len(set(ids))


@given(rooms, st.integers(1, 8))
def test_subtracting_shown_groups_from_the_total_never_isolates_a_small_group(groups, min_size):
    out = split({p: p for p in groups}, groups, min_size=min_size)
    shown = {p for g in out if not g.withheld for p in g.participant_ids}
    hidden = set(groups) - shown
    # Either nothing is hidden, or nothing is shown split (only the round's total is known), or
    # what is hidden is itself at least the minimum.
    assert not hidden or not shown or len(hidden) >= min_size


@given(rooms, st.integers(1, 8))
def test_an_answer_group_holds_exactly_the_voters_who_gave_that_answer(groups, min_size):
    for group in split({p: p for p in groups}, groups, min_size=min_size):
        if group.kind is GroupKind.ANSWER:
            assert set(group.participant_ids) == {p for p, g in groups.items() if g == group.label}
