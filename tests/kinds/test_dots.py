"""The dot-voting rules: reading and validating dot ballots, dot tallies and ties."""

from __future__ import annotations

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from facilitation.core.errors import BallotError
from facilitation.core.models import Ballot, ResultRow, Round, RoundStatus
from facilitation.kinds import dots as dots_kind
from facilitation.kinds.dots import (
    cap_of,
    dots_of,
    must_use_all,
    read_dots,
    tally_dots,
    usable_dots,
    validate_dots,
)
from tests.helpers import summary, tally

FAST = settings(max_examples=150, deadline=None)


def dots_round(options=(1, 2, 3, 4), dots=5, cap=3, must_use_all=False) -> Round:
    return Round(
        id=7,
        workshop_id=1,
        title="Where to spend the garden budget",
        kind="dots",
        option_ids=tuple(options),
        status=RoundStatus.OPEN,
        settings={"dots": dots, "max_per_option": cap, "must_use_all": must_use_all},
    )


def dot_ballots(rnd: Round, *dots: dict[int, int]) -> list[Ballot]:
    return [Ballot(rnd.id, pid, dots_kind.entry(d)) for pid, d in enumerate(dots, start=1)]


# -- reading dot fields ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"dots-1": "2", "dots-2": "1"}, {1: 2, 2: 1}),
        ({"dots-3": " 3 ", "round_id": "7", "client_id": "abc", "csrf": "x"}, {3: 3}),
        ({"dots-1": ""}, {1: 0}),
        ({"dots-4": 2}, {4: 2}),
        ({"dots-1": "-1"}, {1: -1}),
        ({"dots-1": "999999999999"}, {1: 999999999999}),
        ({}, {}),
    ],
    ids=[
        "two options",
        "other fields ignored",
        "blank is zero",
        "int",
        "negative",
        "12 digits",
        "nothing",
    ],
)
def test_read_dots_accepts(fields, expected):
    assert read_dots(fields, dots_round()) == expected


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"dots-1": "two"}, "whole numbers"),
        ({"dots-1": "1.5"}, "whole numbers"),
        ({"dots-1": 1.0}, "whole numbers"),
        ({"dots-1": True}, "whole numbers"),
        ({"dots-1": "True"}, "whole numbers"),
        ({"dots-1": None}, "whole numbers"),
        ({"dots-1": ["1"]}, "whole numbers"),
        ({"dots-1": "1e3"}, "whole numbers"),
        ({"dots-1": "9999999999999"}, "whole numbers"),
        ({"dots-1": "--5"}, "whole numbers"),
        ({"dots-1": "-"}, "whole numbers"),
        ({"dots-1": "²"}, "whole numbers"),
        ({"dots-1": "+1"}, "whole numbers"),
        ({"dots-9": "1"}, "not part of this round"),
        ({"dots-x": "1"}, "not part of this round"),
        ({"dots-": "1"}, "not part of this round"),
        ({"dots-²": "1"}, "not part of this round"),
        ({"dots--1": "1"}, "not part of this round"),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else None,
)
def test_read_dots_refuses(fields, says):
    with pytest.raises(BallotError, match=says):
        read_dots(fields, dots_round())


def test_read_dots_explains_in_plain_words_without_field_names():
    with pytest.raises(BallotError) as caught:
        read_dots({"dots-2": "lots"}, dots_round())
    assert str(caught.value) == "Dots must be whole numbers, such as 0, 1 or 2."
    assert "dots-2" not in str(caught.value)


