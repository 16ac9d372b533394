"""A workshop and its options: created, edited, reordered, withdrawn and restored.

Each one validates with the pure rules, writes with the store, and only after the commit tells
anyone: the pusher (which re-renders boards and consoles, coalesced) and the phones' hub channel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from facilitation import kinds
from facilitation.core.errors import BadRequest, NotFound
from facilitation.core.forms import (
    TEXT_MAX,
    TITLE_MAX,
    clean_text,
    read_date,
    read_id,
    read_money,
)
from facilitation.core.hub import Hub
from facilitation.core.i18n import N_
from facilitation.core.models import Option, Workshop
from facilitation.storage.store import Store
from facilitation.workshop.channels import announce
from facilitation.workshop.pictures import prepare
from facilitation.workshop.scope import read_scope


class Workshops:
    """Workshop and option use cases; ``changed`` is called with a workshop id after each commit."""

    def __init__(self, store: Store, hub: Hub, changed: Callable[[int], None]) -> None:
        self.store = store
        self.hub = hub
        self.changed = changed

    def _announce(self, workshop_id: int, *, stage: bool = False) -> None:
        announce(self.hub, self.changed, workshop_id, stage=stage)

    # -- facilitator: workshops and options ------------------------------------------------------

    async def create_workshop(self, form: Mapping[str, Any], user_id: int) -> Workshop:
        title = clean_text(form.get("title"), field=N_("Title"), limit=TITLE_MAX)
        date = read_date(form.get("date"), field=N_("Date"))
        place = clean_text(form.get("place"), field=N_("Place"), limit=TITLE_MAX, required=False)
        return await self.store.workshops.create_workshop(title, date, place, user_id)

    async def update_workshop(self, workshop_id: int, form: Mapping[str, Any]) -> None:
        title = clean_text(form.get("title"), field=N_("Title"), limit=TITLE_MAX)
        date = read_date(form.get("date"), field=N_("Date"))
        place = clean_text(form.get("place"), field=N_("Place"), limit=TITLE_MAX, required=False)
        await self.store.workshops.update_workshop(workshop_id, title, date, place)
        self._announce(workshop_id, stage=True)

    async def option_in(self, workshop_id: int, option_id: Any) -> Option:
        option = await self.store.options.option(read_id(option_id, "option"))
        if option.workshop_id != workshop_id:
            raise NotFound("option")
        return option

    async def add_option(self, workshop_id: int, form: Mapping[str, Any]) -> Option:
        title = clean_text(form.get("title"), field=N_("Option"), limit=TITLE_MAX)
        description = clean_text(
            form.get("description"), field=N_("Description"), limit=TEXT_MAX, required=False
        )
        scope = read_scope(form)
        cost = read_cost(form.get("cost"))
        option = await self.store.options.add_option(workshop_id, title, description, scope, cost)
        self._announce(workshop_id)
        return option

    async def import_options(self, workshop_id: int, rows: list[tuple[str, str]]) -> int:
        """Add checked (title, description) rows as options, all in one transaction."""
        n = await self.store.options.add_options(workshop_id, rows)
        self._announce(workshop_id)
        return n

    async def edit_option(self, option: Option, form: Mapping[str, Any]) -> int:
        """Reword an option; returns how many ballots already support it (to warn the user)."""
        title = clean_text(form.get("title"), field=N_("Option"), limit=TITLE_MAX)
        description = clean_text(
            form.get("description"), field=N_("Description"), limit=TEXT_MAX, required=False
        )
        scope = read_scope(form)
        # A form without the field (an older page) leaves the cost as it was.
        await self.store.options.update_option(
            option.id,
            title,
            description,
            scope,
            read_cost(form.get("cost")),
            set_cost="cost" in form,
        )
        self._announce(option.workshop_id, stage=True)
        return await self.supporters(option)

    async def move_option(self, option: Option, direction: Any) -> None:
        if direction not in ("up", "down"):
            raise BadRequest("Choose up or down.")
        await self.store.options.move_option(option.id, -1 if direction == "up" else 1)
        self._announce(option.workshop_id)

    async def set_picture(self, option: Option, data: bytes) -> None:
        """Give an option the picture in an uploaded file (checked and made small first)."""
        picture = prepare(data)
        await self.store.options.set_picture(
            option.id,
            picture.image,
            picture.media_type,
            (picture.width, picture.height),
            picture.version,
        )
        self._announce(option.workshop_id, stage=True)

    async def remove_picture(self, option: Option) -> None:
        await self.store.options.remove_picture(option.id)
        self._announce(option.workshop_id, stage=True)

    async def remove_option(self, option: Option) -> tuple[str, int]:
        """Delete an option never put to the room, else withdraw it; returns what happened and
        how many ballots supported it."""
        supporters = await self.supporters(option)
        outcome = await self.store.options.remove_option(option.id)
        self._announce(option.workshop_id)
        return outcome, supporters if outcome == "withdrawn" else 0

    async def supporters(self, option: Option) -> int:
        """How many ballots give an option anything: dots, a place, a pick, a rating..."""
        return sum(
            1
            for kind, ballot in await self.store.ballots.option_ballots(option.id)
            if option.id in kinds.get(kind).ballot_cells(ballot.entry)
        )

    async def restore_option(self, option: Option) -> None:
        await self.store.options.restore_option(option.id)
        self._announce(option.workshop_id)


def read_cost(value: Any) -> int | None:
    """An option's estimated cost; empty means not costed."""
    return read_money(value, N_("Estimated cost"), required=False)
