"""Who may do what: facilitator routes refuse strangers, every change needs its CSRF token, one
workshop's residents cannot vote in another, user text is escaped everywhere, and size limits."""

from __future__ import annotations

import asyncio
import csv
import html
import io
import json
import re

import httpx
import pytest
from starlette.routing import Mount, Route, WebSocketRoute
from websockets.exceptions import InvalidStatus

from facilitation import create_app
from facilitation.core.models import Role
from facilitation.panel.setup import Setup
from facilitation.people.rules import Volunteer
from facilitation.settings import Settings
from tests.conftest import new_client
from tests.helpers import (
    PASSWORD,
    Facilitator,
    Phone,
    browser_socket,
    csrf_of,
    db_rows,
    quick_hash,
)

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
WAIT = 15.0


def fill(path: str, values: dict[str, object]) -> str:
    """A route's path with its parameters filled in."""
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: str(values[m.group(1)]), path)


@pytest.fixture
async def setup(app, facilitator):
    """A workshop with two options, a draft round, an open one, and a closed idea round holding
    two ideas a phone sent (the first approved, the second waiting)."""
    workshop_id, code = await facilitator.create_workshop("Green spaces")
    a = await facilitator.add_option(workshop_id, "Benches")
    b = await facilitator.add_option(workshop_id, "Lighting")
    draft = await facilitator.create_round(workshop_id, "Later", [a, b])
    opened = await facilitator.create_round(workshop_id, "Now", [a, b])
    idea_round = await facilitator.create_round(
        workshop_id, "What is missing?", [], kind="ideas", categories="Green\nSafety"
    )
    await facilitator.round_action(workshop_id, idea_round, "open")
    async with new_client(app) as device:
        phone = Phone(device)
        await phone.join(code)
        for text in ("More trees", "Brighter paths"):
            sent = await phone.send_http(idea_round, {"text": text, "category": "Green"})
            assert 'data-state="saved"' in sent.text, sent.text
    ideas = [i.id for i in await app.state.store.ideas.ideas(idea_round)]
    await facilitator.post(
        f"/f/workshops/{workshop_id}/rounds/{idea_round}/ideas/{ideas[0]}/approve"
    )
    await facilitator.round_action(workshop_id, idea_round, "close")
    await facilitator.round_action(workshop_id, opened, "open")
    plans = app.state.plans
    workshop = await app.state.store.workshops.workshop(workshop_id)
    programme = await plans.create_programme({"title": "Estate plan"}, workshop.organisation_id)
    await app.state.store.plans.set_workshop_programme(workshop_id, programme.id)
    need = await plans.add_need(programme, {"title": "Benches"})
    action = await plans.save_action(programme, {"what": "Order benches", "who": "staff"})
    question = await app.state.store.profiles.add_profile_question(
        programme.id, "Tenure", ["Renter", "Owner"]
    )
    renter = question.choices[0].id
    pool = await app.state.store.pools.add_pool(
        programme.id,
        "Letters",
        [Volunteer(0, 0, "Ada", answers={question.id: renter}), Volunteer(0, 0, "Bob")],
    )
    panel = await app.state.store.pools.save_panel(pool.id, 1, "1", [], False, {"panel": [1]})
    spare = await app.state.store.users.create_user(
        "spare", "not a real hash", role=Role.FACILITATOR
    )
    kiosk, _token = await app.state.store.kiosks.unlock(workshop_id)
    joined = await app.state.store.workshops.participants(workshop_id)
    volunteers = await app.state.store.pools.volunteers(pool.id)
    lotteries = app.state.lotteries
    commitment_id = await lotteries.commit(await lotteries.data(pool), Setup(1, 0, False, {}), 100)
    await app.state.store.recruitment.invite(
        programme.id, "Invited", "1", 1, [("1 Elm Road", "an-invitation")]
    )
    return {
        "user_id": spare.id,
        "kiosk_id": kiosk.id,
        "participant_id": joined[0].id,
        "volunteer_id": volunteers[0].id,
        "commitment_id": commitment_id,
        "token": "an-invitation",
        "version": "0",
        "question_id": question.id,
        "pool_id": pool.id,
        "panel_id": panel.id,
        "programme_id": programme.id,
        "slug": programme.slug,
        "need_id": need.id,
        "action_id": action.id,
        "workshop_id": workshop_id,
        "code": code,
        "option_id": a,
        "options": (a, b),
        "round_id": draft,
        "open_round": opened,
        "idea_round": idea_round,
        "idea_id": ideas[0],
        "ideas": tuple(ideas),
    }


