"""Idea rounds end to end: phones send ideas over HTTP and websockets, the facilitator moderates
them on the desk (approve, hide, reword, merge, split out) and turns the approved ones into options
for a dot vote; the board's wall shows only what was approved."""

from __future__ import annotations

import asyncio
import html
import re
import uuid

import httpx
import pytest

from facilitation.core.models import IdeaStatus, RoundStatus
from facilitation.storage.ideas import IDEAS_PER_PERSON
from tests.helpers import Phone, browser_socket, db_query, db_rows
from tests.room import Room

WAIT = 15.0
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def state_of(reply: str) -> str:
    return re.search(r'id="ballot-status".*?data-state="(\w+)"', reply, re.S).group(1)


def status_text(reply: str) -> str:
    found = re.search(r'id="ballot-status"[^>]*>\s*(.*?)\s*</p>', reply, re.S)
    return html.unescape(found.group(1))


def my_ideas(reply: str) -> list[tuple[str, str]]:
    """The phone's list of its own ideas: (wording sent, state), newest first."""
    return [
        (html.unescape(text), status)
        for status, text in re.findall(
            r'<li data-idea="\d+" data-status="(\w+)">\s*<span class="idea-text"[^>]*>(.*?)</span>',
            reply,
            re.S,
        )
    ]


def desk_rows(page: str, which: str) -> list[tuple[str, int]]:
    """The desk's ideas in one list (pending, approved, hidden): (wording, supporters), in order."""
    start = f'<ul class="idea-list" data-list="{which}">'
    found = re.search(re.escape(start) + r"(.*?)</ul>\s*(?:</div>|<h3>)", page, re.S)
    if not found:
        return []
    return [
        (html.unescape(re.sub(r"\s*<span.*", "", text, flags=re.S)), int(n))
        for n, text in re.findall(
            r'data-supporters="(\d+)">.*?<p class="idea-text"[^>]*>(.*?)</p>', found.group(1), re.S
        )
    ]


def wall(board: str) -> list[tuple[str, int]]:
    """The board's wall: (wording, supporters), most supported first."""
    return [
        (html.unescape(text), int(n))
        for n, text in re.findall(
            r'<li class="idea-card" data-idea="\d+" data-supporters="(\d+)">\s*'
            r'<p class="idea-card-text"[^>]*>(.*?)</p>',
            board,
            re.S,
        )
    ]


def flash_of(response: httpx.Response) -> str:
    found = re.search(r'class="flash flash-(?:info|error)"[^>]*>\s*(.*?)\s*</p>', response.text)
    return html.unescape(found.group(1)) if found else ""


def error_of(response: httpx.Response) -> str:
    found = re.search(r'<p class="lead">\s*(.*?)\s*</p>', response.text, re.S)
    return html.unescape(found.group(1)) if found else flash_of(response)


class IdeaRoom(Room):
    """A room whose current round is an idea round, with the desk's verbs."""

    @property
    def base(self) -> str:
        return f"{self.console}/rounds/{self.round_id}"

    async def send(
        self, phone: Phone, text: str, category: str = "", client_id: str | None = None
    ) -> httpx.Response:
        return await phone.send_http(
            self.round_id, {"text": text, "category": category}, client_id=client_id
        )

    async def ideas(self):
        return await self.app.state.store.ideas.ideas(self.round_id)

    async def idea_id(self, text: str) -> int:
        return next(i.id for i in await self.ideas() if i.original == text)

    async def moderate(self, idea_id: int, action: str, data: dict | None = None, htmx=True):
        return await self.facilitator.post(f"{self.base}/ideas/{idea_id}/{action}", data, htmx)

    async def desk(self) -> str:
        return await self.page()

    async def board(self) -> str:
        return await self.page("/board")


@pytest.fixture
async def idea_room(room) -> IdeaRoom:
    """A workshop of its own with an open idea round (categories Green and Safety)."""
    made = await room.another("Green spaces", room_type=IdeaRoom)
    await made.create_round("What is missing?", [], kind="ideas", categories="Green\nSafety")
    await made.act("open")
    return made


