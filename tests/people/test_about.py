"""The phone's optional "About you" page: offered once per programme on joining, skippable,
changeable, kept apart from ballots; refused answers change nothing."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest

from facilitation.core import i18n
from tests.conftest import new_client
from tests.helpers import csrf_of, db_rows
from tests.people.scene import AGE, TENURE, Resident, choice, programme_asking
from tests.translation import untranslated


async def answers_of(app, workshop_id: int) -> list[dict[int, int | None]]:
    """Every participant's stored answers in a workshop."""
    store = app.state.store
    out = []
    for participant in await store.workshops.participants(workshop_id):
        respondent = await store.profiles.participant_respondent(participant.id)
        out.append(await store.profiles.profile_answers(respondent.id) if respondent else {})
    return out


# -- being asked ---------------------------------------------------------------------------------


async def test_joining_a_programme_that_asks_leads_to_about_you_first(app, asking_room):
    code, questions = asking_room.code, asking_room.questions
    async with new_client(app) as device:
        response = await Resident(device).join(code)
        assert response.status_code == 303
        assert response.headers["location"] == f"/w/{code}/about?first=1"
        page = await device.get(response.headers["location"])
    assert page.status_code == 200
    assert "A few questions about you" in page.text
    for question in questions.values():
        assert f'data-question="{question.id}"' in page.text
        assert page.text.count(f'name="q-{question.id}"') == len(question.choices) + 1
        assert f'name="q-{question.id}" value="none"' in page.text
    assert page.text.count("Prefer not to say") == 2
    assert 'value="skip"' in page.text and ">Skip<" in page.text
    assert "kept apart from your votes" in page.text


async def test_joining_from_the_workshop_link_also_asks(app, asking_room):
    code = asking_room.code
    async with new_client(app) as device:
        join = await device.get(f"/w/{code}")
        response = await device.post(
            f"/w/{code}/join", data={"csrf": csrf_of(join.text), "name": "Ann"}
        )
    assert response.headers["location"] == f"/w/{code}/about?first=1"


async def test_a_workshop_without_questions_goes_straight_to_the_stage(app, facilitator):
    _id, code = await facilitator.create_workshop("No programme")
    async with new_client(app) as device:
        response = await Resident(device).join(code)
        assert response.status_code == 200 and "data-stage" in response.text  # the stage itself
        assert (await device.get(f"/w/{code}/about")).headers["location"] == f"/w/{code}"
        assert "About you" not in (await device.get(f"/w/{code}")).text


async def test_a_programme_with_no_questions_asks_nothing(app, facilitator):
    workshop_id, code = await facilitator.create_workshop("Quiet")
    await programme_asking(facilitator, app, workshop_id)
    async with new_client(app) as device:
        response = await Resident(device).join(code)
    assert response.status_code == 200 and "data-stage" in response.text  # the stage itself


async def test_the_about_page_needs_a_place_in_the_workshop(app, asking_room):
    code = asking_room.code
    async with new_client(app) as device:
        assert (await device.get(f"/w/{code}/about")).status_code == 404


# -- answering -----------------------------------------------------------------------------------


async def test_answers_are_saved_and_the_phone_offers_to_change_them(app, asking_room):
    code, questions, workshop_id = asking_room.code, asking_room.questions, asking_room.workshop_id
    tenure, age = questions["Tenure"], questions["Age band"]
    async with new_client(app) as device:
        resident = Resident(device)
        await resident.join(code)
        response = await resident.answer({tenure.id: choice(tenure, "Owner"), age.id: None})
        assert response.headers["location"] == f"/w/{code}"
        phone = await device.get(f"/w/{code}")
        assert "Your answers are saved" in phone.text
        assert f'href="/w/{code}/about"' in phone.text
        again = await resident.about()
    assert await answers_of(app, workshop_id) == [
        {tenure.id: choice(tenure, "Owner"), age.id: None}
    ]
    assert "A few questions about you" not in again.text
    assert f'name="q-{tenure.id}" value="{choice(tenure, "Owner")}" checked' in again.text
    assert f'name="q-{age.id}" value="none" checked' in again.text
    assert "Remove my answers" in again.text


