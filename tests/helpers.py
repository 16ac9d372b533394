"""People in a test: a Facilitator and a Phone that act through the real HTTP and websocket API."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import websockets

from tests.engines import REDIS_VARIABLE

PASSWORD = "a long test password"
WAIT = 15.0  # seconds: generous, so a loaded machine never fails a test that would pass


def csrf_of(html: str) -> str:
    """The CSRF token a page embeds in its forms."""
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*args: str, cwd, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`python -m facilitation ARGS` as a user runs it, inheriting no FACILITATION_ setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACILITATION_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "facilitation", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
    )


def fresh_python(
    code: str, *, hash_seed: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """`python -c CODE` in a fresh process at the project's root, with this string-hash seed if
    given; fails on a non-zero exit."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = hash_seed
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,
        check=True,
    )


def last_line_of(code: str, *, hash_seed: str, timeout: float = 120) -> str:
    """What `python -c CODE` prints last in a fresh process (solver banners may come before)."""
    return fresh_python(code, hash_seed=hash_seed, timeout=timeout).stdout.splitlines()[-1]


def data_option(data: str) -> list[str]:
    """The command line's words for a database: a SQLite file or a database URL."""
    return ["--database", data] if "://" in data else ["--data", data]


def add_user(data_path: str, username: str = "facilitator", password: str = PASSWORD) -> None:
    """Create a facilitator through the real command line."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "facilitation",
            "add-user",
            username,
            "--password-stdin",
            *data_option(data_path),
        ],
        input=password + "\n",
        text=True,
        check=True,
        capture_output=True,
    )


@dataclass
class Server:
    """A real `facilitation serve` process on a loopback port."""

    data_path: str
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    extra_env: dict | None = None
    # Run in the server's process before it starts (e.g. to set a resource limit).
    preexec_fn: Callable[[], None] | None = None
    public_url: str | None = None  # None: the server's own address; "": none
    workers: int = 1

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> Server:
        env = {**os.environ, **(self.extra_env or {})}
        public_url = self.url if self.public_url is None else self.public_url
        env.setdefault("FACILITATION_PUBLIC_URL", public_url)
        if "://" in self.data_path:
            env.setdefault("FACILITATION_REDIS_URL", os.environ.get(REDIS_VARIABLE, ""))
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "facilitation",
                "serve",
                "--port",
                str(self.port),
                *data_option(self.data_path),
                *(["--workers", str(self.workers)] if self.workers > 1 else []),
                "--public-url",
                public_url,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=self.preexec_fn,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode() if self.proc.stdout else ""
                raise RuntimeError(f"server exited early:\n{out}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not start in time")

    def stop(self, sig: int | None = None, timeout: float = 10.0) -> None:
        import signal

        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig or signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()


class Facilitator:
    """A signed-in facilitator driving the console through plain form posts."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.token = ""

    async def login(
        self, username: str = "facilitator", password: str = PASSWORD
    ) -> httpx.Response:
        page = await self.client.get("/login")
        response = await self.client.post(
            "/login",
            data={
                "csrf": csrf_of(page.text),
                "username": username,
                "password": password,
                "next": "/f",
            },
        )
        listing = await self.client.get("/f")
        if listing.status_code == 200:
            self.token = csrf_of(listing.text)
        return response

    async def post(self, path: str, data: dict | None = None, htmx: bool = False) -> httpx.Response:
        headers = {"HX-Request": "true"} if htmx else {}
        return await self.client.post(
            path, data={"csrf": self.token, **(data or {})}, headers=headers
        )

    async def create_workshop(self, title: str = "Green spaces", date: str = "", place: str = ""):
        """Create a workshop; returns (workshop id, join code)."""
        response = await self.post("/f/workshops", {"title": title, "date": date, "place": place})
        assert response.status_code == 303, response.text
        workshop_id = int(response.headers["location"].rsplit("/", 1)[1])
        console = await self.client.get(f"/f/workshops/{workshop_id}")
        code = re.search(r'class="code-big">([A-Z0-9]+)<', console.text).group(1)
        return workshop_id, code

    async def add_option(self, workshop_id: int, title: str, description: str = "") -> int:
        response = await self.post(
            f"/f/workshops/{workshop_id}/options", {"title": title, "description": description}
        )
        assert response.status_code == 303, response.text
        return max(await self.option_ids(workshop_id))

    async def option_ids(self, workshop_id: int) -> list[int]:
        console = await self.client.get(f"/f/workshops/{workshop_id}")
        return [int(i) for i in re.findall(r'id="ot-(\d+)"', console.text)]

    async def create_round(self, workshop_id: int, title: str, option_ids, **fields) -> int:
        data = {
            "title": title,
            "kind": "dots",
            "options": [str(o) for o in option_ids],
            **{k: str(v) for k, v in fields.items()},
        }
        response = await self.post(f"/f/workshops/{workshop_id}/rounds", data)
        assert response.status_code == 303, response.text
        console = await self.client.get(f"/f/workshops/{workshop_id}")
        return max(int(i) for i in re.findall(r"/rounds/(\d+)/", console.text))

    async def round_action(self, workshop_id: int, round_id: int, action: str) -> httpx.Response:
        return await self.post(f"/f/workshops/{workshop_id}/rounds/{round_id}/{action}")


