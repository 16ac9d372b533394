"""The facilitator's console in process: signing in, workshops, options, rounds and htmx replies."""

from __future__ import annotations

import html
import re

import pytest

from facilitation.storage.workshops import CODE_ALPHABET, CODE_LENGTH
from tests.conftest import new_client
from tests.helpers import (
    PASSWORD,
    Facilitator,
    Phone,
    csrf_of,
    db_rows,
    quick_hash,
)


def text(response) -> str:
    return html.unescape(response.text)


async def follow(person: Facilitator, response) -> str:
    """What the facilitator sees after a plain form post: the page it redirects to."""
    assert response.status_code == 303, response.text
    return text(await person.client.get(response.headers["location"]))


async def vote(app, code: str, round_id: int, dots: dict) -> None:
    async with new_client(app) as device:
        phone = Phone(device)
        await phone.join(code)
        response = await phone.vote_http(round_id, dots)
        assert 'data-state="saved"' in response.text


def option_order(console: str) -> list[str]:
    return re.findall(r'<div class="option-text">\s*<strong>([^<]+)</strong>', console)


# -- signing in ------------------------------------------------------------------------------------


async def test_login_with_the_right_password_opens_the_workshop_list(app, client):
    from argon2 import PasswordHasher

    await app.state.store.users.create_user("facilitator", PasswordHasher().hash(PASSWORD))
    response = await Facilitator(client).login()
    assert response.status_code == 303
    assert response.headers["location"] == "/f"
    assert (await client.get("/f")).status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [("facilitator", "wrong password"), ("nobody", PASSWORD), ("", "")],
    ids=["wrong-password", "unknown-user", "empty"],
)
async def test_login_failure_says_so_and_keeps_you_out(app, client, username, password):
    await app.state.store.users.create_user("facilitator", quick_hash())
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "username": username, "password": password},
    )
    assert response.status_code == 400
    assert "That username and password do not match" in text(response)
    assert (await client.get("/f")).status_code == 303


async def test_logout_signs_the_facilitator_out(facilitator, client):
    response = await facilitator.post("/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert "You are signed out." in text(await client.get("/"))
    listing = await client.get("/f")
    assert listing.status_code == 303
    assert listing.headers["location"].startswith("/login")


# -- workshops -------------------------------------------------------------------------------------


async def test_creating_a_workshop_shows_its_join_code(facilitator):
    response = await facilitator.post("/f/workshops", {"title": "Phoenix Place", "place": "Hall"})
    console = await follow(facilitator, response)
    code = re.search(r'class="code-big">([^<]+)<', console).group(1)
    assert len(code) == CODE_LENGTH == 8
    assert set(code) <= set(CODE_ALPHABET)
    assert f"Workshop created. Its join code is {code}." in console
    listing = text(await facilitator.client.get("/f"))
    assert "Phoenix Place" in listing
    assert code in listing


async def test_a_workshop_needs_a_title(app, facilitator, settings):
    before = db_rows(settings.data_path)
    response = await facilitator.post("/f/workshops", {"title": "   "})
    assert response.status_code == 400
    assert "Please fill in “Title”." in text(response)
    assert db_rows(settings.data_path) == before


async def test_editing_workshop_details(facilitator, room):
    workshop_id, code = room.workshop_id, room.code
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/edit",
        {"title": "Blue spaces", "date": "2025-09-13", "place": "Library"},
    )
    console = await follow(facilitator, response)
    assert "Workshop details saved." in console
    assert '<h1 dir="auto">Blue spaces</h1>' in console
    assert '<time datetime="2025-09-13">Saturday, 13 September 2025</time>' in console
    assert 'Saturday, 13 September 2025</time> · <span dir="auto">Library</span>' in console
    assert f'class="code-big">{code}<' in console


async def test_a_date_that_is_not_a_date_is_refused_and_changes_nothing(
    facilitator, room, settings
):
    before = db_rows(settings.data_path)
    response = await facilitator.post(
        f"/f/workshops/{room.workshop_id}/edit",
        {"title": "Blue spaces", "date": "Saturday", "place": "Library"},
    )
    assert response.status_code == 400
    assert "“Date” must be a date: a day, a month and a year." in text(response)
    assert db_rows(settings.data_path) == before


