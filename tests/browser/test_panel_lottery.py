"""The panel lottery in Chromium: the organiser imports a pool, sets quotas that cannot be met, is
told why in plain words and accepts the fix offered, sees everyone's chance with the flags, takes
quotas from the place, and draws with a published seed a panel that the lottery file confirms."""

from __future__ import annotations

import csv
import hashlib
import io
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESK, PHONE, FacilitatorUI, no_axe_violations
from tests.panel.test_panels_page import POOL, YOUNG, pool_csv

pytestmark = pytest.mark.browser

TENURE = ("Social rent", "Private rent", "Owner")
AGE = ("Under 30", "30 to 64", "65 and over")


def add_question(page: Page, label: str, choices: tuple[str, ...]) -> None:
    if page.locator("#new-question").get_attribute("open") is None:
        page.locator("#new-question > summary").click()
    form = page.locator("#new-question form")
    form.get_by_label("Question", exact=True).fill(label)
    form.get_by_label("Answers to choose from, one per line").fill("\n".join(choices))
    form.get_by_role("button", name="Add question").click()
    expect(page.locator("#flash")).to_contain_text(f"Added the question “{label}”.")


def quota_box(page: Page, bound: str, question: str, answer: str):
    return page.get_by_label(f"{bound}: {question} {answer}", exact=True)


def chances(page: Page) -> dict[int, float]:
    out = {}
    for row in page.locator("[data-chances] tbody tr").all():
        number = int(row.get_attribute("data-volunteer"))
        out[number] = float(re.search(r"([\d.]+)%", row.locator(".chance").inner_text()).group(1))
    return out


