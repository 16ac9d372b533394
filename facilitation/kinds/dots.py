"""Dot voting: each person shares out a number of dots, with a most-per-option cap (a cap of 1
makes it approval voting). An option's score is its dots over everyone's last saved ballot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from facilitation.core.errors import BallotError
from facilitation.core.forms import is_ticked, read_whole
from facilitation.core.i18n import N_
from facilitation.core.models import Ballot, Option, Round, RoundResult
from facilitation.kinds.base import (
    Kind,
    as_int,
    keyed,
    option_suffix,
    per_option,
    placed,
    refuse_information_only,
)

WHOLE = N_("Dots must be whole numbers, such as 0, 1 or 2.")


def dots_of(rnd: Round) -> int:
    """Dots each person has."""
    return int(rnd.settings.get("dots", 5))


def cap_of(rnd: Round) -> int:
    """The most dots one option may take from one person."""
    return int(rnd.settings.get("max_per_option", 3))


def must_use_all(rnd: Round) -> bool:
    return bool(rnd.settings.get("must_use_all", False))


def usable_dots(rnd: Round) -> int:
    """The most dots a ballot can place: the budget, or fewer if the per-option cap binds."""
    return min(dots_of(rnd), cap_of(rnd) * len(rnd.option_ids))


def entry(dots: Mapping[int, int]) -> dict[str, Any]:
    """A dot ballot as it is stored."""
    return per_option("dots", dots)


def placed_dots(ballot_entry: Mapping[str, Any]) -> dict[int, int]:
    """A stored ballot's dots by option id."""
    return keyed(ballot_entry.get("dots", {}))


def read_dots(fields: Mapping[str, Any], rnd: Round) -> dict[int, int]:
    """Read ``dots-<option id>`` fields into {option id: dots}, refusing unknown options."""
    return {
        option_suffix(name, "dots-", rnd): as_int(value, WHOLE)
        for name, value in fields.items()
        if name.startswith("dots-")
    }


def validate_dots(dots: Mapping[int, int], rnd: Round) -> dict[int, int]:
    """Check a dot ballot against the round's dots and per-option cap; return it without zeros."""
    allowed = set(rnd.option_ids)
    refuse_information_only(dots, rnd)
    for option_id, count in dots.items():
        if option_id not in allowed:
            raise BallotError(N_("That option is not part of this round. Please reload the page."))
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise BallotError(N_("Dots must be zero or more."))
        if count > cap_of(rnd):
            raise BallotError(N_("You can put at most {cap} dots on one option."), cap=cap_of(rnd))
    used = sum(dots.values())
    if used > dots_of(rnd):
        raise BallotError(
            N_("You have {dots} dots to use, not {used}."), dots=dots_of(rnd), used=used
        )
    if used == 0:
        raise BallotError(N_("Place at least one dot before sending."))
    if must_use_all(rnd) and used != usable_dots(rnd):
        raise BallotError(
            N_("Please use all {dots} of your dots before sending."), dots=usable_dots(rnd)
        )
    return {option_id: count for option_id, count in dots.items() if count}


def tally_dots(rnd: Round, ballots: Sequence[Ballot]) -> RoundResult:
    """Total dots per option, with how many people gave it any."""
    totals = dict.fromkeys(rnd.option_ids, 0)
    voters = dict.fromkeys(rnd.option_ids, 0)
    for ballot in ballots:
        for option_id, dots in placed_dots(ballot.entry).items():
            if option_id in totals and dots > 0:
                totals[option_id] += dots
                voters[option_id] += 1
    return RoundResult(KIND.name, placed(totals, rnd.option_ids, voters), len(ballots))


class Dots(Kind):
    name = "dots"
    label = N_("Dot voting")
    hint = N_("share out dots")
    order = 10
    default = True
    feeds_priorities = True
    method = "dots"
    ballot_columns = ("dots",)

    def read_settings(self, form: Mapping[str, Any], options: Sequence[Option]) -> dict[str, Any]:
        dots = read_whole(form.get("dots", 5), N_("Dots per person"), 1, 100)
        cap = read_whole(form.get("max_per_option", 3), N_("Most dots on one option"), 1, 100)
        return {
            "dots": dots,
            "max_per_option": min(cap, dots),
            "must_use_all": is_ticked(form.get("must_use_all")),
        }

    def read_ballot(self, fields: Mapping[str, Any], rnd: Round) -> dict[str, Any]:
        return entry(validate_dots(read_dots(fields, rnd), rnd))

    def ballot_context(self, rnd: Round, ballot_entry: Mapping[str, Any] | None) -> dict[str, Any]:
        mine = placed_dots(ballot_entry or {})
        return {"mine": mine, "used": sum(mine.values()), "usable_dots": usable_dots(rnd)}

    def ballot_cells(self, ballot_entry: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
        return {o: {"dots": n} for o, n in sorted(placed_dots(ballot_entry).items())}

    def tally(self, rnd: Round, ballots: Sequence[Ballot]) -> RoundResult:
        return tally_dots(rnd, ballots)


KIND = Dots()
