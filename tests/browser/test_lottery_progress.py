"""A large lottery in Chromium: while it is worked out the pool page shows how far it has got
and the time allowed, and its Stop button cancels it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESK, FacilitatorUI
from tests.browser.test_panel_lottery import add_question
from tests.panel.test_lottery_workers import AREA, GENDER, WORK, large_pool
from tests.people.scene import AGE, TENURE

pytestmark = pytest.mark.browser

# Every quota a fair share of the seats, one either way, so the lottery takes a while.
FAIR_QUOTAS = """(seats) => {
  const counts = {};
  document.querySelectorAll("input[name^='min-']").forEach((box) => {
    const q = box.name.split("-")[1];
    if (!box.name.endsWith("-none")) { counts[q] = (counts[q] || 0) + 1; }
  });
  document.querySelectorAll("input[name^='min-'], input[name^='max-']").forEach((box) => {
    const q = box.name.split("-")[1];
    if (box.name.endsWith("-none")) { return; }
    const share = Math.floor(seats / counts[q]);
    box.value = box.name.startsWith("min-") ? Math.max(share - 1, 0) : share + 2;
  });
}"""


def test_a_large_lottery_shows_its_progress_and_can_be_stopped(new_context, server):
    f = FacilitatorUI(new_context(DESK))
    f.sign_in()
    page = f.page
    page.get_by_role("link", name="Programmes").click()
    page.get_by_label("Title").fill("Borough assembly")
    page.get_by_role("button", name="Create programme").click()
    page.get_by_role("link", name="Who takes part").click()
    for label, choices in (
        ("Tenure", TENURE),
        ("Age band", AGE),
        ("Area", AREA),
        ("Gender", GENDER),
        ("Work", WORK),
    ):
        add_question(page, label, choices)
    page.get_by_role("link", name="Panel lottery").click()
    page.get_by_label("Name of the pool").fill("Borough letter")
    page.set_input_files(
        "#pool-file",
        files=[{"name": "pool.csv", "mimeType": "text/csv", "buffer": large_pool(1000)}],
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#flash")).to_contain_text("Imported 1,000 volunteers")

    page.get_by_label("Seats on the panel").fill("50")
    page.evaluate(FAIR_QUOTAS, 50)
    progress = page.locator("[data-lottery-progress]")
    expect(progress).to_be_hidden()
    page.get_by_role("button", name="Work out the chances").click()
    expect(progress).to_be_visible()
    # The time spent and the time allowed, read from the worker while it works.
    expect(progress.locator("[data-progress-time]")).to_have_text(
        re.compile(r"^\d+ of 120 seconds$"), timeout=30_000
    )
    page.get_by_role("button", name="Stop").click()
    expect(page.locator("#flash")).to_have_text("The lottery was cancelled.", timeout=5_000)

    # In Arabic the seconds are counted in Arabic-Indic digits, with the unit in Arabic; the
    # lottery after a stopped one is worked out as before, and stopped again.
    page.locator(".lang-menu summary").click()
    page.locator('.lang-menu button[value="ar"]').click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator("#seats").fill("50")
    page.evaluate(FAIR_QUOTAS, 50)
    page.locator("form[data-busy] button.primary").click()
    expect(progress.locator("[data-progress-time]")).to_have_text(
        re.compile(r"^[٠-٩]+ من ١٢٠ ثانية$"), timeout=30_000
    )
    page.locator("[data-cancel-lottery]").click()
    expect(page.locator("#flash")).to_have_text("أُلغيت القرعة.", timeout=5_000)
