"""Budget rounds end to end: costs typed as people write money, rounds checked against their
budget, picks within the budget, the funded set on the results page, the board, the closing
snapshot and the exports.

The room in most tests: a budget of £9,000 (three voters, £3,000 each under equal shares), a play
area (£6,000) and benches (£3,000) picked by two people, a bike store (£3,000) picked by one.
Greedy by support funds the play area and the benches; the Method of Equal Shares funds the play
area with its two supporters' shares, and the bike store with the third person's.
"""

from __future__ import annotations

import asyncio
import csv
import html
import io
import json
import re

import httpx
import pytest

from facilitation.kinds import budget as budget_kind
from tests.helpers import Facilitator, Phone, Server, add_user, db_rows
from tests.room import Room

WAIT = 15.0


def state_of(reply: str) -> str:
    return re.search(r'id="ballot-status".*?data-state="(\w+)"', reply, re.S).group(1)


def status_text(reply: str) -> str:
    return html.unescape(re.search(r'id="ballot-status"[^>]*>\s*(.*?)\s*</p>', reply, re.S)[1])


def shown_error(response: httpx.Response) -> str:
    """The message of a refused form: the error page's lead, or the htmx flash."""
    found = re.search(r'<p class="lead">\s*(.*?)\s*</p>', response.text, re.S) or re.search(
        r'class="flash flash-error"[^>]*>\s*(.*?)\s*</p>', response.text, re.S
    )
    return html.unescape(found.group(1)) if found else ""


def funded_rows(page: str) -> dict[int, str]:
    """Each option's "funded" mark on a results table or result list."""
    return {
        int(o): yes for o, yes in re.findall(r'data-option="(\d+)"[^>]*data-funded="(\w+)"', page)
    }


def budget_line(page: str) -> tuple[int, int, list[str]]:
    """(spent, budget, funded titles in funding order) from the budget line."""
    found = re.search(
        r'data-budget-line data-spent="(\d+)" data-budget="(\d+)">(.*?)class="budget-mark"',
        page,
        re.S,
    )
    assert found, "no budget line"
    titles = re.findall(r'<span class="slice-label"[^>]*>(.*?)</span>', found.group(3))
    return int(found.group(1)), int(found.group(2)), [html.unescape(t) for t in titles]


class BudgetRoom(Room):
    """A room with costed options, asked for budget rounds over them by title."""

    async def budget_round(self, titles, budget: str = "£9,000", **fields) -> httpx.Response:
        return await self.facilitator.post(
            f"{self.console}/rounds",
            {
                "title": "Spend the estate fund",
                "kind": "budget",
                "options": [str(self.option(t)) for t in titles],
                "budget": budget,
                **fields,
            },
        )

    async def latest_round(self) -> int:
        return (await self.app.state.store.rounds.rounds(self.workshop_id))[-1].id

    async def pick(self, phone: Phone, round_id: int, *titles: str) -> httpx.Response:
        return await phone.send_http(round_id, {f"pick-{self.option(t)}": "1" for t in titles})


@pytest.fixture
async def budget_room(room) -> BudgetRoom:
    """The estate fund: a workshop of its own with a play area, benches and a bike store, costed."""
    costs = {"Play area": "£6,000", "Benches": "3000", "Bike store": "3 000"}
    return await room.another("Estate fund", costs, BudgetRoom)


async def voted_room(room: BudgetRoom, **fields) -> int:
    """The room's budget round, opened, with the three ballots described in the module."""
    assert (
        await room.budget_round(["Play area", "Benches", "Bike store"], **fields)
    ).status_code == 303
    round_id = await room.latest_round()
    await room.act("open", round_id)
    for picks in (("Play area", "Benches"), ("Play area", "Benches"), ("Bike store",)):
        reply = await room.pick(await room.phone(), round_id, *picks)
        assert state_of(reply.text) == "saved", reply.text
    return round_id