# -- validating dot ballots -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "dots", "expected"),
    [
        ({}, {1: 3, 2: 2}, {1: 3, 2: 2}),
        ({}, {1: 1}, {1: 1}),
        ({}, {1: 2, 2: 0, 3: 0}, {1: 2}),
        ({}, {1: 3}, {1: 3}),
        ({"dots": 3, "cap": 1}, {1: 1, 2: 1, 3: 1}, {1: 1, 2: 1, 3: 1}),
        ({"dots": 3, "cap": 1}, {4: 1}, {4: 1}),
        ({"must_use_all": True}, {1: 3, 2: 2}, {1: 3, 2: 2}),
        ({"must_use_all": True}, {1: 1, 2: 1, 3: 1, 4: 2}, {1: 1, 2: 1, 3: 1, 4: 2}),
        # The cap makes 5 dots unusable on 2 options: 4 is all a person can place.
        ({"options": (1, 2), "cap": 2, "must_use_all": True}, {1: 2, 2: 2}, {1: 2, 2: 2}),
        ({"options": (1,), "dots": 5, "cap": 1, "must_use_all": True}, {1: 1}, {1: 1}),
        ({"dots": 100, "cap": 100}, {1: 100}, {1: 100}),
    ],
    ids=[
        "full budget",
        "one dot",
        "zeros dropped",
        "cap reached",
        "approval",
        "approval one",
        "must use all",
        "must use all spread",
        "cap limits usable",
        "single option approval",
        "large budget",
    ],
)
def test_validate_dots_accepts(rules, dots, expected):
    rnd = dots_round(**rules)
    assert validate_dots(dots, rnd) == expected


@pytest.mark.parametrize(
    ("rules", "dots", "says", "params"),
    [
        ({}, {1: 3, 2: 3}, "dots to use, not 6", {"dots": 5, "used": 6}),
        ({}, {1: 2, 2: 2, 3: 2}, "dots to use, not 6", {"dots": 5, "used": 6}),
        ({}, {1: 4}, "at most 3 dots", {"cap": 3}),
        ({"dots": 3, "cap": 1}, {1: 2}, "at most 1 dots", {"cap": 1}),
        ({}, {}, "at least one dot", {}),
        ({}, {1: 0, 2: 0}, "at least one dot", {}),
        ({}, {1: -1, 2: 3}, "zero or more", {}),
        ({}, {1: -5}, "zero or more", {}),
        ({}, {1: 10**30}, "at most 3 dots", {"cap": 3}),
        ({"cap": 10**6}, {1: 10**6}, "dots to use", {"dots": 5, "used": 10**6}),
        ({}, {1: True}, "zero or more", {}),
        ({}, {1: "1"}, "zero or more", {}),
        ({}, {1: 1.0}, "zero or more", {}),
        ({}, {9: 1}, "not part of this round", {}),
        ({"options": (1, 2)}, {3: 1}, "not part of this round", {}),
        ({"must_use_all": True}, {1: 3, 2: 1}, "use all 5", {"dots": 5}),
        (
            {"options": (1, 2), "cap": 2, "must_use_all": True},
            {1: 2, 2: 1},
            "use all 4",
            {"dots": 4},
        ),
    ],
    ids=[
        "over budget",
        "over budget spread",
        "over cap",
        "approval over cap",
        "empty",
        "all zero",
        "negative",
        "only negative",
        "huge",
        "huge within cap",
        "boolean",
        "string count",
        "float count",
        "unknown option",
        "option of another round",
        "must use all",
        "must use all usable",
    ],
)
def test_validate_dots_refuses(rules, dots, says, params):
    with pytest.raises(BallotError, match=says) as caught:
        validate_dots(dots, dots_round(**rules))
    assert caught.value.params == params


@pytest.mark.parametrize(
    ("dots", "cap", "options", "usable"),
    [(5, 3, 4, 5), (5, 2, 2, 4), (5, 1, 3, 3), (3, 1, 3, 3), (10, 3, 1, 3), (1, 1, 1, 1)],
)
def test_usable_dots(dots, cap, options, usable):
    rnd = dots_round(options=range(1, options + 1), dots=dots, cap=cap)
    assert usable_dots(rnd) == usable


# -- dot tallies ----------------------------------------------------------------------------------


