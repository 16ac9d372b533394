"""`facilitation add-user` with organisations and roles, run as an operator would: a named
organisation is made for its first organiser, a moderator names their workshop's join code,
and what cannot be done is refused with a reason and changes nothing."""

from __future__ import annotations

from facilitation.core.models import Role
from facilitation.storage.store import Store
from tests.helpers import PASSWORD, db_rows, run


def add(tmp_path, data: str, *args: str):
    return run("add-user", *args, "--password-stdin", "--data", data, cwd=tmp_path,
               stdin=PASSWORD + "\n")  # fmt: skip


async def accounts(data: str) -> dict[str, tuple[str, Role, bool, int | None]]:
    """Every account: (organisation's name, role, administrator, moderator's workshop)."""
    store = await Store(data).open()
    try:
        out = {}
        for organisation, _n, _w in await store.organisations.organisations():
            for u in await store.users.accounts(organisation.id):
                out[u.username] = (organisation.name, u.role, u.admin, u.workshop_id)
        return out
    finally:
        await store.close()


async def test_a_named_organisation_is_made_for_its_first_organiser(tmp_path):
    data = str(tmp_path / "site.sqlite3")
    first = add(tmp_path, data, "root", "--organisation", "Host federation")
    assert first.returncode == 0, first.stderr
    assert "Organiser root added to “Host federation” (a new organisation)." in first.stdout
    second = add(tmp_path, data, "ana", "--organisation", "Riverside Homes")
    assert second.returncode == 0, second.stderr
    third = add(tmp_path, data, "fay", "--organisation", "riverside homes", "--role", "facilitator")
    assert third.returncode == 0, third.stderr
    assert "Facilitator fay added to “Riverside Homes”." in third.stdout
    assert await accounts(data) == {
        "root": ("Host federation", Role.ORGANISER, True, None),
        "ana": ("Riverside Homes", Role.ORGANISER, False, None),
        "fay": ("Riverside Homes", Role.FACILITATOR, False, None),
    }


async def test_a_moderator_is_added_for_the_workshop_with_that_join_code(tmp_path):
    data = str(tmp_path / "site.sqlite3")
    assert add(tmp_path, data, "ana", "--organisation", "Riverside Homes").returncode == 0
    store = await Store(data).open()
    try:
        ana, _digest = await store.users.user_credentials("ana")
        courtyard = await store.workshops.create_workshop("Courtyard", None, "", ana.id)
    finally:
        await store.close()
    result = add(
        tmp_path, data, "mo", "--organisation", "Riverside Homes", "--role", "moderator",
        "--workshop", courtyard.code.lower(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (await accounts(data))["mo"] == ("Riverside Homes", Role.MODERATOR, False, courtyard.id)


async def test_what_cannot_be_done_is_refused_with_a_reason_and_changes_nothing(tmp_path):
    data = str(tmp_path / "site.sqlite3")
    assert add(tmp_path, data, "root", "--organisation", "Host federation").returncode == 0
    assert add(tmp_path, data, "ana", "--organisation", "Riverside Homes").returncode == 0
    before = db_rows(data)
    refusals = {
        ("fay",): "several organisations: say which with --organisation",
        ("fay", "--organisation", "Nowhere", "--role", "facilitator"): (
            "There is no organisation called Nowhere."
        ),
        ("mo", "--organisation", "Riverside Homes", "--role", "moderator"): (
            "A moderator looks after one workshop: give its join code with --workshop"
        ),
        (
            "mo",
            "--organisation",
            "Riverside Homes",
            "--role",
            "moderator",
            "--workshop",
            "XXXXXX",
        ): ("No workshop has the join code XXXXXX."),
        ("ana", "--organisation", "Riverside Homes"): "ana already exists; use --reset",
    }
    for args, message in refusals.items():
        result = add(tmp_path, data, *args)
        assert result.returncode == 2, args
        assert message in result.stderr, (args, result.stderr)
    assert db_rows(data) == before


async def test_a_moderator_cannot_be_given_another_organisations_workshop(tmp_path):
    data = str(tmp_path / "site.sqlite3")
    assert add(tmp_path, data, "root", "--organisation", "Host federation").returncode == 0
    assert add(tmp_path, data, "ana", "--organisation", "Riverside Homes").returncode == 0
    store = await Store(data).open()
    try:
        root, _digest = await store.users.user_credentials("root")
        hosted = await store.workshops.create_workshop("Host meeting", None, "", root.id)
    finally:
        await store.close()
    before = db_rows(data)
    result = add(
        tmp_path, data, "mo", "--organisation", "Riverside Homes", "--role", "moderator",
        "--workshop", hosted.code,
    )  # fmt: skip
    assert result.returncode == 2
    assert "That workshop belongs to another organisation." in result.stderr
    assert db_rows(data) == before


async def test_admin_makes_another_account_an_administrator_too(tmp_path):
    data = str(tmp_path / "site.sqlite3")
    assert add(tmp_path, data, "root", "--organisation", "Host federation").returncode == 0
    plain = add(tmp_path, data, "ana", "--organisation", "Riverside Homes")
    assert plain.returncode == 0, plain.stderr
    helper = add(tmp_path, data, "hal", "--organisation", "Host federation", "--admin")
    assert helper.returncode == 0, helper.stderr
    assert "hal is also the instance's administrator" in helper.stdout
    assert "administrator" not in plain.stdout
    found = await accounts(data)
    assert [name for name, (_o, _r, admin, _w) in sorted(found.items()) if admin] == [
        "hal",
        "root",
    ]
