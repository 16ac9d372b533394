"""Middleware: the session cookie (its secret read from the database at start) and who is asking."""

from __future__ import annotations

from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from facilitation.core.i18n import activate, negotiate
from facilitation.web.common import csrf_token

SESSION_COOKIE = "facilitation"


# A month: a phone keeps its place from one workshop evening to the next.
SESSION_MAX_AGE = 30 * 24 * 3600


class Identity:
    """Puts the signed-in facilitator (or None), the CSRF token and the locale on every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"].startswith("/static/"):
            return await self.app(scope, receive, send)
        session = scope.get("session", {})
        user = None
        sid = session.get("sid")
        if isinstance(sid, str):
            user = await scope["app"].state.store.users.session_user(sid, SESSION_MAX_AGE)
            if user is None:  # signed out elsewhere, expired, or the account was reset
                session.pop("sid", None)
        scope["user"] = user
        if scope["type"] == "http":
            scope["csrf_token"] = csrf_token(HTTPConnection(scope))
        else:
            scope["csrf_token"] = session.get("csrf", "")
        headers = dict(scope.get("headers") or [])
        activate(negotiate(headers.get(b"accept-language", b"").decode("latin-1")))
        await self.app(scope, receive, send)


class LazySession:
    """SessionMiddleware whose secret is read from the database when the app starts, so it is
    made once, kept with the data and never written in code or configuration."""

    def __init__(self, app: ASGIApp, box: dict[str, str], https_only: bool) -> None:
        self.app = app
        self.box = box
        self.https_only = https_only
        self._inner: SessionMiddleware | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return await self.app(scope, receive, send)
        if self._inner is None:
            self._inner = SessionMiddleware(
                self.app,
                secret_key=self.box["secret"],
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_MAX_AGE,
                same_site="lax",
                https_only=self.https_only,
            )
        await self._inner(scope, receive, send)
