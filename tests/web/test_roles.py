"""Every route of the app, walked by each role of one organisation, by another organisation's
organiser, by the instance's administrator, by an anonymous visitor and by a participant's
phone: each gets exactly what its role allows (status codes and refusal messages), never sees
anything of another organisation, and only organisers see volunteers' contact details.

The route list is read from the app itself and must match POLICY below, so a new route cannot
be added without saying who may use it. The walk uses only the ``app`` fixture and the store it
opened, so it runs unchanged on any storage engine.
"""

from __future__ import annotations

import html
import re

import pytest
from starlette.routing import Mount, Route, WebSocketRoute

from facilitation.accounts.roles import REFUSED, Power
from facilitation.web.auth import SIGN_IN
from tests.conftest import new_client
from tests.helpers import csrf_of
from tests.web.organisations import (
    CONTACTS,
    HILLSIDE,
    RIVERSIDE,
    VOLUNTEERS,
    WALKERS,
    World,
    build,
    handshake,
    walker,
)

W = "/f/workshops/{workshop_id}"
R = W + "/rounds/{round_id}"
I = W + "/rounds/{idea_round_id}"  # noqa: E741 - the idea round's routes
P = "/f/programmes/{programme_id}"
PP = P + "/panels/{pool_id}"
PD = PP + "/draws/{panel_id}"

