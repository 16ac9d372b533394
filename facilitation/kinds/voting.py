"""The voting rules: reading and validating ballots, dot tallies, Borda and Schulze orders, ties.

Everything here is pure: it takes records and returns records, so the rules can be tested on their
own and the same code counts a live board, a results snapshot and an export.

Tie rule (stated on every results page): options with equal scores share a place and are marked
as tied; for display they are listed in the order the round presents them on the ballot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from facilitation.core.models import Ballot, BudgetRule, ResultRow, Round, RoundKind, RoundResult
from facilitation.core.rules import N_, BallotError
from facilitation.kinds import budget_rules as budget
from facilitation.kinds import ratings

__all__ = ["N_", "BallotError", "tally"]

MAX_FIELD_CHARS = 12

NOT_UP_FOR_DECISION = N_(
    "That option is not up for decision: it is shown for information and cannot be voted on."
)


def _refuse_information_only(option_ids: Iterable[int], rnd: Round) -> None:
    """A not-negotiable option is shown with the round but never takes dots or a place."""
    if rnd.info_option_ids and not set(option_ids).isdisjoint(rnd.info_option_ids):
        raise BallotError(NOT_UP_FOR_DECISION)


WHOLE_NUMBER = {
    "dots": N_("Dots must be whole numbers, such as 0, 1 or 2."),
    "rank": N_("The ranking must list options by number. Please reload the page."),
    "picks": N_("The picks must name options by number. Please reload the page."),
}


def _as_int(value: Any, *, field: str) -> int:
    if isinstance(value, bool):
        raise BallotError(WHOLE_NUMBER[field])
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0
        # isascii: str.isdigit() also accepts characters such as "²" that int() refuses.
        if len(text) <= MAX_FIELD_CHARS and text.isascii() and text.removeprefix("-").isdigit():
            return int(text)
    raise BallotError(WHOLE_NUMBER[field])


def read_dots(fields: Mapping[str, Any], rnd: Round) -> dict[int, int]:
    """Read ``dots-<option id>`` fields into {option id: dots}, refusing unknown options."""
    allowed = set(rnd.option_ids)
    dots: dict[int, int] = {}
    for name, value in fields.items():
        if not name.startswith("dots-"):
            continue
        suffix = name.removeprefix("dots-")
        if suffix.isascii() and suffix.isdigit():
            _refuse_information_only((int(suffix),), rnd)
        if not (suffix.isascii() and suffix.isdigit()) or int(suffix) not in allowed:
            raise BallotError(N_("That option is not part of this round. Please reload the page."))
        dots[int(suffix)] = _as_int(value, field="dots")
    return dots


def read_ranking(fields: Mapping[str, Any], rnd: Round) -> tuple[int, ...]:
    """Read the ``rank`` field (one value or a list, best first) into option ids."""
    raw = fields.get("rank", [])
    if isinstance(raw, str | int):
        raw = [raw]
    if not isinstance(raw, list):
        raise BallotError(N_("The ranking could not be read. Please reload the page."))
    ranking = tuple(_as_int(v, field="rank") for v in raw)
    _refuse_information_only(ranking, rnd)
    return ranking[: rnd.ranked_places] if len(ranking) == len(rnd.option_ids) else ranking


def validate_dots(dots: Mapping[int, int], rnd: Round) -> dict[int, int]:
    """Check a dot ballot against the round's budget and per-option cap; return it without zeros."""
    allowed = set(rnd.option_ids)
    _refuse_information_only(dots, rnd)
    for option_id, count in dots.items():
        if option_id not in allowed:
            raise BallotError(N_("That option is not part of this round. Please reload the page."))
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise BallotError(N_("Dots must be zero or more."))
        if count > rnd.max_per_option:
            raise BallotError(
                N_("You can put at most {cap} dots on one option."), cap=rnd.max_per_option
            )
    used = sum(dots.values())
    if used > rnd.dots:
        raise BallotError(N_("You have {dots} dots to use, not {used}."), dots=rnd.dots, used=used)
    if used == 0:
        raise BallotError(N_("Place at least one dot before sending."))
    if rnd.must_use_all and used != usable_dots(rnd):
        raise BallotError(
            N_("Please use all {dots} of your dots before sending."), dots=usable_dots(rnd)
        )
    return {option_id: count for option_id, count in dots.items() if count}


