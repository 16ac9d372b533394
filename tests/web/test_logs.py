"""The server's log as an operator reads it: timestamped lines, an access line per request, no
cookies or guessed join codes, and no chatter from the PDF library."""

from __future__ import annotations

import asyncio
import logging
import re

import httpx
import pytest

from facilitation import create_app
from facilitation.web.logs import LINES_BURST, AccessLog, Quiet
from tests.helpers import Facilitator, Phone, Server, ServerOutput, add_user

WAIT = 15.0
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d"


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """One real server for the module, and everything it writes."""
    data = str(tmp_path_factory.mktemp("logs") / "logs.sqlite3")
    add_user(data)
    server = Server(data).start()
    output = ServerOutput(server)
    yield server, output
    output.stop()


async def line_matching(output: ServerOutput, pattern: str, timeout: float = WAIT) -> str:
    """The first line of the server's output matching ``pattern``, waiting for it to be written
    (the access line is written once the response is done)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for line in list(output.lines):
            if re.search(pattern, line):
                return line
        await asyncio.sleep(0.05)
    raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(output.lines)[-3000:]}")


async def test_an_access_line_has_the_time_method_path_status_and_duration(logged):
    server, output = logged
    async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as client:
        assert (await client.get("/login")).status_code == 200
        assert (await client.get("/no-such-page")).status_code == 404
    ok = await line_matching(output, r'"GET /login" 200 ')
    missing = await line_matching(output, r'"GET /no-such-page" 404 ')
    for line in (ok, missing):
        assert re.fullmatch(
            rf'{STAMP} INFO facilitation\.access: 127\.0\.0\.1 "GET /[a-z-]+" \d{{3}} \d+\.\dms\n',
            line,
        ), line


async def test_the_access_log_holds_no_cookie_and_no_query(logged):
    server, output = logged
    async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as client:
        await client.get("/login")  # a session cookie, as every browser has
        cookie = client.cookies.get("facilitation")
        assert cookie
        response = await client.get("/login", params={"next": "/f/secret-place-4711"})
        assert response.status_code == 200
    await line_matching(output, r'"GET /login" 200 .*\n')
    text = "".join(output.lines)
    assert cookie not in text
    assert "secret-place-4711" not in text


async def test_a_refused_websocket_is_logged_without_its_join_code(logged):
    server, output = logged
    import websockets
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus):
        async with websockets.connect(
            f"{server.ws_url}/w/QWERTY/ws", additional_headers={"Origin": server.url}
        ):
            pass
    line = await line_matching(output, r'"WS /w/\*/ws" 403 ')
    assert re.match(STAMP, line)
    assert "QWERTY" not in "".join(output.lines)


async def test_every_line_of_the_server_is_timestamped(logged):
    server, output = logged
    async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as client:
        await client.get("/healthz")
    await line_matching(output, r'"GET /healthz" 200 ')
    logged_lines = output.lines
    assert any("Serving on http://" in line for line in logged_lines)
    assert all(re.match(STAMP + " ", line) for line in logged_lines), logged_lines


# -- guessing join codes ---------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def guessed(settings, caplog):
    """The real app behind the access log, with a clock the test moves, and the log captured."""
    clock = Clock()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=AccessLog(app, clock=clock))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            caplog.set_level(logging.INFO, logger="facilitation.access")
            yield client, clock, caplog


def access_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "facilitation.access"]


async def test_guessed_join_codes_are_never_logged_and_cannot_flood_the_log(guessed):
    client, clock, caplog = guessed
    guesses = [f"GUESS{n:02d}" for n in range(40)]
    for code in guesses:
        assert (await client.get(f"/w/{code}")).status_code in (404, 429)
    refused = access_lines(caplog)
    assert len(refused) == 10  # a burst, then quiet
    assert all(re.fullmatch(r'127\.0\.0\.1 "GET /w/\*" (404|429) \d+\.\dms', m) for m in refused)
    clock.now += 60  # a minute on, one more line, saying how many were left out
    await client.get("/w/GUESSXX")
    last = access_lines(caplog)[-1]
    assert last.endswith("(30 more refused join codes not logged)")
    text = "\n".join(access_lines(caplog))
    assert not any(code in text for code in [*guesses, "GUESSXX"])


async def test_requests_that_are_not_refused_join_codes_are_all_logged(guessed):
    client, _clock, caplog = guessed
    for _ in range(15):
        await client.get("/no-such-page")
    assert len(access_lines(caplog)) == 15


async def test_a_flood_of_requests_is_counted_rather_than_written(guessed):
    client, clock, caplog = guessed
    for _ in range(LINES_BURST + 50):  # the same instant: past the burst, nothing is written
        await client.get("/healthz")
    assert len(access_lines(caplog)) == LINES_BURST
    clock.now += 1
    await client.get("/healthz")
    assert access_lines(caplog)[-1].endswith("(50 more requests not logged)")


def test_a_message_repeated_over_and_over_is_written_a_few_times_then_once_a_minute():
    clock = Clock()
    quiet = Quiet(burst=5, per=60.0, clock=clock)

    def record(text: str) -> logging.LogRecord:
        return logging.LogRecord("asyncio", logging.ERROR, "x", 1, text, None, None)

    passed = [quiet.filter(record("socket.accept() out of system resource")) for _ in range(500)]
    assert passed.count(True) == 5
    assert quiet.filter(record("something else"))  # another message has its own allowance
    clock.now += 60
    summary = record("socket.accept() out of system resource")
    assert quiet.filter(summary)
    assert summary.getMessage().endswith("(495 more like this not logged)")
    access = logging.LogRecord("facilitation.access", logging.INFO, "x", 1, "GET /", None, None)
    assert all(quiet.filter(access) for _ in range(100))  # the access log limits itself


# -- the PDF report --------------------------------------------------------------------------------


async def test_a_pdf_report_leaves_nothing_from_weasyprint_or_fonttools_in_the_log(tmp_path):
    data = str(tmp_path / "pdf.sqlite3")
    add_user(data)
    server = Server(data).start()
    output = ServerOutput(server)
    try:
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=60) as staff,
            httpx.AsyncClient(base_url=server.url, timeout=WAIT) as device,
        ):
            facilitator = Facilitator(staff)
            assert (await facilitator.login()).status_code == 303
            response = await facilitator.post("/f/programmes", {"title": "Phoenix Place plan"})
            programme = response.headers["location"]
            workshop_id, code = await facilitator.create_workshop("Courtyard")
            await facilitator.post(f"{programme}/workshops", {"workshop_id": str(workshop_id)})
            options = [await facilitator.add_option(workshop_id, t) for t in ("Benches", "Trees")]
            round_id = await facilitator.create_round(workshop_id, "Which first?", options)
            await facilitator.round_action(workshop_id, round_id, "open")
            phone = Phone(device)
            await phone.join(code, "Ann")
            assert (await phone.vote_http(round_id, {options[0]: 3})).status_code == 200
            await facilitator.round_action(workshop_id, round_id, "close")
            await facilitator.post(f"{programme}/needs/from-options")
            pdf = await staff.get(f"{programme}/report.pdf")
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")
        await line_matching(output, rf'"GET {programme}/report\.pdf" 200 ')
    finally:
        log = output.stop()
    noisy = [line for line in log.splitlines() if re.search(r"weasyprint|fontTools", line, re.I)]
    assert noisy == []
    assert "Traceback" not in log
