"""Pure conversions of a workshop's records into CSV and JSON for boards, residents and analysts.

Participants appear only as stable pseudonyms (a keyed hash of their id), never by name. Any text
cell that a spreadsheet would read as a formula is neutralised with a leading apostrophe.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from facilitation.models import Ballot, Option, Round, RoundResult, Workshop

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SCHEMA_VERSION = 1


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
    """CSV text with every cell neutralised."""
    out = io.StringIO()
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
)


def scope_cells(option: Option | None) -> tuple[str, str, str]:
    """An option's scope, limit kind and limit (or reason it is not negotiable) as cells."""
    if option is None:
        return "", "", ""
    kind = option.limit_kind.value if option.limit_kind else ""
    return option.scope.value, kind, option.limit_text


def result_rows(
    rounds: Sequence[tuple[Round, RoundResult]], options: Mapping[int, Option]
) -> list[tuple]:
    """One row per option per counting method per round."""
    rows = []
    for rnd, result in rounds:
        methods = [("dots" if rnd.kind.value == "dots" else "borda", result.rows)]
        if result.schulze:
            methods.append(("schulze", result.schulze))
        for method, ranked in methods:
            for r in ranked:
                option = options.get(r.option_id)
                title = option.title if option else ""
                score = int(r.score) if float(r.score).is_integer() else r.score
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
                    )
                )
    return rows


BALLOT_HEADER = ("round_id", "round", "participant", "option_id", "option", "dots", "rank")


def ballot_rows(
    rounds: Sequence[tuple[Round, Sequence[Ballot]]], options: Mapping[int, Option], secret: str
) -> list[tuple]:
    """One row per option a participant supported: dots given, or place in their ranking."""
    rows = []
    for rnd, ballots in rounds:
        for ballot in ballots:
            who = pseudonym(secret, ballot.participant_id)
            entries = (
                [(oid, "", place) for place, oid in enumerate(ballot.ranking, start=1)]
                if ballot.ranking
                else [(oid, n, "") for oid, n in sorted(ballot.dots.items())]
            )
            for oid, dots, rank in entries:
                title = options[oid].title if oid in options else ""
                rows.append((rnd.id, rnd.title, who, oid, title, dots, rank))
    return rows


def workshop_json(
    workshop: Workshop,
    options: Sequence[Option],
    rounds: Sequence[tuple[Round, RoundResult | None, Sequence[Ballot]]],
    participants: int,
    secret: str,
) -> str:
    """Everything about a workshop, anonymised, as versioned JSON."""
    data = {
        "schema_version": SCHEMA_VERSION,
        "workshop": {
            "id": workshop.id,
            "code": workshop.code,
            "title": workshop.title,
            "date": workshop.date,
            "place": workshop.place,
            "participants": participants,
        },
        "options": [
            {
                "id": o.id,
                "title": o.title,
                "description": o.description,
                "position": o.position,
                "withdrawn": o.withdrawn,
                "scope": o.scope.value,
                "limit_kind": o.limit_kind.value if o.limit_kind else None,
                "limit": o.limit_text,
            }
            for o in options
        ],
        "rounds": [
            {**round_json(rnd, result, ballots, secret), **_round_information(rnd)}
            for rnd, result, ballots in rounds
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def _round_information(rnd: Round) -> dict:
    """What a round showed beside its ballot: options not up for decision and its cards."""
    return {
        "information_option_ids": list(rnd.info_option_ids),
        "cards": [{"title": c.title, "text": c.text} for c in rnd.cards],
        "cards_on_board": rnd.cards_on_board,
    }


def round_json(rnd: Round, result: RoundResult | None, ballots, secret: str) -> dict:
    """One round as JSON: rules, results (None until counted) and pseudonymous ballots."""

    def rows(rs):
        return [
            {
                "option_id": r.option_id,
                "score": r.score,
                "place": r.place,
                "tied": r.tied,
                "supporters": r.voters,
            }
            for r in rs
        ]

    return {
        "id": rnd.id,
        "title": rnd.title,
        "kind": rnd.kind.value,
        "status": rnd.status.value,
        "option_ids": list(rnd.option_ids),
        "rules": {
            "dots": rnd.dots,
            "max_per_option": rnd.max_per_option,
            "must_use_all": rnd.must_use_all,
            "top_k": rnd.top_k,
            "hidden_until_revealed": rnd.hidden,
        },
        "results": None
        if result is None
        else {
            "ballots": result.ballots,
            "order": rows(result.rows),
            "schulze": rows(result.schulze),
            "methods_disagree": result.methods_disagree,
        },
        "ballots": [
            {
                "participant": pseudonym(secret, b.participant_id),
                "dots": {str(k): v for k, v in sorted(b.dots.items())},
                "ranking": list(b.ranking),
            }
            for b in ballots
        ],
    }
