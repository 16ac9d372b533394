"""The panel lottery pages: pools of volunteers, each volunteer's chance under the quotas, and
panels drawn with a published seed, with their downloads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from facilitation.accounts.roles import Power, may
from facilitation.core.errors import BadRequest
from facilitation.core.i18n import _, ngettext
from facilitation.core.models import Programme
from facilitation.panel import setup as panel_setup
from facilitation.panel.lottery import HIGH_CHANCE, gini
from facilitation.panel.pools import Lotteries, Outcome, PoolData, by_number, seed_text
from facilitation.panel.setup import Key, Setup, SetupError
from facilitation.panel.workers import job_id, new_job_id
from facilitation.people.rules import PREFER_NOT_TO_SAY, Panel, ProfileQuestion, Volunteer
from facilitation.web import withdrawals
from facilitation.web.auth import contacts_view, current_user, programme_view
from facilitation.web.common import (
    download,
    flash,
    import_problems,
    page,
    read_form,
    read_upload_form,
)
from facilitation.workshop.exports import to_csv

DEFAULT_SEATS = 20
DEFAULT_RESERVES = 5


def lotteries(request: Request) -> Lotteries:
    return request.app.state.lotteries


def base(programme: Programme) -> str:
    return f"/f/programmes/{programme.id}/panels"


def shown(label: str) -> str:
    """An answer's label on screen: "prefer not to say" in the reader's language."""
    return _(label) if label == PREFER_NOT_TO_SAY else label


def translated(message: str, params: Mapping[str, Any]) -> str:
    return _(message, **{k: shown(v) if isinstance(v, str) else v for k, v in params.items()})


def sees_contacts(request: Request) -> bool:
    """Whether the account may see volunteers' names and contact details (organisers)."""
    return may(current_user(request), Power.CONTACTS)


def as_shown(volunteer: Volunteer, contacts: bool) -> Volunteer:
    """The volunteer as this account may see them: without name, email, phone and household
    (an address, often) unless it may see contact details, so no page can show what it may not."""
    if contacts:
        return volunteer
    return replace(volunteer, name="", email="", phone="", household="")


def said(item: Any) -> str:
    """A lottery message in the reader's language, in the plural form its count calls for."""
    if item.forms is None:
        return translated(item.message, item.params)
    params = {k: shown(v) if isinstance(v, str) else v for k, v in item.params.items()}
    singular, plural = item.forms
    return ngettext(singular, plural, item.count, **params)


def answers_text(volunteer: Volunteer, questions: Sequence[ProfileQuestion]) -> list[str]:
    """A volunteer's answers in question order; a blank answer is a dash."""
    out = []
    for q in questions:
        if q.id not in volunteer.answers:
            out.append("–")
        elif volunteer.answers[q.id] is None:
            out.append(_(PREFER_NOT_TO_SAY))
        else:
            choice = q.choice(volunteer.answers[q.id])
            out.append(choice.label if choice else "–")
    return out


@dataclass(frozen=True, slots=True)
class GroupRow:
    """One answer in the comparison of the lottery with the pool and the place."""

    label: str
    in_pool: int
    pool_share: float
    place_share: float | None
    quota: tuple[int, int] | None
    expected: float  # seats, on average over the lottery
    average: float  # average chance of a seat


def group_rows(
    data: PoolData, setup: Setup, averages: Mapping[Key, tuple[int, float]]
) -> list[tuple[ProfileQuestion, list[GroupRow]]]:
    """Per question, each answer's average chance and expected seats beside the place."""
    quotas = {key: (low, high) for key, low, high in setup.quotas()}
    total = max(len(data.volunteers), 1)
    out = []
    for rows in panel_setup.rows(data.questions, data.volunteers, data.makeup, setup):
        table = []
        for a in rows.answers:
            n, average = averages.get(a.key, (a.count, 0.0))
            table.append(
                GroupRow(
                    shown(a.label),
                    a.count,
                    100.0 * a.count / total,
                    a.place_share,
                    quotas.get(a.key),
                    average * n,
                    average,
                )
            )
        out.append((rows.question, table))
    return out


