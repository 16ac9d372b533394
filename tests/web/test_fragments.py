"""The fragment contract: each file in templates/fragments has one root element with a stable id,
rendered from the same context builders that pages and pushes use."""

from __future__ import annotations

import uuid
from html.parser import HTMLParser

import pytest
from starlette.requests import Request

from facilitation.web.live import status_html
from facilitation.web.views.facilitator import console_data
from facilitation.workshop import screens
from tests.conftest import new_client
from tests.helpers import ROOT, Phone

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class Roots(HTMLParser):
    """Collects the top-level elements of an HTML fragment, and any text outside them."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.roots: list[tuple[str, dict[str, str | None]]] = []
        self.stray = ""

    def handle_starttag(self, tag, attrs):
        if self.depth == 0:
            self.roots.append((tag, dict(attrs)))
        if tag not in VOID:
            self.depth += 1

    def handle_startendtag(self, tag, attrs):
        if self.depth == 0:
            self.roots.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag not in VOID:
            self.depth -= 1
            assert self.depth >= 0, f"unbalanced </{tag}>"

    def handle_data(self, data):
        if self.depth == 0:
            self.stray += data.strip()


def root_of(html: str) -> dict[str, str | None]:
    """The attributes of the fragment's single root element."""
    parser = Roots()
    parser.feed(html)
    parser.close()
    assert parser.depth == 0, "unclosed elements"
    assert parser.stray == "", f"text outside the root: {parser.stray!r}"
    assert len(parser.roots) == 1, [tag for tag, _ in parser.roots]
    return parser.roots[0][1]


class Scene:
    """A workshop in a given state, built through the real use cases."""

    def __init__(self, app) -> None:
        self.app = app
        self.store = app.state.store
        self.workshops = app.state.workshops
        self.rounds = app.state.rounds
        self.ballots = app.state.ballots
        self.renderer = app.state.renderer

    async def build(self, kind: str = "dots", state: str = "open", hidden: bool = False) -> Scene:
        user = await self.store.users.create_user(f"f-{uuid.uuid4().hex[:6]}", "not a real hash")
        self.workshop = await self.workshops.create_workshop({"title": "Green spaces"}, user.id)
        self.options = [
            await self.workshops.add_option(
                self.workshop.id, {"title": t, "description": "Why", "cost": str(cost)}
            )
            for t, cost in (("Benches", 3000), ("Lighting", 5000), ("Trees", 4000))
        ]
        self.participant = await self.ballots.join(self.workshop, "Ann")
        self.round = None
        self.ack = None
        if state == "waiting":
            return self
        form = {"title": "Priorities", "kind": kind, "options": [str(o.id) for o in self.options]}
        if hidden:
            form["hidden"] = "on"
        if kind == "budget":
            form |= {"budget": "8000", "rule": "equal_shares"}
        if kind == "ideas":
            form |= {"categories": "Safety\nGreen spaces", "options": []}
        self.round = await self.rounds.save_round(self.workshop.id, form)
        if state == "draft":
            return self
        await self.rounds.open_round(self.round)
        self.round = await self.store.rounds.round(self.round.id)
        fields = {"round_id": str(self.round.id), "client_id": "fragment-test-01"}
        if kind == "dots":
            fields |= {f"dots-{self.options[0].id}": "3", f"dots-{self.options[1].id}": "2"}
        elif kind == "budget":
            fields |= {f"pick-{self.options[0].id}": "1", f"pick-{self.options[1].id}": "1"}
        elif kind == "rating":
            fields |= {f"rate-{self.options[0].id}": "4", f"rate-{self.options[1].id}": "dk"}
        elif kind == "ideas":
            fields |= {"text": "A bench by the pond", "category": "Green spaces"}
        else:
            fields["rank"] = [str(o.id) for o in reversed(self.options)]
            fields["confirm_order"] = "yes"
        self.ack = await self.ballots.cast_ballot(self.participant, self.workshop, fields)
        if state in ("closed", "revealed"):
            await self.rounds.close_round(self.round)
        if state == "revealed":
            await self.rounds.reveal_round(await self.store.rounds.round(self.round.id), True)
        self.workshop = await self.store.workshops.workshop(self.workshop.id)
        return self

    @property
    def join_url(self) -> str:
        return self.app.state.join_url(self.workshop.code)

    async def board(self) -> str:
        ctx = await screens.board_context(self.store, self.workshop.id, self.join_url)
        return self.renderer.fragment("fragments/board.html", **ctx)

    async def stage(self, oob: bool = False) -> str:
        ctx = await screens.phone_context(
            self.store, self.workshop, self.participant, self.rounds.result, "token"
        )
        return self.renderer.fragment("fragments/stage.html", oob=oob, **ctx)

    async def console_live(self, oob: bool = False) -> str:
        ctx = await screens.console_context(self.store, self.workshop.id)
        return self.renderer.fragment("fragments/console_live.html", oob=oob, **ctx)

    async def idea_desk(self, oob: bool = False) -> str:
        ctx = await screens.console_context(self.store, self.workshop.id)
        return self.renderer.fragment("fragments/idea_desk.html", oob=oob, **ctx)

    async def desk_now(self, oob: bool = False) -> str:
        ctx = await screens.console_context(self.store, self.workshop.id)
        return self.renderer.fragment("fragments/desk_now.html", oob=oob, **ctx)

    async def console_main(self, oob: bool = False) -> str:
        request = Request({"type": "http", "app": self.app, "headers": []})
        ctx = await console_data(request, self.workshop)
        return self.renderer.fragment(
            "fragments/console_main.html", csrf_token="token", oob=oob, **ctx
        )


