"""Middleware: the session cookie (its secret read from the database at start), who is asking,
which proxies are believed about the client's address and scheme, and the security headers."""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send
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


# A programme's public page ("you said, we did") is made to be shown anywhere, a landlord's or a
# residents' association's own website included; nothing else may be put in a frame.
EMBEDDABLE = re.compile(r"^/p/[^/]+$")
# A Host header that could only be a name or an address (and port), fit to go in the policy.
PLAIN_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def content_security_policy(scope: Scope) -> str:
    """Scripts and stylesheets from this server only, never inline; style attributes (the bars'
    widths) are allowed, <style> elements are not. The live sockets go to this same host."""
    host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
    secure = scope.get("scheme") in ("https", "wss")
    sockets = f" {'wss' if secure else 'ws'}://{host}" if PLAIN_HOST.match(host) else ""
    ancestors = "*" if EMBEDDABLE.match(scope["path"]) else "'none'"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "style-src-attr 'unsafe-inline'; img-src 'self'; font-src 'self'; "
        f"connect-src 'self'{sockets}; object-src 'none'; base-uri 'none'; "
        f"form-action 'self'; frame-ancestors {ancestors}"
    )


def security_headers(scope: Scope) -> dict[str, str]:
    """The headers every response carries (a response's own Cache-Control is kept)."""
    headers = {
        "Content-Security-Policy": content_security_policy(scope),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    if not EMBEDDABLE.match(scope["path"]):
        headers["X-Frame-Options"] = "DENY"
    if scope.get("scheme") == "https":
        headers["Strict-Transport-Security"] = "max-age=31536000"
    if not scope["path"].startswith("/static/"):
        # Pages hold names, tokens and results; downloads hold everything: never kept on disk
        # by a browser or a proxy. The static files have their own, long caching.
        headers["Cache-Control"] = "no-store"
    return headers


class SecurityHeaders:
    """Adds security_headers() to every HTTP response, keeping any a view set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = security_headers(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
