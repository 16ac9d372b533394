"""The demo programme's past workshops: the residents who came and answered "About you", a closed
dot round in spring, and a closed PACT health check at the end of each, so the dashboard's chart
has a line, the console's room panel a room and a result a split by group. Deterministic.

Everything goes through the same use cases as a real workshop (join, open, cast, close), so the
stored results are exactly what the app would have counted.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from facilitation.core.hub import Hub
from facilitation.core.models import Participant, Round, RoundStatus, Workshop
from facilitation.demo.people import (
    AGE,
    BLOCK,
    HOME,
    PREFER,
    SKIP,
    Resident,
    answer_ids,
    choice_ids,
    counted_room,
    random_room,
)
from facilitation.health.checks import HealthChecks
from facilitation.health.pact import DIMENSIONS
from facilitation.kinds.dots import cap_of, dots_of
from facilitation.people.rules import ProfileQuestion
from facilitation.storage.store import Store
from facilitation.workshop.ballots import Ballots
from facilitation.workshop.rounds import Rounds

SPRING_ROUND = "What should we look at first?"
SPRING_OPTIONS = (
    "Better lighting on paths and stairwells",
    "Somewhere to sit outside",
    "Safe play space for young children",
    "Tidier bin stores",
    "Space to grow food",
    "Secure bike storage",
)
# The spring room, answer by answer: every split of its dot round shows groups of 5 or more.
SPRING_ROOM: dict[str, dict[str | None, int]] = {
    AGE: {"Under 25": 2, "25–44": 7, "45–64": 10, "65 and over": 8, PREFER: 1},
    HOME: {
        "Council tenant": 13,
        "Housing association tenant": 6,
        "Leaseholder": 5,
        "Private renter": 2,
        PREFER: 2,
    },
    BLOCK: {"Block A": 9, "Block B": 8, "Block C": 7, "Phoenix Road houses": 3, SKIP: 1},
}
SPRING_SKIPPED = 2  # skipped "About you" altogether


@dataclass(frozen=True, slots=True)
class Past:
    """A past workshop: who came back from earlier ones, how many new, and the health check's
    mean for each PACT dimension that the ratings are drawn around."""

    title: str
    date: dt.date
    place: str
    returning: int
    new: int
    pact: tuple[float, float, float, float]  # power, accountability, connection, trust


# The spring room is SPRING_ROOM (everyone new); later rooms mix returning and new residents.
PAST = (
    Past("Spring residents' meeting", dt.date(2025, 3, 15), "Phoenix Place community hall",
         0, 0, (2.5, 2.1, 3.3, 2.3)),
    Past("Summer estate walkabout", dt.date(2025, 6, 18), "Meet at the Block B entrance",
         5, 7, (3.0, 2.7, 3.6, 2.7)),
    Past("Autumn drop-in", dt.date(2025, 9, 13), "Phoenix Place community hall",
         8, 10, (3.4, 3.3, 4.0, 3.2)),
)  # fmt: skip

# How much each answer pulls a resident's dots towards an option (by SPRING_OPTIONS' index).
BASE_PULL = (3.0, 2.0, 2.0, 2.0, 1.5, 1.0)
PULL = {
    "Under 25": {5: 2.0, 2: 0.5},
    "25–44": {2: 3.0, 5: 1.0},
    "45–64": {0: 1.0, 3: 1.0},
    "65 and over": {1: 3.0, 0: 2.0},
    "Council tenant": {3: 1.5},
    "Housing association tenant": {0: 1.0},
    "Leaseholder": {4: 2.0, 3: 1.0},
    "Private renter": {5: 2.0},
    "Block C": {4: 1.0},
    "Phoenix Road houses": {5: 1.0},
}


def _nothing(_workshop_id: int) -> None:
    """No screens are open while the demo is seeded, so nobody needs telling."""


def dots_for(rng: random.Random, resident: Resident, rnd: Round) -> dict[int, int]:
    """A resident's dots: most use all of them, pulled towards what people like them want."""
    pull = list(BASE_PULL)
    for answer in (resident.answers or {}).values():
        for index, extra in PULL.get(answer or "", {}).items():
            pull[index] += extra
    dots = dict.fromkeys(rnd.option_ids, 0)
    have, cap = dots_of(rnd), cap_of(rnd)
    for _i in range(have if rng.random() < 0.85 else rng.randint(2, have - 1)):
        open_ = [i for i, o in enumerate(rnd.option_ids) if dots[o] < cap]
        index = rng.choices(open_, weights=[pull[i] for i in open_])[0]
        dots[rnd.option_ids[index]] += 1
    return {o: n for o, n in dots.items() if n}


