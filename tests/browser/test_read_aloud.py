"""Listen buttons in Chromium: beside the round's question, each option and each information card,
they read the text aloud in the page's language with the phone's own speech; a phone without a
voice for that language is told so instead of hearing nothing.

The speech itself is the browser's: a test that must know what was said puts a stand-in
speechSynthesis in the page before its scripts run, with the voices it needs."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE, WAIT, no_axe_violations, wait_until
from tests.browser.kind_rooms import CARD, OPTIONS, KindRooms

pytestmark = pytest.mark.browser

NO_VOICE = "This phone has no voice for this language."
CANNOT = "This phone cannot read aloud."
# A stand-in for the browser's speech: it keeps what it was asked to say, and ends on request.
SPEECH = """
(() => {
  const voices = %s;
  const said = [];
  let current = null;
  class Utterance { constructor(text) { this.text = text; this.lang = ""; this.voice = null; } }
  const synth = {
    speaking: false,
    getVoices: () => voices,
    speak(u) {
      said.push({text: u.text, lang: u.lang, voice: u.voice && u.voice.lang});
      current = u;
      this.speaking = true;
    },
    cancel() { this.speaking = false; current = null; },
    addEventListener() {}, removeEventListener() {},
  };
  Object.defineProperty(window, "speechSynthesis", {value: synth, configurable: true});
  Object.defineProperty(window, "SpeechSynthesisUtterance", {value: Utterance, configurable: true});
  window.__said = said;
  window.__finish = () => { const u = current; synth.cancel(); if (u && u.onend) { u.onend(); } };
})();
"""


@pytest.fixture(scope="module")
def listening_room(shared_server) -> Iterator[KindRooms]:
    """On the module's server: a dot round and a rating round open, each with one card."""
    rooms = KindRooms(shared_server.url)
    rooms.open_round("dots")
    rooms.open_round("rating")
    yield rooms
    rooms.close()


def phone(browser: Browser, url: str, code: str, voices: list[dict] | None) -> Page:
    context = browser.new_context(base_url=url, viewport=PHONE, locale="en-GB")
    context.set_default_timeout(WAIT)
    if voices is not None:
        context.add_init_script(SPEECH % json.dumps(voices))
    page = context.new_page()
    page.goto(f"/w/{code}")
    page.get_by_role("button", name="Join the workshop").click()
    expect(page.locator("#ballot")).to_be_visible()
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    return page


def said(page: Page, count: int) -> list[dict]:
    wait_until(page, f"window.__said.length >= {count}")
    return page.evaluate("window.__said")


def test_the_question_an_option_and_a_card_are_read_in_the_page_language(
    browser, shared_server, listening_room
):
    voices = [{"lang": "fr-FR", "name": "Amélie"}, {"lang": "en-GB", "name": "Daniel"}]
    page = phone(browser, shared_server.url, listening_room.codes["dots"], voices)
    try:
        lang = page.evaluate("document.documentElement.lang")
        page.get_by_role("button", name="Listen: What should the estate do first?").click()
        question = page.locator(".round-head .say")
        first = said(page, 1)[0]
        assert first["text"].startswith("What should the estate do first?")
        assert "You have 5 dots." in first["text"]  # and how to vote
        assert first["lang"] == lang and first["voice"] == "en-GB"
        expect(question).to_have_text("Stop")  # while it reads, the button stops it
        page.evaluate("window.__finish()")
        expect(question).to_have_text("Listen")

        benches = OPTIONS[0]
        page.get_by_role("button", name=f"Listen: {benches['title']}").click()
        option = said(page, 2)[1]
        assert option["text"].startswith(benches["title"] + ".")
        assert benches["description"] in option["text"]
        assert benches["limit_text"] in option["text"]  # what the room decides within
        assert "Listen" not in option["text"] and option["lang"] == lang

        page.get_by_role("button", name=f"Listen: {CARD['card_title_1']}").click()
        card = said(page, 3)[2]
        assert card["text"] == f"{CARD['card_title_1']}. {CARD['card_text_1']}"
        # Pressing a reading button again stops it and says nothing more.
        page.get_by_role("button", name="Stop").click()
        expect(page.get_by_role("button", name="Stop")).to_have_count(0)
        assert page.evaluate("window.speechSynthesis.speaking") is False
        assert len(page.evaluate("window.__said")) == 3
    finally:
        page.context.close()


