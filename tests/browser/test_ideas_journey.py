"""From the room's ideas to the public page, in Chromium: phones send ideas, the facilitator merges
two duplicates and approves, the room dot-votes on them, the needs list follows, an action is
added, and residents see it on the "You said, we did" page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BOARD, PHONE, FacilitatorUI, PhoneUI

pytestmark = pytest.mark.browser


def send_idea(phone: PhoneUI, text: str, category: str = "") -> None:
    page = phone.page
    page.get_by_label("Your idea", exact=True).fill(text)
    if category:
        page.get_by_label("Category").select_option(label=category)
    phone.send()
    expect(phone.status).to_have_attribute("data-state", "saved")
    expect(phone.status).to_contain_text("Idea sent")
    # Saved: the form is empty for the next idea, and the idea is listed with its state.
    expect(page.get_by_label("Your idea", exact=True)).to_have_value("")
    expect(page.locator(".my-ideas")).to_contain_text(text)


def test_ideas_to_votes_to_needs_actions_and_the_public_page(new_context):
    f = FacilitatorUI(new_context(BOARD))
    f.sign_in()
    page = f.page
    page.get_by_role("link", name="Programmes").click()
    page.get_by_label("Title").fill("Phoenix Place plan")
    page.get_by_role("button", name="Create programme").click()
    expect(page).to_have_url(re.compile(r"/f/programmes/\d+$"))
    programme_url = page.url

    page.goto("/f")
    code = f.create_workshop("Courtyard ideas evening")
    page.get_by_label("Part of").select_option(label="Phoenix Place plan")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("now part of “Phoenix Place plan”")

    f.create_round(
        "What would make the courtyard better?", kind="ideas", categories="Seating\nSafety"
    )
    f.open_round("What would make the courtyard better?")
    board = f.open_board()
    expect(board.page.locator(".board-eyebrow")).to_contain_text("Send your ideas")

    phones = [PhoneUI(new_context(PHONE)).join(code, name) for name in ("Ann", "Bo", "Cy")]
    for phone in phones:
        phone.wait_ballot("ideas")
    send_idea(phones[0], "More benches in the courtyard", "Seating")
    send_idea(phones[1], "more benches please")
    send_idea(phones[2], "Brighter lamps on the path", "Safety")

    # The facilitator's desk fills live as ideas arrive; the board shows nothing unread.
    desk = page.locator(".idea-desk")
    expect(desk.locator("[data-list=pending] .idea-row")).to_have_count(3)
    expect(board.page.locator(".idea-card")).to_have_count(0)
    expect(board.page.locator(".wall-waiting")).to_contain_text("3 more ideas")

    desk.get_by_label("Tick to merge: More benches in the courtyard").check()
    desk.get_by_label("Tick to merge: more benches please").check()
    desk.get_by_role("button", name="Merge ticked ideas").click()
    expect(page.locator("#flash")).to_contain_text(
        "Merged 1 idea into “More benches in the courtyard”"
    )
    merged = desk.locator(".idea-row", has_text="More benches in the courtyard")
    expect(merged).to_have_attribute("data-supporters", "2")
    expect(merged).to_contain_text("Merged: “more benches please”")
    expect(desk.locator(".idea-tick:checked")).to_have_count(0)

    desk.get_by_role("button", name="Approve all waiting").click()
    expect(page.locator("#flash")).to_contain_text("2 ideas approved")
    cards = board.page.locator(".idea-card")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("More benches in the courtyard")
    expect(cards.first).to_contain_text("2 people")
    expect(phones[1].page.locator(".my-ideas")).to_contain_text("more benches please")

    f.close_round("What would make the courtyard better?")
    page.get_by_role("button", name="Turn approved ideas into options").click()
    expect(page.locator("#flash")).to_contain_text("2 ideas became options")
    vote_title = "Vote on the ideas from “What would make the courtyard better?”"
    f.open_round(vote_title)
    ids = f.option_ids()
    benches, lamps = ids["More benches in the courtyard"], ids["Brighter lamps on the path"]

    b, lamp = "More benches in the courtyard", "Brighter lamps on the path"
    for phone, dots in zip(phones, ({b: 3, lamp: 2}, {b: 2}, {lamp: 1}), strict=True):
        phone.wait_ballot("dots")
        phone.place_dots(dots)
        phone.send()
        phone.expect_saved()
    board.expect_scores({benches: 5, lamps: 3})
    f.close_round(vote_title)

    page.goto(programme_url + "/needs")
    page.get_by_role("button", name="Add the workshops' options as needs").click()
    expect(page.locator("#flash")).to_contain_text("2 options became needs")
    rows = page.locator(".need-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("More benches in the courtyard")

    page.get_by_role("link", name="Action plan", exact=True).click()
    form = page.locator("form", has=page.get_by_role("button", name="Add action"))
    form.get_by_label("What").fill("Order four benches with backs")
    form.get_by_label("For the need").select_option(label="More benches in the courtyard")
    form.get_by_label("Who").select_option(label="Residents")
    form.get_by_label("Named owner").fill("Courtyard group")
    form.get_by_role("button", name="Add action").click()
    expect(page.locator(".action-item", has_text="Order four benches with backs")).to_be_visible()

    href = page.get_by_role("link", name="Public page").get_attribute("href")
    resident = phones[2].page
    resident.goto(href)
    needs = resident.locator(".public-need")
    expect(needs).to_have_count(2)
    expect(needs.first).to_contain_text("More benches in the courtyard")
    expect(needs.first).to_contain_text("In the action plan")
    expect(needs.first).to_contain_text("Order four benches with backs")