# -- options ---------------------------------------------------------------------------------------


async def test_adding_an_option_lists_it(facilitator, room):
    workshop_id = room.workshop_id
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/options", {"title": "Bike racks", "description": "By the door"}
    )
    console = await follow(facilitator, response)
    assert "Added “Bike racks”." in console
    assert option_order(console) == ["Benches", "Lighting", "Trees", "Bike racks"]
    assert "By the door" in console


async def test_editing_an_option_rewords_it(facilitator, room):
    workshop_id, (benches, *_rest) = room.workshop_id, room.options
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/options/{benches}/edit", {"title": "Picnic benches"}
    )
    console = await follow(facilitator, response)
    assert "Saved “Picnic benches”." in console
    assert "already support" not in console
    assert option_order(console) == ["Picnic benches", "Lighting", "Trees"]


async def test_editing_an_option_with_votes_says_the_votes_keep_counting(app, facilitator, room):
    workshop_id, code, (benches, lighting, _trees) = room.workshop_id, room.code, room.options
    round_id = await facilitator.create_round(workshop_id, "First", [benches, lighting])
    await facilitator.round_action(workshop_id, round_id, "open")
    await vote(app, code, round_id, {benches: 2})
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/options/{benches}/edit", {"title": "Wooden benches"}
    )
    console = await follow(facilitator, response)
    assert "1 ballot already supports it: they keep counting for the new wording." in console


@pytest.mark.parametrize(
    ("title", "direction", "expected"),
    [
        ("Lighting", "up", ["Lighting", "Benches", "Trees"]),
        ("Lighting", "down", ["Benches", "Trees", "Lighting"]),
        ("Benches", "up", ["Benches", "Lighting", "Trees"]),
    ],
)
async def test_moving_an_option(facilitator, room, title, direction, expected):
    workshop_id, options = room.workshop_id, room.options
    option_id = options[["Benches", "Lighting", "Trees"].index(title)]
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/options/{option_id}/move", {"direction": direction}
    )
    assert option_order(await follow(facilitator, response)) == expected


async def test_removing_an_unused_option_deletes_it(facilitator, room):
    workshop_id, (_benches, lighting, _trees) = room.workshop_id, room.options
    response = await facilitator.post(f"/f/workshops/{workshop_id}/options/{lighting}/remove")
    console = await follow(facilitator, response)
    assert "Removed “Lighting”." in console
    assert option_order(console) == ["Benches", "Trees"]


async def test_removing_a_voted_option_withdraws_it_and_it_can_be_restored(app, facilitator, room):
    workshop_id, code, (benches, lighting, _trees) = room.workshop_id, room.code, room.options
    round_id = await facilitator.create_round(workshop_id, "First", [benches, lighting])
    await facilitator.round_action(workshop_id, round_id, "open")
    await vote(app, code, round_id, {benches: 3, lighting: 1})
    await facilitator.round_action(workshop_id, round_id, "close")

    response = await facilitator.post(f"/f/workshops/{workshop_id}/options/{benches}/remove")
    console = await follow(facilitator, response)
    assert (
        "“Benches” has been used in a round, so it was withdrawn instead of deleted: past "
        "results still show it (1 ballots supported it), and it will not appear in new rounds. "
        "You can restore it."
    ) in console
    assert re.search(r"<strong>Benches</strong> <span class=\"badge\">Withdrawn</span>", console)
    results = text(await facilitator.client.get(f"/f/workshops/{workshop_id}/rounds/{round_id}"))
    assert "Benches" in results

    response = await facilitator.post(f"/f/workshops/{workshop_id}/options/{benches}/restore")
    console = await follow(facilitator, response)
    assert "Restored “Benches”." in console
    assert "Withdrawn</span>" not in console


async def test_removing_an_option_is_refused_while_its_round_is_open(facilitator, room, settings):
    workshop_id, (benches, lighting, _trees) = room.workshop_id, room.options
    round_id = await facilitator.create_round(workshop_id, "First", [benches, lighting])
    await facilitator.round_action(workshop_id, round_id, "open")
    before = db_rows(settings.data_path)
    response = await facilitator.post(f"/f/workshops/{workshop_id}/options/{benches}/remove")
    assert response.status_code == 409
    assert "This option is in a round that is open now. Close the round first" in text(response)
    assert db_rows(settings.data_path) == before


