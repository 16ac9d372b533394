"""The programme's "Who takes part" tab: profile questions and the make-up of the place, through
the organiser's forms against the real app; refused input changes nothing."""

from __future__ import annotations

import re

import pytest

from tests.conftest import new_client
from tests.helpers import db_rows
from tests.people.scene import AGE, TENURE, Resident, choice, programme_asking
from tests.translation import untranslated


def people(programme_id: int) -> str:
    return f"/f/programmes/{programme_id}/people"


async def flash_after(facilitator, response) -> str:
    """The page a form's redirect leads to (where its flash is shown)."""
    assert response.status_code == 303, response.text
    return (await facilitator.client.get(response.headers["location"])).text


# -- the page ------------------------------------------------------------------------------------


async def test_the_tab_lists_each_question_with_prefer_not_to_say_and_explains_why(
    facilitator, asking_room
):
    programme_id, questions = asking_room.programme_id, asking_room.questions
    page = await facilitator.client.get(people(programme_id))
    assert page.status_code == 200
    assert f'href="{people(programme_id)}" aria-current="page"' in page.text
    for question in questions.values():
        assert f'id="q-{question.id}"' in page.text
    assert page.text.count("Prefer not to say") >= 2
    assert "stored apart from votes" in page.text
    assert "fewer than 5 people is never shown" in page.text


async def test_the_tab_is_for_signed_in_facilitators_only(app, asking_room):
    programme_id = asking_room.programme_id
    async with new_client(app) as stranger:
        page = await stranger.get(people(programme_id))
        assert page.status_code == 303
        assert page.headers["location"].startswith("/login")
        refused = await stranger.post(
            people(programme_id) + "/questions", data={"label": "Street", "choices": "A"}
        )
        assert refused.status_code == 403


async def test_each_programme_page_links_to_the_tab(facilitator, asking_room):
    programme_id = asking_room.programme_id
    for path in ("", "/needs", "/actions"):
        page = await facilitator.client.get(f"/f/programmes/{programme_id}{path}")
        assert f'href="{people(programme_id)}"' in page.text


# -- questions -----------------------------------------------------------------------------------


async def test_a_question_is_added_with_its_answers_one_per_line_tidied(
    app, facilitator, asking_room
):
    programme_id = asking_room.programme_id
    response = await facilitator.post(
        people(programme_id) + "/questions",
        {"label": "  Which   block? ", "choices": "Block A\r\n\r\n  Block   B \nBlock C\n"},
    )
    page = await flash_after(facilitator, response)
    assert "Added the question “Which block?”." in page
    added = (await app.state.store.profiles.profile_questions(programme_id))[-1]
    assert added.label == "Which block?"
    assert [c.label for c in added.choices] == ["Block A", "Block B", "Block C"]


@pytest.mark.parametrize(
    ("label", "choices", "message"),
    [
        ("", "A\nB", "Please give the question a label."),
        ("Street", "", "Please give at least one answer to choose from."),
        ("Street", "   \n  ", "Please give at least one answer to choose from."),
        ("Street", "High Street\nprefer NOT to say", "is always offered"),
        ("Street", "High Street\nhigh  street", "is listed twice"),
        ("x" * 121, "A", "The question is too long"),
        ("Street", "y" * 81, "is too long"),
        ("Street", "\n".join(f"S{i}" for i in range(31)), "at most 30 answers"),
        ("tenure", "A\nB", "already asks"),
    ],
)
async def test_a_question_the_rules_refuse_is_explained_and_changes_nothing(
    app, facilitator, asking_room, label, choices, message
):
    programme_id = asking_room.programme_id
    before = db_rows(app.state.settings.data_path)
    response = await facilitator.post(
        people(programme_id) + "/questions", {"label": label, "choices": choices}
    )
    page = await flash_after(facilitator, response)
    assert message in page
    assert 'class="flash flash-error"' in page
    assert db_rows(app.state.settings.data_path) == before


