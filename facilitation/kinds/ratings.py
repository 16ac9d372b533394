"""Rating rounds: statements rated from 1 (strongly disagree) to 5 (strongly agree), or "don't
know". Pure: reading and checking a ballot, and the mean and spread per statement.

A "don't know" is recorded (as 0) so the organiser can see how many were unsure, but it is never
counted in the mean: the mean is over the people who gave a number. A statement nobody rated has
no mean and is listed last.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from facilitation.core.models import Ballot, ResultRow, Round, RoundKind, RoundResult
from facilitation.core.rules import N_, BallotError

DONT_KNOW = 0
SCALE = (1, 2, 3, 4, 5)


def read_ratings(fields: Mapping[str, Any], rnd: Round) -> dict[int, int]:
    """Read ``rate-<statement id>`` fields ("1".."5", or "dk") into {statement id: 0..5}."""
    allowed = set(rnd.option_ids)
    out: dict[int, int] = {}
    for name, value in fields.items():
        if not name.startswith("rate-"):
            continue
        suffix = name.removeprefix("rate-")
        if not (suffix.isascii() and suffix.isdigit()) or int(suffix) not in allowed:
            raise BallotError(N_("That option is not part of this round. Please reload the page."))
        if value in ("", None):
            continue
        if value == "dk":
            out[int(suffix)] = DONT_KNOW
        elif isinstance(value, str | int) and str(value) in {str(n) for n in SCALE}:
            out[int(suffix)] = int(value)
        else:
            raise BallotError(N_("Each rating must be from 1 to 5, or “don’t know”."))
    return out


def validate_ratings(ratings: Mapping[int, int], rnd: Round) -> dict[int, int]:
    """At least one statement answered, every value 0..5, only this round's statements."""
    allowed = set(rnd.option_ids)
    if any(o not in allowed for o in ratings):
        raise BallotError(N_("That option is not part of this round. Please reload the page."))
    if any(v not in (DONT_KNOW, *SCALE) for v in ratings.values()):
        raise BallotError(N_("Each rating must be from 1 to 5, or “don’t know”."))
    if not ratings:
        raise BallotError(N_("Answer at least one statement before sending."))
    return {o: ratings[o] for o in rnd.option_ids if o in ratings}


def spread(option_ids: Iterable[int], ballots: Iterable[Ballot]) -> dict[int, dict[int, int]]:
    """How many people gave each value (0 = don't know) to each statement."""
    counts = {o: dict.fromkeys((DONT_KNOW, *SCALE), 0) for o in option_ids}
    for ballot in ballots:
        for option_id, value in ballot.ratings.items():
            if option_id in counts and value in counts[option_id]:
                counts[option_id][value] += 1
    return counts


def means(option_ids: Iterable[int], ballots: Iterable[Ballot]) -> dict[int, float | None]:
    """The mean rating of each statement over those who gave a number; None if nobody did."""
    out: dict[int, float | None] = {}
    for option_id, counts in spread(option_ids, ballots).items():
        n = sum(counts[v] for v in SCALE)
        out[option_id] = round(sum(v * counts[v] for v in SCALE) / n, 2) if n else None
    return out


def tally(rnd: Round, ballots: Iterable[Ballot]) -> RoundResult:
    """Statements in the round's order (a health check is read as a profile, not a contest);
    score is the mean, voters how many gave a number."""
    ballots = list(ballots)
    counts = spread(rnd.option_ids, ballots)
    rows = []
    for option_id in rnd.option_ids:
        n = sum(counts[option_id][v] for v in SCALE)
        mean = sum(v * counts[option_id][v] for v in SCALE) / n if n else 0.0
        rows.append(ResultRow(option_id, round(mean, 2), 0, False, n))
    return RoundResult(RoundKind.RATING, tuple(rows), len(ballots))
