"""Rating rounds: statements rated from 1 (strongly disagree) to 5 (strongly agree), or "don't
know". A statement's score is its mean over the people who gave a number; "don't know" is
recorded (as 0) and counted, so the organiser sees how many were unsure, but never averaged in.
A statement nobody rated has no mean. Statements keep the order they were asked in: a set of
ratings is read as a profile, not a contest."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from facilitation.core.errors import BadRequest, BallotError, Conflict
from facilitation.core.i18n import N_
from facilitation.core.models import Ballot, Option, ResultRow, Round, RoundResult
from facilitation.kinds.base import (
    NOT_IN_ROUND,
    Kind,
    one_of,
    per_option,
    per_option_of,
    read_per_option,
)

DONT_KNOW = 0
SCALE = (1, 2, 3, 4, 5)
OUT_OF_SCALE = N_("Each rating must be from 1 to 5, or “don’t know”.")


def entry(ratings: Mapping[int, int]) -> dict[str, Any]:
    """A rating ballot as it is stored."""
    return per_option("ratings", ratings)


def ratings_of(ballot_entry: Mapping[str, Any] | None) -> dict[int, int]:
    """A stored ballot's ratings by statement id (0 is "don't know")."""
    return per_option_of("ratings", ballot_entry)


def read_ratings(fields: Mapping[str, Any], rnd: Round) -> dict[int, int]:
    """Read ``rate-<statement id>`` fields ("1".."5", or "dk") into {statement id: 0..5}."""
    return read_per_option(fields, "rate-", rnd, _rating)


def _rating(value: Any) -> int:
    return DONT_KNOW if value == "dk" else one_of(value, SCALE, OUT_OF_SCALE)


def validate_ratings(ratings: Mapping[int, int], rnd: Round) -> dict[int, int]:
    """At least one statement answered, every value 0..5, only this round's statements."""
    allowed = set(rnd.option_ids)
    if any(o not in allowed for o in ratings):
        raise BallotError(NOT_IN_ROUND)
    if any(v not in (DONT_KNOW, *SCALE) for v in ratings.values()):
        raise BallotError(OUT_OF_SCALE)
    if not ratings:
        raise BallotError(N_("Answer at least one statement before sending."))
    return {o: ratings[o] for o in rnd.option_ids if o in ratings}


def spread(option_ids: Iterable[int], ballots: Iterable[Ballot]) -> dict[int, dict[int, int]]:
    """How many people gave each value (0 = don't know) to each statement."""
    counts = {o: dict.fromkeys((DONT_KNOW, *SCALE), 0) for o in option_ids}
    for ballot in ballots:
        for option_id, value in ratings_of(ballot.entry).items():
            if option_id in counts and value in counts[option_id]:
                counts[option_id][value] += 1
    return counts


def tally_ratings(rnd: Round, ballots: Sequence[Ballot]) -> RoundResult:
    """Statements in the round's order; score is the mean, voters how many gave a number, and
    the spread of answers is kept with the result."""
    counts = spread(rnd.option_ids, ballots)
    rows = []
    for option_id in rnd.option_ids:
        n = sum(counts[option_id][v] for v in SCALE)
        mean = sum(v * counts[option_id][v] for v in SCALE) / n if n else 0.0
        # The mean as computed, unrounded: it is rounded once, where it is shown (Kind.score_text).
        rows.append(ResultRow(option_id, mean, 0, False, n))
    return RoundResult(KIND.name, tuple(rows), len(ballots))


class Rating(Kind):
    name = "rating"
    label = N_("Rating")
    hint = N_("rate statements from 1 to 5")
    order = 50
    min_options = 1
    ranks_options = False  # a profile of statements in the order asked: every place is 0
    means = True
    method = "mean_rating"
    ballot_columns = ("rating",)

    def check_choice(self, chosen: int, votable: int) -> None:
        if votable < 1:
            raise BadRequest("Choose at least one statement for people to rate.")

    def check_ready(self, rnd: Round, options: Mapping[int, Option]) -> None:
        if not rnd.option_ids:
            raise Conflict("This round has no statements to rate. Edit the round first.")

    def read_ballot(self, fields: Mapping[str, Any], rnd: Round) -> dict[str, Any]:
        return entry(validate_ratings(read_ratings(fields, rnd), rnd))

    def ballot_context(self, rnd: Round, ballot_entry: Mapping[str, Any] | None) -> dict[str, Any]:
        return {"mine": ratings_of(ballot_entry)}

    def ballot_cells(self, ballot_entry: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
        return {o: {"rating": v} for o, v in sorted(ratings_of(ballot_entry).items())}

    def tally(self, rnd: Round, ballots: Sequence[Ballot]) -> RoundResult:
        return tally_ratings(rnd, ballots)

    def display(
        self,
        rnd: Round,
        result: RoundResult,
        options: Mapping[int, Option],
        ballots: Sequence[Ballot] | None = None,
    ) -> dict[str, Any]:
        return {"spread": spread(rnd.option_ids, ballots) if ballots is not None else {}}

    def bar_top(self, result: RoundResult) -> float:
        return float(SCALE[-1])  # bars against the top of the scale, not the best mean


KIND = Rating()
