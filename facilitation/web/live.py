"""Websocket endpoints (phone, board, console) and the coalescing pusher that feeds the screens.

The pusher renders a workshop's board and console once per interval at most, however many votes
arrive, and publishes the HTML to the hub: the cost of a busy room grows with its screens, not with
votes times screens. Each socket drains its own bounded hub queue; one that falls behind is closed
with 1013 and reconnects to a full, fresh state, so a frozen screen never slows the room.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from starlette.datastructures import State
from starlette.websockets import WebSocket, WebSocketDisconnect

from facilitation.core.errors import FacilitationError
from facilitation.core.hub import Hub, Overflowed, Subscription
from facilitation.core.i18n import DEFAULT, N_, _, activate, available, current
from facilitation.core.limits import TokenBucket
from facilitation.core.models import Participant
from facilitation.storage.store import Store
from facilitation.web import render
from facilitation.web.phone import speak
from facilitation.workshop import screens
from facilitation.workshop.ballots import Ack, Ballots, who
from facilitation.workshop.channels import StageChange, phones_channel

log = logging.getLogger(__name__)

CLOSE_TOO_BIG = 1009
CLOSE_TRY_AGAIN = 1013
CLOSE_POLICY = 1008


def board_channel(workshop_id: int) -> tuple[str, int]:
    return ("board", workshop_id)


def console_channel(workshop_id: int, language: str = DEFAULT) -> tuple[str, int, str]:
    """Consoles listen by language: each facilitator reads theirs in their own."""
    return ("console", workshop_id, language)


class Pusher:
    """Coalesces 'workshop changed' into at most one render per interval per workshop."""

    def __init__(
        self,
        store: Store,
        hub: Hub,
        renderer: render.Renderer,
        join_url: Callable[[str], str],
        interval: float,
    ) -> None:
        self.store = store
        self.hub = hub
        self.renderer = renderer
        self.join_url = join_url
        self.interval = interval
        self.renders = 0
        self._pending: set[int] = set()
        self._tasks: dict[int, asyncio.Task] = {}
        self._last: dict[int, float] = {}

    def mark_dirty(self, workshop_id: int) -> None:
        """Note that a workshop changed; a render follows within one interval."""
        self._pending.add(workshop_id)
        if workshop_id not in self._tasks:
            self._tasks[workshop_id] = asyncio.create_task(self._run(workshop_id))

    async def _run(self, workshop_id: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            while workshop_id in self._pending:
                wait = self._last.get(workshop_id, 0.0) + self.interval - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._pending.discard(workshop_id)
                self._last[workshop_id] = loop.time()
                try:
                    await self.push(workshop_id)
                except Exception:  # a failed render must not stop later ones
                    log.exception("live render failed for workshop %s", workshop_id)
        finally:
            self._tasks.pop(workshop_id, None)

    async def push(self, workshop_id: int) -> None:
        """Render the board and console once from one consistent read, and publish both."""
        boards = self.hub.count(board_channel(workshop_id))
        consoles = [
            code for code in available() if self.hub.count(console_channel(workshop_id, code))
        ]
        if not boards and not consoles:
            return
        state = await self.store.live.live_state(workshop_id)
        self.renders += 1
        if boards:
            url = self.join_url(state[0].code)
            ctx = await screens.board_context(self.store, workshop_id, url, state)
            self.hub.publish(board_channel(workshop_id), board_html(self.renderer, ctx))
        if consoles:
            ctx = await screens.console_context(self.store, workshop_id, state)
            for code in consoles:  # this task's own language: a push never leaks into a page
                activate(code)
                html = console_html(self.renderer, ctx)
                self.hub.publish(console_channel(workshop_id, code), html)

    async def aclose(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task


def board_html(renderer: render.Renderer, ctx: dict[str, Any]) -> str:
    """The board's live region, in the board's own language."""
    activate(ctx["board_lang"])
    return renderer.fragment("fragments/board.html", **ctx)


def console_html(renderer: render.Renderer, ctx: dict[str, Any]) -> str:
    """The console's live regions in one message: the strip, the idea desk (empty and hidden
    unless the current round collects ideas) and the room against the place (hidden unless the
    programme asks profile questions), each swapped by its id."""
    return "".join(
        renderer.fragment(name, **ctx)
        for name in (
            "fragments/console_live.html",
            "fragments/idea_desk.html",
            "fragments/room_panel.html",
        )
    )


def same_origin(websocket: WebSocket, public_url: str) -> bool:
    """True if the handshake's Origin is this server (its scheme and Host header, as a trusted
    proxy forwards them) or its public URL."""
    origin = websocket.headers.get("origin")
    if not origin:
        return False
    host = websocket.headers.get("host", "")
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    allowed = {f"{scheme}://{host}"}
    if public_url:
        allowed.add(public_url.rstrip("/"))
    return origin.rstrip("/") in allowed


class Socket:
    """One accepted websocket: serialised sends, and a pump from a hub subscription."""

    def __init__(self, websocket: WebSocket, max_bytes: int) -> None:
        self.ws = websocket
        self.max_bytes = max_bytes
        self._send_lock = asyncio.Lock()

    async def send(self, text: str) -> None:
        async with self._send_lock:
            await self.ws.send_text(text)

    async def pump(
        self, sub: Subscription, to_text: Callable[[Any], Awaitable[str | None]]
    ) -> None:
        """Forward hub messages to the socket until the subscriber overflows."""
        try:
            while True:
                message = await sub.get()
                text = await to_text(message)
                if text is not None:
                    await self.send(text)
        except Overflowed:
            with suppress(Exception):
                await self.ws.close(CLOSE_TRY_AGAIN)

    async def receive(self) -> str | None:
        """The next text message; None once the peer has gone or sent something too large."""
        try:
            message = await self.ws.receive()
        except (WebSocketDisconnect, RuntimeError):
            return None
        if message["type"] == "websocket.disconnect":
            return None
        text = message.get("text")
        if text is None:
            data = message.get("bytes") or b""
            text = data.decode("utf-8", "replace")
        if len(text.encode("utf-8")) > self.max_bytes:
            with suppress(Exception):
                await self.ws.close(CLOSE_TOO_BIG)
            return None
        return text


async def run_socket(
    websocket: WebSocket,
    channel: Any,
    first: Callable[[], Awaitable[str]],
    to_text: Callable[[Any], Awaitable[str | None]],
    on_message: Callable[[Socket, str], Awaitable[None]] | None = None,
) -> None:
    """Accept, send the full current state, then pump pushes and handle messages until closed."""
    state = websocket.app.state
    sock = Socket(websocket, state.settings.ws_max_bytes)
    await websocket.accept()
    # A channel is named for its audience first: phones, board or console.
    with state.metrics.connected(channel[0]):
        async with state.hub.subscribe(channel) as sub:
            pump = asyncio.create_task(sock.pump(sub, to_text))
            try:
                await sock.send(await first())
                while not pump.done():
                    text = await sock.receive()
                    if text is None:
                        break
                    if on_message is None:
                        continue
                    await on_message(sock, text)
            except WebSocketDisconnect:
                pass  # the peer left while being answered (a phone closed or lost its network)
            finally:
                pump.cancel()
                with suppress(asyncio.CancelledError, Exception):
                    await pump


async def refuse(websocket: WebSocket, code: int = CLOSE_POLICY) -> None:
    """Refuse a handshake: closing before accept makes the server answer HTTP 403."""
    await websocket.close(code)


async def board_socket(websocket: WebSocket) -> None:
    """The projected board: receives a fresh board fragment after every change, coalesced."""
    state = websocket.app.state
    if not same_origin(websocket, state.settings.public_url) or websocket.scope.get("user") is None:
        return await refuse(websocket)
    workshop_id = websocket.path_params["workshop_id"]
    workshop = await state.store.workshops.workshop(workshop_id)

    async def first() -> str:
        url = state.join_url(workshop.code, websocket)
        ctx = await screens.board_context(state.store, workshop_id, url)
        return board_html(state.renderer, ctx)

    async def passthrough(html: str) -> str:
        return html

    await run_socket(websocket, board_channel(workshop_id), first, passthrough)


async def console_socket(websocket: WebSocket) -> None:
    """The facilitator console's live strip (current round and turnout)."""
    state = websocket.app.state
    if not same_origin(websocket, state.settings.public_url) or websocket.scope.get("user") is None:
        return await refuse(websocket)
    workshop_id = websocket.path_params["workshop_id"]
    await state.store.workshops.workshop(workshop_id)
    language = current()  # the facilitator's own, made current for this socket (Identity)

    async def first() -> str:
        ctx = await screens.console_context(state.store, workshop_id)
        return console_html(state.renderer, ctx)

    async def passthrough(html: str) -> str:
        return html

    await run_socket(websocket, console_channel(workshop_id, language), first, passthrough)


