"""Take the README's screenshots: run the demo workshop, play a short session in Chromium, and
save each screen at phone size (390x844) and projector size (1920x1080) as
docs/screenshots/NAME-WIDTH.png.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium]

The demo runs on a temporary database and a free loopback port, so nothing else is touched.
"""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SIZES = ((390, 844), (1920, 1080))
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDEAS_ROUND = "What would make the green spaces better?"
BUDGET_ROUND = "Spend this year's £25,000"
DOTS_ROUND = "Which ideas matter most to you?"
RANK_ROUND = "Put your top three in order"
# Dots each extra resident gives (demo options by their first words), then how they rank.
VOTERS = (
    {"Food-growing": 3, "Benches": 2},
    {"Brighter": 2, "Fenced": 2, "Secure": 1},
    {"Food-growing": 2, "Wildflower": 3},
    {"Benches": 1, "Brighter": 3, "Food-growing": 1},
    {"Fenced": 3, "Screen": 2},
)
RANK_MOVES = (
    ("Benches and shade in the central courtyard", 2),
    ("Secure cycle storage", 5),
    ("Fenced play area for under-fives", 3),
    ("Brighter lighting on the path to the bus stop", 1),
    ("Wildflower meadow instead of mown grass", 4),
)
IDEAS = (
    ("A water tap by the food-growing beds", "Green spaces"),
    ("Lights on the path to the bins", "Safety"),
    ("Somewhere for teenagers to sit", "Play"),
    ("water tap near the beds please", ""),
    ("Fix the broken gate by Block A", "Safety"),
)
# Options each extra resident picks in the budget round (by their first words).
PICKS = (
    ("Food-growing", "Benches", "Wildflower", "Screen"),
    ("Brighter", "Fenced"),
    ("Food-growing", "Wildflower", "Secure"),
    ("Brighter", "Benches", "Food-growing"),
    ("Fenced", "Screen", "Wildflower"),
)
WAIT = 15_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Demo:
    """`python -m facilitation demo` on a temporary file, with what it printed parsed."""

    def __init__(self, data_path: str, public_url: str | None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            "-m",
            "facilitation",
            "demo",
            "--data",
            data_path,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        if public_url:
            command += ["--public-url", public_url]
        self.proc = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: list[str] = []
        self.info = self._read_banner()
        threading.Thread(target=self._drain, daemon=True).start()
        self._wait_healthy()

    def _read_banner(self) -> dict[str, str]:
        assert self.proc.stdout
        text = ""
        for line in self.proc.stdout:
            self.lines.append(line)
            text += line
            if "Live board" in line:
                break
        found = {
            "user": re.search(r"user: (\S+)", text),
            "password": re.search(r"password: (\S+)", text),
            "code": re.search(r"Join code\s+(\w+)", text),
            "workshop": re.search(r"/f/workshops/(\d+)/board", text),
        }
        missing = [k for k, m in found.items() if m is None]
        if missing:
            self.stop()
            raise SystemExit(f"could not read {missing} from the demo's output:\n{text}")
        return {k: m.group(1) for k, m in found.items()}

    def _drain(self) -> None:
        assert self.proc.stdout
        for line in self.proc.stdout:
            self.lines.append(line)

    def _wait_healthy(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("the demo server exited:\n" + "".join(self.lines))
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the demo server did not answer in time")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


class Session:
    """The screens of one short workshop, in the order they happen."""

    def __init__(self, browser: Browser, demo: Demo, out: Path) -> None:
        self.browser = browser
        self.demo = demo
        self.out = out
        self.code = demo.info["code"]
        self.workshop = demo.info["workshop"]
        self.saved: list[Path] = []

    def context(self) -> BrowserContext:
        context = self.browser.new_context(
            base_url=self.demo.url, viewport={"width": 390, "height": 844}, locale="en-GB"
        )
        context.set_default_timeout(WAIT)
        return context

    def shot(self, page: Page, name: str) -> None:
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.evaluate("window.scrollTo(0, 0)")
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
            path = self.out / f"{name}-{width}.png"
            page.screenshot(path=str(path), animations="disabled", caret="hide")
            self.saved.append(path)
        page.set_viewport_size({"width": 390, "height": 844})

    def join(self, page: Page, name: str) -> None:
        page.goto("/")
        page.get_by_label("Workshop code").fill(self.code)
        page.get_by_label("Your first name").fill(name)
        page.get_by_role("button", name="Join", exact=True).click()
        self.skip_about(page)
        expect(page.locator("#conn")).to_have_attribute("data-state", "online", timeout=WAIT)

    @staticmethod
    def skip_about(page: Page) -> None:
        """The demo's programme asks "About you" when a phone first joins: skip it."""
        skip = page.get_by_role("button", name="Skip")
        expect(page.locator("#conn").or_(skip)).to_be_visible(timeout=WAIT)
        if skip.is_visible():
            skip.click()

    def run(self) -> None:
        anon = self.context().new_page()
        anon.goto("/")
        self.shot(anon, "home")
        anon.goto(f"/w/{self.code}")
        self.shot(anon, "join")

        phone = self.context().new_page()
        phone.goto(f"/w/{self.code}")
        phone.get_by_label("Your first name").fill("Amira")
        phone.get_by_role("button", name="Join the workshop").click()
        self.skip_about(phone)
        expect(phone.locator("#conn")).to_have_attribute("data-state", "online", timeout=WAIT)
        self.shot(phone, "phone-waiting")

        voters = [self.context().new_page() for _ in VOTERS]
        for i, voter in enumerate(voters):
            self.join(voter, f"Resident {i + 1}")

        desk = self.context()
        console = desk.new_page()
        console.set_viewport_size({"width": 1280, "height": 900})
        console.goto("/login")
        console.get_by_label("Username").fill(self.demo.info["user"])
        console.get_by_label("Password").fill(self.demo.info["password"])
        console.get_by_role("button", name="Sign in").click()
        console.goto(f"/f/workshops/{self.workshop}")
        self.ideas(console, desk, phone, voters)
        console.get_by_role("button", name=f"Open: {DOTS_ROUND}", exact=True).click()
        expect(phone.locator("#ballot[data-kind=dots]")).to_be_visible(timeout=WAIT)

        for voter, dots in zip(voters, VOTERS, strict=True):
            for start, n in dots.items():
                button = voter.locator(
                    ".ballot-option", has=voter.locator("h2", has_text=re.compile("^" + start))
                ).locator("[data-step='1']")
                for _ in range(n):
                    button.click()
            voter.locator("#ballot button[type=submit]").click()
        for voter in voters:
            expect(voter.locator("#ballot-status")).to_have_attribute("data-state", "saved")

        for start, n in (("Food-growing", 2), ("Brighter", 1)):
            plus = phone.locator(
                ".ballot-option", has=phone.locator("h2", has_text=re.compile("^" + start))
            ).locator("[data-step='1']")
            for _ in range(n):
                plus.click()
        phone.locator("#ballot button[type=submit]").click()
        expect(phone.locator("#ballot-status")).to_have_attribute("data-state", "saved")
        self.shot(phone, "phone-dots")

        board = desk.new_page()
        board.goto(f"/f/workshops/{self.workshop}/board")
        expect(board.locator("[data-voted]")).to_have_text("6")
        self.shot(board, "board-dots")

        console.goto(f"/f/workshops/{self.workshop}")
        expect(console.locator("[data-voted]")).to_have_text("6")
        self.shot(console, "console")

        console.get_by_role("button", name=f"Close: {DOTS_ROUND}", exact=True).click()
        expect(phone.locator("[data-stage] .result-row").first).to_be_visible()
        self.shot(phone, "phone-results")

        console.get_by_role("button", name=f"Open: {RANK_ROUND}", exact=True).click()
        expect(phone.locator("#ballot[data-kind=rank]")).to_be_visible()
        for voter, (title, ups) in zip(voters, RANK_MOVES, strict=True):
            expect(voter.locator("#ballot[data-kind=rank]")).to_be_visible()
            up = voter.get_by_role("button", name=f"Move {title} up", exact=True)
            for _ in range(ups):
                up.click()
            voter.locator("#ballot button[type=submit]").click()
        for voter in voters:
            expect(voter.locator("#ballot-status")).to_have_attribute("data-state", "saved")
        phone.get_by_role("button", name=f"Move {RANK_MOVES[1][0]} up", exact=True).click()
        phone.get_by_role("button", name=f"Move {RANK_MOVES[2][0]} up", exact=True).click()
        phone.locator("#ballot button[type=submit]").click()
        expect(phone.locator("#ballot-status")).to_have_attribute("data-state", "saved")
        self.shot(phone, "phone-rank")

        console.get_by_role("button", name=f"Close: {RANK_ROUND}", exact=True).click()
        console.get_by_role("button", name=f"Reveal: {RANK_ROUND}", exact=True).click()
        expect(board.locator(".result-row").first).to_be_visible()
        expect(board.locator(".badge.closed")).to_be_visible()
        self.shot(board, "board-rank")

        console.get_by_role("link", name="Results", exact=True).last.click()
        expect(console.locator("table.results-table").first).to_be_visible()
        self.shot(console, "results")

        console.goto(f"/f/workshops/{self.workshop}/summary")
        self.shot(console, "summary")
        self.budget(console, board, phone, voters)

    def ideas(self, console: Page, desk: BrowserContext, phone: Page, voters: list[Page]) -> None:
        """The idea round: phones send ideas, the desk merges two and approves, the wall fills."""
        console.get_by_role("button", name=f"Open: {IDEAS_ROUND}", exact=True).click()
        for voter, (text, category) in zip(voters, IDEAS, strict=True):
            expect(voter.locator("#ballot[data-kind=ideas]")).to_be_visible()
            voter.get_by_label("Your idea", exact=True).fill(text)
            if category:
                voter.get_by_label("Category").select_option(label=category)
            voter.locator("#ballot button[type=submit]").click()
            expect(voter.locator("#ballot-status")).to_have_attribute("data-state", "saved")
        phone.get_by_label("Your idea", exact=True).fill("Bird boxes on the big trees")
        phone.get_by_label("Category").select_option(label="Green spaces")
        phone.locator("#ballot button[type=submit]").click()
        expect(phone.locator(".my-ideas li")).to_have_count(1)
        phone.get_by_label("Your idea", exact=True).fill("A bench that gets the sun")
        self.shot(phone, "phone-ideas")
        board = desk.new_page()
        board.goto(f"/f/workshops/{self.workshop}/board")
        rows = console.locator(".idea-desk [data-list=pending] .idea-row")
        expect(rows).to_have_count(len(IDEAS) + 1)
        tap = console.locator(".idea-desk")
        tap.get_by_label(f"Tick to merge: {IDEAS[0][0]}").check()
        tap.get_by_label(f"Tick to merge: {IDEAS[3][0]}").check()
        tap.get_by_role("button", name="Merge ticked ideas").click()
        expect(console.locator("#flash")).to_contain_text("Merged")
        for text in (IDEAS[0][0], IDEAS[1][0], IDEAS[4][0], "Bird boxes on the big trees"):
            tap.get_by_role("button", name=f"Approve: {text}", exact=True).click()
            expect(tap.locator(".idea-row[data-status=approved]", has_text=text)).to_be_visible()
        expect(board.locator(".idea-card")).to_have_count(4)
        self.shot(board, "board-ideas")
        console.locator(".idea-desk").scroll_into_view_if_needed()
        self.shot_element(console, ".idea-desk", "idea-desk")
        board.close()
        console.get_by_role("button", name=f"Close: {IDEAS_ROUND}", exact=True).click()
        expect(console.locator("#flash")).to_contain_text("is closed")

    def budget(self, console: Page, board: Page, phone: Page, voters: list[Page]) -> None:
        """The budget round: picks within £25,000, the meter, the funded set, paper entry."""
        console.goto(f"/f/workshops/{self.workshop}")
        console.get_by_role("button", name=f"Open: {BUDGET_ROUND}", exact=True).click()
        for voter, picks in zip(voters, PICKS, strict=True):
            expect(voter.locator("#ballot[data-kind=budget]")).to_be_visible()
            for start in picks:
                voter.locator(
                    ".pick", has=voter.locator(".h2", has_text=re.compile("^" + start))
                ).locator(".pick-box").check()
            voter.locator("#ballot button[type=submit]").click()
            expect(voter.locator("#ballot-status")).to_have_attribute("data-state", "saved")
        expect(phone.locator("#ballot[data-kind=budget]")).to_be_visible()
        for start in ("Fenced", "Benches"):
            phone.locator(
                ".pick", has=phone.locator(".h2", has_text=re.compile("^" + start))
            ).locator(".pick-box").check()
        expect(phone.locator("[data-left]")).to_contain_text("£7,000 left")
        self.shot(phone, "phone-budget")
        phone.locator("#ballot button[type=submit]").click()
        expect(phone.locator("#ballot-status")).to_have_attribute("data-state", "saved")
        expect(board.locator("[data-budget-line]")).to_be_visible()
        expect(board.locator("[data-voted]")).to_have_text("6")
        self.shot(board, "board-budget")
        console.get_by_role("link", name="Paper ballots", exact=True).click()
        console.get_by_label("Label on the sheet").fill("P1")
        for start in ("Brighter", "Secure"):
            console.locator(".paper-options label", has_text=start).locator("input").check()
        console.get_by_role("button", name="Count this ballot").click()
        expect(console.locator(".flash")).to_contain_text("counted")
        self.shot(console, "paper")
        console.goto(f"/f/workshops/{self.workshop}")
        console.get_by_role("button", name=f"Close: {BUDGET_ROUND}", exact=True).click()
        console.get_by_role("link", name="Results", exact=True).last.click()
        expect(console.locator("[data-budget-line]")).to_be_visible()
        self.shot(console, "results-budget")

    def shot_element(self, page: Page, selector: str, name: str) -> None:
        """A screenshot of one region (the console is long), at both sizes."""
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            path = self.out / f"{name}-{width}.png"
            page.locator(selector).screenshot(path=str(path), animations="disabled", caret="hide")
            self.saved.append(path)
        page.set_viewport_size({"width": 390, "height": 844})


def main(argv: list[str] | None = None, session_class: type = Session, doc: str = __doc__) -> int:
    """Run the demo, play ``session_class``'s screens in Chromium and save them; the plans
    script calls this with its own session."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument(
        "--public-url",
        default="https://vote.example.org",
        help="address shown on the QR codes and join sheets (the pages are read locally)",
    )
    args = parser.parse_args(argv)
    if not Path(args.chromium).exists():
        print(f"Chromium not found at {args.chromium}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        demo = Demo(str(Path(tmp) / "demo.sqlite3"), args.public_url)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=args.chromium, headless=True, args=LAUNCH_ARGS
                )
                try:
                    session = session_class(browser, demo, out)
                    session.run()
                except Exception:
                    print("".join(demo.lines[-60:]), file=sys.stderr)  # the server's side of it
                    raise
                finally:
                    browser.close()
        finally:
            demo.stop()
    for path in session.saved:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
