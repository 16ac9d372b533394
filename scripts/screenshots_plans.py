"""Take the README's programme screenshots: run the demo, hold one dot round, then build a
programme with its needs list and action plan, and save the dashboard, needs list, action plan,
public page and poster at 390x844 and 1920x1080 as docs/screenshots/NAME-WIDTH.png.

    .venv/bin/python scripts/screenshots_plans.py [--out DIR] [--chromium PATH]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).resolve().parent))
import screenshots
from screenshots import DOTS_ROUND, VOTERS, WAIT, Session


class PlanSession(Session):
    """One dot round, then the programme built from it."""

    def run(self) -> None:
        voters = [self.context().new_page() for _ in VOTERS]
        for i, voter in enumerate(voters):
            self.join(voter, f"Resident {i + 1}")
        desk = self.context()
        page = desk.new_page()
        page.goto("/login")
        page.get_by_label("Username").fill(self.demo.info["user"])
        page.get_by_label("Password").fill(self.demo.info["password"])
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/f/workshops/{self.workshop}")
        page.get_by_role("button", name=f"Open: {DOTS_ROUND}", exact=True).click()
        for voter, dots in zip(voters, VOTERS, strict=True):
            expect(voter.locator("#ballot")).to_be_visible(timeout=WAIT)
            for start, n in dots.items():
                button = voter.locator(
                    ".ballot-option", has=voter.locator("h2", has_text=re.compile("^" + start))
                ).locator("[data-step='1']")
                for _ in range(n):
                    button.click()
            voter.locator("#ballot button[type=submit]").click()
            expect(voter.locator("#ballot-status")).to_have_attribute("data-state", "saved")
        page.get_by_role("button", name=f"Close: {DOTS_ROUND}", exact=True).click()
        expect(page.locator("#flash")).to_contain_text("is closed")

        page.goto("/f/programmes")
        page.get_by_label("Title").fill("Phoenix Place: our estate plan")
        page.get_by_label("Place").fill("Phoenix Place, Lewisham")
        page.get_by_label("Description").fill(
            "Residents and the co-op's staff deciding together what to do first."
        )
        page.get_by_role("button", name="Create programme").click()
        expect(page).to_have_url(re.compile(r"/f/programmes/\d+$"))
        base = page.url.split("127.0.0.1")[-1].split("/", 1)[1]
        workshop = page.get_by_label("Add a workshop to this programme")
        workshop.select_option(index=1)
        page.get_by_role("button", name="Add workshop").click()

        page.goto(f"/{base}/needs")
        page.get_by_role("button", name="Add the workshops' options as needs").click()
        expect(page.locator(".need-row").first).to_be_visible()
        rows = page.locator(".need-row")
        last = rows.last
        last.locator("summary").click()
        last.get_by_label("Status").select_option("not_possible")
        last.get_by_label(re.compile("^Reason, shown to residents")).fill(
            "The land belongs to the railway, which has said no."
        )
        last.get_by_role("button", name="Save status").click()
        expect(page.locator("#flash")).to_contain_text("Not possible")
        third = page.locator(".need-row").nth(2)
        third.locator("summary").click()
        third.get_by_label("Score set by hand (0 to 1)").fill("0.95")
        third.get_by_label("Reason for the change").fill("Two falls on the path this winter")
        third.get_by_role("button", name="Set the score").click()
        expect(page.locator(".override").first).to_be_visible()
        self.shot(page, "programme-needs")

        page.goto(f"/{base}/actions")
        actions = (
            ("Ask three firms to quote for lighting", 0, "staff", "2025-01-31", "in_progress"),
            ("Choose bench designs at the March meeting", 1, "residents", "2030-03-20", "planned"),
            ("Bid to the council's green fund", 2, "partnership", "2030-06-30", "planned"),
        )
        for what, need, who, due, status in actions:
            form = page.locator("form", has=page.get_by_role("button", name="Add action"))
            form.get_by_label("What").fill(what)
            need_select = form.get_by_label("For the need")
            value = need_select.locator("option").nth(need + 1).get_attribute("value")
            need_select.select_option(value)
            form.get_by_label("Who").select_option(who)
            form.get_by_label("Named owner").fill("Jo Adeyemi")
            form.get_by_label("Due").fill(due)
            form.get_by_label("Status").select_option(status)
            form.get_by_role("button", name="Add action").click()
            expect(page.locator(".action-item", has_text=what)).to_be_visible()
        item = page.locator(".action-item").first
        note = item.get_by_role("textbox", name=re.compile("^Progress note"))
        note.fill("Two quotes in; the third firm has not replied.")
        item.get_by_role("button", name=re.compile("^Add note")).click()
        expect(page.locator(".notes").first).to_be_visible()
        self.shot(page, "programme-actions")

        page.goto(f"/{base}")
        self.shot(page, "programme")
        slug = page.get_by_role("link", name="Public page").first.get_attribute("href")
        public = self.context().new_page()
        public.goto(slug)
        self.shot(public, "public")
        public.goto(slug + "/poster")
        self.shot(public, "poster")


def main(argv: list[str] | None = None) -> int:
    return screenshots.main(argv, PlanSession, __doc__)


if __name__ == "__main__":
    sys.exit(main())