# Who each route is for: public (anyone; participants' routes too), signed-in (any account),
# run (organisers and facilitators), desk (also the workshop's moderator), console (as desk,
# but a moderator is sent on to the desk page), contacts and accounts (organisers), admin (the
# instance's administrators). Paths as the app declares them, without converters; the idea
# routes' {round_id} is filled with the idea round.
PUBLIC, SIGNED_IN, RUN, DESK, CONSOLE = "public", "signed-in", "run", "desk", "console"
CONTACT, ACCOUNTS, ADMIN = "contacts", "accounts", "admin"
TABLES = ("needs", "actions", "workshops", "rounds", "results", "ballots")
POLICY: dict[tuple[str, str], str] = {
    ("GET", "/"): PUBLIC,
    ("POST", "/join"): PUBLIC,
    ("GET", "/w/{code}"): PUBLIC,
    ("POST", "/w/{code}/join"): PUBLIC,
    ("GET", "/w/{code}/about"): PUBLIC,
    ("POST", "/w/{code}/about"): PUBLIC,
    ("GET", "/w/{code}/stage"): PUBLIC,
    ("POST", "/w/{code}/ballot"): PUBLIC,
    ("WS", "/w/{code}/ws"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("POST", "/language"): PUBLIC,
    ("GET", "/f"): SIGNED_IN,
    ("POST", "/f/language"): SIGNED_IN,
    ("POST", "/f/workshops"): RUN,
    ("GET", "/f/accounts"): ACCOUNTS,
    ("POST", "/f/accounts"): ACCOUNTS,
    ("POST", "/f/accounts/{user_id}/role"): ACCOUNTS,
    ("POST", "/f/accounts/{user_id}/password"): ACCOUNTS,
    ("POST", "/f/accounts/{user_id}/remove"): ACCOUNTS,
    ("GET", "/f/organisations"): ADMIN,
    ("POST", "/f/organisations"): ADMIN,
    ("GET", W): CONSOLE,
    ("POST", W + "/edit"): RUN,
    ("POST", W + "/programme"): RUN,
    ("POST", W + "/languages"): RUN,
    ("GET", W + "/translations"): RUN,
    ("POST", W + "/translations"): RUN,
    ("POST", W + "/health-check"): RUN,
    ("POST", W + "/options"): RUN,
    ("POST", W + "/options/{option_id}/{action}"): RUN,
    ("POST", W + "/rounds"): RUN,
    ("POST", R + "/ideas/approve-all"): DESK,
    ("POST", R + "/ideas/merge"): DESK,
    ("POST", R + "/ideas/to-options"): RUN,
    ("POST", R + "/ideas/{idea_id}/{action}"): DESK,
    ("GET", R + "/paper"): DESK,
    ("POST", R + "/paper"): DESK,
    ("GET", W + "/desk"): DESK,
    ("WS", W + "/desk/ws"): DESK,
    ("GET", R): RUN,
    ("GET", R + "/edit"): RUN,
    ("POST", R + "/{action}"): RUN,
    ("GET", W + "/summary"): RUN,
    ("GET", W + "/qr"): RUN,
    ("GET", W + "/board"): RUN,
    ("GET", W + "/export/results.csv"): RUN,
    ("GET", W + "/export/ballots.csv"): RUN,
    ("GET", W + "/export/workshop.json"): RUN,
    ("GET", W + "/export/results-by-group.csv"): RUN,
    ("POST", W + "/room-on-board"): RUN,
    ("POST", W + "/options/import"): RUN,
    ("WS", W + "/board/ws"): RUN,
    ("WS", W + "/ws"): RUN,
    ("GET", "/f/programmes"): RUN,
    ("POST", "/f/programmes"): RUN,
    ("GET", P): RUN,
    ("POST", P + "/edit"): RUN,
    ("POST", P + "/health-check"): RUN,
    ("GET", P + "/translations"): RUN,
    ("POST", P + "/translations"): RUN,
    ("POST", P + "/workshops"): RUN,
    ("GET", P + "/needs"): RUN,
    ("POST", P + "/needs"): RUN,
    ("POST", P + "/needs/from-options"): RUN,
    ("POST", P + "/needs/{need_id}/{action}"): RUN,
    ("GET", P + "/actions"): RUN,
    ("POST", P + "/actions"): RUN,
    ("POST", P + "/actions/{action_id}/{action}"): RUN,
    ("POST", P + "/needs/import"): RUN,
    ("GET", P + "/people"): RUN,
    ("POST", P + "/people/questions"): RUN,
    ("POST", P + "/people/questions/{question_id}/{action}"): RUN,
    ("POST", P + "/people/makeup/import"): RUN,
    ("GET", P + "/people/makeup.csv"): RUN,
    ("GET", P + "/panels"): RUN,
    ("POST", P + "/panels/import"): CONTACT,
    ("GET", P + "/panels/volunteers.csv"): RUN,
    ("GET", PP): RUN,
    ("POST", PP + "/draw"): RUN,
    ("GET", PP + "/progress"): RUN,
    ("POST", PP + "/cancel"): RUN,
    ("POST", PP + "/delete"): CONTACT,
    ("GET", PD): RUN,
    ("GET", PD + "/panel.csv"): CONTACT,
    ("GET", PD + "/lottery.csv"): RUN,
    ("GET", P + "/export/programme.xlsx"): RUN,
    ("GET", P + "/export/programme.json"): RUN,
    **{("GET", P + f"/export/{t}.csv"): RUN for t in TABLES},
    ("GET", P + "/report"): RUN,
    ("GET", P + "/report.pdf"): RUN,
    ("GET", "/p/{slug}"): PUBLIC,
    ("GET", "/p/{slug}/poster"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/static/{path}"): PUBLIC,
    ("GET", "/pictures/{option_id}/{version}"): PUBLIC,
    ("GET", "/kiosk"): PUBLIC,
    ("POST", "/kiosk/new"): PUBLIC,
    ("POST", "/kiosk/done"): PUBLIC,
    ("POST", W + "/options/{option_id}/picture"): RUN,
    ("POST", W + "/kiosk"): RUN,
    ("GET", W + "/people"): RUN,
    ("GET", W + "/people/{participant_id}"): RUN,
    ("GET", W + "/people/{participant_id}/held.json"): RUN,
    ("POST", W + "/people/{participant_id}/erase"): RUN,
    ("GET", PP + "/people"): CONTACT,
    ("GET", PP + "/people/{volunteer_id}"): CONTACT,
    ("GET", PP + "/people/{volunteer_id}/held.json"): CONTACT,
    ("POST", PP + "/people/{volunteer_id}/erase"): CONTACT,
    ("POST", PP + "/commit"): RUN,
    ("GET", PP + "/commitments/{commitment_id}"): RUN,
    ("GET", PP + "/commitments/{commitment_id}/lottery.json"): RUN,
    ("POST", PP + "/commitments/{commitment_id}/draw"): RUN,
    ("POST", P + "/panels/invite"): CONTACT,
    ("GET", PP + "/invitations"): CONTACT,
    ("POST", PD + "/steps"): RUN,
    ("GET", "/r/{token}"): PUBLIC,
    ("POST", "/r/{token}"): PUBLIC,
    ("POST", W + "/kiosks/{kiosk_id}/lock"): RUN,
}

# What the public routes answer a visitor (anyone who has not joined) and the phone that
# joined the workshop, sent the forms below: the same for every account, signed in or not.
PUBLIC_STATUS: dict[tuple[str, str], tuple[object, object]] = {
    ("GET", "/"): (200, 200),
    ("POST", "/join"): (404, 404),
    ("GET", "/w/{code}"): (200, 200),
    ("POST", "/w/{code}/join"): (303, 303),
    ("GET", "/w/{code}/about"): (404, 200),
    ("POST", "/w/{code}/about"): (404, 400),
    ("GET", "/w/{code}/stage"): (404, 200),
    ("POST", "/w/{code}/ballot"): (404, 400),
    ("WS", "/w/{code}/ws"): ("refused", "accepted"),
    ("GET", "/login"): (200, 200),
    ("POST", "/login"): (400, 400),
    ("POST", "/logout"): (303, 303),
    ("POST", "/language"): (400, 400),
    ("GET", "/p/{slug}"): (200, 200),
    ("GET", "/p/{slug}/poster"): (200, 200),
    ("GET", "/healthz"): (200, 200),
    ("GET", "/metrics"): (200, 200),
    ("GET", "/static/{path}"): (200, 200),
    # No picture of that version; a device that is not a door tablet is refused.
    ("GET", "/pictures/{option_id}/{version}"): (404, 404),
    ("GET", "/kiosk"): (403, 403),
    ("POST", "/kiosk/new"): (403, 403),
    ("POST", "/kiosk/done"): (403, 403),
    # A registration link that was never sent.
    ("GET", "/r/{token}"): (404, 404),
    ("POST", "/r/{token}"): (404, 404),
}

# Forms the walk sends, chosen so that an allowed request leaves the scene as the later routes
# need it (most are refused as incomplete; none deletes anything but the spare account).
FORMS: dict[str, dict[str, str]] = {
    "/login": {"username": "", "password": ""},
    W + "/programme": {"programme_id": "{programme_id}"},
    P + "/people/questions/{question_id}/{action}": {"direction": "down"},
}
# Query strings the walk adds, so that an allowed request finds what it asks for.
QUERIES = {W + "/export/results-by-group.csv": "?question={question_id}"}
# The {action} each route is walked with: a real one, so an allowed request does real work.
ACTIONS = {
    W + "/options/{option_id}/{action}": "restore",
    R + "/ideas/{idea_id}/{action}": "approve",
    R + "/{action}": "hide",
    P + "/needs/{need_id}/{action}": "edit",
    P + "/actions/{action_id}/{action}": "note",
    P + "/people/questions/{question_id}/{action}": "move",
}
# Routes that load no record of an organisation: another organisation's accounts reach their
# own lists here, not Riverside's.
NO_RECORD = {"/f", "/f/language", "/f/workshops", "/f/accounts", "/f/organisations"}
NO_RECORD |= {"/f/programmes"}
POWER_OF = {RUN: Power.RUN, DESK: Power.DESK, CONTACT: Power.CONTACTS, ACCOUNTS: Power.ACCOUNTS}
POWER_OF |= {ADMIN: Power.ORGANISATIONS, CONSOLE: Power.DESK}


def app_routes(app) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, "WS" for a websocket, converters left out."""
    out = []
    for route in app.routes:
        if isinstance(route, Route):
            out += [(m, route.path) for m in sorted(route.methods - {"HEAD"})]
        elif isinstance(route, WebSocketRoute):
            out.append(("WS", route.path))
        elif isinstance(route, Mount):
            out.append(("GET", route.path + "/{path}"))
    return [(m, re.sub(r":\w+}", "}", p)) for m, p in out]


def idea_route(path: str) -> bool:
    return "/ideas/" in path or path.endswith("/paper")


def fill(path: str, ids: dict, template: str) -> str:
    values = {**ids, "action": ACTIONS.get(template, "")}
    if idea_route(template):
        values["round_id"] = ids["idea_round_id"]
    return re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), path)


def last(route: tuple[str, str]) -> int:
    """Walk order: joining the workshop as a participant, so that a visitor meets the
    participants' routes as a visitor; then making the device the door tablet (which signs its
    account out); signing out last."""
    order = {("POST", "/w/{code}/join"): 1, ("POST", W + "/kiosk"): 2, ("POST", "/logout"): 3}
    return order.get(route, 0)


def expected(who: str, audience: str, template: str, workshop: str) -> tuple:
    """What ``who`` should get from a non-public route of Riverside's: ("ok",), ("login",),
    ("not found",), ("refused", message) or ("desk",). ``workshop`` is "own" or, for the
    moderator's second walk, "other" (a Riverside workshop that is not theirs)."""
    if who in ("anonymous", "phone"):
        return ("login",)
    outsider = who in ("other organiser", "administrator")
    if outsider and template not in NO_RECORD:
        return ("not found",)
    if audience == SIGNED_IN:
        return ("ok",)
    if audience == ADMIN:
        return ("ok",) if who == "administrator" else ("refused", REFUSED[Power.ORGANISATIONS])
    if audience == ACCOUNTS:
        ok = who in ("organiser", "other organiser", "administrator")
        return ("ok",) if ok else ("refused", REFUSED[Power.ACCOUNTS])
    if audience == CONTACT:
        return ("ok",) if who == "organiser" else ("refused", REFUSED[Power.CONTACTS])
    if who != "moderator":
        return ("ok",)
    if audience == RUN:
        return ("refused", REFUSED[Power.RUN])
    if workshop == "other":
        return ("refused", REFUSED[Power.DESK])
    return ("desk",) if audience == CONSOLE else ("ok",)


def outcome(method: str, status: int, location: str, text: str) -> tuple:
    """What a response amounts to, in the terms of ``expected``."""
    if status == 303 and location.startswith("/login") and method == "GET":
        return ("login",)
    if status == 403 and SIGN_IN in text:
        return ("login",)
    if status == 404:
        return ("not found",)
    if status == 403:
        refused = [m for m in REFUSED.values() if m in text]
        return ("refused", refused[0] if refused else text[-300:])
    if method == "GET" and status == 303 and location.endswith("/desk"):
        return ("desk",)
    if method == "GET" and status != 200:
        return ("unexpected", status)
    return ("ok",)


@pytest.fixture
async def two_organisations(app) -> World:
    """Riverside, Hillside and the host federation with their accounts and what they keep
    (tests/web/organisations.py)."""
    return await build(app)


async def walk(app, world: World, who: str, workshop: str = "own") -> dict:
    """Send every route once as ``who``; returns what each answered, by (method, template)."""
    client, token = await walker(who, lambda: new_client(app), world)
    ids = dict(world.ids)
    if workshop == "other":
        ids["workshop_id"] = ids["other_workshop_id"]
    answers = {}
    routes = sorted(app_routes(app), key=last)
    try:
        for method, template in routes:
            url = fill(template + QUERIES.get(template, ""), ids, template)
            if method == "WS":
                answers[(method, template)] = await handshake(app, url, client)
                continue
            if method == "GET":
                response = await client.get(url)
            else:
                form = {k: fill(v, ids, template) for k, v in FORMS.get(template, {}).items()}
                response = await client.post(url, data={"csrf": token, **form})
                if response.headers.get("location") == "/kiosk":
                    # The device became the door tablet: its account is signed out and its
                    # session, with the form token, begins again.
                    token = csrf_of((await client.get("/kiosk")).text)
            answers[(method, template)] = response
    finally:
        await client.aclose()
    return answers


def body(answer) -> str:
    return answer if isinstance(answer, str) else html.unescape(answer.text)


def test_the_policy_names_every_route_of_the_app(app):
    routes = app_routes(app)
    assert len(routes) == len(set(routes))
    assert set(routes) == set(POLICY), {
        "routes without a policy": sorted(set(routes) - set(POLICY)),
        "policies without a route": sorted(set(POLICY) - set(routes)),
    }
    assert {k for k, v in POLICY.items() if v == PUBLIC} == set(PUBLIC_STATUS)


def judge(who: str, answers: dict, workshop: str = "own") -> list[str]:
    """Every route whose answer is not what ``who`` should get."""
    wrong = []
    for (method, template), answer in answers.items():
        audience = POLICY[(method, template)]
        if audience == PUBLIC:
            want = PUBLIC_STATUS[(method, template)][who == "phone"]
            got = answer.split(":", 1)[0] if isinstance(answer, str) else answer.status_code
        elif method == "WS":
            rule = expected(who, audience, template, workshop)
            want = "accepted" if rule in (("ok",), ("desk",)) else "refused"
            got = answer.split(":", 1)[0]
        else:
            want = expected(who, audience, template, workshop)
            got = outcome(
                method, answer.status_code, answer.headers.get("location", ""), body(answer)
            )
        if got != want:
            wrong.append(f"{method} {template}: wanted {want}, got {got}")
    return wrong


@pytest.mark.parametrize("who", list(WALKERS))
async def test_each_role_gets_exactly_what_it_may_on_every_route(app, two_organisations, who):
    answers = await walk(app, two_organisations, who)
    assert judge(who, answers) == []
    seen = "\n".join(body(a) for a in answers.values())
    # Public pages (a programme's "You said, we did", a join page) show their titles to anyone.
    private = "\n".join(body(a) for k, a in answers.items() if POLICY[k] != PUBLIC)
    shown = {c for c in CONTACTS if c in seen}
    if who == "organiser":
        # The draw's page names everyone in the pool; it and the panel's file give the drawn
        # volunteers' email, phone and household.
        assert {v[0] for v in VOLUNTEERS} <= shown
        assert {"ada.riverside@example.org", "07700 900101", "4 Quay Street"} <= shown
    else:
        assert shown == set(), f"{who} saw contact details: {sorted(shown)}"
    if who in ("organiser", "facilitator", "moderator"):
        assert not [m for m in HILLSIDE if m in private], who
    if who in ("other organiser", "administrator"):
        assert not [m for m in RIVERSIDE if m in private], who


async def test_a_moderator_gets_nothing_of_another_workshop_of_their_organisation(
    app, two_organisations
):
    answers = await walk(app, two_organisations, "moderator", workshop="other")
    mine = {k: v for k, v in answers.items() if k[1].startswith(W)}
    assert len(mine) == len([k for k in POLICY if k[1].startswith(W)])
    assert judge("moderator", mine, workshop="other") == []


async def test_lists_show_only_the_organisations_own_records(app, two_organisations):
    lists = {
        "organiser": {"/f": (RIVERSIDE[:2], HILLSIDE), "/f/programmes": (RIVERSIDE[2:3], ())},
        "facilitator": {"/f": (RIVERSIDE[:2], ()), "/f/programmes": (RIVERSIDE[2:3], ())},
        "moderator": {"/f": (RIVERSIDE[:1], RIVERSIDE[1:2])},
        "other organiser": {"/f": (HILLSIDE[:1], ()), "/f/programmes": (HILLSIDE[1:2], ())},
    }
    for who, pages in lists.items():
        client, _token = await walker(who, lambda: new_client(app), two_organisations)
        try:
            for path, (present, absent) in pages.items():
                text = (await client.get(path)).text
                assert all(t in text for t in present), (who, path)
                assert not [t for t in absent if t in text], (who, path)
                assert not [t for t in RIVERSIDE + HILLSIDE if t not in present and t in text], (
                    who,
                    path,
                )
        finally:
            await client.aclose()
