"""Who is in the room against the place: the console's live panel (widest gaps first) and the
facilitator's choice to show it on the board, which is off unless turned on."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest

from facilitation.web.live import console_channel
from facilitation.workshop import screens
from tests.conftest import new_client
from tests.helpers import db_rows
from tests.people.scene import AGE, TENURE, Resident, choice, programme_asking
from tests.translation import untranslated

WAIT = 15.0


@pytest.fixture
async def place_room(asking_room):
    """The asking room, with figures for the place: tenure 50, 30, 20 (social rent, private rent,
    owner) and age band 30%, 50%, 20%."""
    path = f"/f/programmes/{asking_room.programme_id}/people/questions"
    figures = {asking_room.tenure: (50, 30, 20), asking_room.age: ("30%", "50%", "20%")}
    for question, amounts in figures.items():
        await asking_room.facilitator.post(
            f"{path}/{question.id}/makeup",
            {f"amount-{c.id}": str(a) for c, a in zip(question.choices, amounts, strict=True)},
        )
    return asking_room


async def seat(app, code: str, answers: dict[int, int | None]) -> None:
    """Someone joins and answers, through the use cases (quicker than a phone each)."""
    participant = await app.state.ballots.join(
        await app.state.store.workshops.workshop_by_code(code), ""
    )
    respondent = await app.state.store.profiles.link_respondent(participant.id, None)
    await app.state.store.profiles.save_profile_answers(respondent.id, answers)


@pytest.fixture
async def seated_room(app, place_room):
    """The place room with four people in it: three owners (one under 30, one 65 and over) and
    one who would rather not say."""
    code, tenure, age = place_room.code, place_room.tenure, place_room.age
    owner = choice(tenure, "Owner")
    await seat(app, code, {tenure.id: owner, age.id: choice(age, "Under 30")})
    await seat(app, code, {tenure.id: owner, age.id: choice(age, "65 and over")})
    await seat(app, code, {tenure.id: owner})
    await seat(app, code, {tenure.id: None})
    return place_room


def panel(html: str, workshop_id: int) -> str:
    start = html.index(f'<section id="room-{workshop_id}"')
    return html[start : html.index("</section>", start)]


async def console_panel(facilitator, workshop_id: int) -> str:
    """The room panel as the console page shows it."""
    return panel((await facilitator.client.get(f"/f/workshops/{workshop_id}")).text, workshop_id)


# -- the console ---------------------------------------------------------------------------------


async def test_the_console_shows_the_room_against_the_place_widest_gap_first(
    facilitator, seated_room
):
    tenure, age = seated_room.tenure, seated_room.age
    html = await console_panel(facilitator, seated_room.workshop_id)
    # Tenure: owners are 100% of those who said, against 20% of the place (+80 points); age
    # band's widest gap is 30 to 64 (none here, half the place: -50).
    assert re.findall(r'data-question="(\d+)"', html) == [str(tenure.id), str(age.id)]
    tenure_part = html[: html.index(f'data-question="{age.id}"')]
    assert re.findall(r'data-choice="(\d+)"', tenure_part) == [
        str(choice(tenure, "Owner")),
        str(choice(tenure, "Social rent")),
        str(choice(tenure, "Private rent")),
    ]
    assert 'data-gap="+80"' in tenure_part and 'data-gap="−50"' in tenure_part
    assert "Prefer not to say: 1 · Not answered: 0" in tenure_part
    assert "Prefer not to say: 0 · Not answered: 2" in html
    assert 'data-present="4"' in html
    assert "hidden" not in html[: html.index(">")]


async def enter_paper(facilitator, workshop_id: int, labels: tuple[str, ...]) -> None:
    """Open a dot round and copy a sheet per label into it through the paper page."""
    a = await facilitator.add_option(workshop_id, "Benches")
    b = await facilitator.add_option(workshop_id, "Lighting")
    round_id = await facilitator.create_round(workshop_id, "Priorities", [a, b])
    await facilitator.round_action(workshop_id, round_id, "open")
    paper = f"/f/workshops/{workshop_id}/rounds/{round_id}/paper"
    for label in labels:
        entered = await facilitator.post(
            paper, {"label": label, "client_id": uuid.uuid4().hex, f"dots-{a}": "2"}
        )
        assert entered.status_code == 303, entered.text


async def test_paper_sheets_show_as_on_paper_not_as_unanswered(facilitator, seated_room):
    workshop_id = seated_room.workshop_id
    await enter_paper(facilitator, workshop_id, ("Table 1", "Table 2"))
    html = await console_panel(facilitator, workshop_id)
    assert 'data-present="6"' in html
    assert "2 of them are paper ballots" in html
    tenure_part = html[: html.index(f'data-question="{seated_room.age.id}"')]
    # Tenure: 3 owners and 1 who would rather not say, all on phones; nobody failed to answer.
    assert "Prefer not to say: 1 · Not answered: 0 · 2 on paper (not asked)" in tenure_part
    # Age band: 2 answered on their phones, 2 phones left it blank; the sheets are not among them.
    assert "Prefer not to say: 0 · Not answered: 2 · 2 on paper (not asked)" in html
    assert html.count('data-paper="2"') == 3


async def test_the_panel_says_when_the_place_has_no_figures(app, facilitator):
    workshop_id, code = await facilitator.create_workshop("No figures")
    _p, questions = await programme_asking(facilitator, app, workshop_id, Tenure=TENURE)
    await seat(app, code, {questions["Tenure"].id: choice(questions["Tenure"], "Owner")})
    html = await console_panel(facilitator, workshop_id)
    assert "There are no figures for the place yet" in html
    assert 'data-gap="–"' in html


async def test_the_panel_is_hidden_when_the_programme_asks_nothing(facilitator):
    workshop_id, _code = await facilitator.create_workshop("No programme")
    page = await facilitator.client.get(f"/f/workshops/{workshop_id}")
    assert f'<section id="room-{workshop_id}" class="card room-panel" hidden' in page.text


async def test_the_panel_updates_live_when_someone_answers(app, place_room):
    workshop_id, code, tenure = place_room.workshop_id, place_room.code, place_room.tenure
    async with (
        app.state.hub.subscribe(console_channel(workshop_id)) as sub,
        new_client(app) as device,
    ):
        resident = Resident(device)
        await resident.join(code)
        await resident.answer({tenure.id: choice(tenure, "Private rent")})

        async def pushed() -> str:
            while True:
                message = await sub.get()
                if f'data-choice="{choice(tenure, "Private rent")}" data-count="1"' in message:
                    return message

        html = await asyncio.wait_for(pushed(), WAIT)
    assert f'<section id="room-{workshop_id}"' in html
    assert 'data-present="1"' in html


async def test_the_console_push_and_the_console_page_carry_the_same_panel(
    app, facilitator, seated_room
):
    workshop_id = seated_room.workshop_id
    ctx = await screens.console_context(app.state.store, workshop_id)
    pushed = app.state.renderer.fragment("fragments/room_panel.html", **ctx)
    page = await facilitator.client.get(f"/f/workshops/{workshop_id}")
    # The page's copy carries the form's CSRF token; the push leaves it to htmx's header.
    assert (
        pushed.replace('value=""', "")
        == panel(page.text, workshop_id).replace(f'value="{facilitator.token}"', "") + "</section>"
    )


# -- the board -----------------------------------------------------------------------------------


async def board(facilitator, workshop_id: int) -> str:
    return (await facilitator.client.get(f"/f/workshops/{workshop_id}/board")).text


async def test_the_board_shows_the_room_only_once_the_facilitator_chooses(
    app, facilitator, seated_room
):
    workshop_id, code = seated_room.workshop_id, seated_room.code
    tenure, age = seated_room.tenure, seated_room.age
    await seat(app, code, {tenure.id: choice(tenure, "Social rent")})
    assert "board-room" not in await board(facilitator, workshop_id)
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/room-on-board", {"on": "1"}, htmx=True
    )
    assert response.status_code == 200
    assert "On the board" in response.text and "Take it off the board" in response.text
    assert 'id="flash"' in response.text
    shown = await board(facilitator, workshop_id)
    assert 'class="board-room"' in shown
    # Tenure has 4 answers (one more preferred not to say): too few for the board. Age band
    # has only 2: left out too, so the board says so rather than point at anyone.
    assert f'data-question="{tenure.id}"' not in shown
    assert "Not enough answers yet to show." in shown
    await seat(app, code, {tenure.id: choice(tenure, "Private rent")})
    shown = await board(facilitator, workshop_id)
    assert f'data-question="{tenure.id}"' in shown and f'data-question="{age.id}"' not in shown
    await facilitator.post(f"/f/workshops/{workshop_id}/room-on-board", {"on": "0"})
    assert "board-room" not in await board(facilitator, workshop_id)


async def test_the_board_push_carries_the_room_when_it_is_on(app, facilitator, place_room):
    workshop_id, code, tenure = place_room.workshop_id, place_room.code, place_room.tenure
    for label in ("Owner", "Owner", "Social rent", "Private rent", "Owner"):
        await seat(app, code, {tenure.id: choice(tenure, label)})
    url = app.state.join_url(code)
    ctx = await screens.board_context(app.state.store, workshop_id, url)
    assert ctx["room"] is None
    await facilitator.post(f"/f/workshops/{workshop_id}/room-on-board", {"on": "1"})
    ctx = await screens.board_context(app.state.store, workshop_id, url)
    html = app.state.renderer.fragment("fragments/board.html", **ctx)
    assert f'data-question="{tenure.id}"' in html
    assert "60%" in html and "place 20%" in html  # owners: 3 of 5 here, a fifth of the place


async def test_only_a_facilitator_can_put_the_room_on_the_board(app, place_room):
    workshop_id = place_room.workshop_id
    async with new_client(app) as stranger:
        before = db_rows(app.state.settings.data_path)
        response = await stranger.post(
            f"/f/workshops/{workshop_id}/room-on-board", data={"on": "1"}
        )
    assert response.status_code == 403
    assert db_rows(app.state.settings.data_path) == before


async def test_the_switch_without_the_pages_token_changes_nothing(app, facilitator, place_room):
    workshop_id = place_room.workshop_id
    before = db_rows(app.state.settings.data_path)
    response = await facilitator.client.post(
        f"/f/workshops/{workshop_id}/room-on-board", data={"on": "1"}
    )
    assert response.status_code == 403
    assert db_rows(app.state.settings.data_path) == before


async def test_the_switch_for_an_unknown_workshop_is_not_found(facilitator):
    response = await facilitator.post("/f/workshops/999999/room-on-board", {"on": "1"})
    assert response.status_code == 404


async def test_every_word_of_the_room_panel_is_translatable(
    facilitator, seated_room, pseudo_locale
):
    workshop_id = seated_room.workshop_id
    await enter_paper(facilitator, workshop_id, ("Table 1",))
    page = await facilitator.client.get(
        f"/f/workshops/{workshop_id}", headers={"Accept-Language": "eo"}
    )
    html = "<main>" + panel(page.text, workshop_id) + "</section></main>"
    assert 'data-paper="1"' in html
    user_text = {"Tenure", "Age band", *TENURE, *AGE}
    assert untranslated(html, user_text) == []
