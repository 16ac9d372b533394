"""Programmes, the standing needs list, the action plan and the public "You said, we did" page,
through the use cases and through the real app in process."""

from __future__ import annotations

import html
import re

import pytest

from facilitation.core.errors import BadRequest
from facilitation.core.models import ActionStatus, NeedStatus, Who
from facilitation.programme.plans import turnout_chart
from tests.conftest import new_client
from tests.helpers import Phone, db_rows
from tests.programme.scene import assign, create_programme, text_of

SCRIPT = "<script>alert(1)</script>"


async def vote_round(app, facilitator, code, workshop_id, options, ballots) -> int:
    """Run one dot round over these options: each ballot a {option id: dots}; then close it."""
    round_id = await facilitator.create_round(workshop_id, "Which matter most?", options)
    await facilitator.round_action(workshop_id, round_id, "open")
    for dots in ballots:
        async with new_client(app) as device:
            phone = Phone(device)
            await phone.join(code)
            response = await phone.vote_http(round_id, dots=dots)
            assert response.status_code == 200, response.text
    response = await facilitator.round_action(workshop_id, round_id, "close")
    assert response.status_code == 303
    return round_id


# -- programmes ---------------------------------------------------------------------------------


async def test_a_facilitator_creates_a_programme_and_sees_it_listed(facilitator):
    programme_id = await create_programme(facilitator, place="Phoenix Place")
    dashboard = await facilitator.client.get(f"/f/programmes/{programme_id}")
    assert dashboard.status_code == 200
    assert "Phoenix Place plan" in dashboard.text
    assert "Programme “Phoenix Place plan” created." in html.unescape(dashboard.text)
    listing = await facilitator.client.get("/f/programmes")
    assert f'href="/f/programmes/{programme_id}"' in listing.text


async def test_a_programme_needs_a_title_and_nothing_is_made_without_one(facilitator, settings):
    before = db_rows(settings.data_path)
    response = await facilitator.post("/f/programmes", {"title": "  "})
    assert response.status_code == 400
    assert "Please fill in “Title”." in html.unescape(response.text)
    assert db_rows(settings.data_path) == before


async def test_assigned_workshops_appear_on_the_dashboard_with_dates_and_links(facilitator):
    programme_id = await create_programme(facilitator)
    first, _ = await facilitator.create_workshop("Courtyard", date="2025-03-01")
    second, _ = await facilitator.create_workshop("Bins", date="2025-04-05")
    for workshop_id in (first, second):
        assert (await assign(facilitator, programme_id, workshop_id)).status_code == 303
    page = (await facilitator.client.get(f"/f/programmes/{programme_id}")).text
    assert f'href="/f/workshops/{first}"' in page and f'href="/f/workshops/{second}"' in page
    assert "1 Mar 2025" in page and "5 Apr 2025" in page  # written the page's language's way
    assert page.index("Courtyard") < page.index("Bins")
    assert "turnout-chart" in page


async def test_a_workshop_can_be_taken_out_of_a_programme(app, facilitator):
    programme_id = await create_programme(facilitator)
    workshop_id, _ = await facilitator.create_workshop("Courtyard")
    await assign(facilitator, programme_id, workshop_id)
    response = await facilitator.post(
        f"/f/programmes/{programme_id}/workshops",
        {"workshop_id": str(workshop_id), "remove": "1"},
    )
    assert response.status_code == 303
    assert await app.state.store.plans.programme_workshops(programme_id) == []


async def test_choosing_no_workshop_is_a_clear_error(facilitator):
    programme_id = await create_programme(facilitator)
    response = await facilitator.post(f"/f/programmes/{programme_id}/workshops", {})
    assert response.status_code == 400
    assert "Please choose a workshop." in response.text


async def test_an_unknown_programme_is_not_found(facilitator):
    response = await facilitator.client.get("/f/programmes/999")
    assert response.status_code == 404
    assert "We could not find that programme." in response.text


