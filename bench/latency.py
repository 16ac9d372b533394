"""Live-room latency bench: a real server, one projected board and many phones voting at once.

Starts `python -m facilitation serve` on a free loopback port with a throwaway database, sets up a
workshop with a dot round through the facilitator's forms, connects one board and N phones over
websockets exactly as the browser does, sends ballots at a steady aggregate rate, then reports ack
latency, vote-to-board latency, board message rate and whether every acknowledged ballot is in the
database. Exits 1 if an acknowledged ballot is missing, 2 if the run itself failed.

    .venv/bin/python bench/latency.py [--phones 200] [--ballots 3] [--rate 50]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import math
import os
import random
import re
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
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
    """Create the facilitator through the real command line."""
    subprocess.run(
        [
            *(sys.executable, "-m", "facilitation", "add-user", USERNAME, "--password-stdin"),
            *("--data", data_path),
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
    data_path: str
    log_path: str
    port: int = field(default_factory=free_port)
    push_interval: float | None = None
    proc: subprocess.Popen | None = None
    _log: object = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        env = dict(os.environ)
        if self.push_interval is not None:
            env["FACILITATION_PUSH_INTERVAL"] = str(self.push_interval)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "facilitation", "serve", "--host", HOST),
                *("--port", str(self.port), "--data", self.data_path, "--public-url", self.url),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
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

    def cpu_seconds(self) -> float:
        if not self.proc or self.proc.poll() is not None:
            return 0.0
        times = psutil.Process(self.proc.pid).cpu_times()
        return times.user + times.system

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


async def set_up_workshop(base_url: str, options: int) -> Setup:
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

        response = await post(
            "/f/workshops", {"title": "Bench: green spaces", "date": "", "place": ""}
        )
        expect(response, 303, "create workshop")
        workshop_id = int(response.headers["location"].rsplit("/", 1)[1])
        console = f"/f/workshops/{workshop_id}"
        code = re.search(r'class="code-big">([A-Z0-9]+)<', (await client.get(console)).text)[1]
        for i in range(options):
            title = OPTION_TITLES[i % len(OPTION_TITLES)] + (f" ({i + 1})" if i >= 6 else "")
            expect(
                await post(console + "/options", {"title": title, "description": ""}),
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


# -- phones and the board -------------------------------------------------------------------------


@dataclass
class Ballot:
    phone: int
    client_id: str
    dots: dict[int, int]
    sent_at: float = 0.0
    ack_at: float | None = None
    ack_revision: int | None = None
    error: str = ""


@dataclass
class Phone:
    index: int
    cookie: str = ""
    csrf: str = ""
    ws: websockets.ClientConnection | None = None
    reader: asyncio.Task | None = None
    ballots: list[Ballot] = field(default_factory=list)
    messages: int = 0
    stray: int = 0


@dataclass
class Run:
    """Everything observed during one run, on the perf_counter clock."""

    ballots_by_client: dict[str, Ballot] = field(default_factory=dict)
    board: list[tuple[float, int, int, int]] = field(default_factory=list)  # at, rev, ballots, size
    board_closed: str = ""
    phone_closed: int = 0
    closing: bool = False
    lag_max: float = 0.0
    lag_stalls: int = 0
    probes: list[float] = field(default_factory=list)


async def join_phone(base_url: str, ws_url: str, code: str, phone: Phone, run: Run) -> None:
    """GET /, POST /join, GET /w/CODE, then open the websocket with cookie and Origin."""
    async with httpx.AsyncClient(base_url=base_url, timeout=15, verify=TLS) as client:
        home = await client.get("/")
        response = await client.post(
            "/join",
            data={"csrf": csrf_of(home.text), "code": code, "name": f"Resident {phone.index}"},
        )
        expect(response, 303, "join")
        page = await client.get(f"/w/{code}")
        expect(page, 200, "phone page")
        phone.csrf = csrf_of(page.text)
        phone.cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    phone.ws = await websockets.connect(
        f"{ws_url}/w/{code}/ws",
        additional_headers={"Cookie": phone.cookie, "Origin": base_url},
        open_timeout=15,
        close_timeout=2,
        max_size=2**20,
    )
    first = await asyncio.wait_for(phone.ws.recv(), 15)
    if 'id="ballot"' not in first:
        raise RuntimeError("phone's first stage has no ballot form: is the round open?")
    phone.reader = asyncio.create_task(read_phone(phone, run))


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
                continue
            if status.get("data-state") == "saved" and "data-revision" in status:
                ballot.ack_at = at
                ballot.ack_revision = int(status["data-revision"])
            else:
                ballot.error = re.sub(r"<[^>]+>|\s+", " ", text).strip()[:200]
    except ConnectionClosed:
        if not run.closing:
            run.phone_closed += 1


async def read_board(ws: websockets.ClientConnection, run: Run, max_messages: int = 100_000):
    try:
        for _ in range(max_messages):
            text = await ws.recv()
            at = now()
            revision = REVISION.search(text)
            count = BALLOTS.search(text)
            run.board.append(
                (
                    at,
                    int(revision[1]) if revision else -1,
                    int(count[1]) if count else -1,
                    len(text),
                )
            )
    except ConnectionClosed as exc:
        if not run.closing:
            run.board_closed = f"closed {exc.rcvd.code if exc.rcvd else '?'}"


async def watch_lag(run: Run, stop: asyncio.Event, tick: float = 0.01, limit: int = 100_000):
    """The bench's own event-loop lag, so a slow client is not mistaken for a slow server."""
    for _ in range(limit):
        start = now()
        await asyncio.sleep(tick)
        late = now() - start - tick
        run.lag_max = max(run.lag_max, late)
        run.lag_stalls += late > 0.05
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