async def phone_socket(websocket: WebSocket) -> None:
    """A participant's phone: follows the facilitator and sends ballots."""
    state = websocket.app.state
    if not same_origin(websocket, state.settings.public_url):
        return await refuse(websocket)
    ballots: Ballots = state.ballots
    rounds = state.rounds
    try:
        workshop = await ballots.find_by_code(websocket.path_params["code"], who(websocket))
    except FacilitationError:
        return await refuse(websocket)
    token = (
        websocket.scope.get("session", {}).get("p", {}).get(str(workshop.id)) if workshop else None
    )
    participant = await state.store.workshops.participant_by_token(token) if token else None
    if workshop is None or participant is None or participant.workshop_id != workshop.id:
        return await refuse(websocket)
    await speak(websocket, workshop)
    csrf = websocket.scope.get("csrf_token", "")

    async def stage(message: object = None) -> str:
        if not isinstance(message, StageChange):
            ctx = await screens.phone_context(
                state.store, workshop, participant, rounds.result, csrf_token=csrf
            )
            return state.renderer.fragment("fragments/stage.html", **ctx)
        # Every phone of the workshop gets this same message: the first to take it starts one
        # read of the new stage for all, so a change costs one read, not a few per phone...
        if message.shared is None:
            message.shared = asyncio.ensure_future(
                screens.stage_reads(state.store, workshop.id, rounds.result)
            )
        shared = await asyncio.shield(message.shared)
        # ...and then the phones render in turn, one per pass of the event loop, so that a big
        # room's renders do not hold up everything else until the last phone's is done.
        async with message.turns:
            await asyncio.sleep(0)
            ctx = await screens.phone_context(
                state.store, workshop, participant, rounds.result, csrf, shared=shared
            )
            return state.renderer.fragment("fragments/stage.html", **ctx)

    pace = TokenBucket(rate=MESSAGES_PER_SECOND, burst=MESSAGE_BURST)
    excess = {"count": 0, "told": 0.0}

    async def on_message(sock: Socket, text: str) -> None:
        now = time.monotonic()
        if not pace.allow(now):
            # A flood: drop the message; say so at most once a second; hang up on a script.
            excess["count"] += 1
            if excess["count"] > FLOOD_LIMIT:
                await sock.ws.close(CLOSE_POLICY)
                return
            if now - excess["told"] >= 1.0:
                excess["told"] = now
                await sock.send(status_html(state.renderer, None, error=_(TOO_FAST)))
            return
        round_id = None
        try:
            fields = json.loads(text)
            if not isinstance(fields, dict):
                raise ValueError
        except (ValueError, RecursionError):  # deep nesting exhausts the parser's recursion
            await sock.send(status_html(state.renderer, None, error=_(BAD_MESSAGE)))
            return
        round_id = fields.get("round_id")
        if fields.get("action") != "ballot":
            await sock.send(status_html(state.renderer, round_id, error=_(BAD_MESSAGE)))
            return
        try:
            ack = await ballots.cast_ballot(participant, workshop, fields)
        except FacilitationError as exc:
            error = exc.text()
            await sock.send(
                status_html(
                    state.renderer, round_id, error=error, client_id=fields.get("client_id")
                )
            )
            return
        await sock.send(await ack_html(state, participant, ack))
        state.metrics.ack_sent("socket", time.monotonic() - now)

    await run_socket(websocket, phones_channel(workshop.id), stage, stage, on_message)