@pytest.fixture
async def stranger(app):
    """A browser that has visited the site (so it has a cookie and a CSRF token), not signed in."""
    async with new_client(app) as device:
        home = await device.get("/")
        device.headers["X-CSRF-Token"] = csrf_of(home.text)
        yield device


# -- facilitator routes refuse strangers -----------------------------------------------------------


def facilitator_routes(app) -> list[tuple[str, str]]:
    out = []
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/f"):
            out.extend((method, route.path) for method in sorted(route.methods - {"HEAD"}))
    return out


def route_values(setup: dict, path: str, action: str) -> dict:
    """What fills a facilitator route's path: an idea route gets the idea round and its idea."""
    if "/ideas/" in path:
        return {**setup, "round_id": setup["idea_round"], "action": "approve"}
    return {**setup, "action": action}


async def test_every_facilitator_route_refuses_a_stranger(app, setup, stranger, settings):
    routes = facilitator_routes(app)
    assert len(routes) >= 15, routes
    before = db_rows(settings.database)
    for method, path in routes:
        url = fill(path, route_values(setup, path, "open"))
        if method == "GET":
            response = await stranger.get(url)
            assert response.status_code == 303, url
            assert response.headers["location"].startswith("/login"), url
        else:
            assert method == "POST", (method, path)
            response = await stranger.post(url, data={"title": "x", "direction": "up"})
            assert response.status_code == 403, url
            assert "Please sign in as a facilitator first." in response.text, url
    assert db_rows(settings.database) == before


async def test_a_resident_is_a_stranger_to_the_facilitator_routes(app, setup, stranger):
    await Phone(stranger).join(setup["code"])
    for method, path in facilitator_routes(app):
        url = fill(path, route_values(setup, path, "close"))
        response = await (stranger.get(url) if method == "GET" else stranger.post(url))
        assert response.status_code == (303 if method == "GET" else 403), url


async def test_the_login_page_only_redirects_within_the_site(app, client):
    await app.state.store.users.create_user("facilitator", quick_hash())
    for target in ("//evil.example/", "http://evil.example/", "/\\evil.example"):
        page = await client.get("/login")
        response = await client.post(
            "/login",
            data={
                "csrf": csrf_of(page.text),
                "username": "facilitator",
                "password": PASSWORD,
                "next": target,
            },
        )
        location = response.headers["location"]
        assert location.startswith("/"), location
        assert not location.startswith(("//", "/\\")), location


