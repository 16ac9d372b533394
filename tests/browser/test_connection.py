"""The phone tells the truth about its connection, in Chromium: the badge says "Offline" within
seconds of the network going, whether the browser knows it (the context set offline) or not (the
server stops answering), from the same signal as the ballot's "not saved yet" line; and a round
that opens is brought into view at its title."""

from __future__ import annotations

import signal

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SOON = 5_000  # ms: "within a few seconds" when the browser knows the network went
# ms when it does not: a silent socket is asked after 6 s and given 3 s to answer.
QUIET = 12_000


@pytest.fixture
def dot_phone(facilitator_ui, phones):
    """A phone on an open dot round (Benches, Lighting, Trees) and the facilitator running it."""
    f = facilitator_ui
    code = f.create_workshop("Phoenix Place")
    f.add_options("Benches", "Lighting", "Trees")
    f.create_round("Green spaces", "dots", dots=5, cap=3)
    f.open_round("Green spaces")
    (phone,) = phones(1)
    phone.join(code)
    phone.wait_ballot("dots")
    return f, phone


def test_offline_within_seconds_and_the_ballot_says_not_saved_until_it_is(dot_phone):
    _f, phone = dot_phone
    phone.context.set_offline(True)
    expect(phone.conn).to_have_attribute("data-state", "offline", timeout=SOON)
    expect(phone.conn).to_contain_text("Offline")
    phone.tap("Benches", 2)
    phone.send()
    expect(phone.status).to_have_attribute("data-state", "retrying", timeout=SOON)
    expect(phone.status).to_contain_text("Not saved yet")
    phone.context.set_offline(False)
    phone.wait_online()
    phone.expect_saved()
    phone.page.reload()  # the server has it
    phone.wait_ballot("dots")
    expect(phone.page.locator(".dot-count").first).to_have_value("2")


def test_a_connection_that_goes_quiet_is_found_out(server, dot_phone):
    """The server stops answering but no socket closes: only asking finds out."""
    _f, phone = dot_phone
    server.proc.send_signal(signal.SIGSTOP)
    try:
        phone.tap("Lighting")
        phone.send()
        expect(phone.conn).to_have_attribute("data-state", "offline", timeout=QUIET)
        # The same signal: the ballot that went out is not shown as being saved any more.
        expect(phone.status).to_have_attribute("data-state", "retrying", timeout=SOON)
    finally:
        server.proc.send_signal(signal.SIGCONT)
    phone.wait_online()
    phone.expect_saved()


def test_a_new_round_is_brought_into_view_at_its_title(dot_phone):
    f, phone = dot_phone
    page = phone.page
    page.set_viewport_size({"width": 390, "height": 500})
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_function("window.scrollY > 200")
    f.close_round("Green spaces")
    phone.expect_closed()
    f.create_round("Which first?", "rank")
    f.open_round("Which first?")
    phone.wait_ballot("rank")
    title = page.locator(".round-title")
    expect(title).to_have_text("Which first?")
    expect(title).to_be_focused()
    expect(title).to_be_in_viewport(ratio=1)
    top = title.bounding_box()["y"]
    bar = page.locator(".phone-bar").bounding_box()["height"]
    assert bar - 1 <= top <= bar + 100, (top, bar)  # at the top, just under the header
