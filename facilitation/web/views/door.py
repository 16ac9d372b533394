"""The shared tablet at the door: unlocking it from the console, "I'm new", "Done", locking."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from facilitation.core.i18n import _
from facilitation.core.models import Workshop
from facilitation.web.auth import facilitator
from facilitation.web.common import csrf_token, flash, read_form
from facilitation.web.console import console_reply
from facilitation.web.phone import DOOR_TABLET, after_join, clear_person


@facilitator
async def unlock(request: Request, workshop: Workshop) -> Response:
    """Turn the device the facilitator is using into the workshop's door tablet. The facilitator
    is signed out on it, so the residents who use it next cannot reach the console."""
    await read_form(request)
    token = await request.app.state.door.unlock(workshop.id)
    sid = request.session.get("sid")
    if isinstance(sid, str):
        await request.app.state.store.users.end_session(sid)
    request.session.clear()
    request.session[DOOR_TABLET] = token
    return RedirectResponse("/kiosk", status_code=303)


@facilitator
async def lock(request: Request, workshop: Workshop) -> Response:
    await read_form(request)
    await request.app.state.door.lock(workshop.id, request.path_params["kiosk_id"])
    return await console_reply(
        request, workshop, _("The tablet is locked: no one else can take part on it.")
    )


async def start(request: Request) -> Response:
    """The tablet between two people: one big "I'm new" button."""
    csrf_token(request)
    kiosk, workshop = await request.app.state.door.tablet(request.session.get(DOOR_TABLET))
    response = request.app.state.renderer.page(
        request, "pages/kiosk.html", workshop=workshop, kiosk=kiosk
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def new_person(request: Request) -> Response:
    await read_form(request)
    workshop, participant = await request.app.state.door.new_person(
        request.session.get(DOOR_TABLET)
    )
    clear_person(request)
    request.session["p"] = {str(workshop.id): participant.token}
    return RedirectResponse(await after_join(request, workshop, participant), status_code=303)


async def done(request: Request) -> Response:
    """The person has finished: forget them on this tablet, ready for the next one."""
    await read_form(request)
    await request.app.state.door.tablet(request.session.get(DOOR_TABLET))
    clear_person(request)
    flash(request, _("Thank you. The tablet is ready for the next person."))
    return RedirectResponse("/kiosk", status_code=303)
