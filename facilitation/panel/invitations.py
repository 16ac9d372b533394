"""Pure rules of the workflow around a draw: invitations drawn from an address list, and where a
drawn panel stands after confirmations, withdrawals and replacements."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from facilitation.core.i18n import N_

ADDRESS_MAX = 200  # characters in one address
ADDRESSES_MAX = 50_000  # addresses in one list
REASON_MAX = 300  # characters in a withdrawal's reason
STEPS = ("confirmed", "withdrew", "seated")


class InvitationError(ValueError):
    """An address list or an invitation count that cannot be used; says what is wrong."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message.format(**params))
        self.message = message
        self.params = params


def read_addresses(text: str) -> list[str]:
    """The addresses of a list, one a line, spaces tidied, blank lines and repeats left out."""
    seen: set[str] = set()
    out: list[str] = []
    for line in text.splitlines():
        address = " ".join(line.split())
        if not address or address.casefold() in seen:
            continue
        if len(address) > ADDRESS_MAX:
            raise InvitationError(
                N_("An address is too long: {n} characters at most."), n=ADDRESS_MAX
            )
        seen.add(address.casefold())
        out.append(address)
    if not out:
        raise InvitationError(N_("Please paste the addresses, one a line."))
    if len(out) > ADDRESSES_MAX:
        raise InvitationError(N_("The list is too long: {n} addresses at most."), n=ADDRESSES_MAX)
    return out


def draw_invitations(addresses: Sequence[str], count: int, seed: str) -> list[str]:
    """The `count` addresses the seed picks: every address ordered by the SHA-256 digest of
    "invite:", the seed, ":" and the address (UTF-8, as a big number), the first `count` kept,
    so anyone with the list and the seed can repeat the draw."""
    if count < 1:
        raise InvitationError(N_("Please invite at least one address."))
    if count > len(addresses):
        raise InvitationError(
            N_("The list has {available} addresses, fewer than the {count} to invite."),
            available=len(addresses),
            count=count,
        )

    def order(address: str) -> bytes:
        return hashlib.sha256(f"invite:{seed}:{address}".encode()).digest()

    return sorted(addresses, key=order)[:count]


@dataclass(frozen=True, slots=True)
class Step:
    """One recorded step for a member of a drawn panel, by their number in the pool."""

    volunteer: int
    step: str  # one of STEPS
    reason: str = ""
    replaces: int | None = None  # for "seated": the member whose seat the alternate took


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a drawn panel stands: who holds the seats now, who confirmed, who withdrew and why,
    and who was seated in someone's place."""

    members: tuple[int, ...]  # in the order they took their seat
    confirmed: frozenset[int]
    withdrawn: tuple[tuple[int, str], ...]  # (volunteer, reason)
    seated: tuple[tuple[int, int | None], ...]  # (alternate, the member they replace)

    @property
    def unconfirmed(self) -> tuple[int, ...]:
        return tuple(v for v in self.members if v not in self.confirmed)


def standing(drawn: Iterable[int], steps: Iterable[Step]) -> Standing:
    """Replay the steps over the drawn panel, in the order they were recorded."""
    members = list(drawn)
    confirmed: set[int] = set()
    withdrawn: list[tuple[int, str]] = []
    seated: list[tuple[int, int | None]] = []
    for s in steps:
        if s.step == "confirmed" and s.volunteer in members:
            confirmed.add(s.volunteer)
        elif s.step == "withdrew" and s.volunteer in members:
            members.remove(s.volunteer)
            confirmed.discard(s.volunteer)
            withdrawn.append((s.volunteer, s.reason))
        elif s.step == "seated" and s.volunteer not in members:
            members.append(s.volunteer)
            seated.append((s.volunteer, s.replaces))
    return Standing(tuple(members), frozenset(confirmed), tuple(withdrawn), tuple(seated))


def reason_text(value: object) -> str:
    """A withdrawal's reason, spaces tidied; required, and short."""
    reason = " ".join(value.split()) if isinstance(value, str) else ""
    if not reason:
        raise InvitationError(N_("Please say why the member withdrew (it is kept with the panel)."))
    if len(reason) > REASON_MAX:
        raise InvitationError(N_("The reason is too long: {n} characters at most."), n=REASON_MAX)
    return reason
