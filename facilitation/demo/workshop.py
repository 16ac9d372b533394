"""A realistic demo workshop (an estate's green spaces) in a programme with past workshops, profile
questions and a volunteer pool (demo_people, demo_history), and the organisation's accounts: an
organiser, a facilitator and the workshop's moderator."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TypedDict

from argon2 import PasswordHasher

from facilitation.core.models import (
    Action,
    ActionStatus,
    InfoCard,
    LimitKind,
    Role,
    Round,
    RoundStatus,
    Scope,
    User,
    Who,
    Workshop,
)
from facilitation.demo import history as demo_history
from facilitation.demo import people as demo_people
from facilitation.settings import Settings
from facilitation.storage.store import Store

DEMO_USER = "demo"
DEMO_FACILITATOR = "demo-facilitator"
DEMO_MODERATOR = "demo-moderator"
ORGANISATION = "Phoenix Place Housing Co-op"
TITLE = "Phoenix Place green spaces"
PROGRAMME = "Phoenix Place green spaces"
# (title, description, cost, scope, limit kind, limit): costs are the housing team's estimates.
OPTIONS = (
    ("Food-growing beds by Block C", "Raised beds residents can book, with a water butt.", 4000,
     Scope.OPEN, None, ""),
    ("Brighter lighting on the path to the bus stop", "LED lamps along the east path.", 9000,
     Scope.WITHIN_LIMITS, LimitKind.HEALTH_SAFETY,
     "Lamps must meet the council's lighting standard."),
    ("Benches and shade in the central courtyard", "Four benches and two trees.", 6000,
     Scope.OPEN, None, ""),
    ("Fenced play area for under-fives", "Soft surface, gate that closes by itself.", 12000,
     Scope.WITHIN_LIMITS, LimitKind.BUDGET, "Play equipment must come from the approved list."),
    ("Wildflower meadow instead of mown grass", "On the bank behind Block A.", 2500,
     Scope.OPEN, None, ""),
    ("Secure cycle storage", "Covered lockers for 20 bikes near the main entrance.", 8000,
     Scope.OPEN, None, ""),
    ("Screen and tidy the bin stores", "Planters and timber screens around the bins.", 5000,
     Scope.OPEN, None, ""),
    ("Fire doors on Block B replaced this year", "Shown so everyone knows it is happening.", None,
     Scope.NOT_NEGOTIABLE, LimitKind.STATUTORY,
     "A legal fire-safety duty: it is paid from the building budget, not this one."),
)  # fmt: skip
CATEGORIES = ("Green spaces", "Safety", "Play", "Bins and tidiness")
BUDGET = 25000
BUDGET_CARD = InfoCard(
    "Where the £25,000 comes from",
    "It is this year's estate-improvement allowance. It is not taken from service charges, and "
    "money not spent this year goes back to the council.",
)

WORDS = ("maple", "river", "garden", "lantern", "meadow", "harbour", "orchard", "willow")


class DemoLogin(TypedDict):
    """What `facilitation demo` prints: the organiser's login, the workshop to join, and the
    logins of a facilitator and of the workshop's moderator, to see what each role sees."""

    username: str
    password: str
    code: str
    workshop_id: int
    facilitator: str
    facilitator_password: str
    moderator: str
    moderator_password: str


def new_password() -> str:
    return "-".join(secrets.choice(WORDS) for _ in range(3)) + str(secrets.randbelow(90) + 10)


async def _account(
    store: Store,
    username: str,
    password: str,
    organisation_id: int,
    role: Role = Role.ORGANISER,
    workshop_id: int | None = None,
    admin: bool = False,
) -> User:
    """The demo account with this name, made if missing; its password is reset either way."""
    hasher = PasswordHasher()
    found = await store.users.user_credentials(username)
    if found:
        await store.users.set_password(username, hasher.hash(password))
        return found[0]
    return await store.users.create_user(
        username,
        hasher.hash(password),
        organisation_id=organisation_id,
        role=role,
        workshop_id=workshop_id,
        admin=admin,
    )


async def _organisation(store: Store) -> int:
    """The demo organiser's organisation; in a new demo file, the co-op (made here)."""
    found = await store.users.user_credentials(DEMO_USER)
    if found:
        return found[0].organisation_id
    named = await store.organisations.by_name(ORGANISATION)
    return (named or await store.organisations.create(ORGANISATION)).id