STATES = [
    ("dots", "waiting", False),
    ("dots", "draft", False),
    ("dots", "open", False),
    ("dots", "open", True),
    ("rank", "open", False),
    ("dots", "closed", True),
    ("rank", "revealed", True),
    ("dots", "closed", False),
    ("budget", "open", False),
    ("budget", "closed", False),
    ("rating", "open", False),
    ("rating", "revealed", True),
    ("ideas", "open", False),
    ("ideas", "closed", False),
]
STATE_IDS = ["-".join([k, s] + (["hidden"] if h else [])) for k, s, h in STATES]


@pytest.fixture(params=STATES, ids=STATE_IDS)
async def fragment_scene(request, app) -> Scene:
    kind, state, hidden = request.param
    return await Scene(app).build(kind, state, hidden)


async def test_the_board_fragment_root_is_board_and_the_workshop_id(fragment_scene):
    root = root_of(await fragment_scene.board())
    assert root["id"] == f"board-{fragment_scene.workshop.id}"


async def test_the_stage_fragment_root_is_stage_and_the_workshop_id(fragment_scene):
    html = await fragment_scene.stage()
    root = root_of(html)
    assert root["id"] == f"stage-{fragment_scene.workshop.id}"
    assert "hx-swap-oob" not in root
    assert root_of(await fragment_scene.stage(oob=True))["hx-swap-oob"] == "true"


async def test_the_console_live_fragment_root_is_console_live_and_the_workshop_id(fragment_scene):
    root = root_of(await fragment_scene.console_live())
    assert root["id"] == f"console-live-{fragment_scene.workshop.id}"
    assert root_of(await fragment_scene.console_live(oob=True))["hx-swap-oob"] == "true"


async def test_the_console_main_fragment_root_is_console_main_and_the_workshop_id(fragment_scene):
    root = root_of(await fragment_scene.console_main())
    assert root["id"] == f"console-main-{fragment_scene.workshop.id}"
    assert root_of(await fragment_scene.console_main(oob=True))["hx-swap-oob"] == "true"