# -- sending ideas over HTTP -----------------------------------------------------------------------


async def test_an_idea_round_needs_no_options_and_phones_get_the_idea_form(idea_room):
    rnd = await idea_room.app.state.store.rounds.round(idea_room.round_id)
    assert rnd.kind == "ideas" and rnd.status is RoundStatus.OPEN
    assert rnd.option_ids == () and tuple(rnd.settings["categories"]) == ("Green", "Safety")
    phone = await idea_room.phone()
    page = (await phone.client.get(f"/w/{idea_room.code}")).text
    assert 'data-kind="ideas"' in page
    assert '<option value="Safety" dir="auto">Safety</option>' in page


async def test_a_sent_idea_is_acknowledged_with_its_client_id_and_listed_on_the_phone(idea_room):
    phone = await idea_room.phone()
    reply = await idea_room.send(phone, "More trees by the playground", "Green", "idea-http-0001")
    assert reply.status_code == 200
    assert state_of(reply.text) == "saved"
    assert 'data-client-id="idea-http-0001"' in reply.text
    assert "Idea sent at" in status_text(reply.text)
    assert f'id="my-ideas-{idea_room.round_id}" class="my-ideas" hx-swap-oob="true"' in reply.text
    assert my_ideas(reply.text) == [("More trees by the playground", "pending")]
    (idea,) = await idea_room.ideas()
    assert (idea.text, idea.original, idea.category) == ("More trees by the playground",) * 2 + (
        "Green",
    )
    assert idea.status is IdeaStatus.PENDING and not idea.paper


async def test_the_same_idea_sent_twice_is_stored_once_and_acknowledged_both_times(
    idea_room, settings
):
    phone = await idea_room.phone()
    first = await idea_room.send(phone, "A bench by the pond", client_id="idea-twice-0001")
    rows = db_rows(settings.data_path)
    again = await idea_room.send(phone, "A bench by the pond", client_id="idea-twice-0001")
    assert state_of(again.text) == "saved"
    revision = re.compile(r'data-revision="(\d+)"')
    assert revision.search(again.text).group(1) == revision.search(first.text).group(1)
    assert my_ideas(again.text) == [("A bench by the pond", "pending")]
    assert db_rows(settings.data_path) == rows
    # A second idea with a new client id is a second idea; the phone lists both, newest first.
    other = await idea_room.send(phone, "Fix the gate")
    assert my_ideas(other.text) == [("Fix the gate", "pending"), ("A bench by the pond", "pending")]


async def test_a_closed_round_refuses_new_ideas_but_acknowledges_one_already_saved(
    idea_room, settings
):
    phone = await idea_room.phone()
    await idea_room.send(phone, "Swings for older children", client_id="idea-close-0001")
    await idea_room.act("close")
    before = db_rows(settings.data_path)
    resent = await idea_room.send(phone, "Swings for older children", client_id="idea-close-0001")
    assert resent.status_code == 200
    assert state_of(resent.text) == "saved"
    late = await idea_room.send(phone, "A late idea", client_id="idea-close-0002")
    assert late.status_code == 409
    assert state_of(late.text) == "error"
    assert "This round is closed" in status_text(late.text)
    assert db_rows(settings.data_path) == before
    assert [i.original for i in await idea_room.ideas()] == ["Swings for older children"]


@pytest.mark.parametrize(
    ("text", "category", "message"),
    [
        ("   ", "", "Please fill in “Your idea”."),
        ("x" * 121, "", "“Your idea” is too long: 120 characters at most."),
        ("Parking bays", "Parking", "Choose one of the categories shown, or none."),
    ],
)
async def test_a_bad_idea_is_refused_with_a_clear_message_and_nothing_is_stored(
    idea_room, settings, text, category, message
):
    phone = await idea_room.phone()
    before = db_rows(settings.data_path)
    reply = await idea_room.send(phone, text, category)
    assert reply.status_code == 400
    assert state_of(reply.text) == "error"
    assert message in status_text(reply.text)
    assert db_rows(settings.data_path) == before


