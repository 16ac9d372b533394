"""The command line, run as a user would: python -m facilitation ..."""

from __future__ import annotations

import httpx
import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from facilitation import __version__, create_app
from facilitation.demo import history as demo_history
from facilitation.demo import workshop as demo
from facilitation.settings import Settings
from facilitation.storage.store import Store
from tests.helpers import Facilitator, run


async def can_sign_in(data_path: str, username: str, password: str) -> bool:
    app = create_app(Settings(data_path=data_path))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            response = await Facilitator(c).login(username, password)
    return response.status_code == 303


def test_help_lists_the_commands(tmp_path):
    result = run("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("serve", "demo", "add-user", "get", "backup", "restore"):
        assert command in result.stdout


def test_version(tmp_path):
    result = run("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"facilitation {__version__}"


def test_serve_help_shows_host_port_and_data(tmp_path):
    result = run("serve", "--help", cwd=tmp_path)
    assert result.returncode == 0
    for option in ("--host", "--port", "--data", "--public-url"):
        assert option in result.stdout
    assert "127.0.0.1" in result.stdout
    assert "8000" in result.stdout


def test_no_command_is_an_error(tmp_path):
    result = run(cwd=tmp_path)
    assert result.returncode == 2
    assert "required" in result.stderr


async def test_add_user_then_sign_in(tmp_path):
    data = str(tmp_path / "site.sqlite3")
    result = run(
        "add-user",
        "maria",
        "--password-stdin",
        "--data",
        data,
        cwd=tmp_path,
        stdin="correct horse battery\n",
    )
    assert result.returncode == 0, result.stderr
    assert "Organiser maria added to “Our organisation”." in result.stdout
    assert "maria is also the instance's administrator" in result.stdout
    assert await can_sign_in(data, "maria", "correct horse battery")
    assert not await can_sign_in(data, "maria", "wrong horse battery")


async def test_a_too_short_password_is_refused(tmp_path):
    data = str(tmp_path / "site.sqlite3")
    result = run(
        "add-user", "maria", "--password-stdin", "--data", data, cwd=tmp_path, stdin="short\n"
    )
    assert result.returncode == 2
    assert "A password needs at least 8 characters." in result.stderr
    assert not await can_sign_in(data, "maria", "short")


async def test_adding_an_existing_user_is_refused_and_reset_changes_the_password(tmp_path):
    data = str(tmp_path / "site.sqlite3")
    first = run(
        "add-user",
        "maria",
        "--password-stdin",
        "--data",
        data,
        cwd=tmp_path,
        stdin="first password\n",
    )
    assert first.returncode == 0
    again = run(
        "add-user",
        "maria",
        "--password-stdin",
        "--data",
        data,
        cwd=tmp_path,
        stdin="second password\n",
    )
    assert again.returncode == 2
    assert "already exists; use --reset" in again.stderr
    reset = run(
        "add-user",
        "maria",
        "--password-stdin",
        "--reset",
        "--data",
        data,
        cwd=tmp_path,
        stdin="second password\n",
    )
    assert reset.returncode == 0
    assert "Password changed for maria." in reset.stdout
    assert await can_sign_in(data, "maria", "second password")
    assert not await can_sign_in(data, "maria", "first password")


def test_get_prints_the_join_page(tmp_path):
    result = run("get", "/", "--data", str(tmp_path / "site.sqlite3"), cwd=tmp_path)
    assert result.returncode == 0
    assert "<h1>Join a workshop</h1>" in result.stdout
    assert 'action="/join"' in result.stdout


@pytest.mark.parametrize("path", ["/nope", "/w/NOCODE"])
def test_get_of_a_missing_page_exits_1(tmp_path, path):
    result = run("get", path, "--data", str(tmp_path / "site.sqlite3"), cwd=tmp_path)
    assert result.returncode == 1
    assert "Error 404" in result.stdout


async def test_demo_seeding_is_idempotent_and_changes_the_password(tmp_path):
    settings = Settings(data_path=str(tmp_path / "demo.sqlite3"))
    first = await demo.seed(settings)
    second = await demo.seed(settings)
    assert first["workshop_id"] == second["workshop_id"]
    assert first["code"] == second["code"]
    assert first["password"] != second["password"]

    store = await Store(settings.data_path).open()
    try:
        user, digest = await store.users.user_credentials(demo.DEMO_USER)
        workshops = await store.workshops.workshops(user.organisation_id)
        # The workshop to run is the newest; the programme's past workshops come before it.
        past = [p.title for p in reversed(demo_history.PAST)]
        assert [w.title for w in workshops] == [demo.TITLE, *past]
        assert len(await store.options.options(workshops[0].id)) == len(demo.OPTIONS)
        assert len(await store.rounds.rounds(workshops[0].id)) == 4
        assert [p.title for p in await store.plans.programmes(user.organisation_id)] == [
            demo.PROGRAMME
        ]
    finally:
        await store.close()
    hasher = PasswordHasher()
    assert hasher.verify(digest, second["password"])
    with pytest.raises(VerificationError):
        hasher.verify(digest, first["password"])


def test_several_workers_are_refused_on_sqlite_with_the_reason(tmp_path):
    done = run("serve", "--workers", "2", "--data", str(tmp_path / "x.sqlite3"), cwd=tmp_path)
    assert done.returncode == 2
    assert "--workers 2 needs PostgreSQL and Redis" in done.stderr
    assert not (tmp_path / "x.sqlite3").exists()
