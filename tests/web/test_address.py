"""The address QR codes and join links give phones: one a phone in the hall can open, never
0.0.0.0 or ::, and the console says which it is and what to do when phones cannot reach it."""

from __future__ import annotations

import html
import os
import queue
import subprocess
import sys
import threading

import httpx
import pytest
from starlette.requests import Request

from facilitation.app import create_app
from facilitation.settings import Settings
from facilitation.web.address import JoinAddresses, browser_base, choose, network_address
from facilitation.web.render import qr_svg
from tests.helpers import ROOT, free_port, signed_in_facilitator

LAN = "192.168.1.20"


@pytest.mark.parametrize(
    ("addresses", "expected"),
    [
        (["127.0.0.1", "192.168.1.20"], "192.168.1.20"),
        (["169.254.7.7", "81.2.69.160", "10.0.0.5"], "10.0.0.5"),  # private before public
        (["81.2.69.160"], "81.2.69.160"),
        (["::1", "fe80::1", "2a00:1450::5"], "2a00:1450::5"),
        (["0.0.0.0", "127.0.1.1", "::", "not an address"], None),
        ([], None),
    ],
)
def test_the_network_address_is_one_a_phone_can_reach(addresses, expected):
    assert network_address(addresses) == expected


@pytest.mark.parametrize(
    ("public_url", "host", "addresses", "browser", "base", "reachable"),
    [
        ("https://vote.example.org/", "0.0.0.0", [LAN], None, "https://vote.example.org", True),
        ("", "192.168.1.30", [LAN], None, "http://192.168.1.30:8000", True),
        ("", "0.0.0.0", ["127.0.0.1", LAN], None, f"http://{LAN}:8000", True),
        ("", "::", [LAN], None, f"http://{LAN}:8000", True),
        ("", "0.0.0.0", [], "http://hall-laptop:8000", "http://hall-laptop:8000", True),
        ("", "0.0.0.0", [], None, "http://127.0.0.1:8000", False),
        ("", "::", ["::1"], None, "http://127.0.0.1:8000", False),
        ("", "127.0.0.1", [LAN], None, "http://127.0.0.1:8000", False),
        ("", "localhost", [LAN], None, "http://127.0.0.1:8000", False),
        ("", "127.0.0.1", [], "https://vote.example.org", "https://vote.example.org", True),
        ("", "::1", [], None, "http://[::1]:8000", False),
    ],
)
def test_the_join_address_is_chosen_in_order(public_url, host, addresses, browser, base, reachable):
    chosen = choose(public_url, host, 8000, addresses, browser)
    assert (chosen.base, chosen.reachable) == (base, reachable)
    assert "0.0.0.0" not in chosen.base and "[::]" not in chosen.base
    assert bool(chosen.advice) is not reachable


def test_the_advice_says_how_to_make_it_reachable():
    assert "--host 0.0.0.0" in choose("", "127.0.0.1", 8000, []).advice
    assert "no network address was found" in choose("", "0.0.0.0", 8000, []).advice
    assert "--public-url" in choose("", "0.0.0.0", 8000, []).advice


def request(host: str, scheme: str = "http", user: object = None) -> Request:
    return Request(
        {
            "type": "http",
            "scheme": scheme,
            "method": "GET",
            "path": "/f",
            "query_string": b"",
            "headers": [(b"host", host.encode())],
            "user": user,
        }
    )


@pytest.mark.parametrize(
    ("host", "scheme", "expected"),
    [
        ("192.168.1.20:8000", "http", "http://192.168.1.20:8000"),
        ("Vote.Example.org", "https", "https://vote.example.org"),
        ("[2a00:1450::5]:8000", "http", "http://[2a00:1450::5]:8000"),
        ("localhost:8000", "http", None),
        ("127.0.0.1:8000", "http", None),
        ("[::1]:8000", "http", None),
        ("0.0.0.0:8000", "http", None),
        ("[::]:8000", "http", None),
        ("evil.example/path", "http", None),
        ("", "http", None),
    ],
)
def test_the_browsers_address_is_used_only_when_a_phone_could_open_it(host, scheme, expected):
    assert browser_base(request(host, scheme)) == expected


def test_only_a_signed_in_facilitators_address_is_kept_for_the_board():
    join = JoinAddresses("", "127.0.0.1", 8000, discover=list)
    stranger = join.address(request("evil.example"))
    assert stranger.base == "http://evil.example"  # that stranger's own page only
    assert join.address().base == "http://127.0.0.1:8000"
    join.address(request("vote.example.org", "https", user=object()))
    assert join.address().base == "https://vote.example.org"