def usable_dots(rnd: Round) -> int:
    """The most dots a ballot can place: the budget, or fewer if the per-option cap binds."""
    return min(rnd.dots, rnd.max_per_option * len(rnd.option_ids))


def validate_ranking(ranking: Sequence[int], rnd: Round) -> tuple[int, ...]:
    """Check a ranking names distinct options of the round and fills exactly its places."""
    allowed = set(rnd.option_ids)
    _refuse_information_only(ranking, rnd)
    if any(option_id not in allowed for option_id in ranking):
        raise BallotError(N_("That option is not part of this round. Please reload the page."))
    if len(set(ranking)) != len(ranking):
        raise BallotError(N_("Each option can appear only once in your ranking."))
    if len(ranking) != rnd.ranked_places:
        raise BallotError(N_("Please rank {places} options."), places=rnd.ranked_places)
    return tuple(ranking)


def _rows(scores: Mapping[int, float], order: Sequence[int], voters: Mapping[int, int]) -> tuple:
    """Order options by score (high first); equal scores share a place and keep ballot order."""
    position = {option_id: i for i, option_id in enumerate(order)}
    ranked = sorted(order, key=lambda o: (-scores[o], position[o]))
    rows = []
    for option_id in ranked:
        score = scores[option_id]
        place = 1 + sum(1 for other in order if scores[other] > score)
        tied = sum(1 for other in order if scores[other] == score) > 1
        rows.append(ResultRow(option_id, score, place, tied, voters.get(option_id, 0)))
    return tuple(rows)


def tally_dots(rnd: Round, ballots: Iterable[Ballot]) -> RoundResult:
    """Total dots per option, with how many people gave it any."""
    totals = dict.fromkeys(rnd.option_ids, 0)
    voters = dict.fromkeys(rnd.option_ids, 0)
    count = 0
    for ballot in ballots:
        count += 1
        for option_id, dots in ballot.dots.items():
            if option_id in totals and dots > 0:
                totals[option_id] += dots
                voters[option_id] += 1
    return RoundResult(RoundKind.DOTS, _rows(totals, rnd.option_ids, voters), count)


def borda_scores(options: Sequence[int], rankings: Iterable[Sequence[int]]) -> dict[int, float]:
    """Modified Borda count: a ballot ranking m options gives m points to its first, 1 to its last.

    Unranked options get nothing, so a top-k ballot never hands points to options it left out.
    """
    scores = dict.fromkeys(options, 0.0)
    for ranking in rankings:
        m = len(ranking)
        for i, option_id in enumerate(ranking):
            if option_id in scores:
                scores[option_id] += m - i
    return scores


def pairwise(options: Sequence[int], rankings: Iterable[Sequence[int]]) -> dict:
    """d[a][b]: how many ballots prefer a to b (ranked beats unranked; unranked are level)."""
    d = {a: dict.fromkeys(options, 0) for a in options}
    for ranking in rankings:
        pos = {option_id: i for i, option_id in enumerate(ranking)}
        unranked = len(ranking)
        for a in options:
            pa = pos.get(a, unranked)
            for b in options:
                if a != b and pa < pos.get(b, unranked):
                    d[a][b] += 1
    return d


def schulze_strengths(options: Sequence[int], d: Mapping) -> dict:
    """Strongest path strengths p[a][b] (winning votes), by the Floyd-Warshall widest path."""
    p = {a: dict.fromkeys(options, 0) for a in options}
    for a in options:
        for b in options:
            if a != b and d[a][b] > d[b][a]:
                p[a][b] = d[a][b]
    for k in options:
        for a in options:
            if a == k:
                continue
            for b in options:
                if b in (a, k):
                    continue
                p[a][b] = max(p[a][b], min(p[a][k], p[k][b]))
    return p


