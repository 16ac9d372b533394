"""axe-core in Chromium on the pages residents and facilitators use: no violation of any impact
on the join page, both kinds of phone ballot, the board, the console and the results, in English
and in Arabic (right to left, Arabic-Indic figures)."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    at {node['target']}: {node.get('failureSummary', '').strip()}")
    return "\n".join(lines)


def offer_arabic(showroom) -> None:
    """The dot workshop offers Arabic beside English (once; saving it again changes nothing)."""
    f = showroom.facilitator
    f.page.goto(f"/f/workshops/{showroom.dots_workshop}")
    f.page.locator(".languages-box summary").click()
    box = f.page.locator("#lang-ar")
    if not box.is_checked():
        box.check()
        f.page.get_by_role("button", name="Save languages").click()
        expect(f.page.locator("#lang-ar")).to_be_checked()


def speak(showroom, code: str) -> None:
    """The facilitator's own pages in a language (kept with the account)."""
    page = showroom.facilitator.page
    page.goto("/f")
    page.locator(".lang-menu summary").click()
    page.locator(f'.lang-menu button[value="{code}"]').click()
    expect(page.locator("html")).to_have_attribute("lang", code)


def open_page(showroom, name: str) -> Page:
    """Open one of the pages under test and wait until it has settled."""
    f = showroom.facilitator
    if name.endswith("-ar") and name != "home-ar":
        offer_arabic(showroom)
        speak(showroom, "ar")
        try:
            return open_page(showroom, name.removesuffix("-ar") + "@ar")
        finally:
            speak(showroom, "en")
    if name == "board@ar":
        # The board speaks the workshop's board language, Arabic here, with English beside it.
        f.page.goto(f"/f/workshops/{showroom.dots_workshop}")
        if f.page.locator(".languages-box").get_attribute("open") is None:
            f.page.locator(".languages-box summary").click()
        f.page.locator("#board-first").select_option("ar")
        f.page.locator("#board-second").select_option("en")
        f.page.locator(".languages-box form button[type=submit]").click()
        expect(f.page.locator("#board-first")).to_have_value("ar")
        page = f.context.new_page()
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.goto(f"/f/workshops/{showroom.dots_workshop}/board")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        expect(page.locator(".result-row").first).to_be_visible()
        page.wait_for_load_state("load")
        return page
    if name == "join@ar":
        page = showroom.context({"width": 390, "height": 844}, "ar").new_page()
        page.goto(f"/w/{showroom.dots_code}")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("form[action$='/join'] button[type=submit]")).to_be_visible()
        page.wait_for_load_state("load")
        return page
    if name == "phone-dots@ar":
        page = showroom.context({"width": 390, "height": 844}, "ar").new_page()
        page.goto("/")
        page.locator("#code").fill(showroom.dots_code.lower())
        page.locator("form[action='/join'] button[type=submit]").click()
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        expect(page.locator("#ballot")).to_be_visible()
        page.wait_for_load_state("load")
        return page
    name = name.removesuffix("@ar")
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
        # The first link of the open round's row is its live results, in any language.
        page.locator(".round-row a.button").first.click()
        expect(page.locator("table.results-table")).to_be_visible()
    elif name in ("accounts", "organisations"):
        page = f.context.new_page()
        page.goto(f"/f/{name}")
        expect(page.locator("main h1")).to_be_visible()
    elif name == "people":
        page = f.context.new_page()
        page.goto(f"/f/workshops/{showroom.dots_workshop}/people")
        expect(page.get_by_role("search")).to_be_visible()
    elif name == "person":
        # The dot workshop's phone joined first, without a name: participant 1.
        page = f.context.new_page()
        page.goto(f"/f/workshops/{showroom.dots_workshop}/people/1")
        expect(page.locator("main h2").first).to_be_visible()
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
        "join-ar",
        "phone-dots-ar",
        "board-ar",
        "console-ar",
        "results-ar",
        "translations-ar",
        "accounts",
        "accounts-ar",
        "organisations",
        "organisations-ar",
        "people",
        "people-ar",
        "person",
        "person-ar",
    ],
)
def test_no_axe_violations_of_any_impact(showroom, name):
    page = open_page(showroom, name)
    try:
        results = Axe().run(page)
    finally:
        page.close()
    found = results.response["violations"]
    assert not found, f"axe found on {name}:\n{describe(found)}"
