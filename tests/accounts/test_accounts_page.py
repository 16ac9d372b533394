"""The accounts pages against the real app: an organiser adds and removes their organisation's
accounts, the instance's administrator creates organisations with their first organiser, and a
refused form says why and changes nothing."""

from __future__ import annotations

import html
from contextlib import asynccontextmanager

import pytest

from facilitation.core.models import Role
from tests.conftest import new_client
from tests.helpers import PASSWORD, Facilitator, db_rows, quick_hash


@asynccontextmanager
async def signed_in(app, username: str, password: str = PASSWORD):
    """Another device, signed in as ``username``."""
    async with new_client(app) as device:
        person = Facilitator(device)
        assert (await person.login(username, password)).status_code == 303
        yield person


async def test_an_organiser_adds_a_facilitator_who_signs_in_and_runs_workshops(app, facilitator):
    response = await facilitator.post(
        "/f/accounts", {"username": "fay", "password": PASSWORD, "role": "facilitator"}
    )
    assert response.status_code == 303
    listing = (await facilitator.client.get("/f/accounts")).text
    assert 'data-account="fay"' in listing
    async with signed_in(app, "fay") as fay:
        assert (await fay.client.get("/f")).status_code == 200
        workshop_id, _code = await fay.create_workshop("Courtyard evening")
        # Made in the organiser's organisation: the organiser sees it too.
        assert "Courtyard evening" in (await facilitator.client.get("/f")).text
        refused = await fay.client.get("/f/accounts")
        assert refused.status_code == 403
        assert "Only an organiser can add or remove accounts." in html.unescape(refused.text)
        assert "/f/accounts" not in (await fay.client.get(f"/f/workshops/{workshop_id}")).text


async def test_a_moderator_lands_on_the_desk_of_their_one_workshop(app, facilitator):
    workshop_id, _code = await facilitator.create_workshop("Courtyard evening")
    await facilitator.create_workshop("Hall evening")
    response = await facilitator.post(
        "/f/accounts",
        {
            "username": "mo",
            "password": PASSWORD,
            "role": "moderator",
            "workshop_id": str(workshop_id),
        },
    )
    assert response.status_code == 303
    assert "of “Courtyard evening”" in (await facilitator.client.get("/f/accounts")).text
    async with signed_in(app, "mo") as mo:
        listing = (await mo.client.get("/f")).text
        assert f'href="/f/workshops/{workshop_id}/desk"' in listing
        assert "Hall evening" not in listing and "New workshop" not in listing
        assert "/f/programmes" not in listing
        console = await mo.client.get(f"/f/workshops/{workshop_id}")
        assert (console.status_code, console.headers["location"]) == (
            303,
            f"/f/workshops/{workshop_id}/desk",
        )
        desk = (await mo.client.get(f"/f/workshops/{workshop_id}/desk")).text
        assert "Idea desk and paper ballots" in desk
        assert "Open the live board" not in desk and "/export/" not in desk


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"username": "fay", "password": "short", "role": "facilitator"}, 400,
         "A password needs at least 8 characters."),
        ({"username": "facilitator", "password": PASSWORD, "role": "facilitator"}, 409,
         "That username is already taken."),
        ({"username": "two words", "password": PASSWORD, "role": "facilitator"}, 400,
         "A username cannot contain spaces."),
        ({"username": "fay", "password": PASSWORD, "role": "owner"}, 400,
         "Please choose a role: organiser, facilitator or moderator."),
        ({"username": "mo", "password": PASSWORD, "role": "moderator"}, 400,
         "A moderator looks after one workshop: please choose it."),
        ({"username": "mo", "password": PASSWORD, "role": "moderator", "workshop_id": "999"},
         404, "We could not find that workshop."),
    ],
)  # fmt: skip
async def test_a_refused_account_form_says_why_and_changes_nothing(
    facilitator, settings, form, status, message
):
    before = db_rows(settings.data_path)
    response = await facilitator.post("/f/accounts", form)
    assert response.status_code == status
    page = html.unescape(response.text)
    assert message in page
    assert f'value="{form["username"]}"' in page  # typed again for the next try
    assert f'value="{form["password"]}"' not in page  # never the password
    assert db_rows(settings.data_path) == before