async def test_an_idea_of_exactly_the_longest_length_is_accepted(idea_room):
    phone = await idea_room.phone()
    reply = await idea_room.send(phone, "y" * 120, "Safety")
    assert state_of(reply.text) == "saved"
    assert [(i.text, i.category) for i in await idea_room.ideas()] == [("y" * 120, "Safety")]


async def test_one_person_can_send_only_so_many_ideas_in_a_round(idea_room, settings):
    phone = await idea_room.phone()
    await idea_room.send(phone, "The first idea")
    store = idea_room.app.state.store
    (first,) = await idea_room.ideas()
    for n in range(IDEAS_PER_PERSON - 1):  # the rest straight into the store: the pace is 1/s
        await store.ideas.add_idea(
            idea_room.round_id, first.participant_id, f"Idea {n}", "", f"cap-{n:04}", 0
        )
    before = db_rows(settings.data_path)
    reply = await idea_room.send(phone, "One too many")
    assert reply.status_code == 409
    assert f"You have sent {IDEAS_PER_PERSON} ideas in this round" in status_text(reply.text)
    assert db_rows(settings.data_path) == before
    # The cap is per person: someone else in the room can still send theirs.
    neighbour = await idea_room.phone()
    assert state_of((await idea_room.send(neighbour, "One too many")).text) == "saved"


# -- moderation ------------------------------------------------------------------------------------


async def test_approving_hiding_and_sending_back_move_an_idea_between_the_lists(idea_room):
    phone = await idea_room.phone()
    await idea_room.send(phone, "Brighter lamps", "Safety")
    idea_id = await idea_room.idea_id("Brighter lamps")
    assert desk_rows(await idea_room.desk(), "pending") == [("Brighter lamps", 1)]

    approved = await idea_room.moderate(idea_id, "approve")
    assert approved.status_code == 200
    assert flash_of(approved) == "“Brighter lamps” is on the wall."
    assert desk_rows(approved.text, "approved") == [("Brighter lamps", 1)]
    assert desk_rows(approved.text, "pending") == []
    assert wall(await idea_room.board()) == [("Brighter lamps", 1)]
    mine = await phone.client.get(f"/w/{idea_room.code}")
    assert my_ideas(mine.text) == [("Brighter lamps", "approved")]

    hidden = await idea_room.moderate(idea_id, "hide")
    assert flash_of(hidden) == "“Brighter lamps” is hidden from the room; it is kept."
    assert desk_rows(hidden.text, "hidden") == [("Brighter lamps", 1)]
    assert wall(await idea_room.board()) == []

    back = await idea_room.moderate(idea_id, "pending")
    assert flash_of(back) == "“Brighter lamps” is back with the ideas waiting."
    assert desk_rows(back.text, "pending") == [("Brighter lamps", 1)]
    assert [i.status for i in await idea_room.ideas()] == [IdeaStatus.PENDING]


async def test_a_plain_form_post_redirects_to_the_console_with_the_message(idea_room):
    phone = await idea_room.phone()
    await idea_room.send(phone, "Brighter lamps")
    response = await idea_room.moderate(
        await idea_room.idea_id("Brighter lamps"), "approve", htmx=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/f/workshops/{idea_room.workshop_id}"
    assert "“Brighter lamps” is on the wall." in html.unescape(await idea_room.desk())


async def test_rewording_an_idea_keeps_what_the_participant_sent(idea_room):
    phone = await idea_room.phone()
    await idea_room.send(phone, "lamps r broken!!", "Green")
    idea_id = await idea_room.idea_id("lamps r broken!!")
    edited = await idea_room.moderate(
        idea_id, "edit", {"text": "Repair the broken lamps", "category": "Safety"}
    )
    assert edited.status_code == 200
    assert flash_of(edited) == "Saved the new wording; the original is kept."
    assert desk_rows(edited.text, "pending") == [("Repair the broken lamps", 1)]
    assert "Sent as: “lamps r broken!!”" in html.unescape(edited.text)
    (idea,) = await idea_room.ideas()
    assert (idea.text, idea.original, idea.category) == (
        "Repair the broken lamps",
        "lamps r broken!!",
        "Safety",
    )
    # The phone still lists the idea in its sender's own words.
    mine = await phone.client.get(f"/w/{idea_room.code}")
    assert my_ideas(mine.text) == [("lamps r broken!!", "pending")]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"text": " "}, "Please fill in “Wording”."),
        ({"text": "Fine", "category": "Parking"}, "Choose one of the round's categories, or none."),
    ],
)
async def test_a_bad_rewording_is_refused_and_changes_nothing(idea_room, settings, form, message):
    phone = await idea_room.phone()
    await idea_room.send(phone, "Brighter lamps")
    idea_id = await idea_room.idea_id("Brighter lamps")
    before = db_rows(settings.data_path)
    refused = await idea_room.moderate(idea_id, "edit", form)
    assert refused.status_code == 400
    assert flash_of(refused) == message
    assert db_rows(settings.data_path) == before


