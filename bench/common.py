"""What the benches share: the server process, the facilitator's setup through the real forms,
phones and screens speaking exactly the browser's protocol, and the figures.

Times are on the perf_counter clock, which on Linux is the system-wide monotonic clock: times taken
in different processes of one machine can be compared directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import random
import re
import resource
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import websockets
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
USERNAME = "bench"
PASSWORD = "a long bench password"
OPTION_TITLES = (
    "More trees along the main path",
    "Community vegetable garden",
    "Covered bike storage",
    "Play area for younger children",
    "Benches and shade by the pond",
    "Better lighting at night",
)
ROUND_DOTS = 5
ROUND_CAP = 3

# Loopback is plain HTTP, but httpx builds a TLS context per client unless it is handed one.
TLS = ssl.create_default_context()
REVISION = re.compile(r'data-revision="(\d+)"')
BALLOTS = re.compile(r'data-ballots="(\d+)"')
STATUS_TAG = re.compile(r'<p id="ballot-status"[^>]*>')
ATTR = re.compile(r'(data-[a-z-]+)="([^"]*)"')


def now() -> float:
    return time.perf_counter()


def raise_open_files(wanted: int = 65_536) -> int:
    """Raise this process's open-file limit as far as allowed; children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# -- server process -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    if not match:
        raise RuntimeError("page has no CSRF token")
    return match.group(1)


def add_user(data_path: str) -> None:
    """Create the facilitator through the real command line (a SQLite file or a database URL)."""
    where = ("--database", data_path) if "://" in data_path else ("--data", data_path)
    subprocess.run(
        [
            *(sys.executable, "-m", "facilitation", "add-user", USERNAME, "--password-stdin"),
            *where,
        ],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
        cwd=ROOT,
        timeout=60,
    )


@dataclass
class ServerProcess:
    """A server in its own process on a free loopback port: `facilitation serve` unless `command`
    is given (a function of the port), with FACILITATION_* settings from `env`."""

    data_path: str
    log_path: str
    port: int = field(default_factory=free_port)
    push_interval: float | None = None
    env: dict[str, str] = field(default_factory=dict)
    command: list[str] | None = None
    proc: subprocess.Popen | None = None
    _log: object = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 20.0) -> None:
        env = {**os.environ, **self.env}
        if self.push_interval is not None:
            env["FACILITATION_PUSH_INTERVAL"] = str(self.push_interval)
        command = self.command or [
            *(sys.executable, "-m", "facilitation", "serve", "--host", HOST),
            *("--port", str(self.port), "--data", self.data_path, "--public-url", self.url),
        ]
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=ROOT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError("server did not start in time")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def cpu_seconds(self) -> float:
        """CPU time of the server and its worker processes, if it has any."""
        if not self.alive():
            return 0.0
        return tree_cpu_seconds(self.pid)

    def pids(self) -> list[int]:
        """The server's process and its worker processes, if it has any."""
        found = [self.pid]
        with contextlib.suppress(psutil.Error):
            found += [p.pid for p in psutil.Process(self.pid).children(recursive=True)]
        return found

    def rss(self) -> int:
        """Resident memory now of the server and its workers, in bytes."""
        if not self.alive():
            return 0
        total = 0
        for pid in self.pids():
            with contextlib.suppress(psutil.Error):
                total += psutil.Process(pid).memory_info().rss
        return total

    def peak_rss(self) -> int:
        """The most resident memory each process has had (VmHWM), summed, in bytes."""
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError, ValueError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) * 1024
        return total

    def reset_peak_rss(self) -> bool:
        """Start VmHWM afresh (Linux), so a peak reflects what follows, not the start-up."""
        done = False
        for pid in self.pids():
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")
                done = True
        return done

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        if self._log:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            text = Path(self.log_path).read_text(errors="replace")
            return "\n".join(text.splitlines()[-lines:])
        return ""


# -- the facilitator's setup through the real forms -----------------------------------------------


@dataclass
class Setup:
    workshop_id: int
    code: str
    round_id: int
    option_ids: list[int]
    cookie: str


