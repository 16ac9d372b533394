"""A realistic demo workshop (an estate's green spaces) and a facilitator to run it."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher

from facilitation.models import Round, RoundKind, RoundStatus
from facilitation.settings import Settings
from facilitation.storage import Store

DEMO_USER = "demo"
TITLE = "Phoenix Place green spaces"
OPTIONS = (
    ("Food-growing beds by Block C", "Raised beds residents can book, with a water butt."),
    ("Brighter lighting on the path to the bus stop", "LED lamps along the east path."),
    ("Benches and shade in the central courtyard", "Four benches and two trees."),
    ("Fenced play area for under-fives", "Soft surface, gate that closes by itself."),
    ("Wildflower meadow instead of mown grass", "On the bank behind Block A."),
    ("Secure cycle storage", "Covered lockers for 20 bikes near the main entrance."),
    ("Screen and tidy the bin stores", "Planters and timber screens around the bins."),
)

WORDS = ("maple", "river", "garden", "lantern", "meadow", "harbour", "orchard", "willow")


async def seed(settings: Settings) -> dict:
    """Make sure the demo facilitator and workshop exist; the password is new on every run."""
    store = await Store(settings.data_path, durability=settings.durability).open()
    try:
        password = "-".join(secrets.choice(WORDS) for _ in range(3)) + str(
            secrets.randbelow(90) + 10
        )
        digest = PasswordHasher().hash(password)
        found = await store.user_credentials(DEMO_USER)
        if found:
            await store.set_password(DEMO_USER, digest)
            user = found[0]
        else:
            user = await store.create_user(DEMO_USER, digest)
        workshop = next((w for w in await store.workshops() if w.title == TITLE), None)
        if workshop is None:
            workshop = await store.create_workshop(
                TITLE, "Saturday 10:00", "Phoenix Place community hall", user.id
            )
            ids = [(await store.add_option(workshop.id, title, text)).id for title, text in OPTIONS]
            await store.save_round(
                Round(
                    0,
                    workshop.id,
                    "Which ideas matter most to you?",
                    RoundKind.DOTS,
                    tuple(ids),
                    RoundStatus.DRAFT,
                    dots=5,
                    max_per_option=3,
                )
            )
            await store.save_round(
                Round(
                    0,
                    workshop.id,
                    "Put your top three in order",
                    RoundKind.RANK,
                    tuple(ids),
                    RoundStatus.DRAFT,
                    top_k=3,
                    hidden=True,
                    timer_seconds=300,
                )
            )
        return {
            "username": DEMO_USER,
            "password": password,
            "code": workshop.code,
            "workshop_id": workshop.id,
        }
    finally:
        await store.close()
