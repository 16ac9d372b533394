"""A workshop whose phones, board and console are on three different servers of one instance
(PostgreSQL and Redis shared, as several hosts behind nginx), in Chromium: the console opens a
round on one, the phones on another vote, the board on the third shows the votes, and the close
reaches the phones. Needs the servers of `--engine postgresql`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests import engines
from tests.browser.conftest import BOARD, DESK, PHONE, WAIT, FacilitatorUI, PhoneUI
from tests.helpers import Server, add_user

pytestmark = [pytest.mark.browser, pytest.mark.servers]


@pytest.fixture
def three_hosts(tmp_path) -> Iterator[list[Server]]:
    data = engines.database(str(tmp_path / "unused.sqlite3"))
    add_user(data)
    servers = [Server(data).start(timeout=60) for _ in range(3)]
    yield servers
    for srv in servers:
        srv.stop()
        if srv.proc and srv.proc.stdout and not srv.proc.stdout.closed:
            srv.proc.stdout.close()


def test_phones_board_and_console_on_three_servers_follow_one_workshop(
    browser: Browser, three_hosts: list[Server]
):
    console_host, board_host, phone_host = three_hosts
    contexts = []

    def context(server: Server, viewport: dict):
        made = browser.new_context(base_url=server.url, viewport=viewport, locale="en-GB")
        made.set_default_timeout(WAIT)
        contexts.append(made)
        return made

    try:
        f = FacilitatorUI(context(console_host, DESK))
        f.sign_in()
        code = f.create_workshop("Phoenix Place")
        ids = f.add_options("Benches", "Lighting", "Trees")
        f.create_round("Green spaces", "dots", dots=5, cap=3)

        projector = FacilitatorUI(context(board_host, BOARD))
        projector.sign_in()
        projector.workshop_id = f.workshop_id
        board = projector.open_board()

        people = [PhoneUI(context(phone_host, PHONE)).join(code) for _ in range(2)]
        for phone in people:
            phone.wait_online()

        f.open_round("Green spaces")  # on the console's server
        for phone, dots in zip(people, ({"Benches": 2}, {"Benches": 1, "Trees": 3}), strict=True):
            phone.wait_ballot("dots")
            phone.place_dots(dots)
            phone.send()
            phone.expect_saved()
        board.expect_scores({ids["Benches"]: 3, ids["Trees"]: 3, ids["Lighting"]: 0})
        expect(f.page.locator("[data-voted]").first).to_have_text("2")

        f.close_round("Green spaces")
        for phone in people:
            phone.expect_closed()
    finally:
        for made in contexts:
            made.close()
