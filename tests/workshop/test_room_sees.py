"""What the room sees on the board and the phones: a warning when the two ways of counting a
ranking disagree, ballots listed in an order of each person's own, a ranking that is never sent
untouched, and an empty board that says no votes are in yet."""

from __future__ import annotations

import asyncio
import html
import re

from tests.helpers import WAIT, receive_until

# Five people rank three options. Borda: Trees 3x3 + 2x1 = 11, Lighting 3x2 + 2x3 = 12, Benches
# 3x1 + 2x2 = 7, so Lighting is first. Head to head, Trees beats Lighting 3 to 2 and Benches 3
# to 2: Schulze puts Trees first.
THREE_TREES = ("Trees", "Lighting", "Benches")
TWO_LIGHTING = ("Lighting", "Benches", "Trees")


def text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def listed(page: str) -> list[int]:
    """The option ids a phone's ballot lists, in its order."""
    ballot = re.search(r'<form id="ballot".*?</form>', page, re.S).group(0)
    return [int(o) for o in re.findall(r'<li class="[^"]*" data-option="(\d+)"', ballot)]


async def voted_ranking(room) -> int:
    round_id = await room.create_round("Order the spring works", kind="rank")
    await room.act("open")
    for ranking in [THREE_TREES] * 3 + [TWO_LIGHTING] * 2:
        phone = await room.phone()
        reply = await phone.vote_http(round_id, ranking=[room.option(t) for t in ranking])
        assert "Saved" in reply.text
    return round_id


async def test_the_board_and_the_phones_say_when_borda_and_schulze_disagree(room):
    await voted_ranking(room)
    await room.act("close")
    board = text(await room.page("/board"))
    phone = await room.phone()
    on_phone = text((await phone.client.get(f"/w/{room.code}")).text)
    for shown in (board, on_phone):
        assert "The two ways of counting disagree." in shown
        assert "Borda points put first: Lighting." in shown
        assert "Head-to-head majorities (Schulze) put first: Trees." in shown
        # Each option's Schulze place beside its points, where the list is the Borda order.
        assert "12 points · Schulze: place 2" in shown
        assert "11 points · Schulze: place 1" in shown


async def test_the_live_board_says_so_as_the_last_ballot_arrives(live_room):
    """On a real server, the board's socket carries the warning with the update that makes the
    two methods disagree, while the round is still open."""
    round_id = await live_room.create_round("Order the spring works", kind="rank")
    await live_room.act("open")
    async with live_room.board_socket() as board:
        await asyncio.wait_for(board.recv(), WAIT)
        for ranking in [THREE_TREES] * 3 + [TWO_LIGHTING] * 2:
            phone = await live_room.phone()
            order = [live_room.option(t) for t in ranking]
            assert "Saved" in (await phone.vote_http(round_id, ranking=order)).text
        last, _seen = await receive_until(board, lambda m: 'data-ballots="5"' in m)
    shown = text(last)
    assert "The two ways of counting disagree." in shown
    assert "Head-to-head majorities (Schulze) put first: Trees." in shown


async def test_no_warning_when_the_two_methods_agree(room):
    round_id = await room.create_round("Order the spring works", kind="rank")
    await room.act("open")
    phone = await room.phone()
    order = [room.option(t) for t in THREE_TREES]
    assert "Saved" in (await phone.vote_http(round_id, ranking=order)).text
    board = await room.page("/board")
    assert "data-disagree" not in board
    assert "Schulze" not in text(board)


async def test_every_phone_lists_the_options_in_its_own_order_that_stays_put(room):
    for title in ("Play area", "Bike store", "Meadow"):
        await room.add_option(title)
    await room.create_round("Order the spring works", kind="rank")
    await room.act("open")
    orders = []
    for _ in range(6):
        phone = await room.phone()
        first = listed((await phone.client.get(f"/w/{room.code}")).text)
        again = listed((await phone.client.get(f"/w/{room.code}")).text)
        assert first == again  # the same person sees the same order on every reload
        assert sorted(first) == sorted(room.options)
        orders.append(tuple(first))
    assert len(set(orders)) > 1  # and different people see different orders
    board = await room.page("/board")
    # The board keeps the facilitator's order.
    assert [int(o) for o in re.findall(r'data-option="(\d+)"', board)] == room.options


async def test_dots_budget_and_rating_ballots_are_shuffled_too(room):
    for title in ("Play area", "Bike store", "Meadow"):
        await room.add_option(title)
    for kind in ("dots", "rating"):
        await room.create_round(f"A {kind} round", kind=kind)
        await room.act("open")
        orders = set()
        for _ in range(6):
            phone = await room.phone()
            orders.add(tuple(listed((await phone.client.get(f"/w/{room.code}")).text)))
        assert len(orders) > 1, kind
        await room.act("close")


async def test_an_untouched_ranking_cannot_be_saved_by_accident(room, settings):
    from tests.helpers import db_rows

    round_id = await room.create_round("Order the spring works", kind="rank")
    await room.act("open")
    phone = await room.phone()
    page = (await phone.client.get(f"/w/{room.code}")).text
    assert 'name="confirm_order" value="yes" data-set-when-moved>' in page  # not ticked
    before = db_rows(settings.data_path)
    sent = await phone.send_http(round_id, {"rank": [str(o) for o in listed(page)]})
    assert "tick “This is my order”" in html.unescape(sent.text)
    assert db_rows(settings.data_path) == before
    confirmed = await phone.send_http(
        round_id, {"rank": [str(o) for o in listed(page)], "confirm_order": "yes"}
    )
    assert "Saved" in confirmed.text
    again = (await phone.client.get(f"/w/{room.code}")).text
    assert 'name="confirm_order" value="yes" data-set-when-moved checked>' in again


async def test_before_anyone_votes_the_board_says_no_votes_are_in_yet(room):
    round_id = await room.create_round("Priorities")
    await room.act("open")
    board = await room.page("/board")
    assert "No votes are in yet." in text(board)
    assert "tied" not in text(board) and "0 dots" not in text(board)
    assert all(t in text(board) for t in ("Benches", "Lighting", "Trees"))
    phone = await room.phone()
    reply = await phone.vote_http(round_id, dots={room.option("Trees"): 2})
    assert "Saved" in reply.text
    board = await room.page("/board")
    assert "No votes are in yet." not in text(board)
    assert "2 dots" in text(board)


async def test_a_round_closed_with_no_votes_says_so_on_the_board_and_phones(room):
    await room.create_round("Priorities")
    await room.act("open")
    phone = await room.phone()
    await room.act("close")
    assert "Nobody voted in this round." in text(await room.page("/board"))
    assert "Nobody voted in this round." in text((await phone.client.get(f"/w/{room.code}")).text)
