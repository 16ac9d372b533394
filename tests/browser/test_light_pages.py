"""A phone's first visit stays light, in Chromium with an empty cache: the join page, the ballot,
their scripts and styles come to less than 60 KB over the network, and residents' pages fetch
no htmx (bench/slow_join.py times the same visit on an emulated weak signal)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, WAIT
from tests.browser.kind_rooms import KindRooms

pytestmark = pytest.mark.browser

LIMIT = 60_000  # bytes
COUNTED = ("Document", "Script", "Stylesheet")


def test_a_first_visit_is_under_60_kb_and_fetches_no_htmx(browser, shared_server):
    rooms = KindRooms(shared_server.url)
    code = rooms.open_round("dots")
    rooms.close()
    context = browser.new_context(base_url=shared_server.url, viewport=PHONE, locale="en-GB")
    context.set_default_timeout(WAIT)
    try:
        page = context.new_page()
        kinds: dict[str, tuple[str, str]] = {}
        sizes: dict[str, int] = {}
        cdp = context.new_cdp_session(page)
        cdp.on(
            "Network.responseReceived",
            lambda e: kinds.__setitem__(e["requestId"], (e["type"], e["response"]["url"])),
        )
        cdp.on(
            "Network.loadingFinished",
            lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
        )
        cdp.send("Network.enable")
        page.goto(f"/w/{code}")
        page.get_by_role("button", name="Join the workshop").click()
        expect(page.locator("#ballot")).to_be_visible()
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        page.wait_for_load_state("networkidle")
        fetched = {rid: kinds[rid] for rid in sizes if rid in kinds}
        paths = [urlsplit(url).path for _kind, url in fetched.values()]
        assert f"/w/{code}/join" in paths and "/static/phone.js" in paths, paths
        assert not [p for p in paths if "htmx" in p], paths
        total = sum(sizes[rid] for rid, (kind, _url) in fetched.items() if kind in COUNTED)
        assert total < LIMIT, f"{total} bytes: {paths}"
    finally:
        context.close()
