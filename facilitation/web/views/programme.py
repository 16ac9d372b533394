"""Programme pages: the dashboard, the standing needs list, the action plan, and the public
"You said, we did" page with its printable poster."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from facilitation.core.errors import Forbidden, NotFound
from facilitation.core.forms import maybe_id
from facilitation.core.i18n import N_, _, ngettext
from facilitation.core.models import Action, ActionStatus, Need, NeedStatus, Programme, Who
from facilitation.health import pact
from facilitation.programme.labels import LABELS, NEED_STATUS
from facilitation.programme.needs import by_need
from facilitation.programme.plans import CHART_BAR, CHART_GAP, CHART_HEIGHT, turnout_chart
from facilitation.web.auth import current_user, plans, programme_view, runs
from facilitation.web.common import flash, is_htmx, page, read_form, reply

# The rule as the needs page states it: the wording of facilitation.programme.needs' docstring.
RULE = N_(
    "Every closed round in the programme's workshops scores its options from 1 (first place) to "
    "0 (last place), evenly in between, ties sharing. A need's score is the average of the scores "
    "of the options linked to it, each round weighted by how many ballots it had (its turnout). "
    "A need never put to a vote has no score and follows the scored ones. A facilitator may "
    "override a score, but only with a reason, and the page shows both. Scores are compared "
    "exactly, so equal scores share a place; needs with the same score are listed by how many "
    "round results fed them, more first, then in the order they were added."
)

TOP_NEEDS = 5

View = Callable[[Request], Awaitable[Response]]


def public_url(request: Request, programme: Programme) -> str:
    """The address residents are given: the same one as the workshops' join links."""
    return f"{request.app.state.join_address(request).base}/p/{programme.slug}"


# -- programmes ---------------------------------------------------------------------------------


@runs
async def programmes_page(request: Request) -> Response:
    organisation_id = current_user(request).organisation_id
    return page(
        request,
        "pages/programmes.html",
        programmes=await request.app.state.store.plans.programmes(organisation_id),
    )


@runs
async def create_programme(request: Request) -> Response:
    form = await read_form(request)
    programme = await plans(request).create_programme(form, current_user(request).organisation_id)
    flash(request, _("Programme “{title}” created.", title=programme.title))
    return RedirectResponse(f"/f/programmes/{programme.id}", status_code=303)


async def dashboard_data(request: Request, programme: Programme) -> dict[str, Any]:
    store = request.app.state.store
    uc = plans(request)
    workshops = await store.plans.programme_workshops(programme.id)
    mine = {w.id for w in workshops}
    bars = turnout_chart(workshops, await store.plans.programme_turnout(programme.id))
    return {
        "programme": programme,
        "workshops": workshops,
        "other_workshops": [
            w
            for w in await store.workshops.workshops(programme.organisation_id)
            if w.id not in mine
        ],
        "top_needs": (await uc.ranked_needs(programme))[:TOP_NEEDS],
        "progress": await uc.progress(programme),
        "bars": bars,
        "chart": {
            "height": CHART_HEIGHT,
            "bar": CHART_BAR,
            "width": max(1, len(bars)) * (2 * CHART_BAR + CHART_GAP),
        },
        "public_url": public_url(request, programme),
        **await health_data(request, programme),
    }


HEALTH_WIDTH, HEALTH_HEIGHT = 640, 220


async def health_data(request: Request, programme: Programme) -> dict[str, Any]:
    """The PACT health check over time, split by the question chosen in ``?split=``."""
    store = request.app.state.store
    health = request.app.state.health
    questions = await store.profiles.profile_questions(programme.id)
    raw = request.query_params.get("split", "")
    split = next((q for q in questions if q.id == maybe_id(raw)), None)
    points, by_group = await health.trend(programme, split.id if split else None)
    return {
        "health": {
            "points": points,
            "lines": pact.lines(points, HEALTH_WIDTH, HEALTH_HEIGHT),
            "width": HEALTH_WIDTH,
            "height": HEALTH_HEIGHT,
            "dimensions": pact.DIMENSIONS,
            "labels": pact.LABELS,
            "statements": await health.statements(programme.id),
            "questions": questions,
            "split": split,
            "groups": by_group,
        }
    }


