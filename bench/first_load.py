"""A phone's first visit on an empty cache: the bytes that cross the network to show the join page
and then the ballot, in Debian's Chromium.

It starts `python -m facilitation demo` from a source tree (this one, or another checkout given
with --root, to compare two versions) on a free 127.0.0.1 port with a throwaway database, opens
the demo's dot-voting round through the facilitator's sign-in and console form, then, in a fresh
headless Chromium profile (so nothing is cached), opens the join link, joins, skips the "About
you" questions and waits for the ballot. Every response is counted by what Chromium reports for
it over the DevTools protocol (Network.loadingFinished's encodedDataLength: the bytes received,
headers included, compressed if they were sent compressed). Then it opens the ballot page once
more, as a phone does when it comes back, and counts that visit too. The websocket's own
traffic is not counted: it starts once the page has loaded, and is the same in both versions.

    .venv/bin/python bench/first_load.py
    .venv/bin/python bench/first_load.py --root /tmp/older-checkout --json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
PAGE_KINDS = ("Document", "Script", "Stylesheet")
TIMEOUT = 30.0  # seconds for any one step


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Demo:
    url: str
    code: str
    password: str
    workshop_id: int
    data_path: str


@contextlib.contextmanager
def demo_server(root: Path, workdir: Path) -> Iterator[Demo]:
    """`facilitation demo` from ``root``, until the block ends."""
    port = free_port()
    url = f"http://{HOST}:{port}"
    data = str(workdir / "demo.sqlite3")
    log_path = workdir / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACILITATION_")}
    env["PYTHONPATH"] = str(root)  # the tree under test, whatever the virtualenv points at
    command = [sys.executable, "-m", "facilitation", "demo", "--host", HOST, "--port", str(port)]
    command += ["--data", data, "--public-url", url]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited:\n{log_path.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start in time")
            time.sleep(0.1)
        printed = log_path.read_text()
        yield Demo(
            url,
            re.search(r"Join code\s+(\w+)", printed)[1],
            re.search(r"password: (\S+)", printed)[1],
            int(re.search(r"/f/workshops/(\d+)/board", printed)[1]),
            data,
        )
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]


def open_dot_round(demo: Demo) -> None:
    """Sign in as the demo facilitator and open the demo's dot-voting round."""
    with contextlib.closing(sqlite3.connect(f"file:{demo.data_path}?mode=ro", uri=True)) as db:
        (round_id,) = db.execute(
            "SELECT id FROM rounds WHERE workshop_id = ? AND kind = 'dots'", (demo.workshop_id,)
        ).fetchone()
    with httpx.Client(base_url=demo.url, timeout=TIMEOUT) as client:
        login = client.get("/login")
        signed_in = client.post(
            "/login",
            data={"csrf": csrf_of(login.text), "username": "demo", "password": demo.password},
        )
        assert signed_in.status_code == 303, signed_in.text[:300]
        console = f"/f/workshops/{demo.workshop_id}"
        token = csrf_of(client.get(console).text)
        opened = client.post(f"{console}/rounds/{round_id}/open", data={"csrf": token})
        assert opened.status_code == 303, opened.text[:300]


@dataclass
class Transfer:
    visit: str
    path: str
    kind: str
    status: str  # the HTTP status, or "cache" for a response Chromium took from its cache
    encoding: str
    size: int