# -- costs and rounds ------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["£12,500", "12500", "12 500", " £12,500 ", "12_500"])
async def test_a_cost_typed_as_money_is_read_as_a_whole_amount(budget_room, typed):
    assert (await budget_room.add_option("Community garden", typed)).status_code == 303
    console = html.unescape((await budget_room.facilitator.client.get(budget_room.console)).text)
    assert 'data-cost="12500">Estimated cost: £12,500<' in console
    option = await budget_room.app.state.store.options.option(
        budget_room.option("Community garden")
    )
    assert option.cost == 12500


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "12.50",
            "“Estimated cost” must be a whole amount, such as 12500, with no pence or cents.",
        ),
        (
            "twelve",
            "“Estimated cost” must be a whole amount, such as 12500, with no pence or cents.",
        ),
        ("-500", "“Estimated cost” must be a whole amount, such as 12500, with no pence or cents."),
        ("£2,000,000,000", "“Estimated cost” is too large."),
    ],
)
async def test_a_bad_cost_is_refused_and_nothing_is_added(budget_room, settings, typed, message):
    before = db_rows(settings.data_path)
    response = await budget_room.add_option("Community garden", typed)
    assert response.status_code == 400
    assert shown_error(response) == message
    assert db_rows(settings.data_path) == before


@pytest.mark.parametrize(
    ("titles", "budget", "message"),
    [
        (
            ["Play area", "Not costed"],
            "£9,000",
            "Give every option in a budget round an estimated cost: “Not costed” has none.",
        ),
        (
            ["Play area", "Benches"],
            "£5,000",
            "“Play area” costs more than the whole budget, so it could never be funded. "
            "Raise the budget or leave it out of this round.",
        ),
        (["Play area", "Benches"], "", "Please fill in “Budget”."),
        (["Play area", "Benches"], "0", "The budget must be more than nothing."),
    ],
)
async def test_a_budget_round_that_could_not_work_is_refused(
    budget_room, settings, titles, budget, message
):
    await budget_room.add_option("Not costed")
    before = db_rows(settings.data_path)
    response = await budget_room.budget_round(titles, budget)
    assert response.status_code == 400
    assert shown_error(response) == message
    assert db_rows(settings.data_path) == before


async def test_a_budget_round_keeps_its_budget_rule_and_costs(budget_room):
    response = await budget_room.budget_round(["Play area", "Benches"], "£9,000", rule="greedy")
    assert response.status_code == 303
    rnd = (await budget_room.app.state.store.rounds.rounds(budget_room.workshop_id))[-1]
    assert (rnd.kind, rnd.settings["budget"], rnd.settings["rule"]) == ("budget", 9000, "greedy")
    assert rnd.cost_of == {
        budget_room.option("Play area"): 6000,
        budget_room.option("Benches"): 3000,
    }
    console = html.unescape((await budget_room.facilitator.client.get(budget_room.console)).text)
    assert "Budget: £9,000 to share, Greedy by support" in console


async def test_a_cost_can_change_until_the_round_opens_and_not_after(budget_room, settings):
    assert (await budget_room.budget_round(["Play area", "Benches"])).status_code == 303
    round_id = await budget_room.latest_round()
    edit = f"{budget_room.console}/options/{budget_room.option('Benches')}/edit"
    assert (
        await budget_room.facilitator.post(edit, {"title": "Benches", "cost": "£2,500"})
    ).status_code == 303
    assert (await budget_room.app.state.store.rounds.round(round_id)).cost_of[
        budget_room.option("Benches")
    ] == 2500

    await budget_room.act("open", round_id)
    before = db_rows(settings.data_path)
    refused = await budget_room.facilitator.post(edit, {"title": "Benches", "cost": "£2,000"})
    assert refused.status_code == 409
    assert shown_error(refused) == (
        "This option has already been put to the room, so its cost can no longer change. "
        "Add a new option with the new cost instead."
    )
    assert db_rows(settings.data_path) == before
    # Rewording it is still fine, and a form without the cost field leaves the cost alone.
    reworded = await budget_room.facilitator.post(edit, {"title": "Wooden benches"})
    assert reworded.status_code == 303
    option = await budget_room.app.state.store.options.option(budget_room.option("Benches"))
    assert (option.title, option.cost) == ("Wooden benches", 2500)


# -- ballots ---------------------------------------------------------------------------------------


async def test_picks_within_the_budget_are_saved_and_shown_on_the_phone(budget_room):
    assert (
        await budget_room.budget_round(["Play area", "Benches", "Bike store"])
    ).status_code == 303
    round_id = await budget_room.latest_round()
    await budget_room.act("open", round_id)
    phone = await budget_room.phone()
    page = html.unescape((await phone.client.get(f"/w/{budget_room.code}")).text)
    assert 'data-kind="budget" data-budget="9000"' in page
    assert "You have £9,000 to spend." in page
    reply = await budget_room.pick(phone, round_id, "Play area", "Bike store")  # exactly the budget
    assert reply.status_code == 200
    assert state_of(reply.text) == "saved"
    ballot = await budget_room.app.state.store.ballots.ballot(
        round_id,
        (await budget_room.app.state.store.workshops.participants(budget_room.workshop_id))[0].id,
    )
    assert budget_kind.picks_of(ballot.entry) == (
        budget_room.option("Play area"),
        budget_room.option("Bike store"),
    )
    page = html.unescape((await phone.client.get(f"/w/{budget_room.code}")).text)
    assert "£0 left of £9,000" in page


