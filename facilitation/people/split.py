"""Pure: a round's results per group of answers to one profile question, under the rule of
people.groups (no group of fewer than 5 voters is ever shown), as a table and as CSV rows.

Only closed rounds are split, and always from the round's split basis (its ballots and answers as
they stood the first time it was split): see people.disclosure for the whole rule. Idea rounds
have no ballots to split.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from facilitation import kinds
from facilitation.core.models import (
    Ballot,
    Option,
    ResultRow,
    Round,
    RoundResult,
    RoundStatus,
)
from facilitation.people.groups import MIN_SIZE, Group, GroupKind, split, tally_groups
from facilitation.people.rules import ProfileQuestion


def splittable(rnd: Round) -> bool:
    """Whether a round's results may be split by group: a closed round with ballots."""
    return kinds.get(rnd.kind).splittable and rnd.status is RoundStatus.CLOSED


@dataclass(frozen=True, slots=True)
class GroupResult:
    group: Group[Ballot]
    result: RoundResult | None  # None: withheld, never counted

    def row(self, option_id: int) -> ResultRow | None:
        if self.result is None:
            return None
        return next((r for r in self.result.rows if r.option_id == option_id), None)


def split_round(
    rnd: Round,
    ballots: Sequence[Ballot],
    labels: Mapping[int, str | None],
    question: ProfileQuestion,
    min_size: int = MIN_SIZE,
) -> list[GroupResult]:
    """The round's ballots grouped by each voter's answer (``labels``: participant id to answer
    label, None if not said), each shown group counted alone. Groups are merged with the
    choices in the order of their ids (as people.disclosure checks them), then listed in the
    question's order."""
    by_participant = {b.participant_id: b for b in ballots}
    stable = [c.label for c in sorted(question.choices, key=lambda c: c.id)]
    groups = split(by_participant, labels, min_size, stable)
    shown_order = {c.label: i for i, c in enumerate(question.choices)}
    rank = {GroupKind.ANSWER: 0, GroupKind.NOT_SAID: 1, GroupKind.OTHER: 2}
    groups.sort(key=lambda g: (rank[g.kind], shown_order.get(g.label, len(shown_order))))
    counted = tally_groups(
        groups, lambda group_ballots: kinds.get(rnd.kind).tally(rnd, list(group_ballots))
    )
    return [GroupResult(group, result) for group, result in counted]


SPLIT_HEADER = (
    "round_id",
    "round",
    "question",
    "group",
    "group_kind",
    "group_size",
    "shown",
    "method",
    "place",
    "tied",
    "option_id",
    "option",
    "score",
    "supporters",
)


def split_rows(
    rnd: Round,
    question: ProfileQuestion,
    groups: Sequence[GroupResult],
    options: Mapping[int, Option],
    label_of: Callable[[Group], str],
) -> list[tuple]:
    """One row per option per shown group; a withheld group is one row with no figures and no
    size, since its size could be the one thing that identifies somebody."""
    rows: list[tuple] = []
    for g in groups:
        head = (rnd.id, rnd.title, question.label, label_of(g.group), g.group.kind.value)
        if g.result is None:
            rows.append((*head, "", "withheld", "", "", "", "", "", "", ""))
            continue
        for r in g.result.rows:
            option = options.get(r.option_id)
            rows.append(
                (
                    *head,
                    g.group.size,
                    "yes",
                    kinds.get(rnd.kind).method,
                    r.place,
                    "yes" if r.tied else "no",
                    r.option_id,
                    option.title if option else "",
                    kinds.get(rnd.kind).score_cell(r),
                    r.voters,
                )
            )
    return rows


def withheld_row(rnd: Round, question: ProfileQuestion, reason: str) -> tuple:
    """The one row a round gets when its split is withheld as a whole, with the reason's code."""
    return (rnd.id, rnd.title, question.label, "", "", "", reason, "", "", "", "", "", "", "")


def any_withheld(groups: Sequence[GroupResult]) -> bool:
    return any(g.result is None for g in groups)


def has_other(groups: Sequence[GroupResult]) -> bool:
    """Whether small groups were merged into a shown "other" group."""
    return any(g.group.kind is GroupKind.OTHER and g.result is not None for g in groups)
