"""Users repository: the signing secret, facilitator accounts and their server-held sign-ins."""

from __future__ import annotations

import secrets
import time

from facilitation.core.errors import Conflict
from facilitation.core.models import User
from facilitation.storage.db import Database, IntegrityError


class Users:
    """Facilitator accounts and sign-in sessions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def secret(self) -> str:
        """The signing secret, made once on first use and kept in the database."""
        # Several workers may start at once: the first to commit wins, the others read its secret.
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO meta (key, value) VALUES ('secret', ?) ON CONFLICT DO NOTHING",
                (secrets.token_urlsafe(48),),
            )
            secret: str = await tx.value("SELECT value FROM meta WHERE key = 'secret'")
            return secret

    async def create_user(self, username: str, password_hash: str) -> User:
        """Add a facilitator account; Conflict if the name is taken."""
        async with self._db.transaction() as tx:
            try:
                user_id = await tx.insert(
                    "INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?)",
                    (username, password_hash, time.time()),
                )
            except IntegrityError as exc:
                raise Conflict("That username is already taken.") from exc
            return User(user_id, username)

    async def set_password(self, username: str, password_hash: str) -> bool:
        """Replace a facilitator's password hash and end their sign-ins; False if no such user."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE users SET password_hash = ? WHERE username = ?", (password_hash, username)
            )
            await tx.execute(
                "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = ?)",
                (username,),
            )
            return changed == 1

    async def user_credentials(self, username: str) -> tuple[User, str] | None:
        """A user and their password hash, for logging in."""
        row = await self._db.one(
            "SELECT id, username, password_hash FROM users WHERE username = ?", (username,)
        )
        return (User(row["id"], row["username"]), row["password_hash"]) if row else None

    async def start_session(self, user_id: int) -> str:
        """Record a facilitator's sign-in; returns its unguessable id for the cookie."""
        session_id = secrets.token_urlsafe(32)
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO sessions (id, user_id, created_at) VALUES (?, ?, ?)",
                (session_id, user_id, time.time()),
            )
        return session_id

    async def session_user(self, session_id: str, max_age: float) -> User | None:
        """The facilitator signed in under this session id, if it exists and is not too old."""
        row = await self._db.one(
            "SELECT u.id, u.username FROM sessions s JOIN users u ON u.id = s.user_id"
            " WHERE s.id = ? AND s.created_at > ?",
            (session_id, time.time() - max_age),
        )
        return User(row["id"], row["username"]) if row else None

    async def end_session(self, session_id: str) -> None:
        """Sign out: the session id stops working wherever a copy of the cookie is."""
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    async def user(self, user_id: int) -> User | None:
        """A facilitator by id."""
        row = await self._db.one("SELECT id, username FROM users WHERE id = ?", (user_id,))
        return User(row["id"], row["username"]) if row else None