def test_each_statement_of_a_rating_round_can_be_heard(browser, shared_server, listening_room):
    page = phone(browser, shared_server.url, listening_room.codes["rating"], [{"lang": "en-US"}])
    try:
        buttons = page.locator("#ballot .say")
        expect(buttons).to_have_count(len(OPTIONS))
        # Each phone lists the statements in its own order: the button is found by its name.
        page.get_by_role("button", name=f"Listen: {OPTIONS[1]['title']}").click()
        heard = said(page, 1)[0]
        assert heard["text"] == f"{OPTIONS[1]['title']}. {OPTIONS[1]['description']}"
        assert heard["voice"] == "en-US"  # another English is better than silence
    finally:
        page.context.close()


def test_a_phone_without_a_voice_for_the_language_says_so(browser, shared_server, listening_room):
    page = phone(browser, shared_server.url, listening_room.codes["dots"], [{"lang": "fr-FR"}])
    try:
        button = page.get_by_role("button", name="Listen: What should the estate do first?")
        button.click()
        message = page.locator(".round-head .say")
        expect(message).to_have_text(NO_VOICE)
        expect(message).to_have_attribute("data-state", "novoice")
        expect(page.locator("[data-say-status]")).to_have_text(NO_VOICE)  # for screen readers
        assert page.evaluate("window.__said") == []
        no_axe_violations(page, "the dot ballot after a Listen without a voice")
    finally:
        page.context.close()


def test_a_reading_stays_stoppable_after_a_reconnect(browser, shared_server, listening_room):
    # Patchy signal: the phone drops off and comes back while reading, and the server sends the
    # round again. The new Listen button still says Stop, and stops the reading.
    page = phone(browser, shared_server.url, listening_room.codes["dots"], [{"lang": "en-GB"}])
    try:
        conn = page.locator("#conn")
        page.get_by_role("button", name="Listen: What should the estate do first?").click()
        stop = page.get_by_role("button", name="Stop")
        expect(stop).to_have_count(1)
        page.evaluate("document.querySelector('.round-head .say').dataset.before = 'yes'")
        page.context.set_offline(True)
        expect(conn).to_have_attribute("data-state", "offline")
        page.context.set_offline(False)
        expect(conn).to_have_attribute("data-state", "online")
        wait_until(page, "() => !document.querySelector('.round-head .say').dataset.before")
        expect(stop).to_have_count(1)
        stop.click()
        expect(page.get_by_role("button", name="Stop")).to_have_count(0)
        assert page.evaluate("window.speechSynthesis.speaking") is False
        assert len(page.evaluate("window.__said")) == 1
    finally:
        page.context.close()


def test_chromium_own_speech_reads_or_says_it_has_no_voice(browser, shared_server, listening_room):
    """Debian's Chromium may have no voices at all: either way the button is never silent."""
    page = phone(browser, shared_server.url, listening_room.codes["dots"], None)
    try:
        button = page.locator(".round-head .say")
        expect(button).to_be_visible()
        # Every state the button takes is kept: a reading can start and end between two looks.
        # The button may be replaced when the round is sent again: every one is watched.
        page.evaluate(
            """() => {
              window.sayStates = [];
              new MutationObserver((changes) => changes.forEach((c) => {
                if (c.target.matches('.round-head .say')) {
                  window.sayStates.push(c.target.dataset.state || '');
                }
              })).observe(document.body, {attributes: true, attributeFilter: ['data-state'],
                                          subtree: true});
            }"""
        )
        button.click()
        wait_until(page, "() => window.sayStates.some(s => s !== '')")
        states = page.evaluate("window.sayStates")
        first = next(s for s in states if s)
        assert first in ("novoice", "speaking", "failed"), states
        if first == "novoice":
            assert page.evaluate("speechSynthesis.getVoices().every(v => !v.lang.startsWith('en'))")
            expect(button).to_have_text(NO_VOICE)
        elif "failed" in states:
            expect(button).to_have_text(CANNOT)
        elif button.get_attribute("data-state") == "speaking":
            expect(button).to_have_text("Stop")
    finally:
        page.context.close()
