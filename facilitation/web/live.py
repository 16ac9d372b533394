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
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from starlette.datastructures import State
from starlette.websockets import WebSocket

from facilitation.accounts.roles import Power
from facilitation.core.errors import FacilitationError
from facilitation.core.hub import Hub
from facilitation.core.i18n import DEFAULT, N_, _, activate, available, current
from facilitation.core.limits import TokenBucket
from facilitation.core.models import Participant
from facilitation.storage.store import Store
from facilitation.web import render
from facilitation.web.auth import socket_workshop
from facilitation.web.phone import speak
from facilitation.web.sockets import CLOSE_POLICY, Socket, refuse, run_socket, same_origin
from facilitation.workshop import screens
from facilitation.workshop.ballots import Ack, Ballots, places_of
from facilitation.workshop.channels import is_stage, phones_channel

log = logging.getLogger(__name__)


def board_channel(workshop_id: int) -> tuple[str, int]:
    return ("board", workshop_id)


def console_channel(workshop_id: int, language: str = DEFAULT) -> tuple[str, int, str]:
    """Consoles listen by language: each facilitator reads theirs in their own."""
    return ("console", workshop_id, language)


def desk_channel(workshop_id: int, language: str = DEFAULT) -> tuple[str, int, str]:
    """Desks listen by language, as consoles do."""
    return ("desk", workshop_id, language)


# Where every worker hears that a workshop changed (the message is its id).
CHANGED = ("changed",)


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
        # A change made on another worker reaches this one's screens the same way.
        hub.listen(CHANGED, self._changed)

    def mark_dirty(self, workshop_id: int) -> None:
        """Note that a workshop changed, here and on every other worker; each renders for its
        own screens within one interval."""
        self.hub.publish(CHANGED, workshop_id)

    def _changed(self, workshop_id: Any) -> None:
        if not isinstance(workshop_id, int):
            return
        if not self.hub.count(board_channel(workshop_id)) and not self.hub.count(
            console_channel(workshop_id)
        ):
            return  # no screen of that workshop here: nothing to render
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
        desks = [code for code in available() if self.hub.count(desk_channel(workshop_id, code))]
        if not boards and not consoles and not desks:
            return
        state = await self.store.live.live_state(workshop_id)
        self.renders += 1
        if boards:
            url = self.join_url(state[0].code)
            ctx = await screens.board_context(self.store, workshop_id, url, state)
            self.hub.publish(board_channel(workshop_id), board_html(self.renderer, ctx), local=True)
        if consoles or desks:
            ctx = await screens.console_context(self.store, workshop_id, state)
            # Each in its own language, set in this task only: a push never leaks into a page.
            for code in consoles:
                activate(code)
                html = console_html(self.renderer, ctx)
                self.hub.publish(console_channel(workshop_id, code), html, local=True)
            for code in desks:
                activate(code)
                html = desk_html(self.renderer, ctx)
                self.hub.publish(desk_channel(workshop_id, code), html, local=True)

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


def desk_html(renderer: render.Renderer, ctx: dict[str, Any]) -> str:
    """The desk page's live regions: its strip and the idea desk, without the console's
    controls (what a workshop's moderator may use)."""
    return "".join(
        renderer.fragment(name, moderating=True, **ctx)
        for name in ("fragments/desk_now.html", "fragments/idea_desk.html")
    )


async def board_socket(websocket: WebSocket) -> None:
    """The projected board: receives a fresh board fragment after every change, coalesced."""
    state = websocket.app.state
    if not same_origin(websocket, state.settings.public_url):
        return await refuse(websocket)
    workshop = await socket_workshop(websocket, Power.RUN)
    if workshop is None:
        return await refuse(websocket)
    workshop_id = workshop.id

    async def first() -> str:
        url = state.join_url(workshop.code, websocket)
        ctx = await screens.board_context(state.store, workshop_id, url)
        return board_html(state.renderer, ctx)

    async def passthrough(html: str) -> str:
        return html

    await run_socket(websocket, board_channel(workshop_id), first, passthrough)


