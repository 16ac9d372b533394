"""Every kind of phone ballot at 320 CSS px, at 200% page zoom and 200% text on a 390 px phone,
and with the phone's own "Larger text" switch: nothing scrolls sideways (WCAG 1.4.10), every
control can be reached and is not covered, and the send bar never hides more than a quarter of
the screen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import WAIT, no_axe_violations, wait_until
from tests.browser.kind_rooms import KINDS, KindRooms

pytestmark = pytest.mark.browser

# name: (viewport, the browser's default font size in px, or None for the usual 16)
CONDITIONS = {
    "320px": ({"width": 320, "height": 640}, None),
    # 200% page zoom on a 390 x 844 phone leaves a layout viewport half as wide and high.
    "zoom-200": ({"width": 195, "height": 422}, None),
    # 200% text: the browser's default font size doubled, as its text-size setting does.
    "text-200": ({"width": 390, "height": 844}, 32),
}
CONTROLS = (
    "#main button:visible, #main a:visible, #main summary:visible, #main select:visible,"
    " #main textarea:visible, #main input:visible:not([type=radio]), #main .scale-choice:visible"
)


@pytest.fixture(scope="module")
def every_kind(shared_server) -> Iterator[KindRooms]:
    """On the module's server: a workshop per kind of round, each with its round open."""
    rooms = KindRooms(shared_server.url)
    for kind in KINDS:
        rooms.open_round(kind)
    yield rooms
    rooms.close()


def phone_on(browser: Browser, base_url: str, viewport: dict, font_px: int | None) -> Page:
    context = browser.new_context(base_url=base_url, viewport=viewport, locale="en-GB")
    context.set_default_timeout(WAIT)
    page = context.new_page()
    if font_px:
        cdp = context.new_cdp_session(page)
        cdp.send("Page.enable")
        cdp.send("Page.setFontSizes", {"fontSizes": {"standard": font_px}})
    return page


def join(page: Page, code: str) -> None:
    page.goto(f"/w/{code}")
    page.get_by_role("button", name="Join the workshop").click()
    expect(page.locator("#ballot")).to_be_visible()
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")


def check_reflow(page: Page, where: str) -> None:
    width, inner = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width <= inner, f"{where}: the page is {width}px wide in a {inner}px window"
    covered, height = page.evaluate(
        """() => {
          const bar = document.querySelector('.send-bar');
          const fixed = getComputedStyle(bar).position === 'fixed';
          return [fixed ? bar.getBoundingClientRect().height : 0, innerHeight];
        }"""
    )
    assert covered <= height / 4, f"{where}: the send bar covers {covered} of {height}px"
    # Each control, scrolled to, is inside the window sideways and nothing lies on top of it.
    hidden = page.eval_on_selector_all(
        CONTROLS.replace(":visible", ""),
        """els => els.filter(el => el.offsetParent !== null).map(el => {
          el.scrollIntoView({block: 'center', inline: 'nearest'});
          const box = el.getBoundingClientRect();
          const x = box.left + box.width / 2, y = box.top + box.height / 2;
          const top = document.elementFromPoint(x, y);
          const inside = box.left >= 0 && box.right <= document.documentElement.clientWidth + 0.5;
          return inside && top && (el === top || el.contains(top) || top.contains(el))
            ? null : (el.getAttribute('aria-label') || el.textContent.trim().slice(0, 40));
        }).filter(Boolean)""",
    )
    assert not hidden, f"{where}: controls cut off or covered: {hidden}"


@pytest.mark.parametrize("condition", list(CONDITIONS))
@pytest.mark.parametrize("kind", KINDS)
def test_each_ballot_reflows_and_keeps_every_control_reachable(
    browser, shared_server, every_kind, kind, condition
):
    viewport, font_px = CONDITIONS[condition]
    page = phone_on(browser, shared_server.url, viewport, font_px)
    try:
        join(page, every_kind.codes[kind])
        check_reflow(page, f"{kind} at {condition}")
    finally:
        page.context.close()


def test_larger_text_switch_is_remembered_and_every_ballot_still_fits(
    browser, shared_server, every_kind
):
    page = phone_on(browser, shared_server.url, {"width": 390, "height": 844}, None)
    try:
        join(page, every_kind.codes["dots"])
        switch = page.get_by_role("button", name="Larger text")
        expect(switch).to_have_attribute("aria-pressed", "false")
        before = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
        switch.click()
        expect(switch).to_have_attribute("aria-pressed", "true")
        wait_until(
            page,
            f"parseFloat(getComputedStyle(document.documentElement).fontSize) > {before * 1.2}",
        )
        check_reflow(page, "dots with larger text")
        for kind in KINDS[1:]:  # remembered on this phone, from the first paint of every page
            join(page, every_kind.codes[kind])
            expect(page.get_by_role("button", name="Larger text")).to_have_attribute(
                "aria-pressed", "true"
            )
            size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
            assert size > before * 1.2, (kind, size, before)
            check_reflow(page, f"{kind} with larger text")
        page.get_by_role("button", name="Larger text").click()
        wait_until(
            page, f"parseFloat(getComputedStyle(document.documentElement).fontSize) == {before}"
        )
        page.reload()
        expect(page.get_by_role("button", name="Larger text")).to_have_attribute(
            "aria-pressed", "false"
        )
    finally:
        page.context.close()


@pytest.mark.parametrize("condition", ["zoom-200", "text-200"])
def test_a_zoomed_ballot_has_no_axe_findings(browser, shared_server, every_kind, condition):
    viewport, font_px = CONDITIONS[condition]
    page = phone_on(browser, shared_server.url, viewport, font_px)
    try:
        join(page, every_kind.codes["rank"])
        no_axe_violations(page, f"ranking ballot at {condition}")
    finally:
        page.context.close()