def test_the_turnout_chart_scales_to_the_busiest_workshop():
    from facilitation.core.models import Workshop

    a, b = Workshop(1, "AAAAAA", "A", "", "", 0), Workshop(2, "BBBBBB", "B", "", "", 0)
    bars = turnout_chart([a, b], [(1, 10, 8), (2, 20, 5)])
    assert [(bar.joined, bar.voted) for bar in bars] == [(10, 8), (20, 5)]
    assert bars[1].joined_height == 120.0 and bars[0].joined_height == 60.0
    assert bars[0].x < bars[1].x
    assert turnout_chart([a], [(1, 0, 0)])[0].joined_height == 0.0


# -- the standing needs list ----------------------------------------------------------------------


@pytest.fixture
async def voted_programme(app, facilitator):
    """A programme with two workshops, one closed dot round each, and every option a need.

    Workshop A, two ballots: A1 = 3 + 3 = 6 dots, A2 = 2 + 1 = 3, A3 = 0 + 1 = 1, so places
    1, 2, 3 and scores 1, 0.5, 0. Workshop B, one ballot: B2 = 3 (1.0), B1 = 2 (0.0).
    """
    programme_id = await create_programme(facilitator)
    wa, code_a = await facilitator.create_workshop("Courtyard", date="2025-03-01")
    wb, code_b = await facilitator.create_workshop("Bins", date="2025-04-05")
    a1 = await facilitator.add_option(wa, "Benches")
    a2 = await facilitator.add_option(wa, "Lighting")
    a3 = await facilitator.add_option(wa, "Meadow")
    b1 = await facilitator.add_option(wb, "Brighter bin store")
    b2 = await facilitator.add_option(wb, "Cycle storage")
    for workshop_id in (wa, wb):
        await assign(facilitator, programme_id, workshop_id)
    await vote_round(
        app, facilitator, code_a, wa, [a1, a2, a3], [{a1: 3, a2: 2}, {a1: 3, a2: 1, a3: 1}]
    )
    await vote_round(app, facilitator, code_b, wb, [b1, b2], [{b2: 3, b1: 2}])
    response = await facilitator.post(f"/f/programmes/{programme_id}/needs/from-options")
    assert response.status_code == 303
    needs = {n.title: n for n in await app.state.store.plans.needs(programme_id)}
    return {
        "programme_id": programme_id,
        "options": {"A1": a1, "A2": a2, "A3": a3, "B1": b1, "B2": b2},
        "needs": needs,
        "base": f"/f/programmes/{programme_id}/needs",
    }


async def test_options_become_needs_each_linked_to_its_option(voted_programme):
    needs = voted_programme["needs"]
    assert set(needs) == {"Benches", "Lighting", "Meadow", "Brighter bin store", "Cycle storage"}
    assert needs["Benches"].option_ids == (voted_programme["options"]["A1"],)


async def test_adding_the_options_twice_makes_no_second_needs(app, facilitator, voted_programme):
    response = await facilitator.post(voted_programme["base"] + "/from-options", htmx=True)
    assert "Every option already feeds a need." in response.text
    assert len(await app.state.store.plans.needs(voted_programme["programme_id"])) == 5


async def test_the_ranked_list_agrees_with_a_hand_computation(app, facilitator, voted_programme):
    needs = voted_programme["needs"]
    # Lighting also takes the bin store option: (0.5 x 2 ballots + 0.0 x 1 ballot) / 3 = 1/3.
    response = await facilitator.post(
        f"{voted_programme['base']}/{needs['Lighting'].id}/link",
        {"option_id": str(voted_programme["options"]["B1"])},
    )
    assert response.status_code == 303
    await facilitator.post(voted_programme["base"], {"title": "Dog-free lawn"})
    programme = await app.state.plans.programme(voted_programme["programme_id"])
    ranked = await app.state.plans.ranked_needs(programme)
    table = [(r.need.title, r.score, r.rounds, r.ballots, r.place) for r in ranked]
    assert table == [
        ("Benches", 1.0, 1, 2, 1),
        ("Cycle storage", 1.0, 1, 1, 1),  # tied with Benches: shares first place
        ("Lighting", pytest.approx(1 / 3), 2, 3, 3),
        ("Meadow", 0.0, 1, 2, 4),
        # Its only option now feeds Lighting, so it has no score left; never voted on: last.
        ("Brighter bin store", None, 0, 0, None),
        ("Dog-free lawn", None, 0, 0, None),
    ]
    raw = (await facilitator.client.get(voted_programme["base"])).text
    shown = re.findall(
        r'class="need-place"[^>]*>([^<]*)</div>\s*<div class="need-body">\s*<h3>([^<]+?) <', raw
    )
    assert shown == [
        ("1", "Benches"),
        ("1", "Cycle storage"),
        ("3", "Lighting"),
        ("4", "Meadow"),
        ("–", "Brighter bin store"),
        ("–", "Dog-free lawn"),
    ]
    page = text_of(raw)
    assert "Score 0.33 · from 2 rounds, 3 ballots" in page
    assert "Not voted on yet" in page
    assert "each round weighted by how many ballots it had" in page