async def test_skipping_saves_nothing_and_answers_can_come_later(app, asking_room):
    code, questions, workshop_id = asking_room.code, asking_room.questions, asking_room.workshop_id
    tenure = questions["Tenure"]
    async with new_client(app) as device:
        resident = Resident(device)
        await resident.join(code)
        skipped = await resident.answer({tenure.id: choice(tenure, "Owner")}, action="skip")
        assert skipped.headers["location"] == f"/w/{code}"
        assert await answers_of(app, workshop_id) == [{}]
        await resident.answer({tenure.id: choice(tenure, "Private rent")})
    assert await answers_of(app, workshop_id) == [{tenure.id: choice(tenure, "Private rent")}]


async def test_an_answer_changes_and_a_blank_question_is_skipped(app, asking_room):
    code, questions, workshop_id = asking_room.code, asking_room.questions, asking_room.workshop_id
    tenure, age = questions["Tenure"], questions["Age band"]
    async with new_client(app) as device:
        resident = Resident(device)
        await resident.join(code)
        await resident.answer({tenure.id: choice(tenure, "Owner"), age.id: choice(age, "Under 30")})
        await resident.answer({tenure.id: choice(tenure, "Social rent"), age.id: ""})
    assert await answers_of(app, workshop_id) == [{tenure.id: choice(tenure, "Social rent")}]


async def test_answers_can_be_removed(app, asking_room):
    code, questions, workshop_id = asking_room.code, asking_room.questions, asking_room.workshop_id
    tenure = questions["Tenure"]
    async with new_client(app) as device:
        resident = Resident(device)
        await resident.join(code)
        await resident.answer({tenure.id: choice(tenure, "Owner")})
        response = await resident.answer({}, action="clear")
        said = (await device.get(response.headers["location"])).text
        assert "Your answers are removed everywhere" in said
    assert await answers_of(app, workshop_id) == [{}]


async def test_answers_never_go_on_ballots_or_into_ballot_exports(app, facilitator, asking_room):
    code, questions, workshop_id = asking_room.code, asking_room.questions, asking_room.workshop_id
    tenure = questions["Tenure"]
    a = await facilitator.add_option(workshop_id, "Benches")
    b = await facilitator.add_option(workshop_id, "Lighting")
    round_id = await facilitator.create_round(workshop_id, "Priorities", [a, b])
    await facilitator.round_action(workshop_id, round_id, "open")
    async with new_client(app) as device:
        resident = Resident(device)
        await resident.join(code)
        await resident.answer({tenure.id: choice(tenure, "Private rent")})
        assert (await resident.phone.vote_http(round_id, {a: 3, b: 2})).status_code == 200
    rows = [r for r in db_rows(app.state.settings.data_path) if 'INTO "ballots"' in r]
    assert len(rows) == 1 and "Private rent" not in rows[0] and "tenure" not in rows[0].lower()
    export = await facilitator.client.get(f"/f/workshops/{workshop_id}/export/ballots.csv")
    assert "Private rent" not in export.text


async def test_a_later_workshop_of_the_same_programme_does_not_ask_again(
    app, facilitator, asking_room
):
    code, questions, first_id = asking_room.code, asking_room.questions, asking_room.workshop_id
    tenure = questions["Tenure"]
    programme_id = await app.state.store.plans.workshop_programme(first_id)
    second_id, second_code = await facilitator.create_workshop("Second evening")
    await facilitator.post(
        f"/f/programmes/{programme_id}/workshops", {"workshop_id": str(second_id)}
    )
    async with new_client(app) as device:
        resident = Resident(device)
        await resident.join(code)
        await resident.answer({tenure.id: choice(tenure, "Owner")})
        response = await Resident(device).join(second_code)
    assert "location" not in response.headers  # not sent to the questions: the stage itself
    assert f'data-socket="/w/{second_code}/ws"' in response.text
    assert await answers_of(app, second_id) == [{tenure.id: choice(tenure, "Owner")}]
    room_now = await app.state.store.profiles.room_profile(second_id)
    assert room_now.counts[tenure.id] == {choice(tenure, "Owner"): 1}


