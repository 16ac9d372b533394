"""The PACT health check: the pure means and chart lines, adding the ready-made round from the
console, rewording its statements, and the dashboard's trend split by group (never under five)."""

from __future__ import annotations

import html

import pytest

from facilitation.core.models import Ballot
from facilitation.health import pact
from facilitation.kinds import rating as rating_kind
from tests.conftest import new_client
from tests.helpers import Phone, db_rows
from tests.programme.scene import assign, create_programme, text_of

# -- pure ---------------------------------------------------------------------------------------

TAGS = {1: "power", 2: "accountability", 3: "connection", 4: "trust"}


def test_a_point_is_the_mean_of_the_numbers_given_and_leaves_dont_know_out():
    ballots = [
        Ballot(9, 1, rating_kind.entry({1: 5, 2: 0, 3: 2})),
        Ballot(9, 2, rating_kind.entry({1: 4, 2: 0})),
        Ballot(9, 3, rating_kind.entry({1: 3, 99: 5})),  # an untagged statement counts for nothing
    ]
    point = pact.point(9, "Spring", TAGS, ballots)
    assert point.means == {"power": 4.0, "accountability": None, "connection": 2.0, "trust": None}
    assert point.answers == {"power": 3, "accountability": 0, "connection": 1, "trust": 0}


def test_the_chart_puts_5_at_the_top_and_1_at_the_bottom_and_skips_missing_means():
    points = [
        pact.Point(1, "a", {"power": 5.0, "accountability": 1.0, "connection": None, "trust": 3.0},
                   {}),
        pact.Point(2, "b", {"power": 1.0, "accountability": 5.0, "connection": 2.0, "trust": 3.0},
                   {}),
    ]  # fmt: skip
    lines = {line.dimension: line for line in pact.lines(points, 200, 100, pad=10)}
    assert lines["power"].dots == ((10.0, 10.0, 5.0), (190.0, 90.0, 1.0))
    assert lines["accountability"].points == "10.0,90.0 190.0,10.0"
    assert lines["connection"].dots == ((190.0, 70.0, 2.0),)
    assert lines["trust"].dots[0][1] == lines["trust"].dots[1][1] == 50.0


# -- through the app ----------------------------------------------------------------------------


@pytest.fixture
async def programme_with_workshop(facilitator):
    programme_id = await create_programme(facilitator, "Phoenix Place plan")
    workshop_id, code = await facilitator.create_workshop("Spring meeting")
    assert (await assign(facilitator, programme_id, workshop_id)).status_code == 303
    return programme_id, workshop_id, code


async def test_the_console_adds_the_health_check_with_the_programmes_wording(
    app, facilitator, programme_with_workshop
):
    programme_id, workshop_id, _code = programme_with_workshop
    fields = {f"statement_{d}": f"Our {d} statement" for d in pact.DIMENSIONS}
    response = await facilitator.post(f"/f/programmes/{programme_id}/health-check", fields)
    assert response.status_code == 303
    response = await facilitator.post(f"/f/workshops/{workshop_id}/health-check", htmx=True)
    assert response.status_code == 200
    assert "Health check: how did today go?" in html.unescape(response.text)
    [rnd] = await app.state.store.rounds.rounds(workshop_id)
    assert rnd.kind == "rating"
    options = {o.id: o for o in await app.state.store.options.options(workshop_id)}
    assert [options[o].title for o in rnd.option_ids] == [
        f"Our {d} statement" for d in pact.DIMENSIONS
    ]
    assert await app.state.store.pact.pact_tags(workshop_id) == dict(
        zip(rnd.option_ids, pact.DIMENSIONS, strict=True)
    )


async def test_a_workshop_outside_a_programme_gets_the_default_statements(app, facilitator):
    workshop_id, _code = await facilitator.create_workshop("Drop-in")
    await facilitator.post(f"/f/workshops/{workshop_id}/health-check")
    [rnd] = await app.state.store.rounds.rounds(workshop_id)
    titles = [(await app.state.store.options.option(o)).title for o in rnd.option_ids]
    assert titles == [pact.DEFAULT_STATEMENTS[d] for d in pact.DIMENSIONS]


async def test_an_empty_statement_is_refused_and_nothing_is_saved(
    facilitator, programme_with_workshop, settings
):
    programme_id, _w, _c = programme_with_workshop
    before = db_rows(settings.data_path)
    fields = {f"statement_{d}": "Fine" for d in pact.DIMENSIONS} | {"statement_trust": "  "}
    response = await facilitator.post(f"/f/programmes/{programme_id}/health-check", fields)
    assert response.status_code == 400
    assert "Please fill in “Trust”." in html.unescape(response.text)
    assert db_rows(settings.data_path) == before


