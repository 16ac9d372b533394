"""Users repository: the signing secret, accounts with their organisation and role, and their
server-held sign-ins."""

from __future__ import annotations

import secrets
import time

from facilitation.core.errors import Conflict, NotFound
from facilitation.core.models import Role, User
from facilitation.storage.db import Database, IntegrityError, Row
from facilitation.storage.organisations import sole_organisation

USER_COLUMNS = "u.id, u.username, u.organisation_id, u.role, u.workshop_id, u.admin"


def user_from_row(row: Row) -> User:
    """An account from its row (selected with USER_COLUMNS)."""
    return User(
        row["id"],
        row["username"],
        row["organisation_id"],
        Role(row["role"]),
        row["workshop_id"],
        bool(row["admin"]),
    )


class Users:
    """Accounts and sign-in sessions."""

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

    async def create_user(
        self,
        username: str,
        password_hash: str,
        *,
        organisation_id: int | None = None,
        role: Role = Role.ORGANISER,
        workshop_id: int | None = None,
        admin: bool = False,
    ) -> User:
        """Add an account; Conflict if the name is taken. Without an organisation it joins the
        instance's only one (made if there is none). A moderator names its one workshop, which
        must be the organisation's; nobody else names one."""
        if (role is Role.MODERATOR) != (workshop_id is not None):
            raise ValueError("a moderator, and only a moderator, looks after one workshop")
        async with self._db.transaction() as tx:
            if organisation_id is None:
                organisation_id = await sole_organisation(tx)
            if workshop_id is not None and not await tx.one(
                "SELECT 1 FROM workshops WHERE id = ? AND organisation_id = ?",
                (workshop_id, organisation_id),
            ):
                raise NotFound("workshop")
            try:
                async with tx.savepoint():
                    user_id = await tx.insert(
                        "INSERT INTO users (username, password_hash, created_at, organisation_id,"
                        " role, workshop_id, admin) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            username,
                            password_hash,
                            time.time(),
                            organisation_id,
                            role.value,
                            workshop_id,
                            int(admin),
                        ),
                    )
            except IntegrityError as exc:
                raise Conflict("That username is already taken.") from exc
            return User(user_id, username, organisation_id, role, workshop_id, admin)

    async def any_users(self) -> bool:
        """Whether the instance has an account yet."""
        return await self._db.one("SELECT 1 FROM users LIMIT 1") is not None

    async def set_password(self, username: str, password_hash: str) -> bool:
        """Replace an account's password hash and end its sign-ins; False if no such user."""
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
            f"SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = ?",
            (username,),
        )
        return (user_from_row(row), row["password_hash"]) if row else None

    async def start_session(self, user_id: int) -> str:
        """Record a sign-in; returns its unguessable id for the cookie."""
        session_id = secrets.token_urlsafe(32)
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO sessions (id, user_id, created_at) VALUES (?, ?, ?)",
                (session_id, user_id, time.time()),
            )
        return session_id

    async def session_user(self, session_id: str, max_age: float) -> User | None:
        """The account signed in under this session id, if it exists and is not too old."""
        row = await self._db.one(
            f"SELECT {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id"
            " WHERE s.id = ? AND s.created_at > ?",
            (session_id, time.time() - max_age),
        )
        return user_from_row(row) if row else None

    async def end_session(self, session_id: str) -> None:
        """Sign out: the session id stops working wherever a copy of the cookie is."""
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    async def user(self, user_id: int) -> User | None:
        """An account by id."""
        row = await self._db.one(f"SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?", (user_id,))
        return user_from_row(row) if row else None

    async def accounts(self, organisation_id: int) -> list[User]:
        """An organisation's accounts by name."""
        rows = await self._db.all(
            f"SELECT {USER_COLUMNS} FROM users u WHERE u.organisation_id = ?"
            " ORDER BY lower(u.username), u.id",
            (organisation_id,),
        )
        return [user_from_row(r) for r in rows]

    async def set_role(self, user_id: int, role: Role, workshop_id: int | None) -> User:
        """Give an account another role; a moderator's one workshop must be its organisation's
        (NotFound otherwise), and nobody else names one."""
        if (role is Role.MODERATOR) != (workshop_id is not None):
            raise ValueError("a moderator, and only a moderator, looks after one workshop")
        async with self._db.transaction() as tx:
            if workshop_id is not None and not await tx.one(
                "SELECT 1 FROM workshops w JOIN users u ON u.organisation_id = w.organisation_id"
                " WHERE w.id = ? AND u.id = ?",
                (workshop_id, user_id),
            ):
                raise NotFound("workshop")
            await tx.execute(
                "UPDATE users SET role = ?, workshop_id = ? WHERE id = ?",
                (role.value, workshop_id, user_id),
            )
            row = await tx.one(f"SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?", (user_id,))
        if row is None:
            raise NotFound("account")
        return user_from_row(row)

    async def remove_user(self, user_id: int) -> None:
        """Remove an account and end its sign-ins; the workshops it made stay, made by nobody."""
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
            await tx.execute(
                "UPDATE workshops SET created_by = NULL WHERE created_by = ?", (user_id,)
            )
            await tx.execute("DELETE FROM users WHERE id = ?", (user_id,))