async def test_merging_counts_duplicates_as_supporters_and_split_out_undoes_it(idea_room):
    phone = await idea_room.phone()
    texts = ("More trees", "Plant trees", "Better lighting", "Lights on the path")
    for text in texts:
        await idea_room.send(phone, text)
    ids = {i.original: i.id for i in await idea_room.ideas()}
    trees, plant, light, path = (ids[t] for t in texts)
    merge = f"{idea_room.base}/ideas/merge"

    first = await idea_room.facilitator.post(merge, {"ideas": [str(plant), str(trees)]}, htmx=True)
    assert first.status_code == 200
    assert flash_of(first) == "Merged 1 idea into “More trees”."  # the earliest of equals
    await idea_room.facilitator.post(merge, {"ideas": [str(light), str(path)]}, htmx=True)
    # Two ideas that each already joined another: the one with its merges all join the target.
    both = await idea_room.facilitator.post(merge, {"ideas": [str(light), str(trees)]}, htmx=True)
    assert flash_of(both) == "Merged 1 idea into “More trees”."
    assert desk_rows(both.text, "pending") == [("More trees", 4)]
    for original in ("Plant trees", "Better lighting", "Lights on the path"):
        assert f"Merged: “{original}”" in html.unescape(both.text)
    statuses = {i.original: (i.status, i.merged_into) for i in await idea_room.ideas()}
    assert statuses["Lights on the path"] == (IdeaStatus.MERGED, trees)
    mine = await phone.client.get(f"/w/{idea_room.code}")
    assert ("Plant trees", "merged") in my_ideas(mine.text)

    split = await idea_room.moderate(path, "pending")
    assert flash_of(split) == "“Lights on the path” is back with the ideas waiting."
    assert desk_rows(split.text, "pending") == [("Lights on the path", 1), ("More trees", 3)]
    assert "Merged: “Lights on the path”" not in html.unescape(split.text)


async def test_merging_needs_two_ideas_ticked(idea_room, settings):
    phone = await idea_room.phone()
    await idea_room.send(phone, "More trees")
    idea_id = await idea_room.idea_id("More trees")
    before = db_rows(settings.data_path)
    refused = await idea_room.facilitator.post(
        f"{idea_room.base}/ideas/merge", {"ideas": [str(idea_id), str(idea_id)]}, htmx=True
    )
    assert refused.status_code == 400
    assert flash_of(refused) == "Tick at least two ideas to merge them."
    assert db_rows(settings.data_path) == before


async def test_approve_all_approves_only_the_ideas_waiting(idea_room):
    phone = await idea_room.phone()
    for text in ("One", "Two", "Three", "Rude"):
        await idea_room.send(phone, text)
    await idea_room.moderate(await idea_room.idea_id("Rude"), "hide")
    response = await idea_room.facilitator.post(f"{idea_room.base}/ideas/approve-all", htmx=True)
    assert flash_of(response) == "3 ideas approved."
    assert sorted(t for t, _n in desk_rows(response.text, "approved")) == ["One", "Three", "Two"]
    assert desk_rows(response.text, "hidden") == [("Rude", 1)]
    assert "Rude" not in [t for t, _n in wall(await idea_room.board())]


