"""Behind Debian's nginx with the shipped site config: HTTPS pages, websockets over wss, Secure
cookies, the Origin check, and whose address the join-code limit counts, trusted or not."""

from __future__ import annotations

import asyncio
import os
import re
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from facilitation.app import create_app
from facilitation.server import uvicorn_config
from facilitation.settings import Settings
from facilitation.workshop.guessing import Limits
from tests.helpers import ROOT, Facilitator, Phone, Server, add_user, free_port

NGINX = "/usr/sbin/nginx"
SITE = ROOT / "deploy" / "nginx" / "facilitation.conf"
WAIT = 15.0
# Two people on other machines, as nginx sees them: loopback addresses other than the one it
# listens on and forwards from, so every byte stays on this machine.
PERSON_A, PERSON_B = "127.0.0.2", "127.0.0.3"
WRONG_CODE = "QQQQQQQQ"
# Wrong join codes one address may send in ten minutes before its lookups are paced.
ALLOWANCE = Limits().address_wrong


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def site_config(app_port: int, http_port: int, https_port: int, cert: Path, key: Path) -> str:
    """The shipped site file with only its ports, names and certificate paths changed; each
    change must find its text, so the test fails if the file drifts instead of testing a copy."""
    text = SITE.read_text()
    changes = [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};", 1),
        ("listen 80;", f"listen 127.0.0.1:{http_port};", 1),
        ("listen [::]:80;\n", "", 1),
        ("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;", 1),
        ("listen [::]:443 ssl;\n", "", 1),
        ("/etc/letsencrypt/live/vote.example.org/fullchain.pem", str(cert), 1),
        ("/etc/letsencrypt/live/vote.example.org/privkey.pem", str(key), 1),
        ("server_name vote.example.org;", "server_name 127.0.0.1;", 2),
    ]
    for old, new, count in changes:
        assert text.count(old) == count, f"{SITE.name} no longer has {old!r}"
        text = text.replace(old, new)
    return text


def main_config(prefix: Path, site: Path) -> str:
    """nginx's own file: everything it writes stays in ``prefix``. Started as root, nginx would
    hand its workers to an account that cannot read the test's folders, so they stay root."""
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1;\npid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'};\n"
        + "events { worker_connections 256; }\n"
        + f"http {{\n    access_log {prefix / 'access.log'};\n{temp}\n    include {site};\n}}\n"
    )


@dataclass
class Stack:
    """A real `facilitation serve` with nginx in front of it, both on loopback."""

    app: Server
    nginx: subprocess.Popen
    https_port: int
    http_port: int
    tls: ssl.SSLContext
    prefix: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def wss(self) -> str:
        return f"wss://127.0.0.1:{self.https_port}"

    def client(self, source: str | None = None) -> httpx.AsyncClient:
        """A browser on this machine, or at another address when ``source`` is given."""
        transport = httpx.AsyncHTTPTransport(verify=self.tls, local_address=source)
        return httpx.AsyncClient(base_url=self.url, transport=transport, timeout=WAIT)

    def socket(self, path: str, client: httpx.AsyncClient, origin: str | None = None):
        headers = {
            "Origin": origin or self.url,
            "Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items()),
        }
        return websockets.connect(
            self.wss + path, ssl=self.tls, additional_headers=headers, open_timeout=WAIT
        )

    def stop(self) -> None:
        if self.nginx.poll() is None:
            self.nginx.terminate()
            try:
                self.nginx.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait(WAIT)
        self.nginx.stdout.close()
        self.app.stop()


