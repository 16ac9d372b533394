"""The rule that keeps what a round shows from singling anyone out, across every split, every
reopening and every download. Pure.

Counts add up: a group's result is the sum of its voters' ballots, so anyone holding several
shown results can add and subtract them. Splitting one round by one question is safe under the
rule of people.groups (every shown group has at least 5 voters, and so has whatever the shown
groups leave out of the total). What this module adds is everything that can be combined:

1. **One basis per round.** The first time a round's results are split (on screen, in the CSV, or
   in the PACT trend), its ballots and its voters' answers are fixed as they stand. Every split of
   that round, then and later, is counted from that basis. Reopening the round, changing a ballot
   or an answer afterwards changes its headline result but never its splits: two splits counted a
   ballot apart would show that ballot.
2. **Splits by several questions only where their crossing is safe.** A round may be split by a
   second question (and a third...) only if, crossing the groups of every question it has been
   split by, each combination that holds anybody holds at least 5 voters. Any sum or difference of
   shown groups is then made of whole combinations, so it holds nobody or at least 5 people.
   Otherwise the new split is withheld, and the page says which earlier split stands in the way.
3. **Never both splits and single ballots.** A round whose results have been split never has its
   ballots offered one by one (the ballots CSV, the JSON files, the workbook), and a round whose
   ballots have gone out one by one is never split: together they would place each ballot in its
   group.
4. **Removing answers withholds.** When somebody removes their answers and a split already shown
   counted them in an answer group, that round's splits are withheld for good, rather than shown
   again a person different.

What this does not hide: the room's own running totals. The live board shows the whole room's
count as each ballot arrives, and reopening a round changes its headline result; those show the
room as a whole, never a group, and the splits add nothing to them (tests/people/test_attacker.py
plays that attacker).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from facilitation.people.groups import MIN_SIZE, split


def partition(answers: Mapping[int, int | None], min_size: int = MIN_SIZE) -> dict[int, str]:
    """Each voter's shown group when a round is split by one question: ``answers`` maps every
    basis voter to their choice id (None: not said). Groups are merged exactly as a shown split
    merges them (people.groups), with the choices in the order of their ids, so the partition
    never depends on how the organiser later orders or renames the choices."""
    order = sorted({a for a in answers.values() if a is not None})
    groups = split(dict.fromkeys(answers, 0), answers, min_size, order)  # type: ignore[arg-type]
    return {p: f"{g.kind.value}:{g.label}" for g in groups for p in g.participant_ids}


def may_release(
    memberships: Mapping[int, Mapping[int, int | None]], min_size: int = MIN_SIZE
) -> bool:
    """Whether every question in ``memberships`` (question id -> voter -> choice id) may be shown
    for one round together: each combination of their shown groups that holds anybody holds at
    least ``min_size`` voters."""
    parts = [partition(answers, min_size) for answers in memberships.values()]
    if not parts or len(parts[0]) < min_size:
        return True  # fewer voters than that in all: no split shows any group (people.groups)
    voters = parts[0].keys()
    cells = Counter(tuple(part[v] for part in parts) for v in voters)
    return all(n >= min_size for n in cells.values())
