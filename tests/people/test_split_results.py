"""Results by group on the results page and in the CSV download: a group of fewer than 5 voters
is never shown on its own, on screen or in a file."""

from __future__ import annotations

import csv
import io
import re
import uuid

import pytest

from tests.conftest import new_client
from tests.people.scene import TENURE, Resident, choice, programme_asking
from tests.translation import untranslated

# Six social renters, five owners, four private renters and one who preferred not to say: the
# four private renters and the one are merged into "Other" (5), never shown apart.
ROOM = ("Social rent",) * 6 + ("Owner",) * 5 + ("Private rent",) * 4 + (None,)


async def seat_and_vote(app, code, workshop, round_id, tenure, label, options) -> None:
    """One more resident: joins, answers tenure (None: prefer not to say) and gives 3 dots to
    the first option and 2 to the second, or the reverse if an owner."""
    store = app.state.store
    participant = await app.state.ballots.join(
        await app.state.store.workshops.workshop_by_code(code), ""
    )
    respondent = await store.profiles.link_respondent(participant.id, None)
    answer = choice(tenure, label) if label else None
    await store.profiles.save_profile_answers(respondent.id, {tenure.id: answer})
    a, b = options
    dots = {a: 2, b: 3} if label == "Owner" else {a: 3, b: 2}
    fields = {f"dots-{o}": str(n) for o, n in dots.items()}
    form = {"round_id": str(round_id), "client_id": uuid.uuid4().hex, **fields}
    await app.state.ballots.cast_ballot(participant, workshop, form)


@pytest.fixture
async def voted_by_group(app, asking_room):
    """A closed dot round in the asking room, on Benches and Lighting; each voter gives 3 dots to
    the first option and 2 to the second, except owners, who reverse that."""
    for title in ("Benches", "Lighting"):
        assert (await asking_room.add_option(title)).status_code == 303
    round_id = await asking_room.create_round("Priorities")
    await asking_room.act("open")
    workshop = await app.state.store.workshops.workshop(asking_room.workshop_id)
    for label in ROOM:
        await seat_and_vote(
            app,
            asking_room.code,
            workshop,
            round_id,
            asking_room.tenure,
            label,
            asking_room.options,
        )
    await asking_room.act("close")
    return asking_room


def results(workshop_id: int, round_id: int) -> str:
    return f"/f/workshops/{workshop_id}/rounds/{round_id}"


def cell(html: str, option_id: int, group: str) -> str:
    """The score an option has in one group's column of the split table."""
    table = html[html.index('class="results-table split-table"') :]
    row = re.search(rf'<tr data-option="{option_id}">(.*?)</tr>', table, re.S).group(1)
    return re.search(rf'<td data-group="{re.escape(group)}" data-score="([^"]*)"', row).group(1)


async def test_the_results_page_offers_the_programmes_questions(facilitator, voted_by_group):
    workshop_id, round_id, questions = (
        voted_by_group.workshop_id,
        voted_by_group.round_id,
        voted_by_group.questions,
    )
    page = await facilitator.client.get(results(workshop_id, round_id))
    assert 'name="split"' in page.text
    for question in questions.values():
        assert f'<option value="{question.id}">' in page.text
    assert "split-table" not in page.text


async def test_a_split_shows_each_group_of_five_or_more_and_merges_the_rest(
    facilitator, voted_by_group
):
    workshop_id, round_id, questions, (a, b) = (
        voted_by_group.workshop_id,
        voted_by_group.round_id,
        voted_by_group.questions,
        voted_by_group.options,
    )
    tenure = questions["Tenure"]
    page = await facilitator.client.get(results(workshop_id, round_id), params={"split": tenure.id})
    html = page.text
    assert f'<option value="{tenure.id}" selected>' in html
    headers = re.findall(r'<th scope="col" data-group="([^"]+)" data-size="(\d+)"', html)
    assert headers == [("Social rent", "6"), ("Owner", "5"), ("Other", "5")]
    assert (cell(html, a, "Social rent"), cell(html, b, "Social rent")) == ("18", "12")
    assert (cell(html, a, "Owner"), cell(html, b, "Owner")) == ("10", "15")
    assert (cell(html, a, "Other"), cell(html, b, "Other")) == ("15", "10")
    # The group of four is never shown, nor named, nor is "not said" (one person).
    assert "Private rent" not in html
    assert 'data-group="Not said"' not in html
    assert "data-other-note" in html


