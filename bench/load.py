"""Load and fault-tolerance bench: a real server, up to thousands of phones, boards, and a ceiling.

For each scenario it starts a real `python -m facilitation serve` on a free 127.0.0.1 port with a
throwaway database, sets up workshops through the facilitator's forms, connects boards (and a
console) and then phones in one or two worker processes, each phone joining over HTTP and opening
its websocket as the browser does, and sends ballots on a fixed schedule. Then it stops everything,
counts what the database holds, and prints a table and one JSON line per scenario. The same load
is run against bench/ceiling.py, a bare `websockets` server doing the same fan-out, and our
figures are printed as ratios to it.

    .venv/bin/python bench/load.py --scenario all
    .venv/bin/python bench/load.py --scenario room --scale 0.2     # a fifth of the phones and rate
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import bisect
import contextlib
import itertools
import json
import multiprocessing
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import psutil
from common import (
    HOST,
    ROOT,
    TLS,
    Ballot,
    Phone,
    Run,
    Screen,
    ServerProcess,
    Setup,
    add_user,
    ballot_message,
    check_database,
    csrf_of,
    join_phone,
    max_per_window,
    now,
    open_phone_socket,
    open_screen,
    percentile,
    probe_health,
    raise_open_files,
    random_dots,
    read_board,
    rnd,
    set_up_workshop,
    summary_ms,
    tree_cpu_seconds,
    watch_lag,
)

BENCH = Path(__file__).resolve().parent
KIB = 1024
MIB = 1024 * 1024


# -- scenarios ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One load: workshops x phones, screens per workshop, and phases of (ballots/s, seconds)."""

    workshops: int
    phones: int  # per workshop
    boards: int  # per workshop
    phases: tuple[tuple[float, float], ...]
    consoles: int = 0  # per workshop, ours only (the ceiling has no console)
    heartbeat: float | None = None
    durability: str | None = None
    frozen: bool = False
    close_round: bool = False  # afterwards, close the round and time the phones' new stage
    engine: str = "sqlite"  # or "postgresql": with the Redis hub, on the servers of --services
    workers: int = 1  # `serve --workers N` (PostgreSQL only)
    pg_settings: str = ""  # PostgreSQL settings for the server's sessions, as URL parameters

    @property
    def total_phones(self) -> int:
        return self.workshops * self.phones

    @property
    def seconds(self) -> float:
        return sum(d for _, d in self.phases)

    @property
    def ballots(self) -> int:
        return sum(round(r * d) for r, d in self.phases)


# The scale-out comparison: the same loads on each way of running it.
ROOM_RAMP = ((200.0, 15.0), (300.0, 5.0), (400.0, 5.0), (600.0, 5.0), (800.0, 5.0))
SETUPS: list[tuple[str, str, dict]] = [
    ("sqlite", "ours", {}),
    ("pg+redis 1w", "ours", {"engine": "postgresql", "workers": 1}),
    ("pg+redis 2w", "ours", {"engine": "postgresql", "workers": 2}),
    # Not a way to run it (a commit is then not yet on disk when acknowledged): it shows how much
    # of the PostgreSQL path's latency is waiting for each commit's fsync.
    (
        "pg+redis 1w no-fsync-wait",
        "ours",
        {"engine": "postgresql", "workers": 1, "pg_settings": "&synchronous_commit=off"},
    ),
    ("ceiling", "ceiling", {}),
]

# name: (what it shows, [(run label, target, spec)])
SCENARIOS: dict[str, tuple[str, list[tuple[str, str, Spec]]]] = {
    "room": (
        "1,000 phones and 2 boards in one workshop, 100 ballots/s for 60 s",
        [
            ("ours", "ours", Spec(1, 1000, 2, ((100, 60),))),
            ("ceiling", "ceiling", Spec(1, 1000, 2, ((100, 60),))),
        ],
    ),
    "surge": (
        "2,000 phones, 200 ballots/s for 15 s; then the round closes on every phone",
        [
            ("ours", "ours", Spec(1, 2000, 2, ((200, 15),), close_round=True)),
            ("ceiling", "ceiling", Spec(1, 2000, 2, ((200, 15),))),
        ],
    ),
    "many": (
        "20 workshops of 50 phones and a board each, 5 ballots/s each (100/s in all) for 30 s",
        [
            ("ours", "ours", Spec(20, 50, 1, ((100, 30),))),
            ("ceiling", "ceiling", Spec(20, 50, 1, ((100, 30),))),
        ],
    ),
    "memory": (
        "2,000 phones connected to one workshop, then one ballot each at 200/s",
        [
            ("ours", "ours", Spec(1, 2000, 1, ((200, 10),))),
            ("ceiling", "ceiling", Spec(1, 2000, 1, ((200, 10),))),
        ],
    ),
    "rate": (
        "500 phones, 2 boards and a console; 20, 100 then 400 ballots/s for 5 s each",
        [
            ("ours", "ours", Spec(1, 500, 2, ((20, 5), (100, 5), (400, 5)), consoles=1)),
            ("ceiling", "ceiling", Spec(1, 500, 2, ((20, 5), (100, 5), (400, 5)))),
        ],
    ),
    "frozen": (
        "200 phones, 2 boards reading and one that stops reading; heartbeat 5 s; 50 ballots/s",
        [
            ("ours", "ours", Spec(1, 200, 2, ((50, 25),), heartbeat=5)),
            ("ours+frozen", "ours", Spec(1, 200, 2, ((50, 25),), heartbeat=5, frozen=True)),
            (
                "ceiling+frozen",
                "ceiling",
                Spec(1, 200, 2, ((50, 25),), heartbeat=5, frozen=True),
            ),
        ],
    ),
    "durability": (
        "200 phones, 50 ballots/s for 20 s, with synchronous=NORMAL and then FULL",
        [
            ("normal", "ours", Spec(1, 200, 1, ((50, 20),), durability="normal")),
            ("full", "ours", Spec(1, 200, 1, ((50, 20),), durability="full")),
        ],
    ),
    "scaleout": (
        "1 and 2 workers on PostgreSQL + Redis beside one SQLite process and the ceiling: 2,000 "
        "phones at 200 ballots/s for 15 s, then 300, 400, 600, 800/s for 5 s each; and 20 "
        "workshops x 50 phones at 100 ballots/s in all for 20 s",
        [
            *(
                (f"{label} room", target, Spec(1, 2000, 2, ROOM_RAMP, **extra))
                for label, target, extra in SETUPS
            ),
            *(
                (f"{label} 20x50", target, Spec(20, 50, 1, ((100, 20),), **extra))
                for label, target, extra in SETUPS
            ),
        ],
    ),
}


def scaled(spec: Spec, scale: float, time_scale: float) -> Spec:
    """A smaller (or larger) version of a load, for quick checks; the frozen board's run keeps
    enough time for the heartbeat to notice it."""
    phones = max(2, round(spec.phones * scale))
    floor = 3 * (spec.heartbeat or 0) + 5 if spec.frozen or spec.heartbeat else 1
    phases = tuple(
        (max(1.0, r * scale), max(min(floor, d), d * time_scale)) for r, d in spec.phases
    )
    return replace(spec, phones=phones, phases=phases)


# -- worker processes: the phones -----------------------------------------------------------------