async def seed(settings: Settings) -> DemoLogin:
    """Make sure the demo organisation, its accounts and workshop exist; passwords are new on
    every run."""
    store = await Store(settings.database, durability=settings.durability).open()
    try:
        password = new_password()
        organisation_id = await _organisation(store)
        first = not await store.users.any_users()
        user = await _account(store, DEMO_USER, password, organisation_id, admin=first)
        workshops = await store.workshops.workshops(organisation_id)
        workshop = next((w for w in workshops if w.title == TITLE), None)
        if workshop is None:
            programme_id = await _seed_programme(store, organisation_id)
            # The past workshops first, so the one to run today is the newest in every list.
            await _seed_people(store, user.id, programme_id)
            workshop = await _seed_workshop(store, user.id, programme_id)
        elif (unpeopled := await _programme_without_people(store, workshop.id)) is not None:
            # A demo file from before "Who takes part": give its programme the people too.
            await _seed_people(store, user.id, unpeopled)
        facilitator_password, moderator_password = new_password(), new_password()
        await _account(
            store, DEMO_FACILITATOR, facilitator_password, organisation_id, role=Role.FACILITATOR
        )
        await _account(
            store,
            DEMO_MODERATOR,
            moderator_password,
            organisation_id,
            role=Role.MODERATOR,
            workshop_id=workshop.id,
        )
        return {
            "username": DEMO_USER,
            "password": password,
            "code": workshop.code,
            "workshop_id": workshop.id,
            "facilitator": DEMO_FACILITATOR,
            "facilitator_password": facilitator_password,
            "moderator": DEMO_MODERATOR,
            "moderator_password": moderator_password,
        }
    finally:
        await store.close()


async def _seed_programme(store: Store, organisation_id: int) -> int:
    programme = await store.plans.create_programme(
        PROGRAMME,
        "Phoenix Place estate",
        "Residents and the housing team decide together how the estate's shared outdoor spaces "
        "change, and check each year what was done.",
        organisation_id,
    )
    return programme.id


async def _seed_people(store: Store, user_id: int, programme_id: int) -> None:
    """Who takes part: the questions and the estate's figures, the past workshops with their
    rooms, results and health checks, and a volunteer pool for a panel lottery."""
    questions = await demo_people.seed_questions(store, programme_id)
    await demo_history.History(store, questions).seed(user_id, programme_id)
    await demo_people.seed_pool(store, programme_id, questions)


async def _programme_without_people(store: Store, workshop_id: int) -> int | None:
    """The demo workshop's programme if it has none of the people seeded by _seed_people."""
    programme_id = await store.plans.workshop_programme(workshop_id)
    if programme_id is None:
        return None
    workshop = await store.workshops.workshop(workshop_id)
    assert workshop.organisation_id is not None
    titles = {w.title for w in await store.workshops.workshops(workshop.organisation_id)}
    seeded = (
        await store.profiles.profile_questions(programme_id, include_retired=True)
        or await store.pools.pools(programme_id)
        or titles & {p.title for p in demo_history.PAST}
    )
    return None if seeded else programme_id


async def _seed_workshop(store: Store, user_id: int, programme_id: int) -> Workshop:
    """The workshop to run, its options and rounds, and its programme's needs and actions."""
    workshop = await store.workshops.create_workshop(
        TITLE, dt.date.today(), "Phoenix Place community hall", user_id
    )
    ids = []
    for title, text, cost, scope, limit_kind, limit in OPTIONS:
        option = await store.options.add_option(
            workshop.id, title, text, (scope, limit_kind, limit), cost
        )
        ids.append(option.id)
    votable = tuple(
        i for i, o in zip(ids, OPTIONS, strict=True) if o[3] is not Scope.NOT_NEGOTIABLE
    )
    info = tuple(i for i in ids if i not in votable)
    rounds = (
        Round(0, workshop.id, "What would make the green spaces better?", "ideas", (),
              RoundStatus.DRAFT, settings={"categories": list(CATEGORIES)}),
        Round(0, workshop.id, "Which ideas matter most to you?", "dots", votable,
              RoundStatus.DRAFT, info_option_ids=info,
              settings={"dots": 5, "max_per_option": 3, "must_use_all": False}),
        Round(0, workshop.id, "Put your top three in order", "rank", votable,
              RoundStatus.DRAFT, hidden=True, timer_seconds=300, settings={"top_k": 3}),
        Round(0, workshop.id, "Spend this year's £25,000", "budget", votable,
              RoundStatus.DRAFT, info_option_ids=info, cards=(BUDGET_CARD,), cards_on_board=True,
              settings={"budget": BUDGET, "rule": "equal_shares"}),
    )  # fmt: skip
    for rnd in rounds:
        await store.rounds.save_round(rnd)
    await store.plans.set_workshop_programme(workshop.id, programme_id)
    lighting = await store.plans.add_need(
        programme_id, "Safer walk to the bus stop after dark", "Raised at the spring meeting.",
        (ids[1],),
    )  # fmt: skip
    await store.plans.add_need(programme_id, "Somewhere to sit in the shade", "", (ids[2],))
    await store.plans.add_need(programme_id, "Space for small children to play", "", (ids[3],))
    await store.plans.save_action(
        Action(0, programme_id, lighting.id, "Survey the east path lamps with the contractor",
               Who.STAFF, "Estate services team", "", ActionStatus.PLANNED)
    )  # fmt: skip
    return workshop
