"""Jinja environment, page and fragment rendering, and the context builders shared by page renders
and live pushes, so that a pushed fragment can never differ from the same region after a reload."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse

from facilitation import kinds
from facilitation.accounts.roles import Power, may
from facilitation.core.i18n import _, ngettext
from facilitation.core.models import (
    IdeaStatus,
    LimitKind,
    RoundStatus,
    Scope,
)
from facilitation.kinds.base import ROUNDING_RULE, TIE_RULE, rounded
from facilitation.people.groups import MIN_SIZE
from facilitation.version import __version__
from facilitation.workshop.scope import LIMIT_LABELS, SCOPE_LABELS


@lru_cache(maxsize=256)
def qr_svg(url: str) -> Markup:
    """An inline SVG QR code for a URL, made on the server (no script, prints crisply)."""
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=1, border=2, dark="#000", light="#fff", omitsize=True)
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR code" ', 1))


class Renderer:
    """Renders templates from one folder with autoescaping always on."""

    def __init__(
        self,
        templates_dir: str,
        *,
        currency: str = "£",
        static_url: Callable[[str], str] = lambda path: f"/static/{path}",
    ) -> None:
        self.env = Environment(
            loader=FileSystemLoader(templates_dir),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(
            _=_,
            ngettext=ngettext,
            static=static_url,
            version=__version__,
            RoundStatus=RoundStatus,
            currency=currency,
            kinds=kinds,
            TIE_RULE=TIE_RULE,
            ROUNDING_RULE=ROUNDING_RULE,
            IdeaStatus=IdeaStatus,
            Scope=Scope,
            LimitKind=LimitKind,
            SCOPE_LABELS=SCOPE_LABELS,
            LIMIT_LABELS=LIMIT_LABELS,
            # What the signed-in account may do: the top bar offers only what it may open.
            may=may,
            Power=Power,
            SPLIT_MIN=MIN_SIZE,
            # A fresh id per rendered ballot form, so a form posted twice without JS counts once.
            new_client_id=lambda: secrets.token_hex(12),
        )
        self.env.filters["qr"] = qr_svg
        self.env.filters["clock"] = lambda ts: time.strftime("%H:%M", time.localtime(ts))
        self.env.filters["number"] = _number
        # An exact mean (a Fraction) rounded once, by kinds.base.ROUNDING_RULE.
        self.env.filters["mean"] = rounded
        # Whole amounts with thousands separators: "£12,500". Costs are estimates, never pence.
        self.env.filters["money"] = lambda amount: f"{currency}{int(amount or 0):,}"
        self.env.filters["day"] = lambda ts: time.strftime("%Y-%m-%d", time.localtime(ts))

    def fragment(self, name: str, **context: Any) -> str:
        """Render one fragment (or any template) to a string."""
        return self.env.get_template(name).render(**context)

    def page(
        self, request: HTTPConnection, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """Render a full page with what every page needs: user, CSRF token, flash, locale."""
        session = request.scope.get("session", {})
        flashes = session.pop("flash", []) if "session" in request.scope else []
        context.setdefault("flashes", flashes)
        context.setdefault("user", request.scope.get("user"))
        context.setdefault("csrf_token", request.scope.get("csrf_token", ""))
        context.setdefault("request_path", request.url.path)
        # The phone's "Larger text" switch (static/reading.js), remembered in a cookie.
        context.setdefault("large_text", request.cookies.get("text_size") == "large")
        html = self.fragment(name, **context)
        return HTMLResponse(html, status_code=status)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def render_error(
    request: Request, status: int, message: str, params: Mapping[str, Any]
) -> HTMLResponse:
    """An error as the flash fragment for htmx, or as a whole page otherwise."""
    renderer: Renderer = request.app.state.renderer
    text = _(message, **params)
    if request.headers.get("HX-Request"):
        html = renderer.fragment("fragments/flash.html", flashes=[("error", text)])
        # htmx ignores error responses unless told where to put them: retarget to the flash area.
        return HTMLResponse(
            html, status_code=status, headers={"HX-Retarget": "#flash", "HX-Reswap": "outerHTML"}
        )
    return renderer.page(
        request, "errors/error.html", status=status, status_code=status, message=text
    )