def worker_entry(conn, config: dict) -> None:
    """A worker process: joins its phones, sends their ballots on schedule, reports back."""
    raise_open_files()
    try:
        asyncio.run(worker_loop(conn, config))
    except Exception as exc:  # reported, so the main process can say what went wrong
        with contextlib.suppress(Exception):
            conn.send(("error", repr(exc)))
    finally:
        conn.close()


def recv_within(conn, timeout: float):
    if conn.poll(timeout):
        return conn.recv()
    raise TimeoutError("no message from the other process in time")


async def worker_loop(conn, config: dict) -> None:
    loop = asyncio.get_running_loop()
    run = Run()
    setups = [Setup(**s) for s in config["setups"]]
    phones: dict[int, Phone] = {}
    lag_stop = asyncio.Event()
    lag = asyncio.create_task(watch_lag(run, lag_stop))
    gate = asyncio.Semaphore(config["join_concurrency"])
    base, ws_url, ceiling = config["base_url"], config["ws_url"], config["ceiling"]

    async def join(phone: Phone) -> str:
        setup = setups[phone.workshop]
        async with gate:
            try:
                if ceiling:
                    await open_phone_socket(
                        f"{ws_url}/w/{setup.code}/ws", {"Origin": base}, phone, run
                    )
                else:
                    await join_phone(base, ws_url, setup.code, phone, run)
            except Exception as exc:
                phone.ws = None
                return repr(exc)[:300]
        return ""

    for _ in range(1000):  # commands: two joins, a vote, a few stage polls, a close
        command, *payload = await loop.run_in_executor(None, recv_within, conn, 3600)
        if command == "join":
            started = now()
            run.lags.clear()
            batch = [Phone(index, workshop) for index, workshop in payload[0]]
            phones.update((p.index, p) for p in batch)
            errors = [e for e in await asyncio.gather(*(join(p) for p in batch)) if e]
            conn.send(
                (
                    "joined",
                    {
                        "ok": len(batch) - len(errors),
                        "failed": len(errors),
                        "first_error": errors[0] if errors else "",
                        "seconds": now() - started,
                        "lag": lag_figures(run.lags),
                        "ports": [(p.index, p.ws.local_address[1]) for p in batch if p.ws],
                    },
                )
            )
        elif command == "vote":
            t0, schedule, drain = payload
            run.lags.clear()
            sent: list[Ballot] = []
            unsent = 0
            for offset, index, client_id, dots in schedule:
                phone = phones[index]
                if phone.ws is None:
                    unsent += 1
                    continue
                ballot = Ballot(index, client_id, dict(dots), phone.workshop)
                run.ballots_by_client[client_id] = ballot
                delay = t0 + offset - now()
                if delay > 0:
                    await asyncio.sleep(delay)
                ballot.sent_at = now()
                with contextlib.suppress(Exception):
                    message = ballot_message(setups[phone.workshop].round_id, phone.csrf, ballot)
                    await phone.ws.send(message)
                sent.append(ballot)
            sending_done = now()
            for _ in range(int(drain / 0.05)):
                if all(b.ack_at or b.error for b in sent):
                    break
                await asyncio.sleep(0.05)
            conn.send(
                (
                    "voted",
                    {
                        "ballots": [
                            (
                                b.phone,
                                b.client_id,
                                b.dots,
                                b.workshop,
                                b.sent_at,
                                b.ack_at,
                                b.ack_revision,
                                b.error,
                            )
                            for b in sent
                        ],
                        "unsent": unsent,
                        "sending_done": sending_done,
                        "pushes": [p.pushes for p in phones.values() if p.pushes],
                        "phones_closed_early": run.phone_closed,
                        "lag": lag_figures(run.lags),
                    },
                )
            )
        elif command == "stage_since":
            since = payload[0]
            firsts = [
                next(t for t in p.pushes if t >= since)
                for p in phones.values()
                if p.pushes and p.pushes[-1] >= since
            ]
            connected = sum(1 for p in phones.values() if p.ws)
            conn.send(("stage", {"firsts": firsts, "connected": connected}))
        elif command == "close":
            run.closing = True
            open_ones = [p.ws for p in phones.values() if p.ws]
            await asyncio.gather(
                *(asyncio.wait_for(ws.close(), 5) for ws in open_ones), return_exceptions=True
            )
            readers = [p.reader for p in phones.values() if p.reader]
            for task in readers:
                task.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
            lag_stop.set()
            await asyncio.wait_for(lag, 2)
            conn.send(("closed", {}))
            return


def lag_figures(lags: list[float]) -> dict:
    ms = [x * 1000 for x in lags]
    return {
        "max_ms": rnd(max(ms, default=0.0)),
        "p99_ms": rnd(percentile(ms, 99) or 0.0),
        "stalls_over_50ms": sum(1 for x in ms if x > 50),
    }


class Workers:
    """The phone worker processes, driven over pipes; every wait is bounded."""

    def __init__(self, count: int, config: dict) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.pipes = []
        self.procs = []
        for _ in range(count):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker_entry, args=(child, config), daemon=True)
            proc.start()
            child.close()
            self.pipes.append(parent)
            self.procs.append(proc)

    def __len__(self) -> int:
        return len(self.procs)

    async def ask(self, messages: list[tuple], timeout: float) -> list[dict]:
        """Send one message to each worker and wait for every answer."""
        loop = asyncio.get_running_loop()
        for pipe, message in zip(self.pipes, messages, strict=True):
            pipe.send(message)
        answers = await asyncio.gather(
            *(loop.run_in_executor(None, recv_within, pipe, timeout) for pipe in self.pipes)
        )
        for kind, body in answers:
            if kind == "error":
                raise RuntimeError(f"phone worker failed: {body}")
        return [body for _, body in answers]

    def cpu_seconds(self) -> float:
        total = 0.0
        for proc in self.procs:
            with contextlib.suppress(psutil.Error, ValueError):
                times = psutil.Process(proc.pid).cpu_times()
                total += times.user + times.system
        return total

    def stop(self) -> None:
        for proc in self.procs:
            proc.join(5)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
        for pipe in self.pipes:
            pipe.close()


# -- a board that stops reading -------------------------------------------------------------------


class FrozenBoard:
    """A board on a raw socket with a tiny receive buffer. Until freeze() it reads and answers
    the server's pings as a browser does; then it never reads again: a projector whose browser
    has hung, or a laptop that went to sleep with its connection still up."""

    def __init__(self, port: int, path: str, headers: dict[str, str]) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        self.sock.settimeout(10)
        self.sock.connect((HOST, port))
        self.local_port = self.sock.getsockname()[1]
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {HOST}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = b""
        for _ in range(4096):
            if b"\r\n\r\n" in answer:
                break
            chunk = self.sock.recv(1)  # byte by byte, so no frame after the headers is taken
            if not chunk:
                break
            answer += chunk
        if not answer.startswith(b"HTTP/1.1 101"):
            self.sock.close()
            raise RuntimeError(f"frozen board was refused: {answer[:80]!r}")
        self.messages = 0
        self.pongs = 0
        self.frozen_at: float | None = None
        self._stop = threading.Event()
        self.sock.settimeout(0.05)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        buffer = b""
        for _ in range(10_000_000):
            if self._stop.is_set():
                return
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            buffer = self._frames(buffer + chunk)

    def _frames(self, buffer: bytes) -> bytes:
        """Take whole frames off the buffer: count messages, answer pings; return the rest."""
        for _ in range(100_000):
            if len(buffer) < 2:
                break
            opcode, size, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if size == 126:
                size, start = int.from_bytes(buffer[2:4], "big"), 4
            elif size == 127:
                size, start = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < start + size or start > len(buffer):
                break
            payload, buffer = buffer[start : start + size], buffer[start + size :]
            if opcode == 0x9:  # ping: answer with a masked pong carrying the same payload
                mask = os.urandom(4)
                body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                self.sock.sendall(bytes([0x8A, 0x80 | len(payload)]) + mask + body)
                self.pongs += 1
            elif opcode == 0x1:
                self.messages += 1
        return buffer

    def freeze(self) -> float:
        """Stop reading for good; returns when."""
        self._stop.set()
        self._thread.join(2)
        self.frozen_at = now()
        return self.frozen_at

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


