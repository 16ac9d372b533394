"""The hub channel a workshop's phones listen on, and the message they hear when the stage moves.

The message is plain data (it may cross to other workers through Redis): the workshop and a
fresh id. Each process turns the id into one StageChange for all its phones (StageShares), so
that they share one read of the new stage, whichever worker announced it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from facilitation.core.hub import Hub

if TYPE_CHECKING:
    from facilitation.workshop.screens import StageReads


def phones_channel(workshop_id: int) -> tuple[str, int]:
    """The hub channel on which a workshop's phones hear that the stage changed."""
    return ("phones", workshop_id)


class StageChange:
    """A stage message as this process's phones share it: one object per change, so that they
    share one read of the new stage (``shared``) and take turns to render it (``turns``)."""

    __slots__ = ("shared", "turns", "workshop_id")

    def __init__(self, workshop_id: int) -> None:
        self.workshop_id = workshop_id
        self.shared: asyncio.Future[StageReads] | None = None
        self.turns = asyncio.Lock()


def stage_message(workshop_id: int) -> dict[str, Any]:
    """What a workshop's phones are sent when the stage moves."""
    return {"stage": workshop_id, "id": uuid.uuid4().hex}


def is_stage(message: object) -> bool:
    return isinstance(message, dict) and "stage" in message and "id" in message


class StageShares:
    """One StageChange per stage message in this process, for the last few messages."""

    def __init__(self, keep: int = 64) -> None:
        self.keep = keep
        self._changes: OrderedDict[str, StageChange] = OrderedDict()

    def change(self, message: dict[str, Any]) -> StageChange:
        """The StageChange all this process's phones share for ``message``."""
        key = str(message["id"])
        found = self._changes.get(key)
        if found is None:
            found = self._changes[key] = StageChange(int(message["stage"]))
            while len(self._changes) > self.keep:
                self._changes.popitem(last=False)
        return found


def announce(
    hub: Hub, changed: Callable[[int], None], workshop_id: int, *, stage: bool = False
) -> None:
    """After a commit: mark the workshop's screens for a fresh render, and if what the phones
    show has moved (a round opened or closed, a result revealed), tell them too."""
    changed(workshop_id)
    if stage:
        hub.publish(phones_channel(workshop_id), stage_message(workshop_id))
