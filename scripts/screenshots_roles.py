"""Take the README's "Organisations and roles" screenshots from the demo, each signed in with one of
the logins it prints: the organiser's accounts page, the panel the organiser drew as the demo's
facilitator sees it (no names or contact details), and the moderator's workshops and idea desk,
at 390x844 and 1920x1080 as docs/screenshots/NAME-WIDTH.png.

    .venv/bin/python scripts/screenshots_roles.py [--out DIR] [--chromium PATH]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from playwright.sync_api import Page, expect

sys.path.insert(0, str(Path(__file__).resolve().parent))
import screenshots
from screenshots import IDEAS, IDEAS_ROUND, Session

PROGRAMME = "Phoenix Place green spaces"
POOL = "Letters to every home, spring"


class RolesSession(Session):
    """The demo's three accounts, each on the pages its role changed."""

    def login(self, role: str) -> tuple[str, str]:
        """The username and password the demo printed for "Organiser", "Facilitator" or
        "Moderator"."""
        banner = "".join(self.demo.lines)
        found = re.search(rf"^\s*{role}\s.*?user: (\S+)\s+password: (\S+)", banner, re.M)
        if found is None:
            raise SystemExit(f"no {role} login in the demo's output")
        return found[1], found[2]

    def sign_in(self, role: str) -> Page:
        username, password = self.login(role)
        page = self.context().new_page()
        page.goto("/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/f$"))
        return page

    def run(self) -> None:
        organiser = self.sign_in("Organiser")
        organiser.get_by_role("link", name="Accounts").click()
        expect(organiser.locator("[data-account]")).to_have_count(3)
        facilitator_row = organiser.locator(f"[data-account='{self.login('Facilitator')[0]}']")
        facilitator_row.get_by_text("Change role or password").click()
        self.shot(organiser, "roles-accounts")

        organiser.goto("/f/programmes")
        organiser.get_by_role("link", name=PROGRAMME).first.click()
        organiser.get_by_role("link", name="Panel lottery").click()
        organiser.get_by_role("link", name=POOL).first.click()
        organiser.get_by_label("Seats on the panel").fill("12")
        organiser.get_by_label("Reserves to draw").fill("4")
        organiser.get_by_role("button", name="Set quotas from the place").click()
        chances = organiser.locator("#chances")
        expect(chances).to_be_visible()
        if chances.get_attribute("data-lottery") == "infeasible":
            chances.get_by_role("link", name="Use these quotas").click()
        expect(organiser.locator("#chances")).to_have_attribute("data-lottery", "ok")
        organiser.get_by_label("The published seed").fill("12 19 27 33 41 48")
        organiser.get_by_role("button", name=re.compile("^Draw the panel")).click()
        expect(organiser.locator("[data-members]")).to_be_visible()
        drawn = organiser.url

        facilitator = self.sign_in("Facilitator")
        facilitator.goto(drawn)
        expect(facilitator.locator("[data-members]")).to_be_visible()
        self.shot(facilitator, "roles-facilitator-panel")

        moderator = self.sign_in("Moderator")
        self.shot(moderator, "roles-moderator-workshops")
        moderator.locator(".list-row a").first.click()
        expect(moderator).to_have_url(re.compile(r"/desk$"))
        # The organiser opens the idea round and the room sends ideas to the moderator's desk.
        organiser.goto(f"/f/workshops/{self.workshop}")
        organiser.get_by_role("button", name=f"Open: {IDEAS_ROUND}", exact=True).click()
        for n, (text, category) in enumerate(IDEAS[:3]):
            phone = self.context().new_page()
            self.join(phone, f"Resident {n + 1}")
            expect(phone.locator("#ballot[data-kind=ideas]")).to_be_visible()
            phone.get_by_label("Your idea", exact=True).fill(text)
            phone.get_by_label("Category").select_option(label=category)
            phone.locator("#ballot button[type=submit]").click()
            expect(phone.locator("#ballot-status")).to_have_attribute("data-state", "saved")
        rows = moderator.locator(".idea-desk [data-list=pending] .idea-row")
        expect(rows).to_have_count(3)
        desk = moderator.locator(".idea-desk")
        desk.get_by_role("button", name=f"Approve: {IDEAS[0][0]}", exact=True).click()
        expect(desk.locator(".idea-row[data-status=approved]")).to_have_count(1)
        self.shot(moderator, "roles-moderator-desk")


def main(argv: list[str] | None = None) -> int:
    return screenshots.main(argv, RolesSession, __doc__)


if __name__ == "__main__":
    sys.exit(main())
