"""Pure conversions of a programme into tables (for CSV and the workbook), versioned JSON and the
geometry of the printed report's charts.

The rows of each table are built once, in ``tables()``; the CSV downloads and the workbook's
sheets are two renderings of the same rows. Participants appear only as pseudonyms.
"""

from __future__ import annotations

import datetime
import io
import json
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from facilitation import kinds
from facilitation.core.models import (
    Action,
    Ballot,
    Idea,
    Option,
    Programme,
    Round,
    RoundResult,
    RoundStatus,
    Workshop,
)
from facilitation.core.wording import Languages, Texts
from facilitation.kinds.base import round_half_away
from facilitation.programme.needs import RankedNeed
from facilitation.workshop import exports

SCHEMA_VERSION = exports.SCHEMA_VERSION  # one version for every JSON export


@dataclass(frozen=True, slots=True)
class RoundRecord:
    """One round that has been opened, with its count (None if never counted) and ballots."""

    workshop: Workshop
    round: Round
    result: RoundResult | None
    ballots: tuple[Ballot, ...]
    ideas: tuple[Idea, ...] = ()
    # Whether its ballots go out one by one: never for a round whose results have been split
    # by group, nor in a download that carries no single ballots.
    ballots_out: bool = False


@dataclass(frozen=True, slots=True)
class ProgrammeData:
    """Everything the exports and the report show, read once from the store."""

    programme: Programme
    ranked: tuple[RankedNeed, ...]
    actions: tuple[Action, ...]
    workshops: tuple[Workshop, ...]
    joined: Mapping[int, int]  # workshop id -> participants who joined
    options: Mapping[int, Option]  # option id -> option, across the programme's workshops
    rounds: tuple[RoundRecord, ...]
    today: str
    secret: str
    # Each workshop's languages and the translations of its words, by workshop id.
    languages: Mapping[int, Languages] = field(default_factory=dict)
    texts: Mapping[int, Texts] = field(default_factory=dict)


NEEDS_HEADER = (
    "place",
    "need_id",
    "need",
    "description",
    "score",
    "computed_score",
    "rounds",
    "ballots",
    "override_score",
    "override_reason",
    "status",
    "status_reason",
)
ACTIONS_HEADER = (
    "action_id",
    "need_id",
    "need",
    "what",
    "who",
    "owner",
    "due",
    "status",
    "overdue",
    "latest_note",
)
WORKSHOPS_HEADER = ("workshop_id", "title", "date", "place", "code", "joined")
ROUNDS_HEADER = (
    "round_id",
    "workshop_id",
    "workshop",
    "round",
    "kind",
    "rules",
    "status",
    "ballots",
)
RESULTS_HEADER = ("workshop_id", "workshop", *exports.RESULT_HEADER)
BALLOTS_HEADER = ("workshop_id", "workshop", *exports.BALLOT_HEADER)
TABLES = ("needs", "actions", "workshops", "rounds", "results", "ballots")


def _score(value: float | Fraction | None) -> float | int | str:
    """A score for a table cell: 4 decimals (halves away from zero), whole numbers as integers,
    blank for none."""
    if value is None:
        return ""
    exact = value if isinstance(value, Fraction) else Fraction(Decimal(repr(value)))
    rounded = round_half_away(exact, 4)
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


