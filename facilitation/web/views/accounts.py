"""The organisation's accounts (its organisers add and remove them) and the instance's
organisations (its administrators create them, each with a first organiser)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from facilitation.accounts.manage import Accounts
from facilitation.accounts.roles import ROLE_HINTS, ROLE_LABELS
from facilitation.core.errors import BadRequest, Conflict, NotFound
from facilitation.core.i18n import _
from facilitation.core.models import Role, User
from facilitation.web.auth import administrator, current_user, organiser
from facilitation.web.common import page, read_form, redirect

# What a refused form gives back as typed (never the password).
KEPT = ("username", "role", "workshop_id", "name")


def accounts(request: Request) -> Accounts:
    return request.app.state.accounts


def typed(form: dict[str, Any]) -> dict[str, str]:
    return {k: form[k] for k in KEPT if isinstance(form.get(k), str)}


async def accounts_page_response(
    request: Request,
    status: int = 200,
    error: str | None = None,
    form: dict | None = None,
    row_error: str | None = None,
) -> Response:
    store = request.app.state.store
    user = current_user(request)
    workshops = await store.workshops.workshops(user.organisation_id)
    return page(
        request,
        "pages/accounts.html",
        status=status,
        organisation=await store.organisations.organisation(user.organisation_id),
        accounts=await store.users.accounts(user.organisation_id),
        workshops=workshops,
        workshop_titles={w.id: w.title for w in workshops},
        roles=list(Role),
        role_labels=ROLE_LABELS,
        role_hints=ROLE_HINTS,
        error=error,
        row_error=row_error,
        typed=typed(form or {}),
    )


@organiser
async def accounts_page(request: Request) -> Response:
    return await accounts_page_response(request)


async def _account(request: Request) -> tuple[Accounts, User, User]:
    """The accounts use case, the signed-in organiser and the account the path names (NotFound
    for an account of another organisation)."""
    uc = accounts(request)
    user = current_user(request)
    return uc, user, await uc.account_in(user, request.path_params["user_id"])


@organiser
async def add_account(request: Request) -> Response:
    form = await read_form(request)
    try:
        added = await accounts(request).add(current_user(request), form)
    except (BadRequest, Conflict, NotFound) as exc:  # shown on the form; nothing is stored
        return await accounts_page_response(request, exc.status, exc.text(), form)
    return redirect(
        request,
        "/f/accounts",
        _(
            "Added {username} as {role}. Give them their password in person.",
            username=added.username,
            role=_(ROLE_LABELS[added.role]).lower(),
        ),
    )


@organiser
async def remove_account(request: Request) -> Response:
    await read_form(request)
    uc, user, account = await _account(request)
    await uc.remove(user, account)
    return redirect(
        request,
        "/f/accounts",
        _("Removed {username}: their sign-ins have ended.", username=account.username),
    )


@organiser
async def change_role(request: Request) -> Response:
    form = await read_form(request)
    uc, user, account = await _account(request)
    try:
        changed = await uc.change_role(user, account, form)
    except (BadRequest, NotFound) as exc:  # shown above the list; nothing is changed
        message = exc.text()
        return await accounts_page_response(request, exc.status, row_error=message)
    return redirect(
        request,
        "/f/accounts",
        _(
            "{username} is now {role}.",
            username=changed.username,
            role=_(ROLE_LABELS[changed.role]).lower(),
        ),
    )


@organiser
async def set_password(request: Request) -> Response:
    form = await read_form(request)
    uc, user, account = await _account(request)
    try:
        await uc.set_password(user, account, form)
    except BadRequest as exc:
        message = exc.text()
        return await accounts_page_response(request, exc.status, row_error=message)
    return redirect(
        request,
        "/f/accounts",
        _(
            "New password set for {username}; their sign-ins have ended. Give it to them in "
            "person.",
            username=account.username,
        ),
    )


async def organisations_page_response(
    request: Request, status: int = 200, error: str | None = None, form: dict | None = None
) -> Response:
    return page(
        request,
        "pages/organisations.html",
        status=status,
        organisations=await request.app.state.store.organisations.organisations(),
        error=error,
        typed=typed(form or {}),
    )


@administrator
async def organisations_page(request: Request) -> Response:
    return await organisations_page_response(request)


@administrator
async def create_organisation(request: Request) -> Response:
    form = await read_form(request)
    try:
        organisation, first = await accounts(request).create_organisation(form)
    except (BadRequest, Conflict) as exc:
        return await organisations_page_response(request, exc.status, exc.text(), form)
    return redirect(
        request,
        "/f/organisations",
        _(
            "Created “{name}” with {username} as its organiser. Give them their password in "
            "person; they add the organisation's other accounts.",
            name=organisation.name,
            username=first.username,
        ),
    )