async def set_up_workshop(base_url: str, options: int, title: str = "Bench: green spaces") -> Setup:
    """Sign in, create a workshop with options and a dot round, and open the round."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10, verify=TLS) as client:
        page = await client.get("/login")
        response = await client.post(
            "/login",
            data={
                "csrf": csrf_of(page.text),
                "username": USERNAME,
                "password": PASSWORD,
                "next": "/f",
            },
        )
        expect(response, 303, "login")
        token = csrf_of((await client.get("/f")).text)

        async def post(path: str, data: dict) -> httpx.Response:
            return await client.post(path, data={"csrf": token, **data})

        response = await post("/f/workshops", {"title": title, "date": "", "place": ""})
        expect(response, 303, "create workshop")
        workshop_id = int(response.headers["location"].rsplit("/", 1)[1])
        console = f"/f/workshops/{workshop_id}"
        code = re.search(r'class="code-big">([A-Z0-9]+)<', (await client.get(console)).text)[1]
        for i in range(options):
            option = OPTION_TITLES[i % len(OPTION_TITLES)] + (f" ({i + 1})" if i >= 6 else "")
            expect(
                await post(console + "/options", {"title": option, "description": ""}),
                303,
                "add option",
            )
        page = (await client.get(console)).text
        option_ids = [int(i) for i in re.findall(r'id="ot-(\d+)"', page)]
        response = await post(
            console + "/rounds",
            {
                "title": "Which should we do first?",
                "kind": "dots",
                "options": [str(o) for o in option_ids],
                "dots": str(ROUND_DOTS),
                "max_per_option": str(ROUND_CAP),
            },
        )
        expect(response, 303, "create round")
        page = (await client.get(console)).text
        round_id = max(int(i) for i in re.findall(r"/rounds/(\d+)/", page))
        expect(await post(f"{console}/rounds/{round_id}/open", {}), 303, "open round")
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        return Setup(workshop_id, code, round_id, option_ids, cookie)


def expect(response: httpx.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise RuntimeError(f"{what}: HTTP {response.status_code}: {response.text[:300]}")


# -- phones and screens ---------------------------------------------------------------------------


@dataclass
class Ballot:
    phone: int
    client_id: str
    dots: dict[int, int]
    workshop: int = 0
    sent_at: float = 0.0
    ack_at: float | None = None
    ack_revision: int | None = None
    error: str = ""


@dataclass
class Phone:
    index: int
    workshop: int = 0
    cookie: str = ""
    csrf: str = ""
    ws: websockets.ClientConnection | None = None
    reader: asyncio.Task | None = None
    ballots: list[Ballot] = field(default_factory=list)
    messages: int = 0
    stray: int = 0
    pushes: list[float] = field(default_factory=list)  # arrival of messages that are not acks


@dataclass
class Screen:
    """What one board (or console) received: (arrival, revision, ballots, bytes) per message."""

    label: str = "board"
    messages: list[tuple[float, int, int, int]] = field(default_factory=list)
    closed: str = ""


@dataclass
class Run:
    """Everything observed during one run, on the perf_counter clock."""

    ballots_by_client: dict[str, Ballot] = field(default_factory=dict)
    board: Screen = field(default_factory=Screen)
    phone_closed: int = 0
    closing: bool = False
    lag_max: float = 0.0
    lag_stalls: int = 0
    lags: list[float] = field(default_factory=list)
    probes: list[float] = field(default_factory=list)


async def join_phone(base_url: str, ws_url: str, code: str, phone: Phone, run: Run) -> None:
    """GET /, POST /join (answered with the workshop's page, as a browser gets it), then open
    the websocket with cookie and Origin."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30, verify=TLS) as client:
        home = await client.get("/")
        page = await client.post(
            "/join",
            data={"csrf": csrf_of(home.text), "code": code, "name": f"Resident {phone.index}"},
        )
        expect(page, 200, "join")
        phone.csrf = csrf_of(page.text)
        phone.cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    await open_phone_socket(
        f"{ws_url}/w/{code}/ws", {"Cookie": phone.cookie, "Origin": base_url}, phone, run
    )


async def open_phone_socket(url: str, headers: dict[str, str], phone: Phone, run: Run) -> None:
    """Open a phone's websocket as a browser does (no client pings), check its first stage."""
    phone.ws = await websockets.connect(
        url,
        additional_headers=headers,
        open_timeout=30,
        close_timeout=2,
        max_size=2**20,
        ping_interval=None,  # browsers answer the server's pings but send none of their own
        compression=None,
    )
    first = await asyncio.wait_for(phone.ws.recv(), 30)
    if 'id="ballot"' not in first:
        raise RuntimeError("phone's first stage has no ballot form: is the round open?")
    phone.reader = asyncio.create_task(read_phone(phone, run))


async def open_screen(url: str, headers: dict[str, str]) -> websockets.ClientConnection:
    """Open a board's or console's websocket as the browser does."""
    return await websockets.connect(
        url,
        additional_headers=headers,
        open_timeout=30,
        close_timeout=2,
        max_size=2**22,
        ping_interval=None,
        compression=None,
    )


def ballot_status(text: str) -> dict[str, str] | None:
    tag = STATUS_TAG.search(text)
    return dict(ATTR.findall(tag.group(0))) if tag else None


async def read_phone(phone: Phone, run: Run, max_messages: int = 10_000) -> None:
    assert phone.ws is not None
    try:
        for _ in range(max_messages):
            text = await phone.ws.recv()
            at = now()
            phone.messages += 1
            status = ballot_status(text) if isinstance(text, str) else None
            ballot = run.ballots_by_client.get(status.get("data-client-id", "")) if status else None
            if ballot is None:
                phone.stray += 1
                phone.pushes.append(at)
                continue
            if status.get("data-state") == "saved" and "data-revision" in status:
                ballot.ack_at = at
                ballot.ack_revision = int(status["data-revision"])
            else:
                ballot.error = re.sub(r"<[^>]+>|\s+", " ", text).strip()[:200]
    except ConnectionClosed:
        if not run.closing:
            run.phone_closed += 1


async def read_board(
    ws: websockets.ClientConnection,
    screen: Screen,
    closing: Callable[[], bool] = lambda: False,
    max_messages: int = 100_000,
) -> None:
    """Record every message a board or console screen receives, with its data-revision."""
    try:
        for _ in range(max_messages):
            text = await ws.recv()
            at = now()
            revision = REVISION.search(text)
            count = BALLOTS.search(text)
            screen.messages.append(
                (
                    at,
                    int(revision[1]) if revision else -1,
                    int(count[1]) if count else -1,
                    len(text),
                )
            )
    except ConnectionClosed as exc:
        if not closing():
            screen.closed = f"closed {exc.rcvd.code if exc.rcvd else '?'}"


async def watch_lag(run: Run, stop: asyncio.Event, tick: float = 0.01, limit: int = 1_000_000):
    """The bench's own event-loop lag, so a slow client is not mistaken for a slow server."""
    for _ in range(limit):
        start = now()
        await asyncio.sleep(tick)
        late = now() - start - tick
        run.lag_max = max(run.lag_max, late)
        run.lag_stalls += late > 0.05
        run.lags.append(late)
        if stop.is_set():
            return


async def probe_health(
    base_url: str, run: Run, stop: asyncio.Event, every: float = 0.1, limit: int = 10_000
) -> None:
    """GET /healthz on a kept-alive connection: how long the server's event loop takes to answer."""
    async with httpx.AsyncClient(base_url=base_url, timeout=5, verify=TLS) as client:
        for _ in range(limit):
            if stop.is_set():
                return
            start = now()
            with contextlib.suppress(httpx.HTTPError):
                await client.get("/healthz")
                run.probes.append(now() - start)
            await asyncio.sleep(every)


def random_dots(rng: random.Random, option_ids: list[int]) -> dict[int, int]:
    """Between one and all five dots, at most three on one option."""
    dots = dict.fromkeys(option_ids, 0)
    for _ in range(rng.randint(1, ROUND_DOTS)):
        choices = [o for o in option_ids if dots[o] < ROUND_CAP]
        dots[rng.choice(choices)] += 1
    return dots


def ballot_message(round_id: int, csrf: str, ballot: Ballot) -> str:
    """The JSON the htmx ws extension sends for the ballot form: every field, zeros included."""
    fields: dict = {
        "csrf": csrf,
        "action": "ballot",
        "round_id": str(round_id),
        "client_id": ballot.client_id,
    }
    for option_id, n in ballot.dots.items():
        fields[f"dots-{option_id}"] = str(n)
    fields["HEADERS"] = {
        "HX-Request": "true",
        "HX-Trigger": "ballot",
        "HX-Trigger-Name": None,
        "HX-Target": "live",
        "HX-Current-URL": "",
    }
    return json.dumps(fields)


# -- figures --------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary_ms(values: list[float]) -> dict:
    ms = [v * 1000 for v in values]
    return {
        "n": len(ms),
        "median": rnd(percentile(ms, 50)),
        "p95": rnd(percentile(ms, 95)),
        "p99": rnd(percentile(ms, 99)),
        "max": rnd(max(ms) if ms else None),
    }


def rnd(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def max_per_window(times: list[float], window: float = 1.0) -> int:
    """The most events in any window of the given length (times in ascending order)."""
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children now alive."""
    total = 0.0
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        for proc in (root, *root.children(recursive=True)):
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
    return total


def read_rows(data_path: str, sql: str, params: list) -> list[tuple]:
    """Rows of a query on the bench's database: a SQLite file or a PostgreSQL URL."""
    if "://" not in data_path:
        db = sqlite3.connect(data_path)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()
    import asyncpg

    from facilitation.storage.postgres import placeholders

    async def fetch() -> list[tuple]:
        conn = await asyncpg.connect(data_path)
        try:
            return [tuple(r) for r in await conn.fetch(placeholders(sql), *params)]
        finally:
            await conn.close()

    result: list[list[tuple]] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(fetch())))
    thread.start()
    thread.join(120)
    return result[0]


