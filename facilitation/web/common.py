"""What every view needs: the checked form, the user, flashes, and htmx-or-redirect replies."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.convertors import IntegerConvertor
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from facilitation.core.csv_files import Problem
from facilitation.core.errors import BadRequest, Forbidden
from facilitation.core.i18n import _
from facilitation.core.models import Programme
from facilitation.programme.labels import LABELS
from facilitation.web.render import Renderer

MAX_FIELDS = 200


class RecordId(IntegerConvertor):
    """A record id in a path, at most 12 digits as read_id allows: a longer number is a plain 404,
    never an integer SQLite cannot hold or one int() refuses (past 4,300 digits)."""

    regex = "[0-9]{1,12}"


def csrf_token(conn: HTTPConnection) -> str:
    """The session's CSRF token, made on first use."""
    session = conn.scope.get("session")
    if session is None:
        return ""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


async def read_form(request: Request) -> dict[str, Any]:
    """Parse a POSTed form and check its CSRF token (field ``csrf`` or header X-CSRF-Token).

    Repeated fields become lists, so a checkbox group arrives as one list.
    """
    try:
        form: FormData = await request.form(max_files=0, max_fields=MAX_FIELDS)
    except HTTPException:
        raise  # the body size limit's 413, raised while the body is read, keeps its status
    except Exception as exc:  # multipart errors, too many fields, bad encodings
        raise BadRequest(
            "The form could not be read. Please reload the page and try again."
        ) from exc
    check_csrf(request, form)
    out: dict[str, Any] = {}
    for key in form:
        values = form.getlist(key)
        if any(not isinstance(v, str) for v in values):
            raise BadRequest("Files cannot be sent here.")
        out[key] = values if len(values) > 1 or key in ("options", "rank") else values[0]
    return out


def check_csrf(request: Request, form: FormData) -> None:
    """Refuse a form whose CSRF token (field ``csrf`` or header X-CSRF-Token) is not the
    session's."""
    sent = form.get("csrf") or request.headers.get("x-csrf-token") or ""
    expected = request.scope.get("session", {}).get("csrf")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise Forbidden(
            "This page had expired, so nothing was changed. Please reload the page and try again."
        )


async def read_upload(request: Request, field: str = "file") -> bytes:
    """The one file of a multipart form, after checking its CSRF token.

    The app's body size limit (max_body_bytes) bounds the file; a larger one gets its 413.
    """
    data, _fields = await read_upload_form(request, field)
    return data


async def read_upload_form(request: Request, field: str = "file") -> tuple[bytes, dict[str, str]]:
    """The one file of a multipart form and the form's text fields, after checking CSRF."""
    try:
        form: FormData = await request.form(max_files=1, max_fields=MAX_FIELDS)
    except HTTPException:
        raise
    except Exception as exc:
        raise BadRequest(
            "The form could not be read. Please reload the page and try again."
        ) from exc
    try:
        check_csrf(request, form)
        upload = form.get(field)
        if upload is None or isinstance(upload, str):
            raise BadRequest("Please choose a file to upload.")
        texts = {k: v for k, v in form.items() if isinstance(v, str)}
        return await upload.read(), texts
    finally:
        await form.close()


def client_gone(request: Request) -> Callable[[], Awaitable[object]]:
    """Something to await that returns once the client has closed its connection (read after the
    request's body: a page that makes a caller wait lets a departed one leave the line)."""

    async def gone() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    return gone


def flash(request: Request, message: str, kind: str = "info") -> None:
    """Keep a message to show on the next page."""
    # Assigned, not appended in place: the cookie is only rewritten when an item is set.
    request.session["flash"] = [*request.session.get("flash", []), (kind, message)]


def redirect(request: Request, to: str, message: str | None = None, kind: str = "info") -> Response:
    """After a form is taken, send the browser to ``to`` (post/redirect/get), with ``message``
    kept to show there."""
    if message:
        flash(request, message, kind)
    return RedirectResponse(to, status_code=303)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def reply(
    request: Request,
    fragment: str,
    context: dict[str, Any],
    redirect_to: str,
    message: str | None = None,
    kind: str = "info",
    extra: tuple[str, ...] = (),
) -> Response:
    """htmx gets the updated fragment (plus the flash, out of band); a plain form post is
    redirected, with the message kept for the next page (post/redirect/get)."""
    renderer: Renderer = request.app.state.renderer
    if not is_htmx(request):
        return redirect(request, redirect_to, message, kind)
    context = {**context, "csrf_token": csrf_token(request), "oob": False}
    parts = [renderer.fragment(fragment, **context)]
    parts.extend(renderer.fragment(name, **{**context, "oob": True}) for name in extra)
    flashes = [(kind, message)] if message else []
    parts.append(renderer.fragment("fragments/flash.html", flashes=flashes, oob=True))
    return HTMLResponse("".join(parts))


def page(request: Request, name: str, **context: Any) -> Response:
    return request.app.state.renderer.page(request, name, **{"labels": LABELS, **context})


SLUG_CHARS = 40


def file_slug(title: str, fallback: str) -> str:
    """A title as the start of a file name: lower-case ASCII words joined by hyphens, as many
    whole words as fit in SLUG_CHARS (a first word longer than that is kept whole: a name is
    never cut mid-word); ``fallback`` when no letter or digit is left."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", folded)
    slug = words[0] if words else fallback
    for word in words[1:]:
        if len(slug) + 1 + len(word) > SLUG_CHARS:
            break
        slug += "-" + word
    return slug


def attachment(body: str | bytes, name: str, media_type: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def download(body: str | bytes, programme: Programme, suffix: str, media_type: str) -> Response:
    return attachment(body, f"{file_slug(programme.title, 'programme')}-{suffix}", media_type)


def import_problems(request: Request, back: str, problems: Sequence[Problem]) -> Response:
    """Every problem with its line number; nothing was imported."""
    return page(
        request,
        "pages/import_problems.html",
        status=400,
        problems=[(p.line, _(p.message, **dict(p.params))) for p in problems],
        back=back,
    )