def ballot_message(setup: Setup, phone: Phone, ballot: Ballot) -> str:
    """The JSON the htmx ws extension sends for the ballot form: every field, zeros included."""
    fields: dict = {
        "csrf": phone.csrf,
        "action": "ballot",
        "round_id": str(setup.round_id),
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


# -- the scenario ---------------------------------------------------------------------------------


async def scenario(args, server: ServerProcess, run: Run) -> dict:
    loop_stop = asyncio.Event()
    lag = asyncio.create_task(watch_lag(run, loop_stop))
    setup = await set_up_workshop(server.url, args.options)
    phones = [Phone(i) for i in range(args.phones)]
    board = await websockets.connect(
        f"{server.ws_url}/f/workshops/{setup.workshop_id}/board/ws",
        additional_headers={"Cookie": setup.cookie, "Origin": server.url},
        open_timeout=15,
        close_timeout=2,
        max_size=2**22,
    )
    board_reader = asyncio.create_task(read_board(board, run))
    gate = asyncio.Semaphore(args.join_concurrency)

    async def join(phone: Phone) -> None:
        async with gate:
            await join_phone(server.url, server.ws_url, setup.code, phone, run)

    joined_at = now()
    await asyncio.gather(*(join(p) for p in phones))
    join_seconds = now() - joined_at
    await asyncio.sleep(0.5)  # let the join-time board renders settle

    rng = random.Random(args.seed)
    total = args.phones * args.ballots
    cpu_before = server.cpu_seconds()
    bench_before = psutil.Process().cpu_times()
    psutil.cpu_percent(interval=None)  # starts the whole-machine measurement
    board_from = len(run.board)
    run.lag_max, run.lag_stalls = 0.0, 0
    probe_stop = asyncio.Event()
    probe = asyncio.create_task(probe_health(server.url, run, probe_stop))
    start = now()
    for k in range(total):
        phone = phones[k % args.phones]
        ballot = Ballot(phone.index, uuid.uuid4().hex, random_dots(rng, setup.option_ids))
        run.ballots_by_client[ballot.client_id] = ballot
        phone.ballots.append(ballot)
        delay = start + k / args.rate - now()
        if delay > 0:
            await asyncio.sleep(delay)
        ballot.sent_at = now()
        assert phone.ws is not None
        await phone.ws.send(ballot_message(setup, phone, ballot))
    send_seconds = now() - start

    ballots = list(run.ballots_by_client.values())
    for _ in range(int(args.drain / 0.05)):
        if all(b.ack_at or b.error for b in ballots):
            break
        await asyncio.sleep(0.05)
    top = max((b.ack_revision or 0 for b in ballots), default=0)
    for _ in range(int(args.drain / 0.05)):
        if run.board and max(r for _, r, _, _ in run.board) >= top:
            break
        await asyncio.sleep(0.05)
    elapsed = now() - start
    cpu = server.cpu_seconds() - cpu_before
    host_cpu = psutil.cpu_percent(interval=None)
    bench_after = psutil.Process().cpu_times()
    bench_cpu = (bench_after.user + bench_after.system) - (bench_before.user + bench_before.system)
    run.closing = True
    probe_stop.set()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(probe, 6)

    await asyncio.gather(
        *(asyncio.wait_for(p.ws.close(), 5) for p in phones if p.ws), return_exceptions=True
    )
    with contextlib.suppress(Exception):
        await asyncio.wait_for(board.close(), 5)
    for task in [board_reader, *(p.reader for p in phones if p.reader)]:
        task.cancel()
    await asyncio.gather(
        board_reader, *(p.reader for p in phones if p.reader), return_exceptions=True
    )
    loop_stop.set()
    await asyncio.wait_for(lag, 2)
    return {
        "setup": setup,
        "phones": phones,
        "join_seconds": join_seconds,
        "send_seconds": send_seconds,
        "elapsed": elapsed,
        "server_cpu": cpu,
        "bench_cpu": bench_cpu,
        "host_cpu": host_cpu,
        "board_from": board_from,
        "start": start,
    }


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
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def check_database(data_path: str, round_id: int, ballots: list[Ballot]) -> dict:
    """Every acknowledged ballot must be recorded, and each phone's last one must be its ballot."""
    db = sqlite3.connect(data_path)
    try:
        stored = db.execute("SELECT COUNT(*) FROM ballots").fetchone()[0]
        rows = {
            pid: (json.loads(payload), revision)
            for pid, payload, revision in db.execute(
                "SELECT participant_id, payload, revision FROM ballots WHERE round_id = ?",
                (round_id,),
            )
        }
        submissions = {
            cid: (pid, revision)
            for pid, cid, revision in db.execute(
                "SELECT participant_id, client_id, revision FROM submissions WHERE round_id = ?",
                (round_id,),
            )
        }
    finally:
        db.close()
    acked = [b for b in ballots if b.ack_revision is not None]
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
        "phones_acked": len(by_phone),
        "missing_submissions": len(missing_submission),
        "missing_latest": missing,
        "mismatched_latest": mismatched,
    }


