"""Who takes part: a programme's profile questions and the make-up of its place (the "Who takes
part" tab), and the console's switch that shows the room against the place on the board."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from facilitation.core.errors import BadRequest, Conflict, Forbidden
from facilitation.core.i18n import _, ngettext
from facilitation.core.models import Programme, Workshop
from facilitation.people.profiles import Profiles
from facilitation.people.room import room_context
from facilitation.people.rules import PREFER_NOT_TO_SAY, place_shares
from facilitation.web.auth import facilitator, programme_view
from facilitation.web.common import (
    download,
    flash,
    import_problems,
    page,
    read_form,
    read_upload,
    reply,
)
from facilitation.workshop.exports import to_csv

MAKEUP_HEADER = ("question", "answer", "amount")


def profiles(request: Request) -> Profiles:
    return request.app.state.profiles


def figure(amount: float | None) -> str:
    """A make-up figure as the organiser would type it: 1250, or 12.5."""
    if amount is None:
        return ""
    return str(int(amount)) if float(amount).is_integer() else str(amount)


def back(programme: Programme, question_id: int | None = None) -> str:
    anchor = f"#q-{question_id}" if question_id else ""
    return f"/f/programmes/{programme.id}/people{anchor}"


async def people_data(request: Request, programme: Programme) -> dict[str, Any]:
    store = request.app.state.store
    questions = await store.profiles.profile_questions(programme.id, include_retired=True)
    makeup = await store.profiles.place_makeup(programme.id)
    return {
        "programme": programme,
        "questions": [q for q in questions if not q.retired],
        "retired": [q for q in questions if q.retired],
        "makeup": makeup,
        "shares": {q: place_shares(amounts) for q, amounts in makeup.items()},
        "prefer_not": PREFER_NOT_TO_SAY,
        "figure": figure,
    }


@programme_view
async def people_page(request: Request, programme: Programme) -> Response:
    return page(request, "pages/programme_people.html", **await people_data(request, programme))


@programme_view
async def add_question(request: Request, programme: Programme) -> Response:
    form = await read_form(request)
    try:
        question = await profiles(request).add_question(programme, form)
    except (BadRequest, Conflict) as exc:
        flash(request, exc.text(), "error")
        return RedirectResponse(back(programme) + "#new-question", status_code=303)
    flash(request, _("Added the question “{label}”.", label=question.label))
    return RedirectResponse(back(programme, question.id), status_code=303)


async def _question_action(
    uc: Profiles, programme: Programme, question: Any, action: str, form: dict
) -> str:
    """Do one action on a question and say what happened."""
    if action == "edit":
        saved = await uc.edit_question(question, form)
        return _("Saved “{label}”.", label=saved.label)
    if action == "move":
        await uc.move_question(question, form.get("direction"))
        return ""
    if action == "remove":
        if await uc.remove_question(question) == "deleted":
            return _("Removed “{label}”.", label=question.label)
        return _(
            "“{label}” is no longer asked. Some people had answered it, so their answers are "
            "kept for past results; you can ask it again.",
            label=question.label,
        )
    if action == "restore":
        await uc.restore_question(question)
        return _("“{label}” is asked again.", label=question.label)
    if action == "makeup":
        if await uc.set_makeup(programme, question, form):
            return _("Saved the figures for “{label}”.", label=question.label)
        return _("Cleared the figures for “{label}”.", label=question.label)
    raise Forbidden()


@programme_view
async def question_action(request: Request, programme: Programme) -> Response:
    form = await read_form(request)
    uc = profiles(request)
    question = await uc.question_in(programme, request.path_params["question_id"])
    action = request.path_params["action"]
    try:
        message = await _question_action(uc, programme, question, action, form)
    except (BadRequest, Conflict) as exc:
        flash(request, exc.text(), "error")
        return RedirectResponse(back(programme, question.id), status_code=303)
    if message:
        flash(request, message)
    return RedirectResponse(back(programme, question.id), status_code=303)


@programme_view
async def import_makeup(request: Request, programme: Programme) -> Response:
    data = await read_upload(request)
    n, problems = await profiles(request).import_makeup(programme, data)
    if problems:
        return import_problems(request, back(programme), problems)
    flash(
        request,
        ngettext(
            "Figures for the place imported for {n} question.",
            "Figures for the place imported for {n} questions.",
            n,
        ),
    )
    return RedirectResponse(back(programme), status_code=303)


@programme_view
async def makeup_csv(request: Request, programme: Programme) -> Response:
    """The make-up as a CSV file in the form the import reads: every answer on offer, with its
    figure where there is one, so the file doubles as a template to fill in."""
    data = await people_data(request, programme)
    rows = []
    for q in data["questions"]:
        amounts = data["makeup"].get(q.id, {})
        rows += [(q.label, c.label, figure(amounts.get(c.id))) for c in q.offered]
    body = to_csv(MAKEUP_HEADER, rows)
    return download(body, programme, "place-makeup.csv", "text/csv; charset=utf-8")


@facilitator
async def room_on_board(request: Request, workshop: Workshop) -> Response:
    """Show or hide the room against the place on the board; answers the console's panel."""
    form = await read_form(request)
    on = await profiles(request).set_room_on_board(workshop, form)
    if on:
        message = _("The board now shows who is here against the place.")
    else:
        message = _("The board no longer shows who is here.")
    store = request.app.state.store
    context = {"workshop": workshop, **await room_context(store, workshop.id)}
    return reply(
        request,
        "fragments/room_panel.html",
        context,
        f"/f/workshops/{workshop.id}",
        message,
    )