async def test_a_malformed_question_form_is_refused_and_changes_nothing(
    app, facilitator, asking_room
):
    programme_id = asking_room.programme_id
    before = db_rows(app.state.settings.data_path)
    response = await facilitator.post(
        people(programme_id) + "/questions", {"label": ["Street", "Road"], "choices": "A"}
    )
    assert response.status_code in (303, 400)
    no_csrf = await facilitator.client.post(
        people(programme_id) + "/questions", data={"label": "Street", "choices": "A"}
    )
    assert no_csrf.status_code == 403
    assert db_rows(app.state.settings.data_path) == before


async def test_editing_renames_keeps_and_adds_answers(app, facilitator, asking_room):
    programme_id, questions = asking_room.programme_id, asking_room.questions
    tenure = questions["Tenure"]
    ids = {c.label: c.id for c in tenure.choices}
    response = await facilitator.post(
        f"{people(programme_id)}/questions/{tenure.id}/edit",
        {
            "label": "Your home",
            f"choice-{ids['Social rent']}": "Council or housing association",
            f"choice-{ids['Private rent']}": "",
            f"choice-{ids['Owner']}": "Owner",
            "new_choices": "Shared ownership\nLiving with family",
        },
    )
    assert "Saved “Your home”." in await flash_after(facilitator, response)
    saved = await app.state.store.profiles.profile_question(tenure.id)
    assert saved.label == "Your home"
    assert [(c.id, c.label) for c in saved.offered][:2] == [
        (ids["Social rent"], "Council or housing association"),
        (ids["Owner"], "Owner"),
    ]
    assert [c.label for c in saved.offered][2:] == ["Shared ownership", "Living with family"]
    assert saved.choice(ids["Private rent"]) is None  # nobody had picked it: deleted


async def test_an_answer_somebody_gave_is_retired_not_deleted_when_edited_away(
    app, facilitator, asking_room
):
    programme_id, questions, code = (
        asking_room.programme_id,
        asking_room.questions,
        asking_room.code,
    )
    tenure = questions["Tenure"]
    async with new_client(app) as device:
        resident = Resident(device)
        await resident.join(code)
        await resident.answer({tenure.id: choice(tenure, "Owner")})
    keep = {f"choice-{c.id}": c.label for c in tenure.choices if c.label != "Owner"}
    response = await facilitator.post(
        f"{people(programme_id)}/questions/{tenure.id}/edit", {"label": "Tenure", **keep}
    )
    assert response.status_code == 303
    saved = await app.state.store.profiles.profile_question(tenure.id)
    owner = saved.choice(choice(tenure, "Owner"))
    assert owner is not None and owner.retired
    assert owner not in saved.offered


async def test_an_edit_naming_another_questions_answer_changes_nothing(
    app, facilitator, asking_room
):
    programme_id, questions = asking_room.programme_id, asking_room.questions
    tenure, age = questions["Tenure"], questions["Age band"]
    before = db_rows(app.state.settings.data_path)
    stray = {f"choice-{c.id}": "Mine now" for c in age.choices}
    await facilitator.post(
        f"{people(programme_id)}/questions/{tenure.id}/edit", {"label": "", **stray}
    )
    assert db_rows(app.state.settings.data_path) == before


async def test_questions_move_up_and_down(app, facilitator, asking_room):
    programme_id, questions = asking_room.programme_id, asking_room.questions
    age = questions["Age band"]
    await facilitator.post(f"{people(programme_id)}/questions/{age.id}/move", {"direction": "up"})
    order = [q.label for q in await app.state.store.profiles.profile_questions(programme_id)]
    assert order == ["Age band", "Tenure"]
    await facilitator.post(f"{people(programme_id)}/questions/{age.id}/move", {"direction": "down"})
    order = [q.label for q in await app.state.store.profiles.profile_questions(programme_id)]
    assert order == ["Tenure", "Age band"]


@pytest.mark.parametrize("direction", ["sideways", "", "UP", ["up", "down"]])
async def test_a_move_in_no_direction_changes_nothing(app, facilitator, asking_room, direction):
    programme_id, questions = asking_room.programme_id, asking_room.questions
    before = db_rows(app.state.settings.data_path)
    response = await facilitator.post(
        f"{people(programme_id)}/questions/{questions['Tenure'].id}/move",
        {"direction": direction},
    )
    assert "Please choose up or down." in await flash_after(facilitator, response)
    assert db_rows(app.state.settings.data_path) == before