def start_stack(folder: Path, trusted: str) -> Stack:
    cert, key = certificate(folder)
    data = str(folder / "site.sqlite3")
    add_user(data)
    app = Server(data, public_url="", extra_env={"FACILITATION_TRUSTED_PROXIES": trusted}).start()
    https_port = other_port(app.port)
    http_port = other_port(app.port, https_port)
    site = folder / "facilitation.conf"
    site.write_text(site_config(app.port, http_port, https_port, cert, key))
    conf = folder / "nginx.conf"
    conf.write_text(main_config(folder, site))
    nginx = subprocess.Popen(
        [NGINX, "-p", f"{folder}/", "-c", str(conf), "-e", str(folder / "error.log"),
         "-g", "daemon off;"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    stack = Stack(
        app, nginx, https_port, http_port, ssl.create_default_context(cafile=cert), folder
    )
    try:
        wait_until_served(stack)
    except BaseException:
        stack.stop()
        raise
    return stack


def other_port(*taken: int) -> int:
    """A free loopback port that is none of ``taken``."""
    for _attempt in range(20):
        port = free_port()
        if port not in taken:
            return port
    raise RuntimeError("no free port")


def wait_until_served(stack: Stack, timeout: float = WAIT) -> None:
    """Until the app answers through nginx; nginx ending early fails at once with its log."""
    for _attempt in range(int(timeout / 0.05)):
        try:
            response = httpx.get(stack.url + "/healthz", verify=stack.tls, timeout=1)
            if response.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        try:  # a bounded wait on nginx itself, which also notices it exiting
            stack.nginx.wait(0.05)
        except subprocess.TimeoutExpired:
            continue
        log = (stack.prefix / "error.log").read_text(errors="replace")
        raise RuntimeError(f"nginx exited:\n{stack.nginx.stdout.read().decode()}\n{log}")
    raise RuntimeError("nginx did not serve the app in time")


@pytest.fixture(scope="module")
def trusted(tmp_path_factory):
    """nginx in front of a server that trusts it (the README's set-up, without a public_url)."""
    stack = start_stack(tmp_path_factory.mktemp("trusted"), "127.0.0.1")
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def untrusted(tmp_path_factory):
    """nginx in front of a server left at the default: no proxy is trusted."""
    stack = start_stack(tmp_path_factory.mktemp("untrusted"), "")
    yield stack
    stack.stop()


async def open_round(staff: httpx.AsyncClient) -> tuple[Facilitator, int, str, int, int]:
    """A signed-in facilitator with a workshop whose dot round is open; returns its parts."""
    facilitator = Facilitator(staff)
    assert (await facilitator.login()).status_code == 303
    workshop_id, code = await facilitator.create_workshop("Courtyard")
    option = await facilitator.add_option(workshop_id, "Benches")
    other = await facilitator.add_option(workshop_id, "Lighting")
    round_id = await facilitator.create_round(workshop_id, "Priorities", [option, other])
    assert (await facilitator.round_action(workshop_id, round_id, "open")).status_code == 303
    return facilitator, workshop_id, code, option, round_id


async def receive_until(ws, pattern: str) -> str:
    async def read() -> str:
        while True:
            message = await ws.recv()
            if re.search(pattern, message):
                return message

    return await asyncio.wait_for(read(), WAIT)


# -- HTTPS in front ------------------------------------------------------------------------------


async def test_a_page_loads_over_https_through_nginx(trusted):
    async with trusted.client() as browser:
        response = await browser.get("/")
    assert response.status_code == 200
    assert "<h1>Join a workshop</h1>" in response.text
    assert response.headers["strict-transport-security"] == "max-age=31536000"


async def test_plain_http_is_sent_to_https(trusted):
    async with httpx.AsyncClient(timeout=WAIT) as browser:
        response = await browser.get(f"http://127.0.0.1:{trusted.http_port}/w/ABCDEF?x=1")
    assert response.status_code == 301
    assert response.headers["location"] == "https://127.0.0.1/w/ABCDEF?x=1"


async def test_a_body_over_the_apps_limit_is_refused_by_nginx(trusted):
    async with trusted.client() as browser:
        response = await browser.post("/join", content=b"x" * (256 * 1024 + 1))
    assert response.status_code == 413
    assert "nginx" in response.text


async def test_a_phone_joins_and_its_ballot_is_saved_over_wss(trusted):
    async with trusted.client() as staff, trusted.client() as device:
        facilitator, workshop_id, code, option, round_id = await open_round(staff)
        phone = Phone(device)
        assert (await phone.join(code, "Ann")).status_code == 200  # the stage itself
        async with trusted.socket(f"/w/{code}/ws", device) as ws:
            first = await asyncio.wait_for(ws.recv(), WAIT)
            assert first.startswith(f'<section id="stage-{workshop_id}"')
            assert 'data-status="open"' in first
            await ws.send(Phone.ballot_message(round_id, {option: 3}, client_id="through-nginx-1"))
            ack = await receive_until(ws, 'id="ballot-status"')
        results = await facilitator.client.get(f"/f/workshops/{workshop_id}/export/results.csv")
    assert 'data-state="saved"' in ack
    assert 'data-client-id="through-nginx-1"' in ack
    assert f"{round_id},Priorities,dots,1,no,{option},Benches,3,1,1" in results.text


async def test_the_board_and_console_sockets_work_through_nginx(trusted):
    async with trusted.client() as staff:
        _f, workshop_id, code, _o, _r = await open_round(staff)
        async with trusted.socket(f"/f/workshops/{workshop_id}/board/ws", staff) as board:
            assert code in await asyncio.wait_for(board.recv(), WAIT)
        async with trusted.socket(f"/f/workshops/{workshop_id}/ws", staff) as console:
            assert "Priorities" in await asyncio.wait_for(console.recv(), WAIT)


# -- what the app believes of the proxy ----------------------------------------------------------


def set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


async def test_cookies_are_secure_when_the_trusted_proxy_says_https(trusted):
    async with trusted.client() as browser:
        cookies = set_cookies(await browser.get("/"))
    assert cookies and all(re.search(r";\s*secure", c, re.I) for c in cookies)


async def test_an_untrusted_proxys_https_is_not_believed(untrusted):
    async with untrusted.client() as browser:
        cookies = set_cookies(await browser.get("/"))
    assert cookies and not any(re.search(r";\s*secure", c, re.I) for c in cookies)


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "http://127.0.0.1:{port}", "https://127.0.0.1:{other}", "null"],
)
async def test_the_origin_check_refuses_any_other_origin(trusted, origin):
    origin = origin.format(port=trusted.https_port, other=trusted.http_port)
    async with trusted.client() as staff, trusted.client() as device:
        _f, _w, code, _o, _r = await open_round(staff)
        await Phone(device).join(code)
        with pytest.raises(InvalidStatus) as refused:
            async with trusted.socket(f"/w/{code}/ws", device, origin=origin):
                pass
        # The same phone from the public https origin is let in.
        async with trusted.socket(f"/w/{code}/ws", device) as ws:
            assert code in await asyncio.wait_for(ws.recv(), WAIT)
    assert refused.value.response.status_code == 403