def outcome_context(data: PoolData, outcome: Outcome, contacts: bool) -> dict[str, Any]:
    """What the page shows of a worked-out lottery, or of why there is none."""
    setup = outcome.setup
    if outcome.infeasible is not None:
        infeasible = outcome.infeasible
        fixed = (
            panel_setup.relaxed(setup, infeasible.relaxations, outcome.by_label)
            if infeasible.relaxations
            else None
        )
        warning = infeasible.warning
        return {
            "conflicts": [said(c) for c in infeasible.conflicts],
            "relaxations": [translated(r.message, r.params) for r in infeasible.relaxations],
            "relaxed_query": fixed.query() if fixed else "",
            "left_out": said(warning) if warning else "",
        }
    context = chance_context(data, outcome.chances(), outcome.averages(), setup, contacts)
    return {"lottery": outcome.lottery, **context}


def chance_context(
    data: PoolData,
    chances: Sequence[float],
    averages: Mapping[Key, tuple[int, float]],
    setup: Setup,
    contacts: bool,
) -> dict[str, Any]:
    """Everyone's chance, highest first, with the summary figures and the group comparison."""
    people = sorted(
        (
            (n, as_shown(v, contacts), chances[n - 1], answers_text(v, data.questions))
            for n, v in by_number(data.volunteers).items()
        ),
        key=lambda row: (-round(row[2], 9), row[0]),
    )
    return {
        "people": people,
        "smallest": min(chances, default=0.0),
        "largest": max(chances, default=0.0),
        "gini": gini(chances),
        "flagged": sum(1 for c in chances if c >= HIGH_CHANCE),
        "groups": group_rows(data, setup, averages),
    }


def pool_context(programme: Programme, data: PoolData, contacts: bool) -> dict[str, Any]:
    return {
        "contacts": contacts,
        "programme": programme,
        "pool": data.pool,
        "questions": data.questions,
        "households": panel_setup.households(data.volunteers),
        "draws": data.panels,
        "high": HIGH_CHANCE,
        "base": base(programme),
    }


# -- the list of pools ----------------------------------------------------------------------------


@programme_view
async def panels_page(request: Request, programme: Programme) -> Response:
    store = request.app.state.store
    pools = await store.pools.pools(programme.id)
    draws = {pool.id: await store.pools.panels(pool.id) for pool in pools}
    questions = await store.profiles.profile_questions(programme.id)
    return page(
        request,
        "pages/panels.html",
        programme=programme,
        pools=pools,
        draws=draws,
        questions=questions,
        base=base(programme),
        contacts=sees_contacts(request),
        high=HIGH_CHANCE,
    )


@programme_view
async def pool_template(request: Request, programme: Programme) -> Response:
    """An empty pool file with the columns the import reads, one per profile question."""
    questions = await request.app.state.store.profiles.profile_questions(programme.id)
    header = ["name", "email", "phone", "household"] + [q.label for q in questions]
    return download(to_csv(header, []), programme, "volunteers.csv", "text/csv; charset=utf-8")


@contacts_view
async def import_pool(request: Request, programme: Programme) -> Response:
    data, fields = await read_upload_form(request)
    pool, problems = await lotteries(request).import_pool(programme, fields.get("title"), data)
    if problems:
        return import_problems(request, base(programme), problems)
    assert pool is not None
    flash(
        request,
        ngettext(
            "Imported {n} volunteer into “{title}”.",
            "Imported {n} volunteers into “{title}”.",
            pool.volunteers,
            title=pool.title,
        ),
    )
    return RedirectResponse(f"{base(programme)}/{pool.id}", status_code=303)


# -- one pool: quotas, chances, draws -------------------------------------------------------------


def default_setup(data: PoolData) -> Setup:
    size = len(data.volunteers)
    seats = min(DEFAULT_SEATS, size)
    return Setup(seats, min(DEFAULT_RESERVES, size - seats), False, {})