async def test_an_unanswered_question_is_removed_outright(app, facilitator, asking_room):
    programme_id, questions = asking_room.programme_id, asking_room.questions
    age = questions["Age band"]
    response = await facilitator.post(f"{people(programme_id)}/questions/{age.id}/remove")
    assert "Removed “Age band”." in await flash_after(facilitator, response)
    found = await app.state.store.profiles.profile_questions(programme_id, include_retired=True)
    assert [q.label for q in found] == ["Tenure"]


async def test_an_answered_question_is_retired_listed_and_can_be_asked_again(
    app, facilitator, asking_room
):
    programme_id, questions, code = (
        asking_room.programme_id,
        asking_room.questions,
        asking_room.code,
    )
    age = questions["Age band"]
    async with new_client(app) as device:
        resident = Resident(device)
        await resident.join(code)
        await resident.answer({age.id: None})  # even "prefer not to say" is an answer
    response = await facilitator.post(f"{people(programme_id)}/questions/{age.id}/remove")
    page = await flash_after(facilitator, response)
    assert "is no longer asked" in page
    assert f'data-retired="{age.id}"' in page
    assert [q.label for q in await app.state.store.profiles.profile_questions(programme_id)] == [
        "Tenure"
    ]
    response = await facilitator.post(f"{people(programme_id)}/questions/{age.id}/restore")
    assert "“Age band” is asked again." in await flash_after(facilitator, response)
    assert len(await app.state.store.profiles.profile_questions(programme_id)) == 2


async def test_restoring_a_question_already_asked_changes_nothing(app, facilitator, asking_room):
    programme_id, questions = asking_room.programme_id, asking_room.questions
    before = db_rows(app.state.settings.data_path)
    response = await facilitator.post(
        f"{people(programme_id)}/questions/{questions['Tenure'].id}/restore"
    )
    assert "is already asked" in await flash_after(facilitator, response)
    assert db_rows(app.state.settings.data_path) == before


@pytest.mark.parametrize("action", ["edit", "move", "remove", "restore", "makeup"])
async def test_another_programmes_question_is_not_found_here(app, facilitator, asking_room, action):
    programme_id = asking_room.programme_id
    _other, theirs = await programme_asking(facilitator, app, None, Street=("High St", "Low St"))
    before = db_rows(app.state.settings.data_path)
    response = await facilitator.post(
        f"{people(programme_id)}/questions/{theirs['Street'].id}/{action}",
        {"label": "Taken", "direction": "up"},
    )
    assert response.status_code == 404
    assert db_rows(app.state.settings.data_path) == before


async def test_an_unknown_action_or_question_changes_nothing(app, facilitator, asking_room):
    programme_id, questions = asking_room.programme_id, asking_room.questions
    before = db_rows(app.state.settings.data_path)
    bad = await facilitator.post(f"{people(programme_id)}/questions/{questions['Tenure'].id}/drop")
    assert bad.status_code == 403
    missing = await facilitator.post(f"{people(programme_id)}/questions/999999/remove")
    assert missing.status_code == 404
    assert "We could not find that question" in missing.text
    assert db_rows(app.state.settings.data_path) == before


# -- the make-up of the place ---------------------------------------------------------------------


async def test_figures_for_the_place_are_saved_and_shown_as_shares(app, facilitator, asking_room):
    programme_id, questions = asking_room.programme_id, asking_room.questions
    tenure = questions["Tenure"]
    ids = {c.label: c.id for c in tenure.choices}
    response = await facilitator.post(
        f"{people(programme_id)}/questions/{tenure.id}/makeup",
        {
            f"amount-{ids['Social rent']}": "1,200",
            f"amount-{ids['Private rent']}": "500",
            f"amount-{ids['Owner']}": "300",
        },
    )
    page = await flash_after(facilitator, response)
    assert "Saved the figures for “Tenure”." in page
    place = re.sub(r"<[^>]+>", "", page)
    assert "Social rent 60%" in place and "Private rent 25%" in place and "Owner 15%" in place
    assert await app.state.store.profiles.place_makeup(programme_id) == {
        tenure.id: {ids["Social rent"]: 1200.0, ids["Private rent"]: 500.0, ids["Owner"]: 300.0}
    }
    assert 'value="1200"' in page  # shown back as typed, for the next change