async def wrong_codes(stack: Stack, source: str, count: int, **headers: str) -> list[int]:
    """Wrong join codes from one address, each from a fresh device (no cookies kept), so only
    the limits per address can touch them; returns the statuses."""
    statuses = []
    async with stack.client(source) as person:
        for _ in range(count):
            person.cookies.clear()
            statuses.append((await person.get(f"/w/{WRONG_CODE}", headers=headers)).status_code)
    return statuses


def paced(stack: Stack) -> float:
    """How many join code lookups have waited their turn (read from the app itself: /metrics
    answers only this machine, and nothing that came through the proxy)."""
    figures = httpx.get(stack.app.url + "/metrics", timeout=WAIT).text
    return float(re.search(r"^facilitation_join_lookups_paced_total (\S+)$", figures, re.M)[1])


async def paced_lookups(stack: Stack, source: str, count: int, **headers: str) -> float:
    """How many of ``count`` more wrong codes from ``source`` waited their turn."""
    before = paced(stack)
    assert await wrong_codes(stack, source, count, **headers) == [404] * count
    return paced(stack) - before


async def test_a_trusted_proxy_lets_the_limit_count_each_real_address(trusted):
    assert await wrong_codes(trusted, PERSON_A, ALLOWANCE) == [404] * ALLOWANCE
    assert await paced_lookups(trusted, PERSON_A, 3) >= 2  # its allowance comes back slowly
    # A made-up X-Forwarded-For from the client is not believed: nginx adds the real address.
    assert await paced_lookups(trusted, PERSON_A, 3, **{"X-Forwarded-For": "127.0.9.9"}) >= 2
    assert await paced_lookups(trusted, PERSON_B, 3) == 0


