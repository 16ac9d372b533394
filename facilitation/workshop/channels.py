"""The hub channel a workshop's phones listen on, and the message they hear when the stage moves."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from facilitation.core.hub import Hub

if TYPE_CHECKING:
    from facilitation.workshop.screens import StageReads


def phones_channel(workshop_id: int) -> tuple[str, int]:
    """The hub channel on which a workshop's phones hear that the stage changed."""
    return ("phones", workshop_id)


class StageChange:
    """The message a workshop's phones receive when the stage changes: one object per change,
    given to every phone, so that they can share one read of the new stage (``shared``) and
    take turns to render it (``turns``)."""

    __slots__ = ("shared", "turns", "workshop_id")

    def __init__(self, workshop_id: int) -> None:
        self.workshop_id = workshop_id
        self.shared: asyncio.Future[StageReads] | None = None
        self.turns = asyncio.Lock()


def announce(
    hub: Hub, changed: Callable[[int], None], workshop_id: int, *, stage: bool = False
) -> None:
    """After a commit: mark the workshop's screens for a fresh render, and if what the phones
    show has moved (a round opened or closed, a result revealed), tell them too."""
    changed(workshop_id)
    if stage:
        hub.publish(phones_channel(workshop_id), StageChange(workshop_id))