# -- rounds ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({}, "Dot voting: 5 dots, up to 3 on one option"),
        ({"max_per_option": "1"}, "Dot voting: 5 dots, up to 1 on one option"),
        (
            {"dots": "4", "must_use_all": "on"},
            "4 dots, up to 3 on one option, all dots must be used",
        ),
        ({"kind": "rank", "top_k": "2"}, "Ranking: top 2"),
        ({"kind": "rank"}, "Ranking: all options"),
        ({"hidden": "on"}, "results hidden until revealed"),
        ({"timer_minutes": "2"}, "timer 2 min"),
    ],
    ids=["dots-defaults", "approval", "must-use-all", "rank-top-k", "rank-all", "hidden", "timer"],
)
async def test_creating_a_round(facilitator, room, fields, shown):
    workshop_id, options = room.workshop_id, room.options
    data = {"title": "Priorities", "options": [str(o) for o in options], **fields}
    response = await facilitator.post(f"/f/workshops/{workshop_id}/rounds", data)
    console = await follow(facilitator, response)
    assert "Round “Priorities” is ready. Open it when the room is." in console
    assert shown in " ".join(console.split())
    assert "3 options" in console


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"options": ["OPT0"]}, "Choose at least two options for the round."),
        ({"options": []}, "Choose at least two options for the round."),
        ({"dots": "five"}, "“Dots per person” must be a whole number from 1 to 100."),
        ({"dots": "0"}, "“Dots per person” must be a whole number from 1 to 100."),
        ({"options": ["OPT0", "999999"]}, "One of the chosen options no longer exists."),
        ({"title": ""}, "Please fill in “Round title”."),
        ({"timer_minutes": "soon"}, "“Timer (minutes)” must be a number from 0.25 to 180."),
    ],
    ids=[
        "one-option",
        "no-options",
        "dots-text",
        "dots-zero",
        "unknown-option",
        "no-title",
        "timer-text",
    ],
)
async def test_a_bad_round_is_refused_with_a_message_and_nothing_changes(
    facilitator, room, settings, fields, message
):
    workshop_id, options = room.workshop_id, room.options
    data = {"title": "Priorities", "options": [str(o) for o in options], **fields}
    data["options"] = [v.replace("OPT0", str(options[0])) for v in data["options"]]
    before = db_rows(settings.data_path)
    response = await facilitator.post(f"/f/workshops/{workshop_id}/rounds", data)
    assert response.status_code == 400
    assert message in text(response)
    assert db_rows(settings.data_path) == before


async def test_editing_a_draft_round(facilitator, room):
    workshop_id, options = room.workshop_id, room.options
    round_id = await facilitator.create_round(workshop_id, "Priorities", options)
    page = await facilitator.client.get(f"/f/workshops/{workshop_id}/rounds/{round_id}/edit")
    assert page.status_code == 200
    assert 'value="Priorities"' in page.text
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/rounds/{round_id}/edit",
        {"title": "Top two", "kind": "rank", "options": [str(o) for o in options[:2]]},
    )
    console = await follow(facilitator, response)
    assert "Round “Top two” saved." in console
    assert "Ranking: all options" in " ".join(console.split())
    assert "2 options" in console
    assert "Priorities" not in console


async def test_editing_an_opened_round_is_refused(facilitator, room, settings):
    workshop_id, options = room.workshop_id, room.options
    round_id = await facilitator.create_round(workshop_id, "Priorities", options)
    await facilitator.round_action(workshop_id, round_id, "open")
    page = await facilitator.client.get(f"/f/workshops/{workshop_id}/rounds/{round_id}/edit")
    assert "This round has opened, so its settings are fixed." in text(page)
    assert 'name="title"' not in page.text
    before = db_rows(settings.data_path)
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/rounds/{round_id}/edit",
        {"title": "Changed", "options": [str(o) for o in options]},
    )
    assert response.status_code == 409
    assert "A round's settings are fixed once it has opened." in text(response)
    assert db_rows(settings.data_path) == before