async def test_another_device_is_asked_in_its_own_right(app, asking_room):
    code, questions, workshop_id = asking_room.code, asking_room.questions, asking_room.workshop_id
    tenure = questions["Tenure"]
    async with new_client(app) as first, new_client(app) as second:
        resident = Resident(first)
        await resident.join(code)
        await resident.answer({tenure.id: choice(tenure, "Owner")})
        response = await Resident(second).join(code)
    assert response.headers["location"].endswith("/about?first=1")
    assert sorted(map(len, await answers_of(app, workshop_id))) == [0, 1]


# -- refused answers -------------------------------------------------------------------------------


@asynccontextmanager
async def answered(app, code: str, questions):
    """A device that joined and answered tenure "Owner"."""
    tenure = questions["Tenure"]
    async with new_client(app) as device:
        resident = Resident(device)
        await resident.join(code)
        await resident.answer({tenure.id: choice(tenure, "Owner")})
        yield device, resident


@pytest.mark.parametrize(
    "case",
    ["unknown-question", "other-programme", "other-question-choice", "unknown-choice", "text"],
)
async def test_an_answer_that_is_not_on_offer_changes_nothing(app, facilitator, asking_room, case):
    code, questions = asking_room.code, asking_room.questions
    tenure, age = questions["Tenure"], questions["Age band"]
    _other, theirs = await programme_asking(facilitator, app, None, Street=("High St", "Low St"))
    street = theirs["Street"]
    fields = {
        "unknown-question": {"q-999999": "1"},
        "other-programme": {f"q-{street.id}": str(street.choices[0].id)},
        "other-question-choice": {f"q-{tenure.id}": str(age.choices[0].id)},
        "unknown-choice": {f"q-{tenure.id}": "999999"},
        "text": {f"q-{tenure.id}": "Owner"},
    }[case]
    async with answered(app, code, questions) as (device, resident):
        before = db_rows(app.state.settings.data_path)
        page = await resident.about()
        response = await device.post(
            f"/w/{code}/about", data={"csrf": csrf_of(page.text), "action": "save", **fields}
        )
        assert response.headers["location"] == f"/w/{code}/about"
        shown = await device.get(response.headers["location"])
    assert "The questions changed while this page was open" in shown.text
    assert db_rows(app.state.settings.data_path) == before


@pytest.mark.parametrize(
    "fields",
    [
        {"action": "save", "q-1": ["1", "2"]},
        {"action": "dance"},
        {"action": ["save", "skip"]},
    ],
    ids=["repeated-answer", "unknown-action", "repeated-action"],
)
async def test_a_malformed_form_changes_nothing(app, asking_room, fields):
    code, questions = asking_room.code, asking_room.questions
    async with answered(app, code, questions) as (device, resident):
        before = db_rows(app.state.settings.data_path)
        page = await resident.about()
        data = {"csrf": csrf_of(page.text), **fields}
        if "q-1" in data:
            data[f"q-{questions['Tenure'].id}"] = data.pop("q-1")
        response = await device.post(f"/w/{code}/about", data=data)
    assert response.status_code in (303, 400)
    assert db_rows(app.state.settings.data_path) == before


async def test_answers_without_the_pages_token_change_nothing(app, asking_room):
    code, questions = asking_room.code, asking_room.questions
    tenure = questions["Tenure"]
    async with answered(app, code, questions) as (device, _resident):
        before = db_rows(app.state.settings.data_path)
        response = await device.post(
            f"/w/{code}/about", data={"action": "clear", f"q-{tenure.id}": "none"}
        )
    assert response.status_code == 403
    assert db_rows(app.state.settings.data_path) == before


