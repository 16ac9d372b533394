"""The demo programme's people: its profile questions, the make-up of the estate, the residents
who came to its past workshops, and a volunteer pool for a panel lottery. Made up, deterministic.

Everything here is generated from fixed seeds, so every run of the demo holds the same people.
The rooms are skewed the way real ones are (older residents and council tenants come; private
renters and the young mostly do not), and the pool the way a letter to every home brings one in
(older, and more leaseholders than live on the estate).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from facilitation.people.rules import ProfileQuestion, Volunteer
from facilitation.storage.store import Store

AGE = "Age band"
HOME = "Your home"
BLOCK = "Which block"
QUESTIONS = (
    (AGE, ("Under 25", "25–44", "45–64", "65 and over")),
    (HOME, ("Council tenant", "Housing association tenant", "Leaseholder", "Private renter")),
    (BLOCK, ("Block A", "Block B", "Block C", "Phoenix Road houses")),
)
# The estate: adults by age band as shares (the census), homes by tenure and by block as head
# counts of households (the housing team's register), the two ways organisers get figures.
MAKEUP = {
    AGE: (14, 38, 29, 19),
    HOME: (182, 64, 71, 23),
    BLOCK: (96, 120, 84, 40),
}
POOL_TITLE = "Letters to every home, spring"
POOL_SIZE = 60

PREFER = None  # "prefer not to say"
SKIP = "skip"  # the question left blank

FIRST_NAMES = (
    "Amira", "Tom", "Grace", "Kwame", "Fatima", "Dev", "Maureen", "Ali", "Joyce", "Tomasz",
    "Precious", "Sean", "Yusuf", "Bernadette", "Chen", "Lola", "Patrick", "Hana", "Delroy", "Irene",
    "Mohammed", "Sinead", "Kofi", "Edna", "Ravi", "Zainab", "Frank", "Agnieszka", "Winston", "Leah",
    "Olu", "Rose", "Imran", "Sylvia", "Marcus", "Nadia", "George", "Ade", "Pauline", "Luis",
)  # fmt: skip
SURNAMES = (
    "Okafor", "Patel", "Murphy", "Begum", "Smith", "Nowak", "Mensah", "Campbell", "Ali", "O'Brien",
    "Khan", "Williams", "Hussain", "Adeyemi", "Walsh", "Clarke", "Ahmed", "Kowalski", "Brown",
    "Osei", "Rahman", "Taylor", "Da Silva", "Jones", "Chowdhury", "Reid", "Hughes", "Lewis",
)  # fmt: skip
FLATS = {"Block A": 96, "Block B": 120, "Block C": 84, "Phoenix Road houses": 40}

# Who comes to a meeting, and who answers a letter: weights per answer, then "prefer not to say"
# and blank (question label -> weights in the order of QUESTIONS' answers, prefer, skip).
ROOM_WEIGHTS = {
    AGE: (4, 20, 32, 30, 2, 3),
    HOME: (46, 18, 18, 6, 4, 3),
    BLOCK: (26, 30, 26, 10, 0, 4),
}
POOL_WEIGHTS = {
    AGE: (4, 17, 33, 42, 2, 2),
    HOME: (38, 12, 40, 5, 3, 2),
}


@dataclass(frozen=True, slots=True)
class Resident:
    """A resident as the demo seats them: the first name typed on the phone (may be blank), and
    their "About you" answers by question label (PREFER for "prefer not to say", a question
    left blank is absent); None when they skipped the page."""

    name: str
    answers: Mapping[str, str | None] | None


def _pick(rng: random.Random, labels: Sequence[str], weights: Sequence[int]) -> str | None:
    return rng.choices([*labels, PREFER, SKIP], weights=weights)[0]


def counted_room(
    rng: random.Random, counts: Mapping[str, Mapping[str | None, int]], skipped: int
) -> list[Resident]:
    """A room with exactly these answers to each question (so its split by group is known),
    shuffled into people; ``skipped`` more skipped "About you" altogether."""
    columns = {}
    for label, per_answer in counts.items():
        column = [answer for answer, n in per_answer.items() for _i in range(n)]
        rng.shuffle(column)
        columns[label] = column
    size = len(next(iter(columns.values())))
    assert all(len(c) == size for c in columns.values()), "every question needs one answer each"
    people = [
        Resident(_first(rng), {q: c[i] for q, c in columns.items() if c[i] != SKIP})
        for i in range(size)
    ]
    people += [Resident(_first(rng), None) for _i in range(skipped)]
    rng.shuffle(people)
    return people


def random_room(rng: random.Random, size: int) -> list[Resident]:
    """Residents with answers drawn from ROOM_WEIGHTS; about one in ten skips the page."""
    choices = dict(QUESTIONS)
    people = []
    for _i in range(size):
        if rng.random() < 0.1:
            people.append(Resident(_first(rng), None))
            continue
        drawn = {q: _pick(rng, choices[q], w) for q, w in ROOM_WEIGHTS.items()}
        people.append(Resident(_first(rng), {q: a for q, a in drawn.items() if a != SKIP}))
    return people


def _first(rng: random.Random) -> str:
    """The name typed on the phone: most give a first name, some leave it blank."""
    return rng.choice(FIRST_NAMES) if rng.random() < 0.75 else ""


def choice_ids(questions: Sequence[ProfileQuestion]) -> dict[str, tuple[int, dict[str, int]]]:
    """Question label -> (question id, answer label -> choice id)."""
    return {q.label: (q.id, {c.label: c.id for c in q.offered}) for q in questions}


def answer_ids(
    ids: Mapping[str, tuple[int, Mapping[str, int]]], answers: Mapping[str, str | None]
) -> dict[int, int | None]:
    """Answers by label as the store keeps them: question id -> choice id (None: prefer not)."""
    out: dict[int, int | None] = {}
    for label, answer in answers.items():
        question_id, choices = ids[label]
        out[question_id] = None if answer is PREFER else choices[answer]
    return out


async def seed_questions(store: Store, programme_id: int) -> list[ProfileQuestion]:
    """The three questions and the estate's figures for each, as the "Who takes part" tab
    saves them."""
    questions = [
        await store.profiles.add_profile_question(programme_id, label, choices)
        for label, choices in QUESTIONS
    ]
    await store.profiles.set_place_makeup(
        programme_id,
        {
            q.id: {c.id: float(n) for c, n in zip(q.offered, MAKEUP[q.label], strict=True)}
            for q in questions
        },
    )
    return questions


def volunteers(questions: Sequence[ProfileQuestion], seed: int = 2024) -> list[Volunteer]:
    """POOL_SIZE made-up volunteers: contact details on example.org and a reserved drama phone
    range, homes on the estate (a few households send two people), answers skewed older and
    towards leaseholders. The block answer follows the address, as people fill it in."""
    rng = random.Random(seed)
    ids = choice_ids(questions)
    choices = dict(QUESTIONS)
    households: set[str] = set()
    emails: set[str] = set()
    out: list[Volunteer] = []
    while len(out) < POOL_SIZE:
        block = rng.choices(list(FLATS), weights=list(FLATS.values()))[0]
        number = rng.randint(1, FLATS[block])
        address = (
            f"{number} Phoenix Road" if block == "Phoenix Road houses"
            else f"Flat {number}, {block}, Phoenix Place"
        )  # fmt: skip
        if address in households:
            continue
        households.add(address)
        surname = rng.choice(SURNAMES)
        home = _pick(rng, choices[HOME], POOL_WEIGHTS[HOME])
        # About one household in eight sends two people; they share the home and often a name.
        members = 2 if rng.random() < 0.13 and len(out) < POOL_SIZE - 1 else 1
        for member in range(members):
            first = rng.choice(FIRST_NAMES)
            last = surname if member == 0 or rng.random() < 0.7 else rng.choice(SURNAMES)
            answers = {
                AGE: _pick(rng, choices[AGE], POOL_WEIGHTS[AGE]),
                HOME: home,
                BLOCK: block if rng.random() > 0.03 else SKIP,
            }
            out.append(
                Volunteer(
                    0,
                    0,
                    f"{first} {last}",
                    _email(rng, first, last, emails),
                    f"07700 900{rng.randint(0, 999):03d}" if rng.random() < 0.5 else "",
                    address,
                    answer_ids(ids, {q: a for q, a in answers.items() if a != SKIP}),
                )
            )
    return out


def _email(rng: random.Random, first: str, last: str, taken: set[str]) -> str:
    """A made-up address on example.org (unique); one in ten volunteers gives none."""
    if rng.random() < 0.1:
        return ""
    local = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
    email, n = f"{local}@example.org", 1
    while email in taken:
        n += 1
        email = f"{local}{n}@example.org"
    taken.add(email)
    return email


async def seed_pool(store: Store, programme_id: int, questions: Sequence[ProfileQuestion]) -> None:
    await store.pools.add_pool(programme_id, POOL_TITLE, volunteers(questions))
