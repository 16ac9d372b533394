"""The demo's people, read back through the app as a newcomer would see them: the programme's
questions and the estate's figures, past workshops with a room and a split result, the health
check's line over time, and a volunteer pool for the panel lottery."""

from __future__ import annotations

import re
from collections import Counter

import httpx
import pytest

from facilitation import create_app
from facilitation.demo import history as demo_history
from facilitation.demo import people as demo_people
from facilitation.demo import workshop as demo
from facilitation.kinds import dots as dots_kind
from facilitation.people.groups import MIN_SIZE
from facilitation.settings import Settings
from facilitation.storage.store import Store
from tests.helpers import Facilitator


@pytest.fixture
async def seeded(tmp_path) -> tuple[Settings, dict]:
    settings = Settings(data_path=str(tmp_path / "demo.sqlite3"))
    return settings, await demo.seed(settings)


@pytest.fixture
async def demo_store(seeded):
    opened = await Store(seeded[0].data_path).open()
    yield opened
    await opened.close()


@pytest.fixture
async def organiser(seeded):
    """The demo facilitator signed in to the app on the seeded file."""
    settings, info = seeded
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            person = Facilitator(c)
            assert (await person.login(demo.DEMO_USER, info["password"])).status_code == 303
            yield person


async def organisation_id(store: Store) -> int:
    """The demo organiser's organisation."""
    user, _digest = await store.users.user_credentials(demo.DEMO_USER)
    return user.organisation_id


async def programme_id(store: Store) -> int:
    (programme,) = await store.plans.programmes(await organisation_id(store))
    return programme.id


async def spring(store: Store):
    workshops = await store.workshops.workshops(await organisation_id(store))
    workshop = next(w for w in workshops if w.title == demo_history.PAST[0].title)
    rnd = next(
        r for r in await store.rounds.rounds(workshop.id) if r.title == demo_history.SPRING_ROUND
    )
    return workshop, rnd


async def test_the_people_page_lists_the_questions_and_the_estates_figures(demo_store, organiser):
    pid = await programme_id(demo_store)
    page = (await organiser.client.get(f"/f/programmes/{pid}/people")).text
    for label, choices in demo_people.QUESTIONS:
        assert f">{label}<" in page
        for choice in choices:
            assert choice in page
    makeup = await demo_store.profiles.place_makeup(pid)
    questions = await demo_store.profiles.profile_questions(pid)
    assert [q.label for q in questions] == [label for label, _c in demo_people.QUESTIONS]
    for q in questions:
        assert [makeup[q.id][c.id] for c in q.offered] == list(demo_people.MAKEUP[q.label])


async def test_the_pool_holds_sixty_made_up_volunteers_skewed_older_and_towards_owners(demo_store):
    pid = await programme_id(demo_store)
    (pool,) = await demo_store.pools.pools(pid)
    assert (pool.title, pool.volunteers) == (demo_people.POOL_TITLE, 60)
    people = await demo_store.pools.volunteers(pool.id)
    assert all(v.email.endswith("@example.org") for v in people if v.email)
    assert len({v.email for v in people if v.email}) == len([v for v in people if v.email])
    shared = [h for h, n in Counter(v.household for v in people).items() if n > 1]
    assert shared, "some volunteers share a household"
    questions = {q.label: q for q in await demo_store.profiles.profile_questions(pid)}
    makeup = await demo_store.profiles.place_makeup(pid)

    def pool_share(label: str, answer: str) -> float:
        q = questions[label]
        choice = next(c.id for c in q.offered if c.label == answer)
        return sum(v.answers.get(q.id) == choice for v in people) / len(people)

    def place_share(label: str, answer: str) -> float:
        figures = makeup[questions[label].id]
        choice = next(c.id for c in questions[label].offered if c.label == answer)
        return figures[choice] / sum(figures.values())

    for label, answer in ((demo_people.AGE, "65 and over"), (demo_people.HOME, "Leaseholder")):
        assert pool_share(label, answer) > place_share(label, answer) + 0.1
    decline = [v for v in people if None in v.answers.values()]
    blank = [v for v in people if len(v.answers) < len(questions)]
    assert decline and blank


async def test_the_demo_is_the_same_every_time(tmp_path, demo_store):
    other = Settings(data_path=str(tmp_path / "again.sqlite3"))
    await demo.seed(other)
    again = await Store(other.data_path).open()
    try:
        first = await demo_store.pools.volunteers(
            (await demo_store.pools.pools(await programme_id(demo_store)))[0].id
        )
        second = await again.pools.volunteers(
            (await again.pools.pools(await programme_id(again)))[0].id
        )
        assert first == second
        (_w, r1), (_w, r2) = await spring(demo_store), await spring(again)
        assert [
            dots_kind.placed_dots(b.entry) for b in await demo_store.ballots.ballots(r1.id)
        ] == [dots_kind.placed_dots(b.entry) for b in await again.ballots.ballots(r2.id)]
    finally:
        await again.close()