async def test_a_moderator_cannot_look_after_another_organisations_workshop(app, facilitator):
    store = app.state.store
    hillside = await store.organisations.create("Hillside Trust")
    olga = await store.users.create_user("olga", quick_hash(), organisation_id=hillside.id)
    garden = await store.workshops.create_workshop("Hillside garden", None, "", olga.id)
    response = await facilitator.post(
        "/f/accounts",
        {
            "username": "mo",
            "password": PASSWORD,
            "role": "moderator",
            "workshop_id": str(garden.id),
        },
    )
    assert response.status_code == 404
    assert "Hillside garden" not in response.text
    assert await store.users.user_credentials("mo") is None


async def test_removing_an_account_ends_its_sign_ins_at_once(app, facilitator):
    await facilitator.post(
        "/f/accounts", {"username": "fay", "password": PASSWORD, "role": "facilitator"}
    )
    async with signed_in(app, "fay") as fay:
        account, _digest = await app.state.store.users.user_credentials("fay")
        response = await facilitator.post(f"/f/accounts/{account.id}/remove")
        assert response.status_code == 303
        assert 'data-account="fay"' not in (await facilitator.client.get("/f/accounts")).text
        gone = await fay.client.get("/f")
        assert (gone.status_code, gone.headers["location"]) == (303, "/login?next=/f")


async def test_an_organiser_cannot_remove_their_own_account(app, facilitator, settings):
    me, _digest = await app.state.store.users.user_credentials("facilitator")
    before = db_rows(settings.data_path)
    response = await facilitator.post(f"/f/accounts/{me.id}/remove")
    assert response.status_code == 400
    assert "You cannot remove your own account." in html.unescape(response.text)
    assert db_rows(settings.data_path) == before


async def test_an_organiser_cannot_remove_another_organisations_account(app, facilitator):
    store = app.state.store
    hillside = await store.organisations.create("Hillside Trust")
    olga = await store.users.create_user("olga", quick_hash(), organisation_id=hillside.id)
    response = await facilitator.post(f"/f/accounts/{olga.id}/remove")
    assert response.status_code == 404
    assert await store.users.user(olga.id) is not None


async def test_the_administrator_creates_an_organisation_that_sees_only_its_own(app, facilitator):
    await facilitator.create_workshop("Courtyard evening")
    response = await facilitator.post(
        "/f/organisations",
        {"name": "Hillside Trust", "username": "olga", "password": PASSWORD},
    )
    assert response.status_code == 303
    listing = html.unescape((await facilitator.client.get("/f/organisations")).text)
    assert 'data-organisation="Hillside Trust"' in listing
    assert "1 account · 0 workshops" in listing
    async with signed_in(app, "olga") as olga:
        assert "Courtyard evening" not in (await olga.client.get("/f")).text
        accounts = (await olga.client.get("/f/accounts")).text
        assert 'data-account="olga"' in accounts and 'data-account="facilitator"' not in accounts
        refused = await olga.client.get("/f/organisations")
        assert refused.status_code == 403
        assert "Only the instance's administrator can create organisations." in html.unescape(
            refused.text
        )
    made, _digest = await app.state.store.users.user_credentials("olga")
    assert (made.username, made.role, made.admin) == ("olga", Role.ORGANISER, False)


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"name": "our ORGANISATION", "username": "olga", "password": PASSWORD}, 409,
         "There is already an organisation called “our ORGANISATION”."),
        ({"name": "Hillside Trust", "username": "facilitator", "password": PASSWORD}, 409,
         "That username is already taken."),
        ({"name": "Hillside Trust", "username": "olga", "password": "short"}, 400,
         "A password needs at least 8 characters."),
        ({"name": "", "username": "olga", "password": PASSWORD}, 400,
         "Please fill in “Name”."),
    ],
)  # fmt: skip
async def test_a_refused_organisation_form_says_why_and_changes_nothing(
    facilitator, settings, form, status, message
):
    before = db_rows(settings.data_path)
    response = await facilitator.post("/f/organisations", form)
    assert response.status_code == status
    assert message in html.unescape(response.text)
    assert db_rows(settings.data_path) == before