async def test_percentages_are_accepted_and_blank_fields_clear_the_figures(
    app, facilitator, asking_room
):
    programme_id, questions = asking_room.programme_id, asking_room.questions
    age = questions["Age band"]
    ids = [c.id for c in age.choices]
    path = f"{people(programme_id)}/questions/{age.id}/makeup"
    await facilitator.post(path, {f"amount-{ids[0]}": "22.5%", f"amount-{ids[1]}": "60%"})
    assert (await app.state.store.profiles.place_makeup(programme_id))[age.id] == {
        ids[0]: 22.5,
        ids[1]: 60.0,
    }
    response = await facilitator.post(path, {f"amount-{i}": "" for i in ids})
    assert "Cleared the figures" in await flash_after(facilitator, response)
    assert age.id not in await app.state.store.profiles.place_makeup(programme_id)


@pytest.mark.parametrize(
    ("figures", "message"),
    [
        (("lots", "5"), "is not a number"),
        (("-5", "5"), "is not a number"),
        (("0", "0"), "are all zero"),
        (("70%", "40%"), "add up to 110%"),
        (("1e3", ""), "is not a number"),
    ],
)
async def test_figures_the_rules_refuse_change_nothing(
    app, facilitator, asking_room, figures, message
):
    programme_id, questions = asking_room.programme_id, asking_room.questions
    age = questions["Age band"]
    ids = [c.id for c in age.choices]
    path = f"{people(programme_id)}/questions/{age.id}/makeup"
    await facilitator.post(path, {f"amount-{ids[0]}": "10", f"amount-{ids[1]}": "20"})
    before = db_rows(app.state.settings.data_path)
    response = await facilitator.post(
        path, {f"amount-{i}": f for i, f in zip(ids, figures, strict=False)}
    )
    assert message in await flash_after(facilitator, response)
    assert db_rows(app.state.settings.data_path) == before


async def test_a_figure_for_another_questions_answer_is_ignored(app, facilitator, asking_room):
    programme_id, questions = asking_room.programme_id, asking_room.questions
    tenure, age = questions["Tenure"], questions["Age band"]
    stray = {f"amount-{c.id}": "99" for c in age.choices}
    await facilitator.post(
        f"{people(programme_id)}/questions/{tenure.id}/makeup",
        {f"amount-{tenure.choices[0].id}": "10", **stray},
    )
    assert await app.state.store.profiles.place_makeup(programme_id) == {
        tenure.id: {tenure.choices[0].id: 10.0}
    }


# -- importing the make-up -------------------------------------------------------------------------


async def upload(facilitator, programme_id: int, data: bytes):
    return await facilitator.client.post(
        people(programme_id) + "/makeup/import",
        data={"csrf": facilitator.token},
        files={"file": ("place.csv", data, "text/csv")},
    )


