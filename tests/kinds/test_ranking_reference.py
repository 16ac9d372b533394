"""Our ranking count against an independent one: pref_voting (MIT), on thousands of random
complete and top-k profiles.

Schulze's own definition (Schulze 2011): a defeats b when the strongest path from a to b is
stronger than the strongest path back (winning votes: a path is as strong as its weakest
majority, counted as the number of people in that majority). The winners are the options nothing
defeats; our places set the winners aside and ask the same of the rest, so every place is checked
against pref_voting's own defeat relation. Ranked options beat unranked ones, which are level
(pref_voting's "extended strict preference").
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pref_voting.margin_based_methods import beat_path, beat_path_defeat
from pref_voting.profiles import Profile
from pref_voting.profiles_with_ties import ProfileWithTies

from facilitation.core.models import Ballot, Round, RoundStatus
from facilitation.kinds import ranking as ranking_kind
from facilitation.kinds.ranking import schulze_rows
from tests.helpers import tally

# Each property runs this many random profiles.
CASES = 3000
MANY = settings(max_examples=CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rank_round(n: int, top_k: int | None) -> Round:
    return Round(
        id=1,
        workshop_id=1,
        title="Order the repairs",
        kind="rank",
        option_ids=tuple(range(n)),
        status=RoundStatus.CLOSED,
        settings={"top_k": top_k},
    )


@st.composite
def profiles(draw, *, complete: bool):
    """A round of 2 to 6 options and 1 to 30 ballots; complete, or each cut to a top k."""
    n = draw(st.integers(2, 6))
    top_k = None if complete else draw(st.integers(1, n - 1))
    rnd = rank_round(n, top_k)
    places = ranking_kind.ranked_places(rnd)
    perms = st.permutations(range(n)).map(lambda p: tuple(p[:places]))
    return rnd, draw(st.lists(perms, min_size=1, max_size=30))


def ours(rnd: Round, rankings) -> dict[int, int]:
    ballots = [Ballot(rnd.id, i, ranking_kind.entry(r)) for i, r in enumerate(rankings, 1)]
    return {r.option_id: r.place for r in schulze_rows(tally(rnd, ballots))}


def reference(rnd: Round, rankings) -> tuple[set[int], dict[int, int]]:
    """pref_voting's Schulze winners, and places taken level by level from its defeat relation."""
    options = list(rnd.option_ids)
    profile = ProfileWithTies(
        [{o: i + 1 for i, o in enumerate(r)} for r in rankings], candidates=options
    )
    profile.use_extended_strict_preference()
    winners = set(beat_path(profile, strength_function=profile.support))
    defeat = beat_path_defeat(profile, strength_function=profile.support)
    places: dict[int, int] = {}
    left = set(options)
    while left:
        level = {a for a in left if not any(defeat.has_edge(b, a) for b in left)}
        for a in level:
            places[a] = len(options) - len(left) + 1
        left -= level
    return winners, places


def check(rnd: Round, rankings) -> None:
    place = ours(rnd, rankings)
    winners, places = reference(rnd, rankings)
    assert {o for o, p in place.items() if p == 1} == winners
    assert place == places


@MANY
@given(profiles(complete=True))
def test_schulze_places_match_pref_voting_on_complete_rankings(case):
    check(*case)


@MANY
@given(profiles(complete=False))
def test_schulze_places_match_pref_voting_on_top_k_rankings(case):
    check(*case)


@settings(max_examples=1000, deadline=None)
@given(profiles(complete=True))
def test_borda_order_matches_pref_voting_on_complete_rankings(case):
    """On complete ballots our Borda points (m for first down to 1) are pref_voting's (m - 1
    down to 0) plus one point per ballot for every option, so the places agree exactly."""
    rnd, rankings = case
    ballots = [Ballot(rnd.id, i, ranking_kind.entry(r)) for i, r in enumerate(rankings, 1)]
    result = tally(rnd, ballots)
    theirs = Profile([list(r) for r in rankings]).borda_scores()
    for row in result.rows:
        assert row.score == theirs[row.option_id] + len(rankings)
        assert row.place == 1 + sum(1 for s in theirs.values() if s > theirs[row.option_id])
