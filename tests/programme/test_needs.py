"""The standing needs list's rule (facilitation.programme.needs.rank_needs), as tables."""

from __future__ import annotations

from fractions import Fraction

import pytest

from facilitation.core.models import Action, ActionStatus, Need, NeedStatus, ResultRow
from facilitation.core.models import RoundResult as Result
from facilitation.programme.needs import by_need, rank_needs


def need(need_id: int, *option_ids: int, override: float | None = None) -> Need:
    return Need(
        id=need_id,
        programme_id=1,
        title=f"Need {need_id}",
        description="",
        status=NeedStatus.PROPOSED,
        override_score=override,
        override_reason="because" if override is not None else "",
        option_ids=option_ids,
    )


def result(places: dict[int, int], ballots: int) -> Result:
    """A round's result from {option id: place}; equal places are ties."""
    counts: dict[int, int] = {}
    for place in places.values():
        counts[place] = counts.get(place, 0) + 1
    rows = tuple(
        ResultRow(option_id, 0.0, place, counts[place] > 1)
        for option_id, place in sorted(places.items(), key=lambda kv: kv[1])
    )
    return Result("dots", rows, ballots)


def table(needs, results) -> list[tuple[int, float | None, int, int, int | None]]:
    ranked = rank_needs(needs, list(enumerate(results)))
    return [
        (r.need.id, None if r.score is None else round(r.score, 4), r.rounds, r.ballots, r.place)
        for r in ranked
    ]


@pytest.mark.parametrize(
    ("needs", "results", "expected"),
    [
        # One round of three options: 1, 0.5, 0.
        (
            [need(1, 11), need(2, 12), need(3, 13)],
            [result({11: 2, 12: 1, 13: 3}, ballots=10)],
            [(2, 1.0, 1, 10, 1), (1, 0.5, 1, 10, 2), (3, 0.0, 1, 10, 3)],
        ),
        # Weighting by ballots: need 1 scores 1.0 in a round of 30 and 0.0 in a round of 10
        # -> (30 x 1 + 10 x 0) / 40 = 0.75; need 2 the other way round -> 0.25.
        (
            [need(1, 11, 21), need(2, 12, 22)],
            [result({11: 1, 12: 2}, ballots=30), result({22: 1, 21: 2}, ballots=10)],
            [(1, 0.75, 2, 40, 1), (2, 0.25, 2, 40, 2)],
        ),
        # A round with no ballots at all weighs nothing beside one that had some.
        (
            [need(1, 11, 21), need(2, 12, 22)],
            [result({11: 1, 12: 2}, ballots=5), result({22: 1, 21: 2}, ballots=0)],
            [(1, 1.0, 2, 5, 1), (2, 0.0, 2, 5, 2)],
        ),
        # Only empty rounds: a plain average.
        (
            [need(1, 11, 21)],
            [result({11: 1, 12: 2}, ballots=0), result({22: 1, 21: 2}, ballots=0)],
            [(1, 0.5, 2, 0, 1)],
        ),
    ],
    ids=["one-round", "weighted-by-ballots", "empty-round-weighs-nothing", "all-empty"],
)
def test_scores_are_ballot_weighted_averages_of_linked_options(needs, results, expected):
    assert table(needs, results) == expected


def test_an_override_orders_the_need_but_keeps_the_computed_score():
    needs = [need(1, 11), need(2, 12, override=0.9)]
    ranked = rank_needs(needs, [(1, result({11: 1, 12: 2}, ballots=4))])
    # 0.9 lifts need 2 from 0.0, but the first place's 1.0 still comes first.
    assert [(r.need.id, r.score, r.computed, r.overridden, r.place) for r in ranked] == [
        (1, 1.0, 1.0, False, 1),
        (2, Fraction(9, 10), 0, True, 2),
    ]


def test_an_override_can_lift_a_need_above_the_rounds():
    needs = [need(1, 11), need(2, 12, override=1.0), need(3, 13)]
    ranked = rank_needs(needs, [(1, result({11: 1, 12: 2, 13: 3}, ballots=4))])
    assert [(r.need.id, r.place) for r in ranked] == [(1, 1), (2, 1), (3, 3)]


