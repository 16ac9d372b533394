"""The standing needs list: how round results across a programme become one priority order.

Pure. The rule, stated on the needs page: every closed round in the programme's workshops scores
its options from 1 (first place) to 0 (last place), evenly in between, ties sharing. A need's score
is the average of the scores of the options linked to it, each round weighted by how many ballots
it had (its turnout). A need never put to a vote has no score and follows the scored ones. A
facilitator may override a score, but only with a reason, and the page shows both.

Scores are exact fractions (a score set by hand is read as the decimal typed), so two scores are
equal exactly when they are: a computed 1/2 and a hand-set 0.5 share a place. Needs with equal
scores are listed by how many round results fed them (more first), then in the order they were
added; that order never changes their shared place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from facilitation.core.models import Action, Need, RoundResult
from facilitation.workshop.summary import round_scores


@dataclass(frozen=True, slots=True)
class RankedNeed:
    need: Need
    score: Fraction | None  # what orders the list: the override if there is one
    computed: Fraction | None  # what the rounds say
    rounds: int
    ballots: int
    place: int | None

    @property
    def overridden(self) -> bool:
        return self.need.override_score is not None


def exact(score: float) -> Fraction:
    """A score set by hand as the decimal it was typed as (0.5 is exactly one half)."""
    return Fraction(Decimal(repr(score)))


def rank_needs(
    needs: Sequence[Need], results: Sequence[tuple[int, RoundResult]]
) -> list[RankedNeed]:
    """Order needs by score, best first; unscored needs last in their own order."""
    per_option: dict[int, list[tuple[Fraction, int]]] = {}
    for _round_id, result in results:
        for option_id, option_score in round_scores(result).items():
            per_option.setdefault(option_id, []).append((option_score, result.ballots))
    ranked: list[tuple[Need, Fraction | None, Fraction | None, int, int]] = []
    for need in needs:
        pairs = [pair for o in need.option_ids for pair in per_option.get(o, [])]
        weight = sum(b for _s, b in pairs)
        computed = None
        if pairs:
            computed = (
                sum((s * b for s, b in pairs), Fraction(0)) / weight
                if weight
                else sum((s for s, _ in pairs), Fraction(0)) / len(pairs)
            )
        override = need.override_score
        score = exact(override) if override is not None else computed
        ranked.append((need, score, computed, len(pairs), weight))
    position = {n.id: i for i, n in enumerate(needs)}
    ranked.sort(key=lambda r: (r[1] is None, -(r[1] or 0), -r[3], position[r[0].id]))
    out = []
    for need, score, computed, rounds, ballots in ranked:
        place = None
        if score is not None:
            place = 1 + sum(1 for r in ranked if r[1] is not None and r[1] > score)
        out.append(RankedNeed(need, score, computed, rounds, ballots, place))
    return out


def by_need(actions: Sequence[Action], needs: Mapping[int, Need]) -> dict[int | None, list[Action]]:
    """Group actions under their need (None for actions not tied to one)."""
    grouped: dict[int | None, list[Action]] = {}
    for action in actions:
        key = action.need_id if action.need_id in needs else None
        grouped.setdefault(key, []).append(action)
    return grouped
