"""The ranking rules: reading and validating rankings, Borda, Schulze and ties."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from facilitation.core.errors import BallotError
from facilitation.core.models import Ballot, Round, RoundStatus
from facilitation.kinds import ranking as ranking_kind
from facilitation.kinds.ranking import (
    borda_scores,
    pairwise,
    ranked_places,
    read_ranking,
    schulze_defeats,
    schulze_rows,
    schulze_strengths,
    validate_ranking,
)
from tests.helpers import summary, tally

FAST = settings(max_examples=150, deadline=None)


def rank_round(options=(1, 2, 3, 4), top_k=None) -> Round:
    return Round(
        id=8,
        workshop_id=1,
        title="Rank the play areas",
        kind="rank",
        option_ids=tuple(options),
        status=RoundStatus.OPEN,
        settings={"top_k": top_k},
    )


def rank_ballots(rnd: Round, rankings) -> list[Ballot]:
    return [
        Ballot(rnd.id, pid, ranking_kind.entry(tuple(r))) for pid, r in enumerate(rankings, start=1)
    ]


# -- reading and validating rankings --------------------------------------------------------------


@pytest.mark.parametrize(
    ("top_k", "raw", "expected"),
    [
        (None, ["3", "1", "4", "2"], (3, 1, 4, 2)),
        (None, [3, 1, 4, 2], (3, 1, 4, 2)),
        (None, [" 2 ", "1", "3", "4"], (2, 1, 3, 4)),
        (2, ["4", "2"], (4, 2)),
        # A phone that sends its whole ordered list in a top-k round: only the first k count.
        (2, ["4", "2", "1", "3"], (4, 2)),
        (1, "3", (3,)),
        (1, 3, (3,)),
        (10, ["1", "2", "3", "4"], (1, 2, 3, 4)),
    ],
    ids=[
        "full",
        "ints",
        "spaces",
        "top k",
        "top k from full list",
        "single string",
        "single int",
        "k above option count",
    ],
)
def test_ranking_accepted(top_k, raw, expected):
    rnd = rank_round(top_k=top_k)
    assert validate_ranking(read_ranking({"rank": raw}, rnd), rnd) == expected


@pytest.mark.parametrize(
    ("top_k", "fields", "says"),
    [
        (None, {"rank": ["1", "1", "2", "3"]}, "only once"),
        (2, {"rank": ["2", "2"]}, "only once"),
        (None, {"rank": ["1", "2"]}, "rank 4 options"),
        (None, {"rank": ["1", "2", "3"]}, "rank 4 options"),
        (2, {"rank": ["1", "2", "3"]}, "rank 2 options"),
        (2, {"rank": ["1"]}, "rank 2 options"),
        (None, {"rank": "2"}, "rank 4 options"),
        (None, {"rank": []}, "rank 4 options"),
        (None, {}, "rank 4 options"),
        (None, {"rank": ["1", "2", "3", "9"]}, "not part of this round"),
        (None, {"rank": ["1", "2", "3", "4", "5"]}, "not part of this round"),
        (1, {"rank": "0"}, "not part of this round"),
        (1, {"rank": ""}, "not part of this round"),
        (None, {"rank": ["1", "two", "3", "4"]}, "must list options by number"),
        (None, {"rank": ["1", "²", "3", "4"]}, "must list options by number"),
        (None, {"rank": [True, 2, 3, 4]}, "must list options by number"),
        (None, {"rank": [None]}, "must list options by number"),
        (None, {"rank": ("1", "2", "3", "4")}, "could not be read"),
        (None, {"rank": {"1": 1}}, "could not be read"),
        (None, {"rank": None}, "could not be read"),
        (None, {"rank": 2.0}, "could not be read"),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else None,
)
def test_ranking_refused(top_k, fields, says):
    rnd = rank_round(top_k=top_k)
    with pytest.raises(BallotError, match=says):
        validate_ranking(read_ranking(fields, rnd), rnd)


def test_ranking_refusal_says_how_many_places():
    with pytest.raises(BallotError) as caught:
        validate_ranking((1, 2), rank_round(top_k=3))
    assert caught.value.params == {"places": 3}


# -- Borda ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "rankings", "expected"),
    [
        ((1, 2, 3), [(1, 2, 3)], {1: 3, 2: 2, 3: 1}),
        ((1, 2, 3), [(1, 2, 3), (3, 2, 1)], {1: 4, 2: 4, 3: 4}),
        ((1, 2, 3, 4), [(2, 1)], {1: 1, 2: 2, 3: 0, 4: 0}),
        ((1, 2, 3, 4), [(4,)], {1: 0, 2: 0, 3: 0, 4: 1}),
        ((1, 2, 3, 4), [(1, 2, 3, 4), (2, 3)], {1: 4, 2: 5, 3: 3, 4: 1}),
        ((1, 2), [], {1: 0, 2: 0}),
    ],
    ids=["one full", "opposites cancel", "top two", "top one", "full and partial", "none"],
)
def test_borda_scores(options, rankings, expected):
    assert borda_scores(options, rankings) == expected


def test_ranking_round_headline_is_borda_with_ballots_counted():
    rnd = rank_round(options=(1, 2, 3))
    result = tally(rnd, rank_ballots(rnd, [(2, 1, 3), (2, 3, 1), (1, 2, 3)]))
    assert result.kind == "rank"
    assert result.ballots == 3
    assert summary(result.rows) == [(2, 8, 1, False), (1, 6, 2, False), (3, 4, 3, False)]
    assert not result.details["methods_disagree"]


# -- Schulze: the 45-voter example from the Schulze method's Wikipedia page -----------------------

A, B, C, D, E = 1, 2, 3, 4, 5
WIKIPEDIA = [
    (5, (A, C, B, E, D)),
    (5, (A, D, E, C, B)),
    (8, (B, E, D, A, C)),
    (3, (C, A, B, E, D)),
    (7, (C, A, E, B, D)),
    (2, (C, B, A, D, E)),
    (7, (D, C, E, B, A)),
    (8, (E, B, A, D, C)),
]
WIKIPEDIA_RANKINGS = [ranking for n, ranking in WIKIPEDIA for _ in range(n)]


def test_wikipedia_pairwise_preferences_and_strongest_paths():
    options = (A, B, C, D, E)
    d = pairwise(options, WIKIPEDIA_RANKINGS)
    p = schulze_strengths(options, d)
    assert [[d[x][y] for y in options] for x in options] == [
        [0, 20, 26, 30, 22],
        [25, 0, 16, 33, 18],
        [19, 29, 0, 17, 24],
        [15, 12, 28, 0, 14],
        [23, 27, 21, 31, 0],
    ]
    assert [[p[x][y] for y in options] for x in options] == [
        [0, 28, 28, 30, 24],
        [25, 0, 28, 33, 24],
        [25, 29, 0, 29, 24],
        [25, 28, 28, 0, 24],
        [25, 28, 28, 31, 0],
    ]


def test_wikipedia_example_schulze_and_borda_disagree():
    rnd = rank_round(options=(A, B, C, D, E))
    result = tally(rnd, rank_ballots(rnd, WIKIPEDIA_RANKINGS))
    assert result.ballots == 45
    assert [r.option_id for r in schulze_rows(result)] == [E, A, C, B, D]
    assert [r.place for r in schulze_rows(result)] == [1, 2, 3, 4, 5]
    assert not any(r.tied for r in schulze_rows(result))
    assert summary(result.rows) == [
        (E, 147, 1, False),
        (A, 143, 2, False),
        (B, 137, 3, False),
        (C, 134, 4, False),
        (D, 114, 5, False),
    ]
    assert result.details["methods_disagree"]


def test_schulze_cycle_is_a_shared_first_place_in_round_order():
    rnd = rank_round(options=(3, 1, 2))
    result = tally(rnd, rank_ballots(rnd, [(1, 2, 3), (2, 3, 1), (3, 1, 2)]))
    assert [(r.option_id, r.place, r.tied) for r in schulze_rows(result)] == [
        (3, 1, True),
        (1, 1, True),
        (2, 1, True),
    ]
    assert [(r.option_id, r.place, r.tied) for r in result.rows] == [
        (3, 1, True),
        (1, 1, True),
        (2, 1, True),
    ]
    assert not result.details["methods_disagree"]


def test_schulze_counts_ranked_above_unranked():
    rnd = rank_round(options=(1, 2, 3), top_k=1)
    result = tally(rnd, rank_ballots(rnd, [(2,), (2,), (3,)]))
    assert [(r.option_id, r.place, r.tied) for r in schulze_rows(result)] == [
        (2, 1, False),
        (3, 2, False),
        (1, 3, False),
    ]
    assert {r.option_id: r.voters for r in schulze_rows(result)} == {1: 0, 2: 2, 3: 1}


def test_ranking_round_with_no_ballots_ties_everyone():
    rnd = rank_round(options=(1, 2))
    result = tally(rnd, [])
    assert result.ballots == 0
    assert all(r.place == 1 and r.tied for r in (*result.rows, *schulze_rows(result)))


# -- properties -----------------------------------------------------------------------------------


@st.composite
def ranking_rounds(draw, *, partial: bool = True):
    """A ranking round and its ballots: permutations of its options, cut to top k if set."""
    n = draw(st.integers(2, 5))
    options = tuple(draw(st.lists(st.integers(1, 500), min_size=n, max_size=n, unique=True)))
    top_k = draw(st.one_of(st.none(), st.integers(1, n))) if partial else None
    rnd = rank_round(options=options, top_k=top_k)
    perms = st.permutations(options).map(lambda p: tuple(p[: ranked_places(rnd)]))
    rankings = draw(st.lists(perms, max_size=25))
    return rnd, rankings


@FAST
@given(ranking_rounds(), st.randoms(use_true_random=False))
def test_ranking_results_do_not_depend_on_ballot_order(case, random):
    rnd, rankings = case
    ballots = rank_ballots(rnd, rankings)
    shuffled = list(ballots)
    random.shuffle(shuffled)
    assert tally(rnd, shuffled) == tally(rnd, ballots)


def condorcet_winner(options, rankings):
    """The option a majority prefers to each other option, counted directly, or None."""

    def prefers(ranking, a, b):
        # Ranked beats unranked; two unranked options are level.
        if a not in ranking:
            return False
        return b not in ranking or ranking.index(a) < ranking.index(b)

    for a in options:
        if all(
            sum(prefers(r, a, b) for r in rankings) > sum(prefers(r, b, a) for r in rankings)
            for b in options
            if b != a
        ):
            return a
    return None


@FAST
@given(ranking_rounds())
def test_a_condorcet_winner_is_alone_in_first_place(case):
    rnd, rankings = case
    winner = condorcet_winner(rnd.option_ids, rankings)
    assume(winner is not None)
    result = tally(rnd, rank_ballots(rnd, rankings))
    first = [r for r in schulze_rows(result) if r.place == 1]
    assert [(r.option_id, r.tied) for r in first] == [(winner, False)]
    assert schulze_rows(result)[0].option_id == winner


@FAST
@given(ranking_rounds())
def test_schulze_places_respect_the_strongest_paths(case):
    rnd, rankings = case
    options = rnd.option_ids
    p = schulze_strengths(options, pairwise(options, rankings))
    defeats = schulze_defeats(options, rankings)
    place = {r.option_id: r.place for r in schulze_rows(tally(rnd, rank_ballots(rnd, rankings)))}
    for a, b in itertools.permutations(options, 2):
        assert (b in defeats[a]) == (p[a][b] > p[b][a])
        if b in defeats[a]:
            assert place[a] < place[b]
        if place[a] == place[b]:
            # A shared place is a genuine tie: neither option beats the other.
            assert p[a][b] == p[b][a]


def test_two_ballots_that_schulze_leaves_level_tie_for_first():
    """[1, 2, 3] and [3, 1, 2]: 1 beats 2, and nothing beats 1 or 3 by a stronger path, so
    Schulze (2011) puts 1 and 3 first together; 2 comes next, alone."""
    rnd = rank_round(options=(1, 2, 3))
    result = tally(rnd, rank_ballots(rnd, [(1, 2, 3), (3, 1, 2)]))
    assert [(r.option_id, r.place, r.tied) for r in schulze_rows(result)] == [
        (1, 1, True),
        (3, 1, True),
        (2, 3, False),
    ]


@st.composite
def ranking_cases(draw):
    """Any round and any list of ids, mostly drawn from the round's own options."""
    n = draw(st.integers(1, 6))
    options = tuple(range(10, 10 + n))
    rnd = rank_round(options=options, top_k=draw(st.one_of(st.none(), st.integers(1, n + 2))))
    ids = st.one_of(st.sampled_from(options), st.integers(0, 20))
    if draw(st.booleans()):
        return rnd, draw(st.lists(ids, max_size=n + 2))
    # Near misses: a correct ranking, then perhaps one id dropped, added or replaced.
    ranking = list(draw(st.permutations(options))[: ranked_places(rnd)])
    change = draw(st.sampled_from(["none", "drop", "add", "replace"]))
    if change == "drop" and ranking:
        ranking.pop(draw(st.integers(0, len(ranking) - 1)))
    elif change == "add":
        ranking.insert(draw(st.integers(0, len(ranking))), draw(ids))
    elif change == "replace" and ranking:
        ranking[draw(st.integers(0, len(ranking) - 1))] = draw(ids)
    return rnd, ranking