MESSAGES_PER_SECOND = 3.0
MESSAGE_BURST = 10
FLOOD_LIMIT = 300  # dropped messages on one socket before it is closed
TOO_FAST = N_(
    "You are sending very fast, so this was not saved. Your last saved ballot still counts; "
    "please wait a moment and send again."
)
BAD_MESSAGE = N_(
    "That message could not be understood, so nothing was changed. Please reload the page."
)


async def ack_html(state: State, participant: Participant, ack: Ack) -> str:
    """The status line for an ack; for an idea, also the phone's refreshed list of its ideas."""
    html = status_html(state.renderer, ack.round_id, ack=ack)
    if ack.idea is None:
        return html
    rnd = await state.store.rounds.round(ack.round_id)
    mine = await state.store.ideas.participant_ideas(rnd.id, participant.id)
    return html + state.renderer.fragment(
        "fragments/my_ideas.html", round=rnd, my_ideas=mine, oob=True
    )


def status_html(
    renderer: render.Renderer,
    round_id: Any,
    *,
    ack: Ack | None = None,
    error: str | None = None,
    client_id: Any = None,
) -> str:
    """The ballot status line, as an out-of-band swap, for an ack or a refusal."""
    rid = (
        round_id
        if isinstance(round_id, int) or (isinstance(round_id, str) and round_id.isdigit())
        else ""
    )
    return renderer.fragment(
        "fragments/ballot_status.html",
        round_id=rid,
        ack=ack,
        error=error,
        client_id=client_id
        if isinstance(client_id, str) and len(client_id) <= 64 and client_id.isascii()
        else "",
        oob=True,
    )
