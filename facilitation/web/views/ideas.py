"""Views for idea moderation and for paper ballots (entering them, and the sheets to print): the
console's idea desk, and the desk page of a workshop's moderator."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from facilitation import kinds
from facilitation.accounts.roles import Power, may
from facilitation.core import i18n
from facilitation.core.errors import FacilitationError, Forbidden
from facilitation.core.i18n import N_, _, ngettext
from facilitation.core.models import IdeaStatus, Round, RoundStatus, Workshop
from facilitation.web.auth import current_user, desk, facilitator
from facilitation.web.common import flash, is_htmx, read_form, reply
from facilitation.web.console import console_reply
from facilitation.workshop import screens, sheets
from facilitation.workshop.ballots import next_paper_label
from facilitation.workshop.translating import read_language

STATUS_MESSAGES = {
    IdeaStatus.APPROVED: N_("“{text}” is on the wall."),
    IdeaStatus.HIDDEN: N_("“{text}” is hidden from the room; it is kept."),
    IdeaStatus.PENDING: N_("“{text}” is back with the ideas waiting."),
}
STATUS_ACTIONS = {
    "approve": IdeaStatus.APPROVED,
    "hide": IdeaStatus.HIDDEN,
    "pending": IdeaStatus.PENDING,
}


async def _idea_round(request: Request, workshop: Workshop) -> Round:
    rnd = await request.app.state.rounds.round_in(workshop.id, request.path_params["round_id"])
    if not kinds.get(rnd.kind).collects_ideas:
        raise Forbidden("This round does not collect ideas.")
    return rnd


async def _desk_reply(request: Request, workshop: Workshop, rnd: Round, message: str) -> Response:
    """The refreshed desk and the flash for htmx; a redirect to the console (a moderator's
    desk page) otherwise."""
    moderating = not may(current_user(request), Power.RUN, workshop.id)
    context: dict = {}
    if is_htmx(request):
        joined = (await request.app.state.store.ballots.turnout(workshop.id, rnd.id)).joined
        context = {
            "workshop": workshop,
            "round": rnd,
            "kind": kinds.get(rnd.kind),
            "moderating": moderating,
        }
        context.update(await screens.idea_context(request.app.state.store, rnd, joined))
    back = f"/f/workshops/{workshop.id}" + ("/desk" if moderating else "")
    return reply(request, "fragments/idea_desk.html", context, back, message)


@desk
async def idea_action(request: Request, workshop: Workshop) -> Response:
    form = await read_form(request)
    rnd = await _idea_round(request, workshop)
    desk = request.app.state.idea_desk
    idea = await desk.idea_in(rnd, request.path_params["idea_id"])
    action = request.path_params["action"]
    if action == "edit":
        await desk.edit(rnd, idea, form)
        return await _desk_reply(
            request, workshop, rnd, _("Saved the new wording; the original is kept.")
        )
    if action not in STATUS_ACTIONS:
        raise Forbidden()
    updated = await desk.set_status(rnd, idea, STATUS_ACTIONS[action])
    message = _(STATUS_MESSAGES[updated.status], text=updated.text)
    return await _desk_reply(request, workshop, rnd, message)


@desk
async def approve_all(request: Request, workshop: Workshop) -> Response:
    await read_form(request)
    rnd = await _idea_round(request, workshop)
    n = await request.app.state.idea_desk.approve_pending(rnd)
    message = ngettext("{n} idea approved.", "{n} ideas approved.", n)
    return await _desk_reply(request, workshop, rnd, message)


@desk
async def merge(request: Request, workshop: Workshop) -> Response:
    form = await read_form(request)
    rnd = await _idea_round(request, workshop)
    target, joined = await request.app.state.idea_desk.merge(rnd, form)
    message = ngettext(
        "Merged {n} idea into “{text}”.",
        "Merged {n} ideas into “{text}”.",
        joined,
        text=target.text,
    )
    return await _desk_reply(request, workshop, rnd, message)


@facilitator
async def to_options(request: Request, workshop: Workshop) -> Response:
    await read_form(request)
    rnd = await _idea_round(request, workshop)
    made, new_round = await request.app.state.idea_desk.to_options(rnd)
    message = ngettext("{n} idea became an option.", "{n} ideas became options.", made)
    if new_round:
        message += " " + _("They are in a new dot-voting round, ready to open.")
    else:
        message += " " + _("Add another option to vote on it in a round.")
    return await console_reply(request, workshop, message)


# -- paper ballots ------------------------------------------------------------------------------


async def _paper_page(
    request: Request, workshop: Workshop, rnd: Round, status: int = 200, **extra: object
) -> Response:
    store = request.app.state.store
    options = {o.id: o for o in await store.options.options(workshop.id)}
    return request.app.state.renderer.page(
        request,
        "pages/paper.html",
        status=status,
        workshop=workshop,
        round=rnd,
        kind=kinds.get(rnd.kind),
        options=options,
        ballot_options=sheets.paper_order(rnd, options),
        entries=await store.ballots.paper_entries(rnd.id),
        next_label=next_paper_label(await store.workshops.paper_labels(workshop.id)),
        **extra,
    )


@desk
async def paper_page(request: Request, workshop: Workshop) -> Response:
    rnd = await request.app.state.rounds.round_in(workshop.id, request.path_params["round_id"])
    return await _paper_page(request, workshop, rnd)


@desk
async def paper_entry(request: Request, workshop: Workshop) -> Response:
    """Count one paper ballot; a refused sheet comes back with what was typed and the reason."""
    form = await read_form(request)
    uc = request.app.state.ballots
    rnd = await request.app.state.rounds.round_in(workshop.id, request.path_params["round_id"])
    if rnd.status is not RoundStatus.OPEN:
        return await _paper_page(
            request,
            workshop,
            rnd,
            409,
            error=_("Paper ballots can be entered while the round is open."),
            typed=form,
        )
    try:
        label, ack = await uc.enter_paper(rnd, form)
    except FacilitationError as exc:  # shown on the form with what was typed; nothing stored
        return await _paper_page(request, workshop, rnd, exc.status, error=exc.text(), typed=form)
    if ack.duplicate:
        flash(request, _("That sheet was already counted (the form was sent twice)."))
    else:
        flash(request, _("Paper ballot {label} counted.", label=label))
    return RedirectResponse(f"/f/workshops/{workshop.id}/rounds/{rnd.id}/paper", status_code=303)


@desk
async def paper_sheet(request: Request, workshop: Workshop) -> Response:
    """A round's paper ballot to print, ``copies`` times, in the language asked for (``lang``,
    else the page's); bad input is said on the page and nothing is printed."""
    rnd = await request.app.state.rounds.round_in(workshop.id, request.path_params["round_id"])
    asked = request.query_params
    status, error, copies = 200, "", 1
    try:
        if asked.get("lang"):
            i18n.activate(read_language(asked.get("lang")))
        copies = sheets.read_copies(asked.get("copies"))
    except FacilitationError as exc:
        status, error, copies = exc.status, exc.text(), 0
    context = await sheets.sheet_context(request.app.state.store, rnd, i18n.current())
    return request.app.state.renderer.page(
        request,
        "pages/sheet.html",
        status=status,
        workshop=workshop,
        copies=copies,
        typed_copies=asked.get("copies", "1"),
        error=error,
        max_copies=sheets.MAX_COPIES,
        **context,
    )


# -- the moderator's desk ----------------------------------------------------------------------


@desk
async def desk_page(request: Request, workshop: Workshop) -> Response:
    """The idea desk and paper ballots of one workshop, live, without the console's controls:
    the page of the workshop's moderator (a resident co-facilitator, say)."""
    state = request.app.state
    context = await screens.console_context(state.store, workshop.id)
    return state.renderer.page(request, "pages/desk.html", moderating=True, **context)
