"""The /healthz probe: 200 while the database reads, writes and is at this release's migration
level; 503 with the reason when it is not, so a load balancer or supervisor can tell."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


async def healthz(request: Request) -> Response:
    health = await request.app.state.store.health()
    body = {"status": "ok" if health.ok else "unavailable", "migration": health.migration}
    if not health.ok:
        body["reason"] = health.reason
    return JSONResponse(
        body, status_code=200 if health.ok else 503, headers={"Cache-Control": "no-store"}
    )