async def test_a_round_opens_closes_reveals_hides_and_reopens(app, facilitator, room):
    workshop_id, code, options = room.workshop_id, room.code, room.options
    round_id = await facilitator.create_round(workshop_id, "Priorities", options, hidden="on")
    act = f"/f/workshops/{workshop_id}/rounds/{round_id}"

    console = await follow(facilitator, await facilitator.post(f"{act}/open"))
    assert "“Priorities” is open: phones now show the ballot." in console
    assert f'action="{act}/close"' in console
    await vote(app, code, round_id, {options[0]: 3})

    console = await follow(facilitator, await facilitator.post(f"{act}/close"))
    assert "“Priorities” is closed and its results are saved. Reveal them when you are ready." in (
        console
    )
    assert "Results hidden" in console

    console = await follow(facilitator, await facilitator.post(f"{act}/reveal"))
    assert "Results of “Priorities” are shown to the room." in console
    assert f'action="{act}/hide"' in console

    console = await follow(facilitator, await facilitator.post(f"{act}/hide"))
    assert "Results of “Priorities” are hidden again." in console
    assert f'action="{act}/reveal"' in console

    console = await follow(facilitator, await facilitator.post(f"{act}/open"))
    assert "“Priorities” is open: phones now show the ballot." in console
    results = text(await facilitator.client.get(act))
    assert "Live count: voting is still open" in results
    assert re.search(r"<dd data-ballots>1</dd>", results), "reopening keeps the ballots"


async def test_revealing_an_open_round_is_refused(facilitator, room):
    workshop_id, options = room.workshop_id, room.options
    round_id = await facilitator.create_round(workshop_id, "Priorities", options, hidden="on")
    await facilitator.round_action(workshop_id, round_id, "open")
    response = await facilitator.round_action(workshop_id, round_id, "reveal")
    assert response.status_code == 409
    assert "Results can be revealed once the round is closed." in text(response)


async def test_opening_a_second_round_while_one_is_open_is_refused(facilitator, room, settings):
    workshop_id, options = room.workshop_id, room.options
    first = await facilitator.create_round(workshop_id, "First", options)
    second = await facilitator.create_round(workshop_id, "Second", options)
    await facilitator.round_action(workshop_id, first, "open")
    before = db_rows(settings.data_path)
    response = await facilitator.round_action(workshop_id, second, "open")
    assert response.status_code == 409
    assert "“First” is still open. Close it before opening another round." in text(response)
    assert db_rows(settings.data_path) == before


async def test_deleting_a_draft_round(facilitator, room):
    workshop_id, options = room.workshop_id, room.options
    round_id = await facilitator.create_round(workshop_id, "Priorities", options)
    console = await follow(
        facilitator, await facilitator.round_action(workshop_id, round_id, "delete")
    )
    assert "Round “Priorities” deleted." in console
    assert f"/rounds/{round_id}/" not in console


# -- htmx ------------------------------------------------------------------------------------------


async def test_an_htmx_action_gets_the_console_back_with_the_flash_out_of_band(facilitator, room):
    workshop_id = room.workshop_id
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/options", {"title": "Bike racks"}, htmx=True
    )
    assert response.status_code == 200
    body = text(response)
    assert body.startswith(f'<div id="console-main-{workshop_id}" class="console-main">')
    assert "<strong>Bike racks</strong>" in body
    assert (
        f'<section id="console-live-{workshop_id}" class="card live-strip" hx-swap-oob="true"'
        in (body)
    )
    flash = body[body.index('<div id="flash"') :]
    assert 'hx-swap-oob="true"' in flash.split(">", 1)[0]
    assert "Added “Bike racks”." in flash
    assert "<html" not in body


async def test_an_htmx_error_is_retargeted_to_the_flash(facilitator, room):
    workshop_id, options = room.workshop_id, room.options
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/rounds",
        {"title": "Priorities", "options": [str(options[0])]},
        htmx=True,
    )
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#flash"
    body = text(response)
    assert body.startswith('<div id="flash"')
    assert "Choose at least two options for the round." in body
    assert "<html" not in body
