"""Fist of five end to end: proposals shown 0 to 5 fingers from phones and from paper, refused
answers, the verdict on the board and the results page, and the exports."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from facilitation import kinds
from facilitation.core.errors import BallotError
from facilitation.core.models import Ballot, Round, RoundStatus
from facilitation.kinds import fist
from tests.helpers import Phone, db_rows
from tests.room import Room

PROPOSALS = ("Close the car park gate at night", "Move the bins to the back", "Paint the hall")


def state_of(reply: str) -> str:
    return re.search(r'id="ballot-status".*?data-state="(\w+)"', reply, re.S).group(1)


def status_text(reply: str) -> str:
    return html.unescape(re.search(r'id="ballot-status"[^>]*>\s*(.*?)\s*</p>', reply, re.S)[1])


def verdicts(page: str) -> dict[int, str]:
    """Each proposal's verdict as a page shows it, in the order listed."""
    return {
        int(option): verdict
        for option, verdict in re.findall(
            r'<li class="result-row" data-option="(\d+)".*?data-verdict="(\w+)"', page, re.S
        )
    }


def spread_table(page: str) -> dict[int, list[str]]:
    table = re.search(r"How many showed each number of fingers</caption>(.*?)</table>", page, re.S)
    return {
        int(option): re.findall(r"<td>([^<]*)</td>", cells)[1:]
        for option, cells in re.findall(r'<tr data-option="(\d+)">(.*?)</tr>', table[1], re.S)
    }


# -- the rules, without a server -------------------------------------------------------------------


def a_round(option_ids=(1, 2)) -> Round:
    return Round(3, 1, "Proposals", "fist", option_ids, RoundStatus.OPEN)


def test_the_registry_finds_fist_of_five_by_itself():
    assert kinds.get("fist") is fist.KIND
    assert "fist" in [k.name for k in kinds.all_kinds()]


@pytest.mark.parametrize(
    ("counts", "verdict"),
    [
        ([0, 0, 0, 2, 3, 1], fist.CONSENSUS),
        ([0, 0, 1, 4, 0, 0], fist.CONCERNS),
        ([0, 1, 0, 0, 0, 5], fist.CONCERNS),
        ([1, 0, 0, 0, 0, 9], fist.BLOCKED),
        ([0, 0, 0, 0, 0, 0], fist.NO_ANSWERS),
    ],
)
def test_the_verdict_follows_the_fewest_fingers_shown(counts, verdict):
    assert fist.verdict(counts) == verdict


def test_the_tally_keeps_the_order_asked_with_the_mean_and_the_spread():
    rnd = a_round((7, 5))
    ballots = [
        Ballot(3, 1, fist.entry({7: 5, 5: 0})),
        Ballot(3, 2, fist.entry({7: 4})),
        Ballot(3, 3, fist.entry({7: 3, 5: 2})),
    ]
    result = fist.KIND.tally(rnd, ballots)
    assert [(r.option_id, r.score, r.voters) for r in result.rows] == [(7, 4.0, 3), (5, 1.0, 2)]
    assert result.details["spread"] == {"7": [0, 0, 0, 1, 1, 1], "5": [1, 0, 1, 0, 0, 0]}


@pytest.mark.parametrize(
    "fields",
    [{"fist-1": "6"}, {"fist-1": "-1"}, {"fist-1": "2.5"}, {"fist-1": "yes"}, {"fist-9": "3"}, {}],
)
def test_a_ballot_outside_zero_to_five_or_the_round_is_refused(fields):
    with pytest.raises(BallotError):
        fist.KIND.read_ballot(fields, a_round())


# -- end to end ------------------------------------------------------------------------------------


@pytest.fixture
async def fist_room(room) -> Room:
    """Three proposals in an open fist-of-five round, in a workshop of their own."""
    made = await room.another("Estate decisions", PROPOSALS)
    await made.create_round("Can we agree?", kind="fist")
    await made.act("open")
    return made


async def show(room: Room, phone: Phone, *fingers: str):
    fields = {f"fist-{o}": v for o, v in zip(room.options, fingers, strict=False) if v}
    return await phone.send_http(room.round_id, fields)


async def test_the_console_offers_fist_of_five_and_the_phone_shows_its_ballot(fist_room):
    console = (await fist_room.facilitator.client.get(f"/f/workshops/{fist_room.workshop_id}")).text
    assert 'name="kind" value="fist"' in console
    assert "Fist of five, 0 to 5 fingers" in html.unescape(console)
    phone = await fist_room.phone()
    page = html.unescape((await phone.client.get(f"/w/{fist_room.code}")).text)
    assert 'data-kind="fist"' in page
    assert "No: I block this" in page and "Full support: I will help" in page
    assert page.count('type="radio" name="fist-') == 6 * len(PROPOSALS)


