"""The facilitator's console: what its page and live regions show, and the reply to an action."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from facilitation import kinds
from facilitation.core.models import Workshop
from facilitation.people import room
from facilitation.web.common import is_htmx, reply
from facilitation.workshop import screens


async def console_data(request: Request, workshop: Workshop) -> dict:
    """Everything the console page and its fragments show."""
    store = request.app.state.store
    rounds = await store.rounds.rounds(workshop.id)
    options = await store.options.options(workshop.id)
    fresh = await store.workshops.workshop(workshop.id)
    current = next((r for r in rounds if r.id == fresh.current_round_id), None)
    turnout = await store.ballots.turnout(workshop.id, current.id if current else None)
    ideas = {"desk": None}
    if current is not None and kinds.get(current.kind).collects_ideas:
        ideas = await screens.idea_context(store, current, turnout.joined)
    return {
        **ideas,
        # The programmes it could join: its own organisation's.
        "programmes": await store.plans.programmes(fresh.organisation_id),
        "programme_id": await store.plans.workshop_programme(workshop.id),
        "workshop": fresh,
        "rounds": rounds,
        "options": options,
        "live_options": [o for o in options if not o.withdrawn],
        "options_by_id": {o.id: o for o in options},
        "round": current,
        "turnout": turnout,
        "kiosks": await store.kiosks.kiosks(workshop.id),
        "join_url": request.app.state.join_url(fresh.code, request),
        "join": request.app.state.join_address(request),
        "now": time.time(),
        "languages": await request.app.state.translating.languages(workshop.id),
        **await room.room_context(store, workshop.id),
    }


async def console_reply(
    request: Request, workshop: Workshop, message: str | None, kind: str = "info"
) -> Response:
    """After a console action: the updated console body, live strip and flash (or a redirect)."""
    data = await console_data(request, workshop) if is_htmx(request) else {}
    return reply(
        request,
        "fragments/console_main.html",
        data,
        f"/f/workshops/{workshop.id}",
        message,
        kind,
        extra=(
            "fragments/console_live.html",
            "fragments/idea_desk.html",
            "fragments/room_panel.html",
        ),
    )