async def test_without_trust_everyone_through_the_proxy_shares_its_address(untrusted):
    assert await wrong_codes(untrusted, PERSON_A, ALLOWANCE) == [404] * ALLOWANCE
    assert await paced_lookups(untrusted, PERSON_A, 3) >= 2
    assert await paced_lookups(untrusted, PERSON_B, 3) >= 2


# -- the shipped service unit --------------------------------------------------------------------


def test_the_systemd_unit_is_valid(tmp_path):
    unit = (ROOT / "deploy" / "systemd" / "facilitation.service").read_text()
    command = "/opt/facilitation/.venv/bin/facilitation"
    assert unit.count(command) == 1
    executable = Path(sys.executable).parent / "facilitation"
    (tmp_path / "facilitation.service").write_text(unit.replace(command, str(executable)))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "facilitation.service")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


# -- the setting, in-process ---------------------------------------------------------------------


async def cookie_flags(tmp_path, base_url: str, headers: dict, **settings) -> list[str]:
    """The Set-Cookie headers a first visit gets from an app with these settings."""
    app = create_app(Settings(data_path=str(tmp_path / "site.sqlite3"), **settings))
    async with app.router.lifespan_context(app):
        # ASGITransport's client is 127.0.0.1, as nginx on the same machine would be.
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as c:
            return set_cookies(await c.get("/", headers=headers))


def secure(cookies: list[str]) -> bool:
    assert cookies
    return all(re.search(r";\s*secure", c, re.I) for c in cookies)


HTTPS = {"X-Forwarded-Proto": "https"}


@pytest.mark.parametrize(
    ("base_url", "headers", "settings", "expected"),
    [
        ("https://testserver", {}, {}, True),  # HTTPS straight to the app
        ("http://testserver", {}, {}, False),
        ("http://testserver", HTTPS, {}, False),
        ("http://testserver", HTTPS, {"trusted_proxies": "10.0.0.0/8"}, False),
        ("http://testserver", HTTPS, {"trusted_proxies": "127.0.0.1"}, True),
        ("http://testserver", {}, {"https_only": True}, True),
    ],
)
async def test_cookies_are_secure_whenever_the_request_came_over_https(
    tmp_path, base_url, headers, settings, expected
):
    assert secure(await cookie_flags(tmp_path, base_url, headers, **settings)) is expected


def test_the_server_itself_believes_no_forwarded_headers():
    assert uvicorn_config(Settings(trusted_proxies="127.0.0.1")).proxy_headers is False


@pytest.mark.parametrize("value", ["nginx", "127.0.0.1, localhost", "10.0.0.0/33", "*"])
def test_a_bad_trusted_proxies_setting_is_refused_with_a_clear_message(tmp_path, value):
    result = subprocess.run(
        [sys.executable, "-m", "facilitation", "serve", "--trusted-proxies", value,
         "--data", str(tmp_path / "site.sqlite3")],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert result.returncode == 2
    assert "trusted_proxies" in result.stderr
    assert "is not an IP address or network" in result.stderr
    assert not (tmp_path / "site.sqlite3").exists()


def test_trusted_proxies_may_list_addresses_and_networks():
    settings = Settings.from_env({"FACILITATION_TRUSTED_PROXIES": "127.0.0.1, ::1, 10.0.0.0/8"})
    assert settings.trusted_proxies == "127.0.0.1, ::1, 10.0.0.0/8"