async def test_the_wall_shows_approved_ideas_and_the_desk_the_waiting_ones(idea_room):
    phone = await idea_room.phone()
    for text in ("Approved idea", "Waiting idea", "Hidden idea"):
        await idea_room.send(phone, text)
    await idea_room.moderate(await idea_room.idea_id("Approved idea"), "approve")
    await idea_room.moderate(await idea_room.idea_id("Hidden idea"), "hide")
    board = await idea_room.board()
    assert wall(board) == [("Approved idea", 1)]
    assert "Waiting idea" not in board and "Hidden idea" not in board
    assert "1 more idea is being read" in board
    assert re.search(r"<dt>Sent ideas</dt><dd data-voted>1</dd>", board)
    desk = await idea_room.desk()
    assert desk_rows(desk, "pending") == [("Waiting idea", 1)]
    assert desk_rows(desk, "approved") == [("Approved idea", 1)]


async def test_approved_ideas_become_options_in_supporter_order_and_a_draft_dot_round(idea_room):
    ann, bea = await idea_room.phone(), await idea_room.phone()  # one phone may send 5 in a burst
    for phone, text in zip(
        (ann, ann, ann, bea, bea, bea),
        ("Benches", "Ponds", "Seats", "Lighting", "More seating", "Not approved"),
        strict=True,
    ):
        sent = await idea_room.send(phone, text, "Green" if text == "Ponds" else "")
        assert state_of(sent.text) == "saved"
    ids = {i.original: i.id for i in await idea_room.ideas()}
    merge = f"{idea_room.base}/ideas/merge"
    await idea_room.facilitator.post(
        merge, {"ideas": [str(ids["Seats"]), str(ids["More seating"])]}
    )
    for text in ("Benches", "Ponds", "Seats", "Lighting"):
        await idea_room.moderate(ids[text], "approve")
    await idea_room.moderate(ids["Lighting"], "edit", {"text": "Better lighting"})
    await idea_room.act("close")

    made = await idea_room.facilitator.post(f"{idea_room.base}/ideas/to-options", htmx=True)
    assert made.status_code == 200
    assert flash_of(made) == (
        "4 ideas became options. They are in a new dot-voting round, ready to open."
    )
    store = idea_room.app.state.store
    options = await store.options.options(idea_room.workshop_id)
    assert [(o.title, o.description) for o in options] == [
        ("Seats", ""),  # two supporters first; then the order they arrived
        ("Benches", ""),
        ("Ponds", "Green"),
        ("Better lighting", ""),  # the facilitator's wording
    ]
    rounds = await store.rounds.rounds(idea_room.workshop_id)
    new = rounds[-1]
    assert (new.title, new.kind, new.status) == (
        "Vote on the ideas from “What is missing?”",
        "dots",
        RoundStatus.DRAFT,
    )
    assert new.option_ids == tuple(o.id for o in options)
    assert "Now an option" in html.unescape(
        (await idea_room.moderate(ids["Seats"], "approve")).text
    )

    # Nothing approved is left to turn: said plainly, and nothing is repeated.
    again = await idea_room.facilitator.post(f"{idea_room.base}/ideas/to-options", htmx=True)
    assert again.status_code == 409
    assert "There are no approved ideas that have not already become options." in flash_of(again)
    # A late approval becomes one more option, without a round of one.
    await idea_room.moderate(ids["Not approved"], "approve")
    late = await idea_room.facilitator.post(f"{idea_room.base}/ideas/to-options", htmx=True)
    assert flash_of(late) == "1 idea became an option. Add another option to vote on it in a round."
    assert [o.title for o in await store.options.options(idea_room.workshop_id)][
        -1
    ] == "Not approved"
    assert len(await store.rounds.rounds(idea_room.workshop_id)) == len(rounds)


