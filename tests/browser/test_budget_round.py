"""A budget round in Chromium: costs on options, a phone's live "remaining" bar that will not let
the picks go over the budget, and the board's funded set along the budget line."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BOARD, PHONE, FacilitatorUI, PhoneUI

pytestmark = pytest.mark.browser

COSTS = {"Benches": "£3,000", "Play area": "6000", "Lighting": "4,500"}


def pick(phone: PhoneUI, title: str):
    return phone.page.locator(".pick", has_text=title).locator(".pick-box")


def test_picks_stay_within_the_budget_and_the_board_shows_what_is_funded(new_context):
    f = FacilitatorUI(new_context(BOARD))
    f.sign_in()
    code = f.create_workshop("Spending the allowance")
    page = f.page
    rows = page.locator(".options-admin .option-row")
    for title, cost in COSTS.items():
        before = rows.count()
        page.get_by_label("New option").fill(title)
        page.get_by_label("Estimated cost").last.fill(cost)
        page.get_by_role("button", name="Add option").click()
        expect(rows).to_have_count(before + 1)
    expect(rows.filter(has_text="Benches")).to_contain_text("Estimated cost: £3,000")
    f.create_round("Spend £10,000", kind="budget", budget=10000)
    f.open_round("Spend £10,000")
    board = f.open_board()

    ann, bo = (PhoneUI(new_context(PHONE)).join(code, name) for name in ("Ann", "Bo"))
    ann.wait_ballot("budget")
    left = ann.page.locator("[data-left]")
    expect(left).to_have_text("£10,000 left of £10,000")
    pick(ann, "Play area").check()
    expect(left).to_have_text("£4,000 left of £10,000")
    expect(ann.page.locator("[data-meter-bar]")).to_have_attribute("aria-valuenow", "6000")
    # Lighting costs more than is left: the tick is refused on the phone, with the reason.
    pick(ann, "Lighting").click()
    expect(pick(ann, "Lighting")).not_to_be_checked()
    expect(left).to_contain_text("Lighting costs £4,500, but only £4,000 is left")
    pick(ann, "Benches").check()
    expect(left).to_have_text("£1,000 left of £10,000")
    ann.send()
    ann.expect_saved()

    bo.wait_ballot("budget")
    pick(bo, "Lighting").check()
    pick(bo, "Benches").check()
    bo.send()
    bo.expect_saved()

    # Equal shares: each voter backs £5,000. Both pay half of Benches; neither can then pay for
    # their other pick alone, so the £7,000 left goes greedily: Play area (£6,000) fits, Lighting
    # (£4,500) no longer does.
    line = board.page.locator("[data-budget-line]")
    expect(line).to_have_attribute("data-spent", "9000")
    expect(line).to_contain_text("Funded: £9,000 of £10,000")
    funded = board.page.locator(".result-row[data-funded=yes]")
    expect(funded).to_have_count(2)
    expect(funded.nth(0)).to_contain_text("Benches")
    expect(funded.nth(1)).to_contain_text("Play area")
    expect(board.page.locator(".result-row[data-funded=no]")).to_contain_text("Lighting")

    # An Arabic phone: the live figure is written in Arabic-Indic digits, as the server wrote it.
    f.page.goto(f.base)
    f.page.locator(".languages-box summary").click()
    f.page.locator("#lang-ar").check()
    f.page.get_by_role("button", name="Save languages").click()
    expect(f.page.locator("#lang-ar")).to_be_checked()
    arabic = new_context(PHONE, locale="ar").new_page()
    arabic.goto("/")
    arabic.locator("#code").fill(code.lower())
    arabic.locator("form[action='/join'] button[type=submit]").click()
    expect(arabic.locator("html")).to_have_attribute("dir", "rtl")
    box = arabic.locator(".pick", has_text="Play area").locator(".pick-box")
    left = arabic.locator("[data-left]")
    expect(left).to_contain_text("١٠٬٠٠٠")
    served = left.inner_text()
    box.check()
    expect(left).to_contain_text("٤٬٠٠٠")
    assert not any(c.isascii() and c.isdigit() for c in left.inner_text())
    box.uncheck()
    expect(left).to_have_text(served)