async def test_a_round_with_fewer_than_five_voters_is_never_split(app, facilitator):
    workshop_id, code = await facilitator.create_workshop("Small room")
    _p, questions = await programme_asking(facilitator, app, workshop_id, Tenure=TENURE)
    tenure = questions["Tenure"]
    a = await facilitator.add_option(workshop_id, "Benches")
    b = await facilitator.add_option(workshop_id, "Lighting")
    round_id = await facilitator.create_round(workshop_id, "Priorities", [a, b])
    await facilitator.round_action(workshop_id, round_id, "open")
    store = app.state.store
    for _ in range(4):
        participant = await app.state.ballots.join(
            await app.state.store.workshops.workshop_by_code(code), ""
        )
        respondent = await store.profiles.link_respondent(participant.id, None)
        await store.profiles.save_profile_answers(
            respondent.id, {tenure.id: choice(tenure, "Owner")}
        )
        await app.state.ballots.cast_ballot(
            participant,
            await store.workshops.workshop(workshop_id),
            {"round_id": str(round_id), "client_id": uuid.uuid4().hex, f"dots-{a}": "1"},
        )
    await facilitator.round_action(workshop_id, round_id, "close")
    page = await facilitator.client.get(results(workshop_id, round_id), params={"split": tenure.id})
    assert "data-withheld" in page.text
    assert "split-table" not in page.text
    download = await facilitator.client.get(
        f"/f/workshops/{workshop_id}/export/results-by-group.csv", params={"question": tenure.id}
    )
    rows = list(csv.DictReader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert [(r["group"], r["shown"], r["group_size"], r["score"]) for r in rows] == [
        ("Other", "withheld", "", "")
    ]
    assert "Owner" not in download.text


async def test_an_open_round_is_split_only_once_voting_has_closed(app, facilitator, voted_by_group):
    workshop_id, round_id, questions = (
        voted_by_group.workshop_id,
        voted_by_group.round_id,
        voted_by_group.questions,
    )
    await facilitator.round_action(workshop_id, round_id, "open")
    page = await facilitator.client.get(
        results(workshop_id, round_id), params={"split": questions["Tenure"].id}
    )
    assert "data-split-later" in page.text
    assert "split-table" not in page.text


async def test_an_idea_round_offers_no_split(app, facilitator, voted_by_group):
    workshop_id, questions = voted_by_group.workshop_id, voted_by_group.questions
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/rounds", {"title": "Ideas", "kind": "ideas"}
    )
    assert response.status_code == 303
    console = await facilitator.client.get(f"/f/workshops/{workshop_id}")
    round_id = max(int(i) for i in re.findall(r"/rounds/(\d+)/", console.text))
    await facilitator.round_action(workshop_id, round_id, "open")
    await facilitator.round_action(workshop_id, round_id, "close")
    page = await facilitator.client.get(
        results(workshop_id, round_id), params={"split": questions["Tenure"].id}
    )
    assert page.status_code == 200
    assert 'id="split"' not in page.text


@pytest.mark.parametrize("value", ["999999", "abc", "-1", "1" * 30])
async def test_splitting_by_an_unknown_question_is_not_found(facilitator, voted_by_group, value):
    workshop_id, round_id = voted_by_group.workshop_id, voted_by_group.round_id
    page = await facilitator.client.get(results(workshop_id, round_id), params={"split": value})
    assert page.status_code == 404


async def test_splitting_by_another_programmes_question_is_not_found(
    app, facilitator, voted_by_group
):
    workshop_id, round_id = voted_by_group.workshop_id, voted_by_group.round_id
    _other, theirs = await programme_asking(facilitator, app, None, Street=("High St", "Low St"))
    street = theirs["Street"].id
    page = await facilitator.client.get(results(workshop_id, round_id), params={"split": street})
    assert page.status_code == 404
    download = await facilitator.client.get(
        f"/f/workshops/{workshop_id}/export/results-by-group.csv", params={"question": street}
    )
    assert download.status_code == 404


# -- the CSV download ---------------------------------------------------------------------------


async def test_the_csv_obeys_the_same_rule(facilitator, voted_by_group):
    workshop_id, round_id, questions, (a, b) = (
        voted_by_group.workshop_id,
        voted_by_group.round_id,
        voted_by_group.questions,
        voted_by_group.options,
    )
    tenure = questions["Tenure"]
    download = await facilitator.client.get(
        f"/f/workshops/{workshop_id}/export/results-by-group.csv", params={"question": tenure.id}
    )
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "results-by-group.csv" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text.lstrip("\ufeff"))))
    groups = {(r["group"], r["group_kind"], r["group_size"]) for r in rows}
    assert groups == {
        ("Social rent", "answer", "6"),
        ("Owner", "answer", "5"),
        ("Other", "other", "5"),
    }
    owners = {int(r["option_id"]): r["score"] for r in rows if r["group"] == "Owner"}
    assert owners == {a: "10", b: "15"}
    assert all(r["round_id"] == str(round_id) and r["method"] == "dots" for r in rows)
    assert "Private rent" not in download.text
    assert "Not said" not in download.text


