"""The projected live board page; its live region is pushed by facilitation.live."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from facilitation import render
from facilitation.models import Workshop
from facilitation.views.facilitator import facilitator


@facilitator
async def board_page(request: Request, workshop: Workshop) -> Response:
    state = request.app.state
    url = state.join_url(workshop.code, request)
    ctx = await render.board_context(state.store, workshop.id, url)
    return state.renderer.page(request, "pages/board.html", **ctx)
