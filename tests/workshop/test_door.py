"""The door tablet in process: each person on it is their own participant, counted once, marked
as the tablet's in the exports; the tablet refuses when it is not one or has been locked."""

from __future__ import annotations

import json
import re

from tests.helpers import Facilitator, Phone, csrf_of


async def door_tablet(room) -> Phone:
    """A device on which the facilitator signs in and makes it the door tablet."""
    device = room.client()
    staff = Facilitator(device)
    await staff.login()
    made = await staff.post(f"{room.console}/kiosk")
    assert made.status_code == 303 and made.headers["location"] == "/kiosk"
    tablet = Phone(device)
    tablet.code = room.code
    return tablet


async def next_person(tablet: Phone):
    start = await tablet.client.get("/kiosk")
    assert start.status_code == 200
    response = await tablet.client.post("/kiosk/new", data={"csrf": csrf_of(start.text)})
    page = await tablet.client.get(f"/w/{tablet.code}")
    tablet.token = csrf_of(page.text)
    return response, page


async def test_each_person_on_the_tablet_is_counted_once_and_exported_as_the_tablets(room):
    await room.create_round("Which first?")
    await room.act("open")
    tablet = await door_tablet(room)
    benches, lighting = room.option("Benches"), room.option("Lighting")
    for dots in ({benches: 2}, {lighting: 1}):
        response, page = await next_person(tablet)
        assert response.status_code == 303
        assert "Done" in page.text and 'value="0"' in page.text
        assert (await tablet.vote_http(room.round_id, dots)).status_code == 200
        done = await tablet.client.post("/kiosk/done", data={"csrf": tablet.token})
        assert done.status_code == 303 and done.headers["location"] == "/kiosk"
        # Nothing of this person is left on the tablet.
        assert (await tablet.client.get(f"/w/{room.code}")).headers["location"] == "/kiosk"
    phone = await room.phone()
    assert (await phone.vote_http(room.round_id, {benches: 1})).status_code == 200
    exported = json.loads(await room.export("workshop.json"))
    [rnd] = exported["rounds"]
    assert sorted(b["source"] for b in rnd["ballots"]) == ["kiosk", "kiosk", "phone"]
    assert len({b["participant"] for b in rnd["ballots"]}) == 3
    assert 'data-source="kiosk">door tablet <strong>2</strong>' in await room.page()


async def test_a_device_that_is_no_tablet_or_a_locked_one_takes_no_one(room):
    stranger = room.client()
    refused = await stranger.get("/kiosk")
    assert refused.status_code == 403
    assert "not a shared tablet" in refused.text
    tablet = await door_tablet(room)
    await next_person(tablet)
    page = await room.page()
    [kiosk_id] = [int(k) for k in re.findall(r'data-kiosk="(\d+)"', page)]
    locked = await room.facilitator.post(f"{room.console}/kiosks/{kiosk_id}/lock")
    assert locked.status_code == 303
    before = await room.page()
    start = await tablet.client.get("/kiosk")
    assert start.status_code == 403
    assert "locked by the facilitator" in start.text
    again = await tablet.client.post("/kiosk/new", data={"csrf": tablet.token})
    assert again.status_code == 403
    assert 'data-source="kiosk">door tablet <strong>1</strong>' in before
    assert 'data-source="kiosk">door tablet <strong>1</strong>' in await room.page()


async def test_the_tablets_home_page_leads_to_its_start_not_to_a_code(room):
    tablet = await door_tablet(room)
    home = await tablet.client.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/kiosk"