async def test_an_organiser_makes_a_facilitator_the_moderator_of_one_workshop(app, facilitator):
    workshop_id, _code = await facilitator.create_workshop("Courtyard evening")
    await facilitator.post(
        "/f/accounts", {"username": "fay", "password": PASSWORD, "role": "facilitator"}
    )
    fay_account, _digest = await app.state.store.users.user_credentials("fay")
    async with signed_in(app, "fay") as fay:
        assert (await fay.client.get("/f/programmes")).status_code == 200
        response = await facilitator.post(
            f"/f/accounts/{fay_account.id}/role",
            {"role": "moderator", "workshop_id": str(workshop_id)},
        )
        assert response.status_code == 303
        listing = html.unescape((await facilitator.client.get("/f/accounts")).text)
        assert "fay is now moderator." in listing
        assert "Moderator · of “Courtyard evening”" in listing
        # The new role holds from fay's next request, without signing in again.
        assert (await fay.client.get("/f/programmes")).status_code == 403
        desk = await fay.client.get(f"/f/workshops/{workshop_id}")
        assert desk.headers["location"] == f"/f/workshops/{workshop_id}/desk"
        await facilitator.post(f"/f/accounts/{fay_account.id}/role", {"role": "organiser"})
        assert (await fay.client.get("/f/accounts")).status_code == 200


async def test_a_refused_role_change_says_why_and_changes_nothing(app, facilitator, settings):
    store = app.state.store
    await facilitator.post(
        "/f/accounts", {"username": "fay", "password": PASSWORD, "role": "facilitator"}
    )
    fay, _digest = await store.users.user_credentials("fay")
    me, _digest = await store.users.user_credentials("facilitator")
    hillside = await store.organisations.create("Hillside Trust")
    olga = await store.users.create_user("olga", quick_hash(), organisation_id=hillside.id)
    garden = await store.workshops.create_workshop("Hillside garden", None, "", olga.id)
    before = db_rows(settings.data_path)
    refusals = [
        (fay.id, {"role": "moderator"}, 400, "A moderator looks after one workshop"),
        (fay.id, {"role": "chair"}, 400, "Please choose a role"),
        (
            fay.id,
            {"role": "moderator", "workshop_id": str(garden.id)},
            404,
            "We could not find that workshop.",
        ),
        (me.id, {"role": "facilitator"}, 400, "You cannot change your own role."),
        (olga.id, {"role": "facilitator"}, 404, "We could not find that account."),
    ]
    for account_id, form, status, message in refusals:
        response = await facilitator.post(f"/f/accounts/{account_id}/role", form)
        assert response.status_code == status, form
        assert message in html.unescape(response.text), form
        assert "Hillside garden" not in response.text
    assert db_rows(settings.data_path) == before


async def test_a_new_password_ends_the_accounts_sign_ins_and_the_old_one(app, facilitator):
    await facilitator.post(
        "/f/accounts", {"username": "fay", "password": PASSWORD, "role": "facilitator"}
    )
    account, _digest = await app.state.store.users.user_credentials("fay")
    async with signed_in(app, "fay") as fay:
        short = await facilitator.post(f"/f/accounts/{account.id}/password", {"password": "short"})
        assert short.status_code == 400
        assert "A password needs at least 8 characters." in html.unescape(short.text)
        assert (await fay.client.get("/f")).status_code == 200
        response = await facilitator.post(
            f"/f/accounts/{account.id}/password", {"password": "a new long password"}
        )
        assert response.status_code == 303
        assert "New password set for fay" in (await facilitator.client.get("/f/accounts")).text
        assert (await fay.client.get("/f")).status_code == 303
    async with new_client(app) as device:
        assert (await Facilitator(device).login("fay", PASSWORD)).status_code != 303
        assert (await Facilitator(device).login("fay", "a new long password")).status_code == 303


async def test_an_organiser_sets_no_password_for_themselves_or_another_organisation(
    app, facilitator, settings
):
    store = app.state.store
    me, _digest = await store.users.user_credentials("facilitator")
    hillside = await store.organisations.create("Hillside Trust")
    olga = await store.users.create_user("olga", quick_hash(), organisation_id=hillside.id)
    before = db_rows(settings.data_path)
    mine = await facilitator.post(f"/f/accounts/{me.id}/password", {"password": PASSWORD + "x"})
    assert mine.status_code == 400
    assert "Ask another organiser to set a new password" in html.unescape(mine.text)
    other = await facilitator.post(f"/f/accounts/{olga.id}/password", {"password": PASSWORD})
    assert other.status_code == 404
    assert db_rows(settings.data_path) == before


async def test_a_refused_account_form_names_the_field_in_the_readers_language(
    facilitator, settings
):
    await facilitator.post("/f/language", {"lang": "pl", "next": "/f/accounts"})
    before = db_rows(settings.data_path)
    response = await facilitator.post(
        "/f/accounts", {"username": " ", "password": PASSWORD, "role": "facilitator"}
    )
    assert response.status_code == 400
    assert "Proszę wypełnić pole „Nazwa użytkownika”." in html.unescape(response.text)
    assert db_rows(settings.data_path) == before
