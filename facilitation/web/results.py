"""The results page's split by group: the questions on offer, the chosen one and its groups."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from facilitation.core.errors import NotFound
from facilitation.core.forms import read_id
from facilitation.core.i18n import _
from facilitation.core.models import Round, Workshop
from facilitation.people import split as splitting
from facilitation.people.groups import MIN_SIZE, Group, GroupKind
from facilitation.people.rules import ProfileQuestion


def group_label(group: Group) -> str:
    """An answer as the organiser wrote it; "not said" and "other" in the reader's language."""
    return group.label if group.kind is GroupKind.ANSWER else _(group.label)


def chosen_question(questions: list[ProfileQuestion], value: Any) -> ProfileQuestion | None:
    if value in (None, ""):
        return None
    question_id = read_id(value, "profile question")
    found = next((q for q in questions if q.id == question_id), None)
    if found is None:
        raise NotFound("profile question")
    return found


async def split_context(request: Request, workshop: Workshop, rnd: Round) -> dict[str, Any]:
    """What the results page's split section needs: the questions on offer, the chosen one
    (``?split=<question id>``) and its groups, if the round can be split."""
    profiles = request.app.state.profiles
    questions = await profiles.split_questions(workshop)
    chosen = chosen_question(questions, request.query_params.get("split"))
    view = None
    if chosen is not None and splitting.splittable(rnd):
        view = await profiles.split(rnd, chosen)
    return {
        "split_questions": questions,
        "split_question": chosen,
        "split_view": view,
        "split_groups": view.groups if view is not None and view.shown else None,
        "split_min": MIN_SIZE,
        "splittable": splitting.splittable(rnd),
        "group_label": group_label,
        "GroupKind": GroupKind,
    }
