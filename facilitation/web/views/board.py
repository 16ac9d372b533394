"""The projected live board page; its live region is pushed by facilitation.web.live."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from facilitation.core.i18n import activate
from facilitation.core.models import Workshop
from facilitation.web.auth import facilitator
from facilitation.workshop import screens


@facilitator
async def board_page(request: Request, workshop: Workshop) -> Response:
    state = request.app.state
    url = state.join_url(workshop.code, request)
    ctx = await screens.board_context(state.store, workshop.id, url)
    activate(ctx["board_lang"])  # the room's language, whatever the facilitator's own
    return state.renderer.page(request, "pages/board.html", **ctx)
