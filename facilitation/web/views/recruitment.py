"""Recruitment pages: invitations drawn from an address list, the registration page the
invited open from their letter, and each drawn member confirmed, withdrawn or replaced."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from facilitation.core.errors import BadRequest, Conflict
from facilitation.core.i18n import _
from facilitation.core.models import Programme
from facilitation.panel.pools import Lotteries
from facilitation.panel.recruitment import Recruiting
from facilitation.people.rules import PREFER_NOT_TO_SAY
from facilitation.web.auth import contacts_view, programme_view
from facilitation.web.common import flash, page, read_form


def recruiting(request: Request) -> Recruiting:
    uc: Recruiting = request.app.state.recruiting
    return uc


def lotteries(request: Request) -> Lotteries:
    uc: Lotteries = request.app.state.lotteries
    return uc


def base(programme: Programme) -> str:
    return f"/f/programmes/{programme.id}/panels"


@contacts_view
async def invite(request: Request, programme: Programme) -> Response:
    form = await read_form(request)
    pool = await recruiting(request).invite(
        programme, form.get("title"), form.get("addresses"), form.get("count"), form.get("seed")
    )
    flash(request, _("The invitations are drawn. Send each address its registration link."))
    return RedirectResponse(f"{base(programme)}/{pool.id}/invitations", status_code=303)


@contacts_view
async def invitations_page(request: Request, programme: Programme) -> Response:
    pool = await lotteries(request).pool_in(programme, request.path_params["pool_id"])
    invited = await recruiting(request).invited(pool)
    root = str(request.base_url).rstrip("/")
    return page(
        request,
        "pages/panel_invitations.html",
        programme=programme,
        base=base(programme),
        pool=pool,
        invited=invited,
        link=lambda token: f"{root}/r/{token}",
    )


async def register_page(request: Request) -> Response:
    invitation, _pool, questions = await recruiting(request).invitation(
        request.path_params["token"]
    )
    return page(
        request,
        "pages/register.html",
        invitation=invitation,
        questions=questions,
        prefer_not=PREFER_NOT_TO_SAY,
        done=invitation.volunteer_id is not None,
        form={},
        error="",
    )


async def register(request: Request) -> Response:
    token = request.path_params["token"]
    form = await read_form(request)
    uc = recruiting(request)
    try:
        await uc.register(token, form)
    except (BadRequest, Conflict) as exc:
        invitation, _pool, questions = await uc.invitation(token)
        return page(
            request,
            "pages/register.html",
            status=exc.status,
            invitation=invitation,
            questions=questions,
            prefer_not=PREFER_NOT_TO_SAY,
            done=invitation.volunteer_id is not None,
            form=form,
            error=exc.text(),
        )
    return RedirectResponse(f"/r/{token}", status_code=303)


@programme_view
async def panel_step(request: Request, programme: Programme) -> Response:
    """Confirm a member, record a withdrawal with its reason, or seat the proposed alternate."""
    lots = lotteries(request)
    pool = await lots.pool_in(programme, request.path_params["pool_id"])
    panel = await lots.drawn(pool, request.path_params["panel_id"])
    form = await read_form(request)
    uc = recruiting(request)
    action = form.get("action")
    volunteer = form.get("volunteer")
    if action == "confirm":
        await uc.confirm(panel, volunteer)
        flash(request, _("Member {n} is confirmed.", n=volunteer))
    elif action == "withdraw":
        await uc.withdraw(panel, volunteer, form.get("reason"))
        flash(request, _("Member {n} has withdrawn; the seat is empty.", n=volunteer))
    elif action == "seat":
        data = await lots.data(pool)
        await uc.seat(panel, data.volunteers, data.questions, volunteer)
        flash(request, _("Alternate {n} takes the empty seat.", n=volunteer))
    else:
        raise BadRequest("The form could not be read. Please reload the page and try again.")
    return RedirectResponse(f"{base(programme)}/{pool.id}/draws/{panel.id}#members-h", 303)
