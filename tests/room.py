"""The room a test meets in: one workshop, its signed-in facilitator, its options and rounds, and
the phones that join it, in process or on a real server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from tests.helpers import WAIT, Facilitator, Phone, Server, browser_socket

R = TypeVar("R", bound="Room")


@dataclass
class Room:
    """One workshop and the people in it: its signed-in facilitator, its options (by title too),
    its current round, and phones that join by its code, against the app in process or a real
    server. Every device a room hands out is closed with it."""

    facilitator: Facilitator
    workshop_id: int
    code: str
    new_device: Callable[[], httpx.AsyncClient]
    app: Any = None  # the app in process, when the room is in one
    server: Server | None = None  # the real server, when the room is on one
    options: list[int] = field(default_factory=list)
    titled: dict[str, int] = field(default_factory=dict)
    round_id: int | None = None
    devices: list[httpx.AsyncClient] = field(default_factory=list)

    @classmethod
    async def open(
        cls: type[R],
        facilitator: Facilitator,
        new_device: Callable[[], httpx.AsyncClient],
        title: str,
        options: Iterable[str] | Mapping[str, str] = (),
        *,
        app: Any = None,
        server: Server | None = None,
        devices: list[httpx.AsyncClient] | None = None,
    ) -> R:
        """Create the workshop and its options (titles, or titles to costs) through the console."""
        workshop_id, code = await facilitator.create_workshop(title)
        room = cls(facilitator, workshop_id, code, new_device, app, server)
        if devices is not None:
            room.devices = devices
        costs = options if isinstance(options, Mapping) else dict.fromkeys(options, "")
        for option, cost in costs.items():
            response = await room.add_option(option, cost)
            assert response.status_code == 303, response.text
        return room

    async def another(
        self,
        title: str,
        options: Iterable[str] | Mapping[str, str] = (),
        room_type: type[R] | None = None,
    ) -> R:
        """Another workshop run by the same facilitator, its devices closed with this room's."""
        made = room_type or type(self)
        return await made.open(
            self.facilitator,
            self.new_device,
            title,
            options,
            app=self.app,
            server=self.server,
            devices=self.devices,
        )

    @property
    def console(self) -> str:
        return f"/f/workshops/{self.workshop_id}"

    def client(self) -> httpx.AsyncClient:
        """A new device with cookies of its own."""
        made = self.new_device()
        self.devices.append(made)
        return made

    async def phone(self, name: str = "") -> Phone:
        """A phone that has joined the workshop by its code."""
        phone = Phone(self.client(), ws_base=self.server.ws_url if self.server else None)
        await phone.join(self.code, name)
        return phone

    async def add_option(self, title: str, cost: str = "", **fields: str) -> httpx.Response:
        """Send the console's option form; an option it adds is kept by its title."""
        response = await self.facilitator.post(
            f"{self.console}/options", {"title": title, "cost": cost, **fields}
        )
        if response.status_code == 303:
            added = max(await self.facilitator.option_ids(self.workshop_id))
            self.options.append(added)
            self.titled[title] = added
        return response

    def option(self, title: str) -> int:
        return self.titled[title]

    async def create_round(self, title: str, options=None, kind: str = "dots", **fields) -> int:
        """A draft round over these options (all the room's by default); it becomes the room's
        current round."""
        chosen = self.options if options is None else options
        self.round_id = await self.facilitator.create_round(
            self.workshop_id, title, chosen, kind=kind, **fields
        )
        return self.round_id

    async def act(self, action: str, round_id: int | None = None) -> httpx.Response:
        """Open, close, reveal... a round (the current one by default), as the console does."""
        chosen = self.round_id if round_id is None else round_id
        response = await self.facilitator.round_action(self.workshop_id, chosen, action)
        assert response.status_code == 303, response.text
        return response

    async def page(self, path: str = "") -> str:
        """A page of the workshop's console as the facilitator sees it."""
        return (await self.facilitator.client.get(self.console + path)).text

    async def export(self, name: str) -> str:
        response = await self.facilitator.client.get(f"{self.console}/export/{name}")
        assert response.status_code == 200
        if name.endswith(".csv"):
            # Every CSV opens with a byte-order mark, for Excel; the rows follow it.
            assert response.text.startswith("\ufeff")
            return response.text[1:]
        return response.text

    def board_socket(self):
        """The projected board's websocket (a room on a real server)."""
        assert self.server, "a board socket needs a real server"
        path = f"{self.console}/board/ws"
        return browser_socket(self.server.ws_url, path, self.facilitator.client)

    async def close(self) -> None:
        for device in self.devices:
            await device.aclose()


@asynccontextmanager
async def live_room_on(server: Server) -> AsyncIterator[Room]:
    """A room on a real server: "Green spaces" with Benches, Lighting and Trees, and a draft dot
    round, "Priorities" (5 dots, at most 3 on one option)."""
    devices: list[httpx.AsyncClient] = []

    def device() -> httpx.AsyncClient:
        made = httpx.AsyncClient(base_url=server.url, timeout=WAIT)
        devices.append(made)
        return made

    try:
        facilitator = Facilitator(device())
        assert (await facilitator.login()).status_code == 303
        room = await Room.open(
            facilitator,
            lambda: httpx.AsyncClient(base_url=server.url, timeout=WAIT),
            "Green spaces",
            ("Benches", "Lighting", "Trees"),
            server=server,
            devices=devices,
        )
        await room.create_round("Priorities")
        yield room
    finally:
        for made in devices:
            await made.aclose()
