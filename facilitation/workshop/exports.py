"""Pure conversions of a workshop's records into CSV and JSON for boards, residents and analysts.

Participants appear only as stable pseudonyms (a keyed hash of their id), never by name. Any text
cell that a spreadsheet would read as a formula is neutralised with a leading apostrophe, and
every CSV opens with a UTF-8 byte-order mark (without one, Excel on Windows reads the text as a
legacy code page: "25–44" shows as "25â€“44").
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from facilitation import kinds
from facilitation.core.models import Ballot, Idea, Option, Round, RoundResult, Workshop
from facilitation.core.wording import Key, Languages, Texts
from facilitation.kinds.base import export_rows

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# 4: a workshop's date is a date (or null, with what was typed before in date_note); languages,
# and every translation of what facilitators wrote, beside the original.
SCHEMA_VERSION = 4


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula; numbers pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def pseudonym(secret: str, participant_id: int) -> str:
    """A stable, unguessable participant label for exports, the same in every export."""
    digest = hmac.new(secret.encode(), f"participant:{participant_id}".encode(), hashlib.sha256)
    return "P-" + digest.hexdigest()[:10].upper()


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text with every cell neutralised, led by a byte-order mark."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


RESULT_HEADER = (
    "round_id",
    "round",
    "method",
    "place",
    "tied",
    "option_id",
    "option",
    "score",
    "supporters",
    "ballots",
    "scope",
    "limit_kind",
    "limit",
    "cost",
    # Each kind's own columns, in the registry's order (a budget round's "funded").
    *dict.fromkeys(c for k in kinds.all_kinds() for c in k.result_columns),
)
RESULT_KIND_COLUMNS = RESULT_HEADER[14:]


def scope_cells(option: Option | None) -> tuple[str, str, str]:
    """An option's scope, limit kind and limit (or reason it is not negotiable) as cells."""
    if option is None:
        return "", "", ""
    kind = option.limit_kind.value if option.limit_kind else ""
    return option.scope.value, kind, option.limit_text


def result_rows(
    rounds: Sequence[tuple[Round, RoundResult]], options: Mapping[int, Option]
) -> list[tuple]:
    """One row per option per counting method per round (an idea round has none: its outcome is
    its ideas, in the JSON)."""
    rows = []
    for rnd, result in rounds:
        kind = kinds.get(rnd.kind)
        for method, ranked in kind.result_tables(result):
            for r in ranked:
                option = options.get(r.option_id)
                title = option.title if option else ""
                score = kind.score_cell(r)
                own = kind.result_cells(rnd, result, r.option_id)
                rows.append(
                    (
                        rnd.id,
                        rnd.title,
                        method,
                        r.place,
                        "yes" if r.tied else "no",
                        r.option_id,
                        title,
                        score,
                        r.voters,
                        result.ballots,
                        *scope_cells(option),
                        option.cost if option and option.cost is not None else "",
                        *(own.get(column, "") for column in RESULT_KIND_COLUMNS),
                    )
                )
    return rows


BALLOT_KIND_COLUMNS = tuple(dict.fromkeys(c for k in kinds.all_kinds() for c in k.ballot_columns))
BALLOT_HEADER = (
    "round_id",
    "round",
    "participant",
    "option_id",
    "option",
    *BALLOT_KIND_COLUMNS,
    "source",
)


def ballot_rows(
    rounds: Sequence[tuple[Round, Sequence[Ballot]]], options: Mapping[int, Option], secret: str
) -> list[tuple]:
    """One row per option a participant supported, in their kind's own columns (dots given,
    place in their ranking, picked in a budget, rating with 0 for "don't know" ...), and
    where the ballot came from (a phone, the door tablet or paper)."""
    rows = []
    for rnd, ballots in rounds:
        kind = kinds.get(rnd.kind)
        for ballot in ballots:
            who = pseudonym(secret, ballot.participant_id)
            for oid, cells in kind.ballot_cells(ballot.entry).items():
                title = options[oid].title if oid in options else ""
                own = tuple(cells.get(column, "") for column in BALLOT_KIND_COLUMNS)
                rows.append((rnd.id, rnd.title, who, oid, title, *own, ballot.source))
    return rows


