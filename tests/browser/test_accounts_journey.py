"""Accounts and organisations from the pages, in Chromium: the organiser adds a resident as the
moderator of one workshop, who signs in on a phone and keeps its idea desk live while the room
sends ideas; the instance's administrator creates an organisation whose organiser sees nothing of
the first. Each page is also looked at at phone and projector size."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import BOARD, PHONE, FacilitatorUI, PhoneUI

pytestmark = pytest.mark.browser

ROUND = "What would make the courtyard better?"


def shoot(page: Page, folder, name: str) -> None:
    """The page at phone and at projector size: nothing sticks out sideways and axe-core finds
    nothing, whatever its impact."""
    for size in (PHONE, BOARD):
        page.set_viewport_size(size)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= size["width"], f"{name} is {wide}px wide at {size['width']}px"
        page.screenshot(path=str(folder / f"{name}-{size['width']}.png"), full_page=True)
        found = Axe().run(page).response["violations"]
        assert [v["id"] for v in found] == [], f"{name} at {size['width']}px"


def add_account(page: Page, username: str, role: str, workshop: str = "") -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill("a resident's password")
    page.get_by_role("radio", name=re.compile(rf"^{role}")).check()
    if workshop:
        page.get_by_label("A moderator's workshop").select_option(label=workshop)
    page.get_by_role("button", name="Add account").click()


def test_a_moderator_added_from_the_accounts_page_keeps_their_workshops_idea_desk(
    new_context, tmp_path
):
    organiser = FacilitatorUI(new_context(BOARD))
    organiser.sign_in()
    code = organiser.create_workshop("Courtyard evening")
    organiser.create_round(ROUND, kind="ideas")
    courtyard = organiser.base
    page = organiser.page
    page.goto("/f")
    organiser.create_workshop("Lifts and stairs")
    lifts = organiser.base

    page.get_by_role("link", name="Accounts").click()
    expect(page.get_by_role("heading", name="Accounts")).to_be_visible()
    # A moderator without a workshop is refused with the reason, and the form keeps the name.
    add_account(page, "amara", "Moderator")
    expect(page.locator("#account-error")).to_have_text(
        "A moderator looks after one workshop: please choose it."
    )
    expect(page.get_by_label("Username")).to_have_value("amara")
    expect(page.locator("[data-account]")).to_have_count(1)
    add_account(page, "amara", "Moderator", "Courtyard evening")
    expect(page.locator("#flash")).to_contain_text("Added amara as moderator.")
    row = page.locator("[data-account=amara]")
    expect(row).to_contain_text("Moderator · of “Courtyard evening”")
    add_account(page, "femi", "Facilitator")
    femi = page.locator("[data-account=femi]")
    expect(femi).to_contain_text("Facilitator")
    femi.get_by_text("Change role or password").click()
    shoot(page, tmp_path, "accounts")
    femi.get_by_label("Role of femi").select_option(label="Organiser")
    femi.get_by_role("button", name="Save role").click()
    expect(page.locator("#flash")).to_contain_text("femi is now organiser.")
    expect(page.locator("[data-account=femi] .list-main")).to_contain_text("Organiser")

    moderator = FacilitatorUI(new_context(PHONE))
    moderator.sign_in("amara", "a resident's password")
    mp = moderator.page
    nav = mp.get_by_role("navigation", name="Account")
    expect(nav.get_by_role("link")).to_have_text(["Workshops"])
    expect(mp.locator(".list-row")).to_have_count(1)
    expect(mp.get_by_role("button", name="Create workshop")).to_have_count(0)
    mp.get_by_role("link", name=re.compile("Courtyard evening")).click()
    expect(mp).to_have_url(re.compile(r"/f/workshops/\d+/desk$"))
    expect(mp.locator("[data-live]")).to_contain_text("Waiting to start")

    # The organiser opens the round: the moderator's desk follows without a reload.
    page.goto(courtyard)
    organiser.workshop_id = int(courtyard.rsplit("/", 1)[1])
    organiser.open_round(ROUND)
    strip = mp.locator(".live-strip")
    expect(strip).to_contain_text(ROUND)
    expect(strip.locator(".badge")).to_have_text("Open")

    phone = PhoneUI(new_context(PHONE)).join(code, "Ann")
    phone.wait_ballot("ideas")
    phone.page.get_by_label("Your idea", exact=True).fill("A bench by the tree")
    phone.send()
    expect(phone.status).to_contain_text("Idea sent")
    desk = mp.locator(".idea-desk")
    expect(desk.locator("[data-list=pending] .idea-row")).to_have_count(1)
    expect(strip.locator("[data-joined]")).to_have_text("1")
    shoot(mp, tmp_path, "desk")

    desk.get_by_role("button", name="Approve: A bench by the tree").click()
    expect(desk.locator("[data-approved]")).to_have_attribute("data-approved", "1")
    # Turning ideas into options is the organiser's and facilitator's, never on the desk.
    expect(desk.get_by_role("button", name="Turn approved ideas into options")).to_have_count(0)
    expect(desk).not_to_contain_text("Options made from ideas")
    expect(phone.page.locator(".my-ideas")).to_contain_text("A bench by the tree")

    # An idea handed in on paper: the moderator copies it in, and is back on the desk after.
    desk.get_by_role("link", name="Enter ideas from paper").click()
    expect(mp).to_have_url(re.compile(r"/paper$"))
    mp.get_by_label("The idea").fill("Somewhere dry to wait for the bus")
    mp.get_by_role("button", name="Add this idea").click()
    expect(mp.locator("#flash")).to_contain_text("counted")
    shoot(mp, tmp_path, "paper")
    mp.get_by_role("link", name="Courtyard evening").click()
    expect(mp).to_have_url(re.compile(r"/desk$"))
    expect(mp.locator(".idea-desk")).to_contain_text("Somewhere dry to wait for the bus")

    # The other workshop and the console are not the moderator's.
    mp.goto(courtyard)
    expect(mp).to_have_url(re.compile(rf"{courtyard}/desk$"))
    response = mp.goto(lifts + "/desk")
    assert response is not None and response.status == 403
    expect(mp.locator("main")).to_contain_text("of another workshop, not this one")
    response = mp.goto("/f/programmes")
    assert response is not None and response.status == 403
    expect(mp.locator("main")).to_contain_text("looks after the idea desk and paper ballots")

    # Removed, the moderator's next request is the sign-in page.
    page.goto("/f/accounts")
    page.get_by_role("button", name="Remove amara").click()
    expect(page.locator("#flash")).to_contain_text("Removed amara")
    expect(page.locator("[data-account=amara]")).to_have_count(0)
    mp.goto("/f")
    expect(mp).to_have_url(re.compile(r"/login"))


def test_the_administrator_creates_an_organisation_that_starts_empty(new_context, tmp_path):
    admin = FacilitatorUI(new_context(BOARD))
    admin.sign_in()
    admin.create_workshop("Courtyard evening")
    page = admin.page
    page.get_by_role("link", name="Organisations").click()
    page.get_by_label("Name", exact=True).fill("Hillside Homes")
    page.get_by_label("First organiser's username").fill("hana")
    page.get_by_label("Their password").fill("hillside password")
    page.get_by_role("button", name="Create organisation").click()
    expect(page.locator("#flash")).to_contain_text("Created “Hillside Homes” with hana")
    hillside = page.locator("[data-organisation='Hillside Homes']")
    expect(hillside).to_contain_text("1 account · 0 workshops")
    # A second organisation of the same name, in any case, is refused and nothing is made.
    page.get_by_label("Name", exact=True).fill("hillside homes")
    page.get_by_label("First organiser's username").fill("hugo")
    page.get_by_label("Their password").fill("hillside password")
    page.get_by_role("button", name="Create organisation").click()
    expect(page.locator("#organisation-error")).to_have_text(
        "There is already an organisation called “hillside homes”."
    )
    expect(page.locator("[data-organisation]")).to_have_count(2)
    shoot(page, tmp_path, "organisations")

    hana = FacilitatorUI(new_context(PHONE))
    hana.sign_in("hana", "hillside password")
    hp = hana.page
    nav = hp.get_by_role("navigation", name="Account")
    expect(nav.get_by_role("link")).to_have_text(["Workshops", "Programmes", "Accounts"])
    expect(hp.locator("main")).to_contain_text("No workshops yet.")
    expect(hp.locator("main")).not_to_contain_text("Courtyard evening")
    hp.get_by_role("link", name="Accounts").click()
    expect(hp.locator("[data-account]")).to_have_count(1)
    expect(hp.locator("[data-account=hana]")).to_contain_text("You")
    response = hp.goto(f"/f/workshops/{admin.workshop_id}")
    assert response is not None and response.status == 404
