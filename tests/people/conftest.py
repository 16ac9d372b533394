"""The room the people tests share: a workshop in a programme that asks who takes part."""

from __future__ import annotations

import pytest

from tests.people.scene import AGE, TENURE, AskingRoom, programme_asking


@pytest.fixture
async def asking_room(app, room) -> AskingRoom:
    """A workshop of its own, "Courtyard evening", in a programme that asks tenure and age band
    (made through the organiser's forms); no options and no round yet."""
    made = await room.another("Courtyard evening", room_type=AskingRoom)
    made.programme_id, made.questions = await programme_asking(
        made.facilitator, app, made.workshop_id, Tenure=TENURE, Age_band=AGE
    )
    return made