async def test_fingers_are_saved_and_shown_ticked_again(fist_room):
    phone = await fist_room.phone()
    a, b, _c = fist_room.options
    reply = await show(fist_room, phone, "4", "0")
    assert reply.status_code == 200 and state_of(reply.text) == "saved"
    (ballot,) = await fist_room.app.state.store.ballots.ballots(fist_room.round_id)
    assert fist.fingers_of(ballot.entry) == {a: 4, b: 0}
    page = (await phone.client.get(f"/w/{fist_room.code}")).text
    assert f'name="fist-{a}" value="4" checked' in page
    assert f'name="fist-{b}" value="0" checked' in page


@pytest.mark.parametrize(
    ("fingers", "message"),
    [
        (("6",), "Show from 0 to 5 fingers for each proposal."),
        (("3", "-1"), "Show from 0 to 5 fingers for each proposal."),
        (("", "", ""), "Show your fingers for at least one proposal before sending."),
    ],
)
async def test_a_refused_answer_stores_nothing(fist_room, settings, fingers, message):
    phone = await fist_room.phone()
    before = db_rows(settings.data_path)
    reply = await show(fist_room, phone, *fingers)
    assert reply.status_code == 400 and state_of(reply.text) == "error"
    assert status_text(reply.text) == "⚠ " + message
    assert db_rows(settings.data_path) == before


async def test_the_board_and_results_give_each_proposal_its_verdict(fist_room):
    a, b, c = fist_room.options
    for fingers in (("5", "2", "0"), ("4", "3", "5"), ("3", "", "4")):
        assert state_of((await show(fist_room, await fist_room.phone(), *fingers)).text) == "saved"
    board = (
        await fist_room.facilitator.client.get(f"/f/workshops/{fist_room.workshop_id}/board")
    ).text
    assert verdicts(board) == {a: "consensus", b: "concerns", c: "blocked"}
    text = html.unescape(board)
    assert "1 fist" in text and "1 person has concerns" in text and "3 answers" in text
    url = f"/f/workshops/{fist_room.workshop_id}/rounds/{fist_room.round_id}"
    for closed in (False, True):  # the live count, then the snapshot saved when it closed
        page = html.unescape((await fist_room.facilitator.client.get(url)).text)
        assert "Fist of five: 0 to 5 fingers on each proposal" in page
        assert verdicts(page) == {a: "consensus", b: "concerns", c: "blocked"}
        assert spread_table(page) == {
            #    0    1    2    3    4    5   mean  verdict
            a: ["0", "0", "0", "1", "1", "1", "4.0", "Consensus"],
            b: ["0", "0", "1", "1", "0", "0", "2.5", "Concerns to hear"],
            c: ["1", "0", "0", "0", "1", "1", "3.0", "Blocked"],
        }
        if not closed:
            response = await fist_room.facilitator.round_action(
                fist_room.workshop_id, fist_room.round_id, "close"
            )
            assert response.status_code == 303
    assert "Results, saved when voting closed" in page
    assert "Ties:" not in page  # proposals keep the order asked; nothing is placed


async def test_a_paper_sheet_counts_with_the_phones(fist_room):
    a, b, _c = fist_room.options
    facilitator = fist_room.facilitator
    paper = f"/f/workshops/{fist_room.workshop_id}/rounds/{fist_room.round_id}/paper"
    form = (await facilitator.client.get(paper)).text
    assert f'name="fist-{a}" value="0"' in form
    client_id = re.search(r'name="client_id" value="(\w+)"', form)[1]
    response = await facilitator.post(
        paper, {"label": "Sheet 1", "client_id": client_id, f"fist-{a}": "2", f"fist-{b}": "5"}
    )
    assert response.status_code == 303
    (ballot,) = await fist_room.app.state.store.ballots.ballots(fist_room.round_id)
    assert (ballot.paper, fist.fingers_of(ballot.entry)) == (True, {a: 2, b: 5})


async def test_the_exports_carry_each_proposals_fingers_and_verdict(fist_room):
    a, b, _c = fist_room.options
    await show(fist_room, await fist_room.phone(), "5", "0")
    base = f"/f/workshops/{fist_room.workshop_id}/export"
    client = fist_room.facilitator.client
    rows = list(
        csv.DictReader(io.StringIO((await client.get(f"{base}/ballots.csv")).text.lstrip("\ufeff")))
    )
    assert [(int(r["option_id"]), r["fingers"], r["source"]) for r in rows] == [
        (a, "5", "phone"),
        (b, "0", "phone"),
    ]
    results = list(
        csv.DictReader(io.StringIO((await client.get(f"{base}/results.csv")).text.lstrip("\ufeff")))
    )
    assert [(int(r["option_id"]), r["method"], r["verdict"]) for r in results] == [
        (a, "mean_fingers", "consensus"),
        (b, "mean_fingers", "blocked"),
        (fist_room.options[2], "mean_fingers", "none"),
    ]
    data = (await client.get(f"{base}/workshop.json")).json()
    (exported,) = data["rounds"]
    assert exported["kind"] == "fist"
    assert exported["ballots"][0]["fingers"] == {str(a): 5, str(b): 0}
    assert exported["results"]["verdicts"][str(a)] == "consensus"