@programme_view
async def pool_page(request: Request, programme: Programme) -> Response:
    uc = lotteries(request)
    pool = await uc.pool_in(programme, request.path_params["pool_id"])
    data = await uc.data(pool)
    query = request.query_params
    context: dict[str, Any] = {
        **pool_context(programme, data, sees_contacts(request)),
        "error": None,
        "worked_out": False,
        "lottery": None,
        "error_field": "",
    }
    setup, status = default_setup(data), 200
    if "seats" in query:
        try:
            setup = panel_setup.read_setup(query, data.questions, len(data.volunteers))
        except SetupError as exc:
            context["error"] = translated(exc.message, exc.params)
            context["error_field"] = exc.field
            status = 400
        else:
            if query.get("suggest"):
                suggested = panel_setup.suggest(
                    data.questions,
                    data.makeup,
                    setup.seats,
                    setup.reserves,
                    setup.one_per_household,
                )
                setup = replace(suggested, usual=setup.usual, rates=setup.rates)
            outcome = await uc.work_out(data, setup, job_id(query.get("job")))
            context.update(outcome_context(data, outcome, sees_contacts(request)))
            context["worked_out"] = True
    context["setup"] = setup
    # This page's own lottery: its progress and its Stop are apart from another page's.
    context["job"] = new_job_id()
    context["time_limit"] = uc.time_limit
    context["fields"] = panel_setup.fields(setup)
    context["rows"] = panel_setup.rows(data.questions, data.volunteers, data.makeup, setup)
    past = await uc.past(programme.id)
    context["past"] = past
    context.update(withdrawals.form_context(data.questions, context["rows"], setup, past.model))
    if context["error"]:
        # The form shows what was typed, so that the mistake can be seen and put right.
        context["fields"] = {**context["fields"], **_typed(query)}
        context["rates_open"] = context["rates_open"] or context["error_field"] != ""
    context["has_makeup"] = any(data.makeup.get(q.id) for q in data.questions)
    context["field_name"] = panel_setup.field_name
    context["shown"] = shown
    return page(request, "pages/panel_pool.html", status=status, **context)


def _typed(form: Mapping[str, Any]) -> dict[str, str]:
    """The form's boxes as typed, each cut short: a refused form is shown back as it was sent."""
    return {k: str(v)[:40] for k, v in form.items() if k != "suggest"}


@programme_view
async def draw_panel(request: Request, programme: Programme) -> Response:
    uc = lotteries(request)
    pool = await uc.pool_in(programme, request.path_params["pool_id"])
    form = await read_form(request)
    data = await uc.data(pool)
    try:
        setup = panel_setup.read_setup(form, data.questions, len(data.volunteers))
    except SetupError as exc:
        raise BadRequest(exc.message, **exc.params) from None
    seed = seed_text(form.get("seed"))
    panel = await uc.draw(data, setup, seed)
    flash(request, _("The panel is drawn with the seed “{seed}”.", seed=seed))
    return RedirectResponse(f"{base(programme)}/{pool.id}/draws/{panel.id}", status_code=303)


@programme_view
async def lottery_progress(request: Request, programme: Programme) -> Response:
    """Where the page's lottery stands while it is worked out, for the page to show."""
    uc = lotteries(request)
    pool = await uc.pool_in(programme, request.path_params["pool_id"])
    job = job_id(request.query_params.get("job"))
    status = None if job is None else uc.progress(pool, job)
    return JSONResponse({"running": status is not None, **(status or {})})


@programme_view
async def cancel_lottery(request: Request, programme: Programme) -> Response:
    """Stop the page's own lottery at once; the answer says whether it was being worked out."""
    uc = lotteries(request)
    pool = await uc.pool_in(programme, request.path_params["pool_id"])
    form = await read_form(request)
    job = job_id(form.get("job"))
    stopped = job is not None and uc.cancel(pool, job)
    if stopped:
        flash(request, _("The lottery was cancelled."))  # shown when the page comes back
    return JSONResponse({"stopped": stopped})


@contacts_view
async def delete_pool(request: Request, programme: Programme) -> Response:
    uc = lotteries(request)
    pool = await uc.pool_in(programme, request.path_params["pool_id"])
    form = await read_form(request)
    if form.get("confirm") != "yes":
        raise BadRequest("Please tick the box to confirm that the pool should be deleted.")
    await request.app.state.store.pools.delete_pool(pool.id)
    flash(
        request,
        _(
            "Deleted “{title}”: its volunteers' contact details and its draws are gone.",
            title=pool.title,
        ),
    )
    return RedirectResponse(base(programme), status_code=303)


# -- one draw --------------------------------------------------------------------------------------


async def load_draw(request: Request, programme: Programme) -> tuple[PoolData, Panel]:
    uc = lotteries(request)
    pool = await uc.pool_in(programme, request.path_params["pool_id"])
    panel = await uc.drawn(pool, request.path_params["panel_id"])
    return await uc.data(pool), panel


