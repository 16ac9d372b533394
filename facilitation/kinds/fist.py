"""Fist of five: a quick consensus check. For each proposal a person shows 0 to 5 fingers, from
0 (no: I block this) to 5 (full support: I will help make it happen). A proposal has consensus
when everyone who answered shows 3 or more; anyone showing 1 or 2 has concerns the room should
hear, and a 0 blocks it until the room has talked. Proposals keep the order they were asked in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from facilitation.core.errors import BadRequest, BallotError, Conflict
from facilitation.core.i18n import N_
from facilitation.core.models import Ballot, Option, ResultRow, Round, RoundResult
from facilitation.kinds.base import Kind, one_of, per_option, per_option_of, read_per_option

FINGERS = (0, 1, 2, 3, 4, 5)
MEANINGS = {
    0: N_("No: I block this"),
    1: N_("Serious concerns: it needs changing"),
    2: N_("Some concerns to talk about"),
    3: N_("I can go along with it"),
    4: N_("I support it"),
    5: N_("Full support: I will help"),
}
CONSENSUS, CONCERNS, BLOCKED, NO_ANSWERS = "consensus", "concerns", "blocked", "none"
VERDICTS = {
    CONSENSUS: N_("Consensus"),
    CONCERNS: N_("Concerns to hear"),
    BLOCKED: N_("Blocked"),
    NO_ANSWERS: N_("No answers yet"),
}
# The board's badge for each verdict, in the house's tones.
TONES = {CONSENSUS: "tone-good", CONCERNS: "tone-warn", BLOCKED: "tone-bad", NO_ANSWERS: ""}
OUT_OF_RANGE = N_("Show from 0 to 5 fingers for each proposal.")


def entry(fingers: Mapping[int, int]) -> dict[str, Any]:
    """A fist-of-five ballot as it is stored."""
    return per_option("fingers", fingers)


def fingers_of(ballot_entry: Mapping[str, Any] | None) -> dict[int, int]:
    return per_option_of("fingers", ballot_entry)


def read_fingers(fields: Mapping[str, Any], rnd: Round) -> dict[int, int]:
    """Read ``fist-<proposal id>`` fields ("0".."5") into {proposal id: fingers}; every
    proposal of the round answered at least once is required."""
    out = read_per_option(fields, "fist-", rnd, lambda value: one_of(value, FINGERS, OUT_OF_RANGE))
    if not out:
        raise BallotError(N_("Show your fingers for at least one proposal before sending."))
    return {o: out[o] for o in rnd.option_ids if o in out}


def spread(option_ids: Sequence[int], ballots: Sequence[Ballot]) -> dict[int, list[int]]:
    """How many people showed each number of fingers, per proposal."""
    counts = {o: [0] * len(FINGERS) for o in option_ids}
    for ballot in ballots:
        for option_id, shown in fingers_of(ballot.entry).items():
            if option_id in counts and shown in FINGERS:
                counts[option_id][shown] += 1
    return counts


def verdict(counts: Sequence[int]) -> str:
    """Consensus, concerns or blocked, from how many showed each number of fingers."""
    if not sum(counts):
        return NO_ANSWERS
    if counts[0]:
        return BLOCKED
    if counts[1] or counts[2]:
        return CONCERNS
    return CONSENSUS


def tally_fingers(rnd: Round, ballots: Sequence[Ballot]) -> RoundResult:
    """Proposals in the round's order: score is the mean number of fingers, voters how many
    answered; the spread is kept with the result, for the verdict."""
    counts = spread(rnd.option_ids, ballots)
    rows = []
    for option_id in rnd.option_ids:
        shown = counts[option_id]
        n = sum(shown)
        mean = sum(f * shown[f] for f in FINGERS) / n if n else 0.0
        rows.append(ResultRow(option_id, mean, 0, False, n))
    details = {"spread": {str(o): c for o, c in counts.items()}}
    return RoundResult(KIND.name, tuple(rows), len(ballots), details)


class FistOfFive(Kind):
    name = "fist"
    label = N_("Fist of five")
    hint = N_("check for consensus, 0 to 5 fingers")
    order = 60
    min_options = 1
    ranks_options = False  # a verdict per proposal, in the order asked: not a contest
    means = True
    method = "mean_fingers"
    ballot_columns = ("fingers",)
    result_columns = ("verdict",)
    meanings = MEANINGS
    tones = TONES

    def ballot_context(self, rnd: Round, ballot_entry: Mapping[str, Any] | None) -> dict[str, Any]:
        return {"mine": fingers_of(ballot_entry)}

    def check_choice(self, chosen: int, votable: int) -> None:
        if votable < 1:
            raise BadRequest("Choose at least one proposal for the room to show fingers on.")

    def check_ready(self, rnd: Round, options: Mapping[int, Option]) -> None:
        if not rnd.option_ids:
            raise Conflict("This round has no proposals to show fingers on. Edit the round first.")

    def read_ballot(self, fields: Mapping[str, Any], rnd: Round) -> dict[str, Any]:
        return entry(read_fingers(fields, rnd))

    def ballot_cells(self, ballot_entry: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
        return {o: {"fingers": n} for o, n in sorted(fingers_of(ballot_entry).items())}

    def tally(self, rnd: Round, ballots: Sequence[Ballot]) -> RoundResult:
        return tally_fingers(rnd, ballots)

    def export_results(self, result: RoundResult) -> dict[str, Any]:
        spread = result.details.get("spread", {})
        return {"fingers": spread, "verdicts": {o: verdict(c) for o, c in spread.items()}}

    def result_cells(self, rnd: Round, result: RoundResult, option_id: int) -> dict[str, Any]:
        counts = result.details.get("spread", {}).get(str(option_id), [0] * len(FINGERS))
        return {"verdict": verdict(counts)}

    def display(
        self,
        rnd: Round,
        result: RoundResult,
        options: Mapping[int, Option],
        ballots: Sequence[Ballot] | None = None,
    ) -> dict[str, Any]:
        stored = result.details.get("spread", {})
        counts = {o: stored.get(str(o), [0] * len(FINGERS)) for o in rnd.option_ids}
        return {
            "fingers": counts,
            "verdicts": {o: verdict(c) for o, c in counts.items()},
            "VERDICTS": VERDICTS,
            "MEANINGS": MEANINGS,
        }

    def bar_top(self, result: RoundResult) -> float:
        return float(FINGERS[-1])


KIND = FistOfFive()
