"""Jinja environment, page and fragment rendering, and the context builders shared by page renders
and live pushes, so that a pushed fragment can never differ from the same region after a reload."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse

from facilitation import __version__, ideas, room, voting
from facilitation.i18n import _, ngettext
from facilitation.kinds import KIND_LABELS, RULE_LABELS
from facilitation.models import (
    Ballot,
    BudgetRule,
    IdeaStatus,
    LimitKind,
    Option,
    Participant,
    Round,
    RoundKind,
    RoundResult,
    RoundStatus,
    Scope,
    Turnout,
    Workshop,
)
from facilitation.scope import LIMIT_LABELS, SCOPE_LABELS
from facilitation.storage import Store


@lru_cache(maxsize=256)
def qr_svg(url: str) -> Markup:
    """An inline SVG QR code for a URL, made on the server (no script, prints crisply)."""
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=1, border=2, dark="#000", light="#fff", omitsize=True)
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR code" ', 1))


class Renderer:
    """Renders templates from one folder with autoescaping always on."""

    def __init__(
        self,
        templates_dir: str,
        *,
        currency: str = "£",
        static_url: Callable[[str], str] = lambda path: f"/static/{path}",
    ) -> None:
        self.env = Environment(
            loader=FileSystemLoader(templates_dir),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(
            _=_,
            ngettext=ngettext,
            static=static_url,
            version=__version__,
            RoundStatus=RoundStatus,
            RoundKind=RoundKind,
            currency=currency,
            KIND_LABELS=KIND_LABELS,
            RULE_LABELS=RULE_LABELS,
            IdeaStatus=IdeaStatus,
            BudgetRule=BudgetRule,
            Scope=Scope,
            LimitKind=LimitKind,
            SCOPE_LABELS=SCOPE_LABELS,
            LIMIT_LABELS=LIMIT_LABELS,
            # A fresh id per rendered ballot form, so a form posted twice without JS counts once.
            new_client_id=lambda: secrets.token_hex(12),
        )
        self.env.filters["qr"] = qr_svg
        self.env.filters["clock"] = lambda ts: time.strftime("%H:%M", time.localtime(ts))
        self.env.filters["number"] = _number
        # Whole amounts with thousands separators: "£12,500". Costs are estimates, never pence.
        self.env.filters["money"] = lambda amount: f"{currency}{int(amount or 0):,}"
        self.env.filters["day"] = lambda ts: time.strftime("%Y-%m-%d", time.localtime(ts))

    def fragment(self, name: str, **context: Any) -> str:
        """Render one fragment (or any template) to a string."""
        return self.env.get_template(name).render(**context)

    def page(
        self, request: HTTPConnection, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """Render a full page with what every page needs: user, CSRF token, flash, locale."""
        session = request.scope.get("session", {})
        flashes = session.pop("flash", []) if "session" in request.scope else []
        context.setdefault("flashes", flashes)
        context.setdefault("user", request.scope.get("user"))
        context.setdefault("csrf_token", request.scope.get("csrf_token", ""))
        context.setdefault("request_path", request.url.path)
        html = self.fragment(name, **context)
        return HTMLResponse(html, status_code=status)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def render_error(request: Request, status: int, message: str, params: Mapping[str, Any]) -> Any:
    """An error as the flash fragment for htmx, or as a whole page otherwise."""
    renderer: Renderer = request.app.state.renderer
    text = _(message, **params)
    if request.headers.get("HX-Request"):
        html = renderer.fragment("fragments/flash.html", flashes=[("error", text)])
        # htmx ignores error responses unless told where to put them: retarget to the flash area.
        return HTMLResponse(
            html, status_code=status, headers={"HX-Retarget": "#flash", "HX-Reswap": "outerHTML"}
        )
    return renderer.page(
        request, "errors/error.html", status=status, status_code=status, message=text
    )


# -- views of results ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bar:
    option_id: int
    title: str
    description: str
    score: float
    place: int
    tied: bool
    voters: int
    percent: float
    option: Option | None = None  # for its scope and limit


def bars(rows: Sequence, options: Mapping[int, Option], titles: Mapping[int, str] | None = None):
    """Result rows as bars scaled to the leading score, with titles resolved."""
    top = max((r.score for r in rows), default=0) or 1
    out = []
    for r in rows:
        option = options.get(r.option_id)
        title = option.title if option else (titles or {}).get(r.option_id, "?")
        out.append(
            Bar(
                r.option_id,
                title,
                option.description if option else "",
                r.score,
                r.place,
                r.tied,
                r.voters,
                round(100 * r.score / top, 1),
                option,
            )
        )
    return out


def result_context(
    rnd: Round, result: RoundResult, options: Mapping[int, Option], turnout: Turnout | None = None
) -> dict[str, Any]:
    """What the results fragment needs, for a page, the board and the phones alike."""
    rows = bars(result.rows, options)
    if rnd.kind is RoundKind.RATING:  # bars against the top of the scale, not the best mean
        rows = [replace(b, percent=round(100 * b.score / 5, 1)) for b in rows]
    return {
        "round": rnd,
        "result": result,
        "rows": rows,
        "schulze_rows": bars(result.schulze, options),
        "turnout": turnout,
        "spend": budget_line(rnd, result, options) if rnd.kind is RoundKind.BUDGET else None,
    }


@dataclass(frozen=True, slots=True)
class Spend:
    """One funded option's slice of the budget line."""

    option_id: int
    title: str
    cost: int
    start: float  # percent of the budget where its slice begins
    width: float  # percent of the budget it takes


