"""The physical ceiling for bench/load.py: a bare `websockets` server doing the app's fan-out.

Phones connect to /w/ROOM/ws and first receive a small stage holding a ballot form. They send
ballots as the app's phones do (the htmx ws extension's JSON); each one is answered at once with a
small ack carrying its client id and the room's new revision, in the same attributes as the app's
status line. Boards connect to /board/ROOM and receive the room's tally, coalesced to at most one
message per interval however fast ballots arrive, as the app's pusher does. There is no database,
no template, no session and no validation beyond reading the JSON: what is left is the websocket
work itself, which is as fast as Python on this machine can do the same job.

    .venv/bin/python bench/ceiling.py --port 8001 [--interval 0.1] [--heartbeat 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import json
import resource
import signal
from http import HTTPStatus

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

STAGE = (
    '<section id="stage" data-round="1" data-status="open">'
    '<form id="ballot" ws-send><input type="hidden" name="round_id" value="1"></form></section>'
)


class Room:
    """One room's ballots (the last per phone), revision and boards, and its coalescing push."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.revision = 0
        self.ballots: dict[int, dict[str, int]] = {}
        self.boards: set[ServerConnection] = set()
        self.pending = False
        self.task: asyncio.Task | None = None
        self.last = 0.0

    def state(self) -> str:
        tally: dict[str, int] = {}
        for dots in self.ballots.values():
            for option, n in dots.items():
                tally[option] = tally.get(option, 0) + n
        bars = "".join(
            f'<li data-option="{html.escape(o)}">{n}</li>' for o, n in sorted(tally.items())
        )
        return (
            f'<div id="board" data-revision="{self.revision}" data-ballots="{len(self.ballots)}">'
            f"<ol>{bars}</ol></div>"
        )

    def mark_dirty(self) -> None:
        self.pending = True
        if self.task is None:
            self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.pending:
                wait = self.last + self.interval - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                self.pending = False
                self.last = loop.time()
                if self.boards:
                    broadcast(self.boards, self.state())
        finally:
            self.task = None


class Ceiling:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.rooms: dict[str, Room] = {}

    def room(self, name: str) -> Room:
        if name not in self.rooms:
            self.rooms[name] = Room(self.interval)
        return self.rooms[name]

    async def handle(self, ws: ServerConnection) -> None:
        parts = ws.request.path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "w" and parts[2] == "ws":
            await self.phone(ws, self.room(parts[1]))
        elif len(parts) == 2 and parts[0] == "board":
            await self.board(ws, self.room(parts[1]))
        else:
            await ws.close(1008)

    async def phone(self, ws: ServerConnection, room: Room) -> None:
        await ws.send(STAGE)
        with contextlib.suppress(ConnectionClosed):
            async for text in ws:
                try:
                    fields = json.loads(text)
                    client_id = str(fields["client_id"])[:64]
                    dots = {
                        k[5:]: int(v)
                        for k, v in fields.items()
                        if k.startswith("dots-") and isinstance(v, str) and v.isdigit()
                    }
                except (ValueError, KeyError, TypeError, AttributeError):
                    await ws.send('<p id="ballot-status" data-state="error">?</p>')
                    continue
                room.revision += 1
                room.ballots[id(ws)] = dots
                await ws.send(
                    f'<p id="ballot-status" data-client-id="{html.escape(client_id)}"'
                    f' data-state="saved" data-revision="{room.revision}">Saved</p>'
                )
                room.mark_dirty()

    async def board(self, ws: ServerConnection, room: Room) -> None:
        room.boards.add(ws)
        try:
            await ws.send(room.state())
            await ws.wait_closed()
        finally:
            room.boards.discard(ws)


def health(connection: ServerConnection, request):
    """Answer GET /healthz over plain HTTP, as the app does, so the bench can wait for it."""
    if request.path == "/healthz":
        return connection.respond(HTTPStatus.OK, "ok\n")
    return None


async def main(args: argparse.Namespace) -> None:
    ceiling = Ceiling(args.interval)
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.cancel)
    async with serve(
        ceiling.handle,
        args.host,
        args.port,
        process_request=health,
        compression=None,
        max_size=65536,
        ping_interval=args.heartbeat,
        ping_timeout=args.heartbeat,
        backlog=4096,
    ):
        print(f"ceiling on ws://{args.host}:{args.port}/", flush=True)
        with contextlib.suppress(asyncio.CancelledError):
            await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between pushes")
    parser.add_argument("--heartbeat", type=float, default=20.0, help="seconds between pings")
    arguments = parser.parse_args()
    if arguments.host != "127.0.0.1":
        parser.error("the ceiling listens on 127.0.0.1 only")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65_536)), hard))
    asyncio.run(main(arguments))
