"""Results by group: the results page's "split by" section and its CSV download, both under the
rule that no group of fewer than 5 voters is shown (see facilitation.people.groups)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from facilitation.core.errors import NotFound
from facilitation.core.models import Workshop
from facilitation.people import split as splitting
from facilitation.web.auth import facilitator
from facilitation.web.common import attachment, file_slug
from facilitation.web.results import chosen_question, group_label
from facilitation.workshop.exports import to_csv


@facilitator
async def results_by_group_csv(request: Request, workshop: Workshop) -> Response:
    """Every closed round's results split by one question (``?question=<id>``)."""
    profiles = request.app.state.profiles
    store = request.app.state.store
    questions = await profiles.split_questions(workshop)
    question = chosen_question(questions, request.query_params.get("question"))
    if question is None:
        raise NotFound("profile question")
    options = {o.id: o for o in await store.options.options(workshop.id)}
    rows: list[tuple] = []
    for rnd in await store.rounds.rounds(workshop.id):
        if splitting.splittable(rnd):
            view = await profiles.split(rnd, question)
            if view.shown:
                rows += splitting.split_rows(rnd, question, view.groups, options, group_label)
            else:
                # Withheld as a whole (the code says why: people.disclosure's rule).
                rows.append(splitting.withheld_row(rnd, question, f"withheld: {view.status}"))
    body = to_csv(splitting.SPLIT_HEADER, rows)
    name = f"{file_slug(workshop.title, 'workshop')}-results-by-group.csv"
    return attachment(body, name, "text/csv; charset=utf-8")
