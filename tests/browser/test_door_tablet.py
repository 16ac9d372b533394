"""The shared tablet at the door in Chromium: a facilitator unlocks it from the console (and is
signed out on it); each resident taps "I'm new", votes and presses Done, which clears the tablet;
the next one starts from an empty ballot and cannot get the last one's back; the console counts
each as their own participant under the door tablet, beside phones; a locked tablet takes no one."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BOARD, PHONE, FacilitatorUI, PhoneUI, no_axe_violations
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def joined_from(f: FacilitatorUI, source: str):
    return f.page.locator(f"#console-live-{f.workshop_id} [data-source='{source}'] strong")


def test_residents_take_turns_on_the_door_tablet_and_each_counts_once(
    facilitator_ui, new_context, phones, tmp_path
):
    f = facilitator_ui
    code = f.create_workshop("Elm Court spring meeting")
    ids = f.add_options("Benches", "Lighting", "Trees")
    f.create_round("What first?", "dots", dots=3, cap=3)
    f.open_round("What first?")
    [phone] = phones(1)
    phone.join(code)

    # The facilitator signs in on the tablet and hands it over.
    tablet_context = new_context(viewport=BOARD)
    handed = FacilitatorUI(tablet_context)
    handed.sign_in()
    handed.page.goto(f.base)
    handed.page.get_by_role("button", name="Make this device the door tablet").click()
    page = handed.page
    expect(page).to_have_url(re.compile(r"/kiosk$"))
    start = page.get_by_role("button", name="I'm new: start")
    expect(start).to_be_visible()
    no_axe_violations(page, "the door tablet's start page")
    page.screenshot(path=tmp_path / "kiosk-1920.png")

    tablet = PhoneUI(tablet_context)
    tablet.page = page
    votes = ({"Benches": 3}, {"Trees": 2, "Lighting": 1})
    for i, dots in enumerate(votes):
        start.click()
        expect(page).to_have_url(re.compile(rf"/w/{code}$"))
        tablet.wait_ballot("dots")
        for oid in ids.values():  # a fresh ballot: nothing of the previous person's
            expect(tablet.count(oid)).to_have_value("0")
        if i == 0:
            no_axe_violations(page, "a ballot on the door tablet")
            page.set_viewport_size(PHONE)
            page.screenshot(path=tmp_path / "kiosk-ballot-390.png", full_page=True)
            page.set_viewport_size(BOARD)
            page.screenshot(path=tmp_path / "kiosk-ballot-1920.png")
        tablet.place_dots(dots)
        tablet.send()
        tablet.expect_saved()
        page.get_by_role("button", name="Done", exact=True).click()
        expect(page).to_have_url(re.compile(r"/kiosk$"))
        expect(page.get_by_text("The tablet is ready for the next person")).to_be_visible()

    page.go_back()  # the last person's ballot is not there to be seen
    expect(page).to_have_url(re.compile(r"/kiosk$"))
    page.goto(f"/w/{code}")
    expect(page).to_have_url(re.compile(r"/kiosk$"))

    expect(f.page.locator(f"#console-live-{f.workshop_id} [data-joined]")).to_have_text("3")
    expect(joined_from(f, "kiosk")).to_have_text("2")
    expect(joined_from(f, "phone")).to_have_text("1")
    expect(f.page.locator(f"#console-live-{f.workshop_id} [data-voted]")).to_have_text("2")
    f.page.screenshot(path=tmp_path / "console-1280.png")

    f.page.reload()
    expect(f.page.locator("[data-kiosk]")).to_contain_text("2 people so far")
    lock = f.page.get_by_role("button", name=re.compile(r"^Lock tablet"))
    lock.click()
    expect(f.page.locator("#flash")).to_contain_text("The tablet is locked")
    start.click()
    expect(page.get_by_text("This tablet has been locked by the facilitator")).to_be_visible()
    expect(joined_from(f, "kiosk")).to_have_text("2")
    page.goto("/f")  # the facilitator was signed out on the tablet when it was handed over
    expect(page).to_have_url(re.compile(r"/login"))

    # A tablet whose browser speaks Arabic: its start page is right to left and as accessible.
    arabic = new_context(viewport=BOARD, locale="ar").new_page()
    arabic.goto("/login")
    arabic.locator("#username").fill("facilitator")
    arabic.locator("#password").fill(PASSWORD)
    arabic.locator("form[action='/login'] button[type=submit]").click()
    expect(arabic).to_have_url(re.compile(r"/f$"))
    arabic.goto(f.base)
    arabic.locator(f"form[action='/f/workshops/{f.workshop_id}/kiosk'] button").click()
    expect(arabic).to_have_url(re.compile(r"/kiosk$"))
    expect(arabic.locator("html")).to_have_attribute("dir", "rtl")
    expect(arabic.locator(".kiosk-new")).to_be_visible()
    no_axe_violations(arabic, "the door tablet's start page in Arabic")
