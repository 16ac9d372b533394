"""A hidden top-3 ranking round in Chromium: arrow buttons, a mouse drag, the cut-off line, the
reveal, and Borda points that agree on the board, the phones, the results page and the CSV."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import no_axe_violations

pytestmark = pytest.mark.browser

A, B, C, D = "Food beds", "Path lighting", "Play area", "Meadow"
# Top 3 of 4 counts, so a ballot gives 3, 2 and 1 points to its first three (modified Borda):
#   phone 1 (arrows)  Meadow, Food beds, Path lighting   -> D 3, A 2, B 1
#   phone 2 (drag)    Play area, Food beds, Path lighting -> C 3, A 2, B 1
#   phone 3 (arrows)  Path lighting, Food beds, Play area -> B 3, A 2, C 1
BORDA = {A: 6, B: 5, C: 4, D: 3}


def cutoff_position(phone) -> int:
    """How many ranked options stand above the 'does not count' line."""
    return phone.page.eval_on_selector(
        "[data-ranking]",
        "list => Array.from(list.children).indexOf(list.querySelector('[data-cutoff]'))",
    )


def test_hidden_ranking_round_with_buttons_drag_cutoff_and_reveal(facilitator_ui, phones, tools):
    f = facilitator_ui
    code = f.create_workshop("Phoenix Place")
    ids = f.add_options(A, B, C, D)
    round_id = f.create_round("Top three", "rank", top_k=3, hidden=True)
    board = f.open_board()
    people = phones(3)
    for phone in people:
        phone.join(code)

    f.open_round("Top three")
    orders = []
    for phone in people:
        phone.wait_ballot("rank")
        assert sorted(phone.ranking()) == sorted(ids.values())
        orders.append(tuple(phone.ranking()))
        expect(phone.page.locator("[data-cutoff]")).to_have_text("Below this line does not count")
        assert cutoff_position(phone) == 3
    # Each phone is given an order of its own, so none of the options gains from being on top.
    assert len(set(orders)) > 1
    expect(board.page.locator(".hidden-note")).to_contain_text("hidden until")
    expect(board.page.locator(".result-row")).to_have_count(0)

    arrows, dragger, third = people
    # An order nobody chose is never sent: untouched, the phone asks for an order or a tick.
    third.send()
    expect(third.status).to_have_attribute("data-state", "error")
    expect(third.status).to_contain_text("tick “This is my order”")
    expect(third.page.get_by_label("This is my order")).not_to_be_checked()

    arrows.arrange([A, B, C, D])
    arrows.move(D, "up", 3)
    arrows.expect_ranking([ids[D], ids[A], ids[B], ids[C]])
    expect(arrows.page.locator("[data-announce]")).to_have_text("Meadow is now number 1 of 4.")
    expect(arrows.page.get_by_role("button", name=f"Move {D} up")).to_have_attribute(
        "aria-disabled", "true"
    )
    # Moving an option makes the order the person's own.
    expect(arrows.page.get_by_label("This is my order")).to_be_checked()

    dragger.arrange([A, B, C, D])
    dragger.drag(C, A)
    dragger.expect_ranking([ids[C], ids[A], ids[B], ids[D]])
    expect(dragger.status).to_have_attribute("data-state", "unsent")

    third.arrange([B, A, C, D])
    third.expect_ranking([ids[B], ids[A], ids[C], ids[D]])

    for phone in people:
        # The line follows the third place, and whatever is below it is marked as not counting.
        assert cutoff_position(phone) == 3
        expect(phone.page.locator(".rank-item").nth(3)).to_have_class("rank-item beyond")
        expect(phone.page.locator(".rank-item").nth(2)).to_have_class("rank-item")
        phone.send()
    for phone in people:
        phone.expect_saved()

    expect(board.page.locator("[data-voted]")).to_have_text("3")
    expect(board.page.locator(".result-row")).to_have_count(0)

    f.close_round("Top three")
    for phone in people:
        phone.expect_closed()
        expect(phone.stage).to_contain_text("The facilitator will share the results soon.")
    expect(arrows.page.locator(".my-ballot li")).to_have_text([f"1. {D}", f"2. {A}", f"3. {B}"])
    expect(board.page.locator(".hidden-note")).to_contain_text("revealed shortly")

    f.reveal("Top three")
    expected = {ids[t]: points for t, points in BORDA.items()}
    board.expect_scores(expected)
    rows = board.page.locator(".result-row")
    expect(rows).to_have_count(4)
    for place, title in enumerate((A, B, C, D), start=1):
        expect(rows.nth(place - 1)).to_have_attribute("data-option", str(ids[title]))
        expect(rows.nth(place - 1)).to_have_attribute("data-place", str(place))
    for phone in people:
        expect(phone.page.locator("[data-stage] .result-row")).to_have_count(4)
        assert phone.result_scores() == {k: str(v) for k, v in expected.items()}

    results = f.results_page(round_id)
    assert tools.table_scores(results, "Order by Borda count") == {
        k: str(v) for k, v in expected.items()
    }
    expect(results.locator("[data-ballots]")).to_have_text("3")
    assert f.csv_scores(round_id, "borda") == expected

    # The phone's results, in English and, once the workshop offers it, in Arabic.
    no_axe_violations(people[1].page, "the phone's results")
    f.page.goto(f.base)
    f.page.locator(".languages-box summary").click()
    f.page.locator("#lang-ar").check()
    f.page.get_by_role("button", name="Save languages").click()
    expect(f.page.locator("#lang-ar")).to_be_checked()
    arabic = people[0].page
    arabic.reload()
    arabic.locator('.lang-switch button[value="ar"]').click()
    expect(arabic.locator("html")).to_have_attribute("dir", "rtl")
    expect(arabic.locator("[data-stage] .result-row")).to_have_count(4)
    shown = arabic.locator("[data-stage]").inner_text()
    assert not any(c.isascii() and c.isdigit() for c in shown), shown
    no_axe_violations(arabic, "the phone's results in Arabic")
