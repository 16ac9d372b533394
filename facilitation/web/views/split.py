"""Results by group: the results page's "split by" section and its CSV download, both under the
rule that no group of fewer than 5 voters is shown (see facilitation.people.groups)."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from facilitation.core.errors import NotFound
from facilitation.core.i18n import _
from facilitation.core.models import Round, Workshop
from facilitation.people import split as splitting
from facilitation.people.groups import MIN_SIZE, Group, GroupKind
from facilitation.people.rules import ProfileQuestion
from facilitation.web.common import facilitator_only
from facilitation.workshop.exports import to_csv
from facilitation.workshop.workshops import _int

workshop_view = facilitator_only(
    lambda request: request.app.state.store.workshops.workshop(request.path_params["workshop_id"])
)


def group_label(group: Group) -> str:
    """An answer as the organiser wrote it; "not said" and "other" in the reader's language."""
    return group.label if group.kind is GroupKind.ANSWER else _(group.label)


def _chosen(questions: list[ProfileQuestion], value: Any) -> ProfileQuestion | None:
    if value in (None, ""):
        return None
    question_id = _int(value, "profile question")
    found = next((q for q in questions if q.id == question_id), None)
    if found is None:
        raise NotFound("profile question")
    return found


async def split_context(request: Request, workshop: Workshop, rnd: Round) -> dict[str, Any]:
    """What the results page's split section needs: the questions on offer, the chosen one
    (``?split=<question id>``) and its groups, if the round can be split."""
    profiles = request.app.state.profiles
    questions = await profiles.split_questions(workshop)
    chosen = _chosen(questions, request.query_params.get("split"))
    groups = None
    if chosen is not None and splitting.splittable(rnd):
        groups = await profiles.split(rnd, chosen)
    return {
        "split_questions": questions,
        "split_question": chosen,
        "split_groups": groups,
        "split_min": MIN_SIZE,
        "splittable": splitting.splittable(rnd),
        "group_label": group_label,
        "GroupKind": GroupKind,
    }


@workshop_view
async def results_by_group_csv(request: Request, workshop: Workshop) -> Response:
    """Every closed round's results split by one question (``?question=<id>``)."""
    profiles = request.app.state.profiles
    store = request.app.state.store
    questions = await profiles.split_questions(workshop)
    question = _chosen(questions, request.query_params.get("question"))
    if question is None:
        raise NotFound("profile question")
    options = {o.id: o for o in await store.options.options(workshop.id)}
    rows: list[tuple] = []
    for rnd in await store.rounds.rounds(workshop.id):
        if splitting.splittable(rnd):
            groups = await profiles.split(rnd, question)
            rows += splitting.split_rows(rnd, question, groups, options, group_label)
    body = to_csv(splitting.SPLIT_HEADER, rows)
    slug = re.sub(r"[^a-z0-9]+", "-", workshop.title.lower()).strip("-")[:40] or "workshop"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{slug}-results-by-group.csv"'},
    )