@programme_view
async def dashboard(request: Request, programme: Programme) -> Response:
    return page(request, "pages/programme.html", **await dashboard_data(request, programme))


@programme_view
async def edit_programme(request: Request, programme: Programme) -> Response:
    form = await read_form(request)
    await plans(request).update_programme(programme, form)
    flash(request, _("Programme details saved."))
    return RedirectResponse(f"/f/programmes/{programme.id}", status_code=303)


@programme_view
async def programme_workshops(request: Request, programme: Programme) -> Response:
    form = await read_form(request)
    uc = plans(request)
    if form.get("remove"):
        workshop = await uc.remove_workshop(programme, form)
        message = _("“{title}” is no longer part of this programme.", title=workshop.title)
    else:
        workshop = await uc.assign_workshop(programme, form)
        message = _("“{title}” is now part of this programme.", title=workshop.title)
    flash(request, message)
    return RedirectResponse(f"/f/programmes/{programme.id}", status_code=303)


# -- the standing needs list --------------------------------------------------------------------


async def needs_data(request: Request, programme: Programme) -> dict[str, Any]:
    uc = plans(request)
    options = await uc.options(programme)
    unlinked = {
        o for o, _t, _d in await request.app.state.store.plans.unlinked_options(programme.id)
    }
    return {
        "programme": programme,
        "ranked": await uc.ranked_needs(programme),
        "options": options,
        "unlinked": [options[o] for o in options if o in unlinked],
        "rule": RULE,
        "labels": LABELS,
        "NeedStatus": NeedStatus,
    }


@programme_view
async def needs_page(request: Request, programme: Programme) -> Response:
    return page(request, "pages/programme_needs.html", **await needs_data(request, programme))


async def needs_reply(request: Request, programme: Programme, message: str | None) -> Response:
    data = await needs_data(request, programme) if is_htmx(request) else {}
    return reply(
        request,
        "fragments/needs_list.html",
        data,
        f"/f/programmes/{programme.id}/needs",
        message,
    )


@programme_view
async def add_need(request: Request, programme: Programme) -> Response:
    form = await read_form(request)
    need = await plans(request).add_need(programme, form)
    return await needs_reply(request, programme, _("Added “{title}”.", title=need.title))


@programme_view
async def needs_from_options(request: Request, programme: Programme) -> Response:
    await read_form(request)
    n = await plans(request).needs_from_options(programme)
    if n:
        message = ngettext("{n} option became a need.", "{n} options became needs.", n)
    else:
        message = _("Every option already feeds a need.")
    return await needs_reply(request, programme, message)


@programme_view
async def need_action(request: Request, programme: Programme) -> Response:
    form = await read_form(request)
    uc = plans(request)
    need = await uc.need_in(programme, request.path_params["need_id"])
    action = request.path_params["action"]
    if action == "edit":
        await uc.edit_need(need, form)
        message = _("Saved “{title}”.", title=form.get("title", "").strip())
    elif action == "link":
        option = await uc.link_option(programme, need, form)
        message = _("“{option}” now feeds “{need}”.", option=option.title, need=need.title)
    elif action == "override":
        await uc.set_override(need, form)
        message = _("The score of “{title}” is set by hand.", title=need.title)
    elif action == "clear-override":
        await uc.clear_override(need)
        message = _("The score of “{title}” comes from the rounds again.", title=need.title)
    elif action == "status":
        status = await uc.set_status(need, form)
        message = _("“{title}” is now: {status}.", title=need.title, status=_(NEED_STATUS[status]))
    else:
        raise Forbidden()
    return await needs_reply(request, programme, message)


