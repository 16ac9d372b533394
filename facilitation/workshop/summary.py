"""How a workshop's closed rounds combine into one priority order; pure, no I/O.

The rule, stated on the summary page: in each closed round an option scores 1 for first place and 0
for last place, evenly in between (tied options share the score of their shared place). An option's
priority is the average of its scores over the closed rounds it was in. Equal averages are broken by
the most recent round's place, then by the workshop's option order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from facilitation import kinds
from facilitation.core.models import RoundResult


@dataclass(frozen=True, slots=True)
class Priority:
    option_id: int
    score: Fraction  # exact: equal averages are equal, never a float's last digit apart
    place: int
    tied: bool
    rounds: int
    places: tuple[tuple[int, int], ...]  # (round id, place) for each round the option was in


def round_scores(result: RoundResult) -> dict[int, Fraction]:
    """Score each option of one round between 1 (first place) and 0 (last place), as its
    round's kind combines places into priorities."""
    return kinds.get(result.kind).priority_scores(result)


def combine(results: Sequence[tuple[int, RoundResult]], option_order: Sequence[int]) -> list:
    """Combine (round id, result) pairs, oldest first, into priorities best first."""
    totals: dict[int, list[Fraction]] = {}
    places: dict[int, list[tuple[int, int]]] = {}
    latest_place: dict[int, int] = {}
    for round_id, result in results:
        for option_id, score in round_scores(result).items():
            totals.setdefault(option_id, []).append(score)
        for row in result.rows:
            places.setdefault(row.option_id, []).append((round_id, row.place))
            latest_place[row.option_id] = row.place
    position = {option_id: i for i, option_id in enumerate(option_order)}
    averages = {o: sum(s, Fraction(0)) / len(s) for o, s in totals.items()}
    ordered = sorted(
        averages,
        key=lambda o: (-averages[o], latest_place.get(o, 0), position.get(o, len(position))),
    )
    out = []
    for option_id in ordered:
        score = averages[option_id]
        place = 1 + sum(1 for o in averages if averages[o] > score)
        tied = sum(1 for o in averages if averages[o] == score) > 1
        out.append(
            Priority(
                option_id, score, place, tied, len(totals[option_id]), tuple(places[option_id])
            )
        )
    return out