def test_tally_dots_totals_places_and_supporters():
    rnd = dots_round(options=(10, 20, 30))
    ballots = dot_ballots(rnd, {10: 2, 20: 1}, {20: 3}, {10: 1, 20: 1})
    result = tally_dots(rnd, ballots)
    assert result.kind == "dots"
    assert result.ballots == 3
    assert result.rows == (
        ResultRow(20, 5, 1, False, 3),
        ResultRow(10, 3, 2, False, 2),
        ResultRow(30, 0, 3, False, 0),
    )


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ((10, 20, 30), [(10, 2, 1, True), (30, 2, 1, True), (20, 0, 3, False)]),
        ((30, 20, 10), [(30, 2, 1, True), (10, 2, 1, True), (20, 0, 3, False)]),
        ((20, 10, 30), [(10, 2, 1, True), (30, 2, 1, True), (20, 0, 3, False)]),
    ],
)
def test_tied_options_share_a_place_and_keep_the_round_order(order, expected):
    rnd = dots_round(options=order)
    result = tally_dots(rnd, dot_ballots(rnd, {30: 2}, {10: 2}))
    assert summary(result.rows) == expected


def test_tie_below_the_top_skips_the_next_place():
    rnd = dots_round(options=(1, 2, 3, 4))
    result = tally_dots(rnd, dot_ballots(rnd, {1: 3, 2: 1, 3: 1}))
    assert summary(result.rows) == [
        (1, 3, 1, False),
        (2, 1, 2, True),
        (3, 1, 2, True),
        (4, 0, 4, False),
    ]


def test_tally_with_no_ballots_ties_everyone_first():
    rnd = dots_round(options=(5, 6))
    result = tally_dots(rnd, [])
    assert result.ballots == 0
    assert summary(result.rows) == [(5, 0, 1, True), (6, 0, 1, True)]


def test_tally_ignores_dots_on_options_no_longer_in_the_round():
    rnd = dots_round(options=(1, 2))
    result = tally_dots(rnd, dot_ballots(rnd, {1: 1, 99: 3}, {2: 2}))
    assert [r.option_id for r in result.rows] == [2, 1]
    assert result.ballots == 2
    assert {r.option_id: r.voters for r in result.rows} == {1: 1, 2: 1}


# -- properties -----------------------------------------------------------------------------------


@st.composite
def dot_rounds(draw):
    """A dot round and valid ballots for it."""
    n = draw(st.integers(1, 5))
    options = tuple(draw(st.lists(st.integers(1, 500), min_size=n, max_size=n, unique=True)))
    rnd = dots_round(options=options, dots=draw(st.integers(1, 10)), cap=draw(st.integers(1, 5)))
    ballot = st.dictionaries(st.sampled_from(options), st.integers(1, cap_of(rnd))).filter(
        lambda d: sum(d.values()) <= dots_of(rnd)
    )
    return rnd, draw(st.lists(ballot, max_size=25))


@FAST
@given(dot_rounds(), st.randoms(use_true_random=False))
def test_dot_results_do_not_depend_on_ballot_order(case, random):
    rnd, dots = case
    ballots = dot_ballots(rnd, *dots)
    shuffled = list(ballots)
    random.shuffle(shuffled)
    assert tally(rnd, shuffled) == tally(rnd, ballots)


@FAST
@given(dot_rounds())
def test_dot_totals_add_up_to_the_dots_placed(case):
    rnd, dots = case
    result = tally(rnd, dot_ballots(rnd, *dots))
    assert sum(r.score for r in result.rows) == sum(sum(d.values()) for d in dots)
    assert sorted(r.option_id for r in result.rows) == sorted(rnd.option_ids)
    for row in result.rows:
        assert row.place == 1 + sum(other.score > row.score for other in result.rows)


COUNTS = st.one_of(
    st.integers(-3, 12),
    st.integers(),
    st.booleans(),
    st.sampled_from(["1", "", 1.0, None]),
)


@st.composite
def dot_cases(draw):
    """Any round rules and any dot ballot, well-formed or not."""
    n = draw(st.integers(1, 5))
    cap = draw(st.integers(1, 5))
    if draw(st.booleans()):
        # Whole numbers on the round's options, with a budget near what they add up to: valid, or
        # refused only for the budget, the cap or use-all.
        dots = draw(st.dictionaries(st.integers(1, n), st.integers(0, cap + 1), max_size=n))
        used = sum(dots.values())
        budget = draw(st.integers(max(1, used - 2), used + 2))
    else:
        keys = st.integers(1, n) | st.integers(-2, n + 3)
        dots = draw(st.dictionaries(keys, COUNTS, max_size=n + 1))
        budget = draw(st.integers(1, 10))
    rnd = dots_round(
        options=range(1, n + 1), dots=budget, cap=cap, must_use_all=draw(st.booleans())
    )
    return rnd, dots