@dataclass
class Recorder:
    """What Chromium fetched over the network, from its DevTools events."""

    visit: str = ""
    responses: dict[str, tuple[str, str, str, str, str]] = field(default_factory=dict)
    cached: set[str] = field(default_factory=set)
    transfers: list[Transfer] = field(default_factory=list)

    def on_request(self, event: dict) -> None:
        redirect = event.get("redirectResponse")
        if redirect:  # a redirect's own response (after a form post) never "finishes loading"
            path = urlsplit(redirect["url"]).path
            size = int(redirect.get("encodedDataLength", 0))
            self.transfers.append(
                Transfer(self.visit, path, event.get("type", "Other"), str(redirect["status"]),
                         "", size)
            )  # fmt: skip

    def on_cached(self, event: dict) -> None:
        self.cached.add(event["requestId"])

    def on_response(self, event: dict) -> None:
        response = event["response"]
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        from_cache = response.get("fromDiskCache") or event["requestId"] in self.cached
        self.responses[event["requestId"]] = (
            self.visit,
            urlsplit(response["url"]).path,
            "cache" if from_cache else str(response["status"]),
            event.get("type", "Other"),
            headers.get("content-encoding", ""),
        )

    def on_finished(self, event: dict) -> None:
        known = self.responses.pop(event["requestId"], None)
        if known is None or not known[1]:
            return
        visit, path, status, kind, encoding = known
        size = 0 if status == "cache" else int(event["encodedDataLength"])
        self.transfers.append(Transfer(visit, path, kind, status, encoding, size))


def journey(page: Page, demo: Demo, recorder: Recorder) -> None:
    """Join by the link, skip the questions, wait for the ballot; then come back to it."""
    timeout = TIMEOUT * 1000
    recorder.visit = "first"
    page.goto(f"{demo.url}/w/{demo.code}", wait_until="load", timeout=timeout)
    page.get_by_label(re.compile("first name", re.I)).fill("Ann")
    page.get_by_role("button", name=re.compile("Join the workshop")).click()
    page.wait_for_load_state("load", timeout=timeout)
    skip = page.get_by_role("button", name=re.compile("^Skip$"))
    if skip.count():
        skip.click()
    page.wait_for_url(re.compile(rf"/w/{demo.code}$"), timeout=timeout)
    page.locator("#ballot").wait_for(state="visible", timeout=timeout)
    page.wait_for_load_state("networkidle", timeout=timeout)
    recorder.visit = "again"
    page.goto(f"{demo.url}/w/{demo.code}", wait_until="load", timeout=timeout)
    page.locator("#ballot").wait_for(state="visible", timeout=timeout)
    page.wait_for_load_state("networkidle", timeout=timeout)


def measure(root: Path) -> list[Transfer]:
    with (
        tempfile.TemporaryDirectory(prefix="first-load-") as tmp,
        demo_server(root, Path(tmp)) as demo,
    ):
        open_dot_round(demo)
        recorder = Recorder()
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                context = browser.new_context(viewport=PHONE)  # a fresh profile: empty cache
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.on("Network.requestWillBeSent", recorder.on_request)
                cdp.on("Network.requestServedFromCache", recorder.on_cached)
                cdp.on("Network.responseReceived", recorder.on_response)
                cdp.on("Network.loadingFinished", recorder.on_finished)
                cdp.send("Network.enable")
                journey(page, demo, recorder)
                context.close()
            finally:
                browser.close()
        return recorder.transfers


def report(transfers: list[Transfer], root: Path) -> dict:
    print(f"source tree: {root}")
    print(f"{'visit':6} {'status':>6} {'type':11} {'enc':5} {'bytes':>8}  resource")
    for t in transfers:
        print(f"{t.visit:6} {t.status:>6} {t.kind:11} {t.encoding or '-':5} {t.size:>8}  {t.path}")

    def total(visit: str, kinds: tuple[str, ...] | None = None) -> int:
        return sum(
            t.size for t in transfers if t.visit == visit and (kinds is None or t.kind in kinds)
        )

    def requests(visit: str) -> int:
        return sum(t.visit == visit and t.status != "cache" for t in transfers)

    figures = {
        "first_visit_page_scripts_styles_bytes": total("first", PAGE_KINDS),
        "first_visit_all_bytes": total("first"),
        "first_visit_requests": requests("first"),
        "coming_back_bytes": total("again"),
        "coming_back_requests": requests("again"),
    }
    print()
    for name, value in figures.items():
        print(f"{name:40} {value:>8}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="source tree to serve")
    parser.add_argument("--json", action="store_true", help="end with the figures as JSON")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is needed (apt-get install chromium)", file=sys.stderr)
        return 2
    figures = report(measure(args.root.resolve()), args.root.resolve())
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