async def test_the_workshop_export_keeps_every_idea_as_sent_and_as_moderated(idea_room):
    phone = await idea_room.phone()
    for text in ("lamps r broken", "Fix the lamps", "Rude words"):
        await idea_room.send(phone, text, "Safety" if text != "Rude words" else "")
    ids = {i.original: i.id for i in await idea_room.ideas()}
    lamps, fix, rude = ids["lamps r broken"], ids["Fix the lamps"], ids["Rude words"]
    await idea_room.moderate(lamps, "edit", {"text": "Repair the lamps", "category": "Safety"})
    await idea_room.facilitator.post(
        f"{idea_room.base}/ideas/merge", {"ideas": [str(lamps), str(fix)]}
    )
    await idea_room.moderate(lamps, "approve")
    await idea_room.moderate(rude, "hide")
    export = await idea_room.facilitator.client.get(
        f"/f/workshops/{idea_room.workshop_id}/export/workshop.json"
    )
    (exported,) = export.json()["rounds"]
    ideas = {i["id"]: i for i in exported["ideas"]}
    assert {k: ideas[lamps][k] for k in ("text", "original", "status", "supporters", "source")} == {
        "text": "Repair the lamps",
        "original": "lamps r broken",
        "status": "approved",
        "supporters": 2,
        "source": "phone",
    }
    assert (ideas[fix]["status"], ideas[fix]["merged_into"]) == ("merged", lamps)
    assert ideas[rude]["status"] == "hidden"  # kept in the record, though not shown to the room
    assert len({i["participant"] for i in exported["ideas"]}) == 1
    assert "participant_id" not in ideas[lamps]


async def test_markup_in_an_idea_is_escaped_on_the_phone_the_desk_and_the_wall(idea_room):
    phone = await idea_room.phone()
    reply = await idea_room.send(phone, SCRIPT)
    await idea_room.moderate(await idea_room.idea_id(SCRIPT), "approve")
    for page in (reply.text, await idea_room.desk(), await idea_room.board()):
        assert SCRIPT not in page
        assert ESCAPED in page


# -- who may moderate ------------------------------------------------------------------------------


async def test_a_stranger_cannot_moderate_and_another_workshops_ideas_are_not_found(
    idea_room, settings
):
    phone = await idea_room.phone()
    await idea_room.send(phone, "Benches")
    idea_id = await idea_room.idea_id("Benches")
    other_id, _code = await idea_room.facilitator.create_workshop("Elsewhere")
    other_round = await idea_room.facilitator.create_round(other_id, "Theirs", [], kind="ideas")
    dot_a = await idea_room.facilitator.add_option(idea_room.workshop_id, "A")
    dot_b = await idea_room.facilitator.add_option(idea_room.workshop_id, "B")
    dots = await idea_room.facilitator.create_round(idea_room.workshop_id, "Dots", [dot_a, dot_b])
    before = db_rows(settings.data_path)

    stranger = phone.client  # a resident of the workshop, with a valid CSRF token of their own
    refused = await stranger.post(
        f"{idea_room.base}/ideas/{idea_id}/approve", data={"csrf": phone.token}
    )
    assert refused.status_code == 403
    assert "Please sign in as a facilitator first." in refused.text

    w = f"/f/workshops/{idea_room.workshop_id}"
    cases = [
        (f"/f/workshops/{other_id}/rounds/{idea_room.round_id}/ideas/{idea_id}/approve", 404),
        (f"/f/workshops/{other_id}/rounds/{idea_room.round_id}/ideas/approve-all", 404),
        (f"{w}/rounds/{other_round}/ideas/{idea_id}/approve", 404),
        (f"/f/workshops/{other_id}/rounds/{other_round}/ideas/{idea_id}/hide", 404),
        (f"{w}/rounds/{idea_room.round_id}/ideas/999999/approve", 404),
        (f"{w}/rounds/{dots}/ideas/approve-all", 403),
        (f"{w}/rounds/{idea_room.round_id}/ideas/{idea_id}/delete", 403),
    ]
    for url, status in cases:
        response = await idea_room.facilitator.post(url)
        assert response.status_code == status, url
    assert db_rows(settings.data_path) == before


# -- over real websockets --------------------------------------------------------------------------


