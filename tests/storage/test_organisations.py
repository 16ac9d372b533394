"""Organisations in the store: the upgrade that puts an older instance's data into one
organisation, accounts with their organisation and role, and lists that keep to one
organisation."""

from __future__ import annotations

import pytest

from facilitation.core.errors import Conflict, NotFound
from facilitation.core.models import Role
from facilitation.storage.migrations import MIGRATIONS
from facilitation.storage.organisations import FIRST_NAME
from facilitation.storage.store import Store, open_database

NAMES = [name for name, _sql in MIGRATIONS]
BEFORE = MIGRATIONS[: NAMES.index("0015_organisations")]
NOW = 1_700_000_000.0


async def older_instance(path: str, users: int = 2) -> None:
    """A database at the level before organisations, holding accounts, two workshops (one in a
    programme) and a sign-in, written as that release wrote them."""
    db = open_database(path, migrations=BEFORE)
    await db.open()
    try:
        async with db.transaction() as tx:
            for i in range(1, users + 1):
                await tx.execute(
                    "INSERT INTO users (id, username, password_hash, created_at)"
                    " VALUES (?, ?, 'hash', ?)",
                    (i, f"user{i}", NOW + i),
                )
            await tx.execute("INSERT INTO sessions VALUES ('old-session', 1, ?)", (NOW,))
            await tx.execute(
                "INSERT INTO programmes (id, title, slug, created_at)"
                " VALUES (1, 'Estate plan', 'estate-plan', ?)",
                (NOW,),
            )
            for i, programme in ((1, 1), (2, None)):
                await tx.execute(
                    "INSERT INTO workshops (id, code, title, created_by, created_at, programme_id)"
                    " VALUES (?, ?, ?, 1, ?, ?)",
                    (i, f"CODE{i}A", f"Workshop {i}", NOW - 10 + i, programme),
                )
    finally:
        await db.close()


async def test_an_older_instance_becomes_one_organisation_holding_everything(path):
    await older_instance(path)
    store = await Store(path).open()
    try:
        ((organisation, accounts, workshops),) = await store.organisations.organisations()
        assert (organisation.name, accounts, workshops) == (FIRST_NAME, 2, 2)
        users = await store.users.accounts(organisation.id)
        assert [(u.username, u.role, u.admin) for u in users] == [
            ("user1", Role.ORGANISER, True),
            ("user2", Role.ORGANISER, False),
        ]
        assert [w.title for w in await store.workshops.workshops(organisation.id)] == [
            "Workshop 2",
            "Workshop 1",
        ]
        assert [p.title for p in await store.plans.programmes(organisation.id)] == ["Estate plan"]
        # A sign-in made before the upgrade goes on working, now with its organisation.
        signed_in = await store.users.session_user("old-session", max_age=10**10)
        assert signed_in is not None and signed_in.organisation_id == organisation.id
    finally:
        await store.close()


# An instance older than organisations is a SQLite file (PostgreSQL came later, through
# migrate-data); its rows here are written with their ids, which PostgreSQL's id sequences
# would not count.
@pytest.mark.sqlite_only
async def test_the_upgraded_instance_takes_new_accounts_without_naming_its_organisation(path):
    await older_instance(path)
    store = await Store(path).open()
    try:
        added = await store.users.create_user("newcomer", "hash", role=Role.FACILITATOR)
        ((organisation, _n, _w),) = await store.organisations.organisations()
        assert added.organisation_id == organisation.id
        assert not added.admin
    finally:
        await store.close()


async def test_an_empty_database_has_no_organisation_until_its_first_account(store):
    assert await store.organisations.organisations() == []
    first = await store.users.create_user("maria", "hash")
    ((organisation, accounts, _w),) = await store.organisations.organisations()
    assert (organisation.name, accounts, first.organisation_id) == (FIRST_NAME, 1, organisation.id)


