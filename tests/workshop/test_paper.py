"""Paper ballots: the facilitator copies sheets into the paper page for every kind of round. A
sheet's label is one participant across rounds, a form sent twice counts once, a refused sheet
leaves no trace, and paper ballots count with the phones' and are shown as paper."""

from __future__ import annotations

import asyncio
import csv
import html
import io
import re
import uuid

import httpx
import pytest

from facilitation.kinds import budget as budget_kind
from facilitation.kinds import dots as dots_kind
from facilitation.kinds import ranking as ranking_kind
from facilitation.kinds import rating as rating_kind
from tests.conftest import new_client
from tests.helpers import Facilitator, Phone, browser_socket, db_rows
from tests.room import Room

WAIT = 15.0


def last_flash(page: str) -> str:
    """The newest message the page shows at its top."""
    found = re.findall(r'<p class="flash flash-info">\s*(.*?)\s*</p>', page, re.S)
    return html.unescape(found[-1]) if found else ""


def paper_error(response: httpx.Response) -> str:
    """Why the paper form refused a sheet, shown above the form."""
    found = re.search(r'id="paper-error">\s*(.*?)\s*</p>', response.text, re.S)
    return html.unescape(found.group(1)) if found else ""


def entries(page: str) -> list[str]:
    """The labels the paper page lists as entered in this round, newest first."""
    return [html.unescape(t) for t in re.findall(r"<li><strong[^>]*>(.*?)</strong>", page)]


class PaperDesk(Room):
    """A room whose facilitator copies paper sheets into the paper page of a round."""

    def paper_url(self, round_id: int) -> str:
        return f"{self.console}/rounds/{round_id}/paper"

    async def enter(
        self, round_id: int, fields: dict, label: str = "", client_id: str | None = None
    ) -> httpx.Response:
        data = {"label": label, "client_id": client_id or uuid.uuid4().hex, **fields}
        return await self.facilitator.post(self.paper_url(round_id), data)

    async def paper_page(self, round_id: int) -> str:
        return (await self.facilitator.client.get(self.paper_url(round_id))).text

    async def round(self, title: str, kind: str, options=None, **fields) -> int:
        """A round of this kind, opened (over all the options by default)."""
        round_id = await self.create_round(title, options, kind=kind, **fields)
        await self.act("open", round_id)
        return round_id

    async def paper_people(self):
        return [
            p
            for p in await self.app.state.store.workshops.participants(self.workshop_id)
            if p.paper
        ]

    async def ballots(self, round_id: int):
        return await self.app.state.store.ballots.ballots(round_id)


@pytest.fixture
async def paper_desk(room) -> PaperDesk:
    """A workshop of its own, "Green spaces", with three costed options and no round yet."""
    costs = {"Benches": "3000", "Lighting": "4000", "Trees": "5000"}
    return await room.another("Green spaces", costs, PaperDesk)


# -- every kind of round ---------------------------------------------------------------------------


async def test_a_dot_sheet_is_counted_and_listed_as_paper(paper_desk):
    a, b, _c = paper_desk.options
    round_id = await paper_desk.round("Priorities", "dots")
    response = await paper_desk.enter(round_id, {f"dots-{a}": "3", f"dots-{b}": "2"}, "Table 4")
    assert response.status_code == 303
    assert response.headers["location"] == paper_desk.paper_url(round_id)
    page = await paper_desk.paper_page(round_id)
    assert last_flash(page) == "Paper ballot Table 4 counted."
    assert entries(page) == ["Table 4"]
    assert "1 paper entry in this round" in page
    (person,) = await paper_desk.paper_people()
    (ballot,) = await paper_desk.ballots(round_id)
    assert (person.display_name, ballot.participant_id, dots_kind.placed_dots(ballot.entry)) == (
        "Table 4",
        person.id,
        {a: 3, b: 2},
    )


async def test_a_sheet_typed_with_arabic_or_bengali_digits_counts_the_same(paper_desk):
    a, b, _c = paper_desk.options
    round_id = await paper_desk.round("Priorities", "dots")
    response = await paper_desk.enter(round_id, {f"dots-{a}": "٣", f"dots-{b}": "২"}, "P9")
    assert response.status_code == 303
    (ballot,) = await paper_desk.ballots(round_id)
    assert dots_kind.placed_dots(ballot.entry) == {a: 3, b: 2}


