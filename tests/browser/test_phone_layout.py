"""The ballot on a small phone (320 px wide): nothing scrolls sideways and every button is big
enough for a finger."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SMALL = {"width": 320, "height": 640}
MIN_TAP = 44  # px, the smallest comfortable touch target


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"the page is {width}px wide in a {inner}px window"


def small_ballot(phone, code: str) -> Page:
    page = phone.context.new_page()
    page.set_viewport_size(SMALL)
    page.goto(f"/w/{code}")
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    expect(page.locator("#ballot")).to_be_visible()
    return page


def heights(page: Page, selector: str) -> list[float]:
    boxes = [b.bounding_box() for b in page.locator(selector).all()]
    assert boxes and all(boxes), f"no visible {selector}"
    return [b["height"] for b in boxes]


def test_dot_ballot_fits_320px_with_large_steppers(showroom):
    page = small_ballot(showroom.dots_phone, showroom.dots_code)
    no_sideways_scroll(page)
    sizes = heights(page, "#ballot button[data-step]")
    assert len(sizes) == 6  # a − and a + for each of three options
    assert min(sizes) >= MIN_TAP, sizes
    widths = [b.bounding_box()["width"] for b in page.locator("#ballot button[data-step]").all()]
    assert min(widths) >= MIN_TAP, widths
    expect(page.locator("#ballot button[type=submit]")).to_be_in_viewport()


def test_ranking_ballot_fits_320px_with_large_move_buttons(showroom):
    page = small_ballot(showroom.rank_phone, showroom.rank_code)
    no_sideways_scroll(page)
    assert min(heights(page, "#ballot button[data-move]")) >= MIN_TAP
    expect(page.locator("#ballot button[type=submit]")).to_be_in_viewport()


def test_connection_lost_message_wraps_at_320px(showroom):
    page = small_ballot(showroom.dots_phone, showroom.dots_code)
    page.evaluate("window.facilitationConn('offline')")
    expect(page.locator("#conn")).to_contain_text("Offline")
    no_sideways_scroll(page)