def test_an_override_gives_an_unvoted_need_a_place():
    ranked = rank_needs([need(1), need(2, override=0.4)], [])
    assert [(r.need.id, r.score, r.computed, r.place) for r in ranked] == [
        (2, Fraction(2, 5), None, 1),
        (1, None, None, None),
    ]


def test_unscored_needs_come_last_in_the_order_they_were_added():
    needs = [need(1), need(2, 11), need(3), need(4, 12)]
    ranked = rank_needs(needs, [(1, result({11: 2, 12: 1}, ballots=3))])
    assert [(r.need.id, r.place) for r in ranked] == [(4, 1), (2, 2), (1, None), (3, None)]


@pytest.mark.parametrize(
    ("places", "expected"),
    [
        ({11: 1, 12: 1, 13: 3}, [(1, 1), (2, 1), (3, 3)]),
        ({11: 1, 12: 2, 13: 2}, [(1, 1), (2, 2), (3, 2)]),
        ({11: 1, 12: 1, 13: 1}, [(1, 1), (2, 1), (3, 1)]),
    ],
    ids=["first-shared", "second-shared", "all-tied"],
)
def test_ties_share_a_place_and_keep_the_list_order(places, expected):
    needs = [need(1, 11), need(2, 12), need(3, 13)]
    ranked = rank_needs(needs, [(1, result(places, ballots=6))])
    assert [(r.need.id, r.place) for r in ranked] == expected


def test_among_equal_scores_more_rounds_come_first():
    needs = [need(1, 11), need(2, 12, 22)]
    results = [(1, result({11: 1, 12: 1}, ballots=2)), (2, result({22: 1, 23: 2}, ballots=2))]
    ranked = rank_needs(needs, results)
    assert [(r.need.id, r.rounds, r.place) for r in ranked] == [(2, 2, 1), (1, 1, 1)]


def test_options_outside_any_need_are_ignored():
    ranked = rank_needs([need(1, 11)], [(1, result({11: 2, 99: 1}, ballots=1))])
    assert [(r.need.id, r.score) for r in ranked] == [(1, 0.0)]


def test_actions_group_under_their_need_or_none():
    def action(action_id: int, need_id: int | None) -> Action:
        return Action(action_id, 1, need_id, "x", "staff", "", "", ActionStatus.PLANNED)

    needs = {1: need(1)}
    grouped = by_need([action(1, 1), action(2, None), action(3, 7)], needs)
    assert {k: [a.id for a in v] for k, v in grouped.items()} == {1: [1], None: [2, 3]}


@pytest.mark.parametrize(
    ("due", "status", "today", "overdue"),
    [
        ("2025-04-30", ActionStatus.PLANNED, "2025-05-01", True),
        ("2025-05-01", ActionStatus.PLANNED, "2025-05-01", False),
        ("2025-04-30", ActionStatus.DONE, "2025-05-01", False),
        ("2025-04-30", ActionStatus.STUCK, "2025-05-01", True),
        ("", ActionStatus.PLANNED, "2025-05-01", False),
    ],
)
def test_overdue_means_past_its_date_and_not_done(due, status, today, overdue):
    action = Action(1, 1, None, "x", "staff", "", due, status)
    assert action.overdue(today) is overdue


def test_a_computed_half_and_a_hand_set_half_share_a_place():
    """Two rounds of four options, 7 ballots each: need 1's option came second in one (2/3) and
    third in the other (1/3), so its score is exactly 1/2, which floats make 0.49999999999999994.
    Need 2 is set to 0.5 by hand. Scores compare exactly, so they share first place; the one fed
    by more round results is listed first, and needs as equal as that keep the order they were
    added in."""
    needs = [need(3, override=0.5), need(2, override=0.5), need(1, 11, 21)]
    results = [
        result({10: 1, 11: 2, 12: 3, 13: 4}, ballots=7),
        result({20: 1, 22: 2, 21: 3, 23: 4}, ballots=7),
    ]
    ranked = rank_needs(needs, list(enumerate(results)))
    assert [(r.need.id, r.place) for r in ranked] == [(1, 1), (3, 1), (2, 1)]
    assert ranked[0].computed == Fraction(1, 2)