async def test_the_idea_desk_fragment_root_is_idea_desk_and_the_workshop_id(fragment_scene):
    html = await fragment_scene.idea_desk()
    root = root_of(html)
    assert root["id"] == f"idea-desk-{fragment_scene.workshop.id}"
    # Present on every console so a push can fill it; hidden unless ideas are being collected.
    is_ideas = fragment_scene.round is not None and fragment_scene.round.kind == "ideas"
    assert ("hidden" in root) is not is_ideas
    assert root_of(await fragment_scene.idea_desk(oob=True))["hx-swap-oob"] == "true"


async def test_the_desk_now_fragment_root_is_desk_now_and_the_workshop_id(fragment_scene):
    html = await fragment_scene.desk_now()
    root = root_of(html)
    assert root["id"] == f"desk-now-{fragment_scene.workshop.id}"
    assert "hx-swap-oob" not in root
    assert root_of(await fragment_scene.desk_now(oob=True))["hx-swap-oob"] == "true"
    # The moderator copies paper ballots while a round is open, and has no console controls.
    rnd = fragment_scene.round and await fragment_scene.store.rounds.round(fragment_scene.round.id)
    is_open = rnd is not None and rnd.status.value == "open"
    assert ("/paper" in html) is is_open
    assert "/close" not in html and "/reveal" not in html


async def test_the_desk_pushed_to_a_moderator_has_no_console_controls(app):
    from facilitation.web.live import desk_html

    scene = await Scene(app).build("ideas", "open")
    ctx = await screens.console_context(scene.store, scene.workshop.id)
    pushed = desk_html(scene.renderer, ctx)
    assert "A bench by the pond" in pushed and "/ideas/approve-all" in pushed
    assert "/ideas/to-options" not in pushed
    assert "/ideas/to-options" in await scene.idea_desk()


@pytest.mark.parametrize("oob", [False, True])
async def test_the_my_ideas_fragment_root_is_my_ideas_and_the_round_id(app, oob):
    scene = await Scene(app).build("ideas", "open")
    mine = await scene.store.ideas.participant_ideas(scene.round.id, scene.participant.id)
    html = scene.renderer.fragment(
        "fragments/my_ideas.html", round=scene.round, my_ideas=mine, oob=oob
    )
    root = root_of(html)
    assert root["id"] == f"my-ideas-{scene.round.id}"
    assert ("hx-swap-oob" in root) is oob
    assert "A bench by the pond" in html


@pytest.mark.parametrize("outcome", ["ack", "error", "error-without-round"])
async def test_the_ballot_status_fragment_root_is_ballot_status(app, outcome):
    scene = await Scene(app).build("dots", "open")
    if outcome == "ack":
        html = status_html(scene.renderer, scene.round.id, ack=scene.ack)
    elif outcome == "error":
        html = status_html(scene.renderer, scene.round.id, error="No.", client_id="abc12345")
    else:
        html = status_html(scene.renderer, None, error="That message could not be understood.")
    root = root_of(html)
    assert root["id"] == "ballot-status"
    assert root["hx-swap-oob"] == "true"
    assert root["data-state"] == ("saved" if outcome == "ack" else "error")
    if outcome == "ack":
        assert root["data-client-id"] == "fragment-test-01"
        assert root["data-round"] == str(scene.round.id)


async def test_the_ballot_status_inside_a_ballot_form_is_not_out_of_band(app):
    scene = await Scene(app).build("dots", "open")
    stage = await scene.stage()
    start = stage.index('<p id="ballot-status"')
    status = stage[start : stage.index("</p>", start) + 4]
    root = root_of(status)
    assert root["data-state"] == "saved"
    assert "hx-swap-oob" not in root


@pytest.mark.parametrize("oob", [False, True])
@pytest.mark.parametrize("flashes", [[], [("info", "Saved."), ("error", "Not that.")]])
async def test_the_flash_fragment_root_is_flash(app, flashes, oob):
    html = app.state.renderer.fragment("fragments/flash.html", flashes=flashes, oob=oob)
    root = root_of(html)
    assert root["id"] == "flash"
    assert ("hx-swap-oob" in root) is oob


