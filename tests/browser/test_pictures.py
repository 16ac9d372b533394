"""Picture options in Chromium: the facilitator attaches a photo from the console, a bad file is
refused with its reason, and phones, the board and the results page show the picture beside the
option's title: the title is its text alternative on the ballot, and is not read twice where it is
written in the same cell."""

from __future__ import annotations

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import BOARD, PHONE, no_axe_violations, wait_until
from tests.browser.test_zoom import check_reflow

pytestmark = pytest.mark.browser


def photo(path, size=(2400, 1600)) -> str:
    image = Image.new("RGB", size, (30, 110, 70))
    for x in range(0, size[0], 200):  # stripes, so a wrong crop or turn would show
        image.paste((230, 200, 60), (x, 0, x + 60, size[1]))
    image.save(path, "JPEG")
    return str(path)


def attach(f, title: str, path: str) -> None:
    row = f.page.locator(".option-row", has=f.page.locator("strong", has_text=title))
    details = row.locator("details.edit-option")
    if details.get_attribute("open") is None:
        details.locator(":scope > summary").click()
    row.get_by_label("Picture").set_input_files(path)
    row.get_by_role("button", name="Save the picture").click()


def loaded(img) -> int:
    return img.evaluate("i => i.complete ? i.naturalWidth : 0")


def test_a_picture_goes_from_the_console_to_phones_the_board_and_the_results(
    facilitator_ui, phones, tmp_path
):
    f = facilitator_ui
    code = f.create_workshop("Corner of Elm Court")
    ids = f.add_options("Benches", "Lighting", "Trees")

    bad = tmp_path / "minutes.jpg"
    bad.write_text("Minutes of the last meeting")
    attach(f, "Benches", str(bad))
    expect(f.page.locator("#flash")).to_contain_text("That file is not a picture we can show")
    expect(f.page.locator(".options-admin img.option-picture")).to_have_count(0)

    attach(f, "Benches", photo(tmp_path / "corner.jpg"))
    expect(f.page.locator("#flash")).to_contain_text("Saved the picture of “Benches”")
    thumb = f.page.get_by_role("img", name="Benches")
    expect(thumb).to_be_visible()
    f.page.screenshot(path=tmp_path / "console-1280.png", full_page=True)

    round_id = f.create_round("Where first?", "dots", dots=3, cap=3)
    board = f.open_board()
    [phone] = phones(1)
    phone.join(code)
    f.open_round("Where first?")
    phone.wait_ballot("dots")
    picture = phone.page.locator("#ballot").get_by_role("img", name="Benches", exact=True)
    expect(picture).to_be_visible()
    wait_until(phone.page, "() => document.querySelector('#ballot img').naturalWidth > 0")
    assert loaded(picture) == 720  # made smaller on the server: 720 px on its longest side
    head = phone.page.get_by_role("heading", name="Benches", exact=True).bounding_box()
    box = picture.bounding_box()
    assert box and head and abs(box["y"] - head["y"]) < box["height"], "beside the title"
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(phone.page.locator(".ballot-option img")).to_have_count(1)  # only Benches has one
    no_axe_violations(phone.page, "the phone ballot with a picture")
    phone.page.screenshot(path=tmp_path / "phone-390.png", full_page=True)
    phone.page.set_viewport_size(BOARD)
    expect(picture).to_be_visible()
    phone.page.screenshot(path=tmp_path / "phone-1920.png")
    phone.page.set_viewport_size({"width": 320, "height": 640})  # a small phone, larger text
    phone.page.get_by_role("button", name="Larger text").click()
    wait_until(phone.page, "parseFloat(getComputedStyle(document.documentElement).fontSize) > 20")
    check_reflow(phone.page, "a ballot with a picture at 320 px with larger text")
    phone.page.screenshot(path=tmp_path / "phone-320-large.png", full_page=True)
    phone.page.get_by_role("button", name="Larger text").click()
    phone.page.set_viewport_size(PHONE)

    phone.tap("Benches", 2)
    phone.send()
    phone.expect_saved()
    f.close_round("Where first?")
    # In a result the title is written beside the picture, so the picture is not read again.
    on_board = board.page.locator(f".result-row[data-option='{ids['Benches']}'] img")
    expect(on_board).to_be_visible()
    expect(on_board).to_have_attribute("alt", "")
    wait_until(
        board.page,
        "() => [...document.querySelectorAll('.result-row img')].every(i => i.naturalWidth > 0)",
    )
    board.page.screenshot(path=tmp_path / "board-1920.png")
    board.page.set_viewport_size(PHONE)
    assert board.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    board.page.screenshot(path=tmp_path / "board-390.png", full_page=True)

    results = f.results_page(round_id)
    expect(results.locator(f"tr[data-option='{ids['Benches']}'] img")).to_be_visible()
    no_axe_violations(results, "the results page with a picture")
    results.screenshot(path=tmp_path / "results-1280.png", full_page=True)
    results.set_viewport_size(PHONE)
    results.screenshot(path=tmp_path / "results-390.png", full_page=True)
