"""Shared fixtures: a fresh database file per test, the real app with its lifespan, real servers."""

from __future__ import annotations

import httpx
import pytest

from facilitation import create_app
from facilitation.settings import Settings
from tests.helpers import PASSWORD, Facilitator, Server, add_user, quick_hash


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_path=str(tmp_path / "test.sqlite3"), push_interval=0.05)


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
    await app.state.store.users.create_user("facilitator", quick_hash(PASSWORD))
    person = Facilitator(client)
    response = await person.login()
    assert response.status_code == 303
    return person


@pytest.fixture
def server(tmp_path):
    """A real server process on loopback with one facilitator account."""
    data = str(tmp_path / "live.sqlite3")
    add_user(data)
    srv = Server(data).start()
    yield srv
    srv.stop()