def schulze_wins(options: Sequence[int], rankings: Iterable[Sequence[int]]) -> dict[int, float]:
    """For each option, how many others it beats by the Schulze relation.

    The relation is transitive, so sorting by this count is a ranking consistent with it, and two
    options with the same count are genuinely tied.
    """
    p = schulze_strengths(options, pairwise(options, rankings))
    return {a: float(sum(1 for b in options if a != b and p[a][b] > p[b][a])) for a in options}


def tally_ranking(rnd: Round, ballots: Iterable[Ballot]) -> RoundResult:
    """Borda order (the headline), Schulze order, and whether they place options differently."""
    rankings = [ballot.ranking for ballot in ballots]
    firsts = dict.fromkeys(rnd.option_ids, 0)
    for ranking in rankings:
        for option_id in ranking:
            if option_id in firsts:
                firsts[option_id] += 1
    borda = _rows(borda_scores(rnd.option_ids, rankings), rnd.option_ids, firsts)
    schulze = _rows(schulze_wins(rnd.option_ids, rankings), rnd.option_ids, firsts)
    disagree = {r.option_id: r.place for r in borda} != {r.option_id: r.place for r in schulze}
    return RoundResult(RoundKind.RANK, borda, len(rankings), schulze, disagree)


def read_picks(fields: Mapping[str, Any], rnd: Round) -> tuple[int, ...]:
    """Read ``pick-<option id>`` checkboxes (or a ``picks`` list) into option ids."""
    raw = fields.get("picks")
    if raw is None:
        raw = [name.removeprefix("pick-") for name in fields if name.startswith("pick-")]
    elif isinstance(raw, str | int):
        raw = [raw]
    if not isinstance(raw, list):
        raise BallotError(N_("The picks could not be read. Please reload the page."))
    picks = tuple(_as_int(v, field="picks") for v in raw)
    _refuse_information_only(picks, rnd)
    return picks


def validate_picks(picks: Sequence[int], rnd: Round) -> tuple[int, ...]:
    """Check a budget ballot against the round's costs and budget (see budget.validate_picks)."""
    chosen = budget.validate_picks(picks, rnd.cost_of, rnd.budget or 0)
    return tuple(o for o in rnd.option_ids if o in chosen)


def tally_budget(rnd: Round, ballots: Iterable[Ballot]) -> RoundResult:
    """Supporters per option, and the funded set by the round's rule (and by the other rule)."""
    picks = [frozenset(ballot.picks) for ballot in ballots]
    costs, money = rnd.cost_of, rnd.budget or 0
    shares = budget.equal_shares(rnd.option_ids, costs, money, picks)
    greedy = budget.greedy(rnd.option_ids, costs, money, picks)
    chosen, other = (
        (shares, greedy) if rnd.budget_rule is BudgetRule.EQUAL_SHARES else (greedy, shares)
    )
    counts = {o: float(n) for o, n in chosen.supporters.items()}
    rows = _rows(counts, rnd.option_ids, chosen.supporters)
    return RoundResult(
        RoundKind.BUDGET,
        rows,
        len(picks),
        funded=chosen.funded,
        spent=chosen.spent,
        budget=money,
        other_funded=other.funded,
    )


def tally(rnd: Round, ballots: Iterable[Ballot]) -> RoundResult:
    """Count a round by its kind. An idea round has no ballots: its ideas are its result."""
    if rnd.kind is RoundKind.DOTS:
        return tally_dots(rnd, ballots)
    if rnd.kind is RoundKind.BUDGET:
        return tally_budget(rnd, ballots)
    if rnd.kind is RoundKind.RATING:
        return ratings.tally(rnd, ballots)
    if rnd.kind is RoundKind.IDEAS:
        return RoundResult(RoundKind.IDEAS, (), 0)
    return tally_ranking(rnd, ballots)