def budget_line(rnd: Round, result: RoundResult, options: Mapping[int, Option]) -> list[Spend]:
    """The funded options as consecutive slices of the budget, in the order they were funded."""
    total = result.budget or rnd.budget or 1
    costs = rnd.cost_of
    out, start = [], 0.0
    for option_id in result.funded:
        cost = costs.get(option_id) or (options[option_id].cost if option_id in options else 0)
        width = 100 * (cost or 0) / total
        title = options[option_id].title if option_id in options else "?"
        out.append(Spend(option_id, title, cost or 0, round(start, 2), round(width, 2)))
        start += width
    return out


# -- the live regions ---------------------------------------------------------------------------


async def board_context(
    store: Store, workshop_id: int, join_url: str, state: tuple | None = None
) -> dict[str, Any]:
    """The live board: code, QR, turnout and the current round's bars or order."""
    workshop, rnd, ballots, joined = state or await store.live_state(workshop_id)
    options = {o.id: o for o in await store.options(workshop_id)}
    turnout = Turnout(joined, len(ballots))
    context: dict[str, Any] = {
        "workshop": workshop,
        "round": rnd,
        "turnout": turnout,
        "join_url": join_url,
        "now": time.time(),
        "show_results": False,
        "options": options,
        "desk": None,
        "room": await room.board_room(store, workshop_id),
    }
    if rnd is not None and rnd.kind is RoundKind.IDEAS:
        context.update(await idea_context(store, rnd, joined))
    if rnd is not None and rnd.status is not RoundStatus.DRAFT and rnd.results_visible:
        result = voting.tally(rnd, ballots)
        context.update(result_context(rnd, result, options, context["turnout"]))
        context["show_results"] = True
    return context


async def idea_context(store: Store, rnd: Round, joined: int) -> dict[str, Any]:
    """An idea round's ideas sorted for the desk and the wall, and its turnout (who sent any)."""
    ideas_now = await store.ideas(rnd.id)
    senders = len({i.participant_id for i in ideas_now})
    return {"desk": ideas.desk(ideas_now), "turnout": Turnout(joined, senders)}


async def console_context(store: Store, workshop_id: int, state: tuple | None = None) -> dict:
    """The facilitator's live regions: current round, its state and turnout, the timer, the idea
    desk, and who is in the room against the place."""
    workshop, rnd, ballots, joined = state or await store.live_state(workshop_id)
    context = {
        "workshop": workshop,
        "round": rnd,
        "turnout": Turnout(joined, len(ballots)),
        "now": time.time(),
        "desk": None,
        **await room.room_context(store, workshop_id),
    }
    if rnd is not None and rnd.kind is RoundKind.IDEAS:
        context.update(await idea_context(store, rnd, joined))
    return context


@dataclass(frozen=True, slots=True)
class StageReads:
    """What every phone's stage shows alike, read once for all the phones of a workshop."""

    workshop: Workshop
    round: Round | None
    options: dict[int, Option]
    ballots: dict[int, Ballot]  # by participant; used once the round can no longer change
    result: RoundResult | None  # a closed round's visible results


async def stage_reads(
    store: Store, workshop_id: int, result_for: Any, *, all_ballots: bool = True
) -> StageReads:
    """A workshop's stage, read once for all its phones (see live.phone_socket); with
    all_ballots, also every saved ballot of a round that is no longer open."""
    fresh = await store.workshop(workshop_id)
    rnd = await store.round(fresh.current_round_id) if fresh.current_round_id else None
    options = {o.id: o for o in await store.options(workshop_id)}
    settled = all_ballots and rnd is not None and rnd.status is not RoundStatus.OPEN
    ballots = {b.participant_id: b for b in await store.ballots(rnd.id)} if settled else {}
    visible = rnd is not None and rnd.status is RoundStatus.CLOSED and rnd.results_visible
    result = await result_for(rnd) if visible else None
    return StageReads(fresh, rnd, options, ballots, result)


async def phone_context(
    store: Store,
    workshop: Workshop,
    participant: Participant,
    result_for: Any,
    csrf_token: str = "",
    shared: StageReads | None = None,
) -> dict[str, Any]:
    """One participant's stage: waiting, their ballot, 'closed', or the revealed results.

    With ``shared`` (a read made once for all the workshop's phones) it reads nothing more,
    except the participant's own ballot while the round is open and it can still change."""
    reads = shared or await stage_reads(store, workshop.id, result_for, all_ballots=False)
    rnd, options = reads.round, reads.options
    own: Ballot | None = None
    if rnd is not None:
        if rnd.status is RoundStatus.OPEN or shared is None:
            own = await store.ballot(rnd.id, participant.id)
        else:
            own = reads.ballots.get(participant.id)
    context: dict[str, Any] = {
        "workshop": reads.workshop,
        "participant": participant,
        "round": rnd,
        "options": options,
        "ballot": own,
        "csrf_token": csrf_token,
        "now": time.time(),
        "show_results": False,
    }
    if rnd is not None and rnd.kind is RoundKind.IDEAS:
        context["my_ideas"] = await store.participant_ideas(rnd.id, participant.id)
    if rnd is not None:
        context["ballot_options"] = ballot_order(rnd, own, options)
        context["usable_dots"] = voting.usable_dots(rnd)
        if reads.result is not None:
            context.update(result_context(rnd, reads.result, options))
            context["show_results"] = True
    return context


def ballot_order(rnd: Round, ballot: Ballot | None, options: Mapping[int, Option]) -> list[Option]:
    """Options as the phone lists them: a saved ranking's order, else the round's order."""
    order = list(rnd.option_ids)
    if rnd.kind is RoundKind.RANK and ballot and ballot.ranking:
        ranked = [o for o in ballot.ranking if o in order]
        order = ranked + [o for o in order if o not in ranked]
    return [options[o] for o in order if o in options]
