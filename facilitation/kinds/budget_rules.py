"""Budget rounds (participatory budgeting with knapsack ballots): checking picks, and two
documented ways to turn everyone's picks into a funded set. Pure and exact (fractions, no floats).

- **Greedy by support**: options in order of how many people picked them (ties: the round's
  order); each is funded if it still fits in what is left of the budget, otherwise skipped.
- **Method of Equal Shares** (Peters and Skowron; equalshares.net), with cost utilities: the
  budget is split equally among the voters; an option can be funded only by the people who
  picked it, out of their own shares. In each step the option that needs the smallest payment per
  unit of value from its supporters is funded (ties: more supporters, then the round's order),
  and the cost is shared as equally as the supporters' remaining money allows. Money the method
  leaves unspent is then used greedily by support, so the budget is not left idle.

Ties: what decides between options that are otherwise level is the order the round lists them
in. Money is finite, so something has to: when equally supported options cannot all be funded,
the one listed first is taken first. ``order_decided`` finds when that happened (when swapping
two equally supported options in the list changes what is funded), so that every page can say
so and the room can settle it instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from facilitation.core.errors import BallotError
from facilitation.core.formats import number
from facilitation.core.i18n import N_


@dataclass(frozen=True, slots=True)
class Outcome:
    """Which options are funded, in the order they were chosen, and what was spent."""

    funded: tuple[int, ...]
    spent: int
    supporters: dict[int, int]
    # For equal shares: the options funded before the greedy completion used the rest.
    by_shares: tuple[int, ...] = ()


def validate_picks(picks: Iterable[int], costs: Mapping[int, int], budget: int) -> frozenset[int]:
    """Check a knapsack ballot: known options, none twice, total cost within the budget."""
    chosen = list(picks)
    if any(option_id not in costs for option_id in chosen):
        raise BallotError(N_("That option is not part of this round. Please reload the page."))
    if len(set(chosen)) != len(chosen):
        raise BallotError(N_("Each option can be picked only once."))
    if not chosen:
        raise BallotError(N_("Pick at least one option before sending."))
    total = sum(costs[o] for o in chosen)
    if total > budget:
        raise BallotError(
            N_("Your picks cost {total}, more than the budget of {budget}."),
            total=number(total),
            budget=number(budget),
        )
    return frozenset(chosen)


def supporters(order: Sequence[int], ballots: Iterable[frozenset[int]]) -> dict[int, int]:
    """How many ballots picked each option."""
    counts = dict.fromkeys(order, 0)
    for ballot in ballots:
        for option_id in ballot:
            if option_id in counts:
                counts[option_id] += 1
    return counts


def greedy(
    order: Sequence[int],
    costs: Mapping[int, int],
    budget: int,
    ballots: Sequence[frozenset[int]],
    *,
    already: Sequence[int] = (),
) -> Outcome:
    """Fund options by support, skipping any that no longer fit."""
    counts = supporters(order, ballots)
    position = {o: i for i, o in enumerate(order)}
    funded = list(already)
    left = budget - sum(costs[o] for o in funded)
    for option_id in sorted(order, key=lambda o: (-counts[o], position[o])):
        if option_id in funded or counts[option_id] == 0:
            continue
        if costs[option_id] <= left:
            funded.append(option_id)
            left -= costs[option_id]
    return Outcome(tuple(funded), budget - left, counts)


def equal_shares(
    order: Sequence[int],
    costs: Mapping[int, int],
    budget: int,
    ballots: Sequence[frozenset[int]],
    *,
    complete: bool = True,
) -> Outcome:
    """The Method of Equal Shares with cost utilities, then greedy completion (see the module)."""
    counts = supporters(order, ballots)
    position = {o: i for i, o in enumerate(order)}
    voters = [b for b in ballots if b]
    if not voters:
        return Outcome((), 0, counts)
    money = [Fraction(budget, len(voters))] * len(voters)
    backers = {o: [i for i, b in enumerate(voters) if o in b] for o in order}
    funded: list[int] = []
    while True:
        best: tuple[tuple[Fraction, int, int], int] | None = None
        for option_id in order:
            if option_id in funded or not backers[option_id] or costs[option_id] <= 0:
                continue
            rho = _price(option_id, costs[option_id], backers[option_id], money)
            if rho is None:
                continue
            key = (rho, -counts[option_id], position[option_id])
            if best is None or key < best[0]:
                best = (key, option_id)
        if best is None:
            break
        (rho, _n, _p), option_id = best
        cost = costs[option_id]
        for i in backers[option_id]:
            money[i] -= min(money[i], rho * cost)
        funded.append(option_id)
    by_shares = tuple(funded)
    if not complete:
        return Outcome(by_shares, sum(costs[o] for o in by_shares), counts, by_shares)
    done = greedy(order, costs, budget, ballots, already=by_shares)
    return Outcome(done.funded, done.spent, counts, by_shares)


def _price(option_id: int, cost: int, backers: list[int], money: list[Fraction]) -> Fraction | None:
    """The smallest rho such that the backers, each paying min(money, rho * cost), cover the cost;
    None if all their money together is not enough."""
    total = sum(money[i] for i in backers)
    if total < cost:
        return None
    # Pay-what-you-can from the poorest up: with k backers left sharing equally, each pays
    # (cost - paid by the poorer ones) / k; the first share someone can afford fixes rho.
    remaining = Fraction(cost)
    shares = sorted(money[i] for i in backers)
    k = len(shares)
    for m in shares:
        equal = remaining / k
        if m >= equal:
            return equal / cost
        remaining -= m
        k -= 1
    return None


def order_decided(
    order: Sequence[int],
    ballots: Sequence[frozenset[int]],
    rule: Callable[[Sequence[int]], Outcome],
) -> tuple[int, int] | None:
    """Two equally supported options whose places in the list decided what ``rule`` funds: with
    the two swapped, it funds a different set. None when the list's order decided nothing."""
    counts = supporters(order, ballots)
    funded = set(rule(order).funded)
    for i, a in enumerate(order):
        for j in range(i + 1, len(order)):
            b = order[j]
            if counts[a] != counts[b] or counts[a] == 0:
                continue
            swapped = list(order)
            swapped[i], swapped[j] = b, a
            if set(rule(swapped).funded) != funded:
                return a, b
    return None