async def test_a_sheet_without_a_label_gets_the_next_one(paper_desk):
    a, b, _c = paper_desk.options
    round_id = await paper_desk.round("Priorities", "dots")
    page = await paper_desk.paper_page(round_id)
    assert 'placeholder="P1"' in page
    await paper_desk.enter(round_id, {f"dots-{a}": "1"})
    await paper_desk.enter(round_id, {f"dots-{b}": "1"})
    assert entries(await paper_desk.paper_page(round_id))[:2] == ["P2", "P1"]
    assert [p.display_name for p in await paper_desk.paper_people()] == ["P1", "P2"]


async def test_a_sheet_without_a_label_never_takes_another_sheets_label(paper_desk):
    a, b, _c = paper_desk.options
    round_id = await paper_desk.round("Priorities", "dots")
    await paper_desk.enter(round_id, {f"dots-{a}": "1"}, "P2")  # numbered by hand
    await paper_desk.enter(round_id, {f"dots-{b}": "1"})  # left blank
    assert len(await paper_desk.paper_people()) == 2
    assert len(await paper_desk.ballots(round_id)) == 2


async def test_a_ranked_sheet_is_read_from_the_numbers_beside_the_options(paper_desk):
    a, b, c = paper_desk.options
    round_id = await paper_desk.round("Order", "rank")
    page = await paper_desk.paper_page(round_id)
    assert f'name="place-{a}"' in page
    response = await paper_desk.enter(
        round_id, {f"place-{a}": "2", f"place-{b}": "3", f"place-{c}": "1"}
    )
    assert response.status_code == 303
    (ballot,) = await paper_desk.ballots(round_id)
    assert ranking_kind.ranking_of(ballot.entry) == (c, a, b)


async def test_a_top_two_sheet_may_leave_the_rest_empty(paper_desk):
    a, b, c = paper_desk.options
    round_id = await paper_desk.round("Top two", "rank", top_k="2")
    response = await paper_desk.enter(
        round_id, {f"place-{a}": "", f"place-{b}": "1", f"place-{c}": "2"}
    )
    assert response.status_code == 303
    (ballot,) = await paper_desk.ballots(round_id)
    assert ranking_kind.ranking_of(ballot.entry) == (b, c)


@pytest.mark.parametrize(
    ("places", "message"),
    [
        (("1", "3", ""), "The places must run 1, 2, 3… with no gaps. Check the paper again."),
        (("1", "1", "2"), "Two options are both marked 1. Check the paper again."),
        (("1", "2", "4"), "“Place” must be a whole number from 1 to 3."),
        (("1", "2", "x"), "“Place” must be a whole number from 1 to 3."),
        (("1", "2", ""), "Please rank 3 options."),
    ],
)
async def test_a_ranked_sheet_that_does_not_add_up_is_refused_and_leaves_no_trace(
    paper_desk, settings, places, message
):
    round_id = await paper_desk.round("Order", "rank")
    fields = {f"place-{o}": p for o, p in zip(paper_desk.options, places, strict=True)}
    before = db_rows(settings.data_path)
    response = await paper_desk.enter(round_id, fields, "Sheet 9")
    assert response.status_code == 400
    assert paper_error(response) == message
    # The form comes back as it was typed, so the facilitator only fixes the mistake.
    assert 'value="Sheet 9"' in response.text
    typed = re.search(rf'name="place-{paper_desk.options[1]}"[^>]*value="([^"]*)"', response.text)
    assert typed.group(1) == places[1]
    assert db_rows(settings.data_path) == before, "not even a paper participant is made"


async def test_a_budget_sheet_counts_the_ticked_options_within_the_budget(paper_desk, settings):
    a, b, c = paper_desk.options
    round_id = await paper_desk.round("Fund", "budget", budget="8000")
    assert (
        await paper_desk.enter(round_id, {f"pick-{a}": "1", f"pick-{b}": "1"})
    ).status_code == 303
    (ballot,) = await paper_desk.ballots(round_id)
    assert budget_kind.picks_of(ballot.entry) == (a, b)
    before = db_rows(settings.data_path)
    over = await paper_desk.enter(round_id, {f"pick-{b}": "1", f"pick-{c}": "1"}, "Over")
    assert over.status_code == 400
    assert paper_error(over) == "Your picks cost 9,000, more than the budget of 8,000."
    assert db_rows(settings.data_path) == before