# -- the action plan ----------------------------------------------------------------------------


async def actions_data(request: Request, programme: Programme, need_filter: Any = None) -> dict:
    store = request.app.state.store
    uc = plans(request)
    ranked = await uc.ranked_needs(programme)
    needs = {r.need.id: r.need for r in ranked}
    actions = await store.plans.actions(programme.id)
    chosen = maybe_id(need_filter)
    if chosen in needs:
        actions = [a for a in actions if a.need_id == chosen]
    else:
        chosen = None
    grouped = by_need(actions, needs)
    groups: list[tuple[Need | None, list[Action]]] = [
        (r.need, grouped[r.need.id]) for r in ranked if r.need.id in grouped
    ]
    if None in grouped:
        groups.append((None, grouped[None]))
    return {
        "programme": programme,
        "needs": [r.need for r in ranked],
        "groups": groups,
        "chosen": chosen,
        "today": uc.today(),
        "labels": LABELS,
        "Who": Who,
        "ActionStatus": ActionStatus,
    }


@programme_view
async def actions_page(request: Request, programme: Programme) -> Response:
    data = await actions_data(request, programme, request.query_params.get("need"))
    return page(request, "pages/programme_actions.html", **data)


def shown_need(request: Request) -> str | None:
    """The need the action plan was filtered by on the page the change came from, so that the
    list answering an edit keeps the same filter (htmx names that page in HX-Current-URL)."""
    page_url = request.headers.get("HX-Current-URL") or request.headers.get("referer") or ""
    chosen = parse_qs(urlsplit(page_url).query).get("need", [""])[0]
    return chosen if chosen.isdigit() else None


async def actions_reply(request: Request, programme: Programme, message: str | None) -> Response:
    chosen = shown_need(request)
    data = await actions_data(request, programme, chosen) if is_htmx(request) else {}
    back = f"/f/programmes/{programme.id}/actions" + (f"?need={chosen}" if chosen else "")
    return reply(request, "fragments/action_plan.html", data, back, message)


@programme_view
async def add_action(request: Request, programme: Programme) -> Response:
    form = await read_form(request)
    action = await plans(request).save_action(programme, form)
    return await actions_reply(request, programme, _("Added “{what}”.", what=action.what))


@programme_view
async def action_action(request: Request, programme: Programme) -> Response:
    form = await read_form(request)
    uc = plans(request)
    action = await uc.action_in(programme, request.path_params["action_id"])
    verb = request.path_params["action"]
    if verb == "edit":
        saved = await uc.save_action(programme, form, existing=action)
        message = _("Saved “{what}”.", what=saved.what)
    elif verb == "note":
        await uc.add_note(action, form)
        message = _("Progress note added to “{what}”.", what=action.what)
    else:
        raise Forbidden()
    return await actions_reply(request, programme, message)


# -- public: "You said, we did" -----------------------------------------------------------------


async def public_programme(request: Request) -> Programme:
    slug = request.path_params["slug"]
    programme = (
        await request.app.state.store.plans.programme_by_slug(slug) if len(slug) < 40 else None
    )
    if programme is None:
        raise NotFound("programme")
    return programme


async def public_page(request: Request) -> Response:
    programme = await public_programme(request)
    uc = plans(request)
    ranked = await uc.ranked_needs(programme)
    actions = await request.app.state.store.plans.actions(programme.id)
    grouped = by_need(actions, {r.need.id: r.need for r in ranked})
    return page(
        request,
        "pages/public.html",
        programme=programme,
        ranked=ranked,
        actions=grouped,
        today=uc.today(),
        workshops=await request.app.state.store.plans.programme_workshops(programme.id),
        recruitment=await request.app.state.recruiting.counts(programme),
    )


async def public_poster(request: Request) -> Response:
    programme = await public_programme(request)
    return page(
        request,
        "pages/public_poster.html",
        programme=programme,
        public_url=public_url(request, programme),
    )
