"""A lottery anyone can draw by hand: the chances rounded to numbered panels, the lottery file
and its commitment published first, and the panel a later public value picks."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from facilitation.core.errors import BadRequest
from facilitation.core.i18n import _
from facilitation.core.models import Programme
from facilitation.panel import setup as panel_setup
from facilitation.panel.pools import NUMBERED, Lotteries
from facilitation.panel.setup import SetupError
from facilitation.web.auth import programme_view
from facilitation.web.common import download, flash, page, read_form


def lotteries(request: Request) -> Lotteries:
    uc: Lotteries = request.app.state.lotteries
    return uc


def base(programme: Programme) -> str:
    return f"/f/programmes/{programme.id}/panels"


@programme_view
async def commit(request: Request, programme: Programme) -> Response:
    uc = lotteries(request)
    pool = await uc.pool_in(programme, request.path_params["pool_id"])
    form = await read_form(request)
    data = await uc.data(pool)
    try:
        setup = panel_setup.read_setup(form, data.questions, len(data.volunteers))
    except SetupError as exc:
        raise BadRequest(exc.message, **exc.params) from None
    m = form.get("m")
    number = int(m) if isinstance(m, str) and m.isdigit() else 0
    found = await uc.commit(data, setup, number)
    flash(request, _("The lottery is fixed. Publish its commitment before the public value."))
    return RedirectResponse(f"{base(programme)}/{pool.id}/commitments/{found}", status_code=303)


@programme_view
async def commitment_page(request: Request, programme: Programme) -> Response:
    uc = lotteries(request)
    pool = await uc.pool_in(programme, request.path_params["pool_id"])
    found = await uc.committed(pool, request.path_params["commitment_id"])
    return page(
        request,
        "pages/panel_commitment.html",
        programme=programme,
        base=base(programme),
        pool=pool,
        commitment=found,
        numbered=NUMBERED,
    )


@programme_view
async def lottery_file(request: Request, programme: Programme) -> Response:
    uc = lotteries(request)
    pool = await uc.pool_in(programme, request.path_params["pool_id"])
    found = await uc.committed(pool, request.path_params["commitment_id"])
    return download(found.file, programme, f"lottery-{found.id}.json", "application/json")


@programme_view
async def draw(request: Request, programme: Programme) -> Response:
    uc = lotteries(request)
    pool = await uc.pool_in(programme, request.path_params["pool_id"])
    found = await uc.committed(pool, request.path_params["commitment_id"])
    form = await read_form(request)
    panel = await uc.draw_committed(await uc.data(pool), found, form.get("value"))
    number = panel.result["numbered"]["number"]
    flash(request, _("The public value picks panel {n} of {m}.", n=number, m=found.m))
    return RedirectResponse(f"{base(programme)}/{pool.id}/draws/{panel.id}", status_code=303)
