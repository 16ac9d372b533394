"""From invitation to confirmed panel in Chromium: the organiser draws the homes to invite from
an address list, the invited register on their phones with their answers and consent, the
organiser draws the panel, confirms its members, replaces one who withdrew by the alternate the
page proposes, and the public page counts it all without a name."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESK, PHONE, FacilitatorUI, no_axe_violations
from tests.browser.test_panel_lottery import AGE, TENURE, add_question

pytestmark = pytest.mark.browser

ADDRESSES = [f"{n} Elm Road" for n in range(1, 13)]
# Who answers at each invited home, in the order the invitations are listed.
RESIDENTS = [
    ("Owner", "65 and over"),
    ("Social rent", "30 to 64"),
    ("Private rent", "Under 30"),
    ("Owner", "30 to 64"),
    ("Social rent", "65 and over"),
    ("Social rent", "Under 30"),
    ("Owner", "65 and over"),
    ("Private rent", "30 to 64"),
]


def register(page: Page, name: str, tenure: str, age: str, *, consent: bool = True) -> None:
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(name.lower().replace(" ", ".") + "@example.org")
    page.get_by_role("group", name="Tenure").get_by_label(tenure, exact=True).check()
    page.get_by_role("group", name="Age band").get_by_label(age, exact=True).check()
    if consent:
        page.get_by_label(re.compile("I agree that my details are kept")).check()
    page.get_by_role("button", name="Register").click()


def scanned_in_arabic(page: Page, name: str) -> None:
    """The organiser reads the page in Arabic, right to left: no axe finding; then English again."""
    page.locator(".lang-menu summary").click()
    page.locator('.lang-menu button[value="ar"]').click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    no_axe_violations(page, f"{name} in Arabic")
    page.locator(".lang-menu summary").click()
    page.locator('.lang-menu button[value="en"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def members(page: Page) -> list[int]:
    rows = page.locator("[data-members] tbody tr")
    return [int(n) for n in rows.evaluate_all("rows => rows.map(r => r.dataset.volunteer)")]


def test_from_invitation_to_a_confirmed_panel_with_one_replacement(new_context, server):
    f = FacilitatorUI(new_context(DESK))
    f.sign_in()
    page = f.page
    page.get_by_role("link", name="Programmes").click()
    page.get_by_label("Title").fill("Elm Road plan")
    page.get_by_role("button", name="Create programme").click()
    programme_url = page.url
    page.get_by_role("link", name="Who takes part").click()
    add_question(page, "Tenure", TENURE)
    add_question(page, "Age band", AGE)

    # Eight of the twelve homes are invited, with a seed published beforehand.
    page.get_by_role("link", name="Panel lottery").click()
    page.get_by_label("Title of the invited pool").fill("Elm Road letters")
    page.get_by_label("Addresses, one a line").fill("\n".join(ADDRESSES))
    page.get_by_label("How many to invite").fill("8")
    page.get_by_label("Seed, published beforehand").fill("11 22 33")
    page.get_by_role("button", name="Draw the invitations").click()
    expect(page.locator("#flash")).to_contain_text("The invitations are drawn.")
    expect(page.locator("[data-invitations] tbody tr")).to_have_count(8)
    expect(page.locator("[data-registered]")).to_have_text("0 of 8 invited have registered.")
    no_axe_violations(page, "the invitations")
    scanned_in_arabic(page, "the invitations")
    links = page.locator("[data-link]").evaluate_all("links => links.map(a => a.href)")
    invitations_url = page.url

    # The registration page in Arabic, right to left, for a home whose browser asks for it.
    arabic = new_context(PHONE, locale="ar").new_page()
    arabic.goto(links[0])
    expect(arabic.locator("html")).to_have_attribute("dir", "rtl")
    no_axe_violations(arabic, "the registration page in Arabic")
    arabic.context.close()

    # Each invited home registers on a phone; the first forgets to consent and is told so.
    for n, (link, (tenure, age)) in enumerate(zip(links, RESIDENTS, strict=True), start=1):
        phone = new_context(PHONE).new_page()
        phone.goto(link)
        expect(
            phone.get_by_role("heading", name="Register for the residents' panel")
        ).to_be_visible()
        if n == 1:
            no_axe_violations(phone, "the registration page")
            register(phone, f"Resident {n}", tenure, age, consent=False)
            expect(phone.locator("[data-error]")).to_contain_text("Please tick the box to agree")
        register(phone, f"Resident {n}", tenure, age)
        expect(phone.locator("[data-registered]")).to_contain_text("you are registered")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], "the registration page scrolls sideways on a phone"
        phone.context.close()
    page.goto(invitations_url)
    expect(page.locator("[data-registered]")).to_have_text("8 of 8 invited have registered.")

    # The panel: four seats, at least one under 30, with two alternates.
    page.get_by_role("link", name="Work out the chances and draw the panel").click()
    expect(page.get_by_text("8 volunteers")).to_be_visible()
    page.get_by_label("Seats on the panel").fill("4")
    page.get_by_label("Reserves to draw").fill("2")
    page.get_by_label("At least: Age band Under 30", exact=True).fill("1")
    page.get_by_role("button", name="Work out the chances").click()
    expect(page.locator("#chances")).to_have_attribute("data-lottery", "ok")
    page.get_by_label("The published seed").fill("7 7 7")
    page.get_by_role("button", name="Draw the panel and 2 reserves").click()
    expect(page.locator("[data-standing]")).to_have_text("0 of 4 members confirmed")
    drawn = members(page)
    assert len(drawn) == 4

    # Three confirm; the fourth withdraws, and the proposed alternate takes the seat.
    for n in drawn[:3]:
        page.get_by_role("button", name=f"Confirm member {n}").click()
        expect(page.locator(f'[data-members] tr[data-volunteer="{n}"] [data-status]')).to_have_text(
            "Confirmed"
        )
    scanned_in_arabic(page, "the drawn panel")
    gone = drawn[3]
    row = page.locator(f'[data-members] tr[data-volunteer="{gone}"]')
    row.get_by_text("Withdrew…").click()
    row.get_by_label("Reason").fill("Moving away in June")
    row.get_by_role("button", name="Record the withdrawal").click()
    proposal = page.locator("[data-proposal]")
    expect(proposal).to_contain_text(f"Member {gone} withdrew; the seat is empty.")
    expect(proposal).to_contain_text("keeps the panel within its quotas")
    seat = proposal.get_by_role("button", name=re.compile(r"Seat alternate \d+"))
    alternate = int(re.search(r"\d+", seat.inner_text()).group(0))
    no_axe_violations(page, "the panel with a proposal")
    scanned_in_arabic(page, "the panel with a proposal")
    seat.click()
    expect(page.locator("[data-proposal]")).to_have_count(0)
    assert members(page) == [*drawn[:3], alternate]
    page.get_by_role("button", name=f"Confirm member {alternate}").click()
    expect(page.locator("[data-standing]")).to_have_text("4 of 4 members confirmed · 1 replacement")
    expect(page.locator("[data-withdrawn]")).to_contain_text("Moving away in June")

    # The public page counts each step, and names no one.
    page.goto(programme_url)
    public_link = page.locator("a[href^='/p/']").first.get_attribute("href")
    public = new_context(PHONE).new_page()
    public.goto(public_link)
    counts = public.locator("[data-recruitment]")
    expect(counts.locator("[data-count=invited]")).to_have_text("8 homes invited by lottery")
    expect(counts.locator("[data-count=registered]")).to_have_text("8 residents registered")
    expect(counts.locator("[data-count=confirmed]")).to_have_text("4 of 4 seats confirmed")
    expect(counts.locator("[data-count=replaced]")).to_have_text(
        "1 member replaced by an alternate"
    )
    text = public.locator("body").inner_text()
    assert not re.search(r"Resident \d|\d+ Elm Road", text)