async def test_the_cookie_is_http_only_and_same_site(client):
    response = await client.get("/")
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("facilitation=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


# -- CSRF ------------------------------------------------------------------------------------------

# Every state-changing POST: (path, what it needs filled in, who sends it, form fields).
POSTS = [
    ("/login", {}, "anyone", {"username": "facilitator", "password": "a long test password"}),
    ("/logout", {}, "facilitator", {}),
    ("/join", {}, "anyone", {"code": "{code}"}),
    ("/w/{code}/join", {}, "anyone", {"name": "Ann"}),
    (
        "/w/{code}/ballot",
        {},
        "phone",
        {"round_id": "{open_round}", "client_id": "csrf-test-0001", "dots-{option_id}": "1"},
    ),
    ("/f/workshops", {}, "facilitator", {"title": "Another"}),
    (
        "/f/accounts",
        {},
        "facilitator",
        {"username": "newbie", "password": PASSWORD, "role": "facilitator"},
    ),
    ("/f/accounts/{user_id}/role", {}, "facilitator", {"role": "organiser"}),
    ("/f/accounts/{user_id}/password", {}, "facilitator", {"password": PASSWORD + " new"}),
    ("/f/accounts/{user_id}/remove", {}, "facilitator", {}),
    (
        "/f/organisations",
        {},
        "facilitator",
        {"name": "Hillside Trust", "username": "olga", "password": PASSWORD},
    ),
    ("/f/workshops/{workshop_id}/edit", {}, "facilitator", {"title": "Renamed"}),
    ("/f/workshops/{workshop_id}/options", {}, "facilitator", {"title": "Trees"}),
    (
        "/f/workshops/{workshop_id}/options/{option_id}/{action}",
        {"action": "edit"},
        "facilitator",
        {"title": "Wooden benches"},
    ),
    (
        "/f/workshops/{workshop_id}/options/{option_id}/{action}",
        {"action": "move"},
        "facilitator",
        {"direction": "down"},
    ),
    (
        "/f/workshops/{workshop_id}/options/{option_id}/{action}",
        {"action": "remove"},
        "facilitator",
        {},
    ),
    (
        "/f/workshops/{workshop_id}/options/{option_id}/{action}",
        {"action": "restore"},
        "facilitator",
        {},
    ),
    (
        "/f/workshops/{workshop_id}/options/{option_id}/{action}",
        {"action": "picture-remove"},
        "facilitator",
        {},
    ),
    ("/f/workshops/{workshop_id}/options/{option_id}/picture", {}, "facilitator", {"x": "1"}),
    (
        "/f/workshops/{workshop_id}/rounds",
        {},
        "facilitator",
        {"title": "Third", "options": ["{options[0]}", "{options[1]}"]},
    ),
    (
        "/f/workshops/{workshop_id}/rounds/{round_id}/{action}",
        {"action": "edit"},
        "facilitator",
        {"title": "Renamed", "options": ["{options[0]}", "{options[1]}"]},
    ),
    (
        "/f/workshops/{workshop_id}/rounds/{round_id}/{action}",
        {"action": "open"},
        "facilitator",
        {},
    ),
    ("/f/workshops/{workshop_id}/rounds/{open_round}/close", {}, "facilitator", {}),
    ("/f/programmes", {}, "facilitator", {"title": "Another plan"}),
    ("/f/programmes/{programme_id}/edit", {}, "facilitator", {"title": "Renamed plan"}),
    (
        "/f/programmes/{programme_id}/workshops",
        {},
        "facilitator",
        {"workshop_id": "{workshop_id}", "remove": "1"},
    ),
    ("/f/programmes/{programme_id}/needs", {}, "facilitator", {"title": "Trees"}),
    ("/f/programmes/{programme_id}/needs/from-options", {}, "facilitator", {}),
    (
        "/f/programmes/{programme_id}/needs/{need_id}/{action}",
        {"action": "edit"},
        "facilitator",
        {"title": "Seats"},
    ),
    (
        "/f/programmes/{programme_id}/needs/{need_id}/{action}",
        {"action": "link"},
        "facilitator",
        {"option_id": "{option_id}"},
    ),
    (
        "/f/programmes/{programme_id}/needs/{need_id}/{action}",
        {"action": "override"},
        "facilitator",
        {"score": "1", "reason": "Urgent"},
    ),
    (
        "/f/programmes/{programme_id}/needs/{need_id}/{action}",
        {"action": "status"},
        "facilitator",
        {"status": "done"},
    ),
    ("/f/programmes/{programme_id}/actions", {}, "facilitator", {"what": "Paint", "who": "staff"}),
    (
        "/f/programmes/{programme_id}/actions/{action_id}/{action}",
        {"action": "edit"},
        "facilitator",
        {"what": "Paint", "who": "staff"},
    ),
    (
        "/f/programmes/{programme_id}/actions/{action_id}/{action}",
        {"action": "note"},
        "facilitator",
        {"note": "Begun"},
    ),
    (
        "/f/workshops/{workshop_id}/rounds/{round_id}/{action}",
        {"action": "reveal"},
        "facilitator",
        {},
    ),
    (
        "/f/workshops/{workshop_id}/rounds/{round_id}/{action}",
        {"action": "hide"},
        "facilitator",
        {},
    ),
    (
        "/f/workshops/{workshop_id}/rounds/{round_id}/{action}",
        {"action": "delete"},
        "facilitator",
        {},
    ),
    ("/f/programmes/{programme_id}/needs/import", {}, "facilitator", {"file": "title\nTrees"}),
    ("/f/workshops/{workshop_id}/options/import", {}, "facilitator", {"file": "title\nTrees"}),
    ("/f/workshops/{workshop_id}/programme", {}, "facilitator", {"programme_id": ""}),
    ("/f/workshops/{workshop_id}/rounds/{idea_round}/ideas/approve-all", {}, "facilitator", {}),
    (
        "/f/workshops/{workshop_id}/rounds/{idea_round}/ideas/merge",
        {},
        "facilitator",
        {"ideas": ["{ideas[0]}", "{ideas[1]}"]},
    ),
    ("/f/workshops/{workshop_id}/rounds/{idea_round}/ideas/to-options", {}, "facilitator", {}),
    *(
        (
            "/f/workshops/{workshop_id}/rounds/{idea_round}/ideas/{idea_id}/{action}",
            {"action": action},
            "facilitator",
            {"text": "Plant more trees", "category": "Green"} if action == "edit" else {},
        )
        for action in ("approve", "hide", "pending", "edit")
    ),
    (
        "/f/workshops/{workshop_id}/rounds/{open_round}/paper",
        {},
        "facilitator",
        {"label": "Sheet 1", "client_id": "csrf-paper-0001", "dots-{option_id}": "1"},
    ),
    ("/w/{code}/about", {}, "phone", {"action": "skip"}),
    (
        "/f/programmes/{programme_id}/people/questions",
        {},
        "facilitator",
        {"label": "Age", "choices": "Under 40\n40 and over"},
    ),
    (
        "/f/programmes/{programme_id}/people/questions/{question_id}/{action}",
        {"action": "edit"},
        "facilitator",
        {"label": "Home"},
    ),
    (
        "/f/programmes/{programme_id}/people/makeup/import",
        {},
        "facilitator",
        {"file": "question,answer,amount\nTenure,Renter,60"},
    ),
    ("/f/workshops/{workshop_id}/room-on-board", {}, "facilitator", {"on": "1"}),
    ("/f/workshops/{workshop_id}/kiosk", {}, "facilitator", {}),
    ("/f/workshops/{workshop_id}/kiosks/{kiosk_id}/lock", {}, "facilitator", {}),
    ("/kiosk/new", {}, "anyone", {}),
    ("/kiosk/done", {}, "anyone", {}),
    (
        "/f/programmes/{programme_id}/panels/import",
        {},
        "facilitator",
        {"file": "name,Tenure\nCy,Owner"},
    ),
    (
        "/f/programmes/{programme_id}/panels/{pool_id}/draw",
        {},
        "facilitator",
        {"seats": "1", "seed": "4 2"},
    ),
    ("/f/programmes/{programme_id}/panels/{pool_id}/delete", {}, "facilitator", {"confirm": "yes"}),
    (
        "/f/programmes/{programme_id}/panels/{pool_id}/cancel",
        {},
        "facilitator",
        {"job": "a-page-job"},
    ),
    (
        "/f/workshops/{workshop_id}/people/{participant_id}/erase",
        {},
        "facilitator",
        {"confirm": "yes"},
    ),
    (
        "/f/programmes/{programme_id}/panels/{pool_id}/people/{volunteer_id}/erase",
        {},
        "facilitator",
        {"confirm": "yes"},
    ),
    (
        "/f/programmes/{programme_id}/panels/{pool_id}/commit",
        {},
        "facilitator",
        {"seats": "1", "m": "100"},
    ),
    (
        "/f/programmes/{programme_id}/panels/{pool_id}/commitments/{commitment_id}/draw",
        {},
        "facilitator",
        {"value": "4 2"},
    ),
    (
        "/f/programmes/{programme_id}/panels/invite",
        {},
        "facilitator",
        {"addresses": "1 Oak Road", "count": "1", "seed": "4 2"},
    ),
    (
        "/f/programmes/{programme_id}/panels/{pool_id}/draws/{panel_id}/steps",
        {},
        "facilitator",
        {"action": "confirm", "volunteer": "1"},
    ),
    ("/r/{token}", {}, "visitor", {"name": "Cy", "email": "cy@example.org", "consent": "yes"}),
    ("/f/workshops/{workshop_id}/health-check", {}, "facilitator", {}),
    (
        "/f/programmes/{programme_id}/health-check",
        {},
        "facilitator",
        {
            f"statement_{d}": f"About {d}"
            for d in ("power", "accountability", "connection", "trust")
        },
    ),
    ("/language", {}, "anyone", {"lang": "pl", "next": "/"}),
    ("/f/language", {}, "facilitator", {"lang": "pl", "next": "/f"}),
    ("/f/workshops/{workshop_id}/languages", {}, "facilitator", {"main": "en"}),
    ("/f/workshops/{workshop_id}/translations", {}, "facilitator", {"lang": "ar"}),
    ("/f/programmes/{programme_id}/translations", {}, "facilitator", {"lang": "ar"}),
]


def post_id(case) -> str:
    path, extra, _who, _form = case
    return fill(path, {**extra, **{k: k for k in re.findall(r"{(\w+)", path) if k not in extra}})


def test_the_csrf_table_covers_every_post_route(app):
    posted = {
        route.path.replace(":int", "")
        for route in app.routes
        if isinstance(route, Route) and "POST" in (route.methods or ())
    }
    covered = {
        re.sub(
            r"{(open|idea)_round}",
            "{round_id}",
            p.replace("{open_round}/close", "{round_id}/{action}"),
        )
        for p, *_ in POSTS
    }
    assert posted <= covered, posted - covered


@pytest.mark.parametrize("case", POSTS, ids=[post_id(c) for c in POSTS])
async def test_a_post_without_the_right_csrf_token_is_refused_and_changes_nothing(
    app, setup, facilitator, settings, case
):
    path, extra, who, form = case
    values = {**setup, **extra}
    url = fill(path, values)
    data = {
        k.format(**values): [v.format(**values) for v in val]
        if isinstance(val, list)
        else val.format(**values)
        for k, val in form.items()
    }
    async with new_client(app) as device:
        if who == "facilitator":
            sender = facilitator.client
        elif who == "phone":
            sender = device
            await Phone(device).join(setup["code"])
        else:
            sender = device
            await device.get("/")
        before = db_rows(settings.database)
        for token in ({}, {"csrf": "not-the-token"}, {"csrf": ""}):
            response = await sender.post(url, data={**data, **token})
            assert response.status_code == 403, token
            assert "This page had expired, so nothing was changed." in html.unescape(response.text)
            assert db_rows(settings.database) == before
        if who == "facilitator":
            assert (await sender.get("/f")).status_code == 200, "still signed in"
        if path == "/login":
            assert (await sender.get("/f")).status_code == 303, "not signed in"


async def test_a_wrong_csrf_header_from_htmx_is_refused(setup, facilitator, settings):
    before = db_rows(settings.database)
    response = await facilitator.client.post(
        f"/f/workshops/{setup['workshop_id']}/options",
        data={"title": "Trees"},
        headers={"HX-Request": "true", "X-CSRF-Token": "not-the-token"},
    )
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#flash"
    assert db_rows(settings.database) == before


async def test_the_csrf_header_htmx_sends_is_accepted(setup, facilitator):
    response = await facilitator.client.post(
        f"/f/workshops/{setup['workshop_id']}/options",
        data={"title": "Trees"},
        headers={"HX-Request": "true", "X-CSRF-Token": facilitator.token},
    )
    assert response.status_code == 200
    assert "<strong>Trees</strong>" in response.text


# -- one workshop's residents cannot vote in another -----------------------------------------------


@pytest.fixture
async def two_workshops(facilitator):
    """Two workshops, each with an open dot round: [(id, code, round id, options), ...]."""
    made = []
    for title in ("Estate A", "Estate B"):
        workshop_id, code = await facilitator.create_workshop(title)
        options = [await facilitator.add_option(workshop_id, t) for t in ("Benches", "Lighting")]
        round_id = await facilitator.create_round(workshop_id, "Priorities", options)
        await facilitator.round_action(workshop_id, round_id, "open")
        made.append((workshop_id, code, round_id, options))
    return made


async def test_a_resident_of_one_workshop_cannot_vote_in_another_over_http(
    app, two_workshops, settings
):
    (_a_id, a_code, _a_round, _a_opts), (_b_id, b_code, b_round, b_opts) = two_workshops
    async with new_client(app) as device:
        phone = Phone(device)
        await phone.join(a_code)
        phone.token = csrf_of((await device.get(f"/w/{a_code}")).text)
        before = db_rows(settings.database)
        # B's ballot address, with A's place: no place in B.
        phone.code = b_code
        response = await phone.vote_http(b_round, {b_opts[0]: 1})
        assert response.status_code == 404
        # A's ballot address, with B's round: that round is not in A.
        phone.code = a_code
        response = await phone.vote_http(b_round, {b_opts[0]: 1})
        assert response.status_code == 404
        assert db_rows(settings.database) == before


# -- escaping --------------------------------------------------------------------------------------


@pytest.fixture
async def hostile(app, facilitator):
    """A workshop whose every text field holds markup or a formula, with one vote cast."""
    workshop_id, code = await facilitator.create_workshop(SCRIPT, place=SCRIPT)
    evil = await facilitator.add_option(workshop_id, SCRIPT, SCRIPT)
    formula = await facilitator.add_option(workshop_id, "=cmd|' /C calc'!A0")
    plus = await facilitator.add_option(workshop_id, "+1+1")
    round_id = await facilitator.create_round(workshop_id, SCRIPT, [evil, formula, plus])
    device = new_client(app)
    phone = Phone(device)
    await phone.join(code, SCRIPT)
    waiting = await device.get(f"/w/{code}")
    await facilitator.round_action(workshop_id, round_id, "open")
    phone.token = csrf_of((await device.get(f"/w/{code}")).text)
    saved = await phone.vote_http(round_id, {evil: 3, formula: 1, plus: 1})
    assert 'data-state="saved"' in saved.text
    yield {
        "workshop_id": workshop_id,
        "code": code,
        "round_id": round_id,
        "device": device,
        "waiting": waiting.text,
        "options": (evil, formula, plus),
    }
    await device.aclose()


def assert_escaped(page: str) -> None:
    assert SCRIPT not in page
    assert ESCAPED in page


async def test_markup_is_escaped_on_the_phone(hostile):
    assert_escaped(hostile["waiting"])  # the display name, on the welcome screen
    assert f"Welcome, {ESCAPED}" in hostile["waiting"]
    page = (await hostile["device"].get(f"/w/{hostile['code']}")).text
    assert_escaped(page)  # the option and round titles, on the ballot
    assert f'<h2 id="opt-{hostile["options"][0]}" dir="auto">{ESCAPED}</h2>' in page


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/board",
        "/rounds/{round_id}",
        "/rounds/{round_id}/edit",
        "/rounds/{round_id}/paper",
        "/summary",
        "/qr",
    ],
)
async def test_markup_is_escaped_on_the_facilitator_pages(facilitator, hostile, path):
    if path == "/summary":
        await facilitator.round_action(hostile["workshop_id"], hostile["round_id"], "close")
    url = f"/f/workshops/{hostile['workshop_id']}" + path.format(**hostile)
    page = await facilitator.client.get(url)
    assert page.status_code == 200
    assert_escaped(page.text)


