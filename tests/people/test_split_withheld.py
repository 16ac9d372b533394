"""Splits that together would single someone out are withheld, through the real pages: a second
question whose groups cross the first's into a combination of fewer than 5, and a round whose
single ballots have been downloaded (or a split round, left out of the ballots file)."""

from __future__ import annotations

import csv
import html
import io
import re
import uuid

from tests.people.scene import choice
from tests.people.test_split_results import results

# The room: 11 voters; tenure splits them 5 social renters / 6 owners, age band 6 under
# 30 / 5 aged 30 to 64, and the under-30s are the social renters and one owner more.
ELEVEN = [("Social rent", "Under 30")] * 5 + [("Owner", "Under 30")] + [("Owner", "30 to 64")] * 5


async def voted(app, room, people=ELEVEN) -> int:
    for title in ("Benches", "Lighting"):
        assert (await room.add_option(title)).status_code == 303
    round_id = await room.create_round("Priorities")
    await room.act("open")
    store = app.state.store
    workshop = await store.workshops.workshop(room.workshop_id)
    a, b = room.options
    for i, (tenure, age) in enumerate(people):
        participant = await app.state.ballots.join(workshop, "")
        respondent = await store.profiles.link_respondent(participant.id, None)
        await store.profiles.save_profile_answers(
            respondent.id,
            {room.tenure.id: choice(room.tenure, tenure), room.age.id: choice(room.age, age)},
        )
        fields = {f"dots-{a}": str(1 + i % 3), f"dots-{b}": str(2 - i % 3 // 2)}
        form = {"round_id": str(round_id), "client_id": uuid.uuid4().hex, **fields}
        await app.state.ballots.cast_ballot(participant, workshop, form)
    await room.act("close")
    return round_id


def shown_groups(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<th scope="col" data-group="([^"]+)" data-size="(\d+)"', page)


async def test_a_second_split_that_would_single_someone_out_is_withheld(app, asking_room):
    round_id = await voted(app, asking_room)
    client = asking_room.facilitator.client
    page = results(asking_room.workshop_id, round_id)
    tenure = await client.get(page, params={"split": asking_room.tenure.id})
    assert shown_groups(tenure.text) == [("Social rent", "5"), ("Owner", "6")]
    age = await client.get(page, params={"split": asking_room.age.id})
    assert shown_groups(age.text) == []
    assert 'data-split-withheld="crossing"' in age.text
    assert "together with the split by “Tenure” already shown" in html.unescape(age.text)
    got = await client.get(
        f"/f/workshops/{asking_room.workshop_id}/export/results-by-group.csv",
        params={"question": asking_room.age.id},
    )
    rows = list(csv.DictReader(io.StringIO(got.text.lstrip("\ufeff"))))
    assert [r["shown"] for r in rows] == ["withheld: crossing"]
    # The first split is still shown.
    again = await client.get(page, params={"split": asking_room.tenure.id})
    assert shown_groups(again.text) == [("Social rent", "5"), ("Owner", "6")]


async def test_a_round_whose_ballots_went_out_is_never_split(app, asking_room):
    round_id = await voted(app, asking_room)
    ballots = await asking_room.export("ballots.csv")
    assert f"{round_id},Priorities," in ballots
    page = await asking_room.facilitator.client.get(
        results(asking_room.workshop_id, round_id), params={"split": asking_room.tenure.id}
    )
    assert shown_groups(page.text) == []
    assert 'data-split-withheld="ballots_out"' in page.text


async def test_a_split_round_is_left_out_of_every_file_of_single_ballots(app, asking_room):
    round_id = await voted(app, asking_room)
    page = await asking_room.facilitator.client.get(
        results(asking_room.workshop_id, round_id), params={"split": asking_room.tenure.id}
    )
    assert shown_groups(page.text)
    assert f"{round_id},Priorities," not in await asking_room.export("ballots.csv")
    assert '"ballots": null' in await asking_room.export("workshop.json")