@pytest.mark.parametrize("oob", [False, True])
@pytest.mark.parametrize(
    ("name", "builder", "prefix"),
    [("needs_list", "needs_data", "needs"), ("action_plan", "actions_data", "actions")],
)
async def test_the_programme_fragments_root_is_their_name_and_the_programme_id(
    app, name, builder, prefix, oob
):
    from types import SimpleNamespace

    from facilitation.web.views import programme as views

    plans = app.state.plans
    organisation = await app.state.store.organisations.create("Riverside")
    programme = await plans.create_programme({"title": "Plan"}, organisation.id)
    need = await plans.add_need(programme, {"title": "Benches"})
    await plans.save_action(programme, {"what": "Order", "who": "staff", "need_id": need.id})
    context = await getattr(views, builder)(SimpleNamespace(app=app), programme)
    html = app.state.renderer.fragment(
        f"fragments/{name}.html", csrf_token="token", oob=oob, **context
    )
    root = root_of(html)
    assert root["id"] == f"{prefix}-{programme.id}"
    assert ("hx-swap-oob" in root) is oob


@pytest.mark.parametrize("oob", [False, True])
@pytest.mark.parametrize("asks", [False, True], ids=["no-questions", "questions"])
async def test_the_room_panel_fragment_root_is_room_and_the_workshop_id(app, asks, oob):
    scene = await Scene(app).build("dots", "open")
    if asks:
        programme = await scene.store.plans.create_programme(
            "Plan", "", "", scene.workshop.organisation_id
        )
        await scene.store.plans.set_workshop_programme(scene.workshop.id, programme.id)
        await scene.store.profiles.add_profile_question(programme.id, "Tenure", ["Rent", "Own"])
    ctx = await screens.console_context(scene.store, scene.workshop.id)
    root = root_of(scene.renderer.fragment("fragments/room_panel.html", oob=oob, **ctx))
    assert root["id"] == f"room-{scene.workshop.id}"
    # Present on every console so a push can fill it; hidden unless the programme asks.
    assert ("hidden" in root) is not asks
    assert ("hx-swap-oob" in root) is oob


def test_every_fragment_file_is_covered():
    folder = ROOT / "templates" / "fragments"
    covered = {"board", "stage", "console_live", "console_main", "ballot_status", "flash"}
    covered |= {"needs_list", "action_plan", "idea_desk", "my_ideas"}
    covered |= {"room_panel", "desk_now"}
    assert {p.stem for p in folder.glob("*.html")} == covered


async def test_the_board_page_holds_exactly_the_fragment_a_push_sends(app, facilitator):
    scene = await Scene(app).build("dots", "open")
    page = await facilitator.client.get(f"/f/workshops/{scene.workshop.id}/board")
    assert (await scene.board()).strip() in page.text


async def test_the_phone_page_holds_exactly_the_stage_a_push_sends(app):
    scene = await Scene(app).build("dots", "closed")
    async with new_client(app) as device:
        await Phone(device).join(scene.workshop.code, "Bo")
        participant = (await scene.store.workshops.participants(scene.workshop.id))[-1]
        page = await device.get(f"/w/{scene.workshop.code}")
    ctx = await screens.phone_context(
        scene.store, scene.workshop, participant, scene.rounds.result, ""
    )
    pushed = scene.renderer.fragment("fragments/stage.html", **ctx)
    assert pushed.strip() in page.text


@pytest.mark.parametrize(
    "html", ['<p id="a"></p><p id="b"></p>', 'text <p id="a"></p>', '<div id="a"><p></div>']
)
def test_the_root_check_itself_refuses_a_fragment_without_a_single_root(html):
    with pytest.raises(AssertionError):
        root_of(html)