async def test_the_make_up_is_imported_from_csv(app, facilitator, asking_room):
    programme_id, questions = asking_room.programme_id, asking_room.questions
    tenure, age = questions["Tenure"], questions["Age band"]
    data = (
        b"question,answer,amount\n"
        b"tenure,social rent,55%\nTenure,Private rent,25%\nTenure,Owner,20%\n"
        b"Age band,Under 30,1250\nAge band,65 and over,800\n"
    )
    response = await upload(facilitator, programme_id, data)
    page = await flash_after(facilitator, response)
    assert "Figures for the place imported for 2 questions." in page
    makeup = await app.state.store.profiles.place_makeup(programme_id)
    assert makeup[tenure.id] == {
        choice(tenure, "Social rent"): 55.0,
        choice(tenure, "Private rent"): 25.0,
        choice(tenure, "Owner"): 20.0,
    }
    assert makeup[age.id] == {choice(age, "Under 30"): 1250.0, choice(age, "65 and over"): 800.0}


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (b"question,answer\nTenure,Owner\n", "1", "The columns must be"),
        (b"question,answer,amount\nTenure,Owner,ten\n", "2", "is not a number"),
        (b"question,answer,amount\nTenure,Landlord,5\n", "2", "is not an answer to"),
        (b"question,answer,amount\nStreet,High St,5\n", "2", "is not a profile question"),
        (b"question,answer,amount\nTenure,Owner,5\nTenure,owner,6\n", "3", "already on line 2"),
        (b"question,answer,amount\nTenure,Owner,60%\nTenure,Social rent,50%\n", "2", "110%"),
        (b"\xff\xfe not text", "\u2014", "not UTF-8"),
        (b"question,answer,amount\n", "\u2014", "no rows under its header"),
    ],
)
async def test_a_make_up_file_with_problems_lists_them_and_imports_nothing(
    app, facilitator, asking_room, data, line, message
):
    programme_id = asking_room.programme_id
    before = db_rows(app.state.settings.data_path)
    response = await upload(facilitator, programme_id, data)
    assert response.status_code == 400
    assert "Nothing was imported" in response.text
    assert message in response.text
    assert f"<td>{line}</td>" in response.text
    assert db_rows(app.state.settings.data_path) == before


async def test_a_good_row_is_not_imported_beside_a_bad_one(app, facilitator, asking_room):
    programme_id = asking_room.programme_id
    data = b"question,answer,amount\nTenure,Owner,20\nAge band,Under 30,many\n"
    response = await upload(facilitator, programme_id, data)
    assert response.status_code == 400
    assert await app.state.store.profiles.place_makeup(programme_id) == {}


async def test_the_figures_download_as_a_csv_the_import_reads_back(app, facilitator, asking_room):
    programme_id, questions = asking_room.programme_id, asking_room.questions
    tenure = questions["Tenure"]
    await facilitator.post(
        f"{people(programme_id)}/questions/{tenure.id}/makeup",
        {f"amount-{c.id}": str(n) for c, n in zip(tenure.choices, (5, 2.5, 1250), strict=True)},
    )
    download = await facilitator.client.get(people(programme_id) + "/makeup.csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    lines = download.text.splitlines()
    assert lines[0] == "\ufeffquestion,answer,amount"
    assert "Tenure,Private rent,2.5" in lines and "Age band,Under 30," in lines
    before = await app.state.store.profiles.place_makeup(programme_id)
    filled = download.text.replace("Age band,Under 30,", "Age band,Under 30,10")
    response = await upload(facilitator, programme_id, filled.encode())
    assert response.status_code == 303
    after = await app.state.store.profiles.place_makeup(programme_id)
    assert after[tenure.id] == before[tenure.id]
    assert after[questions["Age band"].id] == {choice(questions["Age band"], "Under 30"): 10.0}


async def test_a_formula_in_a_label_is_neutralised_in_the_download(app, facilitator, asking_room):
    programme_id = asking_room.programme_id
    await facilitator.post(
        people(programme_id) + "/questions", {"label": "=HYPERLINK(1)", "choices": "+A\n@B"}
    )
    download = await facilitator.client.get(people(programme_id) + "/makeup.csv")
    assert "'=HYPERLINK(1),'+A," in download.text
    assert "\n=" not in download.text


async def test_every_word_on_the_tab_is_translatable(app, facilitator, asking_room, pseudo_locale):
    programme_id, questions = asking_room.programme_id, asking_room.questions
    tenure = questions["Tenure"]
    await facilitator.post(
        f"{people(programme_id)}/questions/{tenure.id}/makeup",
        {f"amount-{c.id}": "10" for c in tenure.choices},
    )
    await facilitator.post(f"{people(programme_id)}/questions/{questions['Age band'].id}/remove")
    await facilitator.client.get(people(programme_id))  # shows the English flashes, once
    page = await facilitator.client.get(people(programme_id), headers={"Accept-Language": "eo"})
    assert "⟦" in page.text
    user_text = {"Phoenix Place plan", "Tenure", "Age band", *TENURE, *AGE, "10", "33%", "34%"}
    assert untranslated(page.text, user_text) == []
