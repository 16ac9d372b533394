"""Chromium phones across outages: a server restarted with SIGTERM mid-round, and a phone whose
network is cut for thirty seconds while the facilitator moves on two rounds."""

from __future__ import annotations

import asyncio
import threading
import time
from contextlib import suppress

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, WAIT, PhoneUI

pytestmark = pytest.mark.browser

BACK_WITHIN = 10.0  # seconds from the server (or the network) being back to a phone showing it


class Deadline:
    """Milliseconds left until a moment, for expect(..., timeout=...) measured from one instant."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def ms(self) -> float:
        return max(1.0, (self.at - time.monotonic()) * 1000)


def mark_stage(phone: PhoneUI) -> None:
    """Tag the current stage element, so a test can tell when the server has sent a fresh one."""
    phone.page.eval_on_selector("[data-stage]", "el => { el.dataset.before = 'restart'; }")


def test_phones_reconnect_by_themselves_after_a_sigterm_restart(
    server, facilitator_ui, phones, tools
):
    f = facilitator_ui
    code = f.create_workshop("Phoenix Place")
    ids = f.add_options("Benches", "Lighting", "Trees")
    round_id = f.create_round("Green spaces", "dots", dots=5, cap=3)
    f.open_round("Green spaces")
    people = phones(3)
    ballots = [{"Benches": 2}, {"Lighting": 3, "Trees": 1}, {"Trees": 2, "Benches": 1}]
    for phone, dots in zip(people, ballots, strict=True):
        phone.join(code)
        phone.wait_ballot("dots")
        phone.place_dots(dots)
        phone.send()
        phone.expect_saved()
        mark_stage(phone)

    def while_down() -> None:
        for phone in people:
            expect(phone.conn).to_have_attribute("data-state", "offline")

    tools.restart(server, while_down)  # SIGTERM, then a new process on the same port and data
    deadline = Deadline(BACK_WITHIN)

    for phone, dots in zip(people, ballots, strict=True):
        fresh = phone.page.locator(f"[data-stage][data-round='{round_id}']:not([data-before])")
        expect(fresh).to_be_attached(timeout=deadline.ms())  # sent by the new server
        expect(phone.conn).to_have_attribute("data-state", "online", timeout=deadline.ms())
        expect(fresh.locator(".round-title")).to_have_text("Green spaces", timeout=deadline.ms())
        for title, option_id in ids.items():
            expect(phone.count(option_id)).to_have_value(
                str(dots.get(title, 0)), timeout=deadline.ms()
            )
        expect(phone.status).to_have_attribute("data-state", "saved", timeout=deadline.ms())


# -- a phone cut off by its network ---------------------------------------------------------------


class Proxy:
    """A loopback TCP proxy in front of the server that can drop its network: going offline
    closes every connection through it and resets new ones until it comes back.

    Bytes pass unchanged, so the Host header names the proxy, as does the page's Origin: the
    server's same-origin check on the websocket holds."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.offline = False
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._open: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Proxy:
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._accept, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(WAIT / 1000)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._handlers.add(task)
        try:
            await self._relay(reader, writer)
        finally:
            self._handlers.discard(task)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.offline:
            writer.transport.abort()  # a reset, as from a network that is not there
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._open.update((writer, up_writer))
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            for end in (writer, up_writer):
                self._open.discard(end)
                end.transport.abort()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(OSError):
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        with suppress(OSError, RuntimeError):
            writer.write_eof()

    async def _cut(self) -> None:
        self.offline = True
        for end in list(self._open):
            end.transport.abort()

    def go_offline(self) -> None:
        self._call(self._cut())

    def go_online(self) -> None:
        self.offline = False

    def close(self) -> None:
        async def shut() -> None:
            await self._cut()
            for task in list(self._handlers):
                task.cancel()
            await asyncio.gather(*self._handlers, return_exceptions=True)
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()

        if self._thread.is_alive():
            self._call(shut())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(WAIT / 1000)
        self._loop.close()


OFFLINE_FOR = 30.0  # seconds


def test_a_phone_offline_for_30_seconds_comes_back_to_the_round_now_open(
    server, browser, facilitator_ui
):
    f = facilitator_ui
    code = f.create_workshop("Riverside Court")
    f.add_options("Cycle storage", "Bin stores", "Meadow")
    titles = ("Round one", "Round two", "Round three")
    rounds = {title: f.create_round(title, "dots", dots=3, cap=2) for title in titles}
    f.open_round("Round one")

    proxy = Proxy(server.port).start()
    context = browser.new_context(base_url=proxy.url, viewport=PHONE, locale="en-GB")
    context.set_default_timeout(WAIT)
    try:
        # Online through the proxy: the page's Origin and the forwarded Host both name the
        # proxy, so the server's same-origin check lets the websocket in.
        phone = PhoneUI(context).join(code)
        phone.wait_ballot("dots")
        title = phone.page.locator("[data-stage] .round-title")
        expect(title).to_have_text("Round one")
        phone.tap("Meadow", 2)
        phone.send()
        phone.expect_saved()

        proxy.go_offline()
        cut_at = time.monotonic()
        expect(phone.conn).to_have_attribute("data-state", "offline")
        f.close_round("Round one")
        f.open_round("Round two")
        f.close_round("Round two")
        f.open_round("Round three")
        expect(title).to_have_text("Round one")  # cut off: it has heard nothing of this
        # The outage itself: the rest of the thirty seconds the phone is without a network.
        time.sleep(max(0.0, OFFLINE_FOR - (time.monotonic() - cut_at)))
        expect(title).to_have_text("Round one")
        proxy.go_online()
        deadline = Deadline(BACK_WITHIN)

        stage = phone.page.locator("[data-stage]")
        expect(title).to_have_text("Round three", timeout=deadline.ms())
        expect(stage).to_have_attribute("data-round", str(rounds["Round three"]))
        expect(stage).to_have_attribute("data-status", "open", timeout=deadline.ms())
        ballot = phone.page.locator("#ballot[data-kind='dots']")
        expect(ballot).to_be_visible(timeout=deadline.ms())
        expect(ballot.locator("input[name=round_id]")).to_have_value(
            str(rounds["Round three"]), timeout=deadline.ms()
        )
        expect(phone.status).to_have_attribute("data-state", "empty", timeout=deadline.ms())
    finally:
        context.close()
        proxy.close()
