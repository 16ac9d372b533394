"""The one place that turns errors into responses: a page, or the flash fragment for htmx."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from facilitation.core.errors import NOT_FOUND, FacilitationError, TooLarge
from facilitation.core.i18n import N_
from facilitation.web.middleware import security_headers
from facilitation.web.render import render_error


async def error_response(request: Request, exc: Exception) -> Response:
    """Render any error as a page, or as the flash fragment when htmx asked for a fragment."""
    if isinstance(exc, FacilitationError):
        return render_error(request, exc.status, exc.message, exc.params)
    if isinstance(exc, HTTPException):
        messages = {
            404: NOT_FOUND["page"],
            405: N_("That address does not take this kind of request."),
            413: TooLarge.default,
        }
        message = messages.get(exc.status_code, N_("Something went wrong with that request."))
        return render_error(request, exc.status_code, message, {})
    response = render_error(
        request, 500, N_("Something went wrong on our side. Please try again."), {}
    )
    # A failure is answered outside the middleware that adds these to every other response.
    for name, value in security_headers(request.scope).items():
        response.headers.setdefault(name, value)
    return response
