"""Middleware: the session cookie (its secret read from the database at start), who is asking,
and which proxies are believed about the client's address and scheme."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from facilitation.core.i18n import activate, available, choose
from facilitation.web.common import csrf_token

SESSION_COOKIE = "facilitation"


# A month: a phone keeps its place from one workshop evening to the next.
SESSION_MAX_AGE = 30 * 24 * 3600


# The session key holding the language this device chose (see web.language).
DEVICE_LANGUAGE = "lang"


class Identity:
    """Puts the signed-in facilitator (or None), the CSRF token and the locale on every request.

    The locale is the facilitator's own choice when one is signed in and has made it, else
    this device's choice, else the browser's among every shipped language; a phone's pages then
    narrow it to their workshop's languages (web.phone)."""

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
        accept = headers.get(b"accept-language", b"").decode("latin-1")
        chosen = session.get(DEVICE_LANGUAGE)
        if user is not None:
            own = await scope["app"].state.translating.user_language(user)
            chosen = own or chosen
        activate(choose(chosen, accept, available(), "en"))
        await self.app(scope, receive, send)


class LazySession:
    """SessionMiddleware whose secret is read from the database when the app starts, so it is
    made once, kept with the data and never written in code or configuration.

    Its cookie is Secure whenever the request came over HTTPS (directly or through a trusted
    proxy), and always with ``https_only``: one inner middleware for each, same secret."""

    def __init__(self, app: ASGIApp, box: dict[str, str], https_only: bool) -> None:
        self.app = app
        self.box = box
        self.https_only = https_only
        self._inner: dict[bool, SessionMiddleware] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return await self.app(scope, receive, send)
        secure = self.https_only or scope.get("scheme") in ("https", "wss")
        if secure not in self._inner:
            self._inner[secure] = SessionMiddleware(
                self.app,
                secret_key=self.box["secret"],
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_MAX_AGE,
                same_site="lax",
                https_only=secure,
            )
        await self._inner[secure](scope, receive, send)


def proxy_headers(trusted: str) -> list[Middleware]:
    """Believe X-Forwarded-For and X-Forwarded-Proto from these proxies only, and none by default,
    so that rate limits count the real client and cookies know the request came over HTTPS."""
    if not trusted.strip():
        return []
    return [Middleware(ProxyHeadersMiddleware, trusted_hosts=trusted)]
