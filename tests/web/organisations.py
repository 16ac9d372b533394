"""Two organisations on one instance, each with what it keeps, and the people who walk the app:
an organiser, a facilitator and a moderator of the first, the second's organiser, the
instance's administrator, an anonymous visitor and a participant's phone.

Built through the app's own use cases on whatever store the ``app`` fixture opened, so the same
scene serves any storage engine."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from facilitation.core.models import Role
from facilitation.panel.setup import Setup
from tests.helpers import PASSWORD, Facilitator, Phone, csrf_of, quick_hash

# What only the first organisation's pages may show (titles), and what only its organisers may
# see of its volunteers (names and contact details).
RIVERSIDE = ("Riverside courtyard", "Riverside hall", "Riverside plan", "Riverside letter")
HILLSIDE = ("Hillside garden", "Hillside plan", "Hillside letter", "Cara Hillside")

VOLUNTEERS = (
    ("Ada Riverside", "ada.riverside@example.org", "07700 900101", "4 Quay Street", "Renter"),
    ("Ben Riverside", "ben.riverside@example.org", "07700 900102", "4 Quay Street", "Owner"),
    ("Dev Riverside", "dev.riverside@example.org", "07700 900103", "6 Quay Street", "Renter"),
    ("Eve Riverside", "eve.riverside@example.org", "07700 900104", "8 Quay Street", "Owner"),
)

# Every name, email, phone and household (an address) of Riverside's volunteers.
CONTACTS = tuple(dict.fromkeys(value for row in VOLUNTEERS for value in row[:4]))

# Who walks, and the account each signs in with (None: nobody signs in).
WALKERS = {
    "organiser": "ana",
    "facilitator": "fay",
    "moderator": "mo",
    "other organiser": "olga",
    "administrator": "root",
    "anonymous": None,
    "phone": None,
}


def pool_csv(rows: tuple[tuple[str, ...], ...]) -> bytes:
    lines = ["name,email,phone,household,Tenure"] + [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


@dataclass
class World:
    """Everything the walk fills route paths with, by the names the routes use."""

    ids: dict[str, Any] = field(default_factory=dict)
    other: dict[str, Any] = field(default_factory=dict)  # the second organisation's


async def build(app) -> World:
    """Riverside (organiser ana, facilitator fay, moderator mo of its courtyard workshop, and a
    spare facilitator), Hillside (organiser olga) and the host federation (root, its organiser
    and the instance's administrator), each organisation with its workshops and programme."""
    store = app.state.store
    uc = app.state
    riverside = await store.organisations.create("Riverside Homes")
    hillside = await store.organisations.create("Hillside Trust")
    host = await store.organisations.create("Host federation")
    digest = quick_hash(PASSWORD)

    async def account(name: str, organisation: int, **role: Any):
        return await store.users.create_user(name, digest, organisation_id=organisation, **role)

    ana = await account("ana", riverside.id)
    await account("fay", riverside.id, role=Role.FACILITATOR)
    spare = await account("sam", riverside.id, role=Role.FACILITATOR)
    olga = await account("olga", hillside.id)
    await account("root", host.id, admin=True)

    world = World()
    courtyard = await uc.workshops.create_workshop({"title": RIVERSIDE[0]}, ana.id)
    hall = await uc.workshops.create_workshop({"title": RIVERSIDE[1]}, ana.id)
    await account("mo", riverside.id, role=Role.MODERATOR, workshop_id=courtyard.id)
    options = [
        await uc.workshops.add_option(courtyard.id, {"title": t}) for t in ("Benches", "Lighting")
    ]
    dots = await uc.rounds.save_round(
        courtyard.id,
        {"title": "Priorities", "kind": "dots", "options": [str(o.id) for o in options]},
    )
    await uc.rounds.open_round(dots)
    await uc.rounds.close_round(await store.rounds.round(dots.id))
    ideas = await uc.rounds.save_round(
        courtyard.id, {"title": "What is missing?", "kind": "ideas", "options": []}
    )
    await uc.rounds.open_round(ideas)
    participant = await uc.ballots.join(courtyard, "")
    await uc.ballots.cast_ballot(
        participant,
        courtyard,
        {"round_id": str(ideas.id), "client_id": "first-idea", "text": "Shade"},
    )
    idea = (await store.ideas.ideas(ideas.id))[0]

    plan = await uc.plans.create_programme({"title": RIVERSIDE[2]}, riverside.id)
    await store.plans.set_workshop_programme(courtyard.id, plan.id)
    need = await uc.plans.add_need(plan, {"title": "Somewhere to sit"})
    action = await uc.plans.save_action(plan, {"what": "Order benches", "who": "staff"})
    question = await store.profiles.add_profile_question(plan.id, "Tenure", ["Renter", "Owner"])
    pool, problems = await uc.lotteries.import_pool(plan, RIVERSIDE[3], pool_csv(VOLUNTEERS))
    assert pool is not None and not problems, problems
    data = await uc.lotteries.data(pool)
    panel = await uc.lotteries.draw(data, Setup(2, 1, False, {}), "riverside seed")
    commitment_id = await uc.lotteries.commit(data, Setup(2, 1, False, {}), 100)

    kiosk, _token = await store.kiosks.unlock(courtyard.id)

    world.ids = {
        "workshop_id": courtyard.id,
        "other_workshop_id": hall.id,
        "code": courtyard.code,
        "round_id": dots.id,
        "idea_round_id": ideas.id,
        "option_id": options[0].id,
        "idea_id": idea.id,
        "programme_id": plan.id,
        "slug": plan.slug,
        "need_id": need.id,
        "action_id": action.id,
        "question_id": question.id,
        "pool_id": pool.id,
        "panel_id": panel.id,
        "user_id": spare.id,
        "path": "app.css",
        "kiosk_id": kiosk.id,
        "commitment_id": commitment_id,
        "token": "not-a-registration-link",
        "participant_id": participant.id,
        "volunteer_id": (await store.pools.volunteers(pool.id))[0].id,
        "version": "0",
    }

    garden = await uc.workshops.create_workshop({"title": HILLSIDE[0]}, olga.id)
    hill_plan = await uc.plans.create_programme({"title": HILLSIDE[1]}, hillside.id)
    await store.plans.set_workshop_programme(garden.id, hill_plan.id)
    await store.profiles.add_profile_question(hill_plan.id, "Tenure", ["Renter", "Owner"])
    hill_pool, problems = await uc.lotteries.import_pool(
        hill_plan,
        HILLSIDE[2],
        pool_csv((("Cara Hillside", "cara@example.org", "07700 900201", "", "Renter"),)),
    )
    assert hill_pool is not None and not problems, problems
    world.other = {"workshop_id": garden.id, "programme_id": hill_plan.id}
    return world


async def walker(name: str, new_client: Callable[[], httpx.AsyncClient], world: World):
    """A device for one walker: signed in with its account, or a phone that joined the
    courtyard workshop, or a visitor who has only opened the start page."""
    client = new_client()
    username = WALKERS[name]
    if username is not None:
        person = Facilitator(client)
        assert (await person.login(username)).status_code == 303
        return client, person.token
    if name == "phone":
        phone = Phone(client)
        await phone.join(world.ids["code"])
        return client, phone.token
    return client, csrf_of((await client.get("/")).text)


async def handshake(app, path: str, client: httpx.AsyncClient) -> str:
    """Open a websocket on the app in process as a browser tab would (its cookies, this
    server's Origin): "accepted" with the first message it sends, or "refused"."""
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    headers = [(b"host", b"testserver"), (b"origin", b"http://testserver")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
        "subprotocols": [],
    }
    incoming: asyncio.Queue = asyncio.Queue()
    await incoming.put({"type": "websocket.connect"})
    sent: list[dict] = []
    first = asyncio.Event()

    async def receive() -> dict:
        return await incoming.get()

    async def send(message: dict) -> None:
        sent.append(message)
        if message["type"] in (
            "websocket.send",
            "websocket.close",
            "websocket.http.response.start",
        ):
            first.set()

    async def hang_up_after_first() -> None:
        await first.wait()
        await incoming.put({"type": "websocket.disconnect", "code": 1000})

    hang_up = asyncio.create_task(hang_up_after_first())
    try:
        await asyncio.wait_for(app(scope, receive, send), 15)
    finally:
        hang_up.cancel()
    kinds = [m["type"] for m in sent]
    if kinds[:1] == ["websocket.accept"]:
        text = next((m.get("text") or "" for m in sent if m["type"] == "websocket.send"), "")
        return "accepted:" + text
    return "refused"