class Phone:
    """A participant's phone: joins by code, then votes over its websocket or plain HTTP."""

    def __init__(self, client: httpx.AsyncClient, ws_base: str | None = None) -> None:
        self.client = client
        self.ws_base = ws_base
        self.code = ""
        self.token = ""

    async def join(self, code: str, name: str = "") -> httpx.Response:
        home = await self.client.get("/")
        response = await self.client.post(
            "/join", data={"csrf": csrf_of(home.text), "code": code, "name": name}
        )
        self.code = code
        page = await self.client.get(f"/w/{code}")
        if 'name="csrf"' in page.text:
            self.token = csrf_of(page.text)
        return response

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.client.cookies.items())

    @asynccontextmanager
    async def socket(self, origin: str | None = None):
        """The phone's websocket, with the cookie and Origin a browser would send."""
        assert self.ws_base, "socket() needs a live server"
        origin = origin or self.ws_base.replace("ws://", "http://")
        async with websockets.connect(
            f"{self.ws_base}/w/{self.code}/ws",
            additional_headers={"Cookie": self.cookie_header(), "Origin": origin},
            open_timeout=10,
        ) as ws:
            yield ws

    @asynccontextmanager
    async def connected(self):
        """The phone's websocket once its first message, the full current stage, is read."""
        async with self.socket() as ws:
            await asyncio.wait_for(ws.recv(), WAIT)
            yield ws

    @staticmethod
    def ballot_message(
        round_id: int, dots: dict | None = None, ranking=None, client_id: str | None = None
    ) -> str:
        """The JSON the htmx ws extension sends for the ballot form."""
        fields = {
            "action": "ballot",
            "round_id": str(round_id),
            "client_id": client_id or uuid.uuid4().hex,
            "HEADERS": {"HX-Request": "true", "HX-Trigger": "ballot"},
        }
        for option_id, n in (dots or {}).items():
            fields[f"dots-{option_id}"] = str(n)
        if ranking is not None:
            # A person who put the options in their order (the phone ticks "This is my order").
            fields["rank"] = [str(o) for o in ranking]
            fields["confirm_order"] = "yes"
        return json.dumps(fields)

    async def vote_http(
        self,
        round_id: int,
        dots: dict | None = None,
        ranking=None,
        client_id: str | None = None,
        htmx: bool = True,
    ) -> httpx.Response:
        data: dict = {
            "csrf": self.token,
            "round_id": str(round_id),
            "client_id": client_id or uuid.uuid4().hex,
        }
        for option_id, n in (dots or {}).items():
            data[f"dots-{option_id}"] = str(n)
        if ranking is not None:
            data["rank"] = [str(o) for o in ranking]
            data["confirm_order"] = "yes"
        headers = {"HX-Request": "true"} if htmx else {}
        return await self.client.post(f"/w/{self.code}/ballot", data=data, headers=headers)

    @staticmethod
    def form_message(round_id: int, fields: dict, client_id: str | None = None) -> str:
        """The JSON the htmx ws extension sends for any ballot form: an idea's text and category,
        budget picks (``pick-<id>``), ratings (``rate-<id>``)..."""
        return json.dumps(
            {
                "action": "ballot",
                "round_id": str(round_id),
                "client_id": client_id or uuid.uuid4().hex,
                "HEADERS": {"HX-Request": "true", "HX-Trigger": "ballot"},
                **fields,
            }
        )

    async def send_http(
        self, round_id: int, fields: dict, client_id: str | None = None, htmx: bool = True
    ) -> httpx.Response:
        """Post any ballot form (an idea, picks, ratings) as the phone page does without its
        websocket."""
        if not self.token:
            self.token = csrf_of((await self.client.get(f"/w/{self.code}")).text)
        data = {
            "csrf": self.token,
            "round_id": str(round_id),
            "client_id": client_id or uuid.uuid4().hex,
            **fields,
        }
        headers = {"HX-Request": "true"} if htmx else {}
        return await self.client.post(f"/w/{self.code}/ballot", data=data, headers=headers)


def stage_of(html: str) -> str:
    """A phone stage's state: waiting, open or closed."""
    return re.search(r'data-status="(\w+)"', html).group(1)


ROOT = Path(__file__).resolve().parent.parent


def db_rows(data_path: str) -> list[str]:
    """Every row of the database as text (a SQLite file or a database URL), to show that a
    refused request changed nothing."""
    from tests.engines import raw

    with raw(data_path) as db:
        return list(db.iterdump())


@asynccontextmanager
async def browser_socket(
    ws_base: str, path: str, client: httpx.AsyncClient, origin: str | None = None
):
    """A websocket opened with a client's cookies and an Origin, as a browser tab would."""
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    headers = {"Origin": origin or ws_base.replace("ws://", "http://")}
    if cookie:
        headers["Cookie"] = cookie
    async with websockets.connect(
        ws_base + path, additional_headers=headers, open_timeout=10
    ) as ws:
        yield ws