def check_database(data_path: str, round_ids: list[int], ballots: list[Ballot]) -> dict:
    """Every acknowledged ballot must be recorded once, and each phone's last one must be its
    ballot. Phones are told apart by Ballot.phone, which must be unique across the rounds."""
    marks = ",".join("?" * len(round_ids))
    ((stored,),) = read_rows(
        data_path, f"SELECT COUNT(*) FROM ballots WHERE round_id IN ({marks})", round_ids
    )
    rows = {
        pid: (json.loads(payload), revision)
        for pid, payload, revision in read_rows(
            data_path,
            f"SELECT participant_id, payload, revision FROM ballots WHERE round_id IN ({marks})",
            round_ids,
        )
    }
    submissions: dict[str, tuple[int, int]] = {}
    duplicates = 0
    for pid, cid, revision in read_rows(
        data_path,
        f"SELECT participant_id, client_id, revision FROM submissions WHERE round_id IN ({marks})",
        round_ids,
    ):
        duplicates += cid in submissions
        submissions[cid] = (pid, revision)
    acked = [b for b in ballots if b.ack_revision is not None]
    sent = {b.client_id for b in ballots if b.sent_at}
    missing_submission = [
        b for b in acked if submissions.get(b.client_id, (0, -1))[1] != b.ack_revision
    ]
    by_phone: dict[int, list[Ballot]] = {}
    for b in acked:
        by_phone.setdefault(b.phone, []).append(b)
    missing, mismatched = 0, 0
    for phone_ballots in by_phone.values():
        last = max(phone_ballots, key=lambda b: b.ack_revision or 0)
        pid = submissions.get(last.client_id, (None, 0))[0]
        row = rows.get(pid)
        if row is None or row[1] < (last.ack_revision or 0):
            missing += 1
        elif row[1] == last.ack_revision:
            expected = {str(k): v for k, v in sorted(last.dots.items()) if v}
            if row[0].get("dots") != expected:
                mismatched += 1
    return {
        "stored": stored,
        "submissions": sum(1 for cid in submissions if cid in sent),
        "duplicates": duplicates,
        "phones_acked": len(by_phone),
        "missing_submissions": len(missing_submission),
        "missing_latest": missing,
        "mismatched_latest": mismatched,
    }