def workshop_json(
    workshop: Workshop,
    options: Sequence[Option],
    rounds: Sequence[tuple[Round, RoundResult | None, Sequence[Ballot] | None, Sequence[Idea]]],
    participants: int,
    secret: str,
    languages: Languages | None = None,
    texts: Texts | None = None,
) -> str:
    """Everything about a workshop, anonymised, as versioned JSON; every text a facilitator
    wrote keeps its translations beside it."""
    texts = texts or Texts()
    data = {
        "schema_version": SCHEMA_VERSION,
        "workshop": {
            "id": workshop.id,
            "code": workshop.code,
            "title": workshop.title,
            **date_json(workshop),
            "place": workshop.place,
            "participants": participants,
            "languages": languages_json(languages or Languages()),
        },
        "options": [option_json(o, texts) for o in options],
        "rounds": [
            {
                **round_json(rnd, result, ballots, secret, ideas),
                "translations": translations_json(texts, ("round", str(rnd.id)), (rnd.title,)),
                **_round_information(rnd, texts),
            }
            for rnd, result, ballots, ideas in rounds
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def date_json(workshop: Workshop) -> dict[str, Any]:
    """A workshop's date (ISO, or null) and what was typed for it before dates were dates."""
    return {
        "date": workshop.date.isoformat() if workshop.date else None,
        "date_note": workshop.date_note,
    }


def languages_json(languages: Languages) -> dict[str, Any]:
    return {"main": languages.main, "all": list(languages.all), "board": list(languages.board)}


# The words of each kind of thing, as the JSON names them (in the order core.wording keeps them).
WORD_NAMES = {
    "option": ("title", "description", "limit"),
    "round": ("title",),
    "card": ("title", "text"),
    "question": ("label",),
    "choice": ("label",),
    "statement": ("statement",),
}


def translations_json(texts: Texts, key: Key, original: Sequence[str]) -> dict[str, Any]:
    """A thing's translations by language; ``current`` is false once the original has changed
    since (the phones then show the original)."""
    out: dict[str, Any] = {}
    for (subject, ref, language), kept in sorted(texts.found.items()):
        if (subject, ref) != key:
            continue
        out[language] = {
            **dict(zip(WORD_NAMES[subject], kept.words, strict=True)),
            "current": kept.source == tuple(original),
        }
    return out


def option_json(option: Option, texts: Texts | None = None) -> dict[str, Any]:
    """An option as every JSON export writes it, the original with its translations."""
    original = (option.title, option.description, option.limit_text)
    return {
        "id": option.id,
        "title": option.title,
        "description": option.description,
        "position": option.position,
        "withdrawn": option.withdrawn,
        "scope": option.scope.value,
        "limit_kind": option.limit_kind.value if option.limit_kind else None,
        "limit": option.limit_text,
        "cost": option.cost,
        "translations": translations_json(texts or Texts(), ("option", str(option.id)), original),
    }


def _round_information(rnd: Round, texts: Texts) -> dict[str, Any]:
    """What a round showed beside its ballot: options not up for decision and its cards."""
    return {
        "information_option_ids": list(rnd.info_option_ids),
        "cards": [
            {
                "title": c.title,
                "text": c.text,
                "translations": translations_json(
                    texts, ("card", f"{rnd.id}:{i}"), (c.title, c.text)
                ),
            }
            for i, c in enumerate(rnd.cards)
        ],
        "cards_on_board": rnd.cards_on_board,
    }


def translated_header(header: Sequence[str], languages: Sequence[str]) -> tuple[str, ...]:
    """A CSV's header with the round's and option's words in each other language after it
    (round_ar, option_ar ...); the original stays the key."""
    return (*header, *(f"{name}_{code}" for code in languages for name in ("round", "option")))


def translated_cells(
    rows: Sequence[tuple],
    header: Sequence[str],
    texts: Texts,
    languages: Sequence[str],
    rounds: Mapping[int, Round],
    options: Mapping[int, Option],
) -> list[tuple]:
    """Each row with the round's title and the option's title in each other language, where
    an up-to-date translation is kept ("" otherwise)."""
    at_round, at_option = header.index("round_id"), header.index("option_id")
    out = []
    for row in rows:
        rnd, option = rounds.get(row[at_round]), options.get(row[at_option])
        cells: list[str] = []
        for code in languages:
            title = (rnd.title,) if rnd else None
            cells.append(_current(texts, ("round", str(row[at_round])), code, title))
            words = (option.title, option.description, option.limit_text) if option else None
            cells.append(_current(texts, ("option", str(row[at_option])), code, words))
        out.append((*row, *cells))
    return out


def _current(texts: Texts, key: Key, language: str, original: tuple[str, ...] | None) -> str:
    if not original or texts.state(key, language, original) != "current":
        return ""
    kept = texts.translation(key, language)
    return kept.words[0] if kept else ""


def round_json(
    rnd: Round,
    result: RoundResult | None,
    ballots: Sequence[Ballot] | None,
    secret: str,
    ideas: Sequence[Idea] = (),
) -> dict[str, Any]:
    """One round as JSON: its kind's rules, its results (None until counted) with the kind's own
    figures, and pseudonymous ballots in the kind's own shape (None: not offered one by one,
    because the round's results have been split by group)."""
    kind = kinds.get(rnd.kind)
    return {
        "id": rnd.id,
        "title": rnd.title,
        "kind": rnd.kind,
        "status": rnd.status.value,
        "option_ids": list(rnd.option_ids),
        "rules": {"hidden_until_revealed": rnd.hidden, **dict(rnd.settings)},
        "results": None
        if result is None
        else {
            "ballots": result.ballots,
            "order": export_rows(result.rows, kind),
            **kind.export_results(result),
        },
        "ballots": None
        if ballots is None
        else [
            {
                "participant": pseudonym(secret, b.participant_id),
                **dict(b.entry),
                "source": b.source,
            }
            for b in ballots
        ],
        "ideas": [idea_json(i, secret) for i in ideas],
    }


def idea_json(idea: Idea, secret: str) -> dict[str, Any]:
    """An idea as sent and as moderated; who sent it only as a pseudonym."""
    return {
        "id": idea.id,
        "participant": pseudonym(secret, idea.participant_id),
        "text": idea.text,
        "original": idea.original,
        "category": idea.category,
        "status": idea.status.value,
        "merged_into": idea.merged_into,
        "supporters": idea.supporters,
        "option_id": idea.option_id,
        "source": idea.source,
    }
