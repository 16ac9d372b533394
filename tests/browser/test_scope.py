"""What is up for grabs, in Chromium: the facilitator sets who decides each option and adds an
information card; a phone at 390x844 reads the card, sees the limit badge, and votes on the rest."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import BOARD, PhoneUI

pytestmark = pytest.mark.browser

LIMIT = "up to £5,000 from the estate budget"
REASON = "The council must repair the lifts by law."


def add_scoped_option(page, title: str, scope: str, kind: str = "", text: str = "") -> None:
    form = page.locator("form.add-option")
    rows = page.locator(".options-admin .option-row")
    before = rows.count()
    form.get_by_label("New option").fill(title)
    form.get_by_role("radio", name=scope).check()
    if kind:
        form.get_by_label("Kind of limit").select_option(label=kind)
    if text:
        form.get_by_label("The limit, or why it is not negotiable").fill(text)
    form.get_by_role("button", name="Add option").click()
    expect(rows).to_have_count(before + 1)


def test_a_phone_reads_the_cards_sees_the_limit_and_votes_on_the_open_options(
    facilitator_ui, new_context, tmp_path
):
    f = facilitator_ui
    code = f.create_workshop("Phoenix Place estate")
    page = f.page
    f.add_options("New benches in the courtyard", "Better lighting on the paths")
    add_scoped_option(page, "Play area refurbishment", "Within limits", "Budget", LIMIT)
    add_scoped_option(page, "Lift repairs", "Not negotiable", text=REASON)
    expect(page.locator('[data-scope="within_limits"]')).to_contain_text(LIMIT)
    ids = f.option_ids()

    details = page.locator("details.new-round")
    if details.get_attribute("open") is None:
        details.locator(":scope > summary").click()
    form = details.locator("form")
    form.get_by_label("Round title").fill("Which ideas matter most?")
    form.locator("details.round-cards summary").click()
    form.get_by_label("Card 1 title").fill("How the service charge is made up")
    form.get_by_label("Card 1 text").fill(
        "Cleaning 40%, repairs 35%, insurance 25%. Changes here would not raise it."
    )
    form.get_by_label("Also show the cards on the board while voting is open").check()
    form.get_by_role("button", name="Create round").click()
    expect(page.locator(".rounds .round-row")).to_have_count(1)
    f.open_round("Which ideas matter most?")

    phone = PhoneUI(new_context({"width": 390, "height": 844})).join(code, "Ama")
    phone.wait_ballot("dots")
    p = phone.page
    cards = p.locator("[data-info-cards]")
    expect(cards).to_be_visible()
    expect(cards).to_contain_text("How the service charge is made up")
    expect(cards).to_contain_text("Not up for decision:")
    expect(cards).to_contain_text(REASON)
    assert cards.bounding_box()["y"] < p.locator("#ballot").bounding_box()["y"]
    expect(p.locator(f"input[name='dots-{ids['Lift repairs']}']")).to_have_count(0)
    limited = p.locator(f".ballot-option[data-option='{ids['Play area refurbishment']}']")
    expect(limited.locator(".scope-badge")).to_have_text("Within limits")
    expect(limited).to_contain_text(LIMIT)

    phone.place_dots({"New benches in the courtyard": 2, "Play area refurbishment": 1})
    p.evaluate("window.scrollTo(0, 0)")
    p.screenshot(path=str(tmp_path / "scope-phone-390.png"))
    phone.send()
    phone.expect_saved()

    # The reader can fold the cards away once read.
    cards.locator("summary").click()
    expect(cards.locator(".info-list")).to_be_hidden()

    results = Axe().run(p)
    blocking = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not blocking, [(v["id"], v["help"]) for v in blocking]

    board = f.open_board()
    info = board.page.locator("[data-board-info]")
    expect(info).to_contain_text("How the service charge is made up")
    expect(info).to_contain_text(REASON)
    board.expect_scores({ids["New benches in the courtyard"]: 2})
    expect(board.row(ids["Play area refurbishment"])).to_contain_text(LIMIT)
    board.page.set_viewport_size(BOARD)
    board.page.screenshot(path=str(tmp_path / "scope-board-1920.png"))
