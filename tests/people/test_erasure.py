"""Access and erasure per person against the real app: an organiser finds one participant (by
name, within a workshop) or one volunteer (by name or email, within a pool), sees and downloads
everything held about them, and erases them; counts and closed results stay as they were, the
erasure is recorded without the erased data, and old contact details go after the retention
time. Refused erasures change nothing."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
import time
import uuid
from contextlib import closing

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from facilitation import create_app
from facilitation.settings import Settings
from tests.conftest import new_client
from tests.helpers import PASSWORD, WAIT, Facilitator, db_rows, quick_hash
from tests.panel.test_panels_page import draw, make_scene, members, pool_path, settings
from tests.people.scene import Resident, choice

NAME = "Amina Yusuf"


async def voted_room(app, asking_room):
    """Amina (who answered About you) and Ben vote in a round that is then closed."""
    room = asking_room
    for title in ("Benches", "Lighting"):
        assert (await room.add_option(title)).status_code == 303
    round_id = await room.create_round("Priorities")
    await room.act("open")
    people = []
    for name, dots in ((NAME, {0: 3, 1: 2}), ("Ben", {0: 2, 1: 3})):
        resident = Resident(room.client())
        await resident.join(room.code, name)
        owner = choice(room.tenure, "Owner")
        await resident.answer({room.tenure.id: owner})
        voted = await resident.phone.vote_http(
            round_id, {room.options[i]: n for i, n in dots.items()}
        )
        assert 'data-state="saved"' in voted.text
        people.append(resident)
    await room.act("close")
    return room, people


async def found(room, query: str) -> list[str]:
    page = await room.facilitator.client.get(f"{room.console}/people", params={"name": query})
    assert page.status_code == 200
    return [line.split('">', 1)[1].split("</a>")[0] for line in page.text.split("<a href=\"")
            if line.startswith(f"{room.console}/people/")]  # fmt: skip


async def test_one_participant_is_found_by_name_and_everything_held_is_shown_and_downloaded(
    app, asking_room
):
    room, _people = await voted_room(app, asking_room)
    assert await found(room, "  amina  ") == [NAME]
    assert await found(room, "nobody like this") == []
    page = await room.facilitator.client.get(f"{room.console}/people", params={"name": "amina"})
    person = page.text.split(f'href="{room.console}/people/', 1)[1].split('"', 1)[0]
    shown = await room.facilitator.client.get(f"{room.console}/people/{person}")
    assert shown.status_code == 200
    assert f"Everything held about “{NAME}”" in shown.text
    assert "Priorities" in shown.text and "Owner" in shown.text
    download = await room.facilitator.client.get(f"{room.console}/people/{person}/held.json")
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["cache-control"] == "no-store"
    held = json.loads(download.text)
    assert held["participant"]["name"] == NAME
    assert [(b["round"], b["choices"]) for b in held["ballots"]] == [
        ("Priorities", "Benches: dots 3; Lighting: dots 2")
    ]
    about = held["answers_about_yourself"]
    assert [(a["question"], a["answer"]) for a in about] == [("Tenure", "Owner")]


async def test_erasing_a_participant_removes_them_everywhere_and_keeps_the_results(
    app, asking_room
):
    room, (amina, _ben) = await voted_room(app, asking_room)
    results_before = await room.export("results.csv")
    ballots_before = list(csv.DictReader(io.StringIO(await room.export("ballots.csv"))))
    page = await room.facilitator.client.get(f"{room.console}/people", params={"name": NAME})
    person = page.text.split(f'href="{room.console}/people/', 1)[1].split('"', 1)[0]
    held = json.loads(
        (await room.facilitator.client.get(f"{room.console}/people/{person}/held.json")).text
    )
    erased = await room.facilitator.post(
        f"{room.console}/people/{person}/erase", {"confirm": "yes"}
    )
    assert erased.status_code == 303
    after = await room.facilitator.client.get(erased.headers["location"])
    assert f"Erased “{NAME}”" in after.text
    # Said in words, each kind of record once: her ballot stays, without her name.
    assert "1 name erased, 1 ballot kept without a name" in after.text
    assert "1 answer about themselves deleted" in after.text
    assert "ballots_kept_anonymous" not in after.text
    # Nowhere in the database, nor in any export; the counts and closed results are the same.
    dump = "\n".join(db_rows(app.state.settings.data_path))
    assert NAME not in dump
    assert await found(room, "amina") == []
    assert (await room.facilitator.client.get(f"{room.console}/people/{person}")).status_code == 404
    assert await room.export("results.csv") == results_before
    ballots_after = list(csv.DictReader(io.StringIO(await room.export("ballots.csv"))))
    assert len(ballots_after) == len(ballots_before)
    old_labels = {b["participant"] for b in ballots_before}
    new_labels = {b["participant"] for b in ballots_after}
    assert len(old_labels - new_labels) == 1  # the erased person's old pseudonym is gone
    everything = await room.export("workshop.json")
    assert NAME not in everything and not (old_labels - new_labels) & set(
        json.dumps(json.loads(everything)).replace('"', " ").split()
    )
    # Their answers about themselves went; the phone is no longer in the workshop.
    with closing(sqlite3.connect(app.state.settings.data_path)) as db:
        answers = db.execute("SELECT COUNT(*) FROM profile_answers").fetchone()[0]
        record = db.execute("SELECT subject, erased_by, counts FROM erasures").fetchall()
    assert answers == 1  # Ben's
    assert record == [("participant", "facilitator", record[0][2])]
    counts = json.loads(record[0][2])
    assert counts["ballots_kept_anonymous"] == len(held["ballots"]) == 1
    assert counts["profile_answers"] == 1
    assert NAME not in record[0][2]
    phone_page = await amina.client.get(f"/w/{room.code}")
    assert "Join" in phone_page.text and NAME not in phone_page.text
    assert "participant" in after.text and "facilitator" in after.text  # the log of erasures


async def test_an_erasure_without_the_box_ticked_changes_nothing(app, asking_room):
    room, _people = await voted_room(app, asking_room)
    page = await room.facilitator.client.get(f"{room.console}/people", params={"name": NAME})
    person = page.text.split(f'href="{room.console}/people/', 1)[1].split('"', 1)[0]
    before = db_rows(app.state.settings.data_path)
    refused = await room.facilitator.post(f"{room.console}/people/{person}/erase", {})
    assert refused.status_code == 400
    assert "Tick the box to confirm the erasure" in refused.text
    stale = await room.facilitator.client.post(
        f"{room.console}/people/{person}/erase", data={"confirm": "yes", "csrf": "stale"}
    )
    assert stale.status_code == 403
    too_long = await room.facilitator.client.get(
        f"{room.console}/people", params={"name": "x" * 201}
    )
    assert too_long.status_code == 400
    assert db_rows(app.state.settings.data_path) == before


async def test_the_pages_are_for_signed_in_facilitators_only(app, asking_room):
    room, _people = await voted_room(app, asking_room)
    async with new_client(app) as stranger:
        assert (await stranger.get(f"{room.console}/people?name=a")).status_code in (302, 303)
        refused = await stranger.post(f"{room.console}/people/1/erase", data={"confirm": "yes"})
        assert refused.status_code == 403


# -- volunteers ------------------------------------------------------------------------------------


async def volunteer_path(facilitator, scene, query: str) -> str:
    page = await facilitator.client.get(pool_path(scene) + "/people", params={"q": query})
    assert page.status_code == 200
    return page.text.split(f'href="{pool_path(scene)}/people/', 1)[1].split('"', 1)[0]


async def test_a_drawn_volunteer_found_by_email_is_erased_and_the_draw_still_reads_right(
    app, facilitator, pool_scene
):
    _p, _pool, questions = pool_scene
    drawn = await draw(facilitator, pool_scene, settings(questions), "42")
    draw_path = drawn.headers["location"]
    panel_before = await facilitator.client.get(draw_path)
    rows = list(
        csv.DictReader(
            io.StringIO(
                (await facilitator.client.get(draw_path + "/panel.csv")).text.lstrip("\ufeff")
            )
        )
    )
    first = rows[0]
    vid = await volunteer_path(facilitator, pool_scene, first["email"].upper())
    held = json.loads(
        (await facilitator.client.get(f"{pool_path(pool_scene)}/people/{vid}/held.json")).text
    )
    assert held["volunteer"]["email"] == first["email"]
    assert held["volunteer"]["number_in_pool"] == int(first["number"])
    assert held["draws"][0]["outcome"] == "panel"
    done = await facilitator.post(f"{pool_path(pool_scene)}/people/{vid}/erase", {"confirm": "yes"})
    assert done.status_code == 303
    dump = "\n".join(db_rows(app.state.settings.data_path))
    assert first["email"] not in dump and f"'{first['name']}'" not in dump
    after = list(
        csv.DictReader(
            io.StringIO(
                (await facilitator.client.get(draw_path + "/panel.csv")).text.lstrip("\ufeff")
            )
        )
    )
    assert [r["number"] for r in after] == [r["number"] for r in rows]
    assert (after[0]["name"], after[0]["email"], after[0]["household"]) == ("", "", "")
    assert after[0]["Tenure"] == first["Tenure"]  # kept, without a name: the draw reads right
    assert after[1:] == rows[1:]
    panel_after = await facilitator.client.get(draw_path)
    assert members(panel_after.text, "data-members") == members(panel_before.text, "data-members")
    search = await facilitator.client.get(
        pool_path(pool_scene) + "/people", params={"q": first["email"]}
    )
    assert "Nobody matches" in search.text
    assert "volunteer" in search.text and "facilitator" in search.text  # the erasure is listed


async def test_a_volunteer_of_a_pool_never_drawn_loses_their_answers_too(
    app, facilitator, pool_scene
):
    vid = await volunteer_path(facilitator, pool_scene, "Young 2")
    held = json.loads(
        (await facilitator.client.get(f"{pool_path(pool_scene)}/people/{vid}/held.json")).text
    )
    assert held["volunteer"]["name"] == "Young 2"
    assert {a["question"] for a in held["answers"]} == {"Tenure", "Age band"}
    refused = await facilitator.post(f"{pool_path(pool_scene)}/people/{vid}/erase", {})
    assert refused.status_code == 400
    await facilitator.post(f"{pool_path(pool_scene)}/people/{vid}/erase", {"confirm": "yes"})
    with closing(sqlite3.connect(app.state.settings.data_path)) as db:
        row = db.execute(
            "SELECT name, email, household, answers FROM volunteers WHERE id = ?", (int(vid),)
        ).fetchone()
    assert row == ("", "", "", "{}")
    assert (
        await facilitator.client.get(f"{pool_path(pool_scene)}/people/{vid}")
    ).status_code == 404


async def test_contact_details_go_once_the_retention_time_after_the_last_draw_has_passed(tmp_path):
    path = str(tmp_path / "retention.sqlite3")
    application = create_app(Settings(data_path=path))
    async with application.router.lifespan_context(application):
        await application.state.store.users.create_user("facilitator", quick_hash(PASSWORD))
        async with new_client(application) as client:
            person = Facilitator(client)
            assert (await person.login()).status_code == 303
            old = await make_scene(application, person)
            recent = await make_scene(application, person)
            for scene in (old, recent):
                await draw(person, scene, settings(scene[2]), "7")
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "UPDATE panels SET created_at = ? WHERE pool_id = ?", (time.time() - 31 * 86400, old[1])
        )

    def contacts(pool_id: int) -> list[tuple]:
        with closing(sqlite3.connect(path)) as db:
            return db.execute(
                "SELECT name, email, household FROM volunteers WHERE pool_id = ? ORDER BY id",
                (pool_id,),
            ).fetchall()

    kept = contacts(recent[1])
    restarted = create_app(Settings(data_path=path, contact_retention_days=30))
    async with restarted.router.lifespan_context(restarted):
        deadline = time.monotonic() + 10
        while any(email or home for _n, email, home in contacts(old[1])):
            assert time.monotonic() < deadline, "contact details were not deleted in time"
            await asyncio.sleep(0.05)
    forgotten = contacts(old[1])
    assert [name for name, *_ in forgotten][:2] == ["Owner 1", "Owner 2"]  # names stay
    assert contacts(recent[1]) == kept
    with closing(sqlite3.connect(path)) as db:
        record = db.execute("SELECT subject, pool_id, counts FROM erasures").fetchall()
    assert record == [("contacts", old[1], json.dumps({"contact_details": 30}))]


async def test_an_erased_phone_still_connected_is_closed_and_can_no_longer_vote(live_room):
    room = live_room
    await room.act("open")
    phone = await room.phone(NAME)
    page = await room.facilitator.client.get(f"{room.console}/people", params={"name": NAME})
    person = page.text.split(f'href="{room.console}/people/', 1)[1].split('"', 1)[0]
    async with websockets.connect(
        f"{room.server.ws_url}/w/{room.code}/ws",
        additional_headers={"Cookie": phone.cookie_header(), "Origin": room.server.url},
        open_timeout=WAIT,
    ) as ws:
        await asyncio.wait_for(ws.recv(), WAIT)  # the current stage
        erased = await room.facilitator.post(
            f"{room.console}/people/{person}/erase", {"confirm": "yes"}
        )
        assert erased.status_code == 303
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(20):  # a push or two may still be on its way
                await asyncio.wait_for(ws.recv(), WAIT)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    late = await phone.vote_http(room.round_id, {room.options[0]: 1})
    assert 'data-state="saved"' not in late.text
    assert await found(room, NAME) == []


async def test_a_paper_sheet_named_for_its_author_is_erased_and_still_counted(app, room):
    a, b, _c = room.options
    round_id = await room.create_round("Priorities")
    await room.act("open")
    sheet = {"label": "Mrs Khan", "client_id": uuid.uuid4().hex, f"dots-{a}": "3", f"dots-{b}": "2"}
    assert (
        await room.facilitator.post(f"{room.console}/rounds/{round_id}/paper", sheet)
    ).status_code == 303
    await room.act("close")
    results = await room.export("results.csv")
    assert await found(room, "khan") == ["Mrs Khan"]
    page = await room.facilitator.client.get(f"{room.console}/people", params={"name": "khan"})
    person = page.text.split(f'href="{room.console}/people/', 1)[1].split('"', 1)[0]
    await room.facilitator.post(f"{room.console}/people/{person}/erase", {"confirm": "yes"})
    assert await room.export("results.csv") == results
    assert "Mrs Khan" not in "\n".join(db_rows(app.state.settings.data_path))
    assert await app.state.store.workshops.paper_labels(room.workshop_id) == []


@pytest.mark.parametrize("code", ["ar", "pl"])
def test_what_an_erasure_took_is_said_in_the_readers_language(code):
    from facilitation.core import i18n
    from facilitation.web.views.erasure import counted

    i18n.activate(code)
    try:
        said = counted({"names": 1, "ballots_kept_anonymous": 12, "ideas_kept_anonymous": 0})
    finally:
        i18n.activate(i18n.DEFAULT)
    english = counted({"names": 1, "ballots_kept_anonymous": 12})
    assert said and said != english
    assert "ballot" not in said and "_" not in said
    assert ("١٢" in said) if code == "ar" else ("12" in said)
