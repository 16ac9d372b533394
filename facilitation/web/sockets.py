"""One accepted websocket and the loop that serves it: the handshake's Origin check, serialised
sends, a pump from the hub, messages read under a size limit, and the caps on open sockets per
address and per participant (web.socket_caps)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from facilitation.core.hub import Overflowed, Subscription
from facilitation.web.socket_caps import SocketCaps

log = logging.getLogger("facilitation.web.live")

CLOSE_TOO_BIG = 1009
CLOSE_TRY_AGAIN = 1013
CLOSE_POLICY = 1008


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
        self.closed = False

    async def send(self, text: str) -> None:
        async with self._send_lock:
            if not self.closed:
                await self.ws.send_text(text)

    async def close(self, code: int) -> None:
        """Close once; messages still on their way in are then left unread."""
        if self.closed:
            return
        self.closed = True
        async with self._send_lock:
            with suppress(Exception):
                await self.ws.close(code)

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
            await self.close(CLOSE_TRY_AGAIN)

    async def receive(self) -> str | None:
        """The next text message; None once the peer has gone, sent something too large, or
        the socket was closed from here."""
        if self.closed:
            return None
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
        if len(text.encode("utf-8", "replace")) > self.max_bytes:
            await self.close(CLOSE_TOO_BIG)
            return None
        return text


async def run_socket(
    websocket: WebSocket,
    channel: Any,
    first: Callable[[], Awaitable[str]],
    to_text: Callable[[Any], Awaitable[str | None]],
    on_message: Callable[[Socket, str], Awaitable[None]] | None = None,
    participant_id: int | None = None,
) -> None:
    """Accept, send the full current state, then pump pushes and handle messages until closed.

    An address past its cap of open sockets is refused; a participant's socket beyond the few
    each may hold closes that participant's oldest."""
    state = websocket.app.state
    caps: SocketCaps = state.sockets
    client = websocket.scope.get("client")
    address = client[0] if client else "-"
    if not caps.admits(address):
        state.metrics.socket_refused()
        log.warning(
            "refused a live socket from %s: it has %d open already", address, caps.per_address
        )
        return await refuse(websocket)
    sock = Socket(websocket, state.settings.ws_max_bytes)

    async def replace() -> None:
        await sock.close(CLOSE_POLICY)

    with caps.holding(address, participant_id, replace) as replaced:
        for close in replaced:
            await close()
        await _serve_socket(websocket, sock, channel, first, to_text, on_message)


async def _serve_socket(
    websocket: WebSocket,
    sock: Socket,
    channel: Any,
    first: Callable[[], Awaitable[str]],
    to_text: Callable[[Any], Awaitable[str | None]],
    on_message: Callable[[Socket, str], Awaitable[None]] | None,
) -> None:
    state = websocket.app.state
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
