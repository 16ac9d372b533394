"""Who takes part, in tests: a programme that asks profile questions, a room in it, and residents
who answer."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from facilitation.people.rules import ProfileQuestion
from tests.helpers import Facilitator, Phone, csrf_of
from tests.room import Room

TENURE = ("Social rent", "Private rent", "Owner")
AGE = ("Under 30", "30 to 64", "65 and over")


async def programme_asking(
    facilitator: Facilitator, app, workshop_id: int | None = None, **questions: tuple[str, ...]
) -> tuple[int, dict[str, ProfileQuestion]]:
    """A programme (holding the workshop, if given) that asks ``questions`` (label: choices),
    made through the organiser's forms; returns its id and its questions by label."""
    response = await facilitator.post("/f/programmes", {"title": "Phoenix Place plan"})
    assert response.status_code == 303, response.text
    programme_id = int(response.headers["location"].rsplit("/", 1)[1])
    if workshop_id is not None:
        await facilitator.post(
            f"/f/programmes/{programme_id}/workshops", {"workshop_id": str(workshop_id)}
        )
    for label, choices in questions.items():
        response = await facilitator.post(
            f"/f/programmes/{programme_id}/people/questions",
            {"label": label.replace("_", " "), "choices": "\n".join(choices)},
        )
        assert response.status_code == 303, response.text
    found = await app.state.store.profiles.profile_questions(programme_id)
    return programme_id, {q.label: q for q in found}


def choice(question: ProfileQuestion, label: str) -> int:
    return next(c.id for c in question.choices if c.label == label)


@dataclass
class AskingRoom(Room):
    """A room whose workshop belongs to a programme asking tenure and age band."""

    programme_id: int = 0
    questions: dict[str, ProfileQuestion] = field(default_factory=dict)

    @property
    def tenure(self) -> ProfileQuestion:
        return self.questions["Tenure"]

    @property
    def age(self) -> ProfileQuestion:
        return self.questions["Age band"]


class Resident:
    """A resident's phone that joins by code and may answer the "About you" questions."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.phone = Phone(client)
        self.code = ""

    async def join(self, code: str, name: str = "") -> httpx.Response:
        """Join by code; returns the join's response (the stage, or a redirect to questions)."""
        self.code = code
        return await self.phone.join(code, name)

    async def about(self) -> httpx.Response:
        return await self.client.get(f"/w/{self.code}/about")

    async def answer(
        self, answers: dict[int, int | str | None], action: str = "save", **extra: str
    ) -> httpx.Response:
        """Send the About you form: question id to choice id, None for "prefer not to say"."""
        page = await self.about()
        data = {"csrf": csrf_of(page.text), "action": action, **extra}
        for question_id, choice_id in answers.items():
            data[f"q-{question_id}"] = "none" if choice_id is None else str(choice_id)
        return await self.client.post(f"/w/{self.code}/about", data=data)
