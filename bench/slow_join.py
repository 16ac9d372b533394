"""How long a phone on a weak signal waits between pressing Join and a ballot it can use, and the
bytes its first visit costs, in Debian's Chromium with the DevTools network emulation.

It starts `python -m facilitation demo` from a source tree (as bench/first_load.py does), then,
through the facilitator's sign-in and console forms, adds a second workshop that asks no "About
you" questions ("Join speed": three options and an open dot round), so that pressing Join leads
straight to the ballot. For each run, a fresh Chromium profile (an empty cache) on an emulated
link of 400 kbit/s each way with 400 ms of latency opens the join link, waits for the join page to
load, presses Join, and takes these times from the press:

- **usable**: the ballot page's DOMContentLoaded handlers have run (so every script it loads,
  deferred, has run and the ballot answers taps) and the ballot is on screen;
- **live**: the badge says Connected (the page's websocket is open);
- the same two with nothing in the cache when Join is pressed ("cold"): the join page is loaded
  with every script and style refused, as when Join is pressed before they have arrived, so the
  ballot page must fetch them all;
- on the demo workshop, which asks "About you" first: Join to the questions, and Skip to the
  ballot.

It also counts the bytes of the first visit (join page, ballot page, scripts and styles, as
Chromium reports them over the DevTools protocol; see bench/first_load.py), and prints the
median of the runs.

    .venv/bin/python bench/slow_join.py
    .venv/bin/python bench/slow_join.py --runs 5 --root /tmp/older-checkout --json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from first_load import (
    CHROMIUM,
    PAGE_KINDS,
    PHONE,
    ROOT,
    TIMEOUT,
    Demo,
    Recorder,
    csrf_of,
    demo_server,
    open_dot_round,
)
from playwright.sync_api import BrowserContext, sync_playwright

# The link: 400 kbit/s is 50,000 bytes a second; DevTools adds the latency to every request.
LINK = {"offline": False, "latency": 400, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
# Set in every page before its own scripts: when its badge first said Connected (epoch ms).
MARK_LIVE = """
new MutationObserver(function () {
  var conn = document.getElementById("conn");
  if (!window.__liveAt && conn && conn.dataset.state === "online") { window.__liveAt = Date.now(); }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-state"] });
"""
DONE_LOADING = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  return nav && nav.domContentLoadedEventEnd > 0 && document.querySelector("%s") !== null;
}"""
USABLE_AT = """() => performance.timeOrigin
  + performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd"""


@dataclass
class Run:
    usable_ms: float
    live_ms: float
    cold_usable_ms: float
    cold_live_ms: float
    first_visit_bytes: int
    about_ms: float
    skip_to_ballot_ms: float


def quiet_workshop(demo: Demo) -> str:
    """A workshop with no "About you" questions and an open dot round; returns its code."""
    with httpx.Client(base_url=demo.url, timeout=TIMEOUT) as client:
        login = client.get("/login")
        client.post(
            "/login",
            data={"csrf": csrf_of(login.text), "username": "demo", "password": demo.password},
        )
        token = csrf_of(client.get("/f").text)
        made = client.post("/f/workshops", data={"csrf": token, "title": "Join speed"})
        console = made.headers["location"]
        for title in ("More trees", "Covered bike storage", "Benches by the pond"):
            client.post(console + "/options", data={"csrf": token, "title": title})
        page = client.get(console).text
        options = re.findall(r'id="ot-(\d+)"', page)
        client.post(
            console + "/rounds",
            data={"csrf": token, "title": "Which matter most?", "kind": "dots", "options": options},
        )
        page = client.get(console).text
        round_id = max(int(i) for i in re.findall(r"/rounds/(\d+)/", page))
        opened = client.post(f"{console}/rounds/{round_id}/open", data={"csrf": token})
        assert opened.status_code == 303, opened.text[:300]
        return re.search(r'class="code-big">([A-Z0-9]+)<', page)[1]


def slow_context(browser) -> BrowserContext:
    context = browser.new_context(viewport=PHONE)  # a fresh profile: an empty cache
    context.add_init_script(MARK_LIVE)
    return context


def wait_usable(page, selector: str) -> float:
    """Epoch ms at which the page's scripts had all run, once ``selector`` is on it."""
    page.wait_for_function(DONE_LOADING % selector, timeout=TIMEOUT * 1000, polling=20)
    return page.evaluate(USABLE_AT)


def join_run(browser, url: str, code: str, cold: bool) -> tuple[float, float, int]:
    """Join a workshop without questions: (usable ms, live ms, first-visit bytes)."""
    context = slow_context(browser)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        recorder = Recorder(visit="first")
        cdp.on("Network.requestWillBeSent", recorder.on_request)
        cdp.on("Network.requestServedFromCache", recorder.on_cached)
        cdp.on("Network.responseReceived", recorder.on_response)
        cdp.on("Network.loadingFinished", recorder.on_finished)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", LINK)
        if cold:
            page.route("**/static/**", lambda route: route.abort())
        page.goto(f"{url}/w/{code}", wait_until="load", timeout=TIMEOUT * 1000)
        if cold:
            page.unroute("**/static/**")
        button = page.get_by_role("button", name=re.compile("Join the workshop"))
        pressed = time.time() * 1000
        button.click()
        usable = wait_usable(page, "#ballot")
        page.wait_for_function("() => window.__liveAt", timeout=TIMEOUT * 1000, polling=20)
        live = page.evaluate("window.__liveAt")
        page.wait_for_load_state("networkidle", timeout=TIMEOUT * 1000)
        sent = sum(t.size for t in recorder.transfers if t.kind in PAGE_KINDS)
        return usable - pressed, live - pressed, sent
    finally:
        context.close()


def about_run(browser, demo: Demo) -> tuple[float, float]:
    """Join the demo workshop, which asks "About you": (Join to the questions, Skip to ballot)."""
    context = slow_context(browser)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", LINK)
        page.goto(f"{demo.url}/w/{demo.code}", wait_until="load", timeout=TIMEOUT * 1000)
        pressed = time.time() * 1000
        page.get_by_role("button", name=re.compile("Join the workshop")).click()
        page.wait_for_url(re.compile("/about"), timeout=TIMEOUT * 1000)
        about = wait_usable(page, "button[value=skip]") - pressed
        skipped = time.time() * 1000
        page.get_by_role("button", name=re.compile("^Skip$")).click()
        page.wait_for_url(re.compile(rf"/w/{demo.code}$"), timeout=TIMEOUT * 1000)
        ballot = wait_usable(page, "#ballot") - skipped
        return about, ballot
    finally:
        context.close()


def measure(root: Path, runs: int) -> list[Run]:
    results = []
    with (
        tempfile.TemporaryDirectory(prefix="slow-join-") as tmp,
        demo_server(root, Path(tmp)) as demo,
    ):
        open_dot_round(demo)
        code = quiet_workshop(demo)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                for _ in range(runs):
                    usable, live, sent = join_run(browser, demo.url, code, cold=False)
                    cold_usable, cold_live, _sent = join_run(browser, demo.url, code, cold=True)
                    about, skip = about_run(browser, demo)
                    results.append(Run(usable, live, cold_usable, cold_live, sent, about, skip))
            finally:
                browser.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="source tree to serve")
    parser.add_argument("--runs", type=int, default=3, help="runs, each on a fresh profile")
    parser.add_argument("--json", action="store_true", help="end with the figures as JSON")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is needed (apt-get install chromium)", file=sys.stderr)
        return 2
    runs = measure(args.root.resolve(), max(1, min(args.runs, 20)))
    print(f"source tree: {args.root.resolve()}")
    print("link: 400 kbit/s down and up, 400 ms latency; empty cache each run")
    print(
        f"{'run':>3} {'usable':>7} {'live':>6} {'cold usable':>11} {'cold live':>9}"
        f" {'bytes':>7} {'about':>6} {'skip':>6}   (times in ms from the press)"
    )
    for i, r in enumerate(runs, 1):
        print(
            f"{i:>3} {r.usable_ms:>7.0f} {r.live_ms:>6.0f} {r.cold_usable_ms:>11.0f}"
            f" {r.cold_live_ms:>9.0f} {r.first_visit_bytes:>7} {r.about_ms:>6.0f}"
            f" {r.skip_to_ballot_ms:>6.0f}"
        )
    figures = {
        "join_to_usable_ms": round(statistics.median(r.usable_ms for r in runs)),
        "join_to_live_ms": round(statistics.median(r.live_ms for r in runs)),
        "cold_join_to_usable_ms": round(statistics.median(r.cold_usable_ms for r in runs)),
        "cold_join_to_live_ms": round(statistics.median(r.cold_live_ms for r in runs)),
        "first_visit_page_scripts_styles_bytes": max(r.first_visit_bytes for r in runs),
        "join_to_about_ms": round(statistics.median(r.about_ms for r in runs)),
        "skip_to_ballot_ms": round(statistics.median(r.skip_to_ballot_ms for r in runs)),
    }
    print()
    for name, value in figures.items():
        print(f"{name:40} {value:>8}")
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