def dots_allowed(dots, rnd) -> bool:
    """The rules restated: known options, whole counts within the cap, budget, and use-all."""
    for option_id, count in dots.items():
        if option_id not in rnd.option_ids:
            return False
        if type(count) is not int or not 0 <= count <= cap_of(rnd):
            return False
    used = sum(dots.values())
    if not 1 <= used <= dots_of(rnd):
        return False
    return not must_use_all(rnd) or used == min(dots_of(rnd), cap_of(rnd) * len(rnd.option_ids))


@settings(max_examples=200, deadline=None)
@given(dot_cases())
def test_every_dot_ballot_is_judged_by_the_rules(case):
    rnd, dots = case
    allowed = dots_allowed(dots, rnd)
    event("accepted" if allowed else "refused")
    if allowed:
        assert validate_dots(dots, rnd) == {k: v for k, v in dots.items() if v}
    else:
        with pytest.raises(BallotError):
            validate_dots(dots, rnd)


@st.composite
def valid_dot_cases(draw):
    """A ballot the rules allow, so the accepting side is exercised as often as the refusing."""
    n = draw(st.integers(1, 5))
    cap = draw(st.integers(1, 5))
    counts = draw(st.lists(st.integers(0, cap), min_size=n, max_size=n).filter(any))
    used = sum(counts)
    must_use_all = draw(st.booleans())
    # With must_use_all, a ballot below the cap's limit has to spend exactly the budget; otherwise
    # unspent dots are fine (or the cap binds and every option is already full).
    exact = must_use_all and used < cap * n
    budget = used if exact else draw(st.integers(used, used + 5))
    rnd = dots_round(options=range(1, n + 1), dots=budget, cap=cap, must_use_all=must_use_all)
    return rnd, dict(zip(range(1, n + 1), counts, strict=True))


@FAST
@given(valid_dot_cases())
def test_every_valid_dot_ballot_is_accepted(case):
    rnd, dots = case
    assert validate_dots(dots, rnd) == {k: v for k, v in dots.items() if v}


@st.composite
def over_limit_cases(draw):
    """A ballot of whole numbers that goes over the budget or over the per-option cap."""
    n = draw(st.integers(1, 5))
    cap = draw(st.integers(1, 5))
    rnd = dots_round(options=range(1, n + 1), dots=draw(st.integers(1, 10)), cap=cap)
    counts = draw(st.lists(st.integers(0, cap + 3), min_size=n, max_size=n))
    assume(sum(counts) > dots_of(rnd) or max(counts) > cap)
    return rnd, dict(zip(range(1, n + 1), counts, strict=True))


@FAST
@given(over_limit_cases())
def test_every_over_budget_or_over_cap_ballot_is_refused(case):
    rnd, dots = case
    with pytest.raises(BallotError):
        validate_dots(dots, rnd)


FIELD_VALUES = st.one_of(
    st.text(max_size=14),
    st.sampled_from(["²", "٣", "--1", "-0", "0x1", "1_000", " 2", "1 2", "½"]),
    st.integers(),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
    st.lists(st.text(max_size=3), max_size=2),
)


@FAST
@given(
    st.dictionaries(
        st.one_of(
            st.sampled_from(["dots-1", "dots-2", "dots-3"]),
            st.text(max_size=8).map(lambda s: "dots-" + s),
        ),
        FIELD_VALUES,
        max_size=4,
    )
)
def test_any_dot_form_is_either_a_valid_ballot_or_a_ballot_error(fields):
    rnd = dots_round(options=(1, 2, 3))
    try:
        dots = validate_dots(read_dots(fields, rnd), rnd)
    except BallotError:
        return
    assert set(dots) <= {1, 2, 3}
    assert all(1 <= n <= 3 for n in dots.values())
    assert 1 <= sum(dots.values()) <= 5
