"""Shared fixtures: a fresh database file per test, the real app with its lifespan, real servers,
and the room: a workshop with its facilitator and phones, in process or on a real server.

Each fixture is defined once, here or in the one test file or folder that needs it; a fixture that
needs a room prepared otherwise builds on ``room`` or ``live_room`` under a name of its own
(tests/test_house.py checks this)."""

from __future__ import annotations

import os

import httpx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from facilitation import create_app
from facilitation.core import i18n
from facilitation.settings import Settings
from tests import engines
from tests.helpers import PASSWORD, Facilitator, Server, add_user, quick_hash
from tests.room import Room, live_room_on
from tests.translation import POT


def pytest_addoption(parser):
    parser.addoption(
        "--engine",
        choices=engines.ENGINES,
        default=None,
        help="run on SQLite (default) or on PostgreSQL with Redis (see tests/engines.py)",
    )


def pytest_configure(config):
    chosen = config.getoption("--engine")
    if chosen:
        os.environ[engines.ENGINE_VARIABLE] = chosen
    if engines.on_postgres():
        problem = engines.missing_services()
        if problem:
            raise pytest.UsageError(problem)


def pytest_collection_modifyitems(config, items):
    # Each run keeps the tests its engine can run: deselected, never skipped.
    other = "sqlite_only" if engines.on_postgres() else "servers"
    kept = [item for item in items if item.get_closest_marker(other) is None]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


@pytest.fixture
def settings(tmp_path) -> Settings:
    data = engines.database(str(tmp_path / "test.sqlite3"))
    if engines.is_url(data):
        return Settings(database_url=data, redis_url=engines.redis_url(), push_interval=0.05)
    return Settings(data_path=data, push_interval=0.05)


@pytest.fixture
async def app(settings):
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def new_client(app) -> httpx.AsyncClient:
    """Another device against the same in-process app (its own cookies)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def facilitator(app, client) -> Facilitator:
    """The signed-in facilitator, with a quickly checked password hash (see quick_hash): the
    organiser of the instance's one organisation and its administrator, as the first account
    made by `facilitation add-user` is."""
    await app.state.store.users.create_user("facilitator", quick_hash(PASSWORD), admin=True)
    person = Facilitator(client)
    response = await person.login()
    assert response.status_code == 303
    return person


@pytest.fixture
async def pool_scene(app, facilitator):
    """A programme asking tenure and age band with the panel tests' 30 volunteers imported (see
    tests.panel.test_panels_page.POOL): (programme id, pool id, questions by label)."""
    from tests.panel.test_panels_page import make_scene

    return await make_scene(app, facilitator)


@pytest.fixture
async def room(app, facilitator) -> Room:
    """In process: the signed-in facilitator's workshop "Green spaces" with three options,
    Benches, Lighting and Trees, and no round yet; phones join it with ``room.phone()``."""
    made = await Room.open(
        facilitator,
        lambda: new_client(app),
        "Green spaces",
        ("Benches", "Lighting", "Trees"),
        app=app,
    )
    yield made
    await made.close()


@pytest.fixture
def server(tmp_path):
    """A real server process on loopback with one facilitator account."""
    data = engines.database(str(tmp_path / "live.sqlite3"))
    add_user(data)
    srv = Server(data).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One real server for a test module; each of its tests works in workshops of its own."""
    data = engines.database(str(tmp_path_factory.mktemp("shared") / "live.sqlite3"))
    add_user(data)
    srv = Server(data).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def proxied_server(tmp_path_factory):
    """One real server for a test module that believes X-Forwarded-For from 127.0.0.1, as behind
    nginx on the same machine: a test's people come from addresses of their own, named in that
    header (see tests.helpers.from_address)."""
    data = str(tmp_path_factory.mktemp("proxied") / "live.sqlite3")
    add_user(data)
    srv = Server(data, extra_env={"FACILITATION_TRUSTED_PROXIES": "127.0.0.1"}).start()
    yield srv
    srv.stop()


@pytest.fixture
async def live_room(shared_server) -> Room:
    """On the module's real server: the facilitator's workshop "Green spaces" with Benches,
    Lighting and Trees, and a draft dot round "Priorities" (5 dots, at most 3 on one option)."""
    async with live_room_on(shared_server) as made:
        yield made


@pytest.fixture
def pseudo_locale(tmp_path, monkeypatch):
    """A compiled catalog for Esperanto in which every message is wrapped in ⟦ ⟧."""
    catalog = Catalog(locale="eo")
    with open(POT, "rb") as f:
        for message in read_po(f):
            if not message.id:
                continue
            if isinstance(message.id, tuple | list):
                catalog.add(message.id, tuple(f"⟦{m}⟧" for m in message.id))
            else:
                catalog.add(message.id, f"⟦{message.id}⟧")
    target = tmp_path / "eo" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with open(target / "messages.mo", "wb") as f:
        write_mo(f, catalog)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    yield "eo"
    i18n.translations.cache_clear()
