"""The connections the server holds: a deadline for each request's headers and body, room made
for a new connection by dropping the oldest that has not finished its headers, and the open-file
limit raised as far as the system allows, so that a flood of idle or trickling connections can
neither use up the server nor fill its log.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections import Counter, OrderedDict
from typing import ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    import resource
except ImportError:  # Windows has no open-file limit to raise
    resource = None  # type: ignore[assignment]

log = logging.getLogger("facilitation.server")

# Kept free below the open-file limit for the database, the static files, the log and such.
RESERVE = 64
# Asked for when the system sets no ceiling of its own.
UNLIMITED = 1 << 20
# What accept() fails with when the process or the system has no file left for a connection.
OUT_OF_FILES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
REPORT_EVERY = 60.0  # seconds between two lines about dropped connections, at most


def raise_open_files() -> tuple[int, int]:
    """Raise this process's open-file limit to the most it may have; returns (before, after)."""
    if resource is None:
        return UNLIMITED, UNLIMITED
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = UNLIMITED if hard == resource.RLIM_INFINITY else hard
    for target in (wanted, min(wanted, 10_240)):  # macOS refuses more than its own ceiling
        if target <= soft:
            return soft, soft
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            continue
        return soft, target
    return soft, soft


def open_files() -> int:
    """The open-file limit now in force for this process."""
    if resource is None:
        return UNLIMITED
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def connection_limit(wanted: int) -> int:
    """How many connections to hold at once: as many as asked, if the open files allow."""
    return max(16, min(wanted, open_files() - RESERVE))


class Deadlines:
    """What the server's connections share: the limits, the connections still waiting for
    their headers (oldest first), and counts of those dropped, reported once a minute at most."""

    def __init__(self, header_timeout: float, body_timeout: float, limit: int) -> None:
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.limit = limit
        self.waiting: OrderedDict[int, DeadlineProtocol] = OrderedDict()
        self.counts: Counter[str] = Counter()
        self._report: asyncio.TimerHandle | None = None
        self._watched: asyncio.AbstractEventLoop | None = None

    def watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Count a refusal for want of open files instead of logging a traceback for it.

        A burst of connections is accepted in one go, before any of them can make room, so the
        last few may find no file left; the loop then stops accepting for a second and retries,
        which is the right response, but reports it as an error with a traceback each time."""
        if self._watched is loop:
            return
        self._watched = loop
        previous = loop.get_exception_handler()

        def handle(loop: asyncio.AbstractEventLoop, context: dict) -> None:
            error = context.get("exception")
            if isinstance(error, OSError) and error.errno in OUT_OF_FILES:
                self.note("refused for a moment: no open files left", loop)
            elif previous is not None:
                previous(loop, context)
            else:
                loop.default_exception_handler(context)

        loop.set_exception_handler(handle)

    def make_room(self, connections: set, newcomer: DeadlineProtocol) -> None:
        """With the server full, drop the connections that have waited longest without
        finishing their headers (idle or trickling), so the newcomer can be answered."""
        while len(connections) >= self.limit:
            oldest = next((p for p in self.waiting.values() if p is not newcomer), None)
            if oldest is None:
                return  # all busy: the newcomer's request gets "503 Service Unavailable"
            oldest.drop("made room for a new connection")

    def note(self, what: str, loop: asyncio.AbstractEventLoop) -> None:
        self.counts[what] += 1
        if self._report is None:
            self.report(loop)

    def report(self, loop: asyncio.AbstractEventLoop) -> None:
        """One line for everything dropped since the last, then again in a minute if need be."""
        if not self.counts:
            self._report = None
            return
        summary = ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items()))
        log.warning("connections closed: %s", summary)
        self.counts.clear()
        self._report = loop.call_later(REPORT_EVERY, self.report, loop)


class DeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers (from the connection
    opening, or the end of the previous response) and then its body; a websocket upgrade beyond
    the connection limit is refused with 503."""

    deadlines: ClassVar[Deadlines]
    _timer: asyncio.TimerHandle | None = None
    _reading = "headers"  # headers, body, or nothing (the app has the whole request)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.deadlines.watch(self.loop)
        self._await_headers()
        self.deadlines.make_room(self.connections, self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        self.deadlines.waiting.pop(id(self), None)
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self._await_headers()  # the next request on this connection, if any
        super().on_response_complete()

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        cycle = self.cycle
        if cycle is None or self._reading == "" or self.transport.is_closing():
            return
        if cycle is not before and self._reading == "headers":
            self.deadlines.waiting.pop(id(self), None)
            self._reading = "body"
            self._start_timer(self.deadlines.body_timeout)
        if self._reading == "body" and not cycle.more_body:
            self._reading = ""
            self._stop_timer()

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._reading = ""
        self._stop_timer()
        self.deadlines.waiting.pop(id(self), None)
        # This connection still counts itself among the server's until it is upgraded.
        if len(self.connections) > self.deadlines.limit:
            self.deadlines.note("websockets refused: the server was full", self.loop)
            self._refuse(503)
            return
        super().handle_websocket_upgrade(event)

    def drop(self, why: str) -> None:
        self.deadlines.note(why, self.loop)
        self.deadlines.waiting.pop(id(self), None)
        self._stop_timer()
        if not self.transport.is_closing():
            self.transport.close()

    def _await_headers(self) -> None:
        self._reading = "headers"
        self.deadlines.waiting[id(self)] = self
        self.deadlines.waiting.move_to_end(id(self))
        self._start_timer(self.deadlines.header_timeout)

    def _expire(self) -> None:
        self._timer = None
        if self._reading == "headers":
            self.drop("had not sent their headers in time")
        elif self._reading == "body":
            self.drop("had not sent their request in time")

    def _start_timer(self, seconds: float) -> None:
        self._stop_timer()
        self._timer = self.loop.call_later(seconds, self._expire)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _refuse(self, status: int) -> None:
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
        body = b"The server is busy. Please try again in a moment.\n"
        for event in (
            h11.Response(status_code=status, headers=headers),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()


def protocol(deadlines: Deadlines) -> type[DeadlineProtocol]:
    """The protocol class for one server, sharing ``deadlines`` among its connections."""
    return type("ServerProtocol", (DeadlineProtocol,), {"deadlines": deadlines})


class WorkerProtocol(DeadlineProtocol):
    """The protocol of one of several worker processes, named by its import path; the worker
    gives it its deadlines as it builds its app (server.worker_app)."""
