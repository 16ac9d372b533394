"""/metrics for Prometheus: for this machine, or elsewhere with the metrics token; else 404."""

from __future__ import annotations

import hmac
import ipaddress

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from facilitation.web.metrics import CONTENT_TYPE

# A request that a proxy passed on names its sender in one of these: it is not from this
# machine, whatever address the proxy itself connected from.
FORWARDED = ("forwarded", "x-forwarded-for", "x-real-ip")


async def metrics(request: Request) -> Response:
    state = request.app.state
    if not (from_loopback(request) or has_token(request, state.settings.metrics_token)):
        # The same answer as for a path that does not exist: nothing to tell a stranger.
        raise HTTPException(404)
    body = state.metrics.exposition(rounds_open=await state.store.rounds.open_round_count())
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


def from_loopback(request: Request) -> bool:
    if request.client is None or any(name in request.headers for name in FORWARDED):
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:  # not an address at all (a unix socket, a test client's name)
        return False


def has_token(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), token.encode())
    )