async def test_the_spring_consoles_room_panel_shows_who_came(demo_store, organiser):
    workshop, _rnd = await spring(demo_store)
    page = (await organiser.client.get(f"/f/workshops/{workshop.id}")).text
    present = re.search(rf'id="room-{workshop.id}".*?data-present="(\d+)"', page, re.S)
    assert present and int(present[1]) == 30
    assert page.count('class="room-question"') == len(demo_people.QUESTIONS)


@pytest.mark.parametrize("label", [label for label, _c in demo_people.QUESTIONS])
async def test_the_spring_round_splits_into_groups_of_five_or_more(demo_store, organiser, label):
    workshop, rnd = await spring(demo_store)
    asked = await demo_store.profiles.profile_questions(await programme_id(demo_store))
    question = next(q for q in asked if q.label == label)
    page = await organiser.client.get(
        f"/f/workshops/{workshop.id}/rounds/{rnd.id}?split={question.id}"
    )
    assert page.status_code == 200
    sizes = [int(n) for n in re.findall(r'<th scope="col" data-group="[^"]*" data-size="(\d+)"',
                                        page.text)]  # fmt: skip
    assert len(sizes) >= 3, "a split with several groups to compare"
    assert min(sizes) >= MIN_SIZE
    assert sum(sizes) == len(await demo_store.ballots.ballots(rnd.id)) == 30


async def test_the_dashboard_charts_three_health_checks(demo_store, organiser):
    pid = await programme_id(demo_store)
    page = (await organiser.client.get(f"/f/programmes/{pid}")).text
    table = page.split("data-health>", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr data-round="\d+"><td>\d+</td><td[^>]*>([^<]*)</td>', table)
    assert rows == [p.title.replace("'", "&#39;") for p in demo_history.PAST]
    assert page.count('<polyline points="') == 4
    for dimension in ("power", "accountability", "connection", "trust"):
        assert len(re.findall(rf'<circle [^>]*class="pact-dot pact-{dimension}"', page)) == 3
    checks = await demo_store.pact.programme_health_checks(pid)
    assert [title for _r, title, _w in checks] == [p.title for p in demo_history.PAST]


async def test_a_demo_file_from_before_the_people_gets_them_on_the_next_run(tmp_path, monkeypatch):
    settings = Settings(data_path=str(tmp_path / "old.sqlite3"))

    async def nobody(*_args) -> None:
        return None

    with monkeypatch.context() as m:
        m.setattr(demo, "_seed_people", nobody)
        await demo.seed(settings)
    await demo.seed(settings)
    await demo.seed(settings)
    store = await Store(settings.data_path).open()
    try:
        pid = await programme_id(store)
        assert len(await store.profiles.profile_questions(pid)) == 3
        assert len(await store.pools.pools(pid)) == 1
        workshops = await store.workshops.workshops(await organisation_id(store))
        assert len(workshops) == 1 + len(demo_history.PAST)
    finally:
        await store.close()


async def test_the_demo_organisation_has_an_organiser_a_facilitator_and_the_desks_moderator(
    seeded, demo_store
):
    """Each printed login signs in and sees what its role allows: the organiser the accounts and
    the volunteer pool's deletion (it holds contact details), the facilitator the workshops and
    the pool without it, the moderator the demo workshop's idea desk only."""
    settings, info = seeded
    ((organisation, accounts, held),) = await demo_store.organisations.organisations()
    assert organisation.name == demo.ORGANISATION
    assert (accounts, held) == (3, 1 + len(demo_history.PAST))
    pid = await programme_id(demo_store)
    (pool,) = await demo_store.pools.pools(pid)
    app = create_app(settings)
    logins = {
        "organiser": (info["username"], info["password"]),
        "facilitator": (info["facilitator"], info["facilitator_password"]),
        "moderator": (info["moderator"], info["moderator_password"]),
    }
    seen = {}
    async with app.router.lifespan_context(app):
        for role, (username, password) in logins.items():
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                assert (await Facilitator(c).login(username, password)).status_code == 303, role
                workshop = await c.get(f"/f/workshops/{info['workshop_id']}")
                pools = await c.get(f"/f/programmes/{pid}/panels/{pool.id}")
                seen[role] = (
                    (await c.get("/f/accounts")).status_code,
                    workshop.status_code,
                    workshop.headers.get("location", ""),
                    pools.status_code,
                    "Delete the pool" in pools.text,
                )
    desk = f"/f/workshops/{info['workshop_id']}/desk"
    assert seen == {
        "organiser": (200, 200, "", 200, True),
        "facilitator": (403, 200, "", 200, False),
        "moderator": (403, 303, desk, 403, False),
    }
