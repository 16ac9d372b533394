"""The PACT health check in Chromium: the organiser adds the ready-made round from the console,
phones rate the four statements (a number, "don't know", or nothing), the round closes, and the
programme dashboard shows each dimension's mean over those who gave a number. A statement reworded
on the dashboard is what the next health check asks."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from facilitation.health.pact import DEFAULT_STATEMENTS
from tests.browser.conftest import DESK, FacilitatorUI, PhoneUI

pytestmark = pytest.mark.browser

ROUND = "Health check: how did today go?"
SCALE = {
    1: "Strongly disagree",
    2: "Disagree",
    3: "Neither",
    4: "Agree",
    5: "Strongly agree",
    "dk": "Don’t know",
}
# Each phone's answers by dimension; a dimension left out is skipped on that phone.
RATINGS = (
    {"power": 4, "accountability": 5, "connection": 3, "trust": "dk"},
    {"power": 2, "accountability": "dk", "connection": 4, "trust": 1},
    {"power": 3, "accountability": 4, "trust": "dk"},
)
# Worked by hand: the mean over those who gave a number, and how many did.
MEANS = {
    "power": "3.0 (3)",  # (4 + 2 + 3) / 3
    "accountability": "4.5 (2)",  # (5 + 4) / 2; one "don't know" left out
    "connection": "3.5 (2)",  # (3 + 4) / 2; one phone skipped it
    "trust": "1.0 (1)",  # only one number among two "don't know"
}
REWORDED = "Residents shaped what was decided at this meeting."


def rate(phone: PhoneUI, answers: dict[str, int | str]) -> None:
    """Tap each statement's answer, as a finger does on the scale's boxes, and send."""
    for dimension, value in answers.items():
        statement = phone.page.get_by_role("group", name=DEFAULT_STATEMENTS[dimension])
        statement.locator(".scale-label").get_by_text(SCALE[value], exact=True).click()
        expect(statement.get_by_role("radio", name=SCALE[value], exact=True)).to_be_checked()
    phone.send()
    phone.expect_saved()


def add_health_check(f: FacilitatorUI) -> None:
    page = f.page
    details = page.locator("details.new-round")
    if details.get_attribute("open") is None:
        details.locator(":scope > summary").click()
    rows = page.locator(".rounds .round-row")
    before = rows.count()
    page.get_by_role("button", name="Add the health check (PACT)").click()
    expect(page.locator("#flash")).to_contain_text(f"“{ROUND}” is ready")
    expect(rows).to_have_count(before + 1)


def make_programme(page: Page, workshop: str) -> str:
    """A programme holding the workshop; returns the dashboard's path."""
    page.get_by_role("link", name="Programmes").click()
    page.get_by_label("Title").fill("Phoenix Place plan")
    page.get_by_role("button", name="Create programme").click()
    expect(page).to_have_url(re.compile(r"/f/programmes/\d+$"))
    path = "/f/programmes/" + page.url.rsplit("/", 1)[1]
    page.get_by_label("Add a workshop to this programme").select_option(label=workshop)
    page.get_by_role("button", name="Add workshop").click()
    expect(page.locator("#flash")).to_contain_text("is now part of this programme")
    return path


def test_a_health_check_from_the_console_to_the_dashboards_means_and_reworded(new_context, phones):
    f = FacilitatorUI(new_context(DESK))
    f.sign_in()
    code = f.create_workshop("Autumn review")
    page = f.page
    dashboard = make_programme(page, "Autumn review")
    expect(page.locator("section.health")).to_contain_text("No health check has been closed yet")

    page.goto(f.base)
    add_health_check(f)
    options = f.option_ids()
    assert set(DEFAULT_STATEMENTS.values()) <= set(options), "the four statements are options"
    f.open_round(ROUND)

    residents = [phone.join(code) for phone in phones(len(RATINGS))]
    for phone, answers in zip(residents, RATINGS, strict=True):
        phone.wait_ballot("rating")
        rate(phone, answers)
    expect(page.locator(f"#console-live-{f.workshop_id} [data-voted]")).to_have_text("3")
    f.close_round(ROUND)

    page.goto(dashboard)
    health = page.locator("section.health")
    rows = health.locator("table[data-health] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(1)).to_have_text("Autumn review")
    for dimension, shown in MEANS.items():
        expect(rows.first.locator(f"td[data-dimension='{dimension}']")).to_have_text(shown)
    expect(health.locator("svg.health-chart circle.pact-dot")).to_have_count(4)
    expect(health.locator("circle.pact-power title")).to_have_text("Power: 3.0")

    # The organiser rewords Power; the next health check asks the new wording.
    health.locator("details > summary", has_text="Reword the statements").click()
    expect(health.get_by_label("Power", exact=True)).to_have_value(DEFAULT_STATEMENTS["power"])
    health.get_by_label("Power", exact=True).fill(REWORDED)
    health.get_by_role("button", name="Save statements").click()
    expect(page.locator("#flash")).to_contain_text("Health check statements saved")
    expect(page.get_by_label("Power", exact=True)).to_have_value(REWORDED)

    page.goto(f.base)
    add_health_check(f)
    assert REWORDED in f.option_ids()
    f.open_round(ROUND)
    phone = residents[0]
    phone.wait_ballot("rating")
    ballot = phone.page.locator("#ballot")
    expect(ballot.get_by_role("group", name=REWORDED)).to_be_visible()
    expect(ballot.get_by_role("group")).to_have_count(4)
    expect(ballot).not_to_contain_text(DEFAULT_STATEMENTS["power"])
    expect(ballot.get_by_role("group", name=DEFAULT_STATEMENTS["trust"])).to_be_visible()