@pytest.mark.parametrize(
    ("picks", "message"),
    [
        (
            ("Play area", "Benches", "Bike store"),
            "Your picks cost 12,000, more than the budget of 9,000.",
        ),
        ((), "Pick at least one option before sending."),
    ],
)
async def test_picks_over_the_budget_are_refused_with_the_amounts(
    budget_room, settings, picks, message
):
    assert (
        await budget_room.budget_round(["Play area", "Benches", "Bike store"])
    ).status_code == 303
    round_id = await budget_room.latest_round()
    await budget_room.act("open", round_id)
    phone = await budget_room.phone()
    before = db_rows(settings.data_path)
    reply = await budget_room.pick(phone, round_id, *picks)
    assert reply.status_code == 400
    assert state_of(reply.text) == "error"
    assert status_text(reply.text) == "⚠ " + message
    assert db_rows(settings.data_path) == before


async def test_an_option_outside_the_round_cannot_be_picked(budget_room, settings):
    await budget_room.add_option("Elsewhere", "£10")
    assert (await budget_room.budget_round(["Play area", "Benches"])).status_code == 303
    round_id = await budget_room.latest_round()
    await budget_room.act("open", round_id)
    phone = await budget_room.phone()
    before = db_rows(settings.data_path)
    reply = await budget_room.pick(phone, round_id, "Benches", "Elsewhere")
    assert state_of(reply.text) == "error"
    assert "That option is not part of this round." in status_text(reply.text)
    assert db_rows(settings.data_path) == before


# -- results ---------------------------------------------------------------------------------------


async def test_the_results_page_shows_the_funded_set_the_budget_line_and_the_other_rule(
    budget_room,
):
    round_id = await voted_room(budget_room)
    play, benches, bikes = (budget_room.option(t) for t in ("Play area", "Benches", "Bike store"))
    page = (
        await budget_room.facilitator.client.get(f"{budget_room.console}/rounds/{round_id}")
    ).text
    text = html.unescape(page)
    assert "Budget of £9,000, shared out by the Method of Equal Shares" in text
    assert funded_rows(page) == {play: "yes", benches: "no", bikes: "yes"}
    assert budget_line(page) == (9000, 9000, ["Play area", "Bike store"])
    assert "Funded: £9,000 of £9,000" in text
    assert "The other rule (Greedy by support) would fund a different set" in text
    picked_by = re.findall(r'<tr data-option="(\d+)" data-funded="\w+"><td>(\d)', page)
    assert [(int(o), int(p)) for o, p in picked_by] == [(play, 1), (benches, 1), (bikes, 3)]


async def test_the_greedy_rule_funds_by_support(budget_room):
    round_id = await voted_room(budget_room, rule="greedy")
    play, benches, bikes = (budget_room.option(t) for t in ("Play area", "Benches", "Bike store"))
    page = (
        await budget_room.facilitator.client.get(f"{budget_room.console}/rounds/{round_id}")
    ).text
    assert funded_rows(page) == {play: "yes", benches: "yes", bikes: "no"}
    assert budget_line(page) == (9000, 9000, ["Play area", "Benches"])
    assert "The other rule (Method of Equal Shares) would fund a different set" in html.unescape(
        page
    )


async def test_the_board_shows_the_funded_set_and_the_budget_line(budget_room):
    await voted_room(budget_room)
    play, benches, bikes = (budget_room.option(t) for t in ("Play area", "Benches", "Bike store"))
    board = (await budget_room.facilitator.client.get(f"{budget_room.console}/board")).text
    assert funded_rows(board) == {play: "yes", benches: "no", bikes: "yes"}
    assert budget_line(board) == (9000, 9000, ["Play area", "Bike store"])
    assert re.search(r"<dd data-voted>3</dd>", board)


