"""Printable paper ballots in Chromium: from the console's round to a stack of A4 sheets, one per
page, each with the options' pictures loaded, in English and in Arabic."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import no_serious_axe_violations
from tests.browser.test_pictures import attach, loaded, photo

pytestmark = pytest.mark.browser

A4_POINTS = (595.3, 841.9)  # width and height of an A4 page in PDF points


def a4_pages(sizes: list[tuple[float, float]]) -> int:
    """How many pages are A4 portrait (within a point: browsers round to whole pixels)."""
    return sum(1 for w, h in sizes if abs(w - A4_POINTS[0]) < 1.5 and abs(h - A4_POINTS[1]) < 1.5)


def pdf_pages(pdf: bytes, tmp_path) -> list[tuple[float, float]]:
    """Each page's size in whole points, as pdfinfo reads the file."""
    path = tmp_path / "sheets.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "100", str(path)], check=True, capture_output=True, text=True
    )
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", done.stdout)
    return [(float(w), float(h)) for w, h in sizes]


def test_a_budget_rounds_sheets_print_one_a4_page_each_with_their_pictures(
    facilitator_ui, tmp_path
):
    assert shutil.which("pdfinfo"), "pdfinfo (Debian's poppler-utils) is needed for this test"
    f = facilitator_ui
    f.create_workshop("Corner of Elm Court")
    page = f.page
    rows = page.locator(".options-admin .option-row")
    for title, cost in {"Benches": "3000", "Lighting": "4500", "Trees": "5000"}.items():
        before = rows.count()
        page.get_by_label("New option").fill(title)
        page.get_by_label("Estimated cost").last.fill(cost)
        page.get_by_role("button", name="Add option").click()
        expect(rows).to_have_count(before + 1)
    attach(f, "Benches", photo(tmp_path / "bench.jpg"))
    expect(f.page.locator("#flash")).to_contain_text("Saved the picture of “Benches”")
    f.create_round("Spend £9,000", "budget", budget=9000)

    page.get_by_role("link", name="Print paper ballots: Spend £9,000").click()
    sheet = page.locator("[data-sheet]")
    expect(sheet).to_have_count(1)
    expect(sheet.locator(".sheet-rules")).to_have_text(
        "Tick what to fund; the total must not exceed £9,000."
    )
    expect(sheet.locator(".sheet-cost")).to_have_text(["£3,000", "£4,500", "£5,000"])
    expect(sheet.locator(".sheet-label")).to_contain_text("Label (filled in by the facilitator):")
    picture = sheet.locator("img.option-picture")
    expect(picture).to_have_count(1)
    expect(picture).to_have_attribute("src", re.compile(r"^/pictures/\d+/"))
    assert loaded(picture) > 0
    no_serious_axe_violations(page, "paper sheet")

    page.get_by_label("Copies").fill("3")
    page.get_by_role("button", name="Show").click()
    expect(sheet).to_have_count(3)
    sizes = pdf_pages(page.pdf(prefer_css_page_size=True), tmp_path)
    assert len(sizes) == a4_pages(sizes) == 3

    page.get_by_label("Language", exact=True).select_option("ar")
    page.locator(".sheet-form button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(sheet).to_have_count(3)
    expect(sheet.first.locator(".sheet-rules")).to_contain_text("٩")
    sizes = pdf_pages(page.pdf(prefer_css_page_size=True), tmp_path)
    assert len(sizes) == a4_pages(sizes) == 3


def test_too_many_copies_are_refused_with_the_reason_and_nothing_to_print(facilitator_ui):
    f = facilitator_ui
    f.create_workshop("Corner of Elm Court")
    f.add_options("Benches", "Lighting")
    round_id = f.create_round("Priorities", "dots")
    page = f.page
    page.goto(f"{f.base}/rounds/{round_id}/sheet?copies=61")
    expect(page.get_by_role("alert")).to_have_text("“Copies” must be a whole number from 1 to 60.")
    expect(page.locator("[data-sheet]")).to_have_count(0)
    expect(page.get_by_role("button", name="Print")).to_have_count(0)
