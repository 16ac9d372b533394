"""A programme in Chromium: from a workshop's options to the public "You said, we did" page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BOARD, PHONE, FacilitatorUI

pytestmark = pytest.mark.browser


def test_programme_from_options_to_needs_actions_and_the_public_page(new_context):
    f = FacilitatorUI(new_context(BOARD))
    f.sign_in()
    f.create_workshop("Courtyard evening")
    f.add_options("Benches in the courtyard", "Brighter path lighting")
    page = f.page

    page.get_by_role("link", name="Programmes").click()
    page.get_by_label("Title").fill("Phoenix Place plan")
    page.get_by_label("Place").fill("Phoenix Place")
    page.get_by_role("button", name="Create programme").click()
    expect(page).to_have_url(re.compile(r"/f/programmes/\d+$"))
    expect(page.locator("#flash")).to_contain_text("created")

    page.get_by_label("Add a workshop to this programme").select_option(label="Courtyard evening")
    page.get_by_role("button", name="Add workshop").click()
    expect(page.locator("#flash")).to_contain_text("is now part of this programme")
    expect(page.get_by_role("link", name="Courtyard evening")).to_be_visible()

    page.get_by_role("link", name="Needs", exact=True).click()
    page.get_by_role("button", name="Add the workshops' options as needs").click()
    expect(page.locator("#flash")).to_contain_text("2 options became needs")
    rows = page.locator(".need-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Not voted on yet")

    page.get_by_role("link", name="Action plan", exact=True).click()
    form = page.locator("form", has=page.get_by_role("button", name="Add action"))
    form.get_by_label("What").fill("Order four benches with backs")
    form.get_by_label("For the need").select_option(label="Benches in the courtyard")
    form.get_by_label("Who").select_option(label="Staff")
    form.get_by_label("Named owner").fill("Sam Jones")
    form.get_by_label("Due").fill("2030-06-30")
    form.get_by_role("button", name="Add action").click()
    item = page.locator(".action-item", has_text="Order four benches with backs")
    expect(item).to_be_visible()
    item.get_by_label("Progress note: Order four benches with backs").fill("Three quotes asked for")
    item.get_by_role("button", name="Add note: Order four benches with backs").click()
    expect(item.locator(".notes")).to_contain_text("Three quotes asked for")

    href = page.get_by_role("link", name="Public page").get_attribute("href")
    resident = new_context(PHONE).new_page()  # a resident's phone: no sign-in
    resident.goto(href)
    needs = resident.locator(".public-need")
    expect(needs).to_have_count(2)
    benches = needs.filter(has_text="Benches in the courtyard")
    expect(benches).to_contain_text("In the action plan")
    expect(benches).to_contain_text("Order four benches with backs")
    expect(benches).to_contain_text("30 June 2030")  # written the page language's way
    expect(benches).to_contain_text("Three quotes asked for")
    expect(resident.locator("body")).not_to_contain_text("Sam Jones")
    width = resident.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the public page scrolls sideways on a phone"
