"""Guessing join codes on a real server behind a trusted proxy, each person at an address of their
own: a guesser is refused (its own device) or slowed (its address), and nobody else is locked
out: not the phones that joined, not a newcomer typing the right code beside the guesser."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from contextlib import closing

import httpx
import pytest

from facilitation.storage.workshops import CODE_ALPHABET, CODE_LENGTH
from facilitation.workshop.guessing import Limits
from tests.helpers import WAIT, Phone, from_address, receive_until, socket_from, status_of
from tests.room import live_room_on

LIMITS = Limits()
# Enough wrong codes from one address to be past its allowance: the old code locked the whole
# address out after 60.
PAST_ALLOWANCE = LIMITS.address_wrong + 20


async def guess(server, address: str, count: int, start: int = 0) -> list[int]:
    """Wrong codes from one address, each from a fresh device (no cookie kept), so only limits
    on the address can touch them; returns the statuses."""
    statuses = []
    async with from_address(server, address) as guesser:
        for i in range(start, start + count):
            guesser.cookies.clear()
            statuses.append((await guesser.get(f"/w/Q{i:07d}")).status_code)
    return statuses


async def paced_count(server) -> float:
    async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as operator:
        figures = (await operator.get("/metrics")).text
    return float(re.search(r"^facilitation_join_lookups_paced_total (\S+)$", figures, re.M)[1])


async def joined_phone(server, address: str, code: str, name: str) -> Phone:
    phone = Phone(from_address(server, address), ws_base=server.ws_url)
    response = await phone.join(code, name)
    assert response.status_code == 200 and 'id="stage-' in response.text, response.text
    return phone


async def test_new_workshops_get_eight_character_codes(proxied_server):
    async with live_room_on(proxied_server) as room:
        assert len(room.code) == CODE_LENGTH == 8
        assert set(room.code) <= set(CODE_ALPHABET)


async def test_phones_that_joined_are_never_touched_by_a_guesser_at_their_address(
    proxied_server,
):
    hall = "127.0.20.1"
    async with live_room_on(proxied_server) as room:
        await room.act("open")
        a, _b, _c = room.options
        phone = await joined_phone(proxied_server, hall, room.code, "Ann")
        try:
            assert await guess(proxied_server, hall, PAST_ALLOWANCE) == [404] * PAST_ALLOWANCE
            page = await phone.client.get(f"/w/{room.code}")
            assert page.status_code == 200
            assert 'data-status="open"' in page.text
            assert (await phone.client.get(f"/w/{room.code}/stage")).status_code == 200
            saved = await phone.vote_http(room.round_id, {a: 2})
            assert saved.status_code == 200
            assert status_of(saved.text) == "saved"
            async with socket_from(proxied_server, f"/w/{room.code}/ws", phone.client) as ws:
                await asyncio.wait_for(ws.recv(), WAIT)
                await ws.send(Phone.ballot_message(room.round_id, {a: 3}))
                reply, _ = await receive_until(ws, lambda m: 'id="ballot-status"' in m)
            assert status_of(reply) == "saved"
        finally:
            await phone.client.aclose()


async def test_a_newcomer_beside_a_guesser_still_joins_with_the_right_code(proxied_server):
    hall = "127.0.21.1"
    async with live_room_on(proxied_server) as room:
        assert await guess(proxied_server, hall, PAST_ALLOWANCE) == [404] * PAST_ALLOWANCE

        async def keep_guessing(worker: int) -> None:
            for round_ in range(1000):  # bounded; cancelled once the newcomer is in
                await guess(proxied_server, hall, 1, start=worker * 10_000 + round_)

        guessers = [asyncio.create_task(keep_guessing(w)) for w in range(8)]
        try:
            started = time.monotonic()
            newcomer = await joined_phone(proxied_server, hall, room.code, "Bea")
            joined_in = time.monotonic() - started
            page = await newcomer.client.get(f"/w/{room.code}")
            await newcomer.client.aclose()
        finally:
            for task in guessers:
                task.cancel()
            await asyncio.gather(*guessers, return_exceptions=True)
    assert page.status_code == 200
    assert "Welcome, Bea" in page.text
    assert joined_in < WAIT


async def test_a_guessing_address_is_slowed_to_its_pace_and_others_are_not(proxied_server):
    guesser, neighbour = "127.0.22.1", "127.0.22.2"
    started = time.monotonic()
    await guess(proxied_server, guesser, PAST_ALLOWANCE)
    before = await paced_count(proxied_server)
    burst = time.monotonic()
    statuses = await asyncio.gather(
        *(guess(proxied_server, guesser, 1, start=50_000 + i) for i in range(40))
    )
    took = time.monotonic() - burst
    paced = await paced_count(proxied_server) - before
    assert [s for (s,) in statuses] == [404] * 40  # answered, never refused
    # The allowance comes back at 200 wrong codes per ten minutes: a lookup every three seconds
    # may go straight through; the rest wait their turn, a twentieth of a second apart.
    refilled = (time.monotonic() - started) * LIMITS.address_wrong / LIMITS.address_window
    assert paced >= 40 - (refilled + 1)
    assert took >= (paced - 1) / LIMITS.pace
    assert await guess(proxied_server, neighbour, 20, start=60_000) == [404] * 20
    assert await paced_count(proxied_server) - before == paced


async def test_a_device_that_keeps_guessing_is_refused_but_only_itself(proxied_server):
    hall = "127.0.23.1"
    async with live_room_on(proxied_server) as room:
        async with from_address(proxied_server, hall) as stubborn:
            for i in range(LIMITS.device_wrong):
                assert (await stubborn.get(f"/w/R{i:07d}")).status_code == 404
            refused = await stubborn.get(f"/w/{room.code}")
        assert refused.status_code == 429
        assert "Too many wrong codes from this device" in refused.text
        neighbour = await joined_phone(proxied_server, hall, room.code, "Cy")
        await neighbour.client.aclose()


@pytest.mark.parametrize("where", ["socket", "stage", "ballot"])
async def test_doors_only_members_use_answer_a_right_and_a_wrong_code_alike(proxied_server, where):
    async with (
        live_room_on(proxied_server) as room,
        from_address(proxied_server, "127.0.24.1") as stranger,
    ):
        answers = []
        for code in (room.code, "QQQQQQQQ"):
            if where == "socket":
                try:
                    async with socket_from(proxied_server, f"/w/{code}/ws", stranger):
                        answers.append(101)
                except Exception as exc:  # refused before the handshake completes
                    answers.append(exc.response.status_code)
            # The page's language menu echoes the path asked for, code and all: that tells the
            # caller only what it typed, so the echo is set aside before comparing.
            elif where == "stage":
                text = (await stranger.get(f"/w/{code}/stage")).text
                answers.append(text.replace(code, "CODE"))
            else:
                text = (await stranger.post(f"/w/{code}/ballot")).text
                answers.append(text.replace(code, "CODE"))
    assert answers[0] == answers[1]
    assert answers[0] != 101


async def test_a_six_character_code_from_before_still_joins(proxied_server):
    async with live_room_on(proxied_server) as room:
        with closing(sqlite3.connect(proxied_server.data_path)) as db, db:
            db.execute("UPDATE workshops SET code = 'HTK4PX' WHERE id = ?", (room.workshop_id,))
        phone = await joined_phone(proxied_server, "127.0.25.1", "htk4px", "Di")
        page = await phone.client.get("/w/HTK4PX")
        await phone.client.aclose()
    assert page.status_code == 200
    assert "Welcome, Di" in page.text