async def rate(app, workshop, rnd, people: list[tuple[str | None, dict[int, int]]], question):
    """Each person joins, answers the profile question (None: skips), and rates the statements."""
    store, uc = app.state.store, app.state.ballots
    for i, (answer, ratings) in enumerate(people):
        participant = await uc.join(workshop, f"P{i}")
        respondent = await store.profiles.link_respondent(participant.id, None)
        if answer is not None:
            choice = next(c.id for c in question.choices if c.label == answer)
            await store.profiles.save_profile_answers(respondent.id, {question.id: choice})
        fields = {"round_id": str(rnd.id), "client_id": f"health-{i:04d}"}
        fields |= {f"rate-{o}": ("dk" if v == 0 else str(v)) for o, v in ratings.items()}
        await uc.cast_ballot(participant, workshop, fields)


async def test_the_dashboard_charts_the_health_check_and_splits_it_only_into_groups_of_five(
    app, facilitator, programme_with_workshop
):
    programme_id, workshop_id, _code = programme_with_workshop
    store = app.state.store
    question = await store.profiles.add_profile_question(
        programme_id, "Tenure", ["Renter", "Owner"]
    )
    await facilitator.post(f"/f/workshops/{workshop_id}/health-check")
    [rnd] = await store.rounds.rounds(workshop_id)
    power, _accountability, connection, trust = rnd.option_ids
    await app.state.rounds.open_round(rnd)
    rnd = await store.rounds.round(rnd.id)
    workshop = await store.workshops.workshop(workshop_id)
    renters = [("Renter", {power: 2, trust: 0})] * 5
    owners = [("Owner", {power: 4, trust: 5})] * 5
    skipped = [(None, {power: 5, connection: 3})] * 2
    await rate(app, workshop, rnd, renters + owners + skipped, question)
    await app.state.rounds.close_round(rnd)

    page = (await facilitator.client.get(f"/f/programmes/{programme_id}")).text
    text = text_of(page)
    assert "Health check (PACT)" in text
    # Power: (5*2 + 5*4 + 2*5) / 12 = 3.3; trust: the renters' "don't know" is left out: 5.0.
    assert "1 Spring meeting 3.3 (12) – 3.0 (2) 5.0 (5)" in text
    assert page.count('class="pact-line') == 4

    split = text_of(
        (await facilitator.client.get(f"/f/programmes/{programme_id}?split={question.id}")).text
    )
    assert "By Tenure" in split
    # Renters, asked about first, are shown (their "don't know" on trust is left out).
    assert "Renter 1 2.0 – – –" in split
    # The two who skipped are too few alone, so "Other" also takes the smallest shown group (the
    # owners, last in the question's order on a tie): seven people, and no group under five is
    # ever shown. Power (5*4 + 2*5) / 7 = 4.3.
    assert "Other 1 4.3 – 3.0 5.0" in split
    assert "Owner 1" not in split and "Not said 1" not in split


async def test_health_check_statements_never_become_needs(
    app, facilitator, programme_with_workshop
):
    programme_id, workshop_id, _code = programme_with_workshop
    await facilitator.add_option(workshop_id, "Benches")
    await facilitator.post(f"/f/workshops/{workshop_id}/health-check")
    response = await facilitator.post(f"/f/programmes/{programme_id}/needs/from-options")
    assert response.status_code == 303
    assert [n.title for n in await app.state.store.plans.needs(programme_id)] == ["Benches"]


async def test_a_phone_reads_the_health_check_in_its_language(
    app, facilitator, programme_with_workshop
):
    programme_id, workshop_id, code = programme_with_workshop
    offered = {"main": "en", "languages": ["en", "pl"]}
    assert (
        await facilitator.post(f"/f/workshops/{workshop_id}/languages", offered)
    ).status_code == 303
    fields = {f"statement_{d}": f"Our {d} statement" for d in pact.DIMENSIONS}
    await facilitator.post(f"/f/programmes/{programme_id}/health-check", fields)
    # The programme's own power statement in Polish; the others stay as the programme wrote them.
    translated = {"lang": "pl", f"statement-{programme_id}:power-statement": "Nasza siła"}
    response = await facilitator.post(f"/f/programmes/{programme_id}/translations", translated)
    assert response.status_code == 303, response.text
    await facilitator.post(f"/f/workshops/{workshop_id}/health-check")
    [rnd] = await app.state.store.rounds.rounds(workshop_id)
    await facilitator.round_action(workshop_id, rnd.id, "open")
    async with new_client(app) as device:
        await Phone(device).join(code)
        page = text_of((await device.get(f"/w/{code}", headers={"Accept-Language": "pl"})).text)
    # The ready-made title comes from the catalog; the statement from the programme's Polish.
    assert "Badanie kondycji: jak nam dziś poszło?" in page
    assert "Nasza siła" in page and "Our power statement" not in page
    assert "Our trust statement" in page and "nieprzetłumaczone" in page
