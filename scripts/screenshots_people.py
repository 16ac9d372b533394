"""Take the README's "Who takes part" screenshots from the demo: the programme's questions, the
room against the place on a past workshop's console, a result split by group, the panel lottery's
chances and a drawn panel, and the PACT health check on the overview, at 390x844 and 1920x1080
as docs/screenshots/NAME-WIDTH.png.

    .venv/bin/python scripts/screenshots_people.py [--out DIR] [--chromium PATH]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).resolve().parent))
import screenshots
from screenshots import Session

PROGRAMME = "Phoenix Place green spaces"
PAST = "Spring residents' meeting"
POOL = "Letters to every home, spring"


class PeopleSession(Session):
    """The demo programme's people pages, as its organiser sees them."""

    def run(self) -> None:
        page = self.context().new_page()
        page.goto("/login")
        page.get_by_label("Username").fill(self.demo.info["user"])
        page.get_by_label("Password").fill(self.demo.info["password"])
        page.get_by_role("button", name="Sign in").click()

        page.goto("/f/programmes")
        page.get_by_role("link", name=PROGRAMME).first.click()
        expect(page).to_have_url(re.compile(r"/f/programmes/\d+$"))
        overview = page.url
        page.get_by_role("link", name="Who takes part").click()
        self.shot(page, "programme-people")

        page.goto(overview)
        self.shot_element(page, "section.health", "programme-health")

        page.goto("/f")
        page.get_by_role("link", name=PAST).first.click()
        expect(page).to_have_url(re.compile(r"/f/workshops/\d+$"))
        self.shot_element(page, "section.room-panel", "room-panel")
        page.locator("a[href*='/rounds/']", has_text=re.compile("Results|results")).first.click()
        split = page.get_by_label("Split by")
        split.select_option(label="Your home")
        page.get_by_role("button", name="Show").first.click()
        expect(page.locator("[data-split]")).to_be_visible()
        self.shot_element(page, "[data-split]", "results-split")

        page.goto(overview)
        page.get_by_role("link", name="Panel lottery").click()
        page.get_by_role("link", name=POOL).first.click()
        page.get_by_label("Seats on the panel").fill("12")
        page.get_by_label("Reserves to draw").fill("4")
        page.get_by_role("button", name="Set quotas from the place").click()
        outcome = page.locator("#chances")
        expect(outcome).to_be_visible()
        if outcome.get_attribute("data-lottery") == "infeasible":
            outcome.get_by_role("link", name="Use these quotas").click()
        expect(page.locator("#chances")).to_have_attribute("data-lottery", "ok")
        page.locator("#chances").scroll_into_view_if_needed()
        self.shot_element(page, "#chances", "panel-chances")
        page.get_by_label("The published seed").fill("12 19 27 33 41 48")
        page.get_by_role("button", name=re.compile("^Draw the panel")).click()
        expect(page.locator("[data-members]")).to_be_visible()
        self.shot(page, "panel-draw")


def main(argv: list[str] | None = None) -> int:
    return screenshots.main(argv, PeopleSession, __doc__)


if __name__ == "__main__":
    sys.exit(main())