async def test_the_csv_needs_a_question_and_a_facilitator(app, facilitator, voted_by_group):
    workshop_id, questions = voted_by_group.workshop_id, voted_by_group.questions
    path = f"/f/workshops/{workshop_id}/export/results-by-group.csv"
    assert (await facilitator.client.get(path)).status_code == 404
    async with new_client(app) as stranger:
        response = await stranger.get(path, params={"question": questions["Tenure"].id})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_a_question_nobody_answered_puts_everyone_in_not_said(facilitator, voted_by_group):
    workshop_id, round_id, questions = (
        voted_by_group.workshop_id,
        voted_by_group.round_id,
        voted_by_group.questions,
    )
    age = questions["Age band"]
    page = await facilitator.client.get(results(workshop_id, round_id), params={"split": age.id})
    headers = re.findall(r'<th scope="col" data-group="([^"]+)" data-size="(\d+)"', page.text)
    assert headers == [("Not said", "16")]


async def test_every_word_of_the_split_is_translatable(
    facilitator,
    voted_by_group,
    pseudo_locale,
):
    workshop_id, round_id, questions = (
        voted_by_group.workshop_id,
        voted_by_group.round_id,
        voted_by_group.questions,
    )
    page = await facilitator.client.get(
        results(workshop_id, round_id),
        params={"split": questions["Tenure"].id},
        headers={"Accept-Language": "eo"},
    )
    start = page.text.index('<section class="split-results"')
    html = "<main>" + page.text[start : page.text.index("</section>", start)] + "</main>"
    user_text = {"Tenure", "Age band", "Benches", "Lighting", "Social rent", "Owner"}
    assert untranslated(html, user_text) == []


# -- a closed round's groups hold still -----------------------------------------------------------


def split_of(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<th scope="col" data-group="([^"]+)" data-size="(\d+)"', html)


async def test_answers_changed_after_a_round_closed_do_not_change_its_split(app, facilitator):
    """A resident votes as a social renter; once the round has closed they say they own. The
    round's split, on the page and in the CSV, still counts them with the social renters: if
    it moved them, the two splits side by side would show how they voted."""
    workshop_id, code = await facilitator.create_workshop("Courtyard evening")
    _p, questions = await programme_asking(facilitator, app, workshop_id, Tenure=TENURE)
    tenure = questions["Tenure"]
    a = await facilitator.add_option(workshop_id, "Benches")
    b = await facilitator.add_option(workshop_id, "Lighting")
    round_id = await facilitator.create_round(workshop_id, "Priorities", [a, b])
    await facilitator.round_action(workshop_id, round_id, "open")
    workshop = await app.state.store.workshops.workshop(workshop_id)
    async with new_client(app) as device:
        resident = Resident(device)
        await resident.join(code)
        await resident.answer({tenure.id: choice(tenure, "Social rent")})
        assert (await resident.phone.vote_http(round_id, {a: 3, b: 2})).status_code == 200
        # Five more social renters back benches as the resident did; five owners back lighting.
        for label in ("Social rent",) * 5 + ("Owner",) * 5:
            await seat_and_vote(app, code, workshop, round_id, tenure, label, (a, b))
        await facilitator.round_action(workshop_id, round_id, "close")
        page = results(workshop_id, round_id)
        csv_path = f"/f/workshops/{workshop_id}/export/results-by-group.csv"
        before = await facilitator.client.get(page, params={"split": tenure.id})
        assert split_of(before.text) == [("Social rent", "6"), ("Owner", "5")]
        assert (cell(before.text, a, "Social rent"), cell(before.text, a, "Owner")) == ("18", "10")
        before_csv = await facilitator.client.get(csv_path, params={"question": tenure.id})

        changed = await resident.answer({tenure.id: choice(tenure, "Owner")})
        assert changed.status_code == 303
        about = await resident.about()
        assert re.search(rf'value="{choice(tenure, "Owner")}" checked', about.text)

    after = await facilitator.client.get(page, params={"split": tenure.id})
    assert split_of(after.text) == [("Social rent", "6"), ("Owner", "5")]
    assert (cell(after.text, a, "Social rent"), cell(after.text, a, "Owner")) == ("18", "10")
    assert (cell(after.text, b, "Social rent"), cell(after.text, b, "Owner")) == ("12", "15")
    after_csv = await facilitator.client.get(csv_path, params={"question": tenure.id})
    assert after_csv.text == before_csv.text
    rows = list(csv.DictReader(io.StringIO(after_csv.text.lstrip("\ufeff"))))
    sizes = {(r["group"], r["group_size"]) for r in rows}
    assert sizes == {("Social rent", "6"), ("Owner", "5")}
    owners = {int(r["option_id"]): r["score"] for r in rows if r["group"] == "Owner"}
    assert owners == {a: "10", b: "15"}
