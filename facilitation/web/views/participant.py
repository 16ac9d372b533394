"""Participant pages: the home page's join form, joining a workshop, the phone page, and the
plain-HTTP ballot that stands in when the phone's websocket is down."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from facilitation.core.errors import FacilitationError, NotFound, TooManyRequests
from facilitation.core.i18n import _
from facilitation.core.models import Participant, Workshop
from facilitation.web.common import client_gone, csrf_token, flash, is_htmx, read_form
from facilitation.web.live import ack_html, status_html
from facilitation.web.phone import after_join, on_door_tablet, speak
from facilitation.workshop import screens
from facilitation.workshop.ballots import places_of, who


async def home(request: Request) -> Response:
    if on_door_tablet(request):  # people at the door start with "I'm new", not a code
        return RedirectResponse("/kiosk", status_code=303)
    csrf_token(request)
    code = request.query_params.get("code", "")
    return request.app.state.renderer.page(request, "pages/home.html", code=code[:12], error=None)


async def join_by_code(request: Request) -> Response:
    """The home page's form: find the workshop by its code, then join it."""
    form = await read_form(request)
    uc = request.app.state.ballots
    member = await uc.member(form.get("code"), places_of(request))
    if member is not None:
        return RedirectResponse(f"/w/{member[0].code}", status_code=303)
    try:
        workshop = await uc.find_by_code(form.get("code"), who(request, client_gone(request)))
    except (NotFound, TooManyRequests) as exc:
        return request.app.state.renderer.page(
            request,
            "pages/home.html",
            status=exc.status,
            code=form.get("code", "")[:12] if isinstance(form.get("code"), str) else "",
            error=exc.text(),
        )
    participant = await _join(request, workshop, form.get("name"))
    return await _joined(request, workshop, participant)


async def _joined(request: Request, workshop: Workshop, participant: Participant) -> Response:
    """Where a phone goes once it has joined. The workshop's own page is the answer to the join
    itself, not a redirect to it: on a slow link a redirect costs a whole round trip (0.4 s on a
    weak signal), and the page puts its own address in the browser's history (phone.js)."""
    where = await after_join(request, workshop, participant)
    if where != f"/w/{workshop.code}":
        return RedirectResponse(where, status_code=303)
    return await _stage_page(request, workshop, participant)


async def _join(request: Request, workshop: Workshop, name: object) -> Participant:
    participant = await request.app.state.ballots.join(workshop, name)
    places = dict(request.session.get("p", {}))
    places[str(workshop.id)] = participant.token
    request.session["p"] = places
    return participant


async def _member(request: Request) -> tuple[Workshop, Participant] | None:
    """The workshop in the path and this device's place in it, if it has joined: no limit on
    guessing ever applies to it."""
    return await request.app.state.ballots.member(request.path_params["code"], places_of(request))


async def _place(request: Request) -> tuple[Workshop, Participant]:
    """As _member, for what only someone who has joined may see; anyone else is told to join,
    whether or not the code exists (so nothing here helps a guesser)."""
    member = await _member(request)
    if member is None:
        raise NotFound("place in this workshop")
    return member


async def phone_page(request: Request) -> Response:
    """The participant's page: the join form the first time, then the live stage."""
    member = await _member(request)
    participant = member[1] if member else None
    workshop = (
        member[0]
        if member
        else await request.app.state.ballots.find_by_code(
            request.path_params["code"], who(request, client_gone(request))
        )
    )
    if workshop.code != request.path_params["code"]:
        return RedirectResponse(f"/w/{workshop.code}", status_code=303)
    csrf_token(request)
    renderer = request.app.state.renderer
    if participant is None:
        if on_door_tablet(request):  # the tablet's people start with "I'm new", not a name
            return RedirectResponse("/kiosk", status_code=303)
        languages = await speak(request, workshop)
        return renderer.page(request, "pages/join.html", workshop=workshop, languages=languages)
    return await _stage_page(request, workshop, participant)


async def _stage_page(request: Request, workshop: Workshop, participant: Participant) -> Response:
    languages = await speak(request, workshop)
    ctx = await screens.phone_context(
        request.app.state.store,
        workshop,
        participant,
        request.app.state.rounds.result,
        csrf_token(request),
    )
    asks = await request.app.state.profiles.asked(workshop) is not None
    tablet = on_door_tablet(request)
    response = request.app.state.renderer.page(
        request,
        "pages/phone.html",
        asks_about=asks,
        door_tablet=tablet,
        languages=languages,
        **ctx,
    )
    if tablet:  # not kept for the Back button, where the next person could see this ballot
        response.headers["Cache-Control"] = "no-store"
    return response


async def join_workshop(request: Request) -> Response:
    form = await read_form(request)
    member = await _member(request)
    if member is not None:
        return RedirectResponse(f"/w/{member[0].code}", status_code=303)
    workshop = await request.app.state.ballots.find_by_code(
        request.path_params["code"], who(request, client_gone(request))
    )
    participant = await _join(request, workshop, form.get("name"))
    return await _joined(request, workshop, participant)


async def stage(request: Request) -> Response:
    """The current stage fragment, for a phone whose socket is down and polls instead."""
    workshop, participant = await _place(request)
    await speak(request, workshop)
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
    workshop, participant = await _place(request)
    await speak(request, workshop)
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


async def picture(request: Request) -> Response:
    """An option's picture, always one the server re-encoded itself. Its address names its
    version, so a phone keeps it for good and a new picture is a new address."""
    version = request.path_params["version"]
    image, media_type = await request.app.state.store.options.picture(
        request.path_params["option_id"], version
    )
    return Response(
        image,
        media_type=media_type,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "ETag": f'"{version}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