def test_the_machines_addresses_are_looked_up_again_when_they_may_have_changed():
    networks = [["192.168.1.20"], ["10.0.0.7"]]
    join = JoinAddresses("", "0.0.0.0", 8000, discover=lambda: networks.pop(0), refresh=0)
    assert join.url("ABCDEF") == "http://192.168.1.20:8000/w/ABCDEF"
    assert join.url("ABCDEF") == "http://10.0.0.7:8000/w/ABCDEF"


def test_no_lookup_happens_unless_the_server_listens_everywhere():
    def refuse() -> list[str]:
        raise AssertionError("looked up the machine's addresses")

    assert JoinAddresses("", "127.0.0.1", 8000, discover=refuse).url("A") == (
        "http://127.0.0.1:8000/w/A"
    )
    assert JoinAddresses("https://x.example", "0.0.0.0", 8000, discover=refuse).url("A") == (
        "https://x.example/w/A"
    )


# -- on the console, the join sheet and the board --------------------------------------------------


async def console_and_sheet(tmp_path, host: str, addresses: list[str], base_url: str):
    """Sign in on a server bound to ``host`` whose machine has ``addresses``, from a browser at
    ``base_url``; returns the join code and the console, join sheet and board pages."""
    settings = Settings(data_path=str(tmp_path / "site.sqlite3"), host=host, port=8000)
    app = create_app(settings, addresses=lambda: list(addresses))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            person = await signed_in_facilitator(app, client)
            workshop_id, code = await person.create_workshop()
            pages = [
                (await client.get(f"/f/workshops/{workshop_id}{tail}")).text
                for tail in ("", "/qr", "/board")
            ]
    return code, pages


def qr_of(url: str) -> str:
    return str(qr_svg(url))


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
async def test_a_server_listening_everywhere_gives_phones_its_network_address(tmp_path, host):
    code, pages = await console_and_sheet(
        tmp_path, host, ["127.0.0.1", LAN], "http://localhost:8000"
    )
    console, sheet, _board = pages
    url = f"http://{LAN}:8000/w/{code}"
    assert f'The QR code opens <a href="{url}">{url}</a>' in console
    assert f"The QR code opens {url}" in sheet
    assert 'id="join-advice"' not in console and 'id="join-advice"' not in sheet
    for page in pages:
        assert qr_of(url) in page
        for dead in ("0.0.0.0", "[::]"):
            assert qr_of(f"http://{dead}:8000/w/{code}") not in page
            assert dead not in page


async def test_without_a_network_address_the_console_says_phones_cannot_reach_it(tmp_path):
    code, pages = await console_and_sheet(tmp_path, "0.0.0.0", [], "http://0.0.0.0:8000")
    console, sheet, _board = pages
    url = f"http://127.0.0.1:8000/w/{code}"
    assert f'The QR code opens <a href="{url}">{url}</a>' in console
    for page in (console, sheet):
        assert html.escape("Phones cannot open this address") in page
        assert "--public-url" in page
    for page in pages:
        assert qr_of(url) in page
        assert qr_of(f"http://0.0.0.0:8000/w/{code}") not in page


async def test_on_the_default_loopback_address_the_console_suggests_listening_everywhere(tmp_path):
    _code, (console, _sheet, _board) = await console_and_sheet(
        tmp_path, "127.0.0.1", [LAN], "http://127.0.0.1:8000"
    )
    assert 'id="join-advice"' in console
    assert "--host 0.0.0.0" in console


# -- the demo's start-up text ----------------------------------------------------------------------


def test_the_demo_prints_the_address_phones_are_given(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACILITATION_")}
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "facilitation", "demo", "--port", str(port),
         "--data", str(tmp_path / "demo.sqlite3")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        for _line in range(200):
            seen.append(lines.get(timeout=60))
            if "Phones cannot open this address" in seen[-1]:
                break
    finally:
        proc.terminate()
        proc.wait(30)
        reader.join(30)
        proc.stdout.close()
    text = "".join(seen)
    base = f"http://127.0.0.1:{port}"
    assert f"(phones: {base}/w/" in text
    assert f"Join links and QR codes point to {base}/" in text
    assert "Phones cannot open this address" in text
    assert "0.0.0.0" not in text.replace("--host 0.0.0.0", "")
