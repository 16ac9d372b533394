"""Participant pages: the home page's join form, joining a workshop, the phone page, and the
plain-HTTP ballot that stands in when the phone's websocket is down."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from facilitation.core.errors import FacilitationError, NotFound, TooManyRequests
from facilitation.core.i18n import _
from facilitation.core.models import Participant, Workshop
from facilitation.web.common import csrf_token, flash, is_htmx, read_form
from facilitation.web.live import ack_html, status_html
from facilitation.web.phone import after_join, speak
from facilitation.workshop import screens
from facilitation.workshop.ballots import who


async def home(request: Request) -> Response:
    csrf_token(request)
    code = request.query_params.get("code", "")
    return request.app.state.renderer.page(request, "pages/home.html", code=code[:12], error=None)


async def join_by_code(request: Request) -> Response:
    """The home page's form: find the workshop by its code, then join it."""
    form = await read_form(request)
    uc = request.app.state.ballots
    try:
        workshop = await uc.find_by_code(form.get("code"), who(request))
    except (NotFound, TooManyRequests) as exc:
        return request.app.state.renderer.page(
            request,
            "pages/home.html",
            status=exc.status,
            code=form.get("code", "")[:12] if isinstance(form.get("code"), str) else "",
            error=exc.text(),
        )
    if await _participant(request, workshop) is None:
        participant = await _join(request, workshop, form.get("name"))
        return RedirectResponse(await after_join(request, workshop, participant), status_code=303)
    return RedirectResponse(f"/w/{workshop.code}", status_code=303)


async def _participant(request: Request, workshop: Workshop) -> Participant | None:
    token = request.session.get("p", {}).get(str(workshop.id))
    if not token:
        return None
    participant = await request.app.state.store.workshops.participant_by_token(token)
    return participant if participant and participant.workshop_id == workshop.id else None


async def _join(request: Request, workshop: Workshop, name: object) -> Participant:
    _w, participant = await request.app.state.ballots.join(workshop.code, name, who(request))
    places = dict(request.session.get("p", {}))
    places[str(workshop.id)] = participant.token
    request.session["p"] = places
    return participant


async def _workshop(request: Request) -> Workshop:
    return await request.app.state.ballots.find_by_code(request.path_params["code"], who(request))


async def phone_page(request: Request) -> Response:
    """The participant's page: the join form the first time, then the live stage."""
    workshop = await _workshop(request)
    if workshop.code != request.path_params["code"]:
        return RedirectResponse(f"/w/{workshop.code}", status_code=303)
    csrf = csrf_token(request)
    languages = await speak(request, workshop)
    participant = await _participant(request, workshop)
    renderer = request.app.state.renderer
    if participant is None:
        return renderer.page(request, "pages/join.html", workshop=workshop, languages=languages)
    ctx = await screens.phone_context(
        request.app.state.store, workshop, participant, request.app.state.rounds.result, csrf
    )
    asks = await request.app.state.profiles.asked(workshop) is not None
    return renderer.page(request, "pages/phone.html", asks_about=asks, languages=languages, **ctx)


async def join_workshop(request: Request) -> Response:
    form = await read_form(request)
    workshop = await _workshop(request)
    if await _participant(request, workshop) is None:
        participant = await _join(request, workshop, form.get("name"))
        return RedirectResponse(await after_join(request, workshop, participant), status_code=303)
    return RedirectResponse(f"/w/{workshop.code}", status_code=303)


async def stage(request: Request) -> Response:
    """The current stage fragment, for a phone whose socket is down and polls instead."""
    workshop = await _workshop(request)
    await speak(request, workshop)
    participant = await _participant(request, workshop)
    if participant is None:
        raise NotFound("place in this workshop")
    ctx = await screens.phone_context(
        request.app.state.store,
        workshop,
        participant,
        request.app.state.rounds.result,
        csrf_token(request),
    )
    return HTMLResponse(request.app.state.renderer.fragment("fragments/stage.html", **ctx))


async def ballot(request: Request) -> Response:
    """A ballot over plain HTTP: the same form and rules as the websocket, acknowledged alike."""
    received = time.monotonic()
    form = await read_form(request)
    workshop = await _workshop(request)
    await speak(request, workshop)
    participant = await _participant(request, workshop)
    if participant is None:
        raise NotFound("place in this workshop")
    form.setdefault("action", "ballot")
    renderer = request.app.state.renderer
    try:
        ack = await request.app.state.ballots.cast_ballot(participant, workshop, form)
    except FacilitationError as exc:
        if not is_htmx(request):
            raise
        html = status_html(
            renderer,
            form.get("round_id"),
            error=exc.text(),
            client_id=form.get("client_id"),
        )
        return HTMLResponse(html, status_code=exc.status)
    if is_htmx(request):
        response: Response = HTMLResponse(await ack_html(request.app.state, participant, ack))
    else:
        flash(request, _("Saved. You can change your vote until the round closes."))
        response = RedirectResponse(f"/w/{workshop.code}", status_code=303)
    request.app.state.metrics.ack_sent("http", time.monotonic() - received)
    return response
