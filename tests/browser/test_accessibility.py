"""axe-core in Chromium on the pages residents and facilitators use: no serious or critical
violations on the join page, both kinds of phone ballot, the board and the console."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

BLOCKING = ("serious", "critical")


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    at {node['target']}: {node.get('failureSummary', '').strip()}")
    return "\n".join(lines)


def open_page(showroom, name: str) -> Page:
    """Open one of the pages under test and wait until it has settled."""
    f = showroom.facilitator
    if name == "home":
        page = showroom.context({"width": 390, "height": 844}).new_page()
        page.goto("/")
    elif name == "join":
        page = showroom.context({"width": 390, "height": 844}).new_page()
        page.goto(f"/w/{showroom.dots_code}")
        expect(page.get_by_role("button", name="Join the workshop")).to_be_visible()
    elif name in ("phone-dots", "phone-rank"):
        phone = showroom.dots_phone if name == "phone-dots" else showroom.rank_phone
        page = phone.context.new_page()
        page.goto(f"/w/{showroom.dots_code if name == 'phone-dots' else showroom.rank_code}")
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        expect(page.locator("#ballot")).to_be_visible()
    elif name == "board":
        page = f.context.new_page()
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.goto(f"/f/workshops/{showroom.dots_workshop}/board")
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        expect(page.locator(".result-row").first).to_be_visible()
    elif name == "console":
        page = f.context.new_page()
        page.goto(f"/f/workshops/{showroom.dots_workshop}")
        expect(page.locator(".round-row")).to_have_count(1)
    elif name == "home-ar":
        # Arabic, right to left: the browser asks for it, the home page follows.
        page = showroom.context({"width": 390, "height": 844}, "ar").new_page()
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
    elif name == "translations":
        page = f.context.new_page()
        page.goto(f"/f/workshops/{showroom.dots_workshop}/translations")
        expect(page.locator("#translations-h")).to_be_visible()
    elif name == "login":
        page = showroom.context({"width": 390, "height": 844}).new_page()
        page.goto("/login")
    elif name == "results":
        page = f.context.new_page()
        page.goto(f"/f/workshops/{showroom.dots_workshop}")
        page.get_by_role("link", name="Live results").click()
        expect(page.locator("table.results-table")).to_be_visible()
    else:
        raise AssertionError(name)
    page.wait_for_load_state("load")
    return page


@pytest.mark.parametrize(
    "name",
    [
        "home",
        "join",
        "phone-dots",
        "phone-rank",
        "board",
        "console",
        "login",
        "results",
        "home-ar",
        "translations",
    ],
)
def test_no_serious_or_critical_axe_violations(showroom, name):
    page = open_page(showroom, name)
    try:
        results = Axe().run(page)
    finally:
        page.close()
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    assert not blocking, f"axe found on {name}:\n{describe(blocking)}"