async def test_the_closing_snapshot_keeps_what_was_funded(budget_room, settings):
    round_id = await voted_room(budget_room)
    play, benches, bikes = (budget_room.option(t) for t in ("Play area", "Benches", "Bike store"))
    await budget_room.act("close", round_id)
    snapshot = json.loads(await budget_room.app.state.store.rounds.result_snapshot(round_id))
    assert (snapshot["funded"], snapshot["spent"], snapshot["budget"]) == (
        [play, bikes],
        9000,
        9000,
    )
    assert snapshot["other_funded"] == [play, benches]
    page = (
        await budget_room.facilitator.client.get(f"{budget_room.console}/rounds/{round_id}")
    ).text
    assert "Results, saved when voting closed" in page
    assert funded_rows(page) == {play: "yes", benches: "no", bikes: "yes"}
    assert budget_line(page) == (9000, 9000, ["Play area", "Bike store"])
    # The phones see the same funded set once the results are shown.
    phone = budget_room.devices[0]
    stage = (await phone.get(f"/w/{budget_room.code}")).text
    assert funded_rows(stage) == {play: "yes", benches: "no", bikes: "yes"}


# -- exports ---------------------------------------------------------------------------------------


async def test_the_exports_carry_costs_picks_and_the_funded_set(budget_room):
    round_id = await voted_room(budget_room)
    await budget_room.act("close", round_id)
    play, benches, bikes = (budget_room.option(t) for t in ("Play area", "Benches", "Bike store"))
    base = f"{budget_room.console}/export"
    client = budget_room.facilitator.client

    results = await client.get(f"{base}/results.csv")
    assert results.status_code == 200
    rows = list(csv.DictReader(io.StringIO(results.text.lstrip("\ufeff"))))
    assert {
        int(r["option_id"]): (r["method"], r["supporters"], r["ballots"], r["cost"], r["funded"])
        for r in rows
    } == {
        play: ("picks", "2", "3", "6000", "yes"),
        benches: ("picks", "2", "3", "3000", "no"),
        bikes: ("picks", "1", "3", "3000", "yes"),
    }

    ballots = list(
        csv.DictReader(io.StringIO((await client.get(f"{base}/ballots.csv")).text.lstrip("\ufeff")))
    )
    picked = sorted(
        (r["participant"], int(r["option_id"])) for r in ballots if r["picked"] == "yes"
    )
    assert len(picked) == len(ballots) == 5
    assert sorted(o for _who, o in picked) == sorted([play, play, benches, benches, bikes])
    assert len({who for who, _o in picked}) == 3

    data = (await client.get(f"{base}/workshop.json")).json()
    (exported,) = data["rounds"]
    assert exported["kind"] == "budget"
    assert (exported["rules"]["budget"], exported["rules"]["rule"]) == (9000, "equal_shares")
    assert {o["id"]: o["cost"] for o in data["options"]} == {play: 6000, benches: 3000, bikes: 3000}
    result = exported["results"]
    assert (result["ballots"], result["funded"], result["spent"]) == (3, [play, bikes], 9000)
    assert result["other_rule_funded"] == [play, benches]
    assert sorted(sorted(b["picks"]) for b in exported["ballots"]) == sorted(
        [sorted([play, benches])] * 2 + [[bikes]]
    )


# -- over a real websocket -------------------------------------------------------------------------


@pytest.fixture
def live(tmp_path):
    data = str(tmp_path / "live.sqlite3")
    add_user(data)
    srv = Server(data).start()
    yield srv
    srv.stop()


async def test_picks_sent_over_the_websocket_are_checked_against_the_budget(live):
    async with (
        httpx.AsyncClient(base_url=live.url, timeout=WAIT) as staff,
        httpx.AsyncClient(base_url=live.url, timeout=WAIT) as device,
    ):
        facilitator = Facilitator(staff)
        assert (await facilitator.login()).status_code == 303
        workshop_id, code = await facilitator.create_workshop("Estate fund")
        ids = []
        for title, cost in (("Play area", "6000"), ("Benches", "3000")):
            added = await facilitator.post(
                f"/f/workshops/{workshop_id}/options", {"title": title, "cost": cost}
            )
            assert added.status_code == 303
            ids.append(max(await facilitator.option_ids(workshop_id)))
        round_id = await facilitator.create_round(
            workshop_id, "Fund", ids, kind="budget", budget="8000"
        )
        await facilitator.round_action(workshop_id, round_id, "open")
        phone = Phone(device, ws_base=live.ws_url)
        await phone.join(code)
        async with phone.socket() as ws:
            assert 'data-kind="budget"' in await asyncio.wait_for(ws.recv(), WAIT)
            both = {f"pick-{i}": "1" for i in ids}
            await ws.send(Phone.form_message(round_id, both, "ws-budget-0001"))
            refused = await asyncio.wait_for(ws.recv(), WAIT)
            assert state_of(refused) == "error"
            assert status_text(refused) == "⚠ Your picks cost 9,000, more than the budget of 8,000."
            await ws.send(Phone.form_message(round_id, {"picks": [str(ids[0])]}, "ws-budget-0002"))
            saved = await asyncio.wait_for(ws.recv(), WAIT)
            assert state_of(saved) == "saved"
            assert 'data-client-id="ws-budget-0002"' in saved
        page = (await facilitator.client.get(f"/f/workshops/{workshop_id}/rounds/{round_id}")).text
        assert re.search(rf'<tr data-option="{ids[0]}" data-funded="yes"><td>1</td>', page)
        assert re.search(rf'<tr data-option="{ids[1]}" data-funded="no">', page)


