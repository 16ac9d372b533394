"""A dot round in Chromium: console, three phones and the live board, from creation to the CSV."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

OPTIONS = ("Benches", "Lighting", "Trees", "Bike store")
# What each phone taps; the totals are worked out by hand below.
VOTES = (
    {"Benches": 3, "Lighting": 2},
    {"Trees": 3, "Bike store": 1, "Benches": 1},
    {"Lighting": 1, "Trees": 2},
)
TOTALS = {"Benches": 4, "Lighting": 3, "Trees": 5, "Bike store": 1}


def test_dot_round_from_console_to_phones_board_results_and_csv(facilitator_ui, phones, tools):
    f = facilitator_ui
    code = f.create_workshop("Phoenix Place")
    ids = f.add_options(*OPTIONS)
    round_id = f.create_round("Green spaces", "dots", dots=5, cap=3)
    board = f.open_board()
    expect(board.page.locator(".board-code")).to_have_text(code)

    people = phones(3)
    for i, phone in enumerate(people):
        phone.join(code, name=f"Resident {i + 1}")
        expect(phone.stage).to_have_attribute("data-status", "waiting")
    expect(board.page.locator("[data-joined]")).to_have_text("3")

    f.open_round("Green spaces")
    for phone in people:
        phone.wait_ballot("dots")  # arrives over the socket, no reload
        expect(phone.page.locator(".round-title")).to_have_text("Green spaces")

    first = people[0]
    first.tap("Benches", 3)
    expect(first.plus("Benches")).to_have_attribute("aria-disabled", "true")
    first.tap("Benches", force=True)  # a fourth tap meets the cap of 3
    expect(first.count(ids["Benches"])).to_have_value("3")
    expect(first.page.locator("[data-left]")).to_contain_text("At most 3 dots on one option")
    first.tap("Lighting", 2)
    expect(first.page.locator("[data-left]")).to_have_text("All your dots are placed")
    expect(first.status).to_have_attribute("data-state", "unsent")

    for phone, votes in zip(people[1:], VOTES[1:], strict=True):
        phone.place_dots(votes)
    expect(people[2].page.locator("[data-left]")).to_have_text("2 dots left")

    for phone in people:
        phone.send()
    for phone in people:
        phone.expect_saved()

    board.expect_scores({ids[t]: n for t, n in TOTALS.items()})
    expect(board.page.locator("[data-voted]")).to_have_text("3")
    expect(f.page.locator(f"#console-live-{f.workshop_id} [data-voted]")).to_have_text("3")

    f.close_round("Green spaces")
    expect(board.page.locator(".badge.closed")).to_have_text("Voting closed")
    for phone in people:
        phone.expect_closed()
        expect(phone.stage).to_contain_text("Your saved ballot counts.")
        rows = phone.page.locator("[data-stage] .result-row")
        expect(rows).to_have_count(len(OPTIONS))
        expect(rows.first).to_have_attribute("data-option", str(ids["Trees"]))
        assert phone.result_scores() == {ids[t]: str(n) for t, n in TOTALS.items()}

    results = f.results_page(round_id)
    expect(results.locator("[data-ballots]")).to_have_text("3")
    expected = {ids[t]: str(n) for t, n in TOTALS.items()}
    assert tools.table_scores(results, "Total dots per option") == expected
    assert f.csv_scores(round_id, "dots") == {ids[t]: n for t, n in TOTALS.items()}
    board.expect_scores({ids[t]: n for t, n in TOTALS.items()})


def test_an_arabic_phone_counts_its_dots_left_in_arabic_digits(facilitator_ui, new_context):
    f = facilitator_ui
    code = f.create_workshop("Phoenix Place")
    f.add_options(*OPTIONS)
    f.create_round("Green spaces", "dots", dots=5, cap=3)
    f.page.locator(".languages-box summary").click()
    f.page.locator("#lang-ar").check()
    f.page.get_by_role("button", name="Save languages").click()
    expect(f.page.locator("#lang-ar")).to_be_checked()
    f.open_round("Green spaces")
    arabic = new_context(PHONE, locale="ar").new_page()
    arabic.goto("/")
    arabic.locator("#code").fill(code.lower())
    arabic.locator("form[action='/join'] button[type=submit]").click()
    expect(arabic.locator("html")).to_have_attribute("dir", "rtl")
    arabic.locator('#ballot [data-step="1"]').first.click()
    left = arabic.locator("[data-left]")
    expect(left).to_contain_text("٤")  # four dots left, written as the server writes numbers
    assert not any(c.isascii() and c.isdigit() for c in left.inner_text())
