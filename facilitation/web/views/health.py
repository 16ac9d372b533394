"""Views for the PACT health check: adding it to a workshop, and rewording its statements."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from facilitation.core.i18n import _
from facilitation.core.models import Programme, Workshop
from facilitation.web.auth import facilitator, programme_view
from facilitation.web.common import flash, read_form
from facilitation.web.console import console_reply


@facilitator
async def add_health_check(request: Request, workshop: Workshop) -> Response:
    await read_form(request)
    rnd = await request.app.state.health.add_to(workshop)
    await request.app.state.translating.translate_health_check(workshop, rnd)
    message = _(
        "“{title}” is ready: open it at the end of the workshop. Its four statements are shown "
        "in the options list, where you can reword them for this workshop.",
        title=rnd.title,
    )
    return await console_reply(request, workshop, message)


@programme_view
async def save_statements(request: Request, programme: Programme) -> Response:
    form = await read_form(request)
    await request.app.state.health.save_statements(programme, form)
    flash(request, _("Health check statements saved. New health checks will use them."))
    return RedirectResponse(f"/f/programmes/{programme.id}#health-h", status_code=303)