async def test_markup_is_escaped_in_the_stage_fragment(hostile):
    response = await hostile["device"].get(f"/w/{hostile['code']}/stage")
    assert_escaped(response.text)


async def test_exports_keep_markup_as_text_and_neutralise_formulas(facilitator, hostile):
    evil, formula, plus = hostile["options"]
    base = f"/f/workshops/{hostile['workshop_id']}/export"
    for name in ("results.csv", "ballots.csv"):
        response = await facilitator.client.get(f"{base}/{name}")
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers["content-disposition"].startswith("attachment;")
        rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
        titles = {int(r["option_id"]): r["option"] for r in rows}
        assert titles[evil] == SCRIPT
        assert titles[formula] == "'=cmd|' /C calc'!A0"
        assert titles[plus] == "'+1+1"
        assert {r["round"] for r in rows} == {SCRIPT}
        assert ESCAPED not in response.text
    response = await facilitator.client.get(f"{base}/workshop.json")
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"].startswith("attachment;")
    data = json.loads(response.text)
    assert data["workshop"]["title"] == SCRIPT
    titles = {o["id"]: o["title"] for o in data["options"]}
    assert titles[evil] == SCRIPT
    assert titles[formula] == "=cmd|' /C calc'!A0"
    assert data["rounds"][0]["title"] == SCRIPT