@pytest.fixture
async def live_idea_room(live_room) -> IdeaRoom:
    """On the module's real server: a workshop of its own with an open idea round."""
    made = await live_room.another("Green spaces", room_type=IdeaRoom)
    await made.create_round("Ideas", [], kind="ideas", categories="Green")
    await made.act("open")
    return made


async def receive_until(ws, wanted) -> str:
    async def read() -> str:
        while not wanted(message := await ws.recv()):
            pass
        return message

    return await asyncio.wait_for(read(), WAIT)


async def test_an_idea_over_the_websocket_is_acknowledged_once_and_reaches_the_desk(
    live_idea_room,
):
    room, server = live_idea_room, live_idea_room.server
    facilitator, workshop_id, round_id = room.facilitator, room.workshop_id, room.round_id
    phone = room.phone
    ann = await phone()
    console_path = f"/f/workshops/{workshop_id}/ws"
    async with (
        browser_socket(server.ws_url, console_path, facilitator.client) as console,
        ann.socket() as ws,
    ):
        stage = await asyncio.wait_for(ws.recv(), WAIT)
        assert 'data-kind="ideas"' in stage
        first_desk = await asyncio.wait_for(console.recv(), WAIT)
        assert f'id="idea-desk-{workshop_id}"' in first_desk

        message = Phone.form_message(
            round_id, {"text": "A community garden", "category": "Green"}, "ws-idea-0001"
        )
        await ws.send(message)
        ack = await asyncio.wait_for(ws.recv(), WAIT)
        assert state_of(ack) == "saved"
        assert 'data-client-id="ws-idea-0001"' in ack
        assert my_ideas(ack) == [("A community garden", "pending")]

        pushed = await receive_until(console, lambda m: "A community garden" in m)
        assert desk_rows(pushed, "pending") == [("A community garden", 1)]

        await ws.send(message)  # re-sent after a reconnect: acknowledged, not stored again
        again = await asyncio.wait_for(ws.recv(), WAIT)
        assert state_of(again) == "saved"
        assert 'data-client-id="ws-idea-0001"' in again
        assert my_ideas(again) == [("A community garden", "pending")]

        await ws.send(Phone.form_message(round_id, {"text": "", "category": "Green"}))
        refused = await asyncio.wait_for(ws.recv(), WAIT)
        assert state_of(refused) == "error"
        assert "Please fill in “Your idea”." in status_text(refused)
    stored = db_query(
        server.data_path,
        "SELECT original, category FROM ideas WHERE round_id = ?",
        (round_id,),
    )
    assert stored == [("A community garden", "Green")]


async def test_the_board_wall_updates_when_an_idea_is_approved(live_idea_room):
    room, server = live_idea_room, live_idea_room.server
    facilitator, workshop_id, round_id = room.facilitator, room.workshop_id, room.round_id
    phone = room.phone
    bea = await phone()
    board_path = f"/f/workshops/{workshop_id}/board/ws"
    async with (
        browser_socket(server.ws_url, board_path, facilitator.client) as board,
        bea.socket() as ws,
    ):
        await asyncio.wait_for(ws.recv(), WAIT)
        assert "Ideas appear here once the facilitator has read them." in html.unescape(
            await asyncio.wait_for(board.recv(), WAIT)
        )
        for text in ("Secret idea", "Public idea"):
            await ws.send(Phone.form_message(round_id, {"text": text}, uuid.uuid4().hex))
            assert state_of(await asyncio.wait_for(ws.recv(), WAIT)) == "saved"
        waiting = await receive_until(board, lambda m: "2 more ideas are being read" in m)
        assert "Secret idea" not in waiting and "Public idea" not in waiting

        (idea_id,) = db_query(
            server.data_path,
            "SELECT id FROM ideas WHERE round_id = ? AND original = 'Public idea'",
            (round_id,),
        )[0]
        base = f"/f/workshops/{workshop_id}/rounds/{round_id}/ideas"
        assert (await facilitator.post(f"{base}/{idea_id}/approve")).status_code == 303
        shown = await receive_until(board, lambda m: "data-wall" in m)
        assert wall(shown) == [("Public idea", 1)]
        assert "Secret idea" not in shown
