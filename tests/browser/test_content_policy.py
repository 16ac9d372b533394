"""The Content-Security-Policy in Chromium: the whole workshop works under it (htmx forms, the
live sockets, the board, the report and the poster) without one refusal, and markup slipped into
a page cannot run a script."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BOARD

pytestmark = pytest.mark.browser

# Every refusal the page meets, noted by Chromium's own event (the init script runs outside the
# page's policy, as an extension's would).
WATCH = """
window.__refused = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__refused.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def refusals(page: Page) -> list[str]:
    return page.evaluate("window.__refused || []")


def test_a_whole_round_runs_under_the_policy_without_a_refusal(facilitator_ui, phones):
    f = facilitator_ui
    f.context.add_init_script(WATCH)
    console_messages: list[str] = []
    f.page.on("console", lambda m: console_messages.append(m.text))
    f.page.goto("/f")
    code = f.create_workshop("Phoenix Place")
    ids = f.add_options("Benches", "Lighting", "Trees")  # htmx posts
    f.create_round("Green spaces", "dots", dots=5, cap=3)
    board = f.open_board()  # the board's socket
    phone = phones(1)[0]
    phone.context.add_init_script(WATCH)
    phone.join(code, name="Ann")  # the phone's socket
    f.open_round("Green spaces")
    phone.wait_ballot("dots")
    phone.tap("Benches", 2)
    phone.send()
    phone.expect_saved()
    board.expect_scores({ids["Benches"]: 2})
    expect(f.page.locator(f"#console-live-{f.workshop_id} [data-voted]")).to_have_text("1")
    pages = {"console": f.page, "board": board.page, "phone": phone.page}
    assert {name: refusals(page) for name, page in pages.items()} == {name: [] for name in pages}
    assert not [m for m in console_messages if "Content Security Policy" in m]


def test_the_report_and_the_poster_keep_their_styles(facilitator_ui):
    f = facilitator_ui
    f.context.add_init_script(WATCH)
    page = f.page
    page.goto("/f/programmes")
    page.get_by_label("Title").fill("Estate plan")
    page.get_by_role("button", name="Create programme").click()
    expect(page).to_have_url(re.compile(r"/f/programmes/\d+$"))
    base = page.url
    report = f.context.new_page()
    report.goto(base + "/report")
    # report.css sets the title page in the report's own blue.
    expect(report.locator("h2").first).to_have_css("color", "rgb(29, 91, 121)")
    poster = f.context.new_page()
    poster.set_viewport_size(BOARD)
    poster.goto(page.locator("a[href^='/p/']").first.get_attribute("href") + "/poster")
    expect(poster.locator(".poster h1")).to_be_visible()
    assert refusals(report) == [] and refusals(poster) == []


def test_markup_slipped_into_a_page_cannot_run_a_script(facilitator_ui):
    page = facilitator_ui.page
    page.context.add_init_script(WATCH)
    page.goto("/f")
    page.evaluate(
        """document.body.insertAdjacentHTML("beforeend",
            '<img src="/static/icon.svg" onload="window.__ran = 1">');
           const s = document.createElement("script");
           s.textContent = "window.__ran = 2";
           document.body.appendChild(s);"""
    )
    page.wait_for_function("window.__refused.length >= 2")
    assert page.evaluate("window.__ran") is None
    assert all(r.startswith("script-src") for r in refusals(page)), refusals(page)