async def test_an_override_needs_a_reason_and_changes_nothing_without_one(
    facilitator, voted_programme, settings
):
    url = f"{voted_programme['base']}/{voted_programme['needs']['Meadow'].id}/override"
    before = db_rows(settings.data_path)
    response = await facilitator.post(url, {"score": "0.9", "reason": " "})
    assert response.status_code == 400
    assert "Please give a reason for changing the score" in response.text
    assert db_rows(settings.data_path) == before
    response = await facilitator.post(url, {"score": "1.5", "reason": "Urgent"}, htmx=True)
    assert response.status_code == 400
    assert "“Score” must be a number from 0 to 1." in html.unescape(response.text)
    assert db_rows(settings.data_path) == before


async def test_an_override_with_a_reason_reorders_and_shows_both_scores(
    app, facilitator, voted_programme
):
    meadow = voted_programme["needs"]["Meadow"]
    response = await facilitator.post(
        f"{voted_programme['base']}/{meadow.id}/override",
        {"score": "0.95", "reason": "Flooding makes it urgent"},
        htmx=True,
    )
    assert response.status_code == 200
    assert f'id="needs-{voted_programme["programme_id"]}"' in response.text
    page = text_of(response.text)
    assert "Set by hand (the rounds say 0.00). Reason: Flooding makes it urgent" in page
    programme = await app.state.plans.programme(voted_programme["programme_id"])
    ranked = await app.state.plans.ranked_needs(programme)
    assert [(r.need.title, r.place) for r in ranked][:4] == [
        ("Benches", 1),
        ("Cycle storage", 1),
        ("Meadow", 3),
        ("Lighting", 4),
    ]
    await facilitator.post(f"{voted_programme['base']}/{meadow.id}/clear-override")
    ranked = {r.need.title: r for r in await app.state.plans.ranked_needs(programme)}
    assert ranked["Meadow"].score == 0.0 and not ranked["Meadow"].overridden


async def test_a_hand_set_score_equal_to_a_computed_one_shares_its_place(
    facilitator, voted_programme
):
    """Meadow set by hand to 0.5, Lighting's rounds giving exactly one half: one shared place,
    listed by the rule the page states (more round results first, then the order added)."""
    meadow = voted_programme["needs"]["Meadow"]
    response = await facilitator.post(
        f"{voted_programme['base']}/{meadow.id}/override", {"score": "0.5", "reason": "Same"}
    )
    assert response.status_code == 303
    raw = (await facilitator.client.get(voted_programme["base"])).text
    shown = re.findall(
        r'class="need-place"[^>]*>([^<]*)</div>\s*<div class="need-body">\s*<h3>([^<]+?) <', raw
    )
    assert shown[:4] == [
        ("1", "Benches"),
        ("1", "Cycle storage"),
        ("3", "Lighting"),
        ("3", "Meadow"),
    ]
    page = text_of(raw)
    assert "Scores are compared exactly, so equal scores share a place" in page
    assert "listed by how many round results fed them, more first, then in the order they" in page


async def test_not_possible_needs_a_reason_shown_to_residents(
    app, facilitator, voted_programme, settings
):
    need = voted_programme["needs"]["Meadow"]
    url = f"{voted_programme['base']}/{need.id}/status"
    before = db_rows(settings.data_path)
    response = await facilitator.post(url, {"status": "not_possible", "reason": ""})
    assert response.status_code == 400
    assert "Please say why this is not possible" in response.text
    assert db_rows(settings.data_path) == before
    response = await facilitator.post(
        url, {"status": "not_possible", "reason": "The lawn is a fire access route"}
    )
    assert response.status_code == 303
    stored = await app.state.store.plans.need(need.id)
    assert stored.status is NeedStatus.NOT_POSSIBLE
    assert stored.status_reason == "The lawn is a fire access route"


