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

from facilitation.core.models import Ballot, Idea, Option, Round, RoundResult, Workshop

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SCHEMA_VERSION = 2


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
    "cost",
    "funded",
)

# What a round's headline score is, by its kind.
METHOD = {"dots": "dots", "rank": "borda", "budget": "picks", "rating": "mean_rating"}


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
        if rnd.kind.value == "ideas":
            continue  # an idea round's outcome is its ideas (see the JSON), not scores
        methods = [(METHOD[rnd.kind.value], result.rows)]
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
                        option.cost if option and option.cost is not None else "",
                        _funded(rnd, result, r.option_id),
                    )
                )
    return rows


def _funded(rnd: Round, result: RoundResult, option_id: int) -> str:
    if rnd.kind.value != "budget":
        return ""
    return "yes" if option_id in result.funded else "no"


BALLOT_HEADER = (
    "round_id",
    "round",
    "participant",
    "option_id",
    "option",
    "dots",
    "rank",
    "picked",
    "rating",
    "source",
)


def ballot_rows(
    rounds: Sequence[tuple[Round, Sequence[Ballot]]], options: Mapping[int, Option], secret: str
) -> list[tuple]:
    """One row per option a participant supported: dots given, place in their ranking, picked
    in a budget, or rated (0 is "don't know"); and whether the ballot came from paper."""
    rows = []
    for rnd, ballots in rounds:
        for ballot in ballots:
            who = pseudonym(secret, ballot.participant_id)
            entries = (
                [(oid, "", place, "", "") for place, oid in enumerate(ballot.ranking, start=1)]
                + [(oid, n, "", "", "") for oid, n in sorted(ballot.dots.items())]
                + [(oid, "", "", "yes", "") for oid in ballot.picks]
                + [(oid, "", "", "", v) for oid, v in sorted(ballot.ratings.items())]
            )
            for oid, dots, rank, picked, rating in entries:
                title = options[oid].title if oid in options else ""
                source = "paper" if ballot.paper else "phone"
                rows.append(
                    (rnd.id, rnd.title, who, oid, title, dots, rank, picked, rating, source)
                )
    return rows


def workshop_json(
    workshop: Workshop,
    options: Sequence[Option],
    rounds: Sequence[tuple[Round, RoundResult | None, Sequence[Ballot], Sequence[Idea]]],
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
                "cost": o.cost,
            }
            for o in options
        ],
        "rounds": [
            {**round_json(rnd, result, ballots, secret, ideas), **_round_information(rnd)}
            for rnd, result, ballots, ideas in rounds
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


def round_json(
    rnd: Round, result: RoundResult | None, ballots, secret: str, ideas: Sequence[Idea] = ()
) -> dict:
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
            "budget": rnd.budget,
            "budget_rule": rnd.budget_rule.value if rnd.budget else None,
            "categories": list(rnd.categories),
        },
        "results": None
        if result is None
        else {
            "ballots": result.ballots,
            "order": rows(result.rows),
            "schulze": rows(result.schulze),
            "methods_disagree": result.methods_disagree,
            "funded": list(result.funded),
            "spent": result.spent if rnd.budget else None,
            "other_rule_funded": list(result.other_funded),
        },
        "ballots": [
            {
                "participant": pseudonym(secret, b.participant_id),
                "dots": {str(k): v for k, v in sorted(b.dots.items())},
                "ranking": list(b.ranking),
                "picks": list(b.picks),
                "ratings": {str(k): v for k, v in sorted(b.ratings.items())},
                "source": "paper" if b.paper else "phone",
            }
            for b in ballots
        ],
        "ideas": [idea_json(i, secret) for i in ideas],
    }


def idea_json(idea: Idea, secret: str) -> dict:
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
        "source": "paper" if idea.paper else "phone",
    }