async def test_a_rating_sheet_counts_numbers_and_dont_know(paper_desk):
    a, b, _c = paper_desk.options
    round_id = await paper_desk.round("Agree?", "rating")
    response = await paper_desk.enter(round_id, {f"rate-{a}": "4", f"rate-{b}": "dk"})
    assert response.status_code == 303
    (ballot,) = await paper_desk.ballots(round_id)
    assert rating_kind.ratings_of(ballot.entry) == {a: 4, b: 0}


async def test_ideas_from_paper_reach_the_desk_marked_as_paper(paper_desk):
    round_id = await paper_desk.round("Ideas", "ideas", options=[], categories="Green")
    response = await paper_desk.enter(round_id, {"text": "A pond", "category": "Green"}, "Card 1")
    assert response.status_code == 303
    assert last_flash(await paper_desk.paper_page(round_id)) == "Paper ballot Card 1 counted."
    (idea,) = await paper_desk.app.state.store.ideas.ideas(round_id)
    assert (idea.text, idea.category, idea.paper) == ("A pond", "Green", True)
    console = (
        await paper_desk.facilitator.client.get(f"/f/workshops/{paper_desk.workshop_id}")
    ).text
    paper = r'<p class="idea-text" dir="auto">A pond <span class="badge paper">Paper</span>'
    assert re.search(paper, console)
    results = (
        await paper_desk.facilitator.client.get(
            f"/f/workshops/{paper_desk.workshop_id}/rounds/{round_id}"
        )
    ).text
    assert re.search(r"<dt>Of which on paper</dt><dd data-paper>1</dd>", results)
    refused = await paper_desk.enter(round_id, {"text": "Fish", "category": "Parking"})
    assert refused.status_code == 400
    assert paper_error(refused) == "Choose one of the categories shown, or none."


# -- one sheet, one person, one count --------------------------------------------------------------


async def test_the_same_label_in_a_later_round_is_the_same_person(paper_desk):
    a, b, c = paper_desk.options
    first = await paper_desk.round("First", "dots")
    await paper_desk.enter(first, {f"dots-{a}": "1"}, "Sheet 1")
    assert (await paper_desk.act("close", first)).status_code == 303
    second = await paper_desk.round("Second", "rank")
    await paper_desk.enter(
        second, {f"place-{a}": "1", f"place-{b}": "2", f"place-{c}": "3"}, "Sheet 1"
    )
    (person,) = await paper_desk.paper_people()
    assert [b.participant_id for b in await paper_desk.ballots(first)] == [person.id]
    assert [b.participant_id for b in await paper_desk.ballots(second)] == [person.id]


async def test_a_form_sent_twice_counts_once(paper_desk, settings):
    a, _b, _c = paper_desk.options
    round_id = await paper_desk.round("Priorities", "dots")
    await paper_desk.enter(round_id, {f"dots-{a}": "2"}, "Sheet 1", client_id="paper-twice-0001")
    before = db_rows(settings.data_path)
    again = await paper_desk.enter(
        round_id, {f"dots-{a}": "2"}, "Sheet 1", client_id="paper-twice-0001"
    )
    assert again.status_code == 303
    page = await paper_desk.paper_page(round_id)
    assert last_flash(page) == "That sheet was already counted (the form was sent twice)."
    assert entries(page) == ["Sheet 1"]
    assert db_rows(settings.data_path) == before