async def test_an_account_without_an_organisation_is_refused_when_there_are_several(store):
    await store.organisations.create("Riverside Homes")
    await store.organisations.create("Hillside Trust")
    with pytest.raises(Conflict):
        await store.users.create_user("maria", "hash")
    assert await store.users.user_credentials("maria") is None


async def test_organisation_names_are_unique_in_any_letter_case(store):
    await store.organisations.create("Riverside Homes")
    with pytest.raises(Conflict):
        await store.organisations.create("RIVERSIDE homes")
    assert [o.name for o, _a, _w in await store.organisations.organisations()] == [
        "Riverside Homes"
    ]
    assert (await store.organisations.by_name("riverside HOMES")).name == "Riverside Homes"


async def test_an_organisation_and_its_first_organiser_are_made_together_or_not_at_all(store):
    await store.users.create_user("maria", "hash")
    with pytest.raises(Conflict):
        await store.organisations.create_with_organiser("Riverside Homes", "maria", "hash")
    assert await store.organisations.by_name("Riverside Homes") is None
    organisation, first = await store.organisations.create_with_organiser(
        "Riverside Homes", "ana", "hash"
    )
    assert (first.organisation_id, first.role, first.admin) == (
        organisation.id,
        Role.ORGANISER,
        False,
    )


async def test_a_moderator_looks_after_one_workshop_of_their_own_organisation(store):
    riverside = await store.organisations.create("Riverside Homes")
    hillside = await store.organisations.create("Hillside Trust")
    ana = await store.users.create_user("ana", "hash", organisation_id=riverside.id)
    olga = await store.users.create_user("olga", "hash", organisation_id=hillside.id)
    courtyard = await store.workshops.create_workshop("Courtyard", None, "", ana.id)
    garden = await store.workshops.create_workshop("Garden", None, "", olga.id)
    assert (courtyard.organisation_id, garden.organisation_id) == (riverside.id, hillside.id)
    with pytest.raises(NotFound):
        await store.users.create_user(
            "mo", "hash", organisation_id=riverside.id, role=Role.MODERATOR, workshop_id=garden.id
        )
    with pytest.raises(ValueError):
        await store.users.create_user(
            "mo", "hash", organisation_id=riverside.id, role=Role.MODERATOR
        )
    mo = await store.users.create_user(
        "mo", "hash", organisation_id=riverside.id, role=Role.MODERATOR, workshop_id=courtyard.id
    )
    assert (await store.users.user(mo.id)).workshop_id == courtyard.id


async def test_lists_hold_only_the_organisations_own_records(store):
    riverside = await store.organisations.create("Riverside Homes")
    hillside = await store.organisations.create("Hillside Trust")
    ana = await store.users.create_user("ana", "hash", organisation_id=riverside.id)
    olga = await store.users.create_user("olga", "hash", organisation_id=hillside.id)
    await store.workshops.create_workshop("Courtyard", None, "", ana.id)
    await store.workshops.create_workshop("Garden", None, "", olga.id)
    await store.plans.create_programme("Riverside plan", "", "", riverside.id)
    await store.plans.create_programme("Hillside plan", "", "", hillside.id)
    assert [w.title for w in await store.workshops.workshops(riverside.id)] == ["Courtyard"]
    assert [w.title for w in await store.workshops.workshops(hillside.id)] == ["Garden"]
    assert [p.title for p in await store.plans.programmes(hillside.id)] == ["Hillside plan"]
    assert [u.username for u in await store.users.accounts(riverside.id)] == ["ana"]


async def test_removing_an_account_ends_its_sign_ins_and_keeps_its_workshops(store):
    ana = await store.users.create_user("ana", "hash")
    sam = await store.users.create_user("sam", "hash", role=Role.FACILITATOR)
    workshop = await store.workshops.create_workshop("Courtyard", None, "", sam.id)
    session = await store.users.start_session(sam.id)
    await store.users.remove_user(sam.id)
    assert await store.users.session_user(session, max_age=3600) is None
    assert await store.users.user(sam.id) is None
    assert [w.id for w in await store.workshops.workshops(ana.organisation_id)] == [workshop.id]
