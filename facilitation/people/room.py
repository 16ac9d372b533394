"""Who is in the room against the make-up of the place, read for the console and the board.

The console shows it whenever the workshop's programme asks profile questions; the board only
when the facilitator has chosen to show it, and then only questions that at least MIN_SIZE people
answered, so that a projected share never points at one or two people in a small room.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from facilitation.people.groups import MIN_SIZE
from facilitation.people.rules import QuestionGaps, room_against_place
from facilitation.storage.store import Store


@dataclass(frozen=True, slots=True)
class RoomView:
    programme_id: int
    present: int
    questions: tuple[QuestionGaps, ...]  # widest gap first
    on_board: bool
    has_place: bool  # whether any question has figures for the place
    paper: int = 0  # of those present, paper sheets: nobody asked them the questions

    @property
    def on_screen(self) -> tuple[QuestionGaps, ...]:
        """The questions the board may show: answered by at least MIN_SIZE people."""
        return tuple(q for q in self.questions if q.answered >= MIN_SIZE)


async def room_view(store: Store, workshop_id: int) -> RoomView | None:
    """The room against the place, or None when the workshop's programme asks no questions."""
    programme_id = await store.plans.workshop_programme(workshop_id)
    if programme_id is None:
        return None
    questions = await store.profiles.profile_questions(programme_id)
    if not questions:
        return None
    room = await store.profiles.room_profile(workshop_id)
    place = await store.profiles.place_makeup(programme_id)
    return RoomView(
        programme_id,
        room.present,
        tuple(room_against_place(questions, room, place)),
        await store.workshops.room_on_board(workshop_id),
        any(place.get(q.id) for q in questions),
        room.paper,
    )


async def room_context(store: Store, workshop_id: int) -> dict[str, Any]:
    """The console's room panel: {"room": RoomView or None}."""
    return {"room": await room_view(store, workshop_id)}


async def board_room(store: Store, workshop_id: int) -> RoomView | None:
    """The board's room panel, only when the facilitator turned it on (one read otherwise)."""
    if not await store.workshops.room_on_board(workshop_id):
        return None
    return await room_view(store, workshop_id)
