"""Facilitator pages and actions: sign in, workshops, options, rounds, results and the summary."""

from __future__ import annotations

import math
import secrets
from collections.abc import Awaitable, Callable

import anyio
import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from facilitation import kinds
from facilitation.accounts.roles import Power, may
from facilitation.accounts.sign_in import SignInGuard
from facilitation.core.errors import FacilitationError, Forbidden
from facilitation.core.i18n import _, current, ngettext
from facilitation.core.models import RoundStatus, Workshop
from facilitation.web.auth import current_user, desk, facilitator, runs, signed_in
from facilitation.web.common import (
    csrf_token,
    flash,
    is_htmx,
    read_form,
    read_upload,
)
from facilitation.web.console import console_data, console_reply
from facilitation.web.results import split_context
from facilitation.workshop import screens
from facilitation.workshop import summary as priorities
from facilitation.workshop.screens import result_context

hasher = PasswordHasher()
# Verifying against this when the username is unknown keeps the timing of both failures alike.
_DUMMY_HASH = hasher.hash("not a real password")

View = Callable[[Request], Awaitable[Response]]
# What a device keeps across signing in and out: its places in workshops ("p"), its respondent
# tokens per programme ("r"), the language it chose ("lang"), and the accounts that have signed
# in on it (KNOWN).
KNOWN = "known"
KEPT = ("p", "r", "lang", KNOWN)
KNOWN_USERS = 5  # accounts a device remembers having signed in on


# -- signing in ---------------------------------------------------------------------------------


def _safe_next(value: object) -> str:
    text = value if isinstance(value, str) else ""
    return text if text.startswith("/") and not text.startswith("//") else "/f"


async def login_page(request: Request) -> Response:
    csrf_token(request)
    return request.app.state.renderer.page(
        request, "pages/login.html", next=_safe_next(request.query_params.get("next")), error=None
    )


def client_ip(request: Request) -> str:
    """The client's address: the peer's, or the one a trusted proxy forwards (trusted_proxies)."""
    return request.client.host if request.client else "unknown"


