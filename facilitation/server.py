"""Running the app: under uvicorn for real, or in-process for a one-off `get PATH` smoke check."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any
from urllib.parse import unquote, urlsplit

import uvicorn
from starlette.types import ASGIApp, Message

from facilitation.settings import Settings
from facilitation.web import connections, logs
from facilitation.web.address import JoinAddresses

log = logging.getLogger("facilitation.server")
BODY_TIMEOUT = 30.0  # seconds to send a request's body once its headers are in


WORKER_APP = "facilitation.server:worker_app"
WORKER_PROTOCOL = "facilitation.web.connections:WorkerProtocol"


def uvicorn_config(settings: Settings, workers: int = 1) -> uvicorn.Config:
    """The server configuration: websocket size limit, heartbeats, graceful restarts, limits on
    connections (how many, how long to send a request), and the logging (timestamped, with our
    access log in place of uvicorn's). Several workers each build the app and the deadlines of
    their connections from the environment (worker_app), which serve() fills from ``settings``."""
    from facilitation.app import create_app

    limit = connections.connection_limit(settings.max_connections)
    app: Any = WORKER_APP
    http: Any = WORKER_PROTOCOL
    if workers == 1:
        app = logs.AccessLog(create_app(settings))
        http = connections.protocol(
            connections.Deadlines(settings.header_timeout, BODY_TIMEOUT, limit)
        )
    return uvicorn.Config(
        app,
        factory=workers > 1,
        workers=workers,
        host=settings.host,
        port=settings.port,
        http=http,
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


def worker_app() -> ASGIApp:
    """One worker's app, built from the FACILITATION_ variables its supervisor set."""
    from facilitation.app import create_app

    settings = Settings.from_env()
    # Made here, in the worker, before it accepts a connection: a class made at run time
    # cannot be sent to a worker process.
    limit = connections.connection_limit(settings.max_connections)
    connections.WorkerProtocol.deadlines = connections.Deadlines(
        settings.header_timeout, BODY_TIMEOUT, limit
    )
    return logs.AccessLog(create_app(settings))


def several_workers_problem(settings: Settings, workers: int) -> str:
    """Why ``workers`` processes cannot serve these settings ("" if they can)."""
    if workers == 1:
        return ""
    if settings.engine != "postgresql" or not settings.redis_url:
        return (
            f"--workers {workers} needs PostgreSQL and Redis (--database postgresql://... "
            "--redis redis://...): a SQLite file has one writer, and without Redis a phone, "
            "a board and a console on different workers would not see each other's changes. "
            "One worker on SQLite serves a hall of 2,000 phones."
        )
    return ""


def serve(settings: Settings, workers: int = 1) -> int:
    """Serve until interrupted, with ``workers`` processes sharing the port (restarted by
    uvicorn's supervisor if one dies); 1 if the app could not start, 2 if refused."""
    from facilitation.storage.backup import refuse_newer_database

    problem = several_workers_problem(settings, workers)
    if problem:
        log.error("%s", problem)
        return 2
    before, after = connections.raise_open_files()
    config = uvicorn_config(settings, workers)  # also sets up logging, timestamped
    limit = config.limit_concurrency or settings.max_connections
    # Checked before uvicorn starts, so the refusal reads as a message rather than a traceback.
    if settings.sqlite_path:
        refuse_newer_database(settings.sqlite_path)
    if workers > 1:
        return _serve_workers(settings, config)
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


def _serve_workers(settings: Settings, config: uvicorn.Config) -> int:
    from uvicorn.supervisors import Multiprocess

    from facilitation.storage.store import Store

    async def migrate() -> None:
        # Once, before the workers start, so none of them waits on another's migration.
        await (await Store(settings.database).open()).close()

    asyncio.run(migrate())
    os.environ.update(settings.environment())
    log.info(
        "Serving on http://%s:%s/ with %d workers", settings.host, settings.port, config.workers
    )
    Multiprocess(config, sockets=[config.bind_socket()]).run()
    return 0


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
