"""The pure rules around a draw: an address list read and drawn from with a seed anyone can
repeat, and a drawn panel replayed through confirmations, withdrawals and replacements."""

from __future__ import annotations

import hashlib

import pytest

from facilitation.panel.invitations import (
    InvitationError,
    Step,
    draw_invitations,
    read_addresses,
    reason_text,
    standing,
)


def test_an_address_list_is_tidied_and_each_home_listed_once():
    text = "  1 Elm Road \n\n2  Elm Road\n1 ELM ROAD\n3 Elm Road"
    assert read_addresses(text) == ["1 Elm Road", "2 Elm Road", "3 Elm Road"]


@pytest.mark.parametrize(
    ("text", "message"),
    [("\n \n", "Please paste the addresses"), ("x" * 201, "An address is too long")],
)
def test_an_unusable_list_is_refused_with_a_reason(text, message):
    with pytest.raises(InvitationError, match=message):
        read_addresses(text)


def test_the_draw_is_the_seeded_digest_order_anyone_can_repeat():
    addresses = [f"{n} Elm Road" for n in range(1, 41)]
    drawn = draw_invitations(addresses, 7, "4 8 15")
    by_hand = sorted(
        addresses, key=lambda a: int(hashlib.sha256(f"invite:4 8 15:{a}".encode()).hexdigest(), 16)
    )[:7]
    assert drawn == by_hand
    assert draw_invitations(list(reversed(addresses)), 7, "4 8 15") == drawn
    assert draw_invitations(addresses, 7, "4 8 16") != drawn


@pytest.mark.parametrize(("count", "message"), [(0, "at least one"), (4, "fewer than the 4")])
def test_a_count_the_list_cannot_give_is_refused(count, message):
    with pytest.raises(InvitationError, match=message):
        draw_invitations(["a", "b", "c"], count, "s")


def test_a_panel_is_replayed_through_its_steps():
    steps = [
        Step(3, "confirmed"),
        Step(5, "withdrew", "Moved away"),
        Step(9, "seated", "Moved away", replaces=5),
        Step(9, "confirmed"),
        Step(5, "confirmed"),  # no longer a member: ignored
    ]
    now = standing([1, 3, 5], steps)
    assert now.members == (1, 3, 9)
    assert now.confirmed == {3, 9}
    assert now.unconfirmed == (1,)
    assert now.withdrawn == ((5, "Moved away"),)
    assert now.seated == ((9, 5),)


def test_a_withdrawal_needs_a_short_reason():
    assert reason_text("  Moved   away ") == "Moved away"
    with pytest.raises(InvitationError, match="Please say why"):
        reason_text("  ")
    with pytest.raises(InvitationError, match="too long"):
        reason_text("x" * 301)
