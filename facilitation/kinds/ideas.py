"""Idea rounds: phones send short ideas, with an optional category from the round's list, for the
facilitator's idea desk. An idea round has no ballots: its outcome is its ideas."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from facilitation.core.errors import BadRequest
from facilitation.core.forms import clean_text
from facilitation.core.i18n import N_
from facilitation.core.models import Ballot, Option, ResultRow, Round, RoundResult
from facilitation.kinds.base import Kind

IDEA_MAX = 120  # an idea may become an option, whose title has this limit
CATEGORIES_MAX = 8
CATEGORY_MAX = 40


def categories_of(rnd: Round) -> tuple[str, ...]:
    return tuple(rnd.settings.get("categories", ()))


def read_categories(value: Any) -> tuple[str, ...]:
    """Idea categories, one per line or separated by commas; duplicates dropped."""
    if value is None:
        return ()
    if not isinstance(value, str):
        raise BadRequest("The form could not be read. Please reload the page and try again.")
    parts = [" ".join(p.split()) for line in value.splitlines() for p in line.split(",")]
    categories = tuple(dict.fromkeys(p for p in parts if p))
    if len(categories) > CATEGORIES_MAX:
        raise BadRequest("At most {n} categories, please.", n=CATEGORIES_MAX)
    for category in categories:
        if len(category) > CATEGORY_MAX:
            raise BadRequest(
                "The category “{category}” is too long: {n} characters at most.",
                category=category[:CATEGORY_MAX] + "…",
                n=CATEGORY_MAX,
            )
    return categories


def read_idea(fields: Mapping[str, Any], rnd: Round) -> dict[str, Any]:
    """An idea's text and category, as a phone or a paper sheet sends them."""
    text = clean_text(fields.get("text"), field=N_("Your idea"), limit=IDEA_MAX)
    category = fields.get("category") or ""
    if category and category not in categories_of(rnd):
        raise BadRequest("Choose one of the categories shown, or none.")
    return {"text": text, "category": category}


class Ideas(Kind):
    name = "ideas"
    label = N_("Ideas")
    hint = N_("collect ideas from phones")
    order = 40
    min_options = 0
    takes_options = False
    collects_ideas = True
    splittable = False

    def read_settings(self, form: Mapping[str, Any], options: Sequence[Option]) -> dict[str, Any]:
        return {"categories": list(read_categories(form.get("categories")))}

    def check_choice(self, chosen: int, votable: int) -> None:
        return None  # the room brings the ideas; chosen options are only information

    def check_ready(self, rnd: Round, options: Mapping[int, Option]) -> None:
        return None  # the room brings the ideas

    def read_ballot(self, fields: Mapping[str, Any], rnd: Round) -> dict[str, Any]:
        return read_idea(fields, rnd)

    def tally(self, rnd: Round, ballots: Sequence[Ballot]) -> RoundResult:
        return RoundResult(self.name, (), 0)

    def result_tables(self, result: RoundResult) -> list[tuple[str, Sequence[ResultRow]]]:
        return []  # an idea round's outcome is its ideas (see the JSON), not scores


KIND = Ideas()