TCP_STATES = {
    "01": "ESTABLISHED",
    "02": "SYN_SENT",
    "03": "SYN_RECV",
    "04": "FIN_WAIT1",
    "05": "FIN_WAIT2",
    "06": "TIME_WAIT",
    "07": "CLOSE",
    "08": "CLOSE_WAIT",
    "09": "LAST_ACK",
    "0A": "LISTEN",
    "0B": "CLOSING",
}


def server_end(server_port: int, client_port: int) -> str:
    """The state of the server's end of one loopback connection, from /proc/net/tcp (cheap
    enough to poll often without disturbing the timings taken in this process); '' if gone."""
    local, remote = f":{server_port:04X}", f":{client_port:04X}"
    with contextlib.suppress(OSError), open("/proc/net/tcp") as f:
        for line in f:
            fields = line.split()
            if len(fields) > 3 and fields[1].endswith(local) and fields[2].endswith(remote):
                return TCP_STATES.get(fields[3], fields[3])
    return ""


async def watch_frozen(port: int, local_port: int, since: float, limit: float, out: dict) -> None:
    """Poll the server's sockets until it no longer holds the frozen board's connection open;
    the drop happened between the last poll that saw it open and the first that did not."""
    seen_open = since
    for _ in range(int(limit / 0.05) + 1):
        state = server_end(port, local_port)
        if state != "ESTABLISHED":
            out["dropped_after_s"] = round(now() - since, 2)
            out["last_seen_open_s"] = round(seen_open - since, 2)
            out["server_state"] = state or "gone"
            return
        seen_open = now()
        if seen_open - since > limit:
            break
        await asyncio.sleep(0.05)
    out["dropped_after_s"] = None
    out["last_seen_open_s"] = round(seen_open - since, 2)
    out["server_state"] = "ESTABLISHED"


# -- one run against one server -------------------------------------------------------------------


@dataclass
class Target:
    """One server under test, and what it takes to reach its screens."""

    kind: str  # "ours" or "ceiling"
    server: ServerProcess
    setups: list[Setup] = field(default_factory=list)

    def board_path(self, setup: Setup) -> str:
        if self.kind == "ceiling":
            return f"/board/{setup.code}"
        return f"/f/workshops/{setup.workshop_id}/board/ws"

    def console_path(self, setup: Setup) -> str:
        return f"/f/workshops/{setup.workshop_id}/ws"

    def screen_headers(self, setup: Setup) -> dict[str, str]:
        headers = {"Origin": self.server.url}
        if setup.cookie:
            headers["Cookie"] = setup.cookie
        return headers


def start_target(kind: str, spec: Spec, tmp: Path, args) -> Target:
    if kind == "ceiling":
        server = ServerProcess(str(tmp / "none.sqlite3"), str(tmp / "ceiling.log"))
        server.command = [
            *(sys.executable, str(BENCH / "ceiling.py"), "--port", str(server.port)),
            *("--heartbeat", str(spec.heartbeat or 20.0)),
        ]
        server.start()
        return Target(kind, server)
    data = str(tmp / "bench.sqlite3")
    env = {}
    if spec.heartbeat:
        env["FACILITATION_HEARTBEAT"] = str(spec.heartbeat)
    if spec.durability:
        env["FACILITATION_DURABILITY"] = spec.durability
    if spec.engine == "postgresql":
        data = services_url("POSTGRES") + f"?search_path=bench_{uuid.uuid4().hex[:12]}"
        data += spec.pg_settings
    add_user(data)
    server = ServerProcess(data, str(tmp / "server.log"), env=env)
    if spec.engine == "postgresql":
        server.command = [
            *(sys.executable, "-m", "facilitation", "serve", "--host", HOST),
            *("--port", str(server.port), "--database", data, "--public-url", server.url),
            *("--redis", services_url("REDIS"), "--workers", str(spec.workers)),
        ]
    server.start(timeout=120)
    return Target(kind, server)


def services_url(name: str) -> str:
    """The URL scripts/services printed for PostgreSQL or Redis."""
    url = os.environ.get(f"FACILITATION_TEST_{name}_URL", "")
    if not url:
        raise SystemExit(
            f"FACILITATION_TEST_{name}_URL is not set: start the servers first, with\n"
            '    eval "$(scripts/services start)"'
        )
    return url


def service_pids() -> dict[str, int]:
    """The PostgreSQL postmaster's and redis-server's pids, from scripts/services' folder."""
    folder = Path(os.environ.get("FACILITATION_SERVICES_DIR", ""))
    pids = {}
    for name, path in (("postgresql", "pg/data/postmaster.pid"), ("redis", "redis/redis.pid")):
        with contextlib.suppress(OSError, ValueError):
            pids[name] = int((folder / path).read_text().split()[0])
    return pids