async def test_an_unknown_status_is_refused(facilitator, voted_programme):
    url = f"{voted_programme['base']}/{voted_programme['needs']['Meadow'].id}/status"
    response = await facilitator.post(url, {"status": "forgotten"})
    assert response.status_code == 400
    assert "Please choose one of the listed values for “Status”." in html.unescape(response.text)


async def test_a_need_can_be_reworded(app, facilitator, voted_programme):
    need = voted_programme["needs"]["Benches"]
    response = await facilitator.post(
        f"{voted_programme['base']}/{need.id}/edit",
        {"title": "Benches with backs", "description": ""},
    )
    assert response.status_code == 303
    assert (await app.state.store.plans.need(need.id)).title == "Benches with backs"


async def test_a_need_of_another_programme_is_not_found(facilitator, voted_programme):
    other = await create_programme(facilitator, "Another estate")
    need = voted_programme["needs"]["Benches"]
    response = await facilitator.post(
        f"/f/programmes/{other}/needs/{need.id}/edit", {"title": "Hijacked"}
    )
    assert response.status_code == 404


# -- the action plan ------------------------------------------------------------------------------


async def add_action(facilitator, programme_id: int, **fields) -> None:
    data = {"what": "Order benches", "who": "staff", "owner": "Sam", **fields}
    response = await facilitator.post(f"/f/programmes/{programme_id}/actions", data)
    assert response.status_code == 303, response.text


async def test_an_action_with_notes_puts_its_need_in_the_plan(app, facilitator, voted_programme):
    programme_id = voted_programme["programme_id"]
    need = voted_programme["needs"]["Benches"]
    await add_action(facilitator, programme_id, need_id=str(need.id), due="2025-06-30")
    [action] = await app.state.store.plans.actions(programme_id)
    assert (action.what, action.who, action.owner, action.due) == (
        "Order benches",
        Who.STAFF,
        "Sam",
        "2025-06-30",
    )
    assert (await app.state.store.plans.need(need.id)).status is NeedStatus.IN_PLAN
    response = await facilitator.post(
        f"/f/programmes/{programme_id}/actions/{action.id}/note",
        {"note": "Quotes requested"},
        htmx=True,
    )
    assert response.status_code == 200
    assert f'id="actions-{programme_id}"' in response.text
    assert "Quotes requested" in response.text
    [action] = await app.state.store.plans.actions(programme_id)
    assert [n.note for n in action.notes] == ["Quotes requested"]


async def test_an_action_can_be_edited(app, facilitator, voted_programme):
    programme_id = voted_programme["programme_id"]
    await add_action(facilitator, programme_id)
    [action] = await app.state.store.plans.actions(programme_id)
    response = await facilitator.post(
        f"/f/programmes/{programme_id}/actions/{action.id}/edit",
        {"what": "Fit benches", "who": "contractor", "status": "in_progress", "due": ""},
    )
    assert response.status_code == 303
    [saved] = await app.state.store.plans.actions(programme_id)
    assert (saved.what, saved.who, saved.status) == (
        "Fit benches",
        Who.CONTRACTOR,
        ActionStatus.IN_PROGRESS,
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"what": ""}, "Please fill in “What”."),
        ({"due": "31/06/2025"}, "“Due” must be a date, such as 2025-03-31."),
        ({"who": "mayor"}, "Please choose one of the listed values for “Who”."),
        ({"status": "lost"}, "Please choose one of the listed values for “Status”."),
    ],
)
async def test_a_bad_action_is_refused_with_a_clear_message(
    facilitator, voted_programme, settings, fields, message
):
    before = db_rows(settings.data_path)
    data = {"what": "Order benches", "who": "staff", **fields}
    response = await facilitator.post(
        f"/f/programmes/{voted_programme['programme_id']}/actions", data
    )
    assert response.status_code == 400
    assert message in html.unescape(response.text)
    assert db_rows(settings.data_path) == before


