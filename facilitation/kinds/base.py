"""What every round kind answers when the rest of the product asks: the Kind interface, and the
small rules several kinds share (reading whole numbers, places and ties).

The core calls, the kind answers: nothing outside kinds/ branches on which kind a round is. A kind
works on plain data: a round's ``settings`` and a ballot's ``entry`` are exactly what is stored
(JSON, option ids as text where they are keys), so what is counted is always what was saved.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

from facilitation.core import formats
from facilitation.core.errors import BadRequest, BallotError, Conflict
from facilitation.core.forms import typed_digits
from facilitation.core.i18n import N_
from facilitation.core.models import Ballot, Option, ResultRow, Round, RoundResult

MAX_FIELD_CHARS = 12

NOT_IN_ROUND = N_("That option is not part of this round. Please reload the page.")
NOT_UP_FOR_DECISION = N_(
    "That option is not up for decision: it is shown for information and cannot be voted on."
)
# The tie rule every ranked result follows, stated on its results page.
TIE_RULE = N_(
    "Ties: options with the same score share a place and are marked as tied. They are listed in "
    "the order they appeared on the ballot; that order does not break the tie."
)

# How every mean is rounded, stated where means are shown.
ROUNDING_RULE = N_(
    "Means are worked out exactly and rounded once, halves away from zero: to one decimal place "
    "here (1.45 shows as 1.5), to two in the downloads."
)
SHOWN_PLACES = 1  # decimal places of a mean on screens, on the board and in the report
EXPORT_PLACES = 2  # decimal places of a mean in CSV, workbook and JSON downloads


def mean_of(score: float, count: int) -> Fraction:
    """The exact mean a stored score stands for: a whole total over ``count`` answers (the
    total is recovered from the score, so a float's last digits never decide a rounding)."""
    if count <= 0:
        return Fraction(0)
    return Fraction(round(score * count), count)


def round_half_away(value: Fraction, places: int) -> Decimal:
    """``value`` rounded to ``places`` decimals, halves away from zero, in exact arithmetic."""
    scale = 10**places
    whole, rest = divmod(abs(value.numerator) * scale, value.denominator)
    if 2 * rest >= value.denominator:
        whole += 1
    sign = -1 if value < 0 else 1
    return Decimal(sign * whole).scaleb(-places)


def rounded(value: Fraction, places: int = SHOWN_PLACES) -> str:
    """A mean as text, rounded once by ROUNDING_RULE: ``rounded(Fraction(16, 11))`` is "1.5"."""
    return f"{round_half_away(value, places):f}"


def mean_text(value: Fraction, places: int = SHOWN_PLACES) -> str:
    """A mean as a person reads it: rounded once by ROUNDING_RULE, then written the current
    language's way (core.formats): "1.5", "1,5", "١٫٥"."""
    return formats.decimal(float(round_half_away(value, places)), places)


class Kind:
    """One kind of round. Subclasses set the class attributes and override what differs.

    Templates live in ``templates/kinds/<name>/``: settings.html (the round form's fields),
    describe.html (one line about the round), ballot.html (the phone's ballot), closed.html (the
    phone once voting has closed: what I sent), board.html (results on the board and phones),
    results.html and method.html (the results page's tables and how they were counted),
    paper.html (copying a paper sheet), sheet.html (the paper sheet to print, its options in the
    paper form's order).
    """

    name: ClassVar[str]  # stored with the round, and the name of its template folder
    label: ClassVar[str]  # how it is named on the console, the board and in exports
    hint: ClassVar[str]  # a few words beside the label in the round form
    order: ClassVar[int] = 100  # its place in the round form's list
    default: ClassVar[bool] = False  # the kind the round form starts on
    min_options: ClassVar[int] = 2  # votable options a round needs before it can open
    takes_options: ClassVar[bool] = True  # False: the room brings the entries, not the options
    collects_ideas: ClassVar[bool] = False  # entries are ideas for the desk, not ballots
    feeds_priorities: ClassVar[bool] = False  # its places feed the summary and the needs list
    splittable: ClassVar[bool] = True  # its results may be split by group once closed
    ranks_options: ClassVar[bool] = True  # its results place options (with ties), not a profile
    means: ClassVar[bool] = False  # its scores are means over those who answered, not totals
    method: ClassVar[str] = ""  # what its headline score is, as the exports name it
    tie_rule: ClassVar[str] = TIE_RULE  # how its ties are settled, said on its results page
    ballot_columns: ClassVar[tuple[str, ...]] = ()  # its own columns in the ballots CSV
    result_columns: ClassVar[tuple[str, ...]] = ()  # its own columns in the results CSV

    # -- the round ----------------------------------------------------------------------------

    def rules_parts(self, rnd: Round) -> list[str]:
        """The round's settings as ``name=value`` parts for a compact, language-neutral line."""
        return [f"{name}={_cell(value)}" for name, value in rnd.settings.items()]

    def read_settings(self, form: Mapping[str, Any], options: Sequence[Option]) -> dict[str, Any]:
        """The kind's own settings from the round form (``options``: the votable ones chosen),
        checked before anything is written."""
        return {}

    def check_choice(self, chosen: int, votable: int) -> None:
        """Refuse a round form that chose too few options (``chosen``: all ticked, ``votable``:
        those the room may vote on, not-negotiable ones being shown for information only)."""
        if chosen < 2:
            raise BadRequest("Choose at least two options for the round.")
        if votable < 2:
            raise BadRequest(
                "Choose at least two options for the round that the room can vote on "
                "(not-negotiable options are shown for information only)."
            )

    def check_ready(self, rnd: Round, options: Mapping[int, Option]) -> None:
        """Refuse (Conflict) to open a round that could not be voted on as it stands."""
        if len(rnd.option_ids) < self.min_options:
            raise Conflict(
                "This round has fewer than two options the room can vote on. Edit the round first."
            )

    # -- ballots ------------------------------------------------------------------------------

    def read_ballot(self, fields: Mapping[str, Any], rnd: Round) -> dict[str, Any]:
        """A phone's (or paper sheet's) fields as the entry to store; BallotError if refused."""
        raise NotImplementedError

    def paper_fields(self, rnd: Round, form: Mapping[str, Any]) -> Mapping[str, Any]:
        """A paper sheet's form as the fields a phone would send (most kinds: the same)."""
        return form

    def ballot_context(self, rnd: Round, entry: Mapping[str, Any] | None) -> dict[str, Any]:
        """What the kind's ballot and closed templates need besides the round: ``mine``, the
        saved entry as the kind reads it, and anything worked out from it."""
        return {"mine": entry or {}}

    def phone_order(
        self, rnd: Round, entry: Mapping[str, Any] | None, participant_id: int
    ) -> list[int]:
        """The order a phone lists the round's options in: shuffled for each person, so that no
        option gains from being listed first, and the same for that person on every reload."""
        return shuffled(rnd, participant_id)

    def ballot_cells(self, entry: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
        """What a stored entry says about each option, by ballot column, for the ballots CSV."""
        return {}

    # -- results ------------------------------------------------------------------------------

    def tally(self, rnd: Round, ballots: Sequence[Ballot]) -> RoundResult:
        """Count a round from its ballots."""
        raise NotImplementedError

    def result_tables(self, result: RoundResult) -> list[tuple[str, Sequence[ResultRow]]]:
        """(method, rows) for each order the results CSV lists: the headline, and any other."""
        return [(self.method, result.rows)]

    def result_cells(self, rnd: Round, result: RoundResult, option_id: int) -> dict[str, Any]:
        """The kind's own results-CSV columns for one option."""
        return {}

    def display(
        self,
        rnd: Round,
        result: RoundResult,
        options: Mapping[int, Option],
        ballots: Sequence[Ballot] | None = None,
    ) -> dict[str, Any]:
        """Anything more the kind's board and results templates need (pure, no I/O); the
        results page also passes the ballots, for figures a result does not keep."""
        return {}

    def export_results(self, result: RoundResult) -> dict[str, Any]:
        """The kind's own figures for the JSON export (plain JSON values)."""
        return {}

    def score_text(self, row: ResultRow) -> str:
        """A row's score as the room reads it: a total as a whole number, a mean rounded once
        (ROUNDING_RULE), or "–" for a mean nobody gave."""
        if self.means:
            return mean_text(mean_of(row.score, row.voters)) if row.voters else "–"
        return formats.number(row.score)

    def score_cell(self, row: ResultRow) -> float | int | str:
        """A row's score for a download: a total as it is, a mean rounded once to EXPORT_PLACES
        (blank for a mean nobody gave)."""
        if self.means:
            if not row.voters:
                return ""
            mean = round_half_away(mean_of(row.score, row.voters), EXPORT_PLACES)
            return int(mean) if mean == mean.to_integral_value() else float(mean)
        return int(row.score) if float(row.score).is_integer() else round(row.score, 2)

    def bar_top(self, result: RoundResult) -> float:
        """The score a full-width bar stands for: the leading score, unless the kind has a scale."""
        return max((r.score for r in result.rows), default=0) or 1

    def priority_scores(self, result: RoundResult) -> dict[int, Fraction]:
        """Each option's place as a score from 1 (first) to 0 (last), ties sharing their place;
        exact fractions, so that scores worked out two ways compare equal when they are."""
        n = len(result.rows)
        if n <= 1:
            return {row.option_id: Fraction(1) for row in result.rows}
        return {row.option_id: Fraction(n - row.place, n - 1) for row in result.rows}


# -- rules several kinds share -------------------------------------------------------------------


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def shuffled(rnd: Round, participant_id: int) -> list[int]:
    """The round's options in an order of this person's own: a shuffle seeded by the round and
    the participant, so it differs between people and stays put across reloads and restarts
    (a text seed is hashed the same way in every process)."""
    order = list(rnd.option_ids)
    random.Random(f"ballot-order:{rnd.id}:{participant_id}").shuffle(order)
    return order


def as_int(value: Any, message: str) -> int:
    """A whole number as a form or a socket sends it; an empty field is 0."""
    if isinstance(value, bool):
        raise BallotError(message)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = typed_digits(value.strip())
        if text == "":
            return 0
        # isascii: str.isdigit() also accepts characters such as "²" that int() refuses.
        if len(text) <= MAX_FIELD_CHARS and text.isascii() and text.removeprefix("-").isdigit():
            return int(text)
    raise BallotError(message)


def option_suffix(name: str, prefix: str, rnd: Round) -> int:
    """The option id in a field named ``<prefix><id>``; refused unless it is on the ballot."""
    suffix = name.removeprefix(prefix)
    # Short before int(): it refuses strings of over 4300 digits with a ValueError of its own.
    if not (suffix.isascii() and suffix.isdigit() and len(suffix) <= MAX_FIELD_CHARS):
        raise BallotError(NOT_IN_ROUND)
    option_id = int(suffix)
    refuse_information_only((option_id,), rnd)
    if option_id not in rnd.option_ids:
        raise BallotError(NOT_IN_ROUND)
    return option_id


def refuse_information_only(option_ids: Iterable[int], rnd: Round) -> None:
    """A not-negotiable option is shown with the round but never takes dots or a place."""
    if rnd.info_option_ids and not set(option_ids).isdisjoint(rnd.info_option_ids):
        raise BallotError(NOT_UP_FOR_DECISION)


def keyed(entry_part: Mapping[str, Any]) -> dict[int, Any]:
    """A stored mapping keyed by option id (text in JSON) with integer keys again."""
    return {int(k): v for k, v in entry_part.items()}


def per_option(key: str, values: Mapping[int, int]) -> dict[str, Any]:
    """An entry giving options a whole number each, as it is stored: ``{key: {"<id>": n}}``."""
    return {key: {str(k): v for k, v in sorted(values.items())}}


def per_option_of(key: str, entry: Mapping[str, Any] | None) -> dict[int, int]:
    """The numbers a stored ``per_option`` entry gives, by option id (none for no entry)."""
    return {k: int(v) for k, v in keyed((entry or {}).get(key, {})).items()}


def read_per_option(
    fields: Mapping[str, Any], prefix: str, rnd: Round, read: Callable[[Any], int]
) -> dict[int, int]:
    """Fields named ``<prefix><option id>`` as {option id: ``read(value)``}; an empty field is
    no answer, and ``read`` raises BallotError for a value it refuses."""
    out: dict[int, int] = {}
    for name, value in fields.items():
        if not name.startswith(prefix):
            continue
        option_id = option_suffix(name, prefix, rnd)
        if value in ("", None):
            continue
        out[option_id] = read(value)
    return out


def one_of(value: Any, allowed: Iterable[int], message: str) -> int:
    """A field's whole number when it is one of ``allowed``; BallotError(message) otherwise."""
    if isinstance(value, str | int) and str(value) in {str(n) for n in allowed}:
        return int(value)
    raise BallotError(message)


def placed(
    scores: Mapping[int, float], order: Sequence[int], voters: Mapping[int, int]
) -> tuple[ResultRow, ...]:
    """Options by score, high first: equal scores share a place, are marked tied, and keep the
    ballot's order for display (which never breaks the tie)."""
    position = {option_id: i for i, option_id in enumerate(order)}
    ranked = sorted(order, key=lambda o: (-scores[o], position[o]))
    rows = []
    for option_id in ranked:
        score = scores[option_id]
        place = 1 + sum(1 for other in order if scores[other] > score)
        tied = sum(1 for other in order if scores[other] == score) > 1
        rows.append(ResultRow(option_id, score, place, tied, voters.get(option_id, 0)))
    return tuple(rows)


@dataclass(frozen=True, slots=True)
class Bar:
    """A result row as the board, the phones and the results page draw it."""

    option_id: int
    title: str
    description: str
    score: float
    place: int
    tied: bool
    voters: int
    percent: float  # of the full width
    option: Option | None = None  # for its scope and limit


def bars(rows: Sequence[ResultRow], options: Mapping[int, Option], top: float) -> list[Bar]:
    """Result rows as bars, a score of ``top`` filling the width, with titles resolved."""
    out = []
    for r in rows:
        option = options.get(r.option_id)
        out.append(
            Bar(
                r.option_id,
                option.title if option else "?",
                option.description if option else "",
                r.score,
                r.place,
                r.tied,
                r.voters,
                round(100 * r.score / (top or 1), 1),
                option,
            )
        )
    return out


def export_rows(rows: Sequence[ResultRow], kind: Kind | None = None) -> list[dict[str, Any]]:
    """Result rows as the JSON export writes them (a kind's means rounded by its score_cell)."""
    return [
        {
            "option_id": r.option_id,
            "score": r.score if kind is None else _json_score(kind.score_cell(r)),
            "place": r.place,
            "tied": r.tied,
            "supporters": r.voters,
        }
        for r in rows
    ]


def _json_score(cell: float | int | str) -> float | int | None:
    return None if isinstance(cell, str) else cell
