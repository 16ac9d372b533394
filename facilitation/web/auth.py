"""Who may see what: the view decorators that check an account's organisation and role, and
the loaders that find a view's record.

Every facilitator page goes through ``access``: anonymous visitors are sent to sign in; a
workshop or programme of another organisation is not found (404, so not even its existence
leaks); a role that may not act is refused with a clear message (403).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response

from facilitation.accounts.roles import REFUSED, Power, may
from facilitation.core.errors import Forbidden, NotFound
from facilitation.core.i18n import N_, _
from facilitation.core.models import Programme, User, Workshop
from facilitation.programme.plans import Plans
from facilitation.web.common import flash

SIGN_IN = N_("Please sign in as a facilitator first.")


def current_user(request: HTTPConnection) -> User:
    """The signed-in account, or Forbidden."""
    user = request.scope.get("user")
    if user is None:
        raise Forbidden(SIGN_IN)
    return user


def login_redirect(request: Request) -> RedirectResponse:
    flash(request, _(SIGN_IN), "error")
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


def require(user: User, power: Power, workshop_id: int | None = None) -> None:
    """Forbidden, with the reason, unless the account may do this."""
    if not may(user, power, workshop_id):
        raise Forbidden(REFUSED[power])


Record = TypeVar("Record")
Endpoint = Callable[[Request], Awaitable[Response]]
Loader = Callable[[Request, User], Awaitable[Any]]


@overload
def access(power: Power | None, load: None = None) -> Callable[[Endpoint], Endpoint]: ...


@overload
def access(
    power: Power | None,
    load: Callable[[Request, User], Awaitable[Record]],
) -> Callable[[Callable[[Request, Record], Awaitable[Response]]], Endpoint]: ...


def access(
    power: Power | None, load: Loader | None = None
) -> Callable[[Callable[..., Awaitable[Response]]], Endpoint]:
    """A view decorator: refuse anonymous users (GET: to the sign-in page; else 403), find the
    record ``load`` names (in the account's organisation only), then refuse an account without
    ``power`` (None: any signed-in account), and call the view, with the record if loaded."""

    def decorate(view: Callable[..., Awaitable[Response]]) -> Endpoint:
        @functools.wraps(view)
        async def wrapped(request: Request) -> Response:
            user = request.scope.get("user")
            if user is None:
                if request.method == "GET":
                    return login_redirect(request)
                raise Forbidden(SIGN_IN)
            if load is None:
                if power is not None:
                    require(user, power)
                return await view(request)
            record = await load(request, user)
            if power is not None:
                require(user, power, record.id if isinstance(record, Workshop) else None)
            return await view(request, record)

        return wrapped

    return decorate


def ours(user: User, organisation_id: int | None, what: str) -> None:
    """NotFound unless the record is the account's organisation's."""
    if organisation_id != user.organisation_id:
        raise NotFound(what)


async def workshop_of(request: HTTPConnection, user: User) -> Workshop:
    """The workshop named in the path, if it is the account's organisation's."""
    workshop: Workshop = await request.app.state.store.workshops.workshop(
        request.path_params["workshop_id"]
    )
    ours(user, workshop.organisation_id, "workshop")
    return workshop


def plans(request: Request) -> Plans:
    return request.app.state.plans


async def programme_of(request: Request, user: User) -> Programme:
    """The programme named in the path, if it is the account's organisation's."""
    programme = await plans(request).programme(request.path_params["programme_id"])
    ours(user, programme.organisation_id, "programme")
    return programme


# Run a workshop (organisers and facilitators); loads the workshop named in the path.
facilitator = access(Power.RUN, workshop_of)
# The idea desk and paper ballots: also the workshop's own moderator.
desk = access(Power.DESK, workshop_of)
# Any signed-in account (each page shows only what the role may see).
signed_in = access(None)
# Organisers and facilitators, with nothing loaded (lists, and creating things).
runs = access(Power.RUN)
# A programme's pages (organisers and facilitators); loads the programme named in the path.
programme_view = access(Power.RUN, programme_of)
# A programme's volunteers' contact details: organisers only.
contacts_view = access(Power.CONTACTS, programme_of)
# The organisation's accounts: organisers only.
organiser = access(Power.ACCOUNTS)
# New organisations: the instance's administrators only.
administrator = access(Power.ORGANISATIONS)


async def socket_workshop(websocket: HTTPConnection, power: Power) -> Workshop | None:
    """The workshop a live screen's socket is for, if its account may watch it with ``power``;
    None (refuse the handshake) for anyone else, another organisation's account included."""
    user = websocket.scope.get("user")
    if user is None:
        return None
    try:
        workshop = await workshop_of(websocket, user)
    except NotFound:
        return None
    return workshop if may(user, power, workshop.id) else None