def ratings_for(
    rng: random.Random, resident: Resident, tags: Mapping[int, str], means: Sequence[float]
) -> dict[int, str]:
    """A resident's health-check form: a number near the meeting's mean for each statement,
    now and then "don't know" or nothing; leaseholders trust the housing team a little less."""
    target = dict(zip(DIMENSIONS, means, strict=True))
    if (resident.answers or {}).get(HOME) == "Leaseholder":
        target["trust"] -= 0.5
    form: dict[int, str] = {}
    for option_id, dimension in tags.items():
        roll = rng.random()
        if roll < 0.03:
            continue
        if roll < 0.1:
            form[option_id] = "dk"
            continue
        form[option_id] = str(min(5, max(1, round(rng.gauss(target[dimension], 0.9)))))
    return form or {next(iter(tags)): "3"}


class History:
    """Seats the past workshops' rooms and runs their rounds through the use cases."""

    def __init__(self, store: Store, questions: Sequence[ProfileQuestion], seed: int = 7) -> None:
        self.store = store
        self.ids = choice_ids(questions)
        self.rng = random.Random(seed)
        self.rounds = Rounds(store, Hub(), _nothing)
        self.ballots = Ballots(store, Hub(), _nothing)
        self.health = HealthChecks(store, _nothing)
        self.known: list[tuple[str, Resident]] = []  # respondents met so far, with their token

    async def seed(self, user_id: int, programme_id: int) -> list[Workshop]:
        """The PAST workshops in order, each closed before the next (the chart's order)."""
        made = []
        for past in PAST:
            workshop = await self.store.workshops.create_workshop(
                past.title, past.date, past.place, user_id
            )
            await self.store.plans.set_workshop_programme(workshop.id, programme_id)
            if past is PAST[0]:
                room = counted_room(self.rng, SPRING_ROOM, SPRING_SKIPPED)
            else:
                room = random_room(self.rng, past.new)
            back = self.rng.sample(self.known, past.returning)
            seated = [await self.seat(workshop, None, r) for r in room]
            seated += [await self.seat(workshop, token, r) for token, r in back]
            if past is PAST[0]:
                await self.dot_round(workshop, seated)
            await self.health_check(workshop, seated, past.pact)
            made.append(workshop)
        return made

    async def seat(
        self, workshop: Workshop, token: str | None, resident: Resident
    ) -> tuple[Participant, Resident]:
        """Join the workshop; a returning resident's phone brings their respondent (and answers)
        back by its token, a new one answers "About you" or skips it."""
        participant = await self.store.workshops.join(workshop.id, resident.name)
        respondent = await self.store.profiles.link_respondent(participant.id, token)
        assert respondent is not None, "the workshop is in the programme"
        if token is None:
            if resident.answers:
                answers = answer_ids(self.ids, resident.answers)
                await self.store.profiles.save_profile_answers(respondent.id, answers)
            self.known.append((respondent.token, resident))
        return participant, resident

    async def dot_round(
        self, workshop: Workshop, seated: Sequence[tuple[Participant, Resident]]
    ) -> None:
        option_ids = tuple(
            [
                (await self.store.options.add_option(workshop.id, title, "")).id
                for title in SPRING_OPTIONS
            ]
        )
        rnd = await self.store.rounds.save_round(
            Round(0, workshop.id, SPRING_ROUND, "dots", option_ids, RoundStatus.DRAFT,
                  settings={"dots": 5, "max_per_option": 3, "must_use_all": False})
        )  # fmt: skip
        await self.rounds.open_round(rnd)
        for participant, resident in seated:
            dots = dots_for(self.rng, resident, rnd)
            await self.cast(
                participant, workshop, rnd, {f"dots-{o}": str(n) for o, n in dots.items()}
            )
        await self.rounds.close_round(rnd)

    async def health_check(
        self,
        workshop: Workshop,
        seated: Sequence[tuple[Participant, Resident]],
        means: Sequence[float],
    ) -> None:
        """The ready-made health check at the end: most of the room stays to fill it in."""
        rnd = await self.health.add_to(workshop)
        tags = {o: d for o, d in (await self.store.pact.pact_tags(workshop.id)).items()
                if o in rnd.option_ids}  # fmt: skip
        await self.rounds.open_round(rnd)
        for participant, resident in seated:
            if self.rng.random() < 0.85:
                form = ratings_for(self.rng, resident, tags, means)
                await self.cast(
                    participant, workshop, rnd, {f"rate-{o}": v for o, v in form.items()}
                )
        await self.rounds.close_round(rnd)

    async def cast(
        self, participant: Participant, workshop: Workshop, rnd: Round, fields: dict[str, str]
    ) -> None:
        client_id = f"demo-{rnd.id}-{participant.id}"
        await self.ballots.cast_ballot(
            participant, workshop, {"round_id": str(rnd.id), "client_id": client_id, **fields}
        )