def matches(stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def known_device(request: Request, user: str) -> str | None:
    """This device's own name if ``user`` has signed in on it before, else None."""
    known = request.session.get(KNOWN)
    if isinstance(known, dict) and user in known.get("users", ()):
        device = known.get("device")
        return device if isinstance(device, str) else None
    return None


def remember_device(request: Request, user: str) -> None:
    """Mark this device as one ``user`` signs in on, so nobody else's failures slow it."""
    known = request.session.get(KNOWN)
    known = dict(known) if isinstance(known, dict) else {}
    if not isinstance(known.get("device"), str):
        known["device"] = secrets.token_urlsafe(16)
    users = [u for u in known.get("users", ()) if isinstance(u, str) and u != user]
    known["users"] = [user, *users][:KNOWN_USERS]
    request.session[KNOWN] = known


async def login(request: Request) -> Response:
    form = await read_form(request)
    store = request.app.state.store
    guard: SignInGuard = request.app.state.login_guard
    given_name, given_password = form.get("username"), form.get("password")
    username = given_name.strip()[:80] if isinstance(given_name, str) else ""
    password = given_password if isinstance(given_password, str) else ""
    user, address = username.casefold(), client_ip(request)
    device = known_device(request, user)

    def page(status: int, error: str) -> Response:
        return request.app.state.renderer.page(
            request, "pages/login.html", status=status, next=_safe_next(form.get("next")),
            error=error,
        )  # fmt: skip

    wait = await guard.retry_after(user, address, device)
    if wait:
        return page(
            429,
            _(
                "Too many failed sign-ins from here. Please wait {seconds} seconds and try "
                "again; a device you have signed in on before is not held up.",
                seconds=max(1, math.ceil(wait)),
            ),
        )
    await guard.attempt(user, address, device)
    found = await store.users.user_credentials(username) if username else None
    stored = found[1] if found else _DUMMY_HASH
    # Hashing takes a good part of a second of one core: off the event loop, a couple at a time,
    # so sign-ins never hold up a room's ballots.
    limiter = request.app.state.hashing
    ok = await anyio.to_thread.run_sync(matches, stored, password[:200], limiter=limiter)
    if not ok or found is None:
        return page(400, _("That username and password do not match. Please try again."))
    await guard.succeed(user, address, device)
    kept = {k: request.session[k] for k in KEPT if k in request.session}
    request.session.clear()
    request.session.update(kept)  # this device keeps its place in any workshop it joined
    remember_device(request, user)
    request.session["sid"] = await store.users.start_session(found[0].id)
    csrf_token(request)
    return RedirectResponse(_safe_next(form.get("next")), status_code=303)


async def logout(request: Request) -> Response:
    await read_form(request)
    sid = request.session.get("sid")
    if isinstance(sid, str):
        await request.app.state.store.users.end_session(sid)
    kept = {k: request.session[k] for k in KEPT if k in request.session}
    request.session.clear()
    request.session.update(kept)  # signing out keeps this device's place in any workshop
    flash(request, _("You are signed out."))
    return RedirectResponse("/", status_code=303)


# -- workshops ----------------------------------------------------------------------------------


@signed_in
async def workshops_page(request: Request) -> Response:
    """The organisation's workshops; a moderator's list holds the one workshop they look after."""
    store = request.app.state.store
    user = current_user(request)
    workshops = await store.workshops.workshops(user.organisation_id)
    runs_them = may(user, Power.RUN)
    if not runs_them:
        workshops = [w for w in workshops if may(user, Power.DESK, w.id)]
    return request.app.state.renderer.page(
        request, "pages/workshops.html", workshops=workshops, runs=runs_them
    )


@runs
async def create_workshop(request: Request) -> Response:
    form = await read_form(request)
    workshop = await request.app.state.workshops.create_workshop(form, request.scope["user"].id)
    await request.app.state.translating.start_workshop(workshop, current())
    flash(request, _("Workshop created. Its join code is {code}.", code=workshop.code))
    return RedirectResponse(f"/f/workshops/{workshop.id}", status_code=303)


@desk
async def console(request: Request, workshop: Workshop) -> Response:
    if not may(current_user(request), Power.RUN, workshop.id):
        # The workshop's moderator: their page is the idea desk and paper ballots.
        return RedirectResponse(f"/f/workshops/{workshop.id}/desk", status_code=303)
    data = await console_data(request, workshop)
    return request.app.state.renderer.page(request, "pages/console.html", **data)


@facilitator
async def edit_workshop(request: Request, workshop: Workshop) -> Response:
    form = await read_form(request)
    await request.app.state.workshops.update_workshop(workshop.id, form)
    return await console_reply(request, workshop, _("Workshop details saved."))


@facilitator
async def set_programme(request: Request, workshop: Workshop) -> Response:
    form = await read_form(request)
    programme = await request.app.state.plans.place_workshop(workshop, form)
    if programme is None:
        message = _("This workshop is not part of any programme now.")
    else:
        message = _(
            "This workshop is now part of “{title}”: its results feed that programme's needs list.",
            title=programme.title,
        )
    return await console_reply(request, workshop, message)


# -- options ------------------------------------------------------------------------------------


@facilitator
async def add_option(request: Request, workshop: Workshop) -> Response:
    form = await read_form(request)
    option = await request.app.state.workshops.add_option(workshop.id, form)
    return await console_reply(request, workshop, _("Added “{title}”.", title=option.title))


@facilitator
async def option_action(request: Request, workshop: Workshop) -> Response:
    form = await read_form(request)
    uc = request.app.state.workshops
    option = await uc.option_in(workshop.id, request.path_params["option_id"])
    action = request.path_params["action"]
    if action == "edit":
        supporters = await uc.edit_option(option, form)
        message = _("Saved “{title}”.", title=form.get("title", "").strip())
        if supporters:
            message += " " + ngettext(
                "{n} ballot already supports it: they keep counting for the new wording.",
                "{n} ballots already support it: they keep counting for the new wording.",
                supporters,
            )
        return await console_reply(request, workshop, message)
    if action == "move":
        await uc.move_option(option, form.get("direction"))
        return await console_reply(request, workshop, None)
    if action == "remove":
        outcome, supporters = await uc.remove_option(option)
        if outcome == "deleted":
            message = _("Removed “{title}”.", title=option.title)
        else:
            message = _(
                "“{title}” has been used in a round, so it was withdrawn instead of deleted: past "
                "results still show it ({supporters} ballots supported it), and it will not appear "
                "in new rounds. You can restore it.",
                title=option.title,
                supporters=supporters,
            )
        return await console_reply(request, workshop, message)
    if action == "picture-remove":
        await uc.remove_picture(option)
        return await console_reply(
            request, workshop, _("Removed the picture of “{title}”.", title=option.title)
        )
    if action == "restore":
        await uc.restore_option(option)
        return await console_reply(request, workshop, _("Restored “{title}”.", title=option.title))
    raise Forbidden()


@facilitator
async def option_picture(request: Request, workshop: Workshop) -> Response:
    """A picture for an option, sent as a file; a file that is not a usable picture is refused
    with a message on the console saying why, and the option keeps the picture it had."""
    uc = request.app.state.workshops
    option = await uc.option_in(workshop.id, request.path_params["option_id"])
    data = await read_upload(request, "picture")
    try:
        await uc.set_picture(option, data)
    except FacilitationError as exc:  # back on the console, which says what was wrong
        return await console_reply(request, workshop, exc.text(), "error")
    return await console_reply(
        request, workshop, _("Saved the picture of “{title}”.", title=option.title)
    )


# -- rounds -------------------------------------------------------------------------------------


@facilitator
async def create_round(request: Request, workshop: Workshop) -> Response:
    form = await read_form(request)
    rnd = await request.app.state.rounds.save_round(workshop.id, form)
    return await console_reply(
        request, workshop, _("Round “{title}” is ready. Open it when the room is.", title=rnd.title)
    )


@facilitator
async def edit_round_page(request: Request, workshop: Workshop) -> Response:
    uc = request.app.state.rounds
    rnd = await uc.round_in(workshop.id, request.path_params["round_id"])
    options = await request.app.state.store.options.options(workshop.id, include_withdrawn=False)
    return request.app.state.renderer.page(
        request, "pages/round_edit.html", workshop=workshop, round=rnd, live_options=options
    )


@facilitator
async def round_action(request: Request, workshop: Workshop) -> Response:
    form = await read_form(request)
    uc = request.app.state.rounds
    rnd = await uc.round_in(workshop.id, request.path_params["round_id"])
    action = request.path_params["action"]
    if action == "edit":
        saved = await uc.save_round(workshop.id, form, existing=rnd)
        if not is_htmx(request):
            flash(request, _("Round “{title}” saved.", title=saved.title))
        return RedirectResponse(f"/f/workshops/{workshop.id}", status_code=303)
    if action == "open":
        await uc.open_round(rnd)
        message = _("“{title}” is open: phones now show the ballot.", title=rnd.title)
    elif action == "close":
        await uc.close_round(rnd)
        message = _("“{title}” is closed and its results are saved.", title=rnd.title)
        if rnd.hidden:
            message += " " + _("Reveal them when you are ready.")
    elif action == "reveal":
        await uc.reveal_round(rnd, True)
        message = _("Results of “{title}” are shown to the room.", title=rnd.title)
    elif action == "hide":
        await uc.reveal_round(rnd, False)
        message = _("Results of “{title}” are hidden again.", title=rnd.title)
    elif action == "delete":
        await uc.delete_round(rnd)
        message = _("Round “{title}” deleted.", title=rnd.title)
    else:
        raise Forbidden()
    return await console_reply(request, workshop, message)


@facilitator
async def results_page(request: Request, workshop: Workshop) -> Response:
    uc = request.app.state.rounds
    store = request.app.state.store
    rnd = await uc.round_in(workshop.id, request.path_params["round_id"])
    options = {o.id: o for o in await store.options.options(workshop.id)}
    result = await uc.result(rnd)
    turnout = await store.ballots.turnout(workshop.id, rnd.id)
    ballots = await store.ballots.ballots(rnd.id)
    paper_ids = {p.id for p in await store.workshops.participants(workshop.id) if p.paper}
    extra: dict = {"desk": None}
    if kinds.get(rnd.kind).collects_ideas:
        extra.update(await screens.idea_context(store, rnd, turnout.joined))
        paper = sum(1 for i in await store.ideas.ideas(rnd.id) if i.participant_id in paper_ids)
    else:
        paper = sum(1 for b in ballots if b.participant_id in paper_ids)
    extra.update(await split_context(request, workshop, rnd))
    return request.app.state.renderer.page(
        request,
        "pages/results.html",
        workshop=workshop,
        paper=paper,
        **{**result_context(rnd, result, options, turnout, ballots), **extra},
    )


@facilitator
async def summary_page(request: Request, workshop: Workshop) -> Response:
    uc = request.app.state.rounds
    store = request.app.state.store
    rounds = [
        r
        for r in await store.rounds.rounds(workshop.id)
        if r.status is RoundStatus.CLOSED and kinds.get(r.kind).feeds_priorities
    ]
    results = [(r.id, await uc.result(r)) for r in rounds]
    options = await store.options.options(workshop.id)
    ranked = priorities.combine(results, [o.id for o in options])
    return request.app.state.renderer.page(
        request,
        "pages/summary.html",
        workshop=workshop,
        priorities=ranked,
        options={o.id: o for o in options},
        rounds={r.id: r for r in rounds},
        round_list=rounds,
    )


@facilitator
async def qr_page(request: Request, workshop: Workshop) -> Response:
    """A printable page with the join code and QR code, to put on tables."""
    return request.app.state.renderer.page(
        request,
        "pages/qr.html",
        workshop=workshop,
        join_url=request.app.state.join_url(workshop.code, request),
        join=request.app.state.join_address(request),
    )
