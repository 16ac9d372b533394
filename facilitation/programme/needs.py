"""The standing needs list: how round results across a programme become one priority order.

Pure. The rule, stated on the needs page: every closed round in the programme's workshops scores
its options from 1 (first place) to 0 (last place), evenly in between, ties sharing. A need's score
is the average of the scores of the options linked to it, each round weighted by how many ballots
it had (its turnout). A need never put to a vote has no score and follows the scored ones. A
facilitator may override a score, but only with a reason, and the page shows both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from facilitation.core.models import Action, Need, RoundResult
from facilitation.workshop.summary import round_scores


@dataclass(frozen=True, slots=True)
class RankedNeed:
    need: Need
    score: float | None  # what orders the list: the override if there is one
    computed: float | None  # what the rounds say
    rounds: int
    ballots: int
    place: int | None

    @property
    def overridden(self) -> bool:
        return self.need.override_score is not None


def rank_needs(
    needs: Sequence[Need], results: Sequence[tuple[int, RoundResult]]
) -> list[RankedNeed]:
    """Order needs by score, best first; unscored needs last in their own order."""
    per_option: dict[int, list[tuple[float, int]]] = {}
    for _round_id, result in results:
        for option_id, option_score in round_scores(result).items():
            per_option.setdefault(option_id, []).append((option_score, result.ballots))
    ranked = []
    for need in needs:
        pairs = [pair for o in need.option_ids for pair in per_option.get(o, [])]
        weight = sum(b for _s, b in pairs)
        computed = None
        if pairs:
            computed = (
                sum(s * b for s, b in pairs) / weight
                if weight
                else sum(s for s, _ in pairs) / len(pairs)
            )
        score = need.override_score if need.override_score is not None else computed
        ranked.append((need, score, computed, len(pairs), weight))
    position = {n.id: i for i, n in enumerate(needs)}
    ranked.sort(key=lambda r: (r[1] is None, -(r[1] or 0.0), -r[3], position[r[0].id]))
    out = []
    for need, score, computed, rounds, ballots in ranked:
        place = None
        if score is not None:
            place = 1 + sum(
                1 for r in ranked if r[1] is not None and round(r[1], 9) > round(score, 9)
            )
        out.append(RankedNeed(need, score, computed, rounds, ballots, place))
    return out


def by_need(actions: Sequence[Action], needs: Mapping[int, Need]) -> dict[int | None, list[Action]]:
    """Group actions under their need (None for actions not tied to one)."""
    grouped: dict[int | None, list[Action]] = {}
    for action in actions:
        key = action.need_id if action.need_id in needs else None
        grouped.setdefault(key, []).append(action)
    return grouped
