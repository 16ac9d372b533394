"""Accounts from the command line: add one to an organisation with a role, or reset a password."""

from __future__ import annotations

from argon2 import PasswordHasher

from facilitation.core.errors import Conflict, NotFound
from facilitation.core.models import Role
from facilitation.settings import Settings
from facilitation.storage.store import Store

MIN_PASSWORD = 8
ROLE_NAMES = {
    Role.ORGANISER: "Organiser",
    Role.FACILITATOR: "Facilitator",
    Role.MODERATOR: "Moderator",
}


async def add_user(
    settings: Settings,
    username: str,
    password: str,
    *,
    reset: bool = False,
    organisation: str | None = None,
    role: str = Role.ORGANISER.value,
    workshop: str | None = None,
    admin: bool = False,
) -> str:
    """Create an account (or reset its password); returns what to tell the operator.

    Without ``organisation`` the account joins the instance's only organisation (made when
    there is none): the way a one-organisation instance has always worked. A named organisation
    that does not exist yet is made for its first organiser. A moderator names the join code of
    the one workshop they look after. The instance's first account is also its administrator."""
    username = username.strip()
    if not username or len(username) > 80:
        raise ValueError("A username needs 1 to 80 characters.")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"A password needs at least {MIN_PASSWORD} characters.")
    try:
        chosen = Role(role)
    except ValueError:
        raise ValueError("The role is one of organiser, facilitator or moderator.") from None
    if (chosen is Role.MODERATOR) != bool(workshop):
        raise ValueError(
            "A moderator looks after one workshop: give its join code with --workshop "
            "(and only a moderator takes --workshop)."
        )
    digest = PasswordHasher().hash(password)
    store = await Store(settings.database, durability=settings.durability).open()
    try:
        if reset:
            if not await store.users.set_password(username, digest):
                raise ValueError(f"There is no account called {username}.")
            return f"Password changed for {username}."
        if await store.users.user_credentials(username) is not None:
            raise ValueError(f"{username} already exists; use --reset to change the password.")
        organisation_id, made = None, False
        if organisation is None and len(await store.organisations.organisations()) > 1:
            raise ValueError(
                "This instance has several organisations: say which with --organisation."
            )
        if organisation is not None:
            found = await store.organisations.by_name(organisation.strip())
            if found is None:
                if chosen is not Role.ORGANISER:
                    raise ValueError(
                        f"There is no organisation called {organisation}. A new organisation's "
                        "first account is its organiser (--role organiser)."
                    )
                found = await store.organisations.create(organisation.strip())
                made = True
            organisation_id = found.id
        workshop_id = None
        if workshop:
            chosen_workshop = await store.workshops.workshop_by_code(workshop.strip().upper())
            if chosen_workshop is None:
                raise ValueError(f"No workshop has the join code {workshop}.")
            workshop_id = chosen_workshop.id
        first = not await store.users.any_users()
        user = await store.users.create_user(
            username,
            digest,
            organisation_id=organisation_id,
            role=chosen,
            workshop_id=workshop_id,
            admin=admin or first,
        )
        home = await store.organisations.organisation(user.organisation_id)
        message = f"{ROLE_NAMES[chosen]} {username} added to “{home.name}”"
        message += " (a new organisation)." if made else "."
        if user.admin:
            message += f" {username} is also the instance's administrator (creates organisations)."
        return message + " Sign in at /login."
    except NotFound as exc:
        raise ValueError("That workshop belongs to another organisation.") from exc
    except Conflict as exc:  # the name was taken meanwhile
        raise ValueError(f"{username} already exists; use --reset to change the password.") from exc
    finally:
        await store.close()
