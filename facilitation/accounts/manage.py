"""The accounts pages' use cases: an organiser adds and removes their organisation's accounts,
and the instance's administrator creates organisations with their first organiser."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argon2 import PasswordHasher

from facilitation.core.errors import BadRequest, NotFound
from facilitation.core.forms import TITLE_MAX, clean_text, read_id
from facilitation.core.i18n import N_
from facilitation.core.models import Organisation, Role, User
from facilitation.storage.store import Store

USERNAME_MAX = 80
MIN_PASSWORD = 8
PASSWORD_MAX = 200  # what the sign-in form reads of a password


def read_username(value: Any) -> str:
    """A new account's name: 1 to 80 characters, no spaces inside."""
    name = clean_text(value, field=N_("Username"), limit=USERNAME_MAX)
    if " " in name:
        raise BadRequest("A username cannot contain spaces.")
    return name


def read_password(value: Any) -> str:
    """A new password: at least 8 characters (and no more than sign-in reads)."""
    password = value if isinstance(value, str) else ""
    if len(password) < MIN_PASSWORD:
        raise BadRequest("A password needs at least {n} characters.", n=MIN_PASSWORD)
    if len(password) > PASSWORD_MAX:
        raise BadRequest("A password can be {n} characters at most.", n=PASSWORD_MAX)
    return password


def read_role(value: Any) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise BadRequest("Please choose a role: organiser, facilitator or moderator.") from None


def read_moderators_workshop(role: Role, form: Mapping[str, Any]) -> int | None:
    """A moderator's one workshop (required); nobody else's role names one."""
    if role is not Role.MODERATOR:
        return None
    if not form.get("workshop_id"):
        raise BadRequest("A moderator looks after one workshop: please choose it.")
    return read_id(form.get("workshop_id"), "workshop")


class Accounts:
    """Accounts and organisations over one store."""

    def __init__(self, store: Store, hasher: PasswordHasher | None = None) -> None:
        self.store = store
        self.hasher = hasher or PasswordHasher()

    async def add(self, organiser: User, form: Mapping[str, Any]) -> User:
        """A new account in the organiser's organisation; a moderator looks after one of its
        workshops."""
        username = read_username(form.get("username"))
        password = read_password(form.get("password"))
        role = read_role(form.get("role"))
        workshop_id = read_moderators_workshop(role, form)
        return await self.store.users.create_user(
            username,
            self.hasher.hash(password),
            organisation_id=organiser.organisation_id,
            role=role,
            workshop_id=workshop_id,
        )

    async def account_in(self, organiser: User, user_id: Any) -> User:
        """One of the organiser's organisation's accounts; NotFound for any other."""
        found = await self.store.users.user(read_id(user_id, "account"))
        if found is None or found.organisation_id != organiser.organisation_id:
            raise NotFound("account")
        return found

    async def remove(self, organiser: User, account: User) -> None:
        """Remove an account of the organisation (never one's own: someone must stay)."""
        if account.id == organiser.id:
            raise BadRequest("You cannot remove your own account. Ask another organiser.")
        await self.store.users.remove_user(account.id)

    async def change_role(self, organiser: User, account: User, form: Mapping[str, Any]) -> User:
        """Give another account of the organisation another role (never one's own: an
        organisation must keep an organiser)."""
        if account.id == organiser.id:
            raise BadRequest("You cannot change your own role. Ask another organiser.")
        role = read_role(form.get("role"))
        return await self.store.users.set_role(
            account.id, role, read_moderators_workshop(role, form)
        )

    async def set_password(self, organiser: User, account: User, form: Mapping[str, Any]) -> None:
        """A new password for another account of the organisation, for someone who has lost
        theirs; it ends the account's sign-ins."""
        if account.id == organiser.id:
            raise BadRequest("Ask another organiser to set a new password for your account.")
        password = read_password(form.get("password"))
        await self.store.users.set_password(account.username, self.hasher.hash(password))

    async def create_organisation(self, form: Mapping[str, Any]) -> tuple[Organisation, User]:
        """A new organisation and its first organiser, both or neither."""
        name = clean_text(form.get("name"), field=N_("Name"), limit=TITLE_MAX)
        username = read_username(form.get("username"))
        password = read_password(form.get("password"))
        return await self.store.organisations.create_with_organiser(
            name, username, self.hasher.hash(password)
        )
