"""How closed rounds combine into the prioritised list: 1 for first, 0 for last, averaged."""

from __future__ import annotations

import pytest

from facilitation.core.models import ResultRow, RoundResult
from facilitation.workshop.summary import Priority, combine, round_scores


def result(*places: tuple[int, int]) -> RoundResult:
    """A round's result from (option id, place) pairs, best first; equal places are ties."""
    counts = [p for _, p in places]
    rows = tuple(
        ResultRow(option_id, float(len(places) - place), place, counts.count(place) > 1)
        for option_id, place in places
    )
    return RoundResult("dots", rows, ballots=10)


def in_order(*option_ids: int) -> RoundResult:
    """A result with no ties: the options in this order take places 1, 2, 3 ..."""
    return result(*((o, i) for i, o in enumerate(option_ids, start=1)))


@pytest.mark.parametrize(
    ("res", "expected"),
    [
        (in_order(1, 2, 3), {1: 1.0, 2: 0.5, 3: 0.0}),
        (in_order(5, 4, 3, 2, 1), {5: 1.0, 4: 0.75, 3: 0.5, 2: 0.25, 1: 0.0}),
        (in_order(7, 8), {7: 1.0, 8: 0.0}),
        (result((1, 1), (2, 1), (3, 3)), {1: 1.0, 2: 1.0, 3: 0.0}),
        (result((1, 1), (2, 2), (3, 2)), {1: 1.0, 2: 0.5, 3: 0.5}),
        (result((1, 1), (2, 2), (3, 2), (4, 4)), {1: 1.0, 2: 2 / 3, 3: 2 / 3, 4: 0.0}),
        (result((1, 1), (2, 1)), {1: 1.0, 2: 1.0}),
        (in_order(9), {9: 1.0}),
        (RoundResult("dots", (), 0), {}),
    ],
    ids=[
        "three",
        "five",
        "two",
        "tie for first",
        "tie below first",
        "tie in the middle",
        "everyone tied",
        "single option",
        "no options",
    ],
)
def test_round_scores(res, expected):
    assert round_scores(res) == pytest.approx(expected)


def summary(priorities: list[Priority]) -> list[tuple]:
    return [(p.option_id, round(p.score, 6), p.place, p.tied) for p in priorities]


def test_one_round_keeps_its_order():
    priorities = combine([(1, in_order(3, 1, 2))], [1, 2, 3])
    assert summary(priorities) == [(3, 1.0, 1, False), (1, 0.5, 2, False), (2, 0.0, 3, False)]
    assert [p.rounds for p in priorities] == [1, 1, 1]
    assert [p.places for p in priorities] == [((1, 1),), ((1, 2),), ((1, 3),)]


def test_scores_are_averaged_over_rounds():
    # Round 1: A B C -> 1, .5, 0. Round 2: C A B -> 1, .5, 0. Averages: A .75, C .5, B .25.
    a, b, c = 11, 12, 13
    priorities = combine([(1, in_order(a, b, c)), (2, in_order(c, a, b))], [a, b, c])
    assert summary(priorities) == [(a, 0.75, 1, False), (c, 0.5, 2, False), (b, 0.25, 3, False)]
    assert priorities[0].places == ((1, 1), (2, 2))
    assert all(p.rounds == 2 for p in priorities)


def test_equal_averages_are_tied_and_ordered_by_the_latest_round():
    a, b = 1, 2
    priorities = combine([(1, in_order(a, b)), (2, in_order(b, a))], [a, b])
    assert summary(priorities) == [(b, 0.5, 1, True), (a, 0.5, 1, True)]


def test_latest_round_order_wins_even_against_option_order():
    a, b = 1, 2
    priorities = combine([(1, in_order(b, a)), (2, in_order(a, b))], [b, a])
    assert [p.option_id for p in priorities] == [a, b]


@pytest.mark.parametrize(
    ("option_order", "expected"), [([1, 2, 3], [1, 2, 3]), ([2, 1, 3], [2, 1, 3])]
)
def test_ties_in_the_latest_round_fall_back_to_option_order(option_order, expected):
    res = result((1, 1), (2, 1), (3, 3))
    priorities = combine([(5, res)], option_order)
    assert [p.option_id for p in priorities] == expected
    assert [(p.place, p.tied) for p in priorities] == [(1, True), (1, True), (3, False)]


def test_an_option_averages_only_the_rounds_it_was_in():
    # Option 3 was withdrawn before round 2; its one last place is its whole record.
    priorities = combine([(1, in_order(1, 2, 3)), (2, in_order(2, 1))], [1, 2, 3])
    assert summary(priorities) == [(2, 0.75, 1, False), (1, 0.5, 2, False), (3, 0.0, 3, False)]
    assert [p.rounds for p in priorities] == [2, 2, 1]
    assert priorities[2].places == ((1, 3),)


def test_an_option_new_in_a_later_round_counts_from_then():
    priorities = combine([(1, in_order(1, 2)), (2, in_order(3, 1, 2))], [1, 2, 3])
    assert summary(priorities) == [(3, 1.0, 1, False), (1, 0.75, 2, False), (2, 0.0, 3, False)]


def test_averages_that_differ_only_by_rounding_are_a_tie():
    # Eleven options score in tenths: (0.1 + 0.2) / 2 and (0.3 + 0.0) / 2 are both 0.15.
    others = list(range(100, 109))
    x, y = 1, 2
    first = in_order(*others[:7], y, others[7], x, others[8])  # y 8th (0.3), x 10th (0.1)
    second = in_order(*others[:8], x, others[8], y)  # x 9th (0.2), y 11th (0.0)
    priorities = {p.option_id: p for p in combine([(1, first), (2, second)], [x, y, *others])}
    assert (priorities[x].place, priorities[x].tied) == (priorities[y].place, True)


def test_no_rounds_no_priorities():
    assert combine([], [1, 2, 3]) == []
