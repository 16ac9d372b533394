"""Running the app: under uvicorn for real, or in-process for a one-off `get PATH` smoke check."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import unquote, urlsplit

import uvicorn
from starlette.types import ASGIApp, Message

from facilitation.settings import Settings
from facilitation.web import connections, logs
from facilitation.web.address import JoinAddresses

log = logging.getLogger("facilitation.server")
BODY_TIMEOUT = 30.0  # seconds to send a request's body once its headers are in


def uvicorn_config(settings: Settings) -> uvicorn.Config:
    """The server configuration: websocket size limit, heartbeats, graceful restarts, limits on
    connections (how many, how long to send a request), and the logging (timestamped, with our
    access log in place of uvicorn's)."""
    from facilitation.app import create_app

    limit = connections.connection_limit(settings.max_connections)
    deadlines = connections.Deadlines(settings.header_timeout, BODY_TIMEOUT, limit)
    return uvicorn.Config(
        logs.AccessLog(create_app(settings)),
        host=settings.host,
        port=settings.port,
        http=connections.protocol(deadlines),
        limit_concurrency=limit,
        backlog=2048,
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=16 * 1024,  # the longest request line and headers
        ws="websockets-sansio",
        ws_max_size=settings.ws_max_bytes,
        ws_ping_interval=settings.heartbeat,
        ws_ping_timeout=settings.heartbeat,
        ws_per_message_deflate=False,
        # The app reads forwarded headers itself, from the trusted_proxies setting only: uvicorn's
        # own default would believe anyone connecting from 127.0.0.1.
        proxy_headers=False,
        lifespan="on",
        log_config=logs.config(),
        log_level=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )


def serve(settings: Settings) -> int:
    """Serve until interrupted; 1 if the app could not start."""
    from facilitation.storage.backup import refuse_newer_database

    before, after = connections.raise_open_files()
    config = uvicorn_config(settings)  # also sets up logging, timestamped
    limit = config.limit_concurrency or settings.max_connections
    # Checked before uvicorn starts, so the refusal reads as a message rather than a traceback.
    refuse_newer_database(settings.data_path)
    server = uvicorn.Server(config)
    log.info("Serving on http://%s:%s/", settings.host, settings.port)
    join = JoinAddresses(settings.public_url, settings.host, settings.port).address()
    log.info("Join links and QR codes point to %s/", join.base)
    log.info(
        "Open files: up to %d%s; connections held at once: up to %d",
        after,
        f" (raised from {before})" if after > before else "",
        limit,
    )
    if limit < settings.max_connections:
        log.warning(
            "The open-file limit allows %d connections, not the %d asked for: raise it "
            "(LimitNOFILE= in a systemd unit, ulimit -n in a shell) for larger rooms",
            limit,
            settings.max_connections,
        )
    if not join.reachable:
        log.warning("%s", join.advice)
    server.run()
    return 0 if server.started else 1


def get(settings: Settings, path: str) -> tuple[int, str]:
    """Request one path from the app in-process, lifespan included; return status and body."""
    from facilitation.app import create_app

    async def run() -> tuple[int, str]:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            return await _asgi_get(app, path)

    return asyncio.run(run())


async def _asgi_get(app: ASGIApp, path: str) -> tuple[int, str]:
    """One GET through the ASGI interface, as a server would make it; no HTTP client needed."""
    target = urlsplit(path)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "server": ("localhost", 80),
        "client": ("127.0.0.1", 0),
        "root_path": "",
        "path": unquote(target.path) or "/",
        "raw_path": (target.path or "/").encode(),
        "query_string": target.query.encode(),
        "headers": [(b"host", b"localhost")],
    }
    status, body, done = 0, bytearray(), asyncio.Event()
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        # Like a server: nothing more arrives until the response is over and the client leaves.
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    try:
        await app(scope, receive, send)
    finally:
        done.set()
    return status, body.decode("utf-8", errors="replace")