def from_address(server: Server, address: str, timeout: float = WAIT) -> httpx.AsyncClient:
    """A device at another network address, as a trusted proxy in front of ``server`` names it
    (the server must trust 127.0.0.1: see the proxied_server fixture). Addresses stay loopback."""
    return httpx.AsyncClient(
        base_url=server.url, timeout=timeout, headers={"X-Forwarded-For": address}
    )


@asynccontextmanager
async def socket_from(server: Server, path: str, client: httpx.AsyncClient):
    """A websocket opened as a browser tab of ``client`` would, from the client's address."""
    headers = {
        "Origin": server.url,
        "Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items()),
        **({"X-Forwarded-For": client.headers["x-forwarded-for"]}
           if "x-forwarded-for" in client.headers else {}),
    }  # fmt: skip
    async with websockets.connect(
        server.ws_url + path, additional_headers=headers, open_timeout=WAIT
    ) as ws:
        yield ws


def quick_hash(password: str = PASSWORD) -> str:
    """An argon2 hash with small costs: the app verifies it with the costs it names, so a test
    account signs in quickly while the sign-in code stays the real one."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(password)


async def signed_in_facilitator(app, client: httpx.AsyncClient) -> Facilitator:
    """Create the facilitator account in the app's store (the organiser and administrator, as
    the first account is) and sign in through the login form."""
    await app.state.store.users.create_user("facilitator", quick_hash(), admin=True)
    person = Facilitator(client)
    response = await person.login()
    assert response.status_code == 303
    return person


def read_only(data_path: str):
    """A read-only connection to the database: safe beside a running server, and it can never
    checkpoint or otherwise change the file a restarted server will open."""
    import sqlite3

    return sqlite3.connect(Path(data_path).resolve().as_uri() + "?mode=ro", uri=True)


def db_query(data_path: str, sql: str, params: tuple = ()) -> list[tuple]:
    """The rows of one query, read through a read-only connection."""
    from contextlib import closing

    with closing(read_only(data_path)) as db:
        return db.execute(sql, params).fetchall()


def db_rows_read_only(data_path: str) -> list[str]:
    """db_rows() through a read-only connection, for a database a live server has open."""
    from contextlib import closing

    with closing(read_only(data_path)) as db:
        return list(db.iterdump())


class ServerOutput:
    """Everything a server process prints, read as it comes so that the pipe never fills."""

    def __init__(self, server: Server) -> None:
        import threading

        self.server = server
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(server.proc.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in iter(stream.readline, b""):
            self.lines.append(line.decode("utf-8", "replace"))

    def stop(self, sig: int | None = None, timeout: float = 10.0) -> str:
        """Stop the server (SIGTERM unless told), and return all it printed."""
        import signal

        proc = self.server.proc
        if proc.poll() is None:
            proc.send_signal(sig or signal.SIGTERM)
            proc.wait(timeout)
        self._thread.join(timeout)
        self.server.stop()  # closes the pipe, now that it is read to the end
        return "".join(self.lines)


def tally(rnd, ballots):
    """Count a round by its kind, as the product does."""
    from facilitation import kinds

    return kinds.get(rnd.kind).tally(rnd, list(ballots))


def summary(rows) -> list[tuple]:
    """A tally's rows as (option, score, place, tied), to compare with a table."""
    return [(r.option_id, r.score, r.place, r.tied) for r in rows]


async def receive_until(ws, wanted, timeout: float = WAIT) -> tuple[str, list[str]]:
    """Read messages until one satisfies ``wanted``; returns it and every message read."""
    seen: list[str] = []

    async def read() -> str:
        while True:
            message = await ws.recv()
            seen.append(message)
            if wanted(message):
                return message

    return await asyncio.wait_for(read(), timeout), seen


async def vote_over(ws, round_id: int, dots: dict) -> str:
    """Send a dot ballot over a phone's socket; returns the reply saying whether it was saved."""
    await ws.send(Phone.ballot_message(round_id, dots))
    reply, _ = await receive_until(ws, lambda m: 'id="ballot-status"' in m)
    return reply


async def vote_back_to_back(phone: Phone, round_id: int, sequence: list[dict]) -> None:
    """Send a phone's dot ballots over its socket without waiting for acks between them, then
    wait until every one is acknowledged as saved."""
    async with phone.connected() as ws:
        for dots in sequence:
            await ws.send(Phone.ballot_message(round_id, dots))
        acks = 0
        while acks < len(sequence):
            message = await asyncio.wait_for(ws.recv(), WAIT)
            if 'id="ballot-status"' in message:
                assert status_of(message) == "saved"
                acks += 1


def score(board: str, option_id: int) -> int | None:
    """An option's score on a board as pushed, or None when it is not shown."""
    match = re.search(rf'data-option="{option_id}" data-score="(\d+)"', board)
    return int(match.group(1)) if match else None


def status_of(html: str) -> str:
    """A ballot's status in a reply: saved or error."""
    return re.search(r'id="ballot-status".*?data-state="(\w+)"', html, re.S).group(1)