def _json_number(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def rules_text(rnd: Round) -> str:
    """A round's voting rules in one compact, language-neutral line."""
    parts = kinds.get(rnd.kind).rules_parts(rnd)
    parts.append(f"hidden={_yes(rnd.hidden)}")
    return "; ".join(parts)


def need_rows(data: ProgrammeData) -> list[tuple]:
    """The needs in priority order, with what decided their place."""
    return [
        (
            r.place or "",
            r.need.id,
            r.need.title,
            r.need.description,
            _score(r.score),
            _score(r.computed),
            r.rounds,
            r.ballots,
            _score(r.need.override_score),
            r.need.override_reason,
            r.need.status.value,
            r.need.status_reason,
        )
        for r in data.ranked
    ]


def action_rows(data: ProgrammeData) -> list[tuple]:
    """The action plan, soonest due first, with each action's latest progress note."""
    titles = {r.need.id: r.need.title for r in data.ranked}
    return [
        (
            a.id,
            a.need_id or "",
            titles.get(a.need_id, "") if a.need_id is not None else "",
            a.what,
            a.who.value,
            a.owner,
            _date(a.due),
            a.status.value,
            _yes(a.overdue(data.today)),
            a.notes[-1].note if a.notes else "",
        )
        for a in data.actions
    ]


def workshop_rows(data: ProgrammeData) -> list[tuple]:
    """One row per workshop; its date as an ISO date, or what was typed before dates were
    dates."""
    return [
        (w.id, w.title, _day(w), w.place, w.code, data.joined.get(w.id, 0)) for w in data.workshops
    ]


def _day(workshop: Workshop) -> datetime.date | str:
    return workshop.date or workshop.date_note


def _date(iso: str) -> datetime.date | str:
    """An ISO date as a date (a CSV writes it back as ISO, a sheet keeps it a date); anything
    else as typed."""
    try:
        return datetime.date.fromisoformat(iso)
    except ValueError:
        return iso


def round_rows(data: ProgrammeData) -> list[tuple]:
    return [
        (
            rec.round.id,
            rec.workshop.id,
            rec.workshop.title,
            rec.round.title,
            rec.round.kind,
            rules_text(rec.round),
            rec.round.status.value,
            rec.result.ballots if rec.result else len(rec.ballots),
        )
        for rec in data.rounds
    ]


def result_rows(data: ProgrammeData) -> list[tuple]:
    """exports.result_rows for every counted round, each row led by its workshop."""
    return [
        (rec.workshop.id, rec.workshop.title, *row)
        for rec in data.rounds
        if rec.result is not None
        for row in exports.result_rows([(rec.round, rec.result)], data.options)
    ]


def ballot_rows(data: ProgrammeData) -> list[tuple]:
    """exports.ballot_rows (pseudonyms, never names) for every round, led by its workshop."""
    return [
        (rec.workshop.id, rec.workshop.title, *row)
        for rec in data.rounds
        if rec.ballots_out
        for row in exports.ballot_rows([(rec.round, rec.ballots)], data.options, data.secret)
    ]


def tables(data: ProgrammeData) -> dict[str, tuple[tuple[str, ...], list[tuple]]]:
    """Every table of the programme by name: (header, rows). CSV and workbook both use these."""
    return {
        "needs": (NEEDS_HEADER, need_rows(data)),
        "actions": (ACTIONS_HEADER, action_rows(data)),
        "workshops": (WORKSHOPS_HEADER, workshop_rows(data)),
        "rounds": (ROUNDS_HEADER, round_rows(data)),
        "results": (RESULTS_HEADER, result_rows(data)),
        "ballots": (BALLOTS_HEADER, ballot_rows(data)),
    }


def table_csv(data: ProgrammeData, name: str) -> str:
    """One table as CSV (every cell neutralised)."""
    header, rows = tables(data)[name]
    return exports.to_csv(header, rows)


MIN_WIDTH, MAX_WIDTH = 8, 60
# Column widths (in characters) that fit across an A4 page upright; a wider sheet prints across.
PORTRAIT_WIDTH = 100
DATE_FORMAT = "yyyy-mm-dd"


def workbook(data: ProgrammeData) -> bytes:
    """The programme as an XLSX workbook: one sheet per table, bold frozen headers, a filter on
    every column, dates as dates, and a print setup of one page wide with the header repeated."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for name, (header, rows) in tables(data).items():
        sheet = book.create_sheet(name)
        sheet.append(list(header))
        for c in sheet[1]:
            c.font = bold
        widths = [len(h) for h in header]
        for r, row in enumerate(rows, start=2):
            for i, value in enumerate(row):
                cell = sheet.cell(row=r, column=i + 1)
                if isinstance(value, str):
                    # Text stays text: typed as a string, a cell is never run as a formula, so
                    # it needs none of the CSV's apostrophes.
                    cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                    cell.data_type = "s"
                else:
                    cell.value = value
                    if isinstance(value, datetime.date):
                        cell.number_format = DATE_FORMAT
                widths[i] = max(widths[i], len(str(value)))
        total = 0
        for i, width in enumerate(widths, start=1):
            letter = get_column_letter(i)
            sheet.column_dimensions[letter].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))
            total += sheet.column_dimensions[letter].width
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
        _print_setup(sheet, wide=total > PORTRAIT_WIDTH)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _print_setup(sheet: Any, wide: bool) -> None:
    """A4, one page wide and as many long as the rows need, the header on every page."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if wide else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


# -- JSON ----------------------------------------------------------------------------------------


def _iso(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).isoformat(timespec="seconds")


def programme_json(data: ProgrammeData) -> str:
    """The whole programme, anonymised, as versioned JSON (see docs/export-schema.md)."""
    p = data.programme
    by_workshop: dict[int, list[RoundRecord]] = {}
    for rec in data.rounds:
        by_workshop.setdefault(rec.workshop.id, []).append(rec)
    doc = {
        "schema_version": SCHEMA_VERSION,
        "programme": {
            "id": p.id,
            "title": p.title,
            "place": p.place,
            "description": p.description,
            "public_slug": p.slug,
        },
        "needs": [
            {
                "id": r.need.id,
                "title": r.need.title,
                "description": r.need.description,
                "place": r.place,
                "score": _json_number(r.score),
                "computed_score": _json_number(r.computed),
                "rounds": r.rounds,
                "ballots": r.ballots,
                "override": None
                if r.need.override_score is None
                else {"score": r.need.override_score, "reason": r.need.override_reason},
                "status": r.need.status.value,
                "status_reason": r.need.status_reason,
                "option_ids": list(r.need.option_ids),
            }
            for r in data.ranked
        ],
        "actions": [
            {
                "id": a.id,
                "need_id": a.need_id,
                "what": a.what,
                "who": a.who.value,
                "owner": a.owner,
                "due": a.due or None,
                "status": a.status.value,
                "overdue": a.overdue(data.today),
                "notes": [{"at": _iso(n.at), "note": n.note} for n in a.notes],
            }
            for a in data.actions
        ],
        "workshops": [
            {
                "id": w.id,
                "code": w.code,
                "title": w.title,
                **exports.date_json(w),
                "place": w.place,
                "joined": data.joined.get(w.id, 0),
                "languages": exports.languages_json(data.languages.get(w.id, Languages())),
                "options": [
                    exports.option_json(o, data.texts.get(w.id))
                    for o in sorted(data.options.values(), key=lambda o: (o.position, o.id))
                    if o.workshop_id == w.id
                ],
                "rounds": [
                    exports.round_json(
                        rec.round,
                        rec.result,
                        rec.ballots if rec.ballots_out else None,
                        data.secret,
                        rec.ideas,
                    )
                    for rec in by_workshop.get(w.id, [])
                ],
            }
            for w in data.workshops
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


# -- the printed report's charts -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bar:
    """One option's bar in a round's chart: its label in lines (never cut short), the score as
    the room read it, ``share`` its length from 0 to 1, ``y`` its top and ``height`` its row's;
    its option's picture (version, "" for none) sits before the label, which starts at
    ``label_x``."""

    lines: tuple[str, ...]
    value: str
    place: int
    share: float
    y: float
    height: float
    option_id: int = 0
    picture: str = ""
    label_x: float = 0.0


BAR_HEIGHT = 18.0
BAR_GAP = 8.0
LINE_HEIGHT = 13.0
LABEL_CHARS = 38  # what fits beside the bars at the chart's font size
# An option's picture beside its label: small (about 9 mm on the A4 page), so the chart stays a
# chart; the label moves over and wraps sooner.
PICTURE_SIZE = 30.0
PICTURE_CHARS = 7  # the label's characters the picture takes


def result_bars(rnd: Round, result: RoundResult, options: Mapping[int, Option]) -> list[Bar]:
    """A closed round's rows as bars scaled to the top of its scale: a place and the title for a
    kind that places options, the statement alone for one that keeps the order asked; long
    titles wrap onto more lines instead of being cut."""
    kind = kinds.get(rnd.kind)
    top = kind.bar_top(result) or 1
    bars = []
    y = 0.0
    for r in result.rows:
        option = options.get(r.option_id)
        title = option.title if option else "?"
        picture = option.picture if option else ""
        label = f"{r.place}. {title}" if kind.ranks_options else title
        chars = LABEL_CHARS - PICTURE_CHARS if picture else LABEL_CHARS
        lines = tuple(textwrap.wrap(label, chars, break_long_words=True)) or ("",)
        height = max(BAR_HEIGHT, len(lines) * LINE_HEIGHT + 4, PICTURE_SIZE if picture else 0)
        bars.append(
            Bar(
                lines=lines,
                value=kind.score_text(r),
                place=r.place,
                share=max(0.0, min(1.0, r.score / top)),
                y=y,
                height=height,
                option_id=r.option_id,
                picture=picture,
                label_x=PICTURE_SIZE + 6 if picture else 0.0,
            )
        )
        y += height + BAR_GAP
    return bars


def closed_rounds(data: ProgrammeData) -> list[tuple[RoundRecord, RoundResult]]:
    """Each closed round that has been counted, with its count."""
    return [
        (rec, rec.result)
        for rec in data.rounds
        if rec.round.status is RoundStatus.CLOSED and rec.result is not None
    ]


def chart_height(bars: Sequence[Bar]) -> float:
    if not bars:
        return BAR_HEIGHT + BAR_GAP
    return bars[-1].y + bars[-1].height + BAR_GAP
