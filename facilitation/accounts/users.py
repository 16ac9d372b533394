"""Facilitator accounts from the command line: add one, or reset a password."""

from __future__ import annotations

from argon2 import PasswordHasher

from facilitation.core.errors import Conflict
from facilitation.settings import Settings
from facilitation.storage.store import Store

MIN_PASSWORD = 8


async def add_user(settings: Settings, username: str, password: str, *, reset: bool = False) -> str:
    """Create a facilitator (or reset their password); returns what to tell the operator."""
    username = username.strip()
    if not username or len(username) > 80:
        raise ValueError("A username needs 1 to 80 characters.")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"A password needs at least {MIN_PASSWORD} characters.")
    digest = PasswordHasher().hash(password)
    store = await Store(settings.database, durability=settings.durability).open()
    try:
        if reset:
            if not await store.users.set_password(username, digest):
                raise ValueError(f"There is no facilitator called {username}.")
            return f"Password changed for {username}."
        await store.users.create_user(username, digest)
        return f"Facilitator {username} added. Sign in at /login."
    except Conflict as exc:
        raise ValueError(f"{username} already exists; use --reset to change the password.") from exc
    finally:
        await store.close()