async def test_overdue_actions_stand_out_with_a_fixed_today(app, facilitator, voted_programme):
    programme_id = voted_programme["programme_id"]
    app.state.plans.today = lambda: "2025-05-01"
    await add_action(facilitator, programme_id, what="Late one", due="2025-04-30")
    await add_action(facilitator, programme_id, what="Due today", due="2025-05-01")
    await add_action(facilitator, programme_id, what="Done early", due="2025-04-01", status="done")
    await add_action(facilitator, programme_id, what="Undated")
    page = (await facilitator.client.get(f"/f/programmes/{programme_id}/actions")).text
    items = re.findall(r'<li class="action-item([^"]*)".*?<strong>([^<]+)</strong>', page, re.S)
    by_title = {title: cls for cls, title in items}
    assert by_title == {"Late one": " overdue", "Due today": "", "Done early": "", "Undated": ""}
    assert page.count('class="badge overdue"') == 1
    dashboard = text_of((await facilitator.client.get(f"/f/programmes/{programme_id}")).text)
    assert "Overdue 1" in dashboard


async def test_the_action_plan_filters_by_need(facilitator, voted_programme):
    programme_id = voted_programme["programme_id"]
    benches, meadow = voted_programme["needs"]["Benches"], voted_programme["needs"]["Meadow"]
    await add_action(facilitator, programme_id, what="Order benches", need_id=str(benches.id))
    await add_action(facilitator, programme_id, what="Sow seed", need_id=str(meadow.id))
    page = (await facilitator.client.get(f"/f/programmes/{programme_id}/actions")).text
    assert "Order benches" in page and "Sow seed" in page
    filtered = await facilitator.client.get(
        f"/f/programmes/{programme_id}/actions?need={meadow.id}"
    )
    assert "Sow seed" in filtered.text and "<strong>Order benches</strong>" not in filtered.text


async def test_a_change_made_on_a_filtered_action_plan_keeps_the_filter(
    app, facilitator, voted_programme
):
    programme_id = voted_programme["programme_id"]
    benches, meadow = voted_programme["needs"]["Benches"], voted_programme["needs"]["Meadow"]
    await add_action(facilitator, programme_id, what="Order benches", need_id=str(benches.id))
    await add_action(facilitator, programme_id, what="Sow seed", need_id=str(meadow.id))
    sow = next(a for a in await app.state.store.plans.actions(programme_id) if a.what == "Sow seed")
    page = f"http://testserver/f/programmes/{programme_id}/actions?need={meadow.id}"
    response = await facilitator.client.post(
        f"/f/programmes/{programme_id}/actions/{sow.id}/note",
        data={"csrf": facilitator.token, "note": "Seed bought"},
        headers={"HX-Request": "true", "HX-Current-URL": page},
    )
    assert response.status_code == 200
    assert "Seed bought" in response.text
    assert "<strong>Order benches</strong>" not in response.text
    assert f'<option value="{meadow.id}" selected' in response.text
    # Without htmx the browser is sent back to the same filtered list.
    plain = await facilitator.client.post(
        f"/f/programmes/{programme_id}/actions/{sow.id}/note",
        data={"csrf": facilitator.token, "note": "Sown"},
        headers={"referer": page},
    )
    assert plain.headers["location"].endswith(f"/actions?need={meadow.id}")


# -- public: "You said, we did" -------------------------------------------------------------------


async def slug_of(app, programme_id: int) -> str:
    return (await app.state.store.plans.programme(programme_id)).slug


async def test_the_public_page_shows_needs_status_and_actions_without_login(
    app, facilitator, voted_programme
):
    programme_id = voted_programme["programme_id"]
    meadow, benches = voted_programme["needs"]["Meadow"], voted_programme["needs"]["Benches"]
    await facilitator.post(
        f"{voted_programme['base']}/{meadow.id}/status",
        {"status": "not_possible", "reason": "The lawn is a fire access route"},
    )
    await add_action(
        facilitator, programme_id, need_id=str(benches.id), due="2025-06-30", owner="Sam Jones"
    )
    [action] = await app.state.store.plans.actions(programme_id)
    await facilitator.post(
        f"/f/programmes/{programme_id}/actions/{action.id}/note", {"note": "Quotes requested"}
    )
    async with new_client(app) as stranger:
        response = await stranger.get(f"/p/{await slug_of(app, programme_id)}")
    assert response.status_code == 200
    page = text_of(response.text)
    assert page.index("Benches") < page.index("Lighting") < page.index("Meadow")
    assert "In the action plan" in page
    assert "Not possible" in page and "Why not: The lawn is a fire access route" in page
    assert "Order benches" in page and "Monday, 30 June 2025" in page and "Staff" in page
    assert "Quotes requested" in page
    assert "Sam Jones" not in page  # owners' names stay with the facilitators


