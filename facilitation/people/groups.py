"""Splitting a round's results by one profile question without exposing anyone's ballot.

Pure. The rule, with ``min_size`` (5 unless the caller says otherwise):

1. Each voter falls in the group of the answer they gave to the question. Those who skipped it or
   preferred not to say form one group, "not said".
2. A group with at least ``min_size`` voters is shown on its own.
3. Every smaller group is merged into one group, "other", which never names what is inside it:
   saying that "other" holds a given answer would say that somebody with that answer voted.
4. The round's total is shown anyway, so whatever is not shown can be found by subtracting the
   shown groups from it. So "other", when it has voters but fewer than ``min_size``, also takes
   the smallest group shown on its own (the last in the order below, if sizes tie); it then holds
   at least ``min_size`` voters and is shown.
5. When there are no groups left to merge (fewer than ``min_size`` voters in all), the one group
   left is withheld and nothing is shown split.

So every shown group has at least ``min_size`` voters, and the voters in no shown group are
either nobody or everybody: subtracting shown groups from the total never isolates fewer than
``min_size`` ballots. This protects one split of one round. It does not stop somebody comparing
the same round's results taken at two moments (one ballot apart), so splits belong to closed
rounds.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from facilitation.core.i18n import N_

B = TypeVar("B")
R = TypeVar("R")

MIN_SIZE = 5


class GroupKind(enum.StrEnum):
    ANSWER = "answer"  # the label is the answer, as the organiser wrote it: never translated
    NOT_SAID = "not_said"
    OTHER = "other"


# Labels for the groups that are not answers (translated where shown).
NOT_SAID = N_("Not said")
OTHER = N_("Other")


@dataclass(frozen=True, slots=True)
class Group(Generic[B]):
    kind: GroupKind
    label: str
    participant_ids: tuple[int, ...]
    ballots: tuple[B, ...]
    withheld: bool = False

    @property
    def size(self) -> int:
        return len(self.participant_ids)


def split(
    ballots_by_participant: Mapping[int, B],
    group_of_participant: Mapping[int, str | None],
    min_size: int = MIN_SIZE,
    order: Sequence[str] = (),
) -> list[Group[B]]:
    """Voters grouped by their answer under the rule above: answers in ``order`` (then the rest
    alphabetically), "not said", then "other"; withheld groups are marked, never dropped."""
    if min_size < 1:
        raise ValueError("min_size must be at least 1")
    buckets: dict[str | None, list[int]] = {}
    for participant_id in sorted(ballots_by_participant):
        buckets.setdefault(group_of_participant.get(participant_id), []).append(participant_id)
    position = {label: i for i, label in enumerate(order)}
    keys = sorted(
        buckets,
        key=lambda k: (k is None, position.get(k, len(position)) if k is not None else 0, k or ""),
    )
    shown = [k for k in keys if len(buckets[k]) >= min_size]
    other = sorted(p for k in keys if k not in shown for p in buckets[k])
    if 0 < len(other) < min_size and shown:
        smallest = min(reversed(shown), key=lambda k: len(buckets[k]))
        shown.remove(smallest)
        other = sorted(other + buckets[smallest])

    def group(kind: GroupKind, label: str, ids: Sequence[int], withheld: bool = False) -> Group:
        return Group(
            kind,
            label,
            tuple(ids),
            tuple(ballots_by_participant[p] for p in ids),
            withheld,
        )

    groups = [
        group(GroupKind.ANSWER, k, buckets[k])
        if k is not None
        else group(GroupKind.NOT_SAID, NOT_SAID, buckets[k])
        for k in shown
    ]
    if other:
        groups.append(group(GroupKind.OTHER, OTHER, other, withheld=len(other) < min_size))
    return groups


def tally_groups(
    groups: Sequence[Group[B]], count: Callable[[list[B]], R]
) -> list[tuple[Group[B], R | None]]:
    """Each group with its result counted by ``count``; a withheld group is never counted."""
    return [(g, None if g.withheld else count(list(g.ballots))) for g in groups]