def figures(args, run: Run, out: dict, db: dict) -> dict:
    ballots = list(run.ballots_by_client.values())
    acked = [b for b in ballots if b.ack_revision is not None]
    board = run.board[out["board_from"] :]
    arrivals = [at for at, *_ in board]
    running: list[int] = []
    for _, revision, _, _ in board:
        running.append(max(revision, running[-1] if running else -1))
    to_board, unseen = [], 0
    for b in acked:
        i = bisect.bisect_left(running, b.ack_revision)
        if i == len(running):
            unseen += 1
        else:
            to_board.append(arrivals[i] - b.sent_at)
    span = (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
    return {
        "phones": args.phones,
        "ballots_per_phone": args.ballots,
        "rate_target": args.rate,
        "rate_achieved": round((len(ballots) - 1) / out["send_seconds"], 1)
        if out["send_seconds"]
        else None,
        "sent": sum(1 for b in ballots if b.sent_at),
        "acknowledged": len(acked),
        "refused": sum(1 for b in ballots if b.error),
        "unanswered": sum(1 for b in ballots if b.sent_at and b.ack_at is None and not b.error),
        "stored_rows": db["stored"],
        "phones_acked": db["phones_acked"],
        "missing_submissions": db["missing_submissions"],
        "missing_latest": db["missing_latest"],
        "mismatched_latest": db["mismatched_latest"],
        "ack_ms": summary_ms([b.ack_at - b.sent_at for b in acked]),
        "board_ms": summary_ms(to_board),
        "board_never_showed": unseen,
        "healthz_ms": summary_ms(run.probes),
        "board_messages": len(board),
        "board_max_per_s": max_per_window(arrivals),
        "board_mean_per_s": round((len(board) - 1) / span, 1) if span else None,
        "board_bytes_mean": round(sum(s for *_, s in board) / len(board)) if board else 0,
        "board_closed": run.board_closed,
        "phones_closed_early": run.phone_closed,
        "join_seconds": round(out["join_seconds"], 2),
        "scenario_seconds": round(out["elapsed"], 2),
        "server_cpu_percent": round(100 * out["server_cpu"] / out["elapsed"], 1),
        "bench_cpu_percent": round(100 * out["bench_cpu"] / out["elapsed"], 1),
        "host_cpu_percent": out["host_cpu"],
        "host_cpus": psutil.cpu_count(),
        "client_lag_max_ms": round(run.lag_max * 1000, 1),
        "client_lag_stalls_over_50ms": run.lag_stalls,
        "push_interval": args.push_interval,
    }


def dump(path: str, run: Run, start: float) -> None:
    """Times in seconds from the first ballot sent."""
    with open(path, "w") as f:
        for b in run.ballots_by_client.values():
            f.write(
                json.dumps(
                    {
                        "kind": "ballot",
                        "phone": b.phone,
                        "sent": round(b.sent_at - start, 4),
                        "ack": None if b.ack_at is None else round(b.ack_at - start, 4),
                        "revision": b.ack_revision,
                        "error": b.error or None,
                    }
                )
                + "\n"
            )
        for at, revision, ballots, size in run.board:
            f.write(
                json.dumps(
                    {
                        "kind": "board",
                        "at": round(at - start, 4),
                        "revision": revision,
                        "ballots": ballots,
                        "bytes": size,
                    }
                )
                + "\n"
            )


def print_table(f: dict) -> None:
    rows = [
        ("phones / ballots each", f"{f['phones']} / {f['ballots_per_phone']}"),
        ("rate target / achieved", f"{f['rate_target']} / {f['rate_achieved']} ballots/s"),
        ("joined all phones in", f"{f['join_seconds']} s"),
        ("ballots sent", f["sent"]),
        ("acknowledged", f["acknowledged"]),
        ("refused / unanswered", f"{f['refused']} / {f['unanswered']}"),
        ("rows in ballots", f["stored_rows"]),
        ("distinct phones acked", f["phones_acked"]),
        (
            "acked missing in DB",
            f"{f['missing_submissions']} submissions, "
            f"{f['missing_latest']} latest, {f['mismatched_latest']} mismatched",
        ),
        (
            "board messages",
            f"{f['board_messages']} (mean {f['board_mean_per_s']}/s, "
            f"max {f['board_max_per_s']} in 1 s, ~{f['board_bytes_mean']} bytes)",
        ),
        ("board never showed", f["board_never_showed"]),
        (
            "CPU server / bench",
            f"{f['server_cpu_percent']} % / {f['bench_cpu_percent']} % of one core",
        ),
        ("CPU whole machine", f"{f['host_cpu_percent']} % of {f['host_cpus']} cores"),
        (
            "bench loop lag max",
            f"{f['client_lag_max_ms']} ms ({f['client_lag_stalls_over_50ms']} stalls > 50 ms)",
        ),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    print()
    print(f"  {'latency (ms)':<16}{'n':>6}{'median':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    for label, key in (
        ("ack", "ack_ms"),
        ("vote-to-board", "board_ms"),
        ("GET /healthz", "healthz_ms"),
    ):
        s = f[key]
        cells = "".join(
            f"{'-' if s[c] is None else s[c]:>9}" for c in ("median", "p95", "p99", "max")
        )
        print(f"  {label:<16}{s['n']:>6}{cells}")
    print()


# -- main -----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=200, help="simulated phones (default 200)")
    parser.add_argument("--ballots", type=int, default=3, help="ballots per phone (default 3)")
    parser.add_argument("--rate", type=float, default=50.0, help="ballots/s in all (default 50)")
    parser.add_argument("--options", type=int, default=6, help="options in the round (default 6)")
    parser.add_argument("--seed", type=int, default=1, help="random seed for the dots")
    parser.add_argument(
        "--join-concurrency",
        type=int,
        default=20,
        help="phones joining at the same time (default 20)",
    )
    parser.add_argument(
        "--drain",
        type=float,
        default=15.0,
        help="seconds to wait for late acks and board updates (default 15)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=180.0,
        help="hard limit on the whole run in seconds (default 180)",
    )
    parser.add_argument(
        "--push-interval",
        type=float,
        default=None,
        help="server's FACILITATION_PUSH_INTERVAL (default: the server's own)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and server log")
    parser.add_argument(
        "--dump",
        metavar="FILE",
        help="write every ballot and board message as JSON lines, for analysis",
    )
    args = parser.parse_args(argv)
    if not (1 <= args.phones <= 5000 and 1 <= args.ballots <= 100 and args.rate > 0):
        parser.error("phones 1-5000, ballots 1-100, rate > 0")
    if not 2 <= args.options <= 30:
        parser.error("options 2-30")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="facilitation-bench-")
    data_path = str(Path(tmp) / "bench.sqlite3")
    server = ServerProcess(
        data_path, str(Path(tmp) / "server.log"), push_interval=args.push_interval
    )
    run = Run()
    try:
        add_user(data_path)
        server.start()
        print(f"server {server.url} (pid {server.proc.pid}), data {data_path}", flush=True)

        async def bounded() -> dict:
            async with asyncio.timeout(args.timeout):
                return await scenario(args, server, run)

        try:
            out = asyncio.run(bounded())
        except TimeoutError:
            print(f"run exceeded --timeout {args.timeout} s", file=sys.stderr)
            return 2
        except Exception as exc:
            print(f"run failed: {exc!r}\n{server.log_tail()}", file=sys.stderr)
            return 2
        finally:
            server.stop()
        db = check_database(data_path, out["setup"].round_id, list(run.ballots_by_client.values()))
        result = figures(args, run, out, db)
        if args.dump:
            dump(args.dump, run, out["start"])
        print_table(result)
        print(json.dumps(result, sort_keys=True))
        bad = db["missing_submissions"] or db["missing_latest"] or db["mismatched_latest"]
        return 1 if bad else 0
    finally:
        server.stop()
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            for name in os.listdir(tmp):
                with contextlib.suppress(OSError):
                    os.unlink(Path(tmp) / name)
            with contextlib.suppress(OSError):
                os.rmdir(tmp)


if __name__ == "__main__":
    sys.exit(main())
