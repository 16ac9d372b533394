"""Dropped connections in Chromium: the server restarts under the phones, which reconnect by
themselves, show their saved ballots, and deliver a ballot sent while the server was down, once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def mark_stage(phone) -> None:
    """Tag the current stage element, so a test can tell when the server has sent a fresh one."""
    phone.page.eval_on_selector("[data-stage]", "el => { el.dataset.before = 'restart'; }")


def expect_fresh_stage(phone) -> None:
    expect(phone.page.locator("[data-stage]:not([data-before])")).to_be_attached()


def test_dot_ballot_survives_a_restart_and_one_sent_while_down_counts_once(
    server, facilitator_ui, phones, tools
):
    f = facilitator_ui
    code = f.create_workshop("Phoenix Place")
    ids = f.add_options("Benches", "Lighting", "Trees")
    round_id = f.create_round("Green spaces", "dots", dots=5, cap=3)
    f.open_round("Green spaces")
    steady, changer = phones(2)
    for phone in (steady, changer):
        phone.join(code)
        phone.wait_ballot("dots")
    steady.place_dots({"Trees": 3, "Benches": 1})
    changer.place_dots({"Benches": 2})
    for phone in (steady, changer):
        phone.send()
        phone.expect_saved()
        mark_stage(phone)

    def while_down() -> None:
        for phone in (steady, changer):
            expect(phone.conn).to_have_attribute("data-state", "offline")
            expect(phone.conn).to_contain_text("Reconnecting")
        changer.tap("Lighting")
        changer.send()
        expect(changer.status).to_have_attribute("data-state", "retrying")
        expect(changer.status).to_contain_text("Not saved yet")

    tools.restart(server, while_down)

    for phone in (steady, changer):
        phone.wait_online()
        expect_fresh_stage(phone)  # the reconnect brought the full current state
    expect(steady.status).to_have_attribute("data-state", "saved")
    expect(steady.count(ids["Trees"])).to_have_value("3")
    expect(steady.count(ids["Benches"])).to_have_value("1")
    changer.expect_saved()
    expect(changer.count(ids["Benches"])).to_have_value("2")
    expect(changer.count(ids["Lighting"])).to_have_value("1")
    expect(changer.page.locator("[data-left]")).to_have_text("2 dots left")

    changer.page.reload()  # what the server holds, not what the page remembers
    changer.wait_ballot("dots")
    expect(changer.count(ids["Benches"])).to_have_value("2")
    expect(changer.count(ids["Lighting"])).to_have_value("1")
    changer.expect_saved()

    results = f.results_page(round_id)
    expect(results.locator("[data-ballots]")).to_have_text("2")
    assert tools.table_scores(results, "Total dots per option") == {
        ids["Benches"]: "3",
        ids["Lighting"]: "1",
        ids["Trees"]: "3",
    }
    ballots = f.context.request.get(f"{f.base}/export/ballots.csv").text().splitlines()
    assert len(ballots) == 1 + 4, ballots  # header, then one row per option each person backed


def test_ranking_order_comes_back_after_a_restart(server, facilitator_ui, phones, tools):
    f = facilitator_ui
    code = f.create_workshop("Phoenix Place")
    ids = f.add_options("Food beds", "Path lighting", "Play area")
    f.create_round("Order them", "rank")
    f.open_round("Order them")
    (phone,) = phones(1)
    phone.join(code)
    phone.wait_ballot("rank")
    # Each phone starts from an order of its own: put this one in the order wanted, and say so
    # (the box may already be ticked by a move, or the order may have needed none).
    phone.arrange(["Play area", "Food beds", "Path lighting"])
    phone.page.get_by_label("This is my order").check()
    phone.send()
    phone.expect_saved()
    order = [ids["Play area"], ids["Food beds"], ids["Path lighting"]]
    mark_stage(phone)

    tools.restart(server, lambda: expect(phone.conn).to_have_attribute("data-state", "offline"))

    phone.wait_online()
    expect_fresh_stage(phone)
    phone.expect_ranking(order)
    expect(phone.status).to_have_attribute("data-state", "saved")
    expect(phone.status).to_contain_text(re.compile(r"Saved at \d\d:\d\d"))