@settings(max_examples=200, deadline=None)
@given(ranking_cases())
def test_a_ranking_must_be_exactly_ranked_places_distinct_options(case):
    rnd, ranking = case
    allowed = (
        len(ranking) == ranked_places(rnd)
        and len(set(ranking)) == len(ranking)
        and set(ranking) <= set(rnd.option_ids)
    )
    event("accepted" if allowed else "refused")
    if allowed:
        assert validate_ranking(ranking, rnd) == tuple(ranking)
    else:
        with pytest.raises(BallotError):
            validate_ranking(ranking, rnd)


@FAST
@given(ranking_rounds())
def test_every_permutation_of_ranked_places_is_accepted(case):
    rnd, rankings = case
    for ranking in rankings:
        assert validate_ranking(ranking, rnd) == ranking


@FAST
@given(
    st.one_of(
        st.text(max_size=10),
        st.lists(st.one_of(st.text(max_size=4), st.integers(), st.none()), max_size=6),
        st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
        st.integers(),
        st.floats(),
        st.none(),
    )
)
def test_any_rank_field_is_either_a_valid_ranking_or_a_ballot_error(raw):
    rnd = rank_round(options=(1, 2, 3), top_k=2)
    try:
        ranking = validate_ranking(read_ranking({"rank": raw}, rnd), rnd)
    except BallotError:
        return
    assert len(ranking) == 2 and len(set(ranking)) == 2 and set(ranking) <= {1, 2, 3}
