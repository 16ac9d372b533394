"""Budget rounds: knapsack ballots, greedy by support, and the Method of Equal Shares, checked by
hand and against pabutools (a well-kept reference implementation) on random instances."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance, Project
from pabutools.rules import method_of_equal_shares

from facilitation.core.errors import BallotError
from facilitation.kinds.budget_rules import (
    equal_shares,
    greedy,
    order_decided,
    supporters,
    validate_picks,
)

COSTS = {1: 40, 2: 30, 3: 30, 4: 10}


@pytest.mark.parametrize(
    ("picks", "message"),
    [
        ([9], "not part of this round"),
        ([1, 1], "only once"),
        ([], "at least one"),
        ([1, 2, 3], "Your picks cost 100, more than the budget of 80."),
    ],
)
def test_bad_picks_are_refused_with_a_reason(picks, message):
    with pytest.raises(BallotError) as caught:
        validate_picks(picks, COSTS, 80)
    assert message in str(caught.value)


def test_picks_within_the_budget_are_accepted():
    assert validate_picks([1, 2, 4], COSTS, 80) == frozenset({1, 2, 4})


def test_greedy_funds_by_support_and_skips_what_no_longer_fits():
    ballots = [frozenset({1, 2}), frozenset({1, 3}), frozenset({1, 2}), frozenset({3, 4})]
    outcome = greedy([1, 2, 3, 4], COSTS, 80, ballots)
    # support: 1:3, 2:2, 3:2, 4:1 -> 1 (40), 2 (30), 3 does not fit, 4 (10)
    assert outcome.funded == (1, 2, 4)
    assert outcome.spent == 80
    assert outcome.supporters == {1: 3, 2: 2, 3: 2, 4: 1}


def test_equal_shares_gives_a_minority_its_fair_share():
    # Ten people, budget 100, so 10 each. Six want A and C (50 each); four want B (40).
    # Greedy funds A and C, leaving the four with nothing. Equal shares: the six's 60 pays for
    # A, and the four's 40 pays for B.
    costs = {1: 50, 2: 40, 3: 50}
    ballots = [frozenset({1, 3})] * 6 + [frozenset({2})] * 4
    assert greedy([1, 2, 3], costs, 100, ballots).funded == (1, 3)
    shares = equal_shares([1, 2, 3], costs, 100, ballots)
    assert shares.by_shares == (1, 2)
    assert shares.funded == (1, 2)
    assert shares.spent == 90


def test_equal_shares_completion_spends_what_is_left_greedily():
    costs = {1: 50, 2: 30, 3: 20}
    ballots = [frozenset({1, 2}), frozenset({3})]
    outcome = equal_shares([1, 2, 3], costs, 100, ballots)
    assert set(outcome.by_shares) <= set(outcome.funded)
    assert outcome.spent == sum(costs[o] for o in outcome.funded) <= 100


def test_nobody_voting_funds_nothing():
    assert equal_shares([1, 2], {1: 1, 2: 1}, 10, []).funded == ()
    assert supporters([1, 2], []) == {1: 0, 2: 0}


instances = st.integers(2, 7).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(1, 20).map(lambda c: c * 5), min_size=n, max_size=n),
        st.integers(20, 200),
        st.lists(
            st.lists(st.booleans(), min_size=n, max_size=n).filter(any), min_size=1, max_size=15
        ),
    )
)


@settings(max_examples=150, deadline=None)
@given(instances)
def test_equal_shares_matches_pabutools(instance):
    cost_list, budget, approvals = instance
    order = list(range(1, len(cost_list) + 1))
    costs = dict(zip(order, cost_list, strict=True))
    ballots = [frozenset(o for o, yes in zip(order, row, strict=True) if yes) for row in approvals]
    ours = equal_shares(order, costs, budget, ballots, complete=False)
    # Project names sort like our option order, so pabutools' lexicographic ties agree with ours.
    projects = {o: Project(f"{o:03d}", costs[o]) for o in order}
    reference = method_of_equal_shares(
        Instance(projects.values(), budget_limit=budget),
        ApprovalProfile([ApprovalBallot([projects[o] for o in b]) for b in ballots]),
        sat_class=Cost_Sat,
    )
    assert sorted(ours.funded) == sorted(int(p.name) for p in reference)


@settings(max_examples=150, deadline=None)
@given(instances)
def test_no_rule_ever_overspends(instance):
    cost_list, budget, approvals = instance
    order = list(range(1, len(cost_list) + 1))
    costs = dict(zip(order, cost_list, strict=True))
    ballots = [frozenset(o for o, yes in zip(order, row, strict=True) if yes) for row in approvals]
    for outcome in (
        greedy(order, costs, budget, ballots),
        equal_shares(order, costs, budget, ballots),
    ):
        assert sum(costs[o] for o in outcome.funded) == outcome.spent <= budget
        assert len(set(outcome.funded)) == len(outcome.funded)


# -- ties: the list's order decides, and says so --------------------------------------------------


def test_the_list_order_funds_the_first_of_two_level_options_and_says_so():
    """Two options, equally picked and equally costly, and money for one: the one listed first
    is funded, under either rule, and order_decided names the two."""
    costs = {1: 60, 2: 60}
    ballots = [frozenset({1}), frozenset({2})]
    for rule in (greedy, equal_shares):
        assert rule([1, 2], costs, 100, ballots).funded == (1,)
        assert rule([2, 1], costs, 100, ballots).funded == (2,)
        assert order_decided([1, 2], ballots, lambda o, r=rule: r(o, costs, 100, ballots)) == (1, 2)


def test_level_options_that_both_fit_leave_nothing_to_the_list_order():
    costs = {1: 40, 2: 40}
    ballots = [frozenset({1}), frozenset({2})]
    for rule in (greedy, equal_shares):
        assert order_decided([1, 2], ballots, lambda o, r=rule: r(o, costs, 100, ballots)) is None


def tie_orders(order, counts):
    """Every reordering of ``order`` that keeps it but changes who goes first among equally
    supported options (the only thing the list's order is ever used for)."""
    groups = {}
    for o in order:
        groups.setdefault(counts[o], []).append(o)
    slots = [counts[o] for o in order]
    for arrangement in itertools.product(*(itertools.permutations(g) for g in groups.values())):
        queues = {n: list(p) for n, p in zip(groups, arrangement, strict=True)}
        yield [queues[n].pop(0) for n in slots]


@settings(max_examples=1500, deadline=None)
@given(instances)
def test_when_no_tie_is_flagged_no_order_of_the_list_changes_what_is_funded(instance):
    cost_list, budget, approvals = instance
    order = list(range(1, len(cost_list) + 1))
    costs = dict(zip(order, cost_list, strict=True))
    ballots = [frozenset(o for o, yes in zip(order, row, strict=True) if yes) for row in approvals]
    counts = supporters(order, ballots)
    for rule in (greedy, equal_shares):
        run = lambda o, r=rule: r(o, costs, budget, ballots)  # noqa: E731
        funded = set(run(order).funded)
        changed = any(set(run(other).funded) != funded for other in tie_orders(order, counts))
        assert (order_decided(order, ballots, run) is not None) == changed