def stored_setup(panel: Panel) -> Setup:
    return panel_setup.stored(panel)


def composition(
    data: PoolData, members: Sequence[int], setup: Setup
) -> list[tuple[ProfileQuestion, list[tuple[str, int, tuple[int, int] | None, float | None]]]]:
    """Per question, how many of the drawn panel gave each answer, beside quota and place."""
    chosen = [data.volunteers[n - 1] for n in members]
    quotas = {key: (low, high) for key, low, high in setup.quotas()}
    out = []
    for rows in panel_setup.rows(data.questions, chosen, data.makeup, setup):
        table = [(shown(a.label), a.count, quotas.get(a.key), a.place_share) for a in rows.answers]
        out.append((rows.question, table))
    return out


@programme_view
async def draw_page(request: Request, programme: Programme) -> Response:
    data, panel = await load_draw(request, programme)
    setup = stored_setup(panel)
    result = panel.result
    numbered = by_number(data.volunteers)
    chances = result["chances"]
    contacts = sees_contacts(request)

    def person(n: int) -> tuple[int, Volunteer, float, list[str]]:
        shown_one = as_shown(numbered[n], contacts)
        return (n, shown_one, chances[n - 1], answers_text(numbered[n], data.questions))

    averages = {tuple(g["key"]): (g["volunteers"], g["average"]) for g in result["groups"]}
    order = [p.id for p in sorted(data.panels, key=lambda p: (p.created_at, p.id))]
    recruiting = request.app.state.recruiting
    now = await recruiting.standing(panel)
    proposal = await recruiting.proposal(panel, data.volunteers, data.questions)
    return page(
        request,
        "pages/panel_draw.html",
        **pool_context(programme, data, contacts),
        draw=panel,
        ordinal=order.index(panel.id) + 1,
        setup=setup,
        members=[person(n) for n in now.members],
        drawn_members=set(result["panel"]),
        standing=now,
        withdrawn=[(person(n), reason) for n, reason in now.withdrawn],
        proposal=proposal and (proposal[0], proposal[1], said(proposal[1])),
        reserves=[person(n) for n in result["reserves"]],
        composition=composition(data, result["panel"], setup),
        rates_used=withdrawals.sentences(result["dropout"], data.questions)
        if "dropout" in result
        else [],
        same_rate="dropout" not in result or not result["dropout"]["rates"],
        **chance_context(data, chances, averages, setup, contacts),
        shown=shown,
    )


@contacts_view
async def draw_csv(request: Request, programme: Programme) -> Response:
    """The drawn panel and its reserves with their contact details, for the organiser."""
    data, panel = await load_draw(request, programme)
    numbered = by_number(data.volunteers)
    chances = panel.result["chances"]
    header = [
        "outcome",
        "number",
        "name",
        "email",
        "phone",
        "household",
        *[q.label for q in data.questions],
        "chance",
    ]
    called = [("panel", n) for n in panel.result["panel"]] + [
        (f"reserve {i}", n) for i, n in enumerate(panel.result["reserves"], start=1)
    ]
    rows = []
    for outcome, n in called:
        v = numbered[n]
        answers = answers_text(v, data.questions)
        rows.append(
            [outcome, n, v.name, v.email, v.phone, v.household, *answers, f"{chances[n - 1]:.6f}"]
        )
    body = to_csv(header, rows)
    return download(body, programme, f"panel-{panel.id}.csv", "text/csv; charset=utf-8")


@programme_view
async def lottery_csv(request: Request, programme: Programme) -> Response:
    """The lottery the draw was made from, without names: each panel's tickets and members by
    number, so that anyone can check which panel the seed picks."""
    _data, panel = await load_draw(request, programme)
    rows, first = [], 0
    total = panel.result["tickets"]
    for i, (tickets, members) in enumerate(panel.result["lottery"], start=1):
        last = first + tickets - 1
        picked = "yes" if first <= panel.result["ticket"] <= last else ""
        rows.append([i, first, last, f"{tickets / total:.9f}", " ".join(map(str, members)), picked])
        first = last + 1
    header = ["panel", "first_ticket", "last_ticket", "probability", "members", "drawn"]
    body = to_csv(header, rows)
    return download(body, programme, f"lottery-{panel.id}.csv", "text/csv; charset=utf-8")
