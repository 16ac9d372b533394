"""Guessing a facilitator's password on a real server behind a trusted proxy, each person at an
address of their own: the guesser waits longer after each failure; the owner is not kept out,
not from elsewhere and not from the laptop they have signed in on before, even beside the
guesser."""

from __future__ import annotations

import asyncio
import re
import time

import httpx

from tests.helpers import PASSWORD, WAIT, csrf_of, from_address


async def sign_in(client: httpx.AsyncClient, password: str, fresh: bool = False) -> httpx.Response:
    """One try at the facilitator's account; ``fresh`` drops the cookie first, as a script
    would, so only what the server counts by address and account can slow it."""
    if fresh:
        client.cookies.clear()
    page = await client.get("/login")
    return await client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "username": "facilitator", "password": password},
    )


async def sign_out(client: httpx.AsyncClient) -> None:
    listing = await client.get("/f")
    await client.post("/logout", data={"csrf": csrf_of(listing.text)})
    assert (await client.get("/f")).status_code == 303


async def guesses(server, address: str, count: int) -> list[int]:
    # Checking a password takes about a second of a core and two are checked at once: many
    # guesses arriving together wait their turn for a while.
    async with from_address(server, address, timeout=10 * WAIT) as stranger:
        return [
            (await sign_in(stranger, f"guess {i}", fresh=True)).status_code for i in range(count)
        ]


def announced_wait(response: httpx.Response) -> int:
    return int(re.search(r"Please wait (\d+) seconds", response.text)[1])


async def test_a_stranger_guessing_cannot_keep_the_owner_out_from_elsewhere(proxied_server):
    statuses = await guesses(proxied_server, "127.0.30.1", 20)
    assert statuses[:6] == [400] * 6
    assert 429 in statuses
    async with from_address(proxied_server, "127.0.30.2") as new_laptop:
        assert (await sign_in(new_laptop, PASSWORD)).status_code == 303
        await sign_out(new_laptop)


async def test_the_owner_signs_in_on_a_laptop_used_before_beside_the_guesser(proxied_server):
    hall = "127.0.31.1"
    async with from_address(proxied_server, hall) as laptop:
        assert (await sign_in(laptop, PASSWORD)).status_code == 303
        await sign_out(laptop)
        statuses = await guesses(proxied_server, hall, 30)
        assert statuses.count(429) >= 20
        started = time.monotonic()
        assert (await sign_in(laptop, PASSWORD)).status_code == 303
        assert time.monotonic() - started < WAIT
        assert (await laptop.get("/f")).status_code == 200
        await sign_out(laptop)


async def test_the_guesser_waits_twice_as_long_after_each_failure(proxied_server):
    async with from_address(proxied_server, "127.0.32.1") as stranger:
        assert [(await sign_in(stranger, "guess", fresh=True)).status_code for _ in range(6)] == [
            400
        ] * 6
        waits = []
        for _attempt in range(2):
            refused = await sign_in(stranger, PASSWORD, fresh=True)  # even the right password
            assert refused.status_code == 429
            waits.append(announced_wait(refused))

            async def until_checked() -> None:
                while (await sign_in(stranger, "guess again", fresh=True)).status_code == 429:
                    await asyncio.sleep(0.2)

            started = time.monotonic()
            await asyncio.wait_for(until_checked(), WAIT)
            assert time.monotonic() - started >= waits[-1] - 1
    # Counted from each failure: 2 seconds after six, 4 after seven, less the time checking took.
    assert waits[0] <= 2 < waits[1] + 1
    assert waits[0] < waits[1] <= 4


async def test_many_addresses_guessing_one_account_are_slowed_together(proxied_server):
    async with from_address(proxied_server, "127.0.33.250") as laptop:
        assert (await sign_in(laptop, PASSWORD)).status_code == 303
        await sign_out(laptop)
        # One wrong password from each of many addresses, all at once: no address has tried
        # twice, yet past twenty failures the account itself makes the rest wait.
        statuses = await asyncio.gather(
            *(guesses(proxied_server, f"127.0.33.{i}", 1) for i in range(1, 31))
        )
        assert sorted(s for (s,) in statuses) == [400] * 21 + [429] * 9
        assert (await sign_in(laptop, PASSWORD)).status_code == 303  # a laptop used before