async def test_an_unknown_slug_is_not_found(client):
    assert (await client.get("/p/nosuchplan")).status_code == 404
    assert (await client.get("/p/nosuchplan/poster")).status_code == 404


async def test_need_titles_are_escaped_on_the_public_page(app, facilitator):
    programme_id = await create_programme(facilitator, title=SCRIPT)
    await facilitator.post(f"/f/programmes/{programme_id}/needs", {"title": SCRIPT})
    await add_action(facilitator, programme_id, what=SCRIPT)
    async with new_client(app) as stranger:
        page = (await stranger.get(f"/p/{await slug_of(app, programme_id)}")).text
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_the_poster_has_the_qr_code_the_address_and_an_a4_page(app, facilitator):
    programme_id = await create_programme(facilitator)
    slug = await slug_of(app, programme_id)
    async with new_client(app) as stranger:
        response = await stranger.get(f"/p/{slug}/poster")
    assert response.status_code == 200
    # Printed on A4: the poster names its page, which the stylesheet sizes (no inline styles
    # under the content policy).
    assert 'class="sheet poster"' in response.text
    stylesheet = re.search(r'href="(/static/app\.css[^"]*)"', response.text)[1]
    async with new_client(app) as stranger:
        css = (await stranger.get(stylesheet)).text
    assert ".poster { page: poster; }" in css and "@page poster { size: A4" in css
    assert '<svg role="img" aria-label="QR code"' in response.text
    assert f"testserver/p/{slug}" in response.text
    assert "Phoenix Place plan" in response.text


# -- the use cases directly -----------------------------------------------------------------------


async def test_the_use_cases_refuse_a_due_date_that_is_not_a_date(app):
    organisation = await app.state.store.organisations.create("Riverside")
    programme = await app.state.plans.create_programme({"title": "Plan"}, organisation.id)
    with pytest.raises(BadRequest):
        await app.state.plans.save_action(
            programme, {"what": "Paint", "who": "staff", "due": "2025-02-30"}
        )
    assert await app.state.store.plans.actions(programme.id) == []


# -- the programme picker on a workshop's console -------------------------------------------------


async def test_the_console_puts_a_workshop_in_a_programme_and_takes_it_out(app, facilitator):
    programme_id = await create_programme(facilitator, "Phoenix Place plan")
    workshop_id, _code = await facilitator.create_workshop("Spring meeting")
    console = (await facilitator.client.get(f"/f/workshops/{workshop_id}")).text
    assert f'<option value="{programme_id}">Phoenix Place plan</option>' in console
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/programme", {"programme_id": str(programme_id)}, htmx=True
    )
    assert response.status_code == 200
    assert f'<option value="{programme_id}" selected>' in response.text
    assert "now part of “Phoenix Place plan”" in html.unescape(response.text)
    assert await app.state.store.plans.workshop_programme(workshop_id) == programme_id
    dashboard = (await facilitator.client.get(f"/f/programmes/{programme_id}")).text
    assert "Spring meeting" in dashboard
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/programme", {"programme_id": ""}, htmx=True
    )
    assert response.status_code == 200
    assert await app.state.store.plans.workshop_programme(workshop_id) is None


async def test_the_console_refuses_a_programme_that_does_not_exist(app, facilitator, settings):
    workshop_id, _code = await facilitator.create_workshop("Spring meeting")
    before = db_rows(settings.data_path)
    response = await facilitator.post(
        f"/f/workshops/{workshop_id}/programme", {"programme_id": "999"}
    )
    assert response.status_code == 404
    assert db_rows(settings.data_path) == before