# -- sizes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_an_oversized_body_is_refused_with_413(setup, facilitator, settings, framing):
    body = ("csrf=" + facilitator.token + "&title=" + "x" * settings.max_body_bytes).encode()

    async def chunks():
        for start in range(0, len(body), 16384):
            yield body[start : start + 16384]

    before = db_rows(settings.database)
    response = await facilitator.client.post(
        f"/f/workshops/{setup['workshop_id']}/options",
        content=body if framing == "content-length" else chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    if framing == "chunked":  # a declared length is refused before the app sees the request
        assert "That was too much to send at once." in response.text
    assert db_rows(settings.database) == before


# -- the same rules on real websockets -------------------------------------------------------------


async def live_workshop(facilitator: Facilitator, title: str = "Green spaces", option=None):
    workshop_id, code = await facilitator.create_workshop(title)
    options = [await facilitator.add_option(workshop_id, t) for t in (option or "Benches", "Trees")]
    round_id = await facilitator.create_round(workshop_id, title, options)
    await facilitator.round_action(workshop_id, round_id, "open")
    return workshop_id, code, round_id, options


@pytest.mark.parametrize("visitor", ["no-cookie", "visited-home-page", "resident"])
async def test_every_facilitator_websocket_refuses_a_stranger(app, live_room, visitor):
    sockets = [
        r.path for r in app.routes if isinstance(r, WebSocketRoute) and r.path.startswith("/f")
    ]
    assert len(sockets) >= 2, sockets
    facilitator, client = live_room.facilitator, live_room.client
    workshop_id, code, _round, _options = await live_workshop(facilitator)
    device = client()
    if visitor == "visited-home-page":
        await device.get("/")
    elif visitor == "resident":
        await Phone(device).join(code)
    for path in sockets:
        url = fill(path, {"workshop_id": workshop_id})
        with pytest.raises(InvalidStatus) as refused:
            async with browser_socket(live_room.server.ws_url, url, device):
                pass
        assert refused.value.response.status_code == 403, url
    for path in sockets:  # the same sockets open for the facilitator
        url = fill(path, {"workshop_id": workshop_id})
        async with browser_socket(live_room.server.ws_url, url, facilitator.client) as ws:
            assert f"-{workshop_id}" in await asyncio.wait_for(ws.recv(), WAIT)


async def test_a_resident_of_one_workshop_cannot_vote_in_another_over_websockets(live_room):
    facilitator, client = live_room.facilitator, live_room.client
    a_id, a_code, _a_round, _a_opts = await live_workshop(facilitator, "Estate A")
    b_id, b_code, b_round, b_opts = await live_workshop(facilitator, "Estate B")
    phone = Phone(client(), ws_base=live_room.server.ws_url)
    await phone.join(a_code)

    phone.code = b_code
    with pytest.raises(InvalidStatus) as refused:
        async with phone.socket():
            pass
    assert refused.value.response.status_code == 403

    phone.code = a_code
    async with phone.socket() as ws:
        await asyncio.wait_for(ws.recv(), WAIT)
        await ws.send(Phone.ballot_message(b_round, {b_opts[0]: 1}))
        reply = await asyncio.wait_for(ws.recv(), WAIT)
    assert 'data-state="error"' in reply
    for workshop_id in (a_id, b_id):
        ballots = await facilitator.client.get(f"/f/workshops/{workshop_id}/export/ballots.csv")
        assert ballots.text.strip().count("\n") == 0, "no ballot was stored anywhere"


async def test_markup_is_escaped_in_pushed_fragments(live_room):
    facilitator, client = live_room.facilitator, live_room.client
    workshop_id, code, round_id, (evil, _trees) = await live_workshop(
        facilitator, SCRIPT, option=SCRIPT
    )
    phone = Phone(client(), ws_base=live_room.server.ws_url)
    await phone.join(code, SCRIPT)
    board_path = f"/f/workshops/{workshop_id}/board/ws"
    async with browser_socket(live_room.server.ws_url, board_path, facilitator.client) as board:
        assert_escaped(await asyncio.wait_for(board.recv(), WAIT))
        async with phone.socket() as ws:
            stage = await asyncio.wait_for(ws.recv(), WAIT)
            assert_escaped(stage)
            await ws.send(Phone.ballot_message(round_id, {evil: 3}))
            assert 'data-state="saved"' in await asyncio.wait_for(ws.recv(), WAIT)

        async def pushed() -> str:
            while 'data-ballots="1"' not in (message := await board.recv()):
                pass
            return message

        update = await asyncio.wait_for(pushed(), WAIT)
    assert_escaped(update)
    assert f'data-option="{evil}" data-score="3"' in update


# -- security headers ------------------------------------------------------------------------------


def every_route(app) -> list[tuple[str, str]]:
    """(method, path) for every route of the app and one file under each mount."""
    out = []
    for route in app.routes:
        if isinstance(route, Route):
            out.extend((method, route.path) for method in sorted(route.methods - {"HEAD"}))
        elif isinstance(route, Mount):
            out.append(("GET", route.path + "/app.css"))
    return out


def assert_secure_headers(response, path: str) -> None:
    """The headers the README promises, on one response."""
    headers = response.headers
    policy = dict(
        part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";")
    )
    assert policy["script-src"] == "'self'", path
    assert policy["style-src"] == "'self'", path
    assert policy["object-src"] == "'none'", path
    assert policy["base-uri"] == "'none'", path
    embeddable = re.fullmatch(r"/p/[^/]+", path) is not None
    assert policy["frame-ancestors"] == ("*" if embeddable else "'none'"), path
    assert headers.get("x-frame-options") == (None if embeddable else "DENY"), path
    assert headers["x-content-type-options"] == "nosniff", path
    assert headers["referrer-policy"] == "same-origin", path
    if path.startswith("/static/"):
        assert "no-store" not in headers.get("cache-control", ""), path
    else:
        assert headers["cache-control"] == "no-store", path