async def test_paper_and_phone_ballots_count_together_and_paper_is_shown(paper_desk, app):
    a, b, _c = paper_desk.options
    round_id = await paper_desk.round("Priorities", "dots")
    async with new_client(app) as device:
        phone = Phone(device)
        await phone.join(paper_desk.code)
        assert 'data-state="saved"' in (await phone.vote_http(round_id, {a: 1})).text
    await paper_desk.enter(round_id, {f"dots-{a}": "2", f"dots-{b}": "1"}, "Sheet 1")
    await paper_desk.enter(round_id, {f"dots-{b}": "3"}, "Sheet 2")
    board = (
        await paper_desk.facilitator.client.get(f"/f/workshops/{paper_desk.workshop_id}/board")
    ).text
    assert "<dd data-joined>3</dd>" in board
    assert "<dd data-voted>3</dd>" in board
    assert f'data-option="{b}" data-score="4"' in board
    assert f'data-option="{a}" data-score="3"' in board
    results_url = f"/f/workshops/{paper_desk.workshop_id}/rounds/{round_id}"
    results = (await paper_desk.facilitator.client.get(results_url)).text
    assert "<dd data-ballots>3</dd>" in results
    assert re.search(r"<dt>Of which on paper</dt><dd data-paper>2</dd>", results)
    export = await paper_desk.facilitator.client.get(
        f"/f/workshops/{paper_desk.workshop_id}/export/ballots.csv"
    )
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert sorted((r["source"], int(r["option_id"]), r["dots"]) for r in rows) == [
        ("paper", a, "2"),
        ("paper", b, "1"),
        ("paper", b, "3"),
        ("phone", a, "1"),
    ]


# -- who and when ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "closed"])
async def test_a_round_that_is_not_open_takes_no_paper(paper_desk, settings, status):
    a, _b, _c = paper_desk.options
    round_id = await paper_desk.facilitator.create_round(
        paper_desk.workshop_id, "Later", paper_desk.options
    )
    if status == "closed":
        await paper_desk.act("open", round_id)
        await paper_desk.act("close", round_id)
    page = await paper_desk.paper_page(round_id)
    assert "This round is not open, so paper ballots cannot be entered now." in html.unescape(page)
    assert 'id="paper-form"' not in page
    before = db_rows(settings.data_path)
    response = await paper_desk.enter(round_id, {f"dots-{a}": "1"}, "Sheet 1")
    assert response.status_code == 409
    assert "Paper ballots can be entered while the round is open." in html.unescape(response.text)
    assert db_rows(settings.data_path) == before


async def test_a_stranger_cannot_enter_paper_and_another_workshops_round_is_not_found(
    paper_desk, app, settings
):
    a, _b, _c = paper_desk.options
    round_id = await paper_desk.round("Priorities", "dots")
    other_id, _code = await paper_desk.facilitator.create_workshop("Elsewhere")
    async with new_client(app) as device:
        resident = Phone(device)
        await resident.join(paper_desk.code)
        before = db_rows(settings.data_path)
        page = await device.get(paper_desk.paper_url(round_id))
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        refused = await device.post(
            paper_desk.paper_url(round_id),
            data={"csrf": resident.token, "client_id": uuid.uuid4().hex, f"dots-{a}": "1"},
        )
        assert refused.status_code == 403
        assert "Please sign in as a facilitator first." in refused.text
    elsewhere = f"/f/workshops/{other_id}/rounds/{round_id}/paper"
    response = await paper_desk.facilitator.post(
        elsewhere, {"client_id": uuid.uuid4().hex, f"dots-{a}": "1"}
    )
    assert response.status_code == 404
    assert (await paper_desk.facilitator.client.get(elsewhere)).status_code == 404
    assert db_rows(settings.data_path) == before


# -- the live board --------------------------------------------------------------------------------


async def test_a_paper_ballot_reaches_the_live_board(server):
    async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as staff:
        facilitator = Facilitator(staff)
        assert (await facilitator.login()).status_code == 303
        workshop_id, _code = await facilitator.create_workshop("Green spaces")
        options = [await facilitator.add_option(workshop_id, t) for t in ("Benches", "Trees")]
        round_id = await facilitator.create_round(workshop_id, "Priorities", options)
        await facilitator.round_action(workshop_id, round_id, "open")
        board_path = f"/f/workshops/{workshop_id}/board/ws"
        async with browser_socket(server.ws_url, board_path, staff) as board:
            assert 'data-ballots="0"' in await asyncio.wait_for(board.recv(), WAIT)
            entered = await facilitator.post(
                f"/f/workshops/{workshop_id}/rounds/{round_id}/paper",
                {"label": "Sheet 1", "client_id": uuid.uuid4().hex, f"dots-{options[1]}": "3"},
            )
            assert entered.status_code == 303

            async def pushed() -> str:
                while 'data-ballots="1"' not in (message := await board.recv()):
                    pass
                return message

            update = await asyncio.wait_for(pushed(), WAIT)
        assert f'data-option="{options[1]}" data-score="3"' in update
        assert "<dd data-voted>1</dd>" in update
