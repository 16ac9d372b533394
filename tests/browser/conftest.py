"""Chromium journeys: Debian's Chromium driven by Playwright against a real server process.

People in these tests act through the pages themselves: a FacilitatorUI signs in and clicks through
the console, a PhoneUI types the join code on the home page and taps the ballot, a BoardUI watches
the projected board. Every wait is one of Playwright's auto-waiting expect() assertions.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.helpers import PASSWORD, Server, add_user

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
BOARD = {"width": 1920, "height": 1080}
DESK = {"width": 1280, "height": 900}
WAIT = 15_000  # ms: generous for a loaded machine, never spent when things work

expect.set_options(timeout=WAIT)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is required for the browser tests but {CHROMIUM} does not exist. "
            "Install Debian's package (apt-get install chromium); the tests never download one.",
            pytrace=False,
        )
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
    yield browser
    browser.close()


def _close_output(server: Server) -> None:
    if server.proc and server.proc.stdout and not server.proc.stdout.closed:
        server.proc.stdout.close()


def restart(server: Server, while_down: Callable[[], None] | None = None) -> None:
    """Stop the server with SIGTERM, run while_down(), then start it on the same port and data."""
    server.stop()
    _close_output(server)
    if while_down:
        while_down()
    server.start()


@pytest.fixture
def new_context(browser: Browser, server: Server) -> Iterator[Callable[..., BrowserContext]]:
    """Make browser contexts (each its own cookie jar: one device) aimed at the test server."""
    made: list[BrowserContext] = []

    def make(viewport: dict | None = None, **options) -> BrowserContext:
        options.setdefault("locale", "en-GB")
        context = browser.new_context(base_url=server.url, viewport=viewport or PHONE, **options)
        context.set_default_timeout(WAIT)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


class FacilitatorUI:
    """The facilitator at a laptop: signs in and runs the workshop from the console."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.page = context.new_page()
        self.workshop_id = 0
        self.code = ""

    def sign_in(self, username: str = "facilitator", password: str = PASSWORD) -> None:
        page = self.page
        page.goto("/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/f$"))

    def create_workshop(self, title: str) -> str:
        page = self.page
        page.get_by_label("Title").fill(title)
        page.get_by_role("button", name="Create workshop").click()
        expect(page).to_have_url(re.compile(r"/f/workshops/\d+$"))
        self.workshop_id = int(page.url.rsplit("/", 1)[1])
        self.code = page.locator(".code-big").inner_text().strip()
        return self.code

    @property
    def base(self) -> str:
        return f"/f/workshops/{self.workshop_id}"

    def add_options(self, *titles: str) -> dict[str, int]:
        page = self.page
        rows = page.locator(".options-admin .option-row")
        for title in titles:
            before = rows.count()
            page.get_by_label("New option").fill(title)
            page.get_by_role("button", name="Add option").click()
            expect(rows).to_have_count(before + 1)
        return self.option_ids()

    def option_ids(self) -> dict[str, int]:
        pairs = self.page.eval_on_selector_all(
            ".options-admin input[id^='ot-']", "els => els.map(e => [e.value, e.id.slice(3)])"
        )
        return {title: int(oid) for title, oid in pairs}

    def create_round(
        self,
        title: str,
        kind: str = "dots",
        options: list[str] | None = None,
        dots: int | None = None,
        cap: int | None = None,
        top_k: int | None = None,
        hidden: bool = False,
        categories: str | None = None,
        budget: int | None = None,
    ) -> int:
        """Fill the console's new-round form; returns the new round's id."""
        page = self.page
        rows = page.locator(".rounds .round-row")
        before = rows.count()
        details = page.locator("details.new-round")
        if details.get_attribute("open") is None:
            details.locator(":scope > summary").click()
        form = details.locator("form")
        form.get_by_label("Round title").fill(title)
        form.locator(f"input[name=kind][value={kind}]").check()
        if options is not None:
            for box in form.locator("input[name=options]").all():
                label = box.locator("xpath=..").inner_text().strip()
                box.set_checked(label in options)
        if dots is not None:
            form.get_by_label("Dots per person").fill(str(dots))
        if cap is not None:
            form.get_by_label("Most dots on one option").fill(str(cap))
        if top_k is not None:
            form.get_by_label("How many to rank").fill(str(top_k))
        if categories is not None:
            form.get_by_label("Idea categories").fill(categories)
        if budget is not None:
            form.locator("input[name=budget]").fill(str(budget))
        form.get_by_label("Hide results until I reveal them").set_checked(hidden)
        form.get_by_role("button", name="Create round").click()
        expect(rows).to_have_count(before + 1)
        href = rows.last.get_by_role("link", name=f"Edit: {title}").get_attribute("href")
        return int(re.search(r"/rounds/(\d+)/edit", href).group(1))

    def act(self, action: str, title: str) -> None:
        """Press a round's button in the rounds list (Open, Close, Reveal ...)."""
        self.page.get_by_role("button", name=f"{action}: {title}", exact=True).click()

    def open_round(self, title: str) -> None:
        self.act("Open", title)
        expect(self.page.locator("#flash")).to_contain_text("is open")

    def close_round(self, title: str) -> None:
        self.act("Close", title)
        expect(self.page.locator("#flash")).to_contain_text("is closed")

    def reveal(self, title: str) -> None:
        self.act("Reveal", title)
        expect(self.page.locator("#flash")).to_contain_text("shown to the room")

    def results_csv(self) -> list[dict[str, str]]:
        response = self.context.request.get(f"{self.base}/export/results.csv")
        assert response.ok, response.status
        assert response.headers["content-type"].startswith("text/csv")
        return list(csv.DictReader(io.StringIO(response.text().lstrip("\ufeff"))))

    def csv_scores(self, round_id: int, method: str) -> dict[int, float]:
        return {
            int(row["option_id"]): float(row["score"])
            for row in self.results_csv()
            if row["round_id"] == str(round_id) and row["method"] == method
        }

    def results_page(self, round_id: int) -> Page:
        page = self.context.new_page()
        page.goto(f"{self.base}/rounds/{round_id}")
        return page

    def open_board(self) -> BoardUI:
        page = self.context.new_page()
        page.set_viewport_size(BOARD)
        page.goto(f"{self.base}/board")
        board = BoardUI(page)
        board.wait_online()
        return board