async def test_every_route_answers_with_the_security_headers(app, setup, facilitator):
    routes = every_route(app)
    assert len(routes) > 75
    pool = f"/f/programmes/{setup['programme_id']}/panels/{setup['pool_id']}"
    drawn = await facilitator.post(pool + "/draw", {"seats": "1", "seed": "4 2"})
    panel_id = int(drawn.headers["location"].rsplit("/", 1)[1])
    values = {**setup, "panel_id": panel_id, "version": "0"}  # a picture that is not there
    async with new_client(app) as device, new_client(app) as anyone:
        phone = Phone(device)
        await phone.join(setup["code"])
        for method, path in routes:
            url = fill(path, route_values(values, path, "open"))
            who = facilitator.client if path.startswith("/f") else device
            if path.startswith(("/login", "/p/", "/healthz", "/metrics", "/static")):
                who = anyone
            response = await (who.get(url) if method == "GET" else who.post(url))
            assert response.status_code < 500, (method, url, response.status_code)
            assert_secure_headers(response, url)
            assert "strict-transport-security" not in response.headers, url


@pytest.mark.parametrize(
    "path", ["/", "/login", "/f", "/w/NOSUCHCODE", "/no/such/page", "/static/app.css"]
)
async def test_over_https_every_answer_asks_browsers_to_stay_on_https(tmp_path, path):
    app = create_app(Settings(data_path=str(tmp_path / "https.sqlite3")))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
            response = await c.get(path)
    assert response.headers["strict-transport-security"] == "max-age=31536000"
    assert_secure_headers(response, path)
    assert "connect-src 'self' wss://testserver;" in response.headers["content-security-policy"]


async def test_through_a_trusted_proxy_https_brings_hsts_and_secure_cookies(proxied_server):
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.40.1"}
    async with httpx.AsyncClient(base_url=proxied_server.url, headers=https) as browser:
        home = await browser.get("/")
        login = await browser.get("/login")
    async with httpx.AsyncClient(base_url=proxied_server.url) as plain:
        direct = await plain.get("/")
    for response in (home, login):
        assert response.headers["strict-transport-security"] == "max-age=31536000"
        assert re.search(r";\s*secure", response.headers["set-cookie"], re.I)
        assert "connect-src 'self' wss://" in response.headers["content-security-policy"]
    assert "strict-transport-security" not in direct.headers
    assert not re.search(r";\s*secure", direct.headers["set-cookie"], re.I)


async def test_exports_are_never_stored_by_the_browser(setup, facilitator):
    base = f"/f/workshops/{setup['workshop_id']}/export"
    for name in ("results.csv", "ballots.csv", "workshop.json"):
        response = await facilitator.client.get(f"{base}/{name}")
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-disposition"].startswith("attachment;")