async def _staff_socket(
    websocket: WebSocket,
    power: Power,
    channel: Callable[[int, str], tuple[str, int, str]],
    html: Callable[[render.Renderer, dict[str, Any]], str],
) -> None:
    """A signed-in account's live regions of one workshop: refused from another origin or
    without ``power``; sent in the account's own language, made current by Identity."""
    state = websocket.app.state
    if not same_origin(websocket, state.settings.public_url):
        return await refuse(websocket)
    workshop = await socket_workshop(websocket, power)
    if workshop is None:
        return await refuse(websocket)
    workshop_id = workshop.id

    async def first() -> str:
        ctx = await screens.console_context(state.store, workshop_id)
        return html(state.renderer, ctx)

    async def passthrough(text: str) -> str:
        return text

    await run_socket(websocket, channel(workshop_id, current()), first, passthrough)


async def console_socket(websocket: WebSocket) -> None:
    """The facilitator console's live strip (current round and turnout)."""
    await _staff_socket(websocket, Power.RUN, console_channel, console_html)


async def desk_socket(websocket: WebSocket) -> None:
    """The desk page's live strip and idea desk, for the workshop's moderator (and anyone who
    may run the workshop)."""
    await _staff_socket(websocket, Power.DESK, desk_channel, desk_html)


async def phone_socket(websocket: WebSocket) -> None:
    """A participant's phone: follows the facilitator and sends ballots."""
    state = websocket.app.state
    if not same_origin(websocket, state.settings.public_url):
        return await refuse(websocket)
    ballots: Ballots = state.ballots
    rounds = state.rounds
    # Only a device that has joined opens a phone socket: the same refusal for a code that does
    # not exist as for one it has no place in, so a socket is no way to guess.
    member = await ballots.member(websocket.path_params["code"], places_of(websocket))
    if member is None:
        return await refuse(websocket)
    workshop, participant = member
    await speak(websocket, workshop)
    csrf = websocket.scope.get("csrf_token", "")
    client = websocket.scope.get("client")
    address = client[0] if client else "-"

    async def stage(message: object = None) -> str:
        if not is_stage(message):
            ctx = await screens.phone_context(
                state.store, workshop, participant, rounds.result, csrf_token=csrf
            )
            return state.renderer.fragment("fragments/stage.html", **ctx)
        # Every phone of the workshop on this worker shares one change for this message: the
        # first to take it starts one read of the new stage for all, so a change costs one read
        # per worker, not a few per phone...
        change = state.stage_shares.change(message)
        if change.shared is None:
            change.shared = asyncio.ensure_future(
                screens.stage_reads(state.store, workshop.id, rounds.result)
            )
        shared = await asyncio.shield(change.shared)
        # ...and then the phones render in turn, one per pass of the event loop, so that a big
        # room's renders do not hold up everything else until the last phone's is done.
        async with change.turns:
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
                log.warning(
                    "closed a phone socket from %s: %d messages came too fast",
                    address,
                    excess["count"],
                )
                await sock.close(CLOSE_POLICY)
                return
            if now - excess["told"] >= 1.0:
                excess["told"] = now
                await sock.send(status_html(state.renderer, None, error=_(UNREAD)))
            return
        round_id = None
        try:
            fields = json.loads(text)
            if not isinstance(fields, dict):
                raise ValueError
        except (ValueError, RecursionError):  # deep nesting exhausts the parser's recursion
            await sock.send(status_html(state.renderer, None, error=_(BAD_MESSAGE)))
            return
        if fields.get("action") == "ping":  # the phone checking that the connection still works
            await sock.send("pong")
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
        except Exception:
            # Not the phone's fault: say so, keep the socket, and leave the operator a trace.
            log.exception("a ballot from %s could not be handled", address)
            await sock.send(status_html(state.renderer, round_id, error=_(FAILED)))
            return
        await sock.send(await ack_html(state, participant, ack))
        state.metrics.ack_sent("socket", time.monotonic() - now)

    await run_socket(
        websocket, phones_channel(workshop.id), stage, stage, on_message, participant.id
    )


MESSAGES_PER_SECOND = 3.0
MESSAGE_BURST = 10
FLOOD_LIMIT = 300  # dropped messages on one socket before it is closed
# Said of messages dropped unread, without naming one: any of them may be a ballot sent again
# that was saved already (and the phone, hearing nothing about it, sends it again itself).
UNREAD = N_(
    "Your phone is sending very fast, so some messages were not read. Your last saved ballot "
    "still counts; please wait a moment."
)
BAD_MESSAGE = N_(
    "That message could not be understood, so nothing was changed. Please reload the page."
)
FAILED = N_(
    "Something went wrong on our side, so this was not saved. Please send it again in a moment."
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