def workers_by_port(server_pid: int) -> dict[int, int]:
    """Client port -> the server worker process holding that connection."""
    found = {}
    for child in psutil.Process(server_pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            for conn in child.net_connections(kind="tcp"):
                if conn.raddr:
                    found[conn.raddr.port] = child.pid
    return found


def build_schedule(spec: Spec, setups: list[Setup], seed: int) -> list[tuple]:
    """Ballots as (offset s, phone, client id, dots), phones taken in turn across workshops so each
    phone's ballots are as far apart as the rate allows."""
    rng = random.Random(seed)
    order = [w * spec.phones + i for i in range(spec.phones) for w in range(spec.workshops)]
    schedule, k, start = [], 0, 0.0
    for rate, seconds in spec.phases:
        for j in range(round(rate * seconds)):
            phone = order[k % len(order)]
            workshop = phone // spec.phones
            dots = random_dots(rng, setups[workshop].option_ids)
            schedule.append((start + j / rate, phone, uuid.uuid4().hex, list(dots.items())))
            k += 1
        start += seconds
    return schedule


async def run_target(label: str, kind: str, spec: Spec, args, tmp: Path) -> dict:
    """Start a server, connect everything, vote, measure, stop; the figures for one column."""
    target = start_target(kind, spec, tmp, args)
    server = target.server
    workers: Workers | None = None
    screens: list[tuple[int, str, Screen]] = []  # (workshop, kind, screen)
    sockets, readers = [], []
    closing = {"now": False}
    frozen_board: FrozenBoard | None = None
    main_run = Run()
    lag_stop = asyncio.Event()
    lag_task = asyncio.create_task(watch_lag(main_run, lag_stop))
    out: dict = {"label": label, "target": kind, "engine": spec.engine, "workers": spec.workers}
    screen_ports: dict[int, int] = {}
    phone_worker: dict[int, int] = {}
    screen_worker: dict[int, int] = {}
    try:
        print(f"  [{label}] server pid {server.pid} on {server.url}", flush=True)
        if kind == "ceiling":
            target.setups = [
                Setup(w + 1, f"ROOM{w + 1:02d}", 1, list(range(1, 7)), "")
                for w in range(spec.workshops)
            ]
        else:
            for w in range(spec.workshops):
                title = f"Bench workshop {w + 1}"
                target.setups.append(await set_up_workshop(server.url, 6, title))
        count = max(1, min(args.workers, spec.total_phones // 50 or 1))
        workers = Workers(
            count,
            {
                "setups": [vars(s) for s in target.setups],
                "base_url": server.url,
                "ws_url": server.ws_url,
                "ceiling": kind == "ceiling",
                "join_concurrency": max(1, args.join_concurrency // count),
            },
        )
        for w, setup in enumerate(target.setups):
            kinds = [("board", target.board_path(setup))] * spec.boards
            if kind == "ours":
                kinds += [("console", target.console_path(setup))] * spec.consoles
            for j, (screen_kind, path) in enumerate(kinds):
                ws = await open_screen(server.ws_url + path, target.screen_headers(setup))
                screen = Screen(f"{screen_kind} {w + 1}.{j + 1}")
                screen_ports[id(screen)] = ws.local_address[1]
                sockets.append(ws)
                screens.append((w, screen_kind, screen))
                readers.append(asyncio.create_task(read_board(ws, screen, lambda: closing["now"])))

        # The peak from here on: the facilitator's sign-in (argon2, 64 MiB) is not a phone's cost.
        out["peak_rss_reset"] = server.reset_peak_rss()

        # Phones: a few first, so one-time costs (templates, caches) are not counted per phone.
        all_phones = [
            (w * spec.phones + i, w) for i in range(spec.phones) for w in range(spec.workshops)
        ]
        warm = min(len(all_phones) // 10, max(5, len(all_phones) // 100))
        batches = [all_phones[:warm], all_phones[warm:]]
        joined, join_seconds, join_lag = 0, 0.0, []
        phone_ports: dict[int, int] = {}
        rss_before = 0
        for n, batch in enumerate(batches):
            parts = [batch[i :: len(workers)] for i in range(len(workers))]
            answers = await workers.ask([("join", p) for p in parts], args.timeout)
            joined += sum(a["ok"] for a in answers)
            for a in answers:
                phone_ports.update(dict(a.get("ports", [])))
            failed = sum(a["failed"] for a in answers)
            if failed:
                first = next(a["first_error"] for a in answers if a["first_error"])
                print(f"  [{label}] {failed} phones failed to join: {first}", flush=True)
            join_seconds += max(a["seconds"] for a in answers)
            join_lag += [a["lag"] for a in answers]
            await asyncio.sleep(1.5)  # let join-time pushes settle
            if n == 0:
                rss_before = server.rss()
        rss_connected = server.rss()
        out["phones_target"] = spec.total_phones
        out["phones_connected"] = joined
        out["join_seconds"] = round(join_seconds, 1)
        out["rss_before_mib"] = round(rss_before / MIB, 1)
        out["rss_connected_mib"] = round(rss_connected / MIB, 1)
        counted = joined - warm
        out["memory_per_phone_kib"] = (
            round((rss_connected - rss_before) / counted / KIB, 1) if counted > 0 else None
        )
        out["client_lag_join"] = worst_lag(join_lag)

        frozen: dict = {}
        watcher = None
        if spec.frozen:  # it reads normally until the vote starts
            setup = target.setups[0]
            frozen_board = await asyncio.to_thread(
                FrozenBoard, server.port, target.board_path(setup), target.screen_headers(setup)
            )

        if kind == "ours" and spec.workers > 1:
            byport = workers_by_port(server.pid)
            phone_worker = {i: byport[port] for i, port in phone_ports.items() if port in byport}
            screen_worker = {k: byport[port] for k, port in screen_ports.items() if port in byport}
            out["phones_per_worker"] = sorted(
                sum(1 for w in phone_worker.values() if w == pid) for pid in set(byport.values())
            )
        schedule = build_schedule(spec, target.setups, args.seed)
        # which worker has which phone: the join split above is by position, so map explicitly
        owner = {}
        for batch in batches:
            for i in range(len(workers)):
                for index, _w in batch[i :: len(workers)]:
                    owner[index] = i
        per_worker = [[b for b in schedule if owner[b[1]] == i] for i in range(len(workers))]

        if frozen_board:
            # Frozen after answering a ping, at a random point of the server's ping cycle.
            beat = spec.heartbeat or 20
            await asyncio.sleep(beat + random.Random(args.seed).uniform(0, beat))
            since = await asyncio.to_thread(frozen_board.freeze)
            frozen.update(messages_before=frozen_board.messages, pongs_before=frozen_board.pongs)
            limit = 3 * (spec.heartbeat or 20) + 10
            watcher = asyncio.create_task(
                watch_frozen(server.port, frozen_board.local_port, since, limit, frozen)
            )
        probe_stop = asyncio.Event()
        probe = None
        if kind == "ours":
            probe = asyncio.create_task(probe_health(server.url, main_run, probe_stop, 0.1))
        profiler = start_profiler(args, label, server.pid, spec.seconds) if kind == "ours" else None
        main_run.lags.clear()
        t0 = now() + 1.0
        voting = asyncio.create_task(
            workers.ask(
                [("vote", t0, part, args.drain) for part in per_worker],
                spec.seconds + args.drain + 60,
            )
        )
        await asyncio.sleep(max(0.0, t0 - now()))
        pids = service_pids() if spec.engine == "postgresql" else {}

        def component_cpu() -> dict[str, float]:
            found = {"server": server.cpu_seconds()}
            found.update((name, tree_cpu_seconds(pid)) for name, pid in pids.items())
            return found

        cpu0, wcpu0, mcpu0 = server.cpu_seconds(), workers.cpu_seconds(), own_cpu()
        psutil.cpu_percent(interval=None)
        marks, boundary = [component_cpu()], t0
        for _rate, phase_seconds in spec.phases:
            boundary += phase_seconds
            await asyncio.sleep(max(0.0, boundary - now()))
            marks.append(component_cpu())
        cpu1, wcpu1, mcpu1 = server.cpu_seconds(), workers.cpu_seconds(), own_cpu()
        out["cpu_phases"] = [
            {name: round(after[name] - before.get(name, 0.0), 3) for name in after}
            for before, after in itertools.pairwise(marks)
        ]
        host_cpu = psutil.cpu_percent(interval=None)
        main_lag = lag_figures(main_run.lags)
        answers = await voting
        # From the vote's start until the last ballot was answered (or the drain gave up): the
        # work a ballot costs, even when it was done after its phase.
        out["cpu_to_drain"] = {
            name: round(value - marks[0].get(name, 0.0), 3)
            for name, value in component_cpu().items()
        }
        stop_profiler(profiler)
        probe_stop.set()
        if probe:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(probe, 6)
        vote_probes = list(main_run.probes)

        ballots = [
            Ballot(p, c, {int(k): v for k, v in dict(d).items()}, w, s, a, r, e)
            for answer in answers
            for (p, c, d, w, s, a, r, e) in answer["ballots"]
        ]
        # Wait (bounded) for every board to show its workshop's last acknowledged revision.
        final = {}
        for b in ballots:
            if b.ack_revision is not None:
                final[b.workshop] = max(final.get(b.workshop, 0), b.ack_revision)
        for _ in range(100):
            if all(
                s.messages and max(m[1] for m in s.messages) >= final.get(w, 0)
                for w, k, s in screens
                if k == "board"
            ):
                break
            await asyncio.sleep(0.05)
        if spec.close_round and kind == "ours":
            out["stage"] = await close_and_watch(target, workers, main_run, args)
        if watcher:
            await asyncio.wait_for(watcher, 3 * (spec.heartbeat or 20) + 20)
        out["rss_after_mib"] = round(server.rss() / MIB, 1)
        out["peak_rss_mib"] = round(server.peak_rss() / MIB, 1)
        seconds = spec.seconds
        out["server_cpu_percent"] = round(100 * (cpu1 - cpu0) / seconds, 1)
        out["client_cpu_percent"] = round(100 * (wcpu1 - wcpu0) / seconds, 1)
        out["bench_main_cpu_percent"] = round(100 * (mcpu1 - mcpu0) / seconds, 1)
        out["host_cpu_percent"] = host_cpu
        # What the machine did besides this server and this bench (other jobs), in % of all cores.
        ours_cpu = out["server_cpu_percent"] + out["client_cpu_percent"]
        ours_cpu += out["bench_main_cpu_percent"]
        out["other_cpu_percent"] = round(max(0.0, host_cpu - ours_cpu / psutil.cpu_count()), 1)
        out["client_lag_vote"] = worst_lag([a["lag"] for a in answers])
        out["bench_main_lag_vote"] = main_lag
        out["unsent"] = sum(a["unsent"] for a in answers)
        out["phones_closed_early"] = sum(a["phones_closed_early"] for a in answers)
        pushes = [p for a in answers for p in a["pushes"]]
        out["phone_pushes_max_per_s"] = max((max_per_window(p) for p in pushes), default=0)
        out["healthz_ms"] = summary_ms(vote_probes) if kind == "ours" else None
        if frozen:
            out["frozen"] = frozen

        closing["now"] = True
        await workers.ask([("close",)] * len(workers), 60)
    finally:
        closing["now"] = True
        lag_stop.set()
        for ws in sockets:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 3)
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, lag_task, return_exceptions=True)
        if frozen_board:
            frozen_board.close()
        if workers:
            await asyncio.to_thread(workers.stop)
        server.stop()
    out.update(ballot_figures(spec, ballots, screens, t0))
    out.update(phase_figures(spec, ballots, screens, t0))
    if phone_worker:
        out.update(worker_figures(ballots, screens, phone_worker, screen_worker))
    if kind == "ours":
        db = check_database(server.data_path, [s.round_id for s in target.setups], ballots)
        out["stored"] = db["submissions"]
        out["stored_rows"] = db["stored"]
        out["lost"] = db["missing_submissions"] + db["missing_latest"] + db["mismatched_latest"]
        out["duplicated"] = db["duplicates"]
    return out


async def close_and_watch(target: Target, workers: Workers, run: Run, args) -> dict:
    """Close each workshop's round through the console form, as the facilitator does, and time
    how long until every phone has received its new stage; the server's loop is probed meanwhile."""
    server = target.server
    probes_from = len(run.probes)
    probe_stop = asyncio.Event()
    probe = asyncio.create_task(probe_health(server.url, run, probe_stop, 0.05))
    cpu0 = server.cpu_seconds()
    profiler = start_profiler(args, "close", server.pid, 8)
    await asyncio.sleep(0.5 if profiler else 0)
    closed_at, request_ms = now(), []
    for setup in target.setups:
        headers = {"Cookie": setup.cookie}
        async with httpx.AsyncClient(base_url=server.url, timeout=60, verify=TLS) as client:
            console = f"/f/workshops/{setup.workshop_id}"
            token = csrf_of((await client.get(console, headers=headers)).text)
            started = now()
            response = await client.post(
                f"{console}/rounds/{setup.round_id}/close", data={"csrf": token}, headers=headers
            )
            request_ms.append((now() - started) * 1000)
            if response.status_code != 303:
                raise RuntimeError(f"closing the round: HTTP {response.status_code}")
    firsts, connected = [], 0
    for _ in range(240):  # up to a minute
        answers = await workers.ask([("stage_since", closed_at)] * len(workers), 30)
        firsts = [t for a in answers for t in a["firsts"]]
        connected = sum(a["connected"] for a in answers)
        if len(firsts) >= connected:
            break
        await asyncio.sleep(0.25)
    seconds = max(firsts, default=closed_at) - closed_at
    cpu = server.cpu_seconds() - cpu0
    stop_profiler(profiler)
    probe_stop.set()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(probe, 6)
    return {
        "phones_updated": len(firsts),
        "phones_connected": connected,
        "close_request_ms": rnd(max(request_ms, default=0.0)),
        "to_phone_ms": summary_ms([t - closed_at for t in firsts]),
        "all_phones_s": round(seconds, 2),
        "server_cpu_seconds": round(cpu, 2),
        "healthz_ms": summary_ms(run.probes[probes_from:]),
    }


def own_cpu() -> float:
    times = psutil.Process().cpu_times()
    return times.user + times.system


def worst_lag(lags: list[dict]) -> dict:
    return {
        "max_ms": max((x["max_ms"] for x in lags), default=0.0),
        "p99_ms": max((x["p99_ms"] for x in lags), default=0.0),
        "stalls_over_50ms": sum(x["stalls_over_50ms"] for x in lags),
    }


def ballot_figures(spec: Spec, ballots: list[Ballot], screens: list, t0: float) -> dict:
    """Ack and vote-to-board latency, lost ballots, screen update rates, the final tally's delay."""
    acked = [b for b in ballots if b.ack_revision is not None]
    boards = [(w, s) for w, k, s in screens if k == "board"]
    # For each board, the running highest revision shown, to find the first message showing a
    # given revision by bisection.
    shown = {}
    for _w, s in boards:
        running, arrivals = [], []
        for at, revision, _n, _size in s.messages:
            running.append(max(revision, running[-1] if running else -1))
            arrivals.append(at)
        shown[id(s)] = (running, arrivals)
    per_workshop: dict[int, list[float]] = {}
    unseen = 0
    for b in acked:
        for w, s in boards:
            if w != b.workshop:
                continue
            running, arrivals = shown[id(s)]
            i = bisect.bisect_left(running, b.ack_revision)
            if i == len(running):
                unseen += 1
            else:
                per_workshop.setdefault(w, []).append(arrivals[i] - b.sent_at)
    to_board = [x for xs in per_workshop.values() for x in xs]
    worst_p99 = max((percentile(xs, 99) for xs in per_workshop.values() if xs), default=None)
    # The final tally: the first board message at or past the workshop's last acked revision.
    final_delay, final_short = [], 0
    for w in range(spec.workshops):
        mine = [b for b in acked if b.workshop == w]
        if not mine:
            continue
        last_rev = max(b.ack_revision for b in mine)
        last_ack = max(b.ack_at for b in mine)
        voters = len({b.phone for b in mine})
        for bw, s in boards:
            if bw != w:
                continue
            running, arrivals = shown[id(s)]
            i = bisect.bisect_left(running, last_rev)
            if i < len(running):
                final_delay.append(arrivals[i] - last_ack)
                final_short += s.messages[i][2] not in (-1, voters)
    # Update rates per screen: whole run, and per phase of the vote.
    rates = {}
    for _w, _k, s in screens:
        times = [m[0] for m in s.messages]
        per_phase, start = [], t0
        for _rate, seconds in spec.phases:
            inside = [t for t in times if start <= t < start + seconds + 0.5]
            per_phase.append(max_per_window(inside))
            start += seconds
        rates[s.label] = {"whole_run": max_per_window(times), "per_phase": per_phase}
    board_rates = [r["whole_run"] for label, r in rates.items() if label.startswith("board")]
    console_rates = [r["whole_run"] for label, r in rates.items() if label.startswith("console")]
    sizes = [m[3] for _w, s in boards for m in s.messages]
    return {
        "sent": sum(1 for b in ballots if b.sent_at),
        "acknowledged": len(acked),
        "refused": sum(1 for b in ballots if b.error),
        "first_refusal": next((b.error for b in ballots if b.error), ""),
        "unanswered": sum(1 for b in ballots if b.ack_at is None and not b.error),
        "ack_ms": summary_ms([b.ack_at - b.sent_at for b in acked]),
        "board_ms": summary_ms(to_board),
        "board_ms_worst_workshop_p99": rnd(worst_p99 * 1000) if worst_p99 is not None else None,
        "board_never_showed": unseen,
        "final_tally_after_last_ack_ms": rnd(max(final_delay) * 1000) if final_delay else None,
        "final_tally_wrong_count": final_short,
        "board_updates_max_per_s": max(board_rates, default=0),
        "console_updates_max_per_s": max(console_rates, default=None),
        "screen_updates": rates,
        "board_bytes_mean": round(sum(sizes) / len(sizes)) if sizes else 0,
        "screens_closed": [s.label + ": " + s.closed for _w, _k, s in screens if s.closed],
    }


def board_delays(ballots: list[Ballot], screens: list) -> dict[str, list[float]]:
    """Seconds from each acknowledged ballot's sending to each of its workshop's boards showing
    it, by client id."""
    out: dict[str, list[float]] = {}
    for w, k, s in screens:
        if k != "board":
            continue
        running, arrivals = [], []
        for at, revision, _n, _size in s.messages:
            running.append(max(revision, running[-1] if running else -1))
            arrivals.append(at)
        for b in ballots:
            if b.workshop == w and b.ack_revision is not None:
                i = bisect.bisect_left(running, b.ack_revision)
                if i < len(running):
                    out.setdefault(b.client_id, []).append(arrivals[i] - b.sent_at)
    return out


def phase_figures(spec: Spec, ballots: list[Ballot], screens: list, t0: float) -> dict:
    """Ack and vote-to-board latency per phase of the vote (by when each ballot was sent), and
    the highest rate whose ack p99 stayed within 150 ms with every ballot acknowledged."""
    delays = board_delays(ballots, screens)
    phases, start, best = [], t0, 0.0
    for rate, seconds in spec.phases:
        inside = [b for b in ballots if b.sent_at and start <= b.sent_at < start + seconds]
        acked = [b.ack_at - b.sent_at for b in inside if b.ack_revision is not None]
        board = [d for b in inside for d in delays.get(b.client_id, ())]
        ack = summary_ms(acked)
        phases.append(
            {
                "rate": rate,
                "sent": len(inside),
                "acked": len(acked),
                "ack_ms": ack,
                "board_ms": summary_ms(board),
            }
        )
        if inside and len(acked) == len(inside) and ack["p99"] is not None and ack["p99"] <= 150:
            best = max(best, rate)
        start += seconds
    return {"phases": phases, "sustained_rate": best}


def worker_figures(
    ballots: list[Ballot], screens: list, phone_worker: dict, screen_worker: dict
) -> dict:
    """Vote-to-board for boards on the phone's own worker and on another one."""
    same, other = [], []
    for w, k, s in screens:
        board_pid = screen_worker.get(id(s))
        if k != "board" or board_pid is None:
            continue
        running, arrivals = [], []
        for at, revision, _n, _size in s.messages:
            running.append(max(revision, running[-1] if running else -1))
            arrivals.append(at)
        for b in ballots:
            if b.workshop != w or b.ack_revision is None or b.phone not in phone_worker:
                continue
            i = bisect.bisect_left(running, b.ack_revision)
            if i < len(running):
                (same if phone_worker[b.phone] == board_pid else other).append(
                    arrivals[i] - b.sent_at
                )
    return {"board_ms_same_worker": summary_ms(same), "board_ms_other_worker": summary_ms(other)}


# -- profiling ------------------------------------------------------------------------------------


def start_profiler(args, label: str, pid: int, seconds: float) -> subprocess.Popen | None:
    """py-spy on the server during the vote (--profile DIR), as collapsed stacks."""
    if not args.profile:
        return None
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    out = Path(args.profile) / f"{args.current}-{label}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            *(py_spy, "record", "--nonblocking", "--format", "raw", "--rate", "250"),
            *("--pid", str(pid), "--duration", str(max(1, int(seconds))), "-o", str(out)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_profiler(proc: subprocess.Popen | None) -> None:
    if proc is None:
        return
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.terminate()
        proc.wait(5)


# -- the table ------------------------------------------------------------------------------------


def fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e6 else f"{value:.3g}"
    return str(value)


def ratio(a, b) -> float | None:
    if a is None or b is None or not b:
        return None
    return round(a / b, 2)


def change(a, b) -> str | None:
    if a is None or b is None or not a:
        return None
    return f"{100 * (b - a) / a:+.0f}%"


ROWS = (
    ("phones connected", lambda f: f"{f['phones_connected']}/{f['phones_target']}", None),
    ("join time (s)", lambda f: f["join_seconds"], "ratio"),
    ("ballots sent", lambda f: f["sent"], None),
    ("acknowledged", lambda f: f["acknowledged"], None),
    ("refused / unanswered", lambda f: f"{f['refused']} / {f['unanswered']}", None),
    ("stored (acked ids in DB)", lambda f: f.get("stored"), None),
    (
        "lost / duplicated",
        lambda f: f"{f['lost']} / {f['duplicated']}" if "lost" in f else None,
        None,
    ),
    ("ack p50 (ms)", lambda f: f["ack_ms"]["median"], "ratio"),
    ("ack p95 (ms)", lambda f: f["ack_ms"]["p95"], "ratio"),
    ("ack p99 (ms)", lambda f: f["ack_ms"]["p99"], "ratio"),
    ("ack max (ms)", lambda f: f["ack_ms"]["max"], "ratio"),
    ("vote-to-board p50 (ms)", lambda f: f["board_ms"]["median"], "ratio"),
    ("vote-to-board p95 (ms)", lambda f: f["board_ms"]["p95"], "ratio"),
    ("vote-to-board p99 (ms)", lambda f: f["board_ms"]["p99"], "ratio"),
    ("vote-to-board max (ms)", lambda f: f["board_ms"]["max"], "ratio"),
    ("  worst workshop p99 (ms)", lambda f: f["board_ms_worst_workshop_p99"], "ratio"),
    ("board never showed", lambda f: f["board_never_showed"], None),
    ("final tally after last ack (ms)", lambda f: f["final_tally_after_last_ack_ms"], None),
    ("board updates, max in 1 s", lambda f: f["board_updates_max_per_s"], None),
    (
        "round closed: phones updated",
        lambda f: f"{f['stage']['phones_updated']}/{f['stage']['phones_connected']}",
        None,
    ),
    ("  close request (ms)", lambda f: f["stage"]["close_request_ms"], None),
    ("  new stage on phone p50 (ms)", lambda f: f["stage"]["to_phone_ms"]["median"], None),
    ("  new stage on phone p99 (ms)", lambda f: f["stage"]["to_phone_ms"]["p99"], None),
    ("  new stage on every phone (s)", lambda f: f["stage"]["all_phones_s"], None),
    ("  GET /healthz p99 meanwhile (ms)", lambda f: f["stage"]["healthz_ms"]["p99"], None),
    ("console updates, max in 1 s", lambda f: f["console_updates_max_per_s"], None),
    ("phone pushes, max in 1 s", lambda f: f["phone_pushes_max_per_s"], None),
    ("board message bytes (mean)", lambda f: f["board_bytes_mean"], None),
    ("server CPU (% of a core)", lambda f: f["server_cpu_percent"], "ratio"),
    ("server RSS before phones (MiB)", lambda f: f["rss_before_mib"], None),
    ("server RSS, phones on (MiB)", lambda f: f["rss_connected_mib"], "ratio"),
    ("server peak RSS (MiB)", lambda f: f["peak_rss_mib"], "ratio"),
    ("memory per phone (KiB)", lambda f: f["memory_per_phone_kib"], "ratio"),
    ("GET /healthz p99 (ms)", lambda f: (f["healthz_ms"] or {}).get("p99"), None),
    (
        "frozen board dropped after (s)",
        lambda f: (f.get("frozen") or {}).get("dropped_after_s"),
        None,
    ),
    ("  last seen open at (s)", lambda f: (f.get("frozen") or {}).get("last_seen_open_s"), None),
    ("  server's end of it", lambda f: (f.get("frozen") or {}).get("server_state"), None),
    ("screens closed early", lambda f: len(f["screens_closed"]), None),
    ("phones closed early", lambda f: f["phones_closed_early"], None),
    ("phone clients CPU (%)", lambda f: f["client_cpu_percent"], None),
    ("whole machine CPU (% of all)", lambda f: f["host_cpu_percent"], None),
    ("  of it, other jobs (% of all)", lambda f: f["other_cpu_percent"], None),
    (
        "client loop lag p99/max (ms)",
        lambda f: f"{f['client_lag_vote']['p99_ms']}/{f['client_lag_vote']['max_ms']}",
        None,
    ),
    (
        "bench main lag p99/max (ms)",
        lambda f: f"{f['bench_main_lag_vote']['p99_ms']}/{f['bench_main_lag_vote']['max_ms']}",
        None,
    ),
)


def derived_column(name: str, runs: list[dict]) -> tuple[str, list[tuple[int, int]]] | None:
    """Which pair of columns the last column compares: ours/ceiling, or a change between runs."""
    labels = [r["label"] for r in runs]
    if name == "frozen":
        return "frozen vs not", [(labels.index("ours"), labels.index("ours+frozen"))]
    if name == "durability":
        return "full vs normal", [(labels.index("normal"), labels.index("full"))]
    if "ours" in labels and "ceiling" in labels:
        return "ours/ceiling", [(labels.index("ours"), labels.index("ceiling"))]
    return None


def print_table(name: str, runs: list[dict]) -> None:
    derived = derived_column(name, runs)
    headers = ["", *(r["label"] for r in runs)] + ([derived[0]] if derived else [])
    body = []
    for title, get, kind in ROWS:
        cells = []
        for r in runs:
            try:
                cells.append(get(r))
            except (KeyError, TypeError):
                cells.append(None)
        if all(c is None for c in cells):
            continue
        row = [title, *(fmt(c) for c in cells)]
        if derived:
            i, j = derived[1][0]
            a, b = cells[i], cells[j]
            numeric = isinstance(a, int | float) and isinstance(b, int | float)
            if name in ("frozen", "durability"):
                row.append(fmt(change(a, b)) if numeric and kind else "")
            else:
                row.append(fmt(ratio(a, b)) if numeric and kind else "")
        body.append(row)
    widths = [max(len(str(row[i])) for row in [headers, *body]) for i in range(len(headers))]
    print()
    print(
        "  "
        + "  ".join(
            h.rjust(w) if i else h.ljust(w)
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    )
    for row in body:
        print(
            "  "
            + "  ".join(
                str(c).rjust(w) if i else str(c).ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def print_scaleout(runs: list[dict]) -> None:
    """The scale-out comparison as one Markdown table: the first phase of each load (2,000
    phones at 200/s; 20 x 50 at 100/s), the highest rate sustained, and CPU per 1,000
    acknowledged ballots over the whole vote and its drain."""
    print()
    print(
        "| setup | load | ballots sent / acked / stored | ack p50 / p99 (ms) "
        "| vote-to-board p50 / p99 (ms) | board on the phone's worker / another, p99 (ms) "
        "| highest ballots/s with ack p99 ≤ 150 ms "
        "| CPU s per 1,000 acknowledged ballots: server / PostgreSQL / Redis |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in runs:
        setup = r["label"].rsplit(" ", 1)[0]
        load = r["label"].rsplit(" ", 1)[1]
        first = r["phases"][0]
        cpu = r.get("cpu_to_drain", {})
        per = 1000 / r["acknowledged"] if r.get("acknowledged") else 0
        stored = r.get("stored", "–")
        same = r.get("board_ms_same_worker", {}).get("p99")
        other = r.get("board_ms_other_worker", {}).get("p99")
        sustained = r["sustained_rate"] if len(r["phases"]) > 1 else "–"
        print(
            f"| {setup} | {load} | {first['sent']} / {first['acked']} / {stored} "
            f"| {fmt(first['ack_ms']['median'])} / {fmt(first['ack_ms']['p99'])} "
            f"| {fmt(first['board_ms']['median'])} / {fmt(first['board_ms']['p99'])} "
            f"| {fmt(same)} / {fmt(other)} | {fmt(sustained)} "
            f"| {cpu.get('server', 0) * per:.2f} / {cpu.get('postgresql', 0) * per:.2f}"
            f" / {cpu.get('redis', 0) * per:.2f} |"
        )
    print(
        "(stored counts every acknowledged ballot of the whole run; the ceiling stores nothing;"
        " the server's CPU is its supervisor's and workers')"
    )


def targets(name: str, runs: list[dict], heartbeat: float | None) -> list[dict]:
    """The scenario's targets, each with the figure it was judged on and whether it was met."""
    by = {r["label"]: r for r in runs}
    out = []

    def check(what: str, value, met: bool) -> None:
        out.append({"target": what, "value": value, "met": bool(met)})

    ours = by.get("ours") or by.get("normal")
    if ours and "lost" in ours:
        check("0 ballots lost", ours["lost"], ours["lost"] == 0)
        check("0 ballots duplicated", ours["duplicated"], ours["duplicated"] == 0)
    if name == "room":
        check("ack p99 <= 150 ms", ours["ack_ms"]["p99"], (ours["ack_ms"]["p99"] or 1e9) <= 150)
        v = ours["board_ms"]["p99"]
        check("vote-to-board p99 <= 300 ms", v, (v or 1e9) <= 300)
    if name == "surge":
        check(
            "every ballot acknowledged",
            f"{ours['acknowledged']}/{ours['sent']}",
            ours["acknowledged"] == ours["sent"] and ours["sent"] > 0,
        )
        v = ours["final_tally_after_last_ack_ms"]
        check(
            "board shows the final tally within 1 s of the last ack", v, v is not None and v <= 1000
        )
    if name == "many":
        v = ours["board_ms_worst_workshop_p99"]
        check("no workshop's vote-to-board p99 above 300 ms", v, (v or 1e9) <= 300)
    if name == "memory":
        v = ours["memory_per_phone_kib"]
        check("<= 64 KiB per connected phone", v, v is not None and v <= 64)
    if name == "rate":
        worst = max([ours["board_updates_max_per_s"], ours["console_updates_max_per_s"] or 0])
        check("no screen gets more than about 10 updates/s (<= 11 in any 1 s)", worst, worst <= 11)
    if name == "frozen":
        a, b = by["ours"]["board_ms"], by["ours+frozen"]["board_ms"]
        for key in ("median", "p99"):
            c = (b[key] - a[key]) / a[key] if a[key] and b[key] is not None else None
            check(
                f"frozen board changes others' vote-to-board {key} by <= 20%",
                None if c is None else f"{100 * c:+.0f}%",
                c is not None and c <= 0.20,
            )
        dropped = (by["ours+frozen"].get("frozen") or {}).get("dropped_after_s")
        limit = 2 * (heartbeat or 20)
        check(
            f"frozen board dropped within the heartbeat's ping interval + timeout ({limit:g} s)",
            dropped,
            dropped is not None and dropped <= limit,
        )
    if name == "durability":
        n, f = by["normal"]["ack_ms"], by["full"]["ack_ms"]
        cost = {k: rnd((f[k] or 0) - (n[k] or 0)) for k in ("median", "p95", "p99")}
        out.append(
            {"target": "cost of FULL in ack latency (ms, report only)", "value": cost, "met": True}
        )
    return out


# -- main -----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario",
        default="all",
        choices=[*SCENARIOS, "all"],
        help="which load to run (default all, one after the other)",
    )
    parser.add_argument(
        "--target",
        default="both",
        choices=("both", "ours", "ceiling"),
        help="run against our server, the bare ceiling, or both (default)",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="multiply phones and rates")
    parser.add_argument("--time-scale", type=float, default=1.0, help="multiply vote durations")
    parser.add_argument("--workers", type=int, default=2, help="phone processes (default 2)")
    parser.add_argument(
        "--join-concurrency", type=int, default=32, help="phones joining at once, in all (32)"
    )
    parser.add_argument("--drain", type=float, default=15.0, help="seconds to wait for late acks")
    parser.add_argument("--seed", type=int, default=1, help="random seed for the dots")
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="hard limit on the whole run (s, 3600)"
    )
    parser.add_argument("--profile", metavar="DIR", help="py-spy the server during each vote")
    parser.add_argument("--json", metavar="FILE", help="also append the JSON lines to FILE")
    parser.add_argument("--keep", action="store_true", help="keep databases and server logs")
    parser.add_argument(
        "--only", metavar="LABELS", help="run only these runs (comma-separated labels)"
    )
    args = parser.parse_args(argv)
    if not (0 < args.scale <= 4 and 0 < args.time_scale <= 4 and 1 <= args.workers <= 4):
        parser.error("scale and time-scale in (0, 4], workers 1-4")
    return args


async def run_all(args, names: list[str], tmp_root: Path) -> list[dict]:
    results = []
    for name in names:
        what, plan = SCENARIOS[name]
        print(f"\n== {name}: {what}", flush=True)
        args.current = name
        runs = []
        heartbeat = None
        for label, kind, spec in plan:
            if args.target != "both" and kind != args.target:
                continue
            if args.only and label not in args.only.split(","):
                continue
            spec = scaled(spec, args.scale, args.time_scale)
            heartbeat = spec.heartbeat or heartbeat
            tmp = tmp_root / f"{name}-{label}"
            tmp.mkdir(parents=True)
            started = time.monotonic()
            runs.append(await run_target(label, kind, spec, args, tmp))
            print(f"  [{label}] done in {time.monotonic() - started:.0f} s", flush=True)
        print_table(name, runs)
        if name == "scaleout":
            print_scaleout(runs)
        checks = targets(name, runs, heartbeat) if args.target != "ceiling" else []
        if checks:
            print()
            for c in checks:
                print(f"  {'MET   ' if c['met'] else 'MISSED'}  {c['target']}: {fmt(c['value'])}")
        line = {"scenario": name, "what": what, "runs": runs, "targets": checks}
        derived = derived_column(name, runs)
        if derived and name not in ("frozen", "durability"):
            ours, ceiling = runs[derived[1][0][0]], runs[derived[1][0][1]]
            line["ratios_to_ceiling"] = {
                "ack_p50": ratio(ours["ack_ms"]["median"], ceiling["ack_ms"]["median"]),
                "ack_p99": ratio(ours["ack_ms"]["p99"], ceiling["ack_ms"]["p99"]),
                "board_p50": ratio(ours["board_ms"]["median"], ceiling["board_ms"]["median"]),
                "board_p99": ratio(ours["board_ms"]["p99"], ceiling["board_ms"]["p99"]),
                "server_cpu": ratio(ours["server_cpu_percent"], ceiling["server_cpu_percent"]),
                "memory_per_phone": ratio(
                    ours["memory_per_phone_kib"], ceiling["memory_per_phone_kib"]
                ),
                "peak_rss": ratio(ours["peak_rss_mib"], ceiling["peak_rss_mib"]),
            }
        text = json.dumps(line, sort_keys=True)
        print("\n" + text, flush=True)
        if args.json:
            with open(args.json, "a") as f:
                f.write(text + "\n")
        results.append(line)
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    limit = raise_open_files()
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    load = os.getloadavg()
    print(
        f"open files {limit}; {psutil.cpu_count()} cores; load average {load[0]:.2f} "
        f"{load[1]:.2f} {load[2]:.2f}; python {sys.version.split()[0]}; {ROOT}",
        flush=True,
    )
    tmp_root = Path(tempfile.mkdtemp(prefix="facilitation-load-"))
    try:

        async def bounded() -> list[dict]:
            async with asyncio.timeout(args.timeout):
                return await run_all(args, names, tmp_root)

        try:
            results = asyncio.run(bounded())
        except TimeoutError:
            print(f"run exceeded --timeout {args.timeout} s", file=sys.stderr)
            return 2
        except Exception as exc:
            print(f"run failed: {exc!r}", file=sys.stderr)
            for log in sorted(tmp_root.glob("*/*.log")):
                tail = log.read_text(errors="replace").splitlines()[-20:]
                print(f"--- {log}\n" + "\n".join(tail), file=sys.stderr)
            return 2
        missed = [c for r in results for c in r["targets"] if not c["met"]]
        print(f"\n{len(missed)} target(s) missed" if missed else "\nall targets met")
        return 1 if missed else 0
    finally:
        if args.keep:
            print(f"kept {tmp_root}", file=sys.stderr)
        else:
            shutil.rmtree(tmp_root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