class BoardUI:
    """The projected live board."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def wait_online(self) -> None:
        expect(self.page.locator("#conn")).to_have_attribute("data-state", "online")

    def row(self, option_id: int):
        return self.page.locator(f".result-row[data-option='{option_id}']")

    def expect_scores(self, scores: dict[int, int | float]) -> None:
        for option_id, score in scores.items():
            expect(self.row(option_id)).to_have_attribute("data-score", _number(score))


class PhoneUI:
    """A resident's phone: joins by typing the code, then follows the room and votes."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.page = context.new_page()

    def join(self, code: str, name: str = "") -> PhoneUI:
        page = self.page
        page.goto("/")
        page.get_by_label("Workshop code").fill(code.lower())
        if name:
            page.get_by_label("Your first name").fill(name)
        page.get_by_role("button", name="Join", exact=True).click()
        expect(page).to_have_url(re.compile(rf"/w/{code}$"))
        self.wait_online()
        return self

    @property
    def conn(self):
        return self.page.locator("#conn")

    @property
    def status(self):
        return self.page.locator("#ballot-status")

    @property
    def stage(self):
        return self.page.locator("[data-stage]")

    def wait_online(self) -> None:
        expect(self.conn).to_have_attribute("data-state", "online")
        expect(self.conn).to_have_text("Connected")

    def wait_ballot(self, kind: str) -> None:
        expect(self.page.locator(f"#ballot[data-kind='{kind}']")).to_be_visible()

    def count(self, option_id: int):
        return self.page.locator(f"input[name='dots-{option_id}']")

    def plus(self, title: str):
        return self.page.get_by_role("button", name=f"One more dot for {title}", exact=True)

    def minus(self, title: str):
        return self.page.get_by_role("button", name=f"One dot fewer for {title}", exact=True)

    def tap(self, title: str, times: int = 1, more: bool = True, force: bool = False) -> None:
        button = self.plus(title) if more else self.minus(title)
        for _ in range(times):
            button.click(force=force)  # force: tap a button marked aria-disabled, as a finger can

    def place_dots(self, dots: dict[str, int]) -> None:
        for title, n in dots.items():
            self.tap(title, n)

    def send(self) -> None:
        self.page.locator("#ballot button[type=submit]").click()

    def expect_saved(self) -> None:
        expect(self.status).to_have_attribute("data-state", "saved")
        expect(self.status).to_contain_text("Saved")

    def move(self, title: str, direction: str, times: int = 1) -> None:
        button = self.page.get_by_role("button", name=f"Move {title} {direction}", exact=True)
        for _ in range(times):
            button.click()

    def drag(self, title: str, to_title: str) -> None:
        """Drag an option by its handle with the mouse onto the top half of another option."""
        page = self.page
        item = page.locator(".rank-item", has=page.get_by_role("heading", name=title, exact=True))
        target = page.locator(
            ".rank-item", has=page.get_by_role("heading", name=to_title, exact=True)
        )
        handle = item.locator(".handle").bounding_box()
        box = target.bounding_box()
        assert handle and box
        page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 4, steps=8)
        page.mouse.up()

    def titles(self) -> list[str]:
        """The ranking ballot's options as listed now, top first."""
        return self.page.eval_on_selector_all(
            "[data-ranking] .rank-item h2", "els => els.map(e => e.textContent)"
        )

    def arrange(self, titles: list[str]) -> None:
        """Put the options in this order with the arrow buttons, starting from whatever order
        this phone was given (every phone lists them in a shuffled order of its own)."""
        for i, title in enumerate(titles):
            j = self.titles().index(title)
            if j > i:
                self.move(title, "up", j - i)
        assert self.titles()[: len(titles)] == titles

    def ranking(self) -> list[int]:
        return [
            int(i)
            for i in self.page.eval_on_selector_all(
                "[data-ranking] .rank-item", "els => els.map(e => e.dataset.option)"
            )
        ]

    def expect_ranking(self, option_ids: list[int]) -> None:
        items = self.page.locator("[data-ranking] .rank-item")
        expect(items).to_have_count(len(option_ids))
        for i, option_id in enumerate(option_ids):
            expect(items.nth(i)).to_have_attribute("data-option", str(option_id))

    def expect_closed(self) -> None:
        expect(self.stage).to_have_attribute("data-status", "closed")
        expect(self.stage).to_contain_text("Voting has closed")

    def result_scores(self) -> dict[int, str]:
        rows = self.page.locator("[data-stage] .result-row")
        return {
            int(r.get_attribute("data-option")): r.get_attribute("data-score") for r in rows.all()
        }


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def table_scores(page: Page, caption: str) -> dict[int, str]:
    """Option id -> score column of a results page table with this caption."""
    table = page.locator("table.results-table", has=page.locator("caption", has_text=caption))
    expect(table).to_be_visible()
    scores = {}
    for row in table.locator("tbody tr").all():
        scores[int(row.get_attribute("data-option"))] = row.locator("td").nth(2).inner_text()
    return scores