async def test_a_form_with_two_rules_is_refused_in_plain_words(budget_room, settings):
    before = db_rows(settings.data_path)
    response = await budget_room.budget_round(
        ["Play area", "Benches"], rule=["greedy", "equal_shares"]
    )
    assert response.status_code == 400
    assert shown_error(response) == "Choose how the budget is shared out."
    assert db_rows(settings.data_path) == before


@pytest.mark.parametrize("rule", ["equal_shares", "greedy"])
async def test_when_the_list_order_decides_what_is_funded_every_page_says_so(budget_room, rule):
    """Benches and the bike store cost £3,000 each, one person picks each, and £4,000 funds only
    one: the one listed first is funded, and the board and the results page say that the
    order decided, naming both; the tie rule on the results page says the same."""
    reply = await budget_room.budget_round(["Benches", "Bike store"], budget="£4,000", rule=rule)
    assert reply.status_code == 303
    round_id = await budget_room.latest_round()
    await budget_room.act("open", round_id)
    for title in ("Benches", "Bike store"):
        picked = await budget_room.pick(await budget_room.phone(), round_id, title)
        assert state_of(picked.text) == "saved"
    benches, bikes = budget_room.option("Benches"), budget_room.option("Bike store")
    board = (await budget_room.facilitator.client.get(f"{budget_room.console}/board")).text
    page = (
        await budget_room.facilitator.client.get(f"{budget_room.console}/rounds/{round_id}")
    ).text
    said = "“Benches” and “Bike store” were picked by as many people, and what is funded came"
    for shown in (board, page):
        assert funded_rows(shown) == {benches: "yes", bikes: "no"}
        assert said in html.unescape(shown)
    tie_rule = re.search(r"<p data-tie-rule>(.*?)</p>", html.unescape(page), re.S).group(1)
    assert "the one listed first is taken first" in tie_rule
    exported = json.loads(await budget_room.export("workshop.json"))["rounds"][-1]["results"]
    assert exported["order_decided"] == [benches, bikes]


async def test_when_the_money_funds_both_level_options_nothing_is_said(budget_room):
    round_id = await voted_room(budget_room, rule="greedy")
    page = (
        await budget_room.facilitator.client.get(f"{budget_room.console}/rounds/{round_id}")
    ).text
    assert "data-order-decided" not in page


async def test_every_phone_lists_the_budget_options_in_its_own_order(budget_room):
    """Whatever is listed first on a budget ballot is picked more by people in a hurry: each
    phone gets an order of its own (the same on every reload); the board keeps the round's."""
    assert (
        await budget_room.budget_round(["Play area", "Benches", "Bike store"])
    ).status_code == 303
    await budget_room.act("open", await budget_room.latest_round())

    def listed(page: str) -> tuple[int, ...]:
        ballot = re.search(r'<form id="ballot".*?</form>', page, re.S).group(0)
        return tuple(int(o) for o in re.findall(r'<li class="[^"]*" data-option="(\d+)"', ballot))

    orders = set()
    for _ in range(8):
        phone = await budget_room.phone()
        first = listed((await phone.client.get(f"/w/{budget_room.code}")).text)
        assert first == listed((await phone.client.get(f"/w/{budget_room.code}")).text)
        orders.add(first)
    assert len(orders) > 1
    board = (await budget_room.facilitator.client.get(f"{budget_room.console}/board")).text
    titles = ["Play area", "Benches", "Bike store"]
    shown = [int(o) for o in re.findall(r'data-option="(\d+)"', board)]
    assert shown == [budget_room.option(t) for t in titles]