async def test_a_device_that_has_not_joined_cannot_answer(app, asking_room):
    code, questions = asking_room.code, asking_room.questions
    async with new_client(app) as device:
        home = await device.get("/")
        before = db_rows(app.state.settings.data_path)
        response = await device.post(
            f"/w/{code}/about",
            data={
                "csrf": csrf_of(home.text),
                "action": "save",
                f"q-{questions['Tenure'].id}": "none",
            },
        )
    assert response.status_code == 404
    assert db_rows(app.state.settings.data_path) == before


async def test_a_retired_answer_is_kept_but_cannot_be_newly_picked(app, facilitator, asking_room):
    code, questions, workshop_id = asking_room.code, asking_room.questions, asking_room.workshop_id
    tenure = questions["Tenure"]
    owner = choice(tenure, "Owner")
    programme_id = await app.state.store.plans.workshop_programme(workshop_id)
    async with answered(app, code, questions) as (_d, resident), new_client(app) as other:
        keep = {f"choice-{c.id}": c.label for c in tenure.choices if c.id != owner}
        await facilitator.post(
            f"/f/programmes/{programme_id}/people/questions/{tenure.id}/edit",
            {"label": "Tenure", **keep},
        )
        page = await resident.about()
        assert f'value="{owner}" checked' in page.text  # still shown to whoever gave it
        assert (await resident.answer({tenure.id: owner})).headers["location"] == f"/w/{code}"
        newcomer = Resident(other)
        await newcomer.join(code)
        refused = await newcomer.answer({tenure.id: owner})
        assert refused.headers["location"] == f"/w/{code}/about"
    assert sorted(map(len, await answers_of(app, workshop_id))) == [0, 1]


# -- every word translatable ---------------------------------------------------------------------


async def test_every_word_on_the_about_page_is_translatable(app, asking_room, pseudo_locale):
    code = asking_room.code
    offered = {"main": "en", "languages": ["en", pseudo_locale]}
    await asking_room.facilitator.post(f"{asking_room.console}/languages", offered)
    names = {i18n.own_name(c) for c in i18n.available()}  # each language named in itself
    user_text = {"Courtyard evening", "Tenure", "Age band", *TENURE, *AGE, *names}
    async with new_client(app) as device:
        await Resident(device).join(code)
        page = await device.get(f"/w/{code}/about?first=1", headers={"Accept-Language": "eo"})
        assert "⟦" in page.text
        assert untranslated(page.text, user_text) == []
        phone = await device.get(f"/w/{code}", headers={"Accept-Language": "eo"})
        assert untranslated(phone.text, user_text | {code}) == []


# -- in the phone's language ----------------------------------------------------------------------


async def test_a_question_and_its_answers_show_in_the_phones_language(app, asking_room):
    code, tenure = asking_room.code, asking_room.questions["Tenure"]
    offered = {"main": "en", "languages": ["en", "pl"]}
    await asking_room.facilitator.post(f"{asking_room.console}/languages", offered)
    owner = choice(tenure, "Owner")
    response = await asking_room.facilitator.post(
        f"/f/programmes/{asking_room.programme_id}/translations",
        {
            "lang": "pl",
            f"question-{tenure.id}-label": "Mieszkanie",
            f"choice-{owner}-label": "Własne",
        },
    )
    assert response.status_code == 303, response.text
    async with new_client(app) as device:
        await Resident(device).join(code)
        page = await device.get(f"/w/{code}/about?first=1", headers={"Accept-Language": "pl"})
    assert "Mieszkanie" in page.text and "Własne" in page.text
    # Not translated: the original, in English and said to be so.
    assert '<span lang="en" dir="auto">Social rent</span>' in page.text
    assert "nieprzetłumaczone" in page.text
