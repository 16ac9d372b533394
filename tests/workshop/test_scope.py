"""What is up for grabs: option scopes (open, within limits, not negotiable) and round information
cards, from storage through the console, the ballot rules, the phone, the board and the exports."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re

import httpx
import pytest

from facilitation.core.errors import BallotError
from facilitation.core.models import InfoCard, LimitKind, Round, RoundStatus, Scope
from facilitation.kinds.base import NOT_UP_FOR_DECISION
from facilitation.kinds.dots import read_dots, validate_dots
from facilitation.kinds.ranking import read_ranking, validate_ranking
from tests.conftest import new_client
from tests.helpers import Facilitator, Phone, db_rows

LIMIT = "up to £5,000 from the estate budget"
REASON = "The council must repair the lifts by law."


async def add(person: Facilitator, workshop_id: int, title: str, **scope) -> int:
    response = await person.post(
        f"/f/workshops/{workshop_id}/options", {"title": title, "description": "", **scope}
    )
    assert response.status_code == 303, response.text
    return max(await person.option_ids(workshop_id))


@pytest.fixture
async def scoped(facilitator):
    """A workshop with one open option, one within limits and one not negotiable."""
    workshop_id, code = await facilitator.create_workshop("Estate")
    open_id = await add(facilitator, workshop_id, "Benches")
    limited = await add(
        facilitator,
        workshop_id,
        "Play area",
        scope="within_limits",
        limit_kind="budget",
        limit_text=LIMIT,
    )
    second_open = await add(facilitator, workshop_id, "Lighting")
    fixed = await add(
        facilitator, workshop_id, "Lift repairs", scope="not_negotiable", limit_text=REASON
    )
    return workshop_id, code, (open_id, limited, second_open, fixed)


async def open_round(person: Facilitator, workshop_id: int, option_ids, **fields) -> int:
    round_id = await person.create_round(workshop_id, "Priorities", option_ids, **fields)
    response = await person.round_action(workshop_id, round_id, "open")
    assert response.status_code == 303, response.text
    return round_id


async def joined_phone(app, code: str) -> Phone:
    phone = Phone(new_client(app))
    await phone.join(code)
    return phone


# -- storage -------------------------------------------------------------------------------------


async def test_the_scope_migration_is_recorded(app):
    assert "0004_option_scope_and_cards" in await app.state.store.applied_migrations()


async def test_an_option_keeps_its_scope_limit_kind_and_text(app, scoped):
    workshop_id, _code, (open_id, limited, _o, fixed) = scoped
    options = {o.id: o for o in await app.state.store.options.options(workshop_id)}
    assert options[open_id].scope is Scope.OPEN and options[open_id].limit_text == ""
    assert options[limited].scope is Scope.WITHIN_LIMITS
    assert (options[limited].limit_kind, options[limited].limit_text) == (LimitKind.BUDGET, LIMIT)
    assert options[fixed].scope is Scope.NOT_NEGOTIABLE and options[fixed].limit_text == REASON
    assert not options[fixed].votable and options[limited].votable


async def test_a_round_lists_not_negotiable_options_apart_from_its_ballot(app, facilitator, scoped):
    workshop_id, _code, ids = scoped
    round_id = await facilitator.create_round(workshop_id, "Priorities", ids)
    rnd = await app.state.store.rounds.round(round_id)
    assert rnd.option_ids == ids[:3]
    assert rnd.info_option_ids == (ids[3],)


async def test_an_option_becomes_information_only_in_its_draft_rounds(app, facilitator, scoped):
    workshop_id, _code, ids = scoped
    round_id = await facilitator.create_round(workshop_id, "Priorities", ids)
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/options/{ids[2]}/edit",
        {"title": "Lighting", "scope": "not_negotiable", "limit_text": "Already funded."},
    )
    assert response.status_code == 303, response.text
    rnd = await app.state.store.rounds.round(round_id)
    assert rnd.option_ids == ids[:2] and rnd.info_option_ids == (ids[2], ids[3])


# -- the console ---------------------------------------------------------------------------------


async def test_the_console_shows_who_decides_each_option(facilitator, scoped):
    workshop_id, _code, _ids = scoped
    page = (await facilitator.client.get(f"/f/workshops/{workshop_id}")).text
    assert "Who decides?" in page
    assert 'data-scope="within_limits"' in page and LIMIT in page
    assert 'data-scope="not_negotiable"' in page and REASON in page
    assert page.count('data-scope="open"') == 2


BAD_SCOPES = {
    "within-limits-without-text": (
        {"scope": "within_limits", "limit_kind": "budget", "limit_text": "  "},
        "State the limit",
    ),
    "within-limits-without-kind": (
        {"scope": "within_limits", "limit_kind": "", "limit_text": LIMIT},
        "Choose what kind of limit applies",
    ),
    "not-negotiable-without-reason": (
        {"scope": "not_negotiable", "limit_text": ""},
        "Give the reason this option is not negotiable",
    ),
    "unknown-scope": ({"scope": "maybe"}, "Choose who decides"),
    "unknown-kind": (
        {"scope": "within_limits", "limit_kind": "whim", "limit_text": LIMIT},
        "Choose what kind of limit applies",
    ),
    "too-long": (
        {"scope": "not_negotiable", "limit_text": "x" * 201},
        "too long: 200 characters at most",
    ),
}


@pytest.mark.parametrize("case", list(BAD_SCOPES))
async def test_a_bad_scope_on_a_new_option_is_refused_and_changes_nothing(
    facilitator, settings, case
):
    workshop_id, _code = await facilitator.create_workshop("Estate")
    fields, message = BAD_SCOPES[case]
    before = db_rows(settings.data_path)
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/options", {"title": "Play area", **fields}, htmx=True
    )
    assert response.status_code == 400
    assert message in response.text
    assert db_rows(settings.data_path) == before


@pytest.mark.parametrize("case", list(BAD_SCOPES))
async def test_a_bad_scope_on_an_edit_is_refused_and_changes_nothing(
    facilitator, settings, scoped, case
):
    workshop_id, _code, ids = scoped
    fields, message = BAD_SCOPES[case]
    before = db_rows(settings.data_path)
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/options/{ids[0]}/edit",
        {"title": "Renamed", **fields},
        htmx=True,
    )
    assert response.status_code == 400
    assert message in response.text
    assert db_rows(settings.data_path) == before


async def test_a_round_needs_two_options_the_room_can_vote_on(facilitator, scoped, settings):
    workshop_id, _code, (open_id, _l, _o, fixed) = scoped
    before = db_rows(settings.data_path)
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/rounds",
        {"title": "Lifts", "kind": "dots", "options": [str(open_id), str(fixed)]},
        htmx=True,
    )
    assert response.status_code == 400
    assert "at least two options for the round that the room can vote on" in response.text
    assert db_rows(settings.data_path) == before


async def test_whether_an_option_is_voted_on_is_fixed_once_its_round_opened(
    facilitator, scoped, settings
):
    workshop_id, _code, ids = scoped
    await open_round(facilitator, workshop_id, ids)
    before = db_rows(settings.data_path)
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/options/{ids[0]}/edit",
        {"title": "Benches", "scope": "not_negotiable", "limit_text": "Changed my mind."},
        htmx=True,
    )
    assert response.status_code == 409
    assert "can no longer change" in response.text
    assert db_rows(settings.data_path) == before


# -- the ballot rules ----------------------------------------------------------------------------

INFO_ROUND = Round(
    1, 1, "R", "dots", (1, 2), RoundStatus.OPEN, info_option_ids=(3,), settings={"dots": 5}
)


def test_the_rules_refuse_dots_on_a_not_negotiable_option():
    with pytest.raises(BallotError) as caught:
        read_dots({"dots-1": "1", "dots-3": "1"}, INFO_ROUND)
    assert caught.value.message == NOT_UP_FOR_DECISION
    with pytest.raises(BallotError):
        validate_dots({1: 1, 3: 1}, INFO_ROUND)


def test_the_rules_refuse_a_ranking_that_places_a_not_negotiable_option():
    rnd = Round(1, 1, "R", "rank", (1, 2), RoundStatus.OPEN, info_option_ids=(3,))
    with pytest.raises(BallotError) as caught:
        read_ranking({"rank": ["1", "3", "2"]}, rnd)
    assert caught.value.message == NOT_UP_FOR_DECISION
    with pytest.raises(BallotError):
        validate_ranking((3, 1), rnd)
    assert validate_ranking((2, 1), rnd) == (2, 1)


@pytest.mark.parametrize("kind", ["dots", "rank"])
async def test_a_ballot_for_a_not_negotiable_option_is_refused_over_http(
    app, facilitator, scoped, settings, kind
):
    workshop_id, code, ids = scoped
    round_id = await open_round(facilitator, workshop_id, ids, kind=kind)
    phone = await joined_phone(app, code)
    before = db_rows(settings.data_path)
    if kind == "dots":
        response = await phone.vote_http(round_id, dots={ids[0]: 1, ids[3]: 2})
    else:
        response = await phone.vote_http(round_id, ranking=[ids[3], ids[0], ids[1], ids[2]])
    assert response.status_code == 400
    assert "not up for decision" in response.text
    assert db_rows(settings.data_path) == before
    good = {ids[0]: 2, ids[1]: 1} if kind == "dots" else None
    ok = await phone.vote_http(round_id, dots=good, ranking=None if good else ids[:3])
    assert ok.status_code == 200 and 'data-state="saved"' in ok.text
    await phone.client.aclose()


async def test_a_ballot_for_a_not_negotiable_option_is_refused_over_the_socket(server):
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=15) as staff,
        httpx.AsyncClient(base_url=server.url, timeout=15) as device,
    ):
        person = Facilitator(staff)
        assert (await person.login()).status_code == 303
        workshop_id, code = await person.create_workshop("Estate")
        a = await add(person, workshop_id, "Benches")
        b = await add(person, workshop_id, "Lighting")
        fixed = await add(
            person, workshop_id, "Lift repairs", scope="not_negotiable", limit_text=REASON
        )
        round_id = await open_round(person, workshop_id, (a, b, fixed))
        phone = Phone(device, ws_base=server.ws_url)
        await phone.join(code)
        async with phone.socket() as ws:
            first = await asyncio.wait_for(ws.recv(), 15)
            assert "Not up for decision:" in first and f'name="dots-{fixed}"' not in first
            await ws.send(Phone.ballot_message(round_id, {a: 1, fixed: 1}))
            refused = await asyncio.wait_for(ws.recv(), 15)
            assert 'data-state="error"' in refused and "not up for decision" in refused
            await ws.send(Phone.ballot_message(round_id, {a: 1}))
            assert 'data-state="saved"' in await asyncio.wait_for(ws.recv(), 15)
        results = (await staff.get(f"/f/workshops/{workshop_id}/export/results.csv")).text
        assert f",{fixed}," not in results


# -- the phone and the board ---------------------------------------------------------------------

CARDS = {
    "card_title_1": "How the service charge is made up",
    "card_text_1": "Cleaning 40%, repairs 35%, insurance 25%.",
    "card_title_2": "What happens next",
    "card_text_2": "The board meets in June.",
}


async def test_the_phone_shows_cards_and_not_negotiable_options_before_the_ballot(
    app, facilitator, scoped
):
    workshop_id, code, ids = scoped
    await open_round(facilitator, workshop_id, ids, **CARDS)
    phone = await joined_phone(app, code)
    page = (await phone.client.get(f"/w/{code}")).text
    cards_at = page.index("data-info-cards")
    assert cards_at < page.index('id="ballot"')
    assert re.search(r"<details[^>]*data-info-cards[^>]*open", page)
    assert "How the service charge is made up" in page and "Cleaning 40%" in page
    assert f'data-info-option="{ids[3]}"' in page and REASON in page
    assert "Not up for decision:" in page
    assert f'name="dots-{ids[3]}"' not in page
    assert all(f'name="dots-{oid}"' in page for oid in ids[:3])
    await phone.client.aclose()


async def test_the_phone_shows_a_limit_beside_the_option_it_bounds(app, facilitator, scoped):
    workshop_id, code, ids = scoped
    await open_round(facilitator, workshop_id, ids, kind="rank")
    phone = await joined_phone(app, code)
    page = (await phone.client.get(f"/w/{code}")).text
    item = page[page.index(f'<h2 id="opt-{ids[1]}" dir="auto">') :]
    item = item[: item.index("</li>")]
    assert "Within limits" in item and "Budget:" in item and LIMIT in item
    await phone.client.aclose()


async def test_the_board_shows_not_negotiable_options_and_cards_only_when_chosen(
    app, facilitator, scoped
):
    workshop_id, _code, ids = scoped
    round_id = await open_round(facilitator, workshop_id, ids, **CARDS)
    board = (await facilitator.client.get(f"/f/workshops/{workshop_id}/board")).text
    assert f'data-info-option="{ids[3]}"' in board and REASON in board
    assert "How the service charge is made up" not in board
    assert "Within limits" in board and LIMIT in board  # beside its live bar
    await facilitator.round_action(workshop_id, round_id, "close")
    shown = await facilitator.create_round(workshop_id, "Again", ids, cards_on_board="on", **CARDS)
    await facilitator.round_action(workshop_id, shown, "open")
    board = (await facilitator.client.get(f"/f/workshops/{workshop_id}/board")).text
    assert "How the service charge is made up" in board and "Cleaning 40%" in board


async def test_cards_are_saved_edited_and_removed_on_a_draft_round(app, facilitator, scoped):
    workshop_id, _code, ids = scoped
    round_id = await facilitator.create_round(workshop_id, "Priorities", ids, **CARDS)
    rnd = await app.state.store.rounds.round(round_id)
    assert rnd.cards == (
        InfoCard("How the service charge is made up", "Cleaning 40%, repairs 35%, insurance 25%."),
        InfoCard("What happens next", "The board meets in June."),
    )
    edit_page = (
        await facilitator.client.get(f"/f/workshops/{workshop_id}/rounds/{round_id}/edit")
    ).text
    assert 'value="What happens next"' in edit_page
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/rounds/{round_id}/edit",
        {
            "title": "Priorities",
            "kind": "dots",
            "options": [str(o) for o in ids],
            "card_title_1": "",
            "card_text_1": "",
            "card_title_2": "What happens next",
            "card_text_2": "The board meets in July.",
            "cards_on_board": "on",
        },
    )
    assert response.status_code == 303, response.text
    rnd = await app.state.store.rounds.round(round_id)
    assert rnd.cards == (InfoCard("What happens next", "The board meets in July."),)
    assert rnd.cards_on_board


BAD_CARDS = {
    "no-title": ({"card_text_3": "Some text"}, "Information card 3 needs a title."),
    "no-text": ({"card_title_1": "A title"}, "Information card 1 needs some text."),
    "long-title": (
        {"card_title_2": "t" * 81, "card_text_2": "x"},
        "The title of information card 2 is too long: 80 characters at most.",
    ),
    "long-text": (
        {"card_title_1": "T", "card_text_1": "x" * 601},
        "The text of information card 1 is too long: 600 characters at most.",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CARDS))
async def test_a_bad_card_is_refused_and_changes_nothing(facilitator, scoped, settings, case):
    workshop_id, _code, ids = scoped
    fields, message = BAD_CARDS[case]
    before = db_rows(settings.data_path)
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/rounds",
        {"title": "R", "kind": "dots", "options": [str(o) for o in ids], **fields},
        htmx=True,
    )
    assert response.status_code == 400
    assert message in response.text
    assert db_rows(settings.data_path) == before


# -- exports -------------------------------------------------------------------------------------


async def test_exports_carry_each_options_scope_and_limit(app, facilitator, scoped):
    workshop_id, code, ids = scoped
    await facilitator.post(
        f"/f/workshops/{workshop_id}/options/{ids[0]}/edit",
        {
            "title": "Benches",
            "scope": "within_limits",
            "limit_kind": "lease",
            "limit_text": "=only where the lease allows",
        },
    )
    round_id = await open_round(facilitator, workshop_id, ids, **CARDS)
    phone = await joined_phone(app, code)
    assert (await phone.vote_http(round_id, dots={ids[0]: 2, ids[1]: 1})).status_code == 200
    await facilitator.round_action(workshop_id, round_id, "close")
    base = f"/f/workshops/{workshop_id}/export"
    table = list(
        csv.DictReader(
            io.StringIO((await facilitator.client.get(base + "/results.csv")).text.lstrip("\ufeff"))
        )
    )
    by_option = {int(r["option_id"]): r for r in table}
    assert (by_option[ids[0]]["scope"], by_option[ids[0]]["limit_kind"]) == (
        "within_limits",
        "lease",
    )
    assert by_option[ids[0]]["limit"] == "'=only where the lease allows"
    assert (by_option[ids[1]]["scope"], by_option[ids[1]]["limit"]) == ("within_limits", LIMIT)
    assert by_option[ids[2]]["scope"] == "open"
    assert ids[3] not in by_option
    data = json.loads((await facilitator.client.get(base + "/workshop.json")).text)
    options = {o["id"]: o for o in data["options"]}
    assert options[ids[3]]["scope"] == "not_negotiable" and options[ids[3]]["limit"] == REASON
    assert options[ids[1]]["limit_kind"] == "budget"
    (rnd,) = data["rounds"]
    assert rnd["option_ids"] == list(ids[:3]) and rnd["information_option_ids"] == [ids[3]]
    assert rnd["cards"][0]["title"] == "How the service charge is made up"
    await phone.client.aclose()
