"""A programme's downloads (workbook, CSV per table, JSON), its printable report and PDF, and the
CSV imports of needs and options."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from facilitation.core.csv_files import read_titles
from facilitation.core.i18n import ngettext
from facilitation.core.models import Programme, RoundStatus, Workshop
from facilitation.programme import exports as px
from facilitation.programme.labels import LABELS
from facilitation.web.auth import Endpoint, facilitator, plans, programme_view
from facilitation.web.common import download, flash, import_problems, read_upload
from facilitation.workshop import pictures

TABLES = px.TABLES
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def load(
    request: Request, programme: Programme, *, ballots_out: bool = False
) -> px.ProgrammeData:
    """Read everything the exports and the report show; with ``ballots_out`` the download
    carries single ballots, of every round whose results have not been split (and those rounds
    are never split afterwards: people.disclosure)."""
    store = request.app.state.store
    uc = request.app.state.rounds
    workshops = await store.plans.programme_workshops(programme.id)
    options = {}
    rounds = []
    languages, texts = {}, {}
    for w in workshops:
        options.update({o.id: o for o in await store.options.options(w.id)})
        languages[w.id] = await request.app.state.translating.languages(w.id)
        texts[w.id] = await request.app.state.translating.texts(w.id, languages[w.id])
        opened = [r for r in await store.rounds.rounds(w.id) if r.status is not RoundStatus.DRAFT]
        allowed = (
            await store.disclosures.release_ballots([r.id for r in opened])
            if ballots_out
            else set()
        )
        for r in opened:
            ballots = tuple(await store.ballots.ballots(r.id))
            ideas = tuple(await store.ideas.ideas(r.id))
            rounds.append(px.RoundRecord(w, r, await uc.result(r), ballots, ideas, r.id in allowed))
    joined = {w: j for w, j, _v in await store.plans.programme_turnout(programme.id)}
    return px.ProgrammeData(
        programme=programme,
        ranked=tuple(await plans(request).ranked_needs(programme)),
        actions=tuple(await store.plans.actions(programme.id)),
        workshops=tuple(workshops),
        joined=joined,
        options=options,
        rounds=tuple(rounds),
        today=plans(request).today(),
        secret=request.app.state.secret,
        languages=languages,
        texts=texts,
    )


@programme_view
async def workbook(request: Request, programme: Programme) -> Response:
    data = await load(request, programme, ballots_out=True)
    return download(await asyncio.to_thread(px.workbook, data), programme, "programme.xlsx", XLSX)


def table_csv(table: str) -> Endpoint:
    """The view that downloads one table as CSV (one route per table, so each is listed)."""

    @programme_view
    async def view(request: Request, programme: Programme) -> Response:
        data = await load(request, programme, ballots_out=table == "ballots")
        body = px.table_csv(data, table)
        return download(body, programme, f"{table}.csv", "text/csv; charset=utf-8")

    view.__name__ = f"{table}_csv"
    return view


@programme_view
async def programme_json(request: Request, programme: Programme) -> Response:
    body = px.programme_json(await load(request, programme, ballots_out=True))
    return download(body, programme, "programme.json", "application/json")


# -- the printable report ------------------------------------------------------------------------


async def report_html(request: Request, programme: Programme, pdf: bool = False) -> str:
    """The report's HTML; a page links its stylesheet, the PDF is given it (render_pdf)."""
    data = await load(request, programme)
    charts = []
    for rec, result in px.closed_rounds(data):
        bars = px.result_bars(rec.round, result, data.options)
        charts.append((rec, bars, px.chart_height(bars)))
    shown = {(b.option_id, b.picture) for _rec, bars, _h in charts for b in bars if b.picture}
    pictures = await _pictures(request, shown, pdf)
    by_need = {r.need.id: r.need for r in data.ranked}
    return request.app.state.renderer.fragment(
        "pages/programme_report.html",
        data=data,
        programme=programme,
        needs_by_id=by_need,
        charts=charts,
        bar_height=px.BAR_HEIGHT,
        line_height=px.LINE_HEIGHT,
        labels=LABELS,
        pdf=pdf,
        pictures=pictures,
        picture_size=px.PICTURE_SIZE,
    )


async def _pictures(request: Request, shown: set[tuple[int, str]], pdf: bool) -> dict[int, str]:
    """Each charted option's picture address: the page's own for the page, and for the PDF (which
    fetches nothing) a small copy written into the address itself."""
    if not pdf:
        return {option_id: f"/pictures/{option_id}/{version}" for option_id, version in shown}
    out = {}
    for option_id, version in sorted(shown):
        image, _media_type = await request.app.state.store.options.picture(option_id, version)
        small, media_type = await asyncio.to_thread(pictures.small_copy, image)
        out[option_id] = f"data:{media_type};base64,{base64.b64encode(small).decode('ascii')}"
    return out


@programme_view
async def report(request: Request, programme: Programme) -> Response:
    from starlette.responses import HTMLResponse

    return HTMLResponse(await report_html(request, programme))


def render_pdf(html: str, stylesheet: Path) -> bytes:
    """The report's HTML as PDF with its stylesheet (WeasyPrint; nothing is fetched from
    anywhere)."""
    from weasyprint import CSS, HTML, URLFetcher

    # Only data: addresses, which carry the options' pictures in themselves (_pictures); any
    # other address stops the rendering instead of being fetched.
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    css = CSS(filename=str(stylesheet), url_fetcher=fetcher)
    return HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[css])


@programme_view
async def report_pdf(request: Request, programme: Programme) -> Response:
    html = await report_html(request, programme, pdf=True)
    stylesheet = Path(request.app.state.settings.static_dir) / "report.css"
    body = await asyncio.to_thread(render_pdf, html, stylesheet)
    return download(body, programme, "report.pdf", "application/pdf")


# -- imports -------------------------------------------------------------------------------------


@programme_view
async def import_needs(request: Request, programme: Programme) -> Response:
    back = f"/f/programmes/{programme.id}/needs"
    rows, problems = read_titles(await read_upload(request))
    if problems:
        return import_problems(request, back, problems)
    n = await request.app.state.store.plans.add_needs(programme.id, rows)
    flash(request, ngettext("{n} need imported.", "{n} needs imported.", n))
    return RedirectResponse(back, status_code=303)


@facilitator
async def import_options(request: Request, workshop: Workshop) -> Response:
    back = f"/f/workshops/{workshop.id}"
    rows, problems = read_titles(await read_upload(request))
    if problems:
        return import_problems(request, back, problems)
    n = await request.app.state.workshops.import_options(workshop.id, rows)
    flash(request, ngettext("{n} option imported.", "{n} options imported.", n))
    return RedirectResponse(back, status_code=303)