def test_a_pool_is_imported_weighed_and_drawn_with_a_published_seed(new_context, server):
    f = FacilitatorUI(new_context(DESK))
    f.sign_in()
    page = f.page

    # A programme asking tenure and age band, with the place's tenure figures.
    page.get_by_role("link", name="Programmes").click()
    page.get_by_label("Title").fill("Phoenix Place plan")
    page.get_by_role("button", name="Create programme").click()
    page.get_by_role("link", name="Who takes part").click()
    add_question(page, "Tenure", TENURE)
    add_question(page, "Age band", AGE)
    tenure = page.locator(".profile-question", has=page.get_by_role("heading", name="Tenure"))
    for label, amount in zip(TENURE, ("50", "20", "30"), strict=True):
        tenure.get_by_label(label, exact=True).fill(amount)
    tenure.get_by_role("button", name="Save the figures: Tenure").click()
    expect(page.locator("#flash")).to_contain_text("Saved the figures for “Tenure”.")

    # The pool, from a spreadsheet.
    page.get_by_role("link", name="Panel lottery").click()
    expect(page.get_by_role("heading", name="Choosing a panel by lottery")).to_be_visible()
    page.get_by_label("Name of the pool").fill("Spring letter")
    page.set_input_files(
        "#pool-file", files=[{"name": "pool.csv", "mimeType": "text/csv", "buffer": pool_csv()}]
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#flash")).to_contain_text("Imported 30 volunteers into “Spring letter”.")
    expect(page.get_by_text("from 28 households")).to_be_visible()
    no_axe_violations(page, "the pool page")

    # Three seats for the under 30s: only two volunteered.
    page.get_by_label("Seats on the panel").fill("6")
    page.get_by_label("Reserves to draw").fill("3")
    quota_box(page, "At least", "Age band", "Under 30").fill("3")
    quota_box(page, "At least", "Tenure", "Social rent").fill("2")
    quota_box(page, "At most", "Tenure", "Social rent").fill("3")
    page.get_by_role("button", name="Work out the chances").click()
    result = page.locator("#chances")
    expect(result).to_have_attribute("data-lottery", "infeasible")
    expect(result.locator("[data-conflicts]")).to_contain_text(
        "Only 2 volunteers have Age band “Under 30”, but the minimum is 3."
    )
    expect(result.locator("[data-relaxations]")).to_have_text(
        "Lower the minimum for Age band “Under 30” from 3 to 2."
    )
    expect(page.get_by_role("button", name=re.compile("Draw the panel"))).to_have_count(0)

    # The fix offered: both under 30s are then sure of a seat, and flagged.
    result.get_by_role("link", name="Use these quotas").click()
    expect(result).to_have_attribute("data-lottery", "ok")
    expect(quota_box(page, "At least", "Age band", "Under 30")).to_have_value("2")
    expect(page.locator("[data-chances] tbody tr")).to_have_count(len(POOL))
    shown = chances(page)
    assert sum(shown.values()) == pytest.approx(600, abs=1.5)
    assert shown[YOUNG[0]] == shown[YOUNG[1]] == 100.0
    expect(page.locator("[data-chances] tr.flagged")).to_have_count(2)
    expect(page.locator("[data-flagged]").first).to_have_text("2")
    expect(page.locator("[data-flag-note]")).to_contain_text("2 volunteers are all but sure")
    no_axe_violations(page, "the chances")

    # Quotas from the place: 6 seats, social renters 50% -> exactly 3, private renters 20% -> 1-2.
    page.get_by_role("button", name="Set quotas from the place").click()
    expect(result).to_have_attribute("data-lottery", "ok")
    expect(quota_box(page, "At least", "Tenure", "Social rent")).to_have_value("3")
    expect(quota_box(page, "At most", "Tenure", "Social rent")).to_have_value("3")
    expect(quota_box(page, "At least", "Tenure", "Private rent")).to_have_value("1")
    expect(quota_box(page, "At most", "Tenure", "Private rent")).to_have_value("2")
    expect(quota_box(page, "At least", "Age band", "Under 30")).to_have_value("")

    # The draw, with the seed announced at the meeting.
    page.get_by_label("The published seed").fill("3 1 4 1 5 9")
    page.get_by_role("button", name="Draw the panel and 3 reserves").click()
    flash = page.locator("#flash")
    expect(flash).to_contain_text("The panel is drawn with the seed “3 1 4 1 5 9”.")
    members = [
        int(n) for n in page.locator("[data-members] tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.volunteer)"
        )
    ]  # fmt: skip
    assert len(members) == 6
    assert sum(POOL[n - 1][1] == "Social rent" for n in members) == 3
    assert 1 <= sum(POOL[n - 1][1] == "Private rent" for n in members) <= 2
    expect(page.locator("[data-reserves] tbody tr")).to_have_count(3)
    no_axe_violations(page, "the drawn panel")

    # Anyone can check it: the lottery file and the seed give the same panel.
    link = page.get_by_role("link", name="Download the lottery, without names (CSV)")
    body = page.request.get(link.get_attribute("href")).text()
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    total = int(rows[-1]["last_ticket"]) + 1
    ticket = int.from_bytes(hashlib.sha256(b"panel:3 1 4 1 5 9").digest(), "big") % total
    (won,) = [r for r in rows if int(r["first_ticket"]) <= ticket <= int(r["last_ticket"])]
    assert sorted(map(int, won["members"].split())) == sorted(members)
    expect(page.locator("[data-ticket]")).to_contain_text(f"ticket {ticket:,} of {total:,}")

    # The pool lists the draw; the page fits a phone.
    page.get_by_role("link", name="Spring letter").click()
    expect(page.locator("[data-draw]")).to_have_count(1)
    phone = new_context(PHONE).new_page()
    phone.context.add_cookies(f.context.cookies())
    phone.goto(page.url)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the pool page scrolls sideways on a phone"

    # The other way to draw: the lottery over numbered panels is fixed and its commitment shown.
    page.get_by_label("Seats on the panel").fill("6")
    page.get_by_label("Reserves to draw").fill("3")
    page.get_by_role("button", name="Work out the chances").click()
    expect(page.locator("#chances")).to_have_attribute("data-lottery", "ok")
    page.get_by_label("Numbered panels").select_option("100")
    page.get_by_role("button", name="Fix the lottery and show its commitment").click()
    expect(page).to_have_url(re.compile(r"/commitments/\d+$"))
    expect(page.locator("#flash")).to_contain_text("The lottery is fixed.")
    no_axe_violations(page, "the commitment page")

    # The same page in Arabic, right to left, for a facilitator who reads it.
    for code in ("ar", "en"):
        page.locator(".lang-menu summary").click()
        page.locator(f'.lang-menu button[value="{code}"]').click()
        expect(page.locator("html")).to_have_attribute("lang", code)
        expect(page).to_have_url(re.compile(r"/commitments/\d+$"))
        if code == "ar":
            expect(page.locator("html")).to_have_attribute("dir", "rtl")
            no_axe_violations(page, "the commitment page in Arabic")
