"""“Remove my answers” removes them: the answers, the answers kept with closed rounds and the
name go, the votes stay counted with nothing attached, and a split that counted the person is
no longer shown (showing it again without them would show how they voted)."""

from __future__ import annotations

import csv
import io
import re

from tests.conftest import new_client
from tests.helpers import db_rows
from tests.people.scene import Resident, choice
from tests.people.test_split_results import ROOM, results, seat_and_vote

NAME = "Aisha Okafor"


async def voted_with_aisha(app, room):
    """The dot round of test_split_results's room, in which Aisha, a named owner who joined on
    her phone, votes too; closed. Returns her device's resident and her participant id."""
    for title in ("Benches", "Lighting"):
        assert (await room.add_option(title)).status_code == 303
    round_id = await room.create_round("Priorities")
    await room.act("open")
    workshop = await app.state.store.workshops.workshop(room.workshop_id)
    for label in ROOM:
        await seat_and_vote(app, room.code, workshop, round_id, room.tenure, label, room.options)
    device = new_client(app)
    room.devices.append(device)
    resident = Resident(device)
    await resident.join(room.code, NAME)
    await resident.answer({room.tenure.id: choice(room.tenure, "Owner")})
    a, b = room.options
    assert (await resident.phone.vote_http(round_id, {a: 1, b: 3})).status_code == 200
    await room.act("close")
    people = await app.state.store.workshops.participants(room.workshop_id)
    aisha = next(p.id for p in people if p.display_name == NAME)
    return resident, aisha, round_id


def frozen_answers(rows: list[str], participant_id: int) -> list[str]:
    """The answers kept with closed rounds for one participant (round, participant, ...)."""
    return [
        r
        for r in rows
        if re.match(rf'INSERT INTO "round_answers" VALUES\(\d+,{participant_id},', r)
    ]


async def test_removing_answers_removes_them_everywhere_and_withholds_the_split(
    app, facilitator, asking_room, settings
):
    resident, aisha, round_id = await voted_with_aisha(app, asking_room)
    tenure = asking_room.tenure
    page = results(asking_room.workshop_id, round_id)
    before = await facilitator.client.get(page, params={"split": tenure.id})
    # Aisha makes the owners six.
    assert ("Owner", "6") in re.findall(
        r'<th scope="col" data-group="([^"]+)" data-size="(\d+)"', before.text
    )
    headline = re.findall(r'data-score="([^"]*)"', (await facilitator.client.get(page)).text)
    rows = db_rows(settings.data_path)
    assert any(NAME in r for r in rows)
    assert frozen_answers(rows, aisha)

    removed = await resident.answer({}, action="clear")
    assert removed.status_code == 303
    said = (await resident.client.get(removed.headers["location"])).text
    assert "Your answers are removed everywhere, and so is your name." in said

    rows = db_rows(settings.data_path)
    assert not any(NAME in r for r in rows)
    assert not frozen_answers(rows, aisha)
    about = await resident.about()
    assert not re.search(r'value="\d+" checked', about.text)
    # Her vote still counts: the room's result is as it was.
    now = re.findall(r'data-score="([^"]*)"', (await facilitator.client.get(page)).text)
    assert now == headline
    # The split that counted her is no longer shown, on the page or in the file.
    after = await facilitator.client.get(page, params={"split": tenure.id})
    assert 'data-split-withheld="answers_removed"' in after.text
    assert "split-table" not in after.text
    download = await facilitator.client.get(
        f"/f/workshops/{asking_room.workshop_id}/export/results-by-group.csv",
        params={"question": tenure.id},
    )
    rows_csv = list(csv.DictReader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert [r["shown"] for r in rows_csv] == ["withheld: answers_removed"]


async def test_removing_answers_before_any_split_leaves_the_person_unsaid(
    app, facilitator, asking_room
):
    resident, _aisha, round_id = await voted_with_aisha(app, asking_room)
    tenure = asking_room.tenure
    await resident.answer({}, action="clear")
    page = results(asking_room.workshop_id, round_id)
    split = await facilitator.client.get(page, params={"split": tenure.id})
    groups = re.findall(r'<th scope="col" data-group="([^"]+)" data-size="(\d+)"', split.text)
    # Five owners without her, and she is among those who did not say (merged into Other).
    assert ("Owner", "5") in groups
    assert ("Other", "6") in groups