@pytest.fixture
def facilitator_ui(new_context) -> FacilitatorUI:
    person = FacilitatorUI(new_context(DESK))
    person.sign_in()
    return person


@pytest.fixture
def phones(new_context) -> Callable[[int], list[PhoneUI]]:
    """phones(n): n phones, each in its own browser context (its own cookies), not yet joined."""

    def make(n: int) -> list[PhoneUI]:
        return [PhoneUI(new_context(PHONE)) for _ in range(n)]

    return make


@pytest.fixture
def tools():
    """Small functions the journeys share, without importing from a conftest."""

    class Tools:
        table_scores = staticmethod(table_scores)
        restart = staticmethod(restart)

    return Tools


class Showroom:
    """A prepared room for looking at pages: one workshop with a dot round open and a vote in,
    another with a top-2 ranking round open, each joined by one phone."""

    def __init__(self, server: Server, browser: Browser) -> None:
        self.server = server
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.facilitator = FacilitatorUI(self.context(DESK))
        self.facilitator.sign_in()
        f = self.facilitator
        self.dots_code = f.create_workshop("Phoenix Place green spaces")
        self.dots_workshop = f.workshop_id
        f.add_options("Benches in the courtyard", "Brighter path lighting", "Food-growing beds")
        f.create_round("Which ideas matter most?", "dots", dots=5, cap=3)
        f.open_round("Which ideas matter most?")
        self.dots_phone = PhoneUI(self.context(PHONE)).join(self.dots_code)
        self.dots_phone.wait_ballot("dots")
        self.dots_phone.tap("Benches in the courtyard", 2)
        self.dots_phone.send()
        self.dots_phone.expect_saved()

        f.page.goto("/f")
        self.rank_code = f.create_workshop("Riverside Court bins and bikes")
        self.rank_workshop = f.workshop_id
        f.add_options("Secure cycle storage", "Screen the bin stores", "Wildflower meadow")
        f.create_round("Put your top two in order", "rank", top_k=2)
        f.open_round("Put your top two in order")
        self.rank_phone = PhoneUI(self.context(PHONE)).join(self.rank_code)
        self.rank_phone.wait_ballot("rank")

    def context(self, viewport: dict, locale: str = "en-GB") -> BrowserContext:
        context = self.browser.new_context(
            base_url=self.server.url, viewport=viewport, locale=locale
        )
        context.set_default_timeout(WAIT)
        self.contexts.append(context)
        return context

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture(scope="package")
def showroom(browser: Browser, tmp_path_factory) -> Iterator[Showroom]:
    """One server and room shared by the tests that only look at pages and change nothing."""
    data = str(tmp_path_factory.mktemp("room") / "room.sqlite3")
    add_user(data)
    server = Server(data).start()
    try:
        prepared = Showroom(server, browser)
        yield prepared
        prepared.close()
    finally:
        server.stop()
        _close_output(server)


def no_serious_axe_violations(page: Page, name: str) -> None:
    """Fail on any serious or critical finding of an axe scan of the page."""
    found = Axe().run(page).response["violations"]
    blocking = [f"{v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")]
    assert not blocking, f"axe found on {name}: {blocking}"


def no_axe_violations(page: Page, name: str) -> None:
    """Fail on any finding of an axe scan of the page, whatever its impact."""
    found = Axe().run(page).response["violations"]
    lines = [
        f"[{v['impact']}] {v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:5]]}"
        for v in found
    ]
    assert not lines, f"axe found on {name}:\n" + "\n".join(lines)


def wait_until(page: Page, expression: str) -> None:
    """Wait until a JavaScript expression holds in the page. Playwright's wait_for_function
    evaluates its predicate with eval in the page, which the Content-Security-Policy refuses."""
    deadline = time.monotonic() + WAIT / 1000
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"not within {WAIT / 1000:.0f} s: {expression}"
        page.wait_for_timeout(50)  # the interval between two looks, not the wait itself
