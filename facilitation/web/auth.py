"""Who may see what: the facilitator-only decorator and the loaders that find a view's record."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response

from facilitation.core.errors import Forbidden
from facilitation.core.i18n import _
from facilitation.core.models import Programme, User, Workshop
from facilitation.programme.plans import Plans
from facilitation.web.common import flash


def current_user(request: HTTPConnection) -> User:
    """The signed-in facilitator, or Forbidden."""
    user = request.scope.get("user")
    if user is None:
        raise Forbidden("Please sign in as a facilitator first.")
    return user


def login_redirect(request: Request) -> RedirectResponse:
    flash(request, _("Please sign in as a facilitator first."), "error")
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


Record = TypeVar("Record")
Endpoint = Callable[[Request], Awaitable[Response]]


@overload
def facilitator_only(load: None = None) -> Callable[[Endpoint], Endpoint]: ...


@overload
def facilitator_only(
    load: Callable[[Request], Awaitable[Record]],
) -> Callable[[Callable[[Request, Record], Awaitable[Response]]], Endpoint]: ...


def facilitator_only(
    load: Callable[[Request], Awaitable[Any]] | None = None,
) -> Callable[[Callable[..., Awaitable[Response]]], Endpoint]:
    """A view decorator: refuse anonymous users (GET: to the sign-in page; else 403), then call
    the view, with whatever ``load`` finds for the request (a workshop, a programme) if given."""

    def decorate(view: Callable[..., Awaitable[Response]]) -> Endpoint:
        @functools.wraps(view)
        async def wrapped(request: Request) -> Response:
            if request.scope.get("user") is None:
                if request.method == "GET":
                    return login_redirect(request)
                raise Forbidden("Please sign in as a facilitator first.")
            if load is None:
                return await view(request)
            return await view(request, await load(request))

        return wrapped

    return decorate


async def _workshop(request: Request) -> Workshop:
    return await request.app.state.store.workshops.workshop(request.path_params["workshop_id"])


# Only for a signed-in facilitator; the first also loads the workshop named in the path.
facilitator = facilitator_only(_workshop)


signed_in = facilitator_only()


def plans(request: Request) -> Plans:
    return request.app.state.plans


async def _programme(request: Request) -> Programme:
    return await plans(request).programme(request.path_params["programme_id"])


# Only for a signed-in facilitator; loads the programme named in the path.
programme_view = facilitator_only(_programme)
