"""What the server logs: timestamped lines, an access line per request, and quiet libraries.

The access line is written when the response is done, with its duration. It never holds cookies
or query strings, and join codes that were refused (someone guessing) are neither written out nor
allowed to flood the log: a few are logged, then one line a minute says how many were left out.
Nothing else floods it either: past a few hundred requests a second the access lines are
counted instead, and any other message repeated over and over (a connection refused, a resource
run out) is written a few times, then once a minute with how many were left out.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facilitation.core.limits import Buckets, TokenBucket

access_log = logging.getLogger("facilitation.access")

# At INFO, WeasyPrint reports each step of every PDF, fontTools its font subsetting, and uvicorn
# every websocket opening and closing with its join code in the path (the access log says it once).
QUIET = ("weasyprint", "fontTools", "uvicorn", "uvicorn.error")


class IsoFormatter(logging.Formatter):
    """Times as ISO 8601 in local time, to the millisecond, with the UTC offset."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        when = datetime.fromtimestamp(record.created).astimezone()
        return when.isoformat(timespec="milliseconds")


def config(level: str = "INFO") -> dict[str, Any]:
    """The logging configuration (for logging.config.dictConfig, or uvicorn's log_config)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "iso": {
                "()": IsoFormatter,
                "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
            }
        },
        "filters": {"quiet": {"()": Quiet}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "iso", "filters": ["quiet"]}
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            # uvicorn's own handlers would print lines without a time: everything goes to ours.
            **{name: {"level": "WARNING", "handlers": [], "propagate": True} for name in QUIET},
        },
    }


class Quiet(logging.Filter):
    """Lets each message (by logger, level and text before its arguments) through a few times,
    then once a minute, saying how many like it were left out. The access log limits itself."""

    def __init__(
        self, burst: int = 5, per: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.clock = clock
        self.allowed = Buckets(rate=1 / per, burst=burst, max_keys=1000)
        self.left_out: dict[tuple[str, int, str], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == access_log.name:
            return True
        key = (record.name, record.levelno, str(record.msg))
        if not self.allowed.allow(key, self.clock()):
            if key in self.left_out or len(self.left_out) < 1000:
                self.left_out[key] = self.left_out.get(key, 0) + 1
            return False
        left = self.left_out.pop(key, 0)
        if left:
            record.msg = f"{record.msg} ({left} more like this not logged)"
        return True


# The first path segment after /w/ is a join code.
JOIN_PATH = re.compile(r"^/w/[^/]+")
REFUSED = (403, 404, 429)
LINES_PER_SECOND, LINES_BURST = 200.0, 2000


class AccessLog:
    """ASGI middleware writing one line per HTTP request (and per websocket, when it ends):
    client address, method and path, status, and how long it took."""

    def __init__(
        self,
        app: ASGIApp,
        logger: logging.Logger = access_log,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.logger = logger
        self.clock = clock
        # Refused join codes: ten at once, then one a minute.
        self.refusals = TokenBucket(rate=1 / 60, burst=10)
        self.unlogged = 0
        # Every line: a busy room's requests pass; a flood is counted, not written.
        self.lines = TokenBucket(rate=LINES_PER_SECOND, burst=LINES_BURST)
        self.skipped = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = {"code": 500 if scope["type"] == "http" else 403}

        async def watch(message: Message) -> None:
            kind = message["type"]
            if kind in ("http.response.start", "websocket.http.response.start"):
                status["code"] = message["status"]
            elif kind == "websocket.accept":
                status["code"] = 101
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self.write(scope, status["code"], time.perf_counter() - start)

    def write(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope.get("method", "WS")
        path = scope["path"]
        note = ""
        if status in REFUSED and (path == "/join" or JOIN_PATH.match(path)):
            if not self.refusals.allow(self.clock()):
                self.unlogged += 1
                return
            path = JOIN_PATH.sub("/w/*", path)
            if self.unlogged:
                note = f" ({self.unlogged} more refused join codes not logged)"
                self.unlogged = 0
        if not self.lines.allow(self.clock()):
            self.skipped += 1
            return
        if self.skipped:
            note += f" ({self.skipped} more requests not logged)"
            self.skipped = 0
        client = scope.get("client")
        address = client[0] if client else "-"
        self.logger.info(
            '%s "%s %s" %d %.1fms%s', address, method, path, status, seconds * 1000, note
        )
