"""Limits on guessing facilitators' passwords that slow the guesser, not the account's owner.

Failures are counted where the guesser is: per address and account together, per address over
every account (one address trying many names), and per account over every address (many
addresses trying one name, held to about a try a minute). A device on which the account has
signed in before is counted apart, by itself, so nobody else's failures ever slow it: the owner
signs in from their own laptop in front of the room whatever a stranger typed. Each failure past
a few doubles the wait before the next try.

Pure and clock-free: callers pass the time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from facilitation.core.limits import Backoff

DAY = 24 * 3600.0


def _pair() -> Backoff:
    return Backoff(free=5, base=2.0, cap=900.0, forget_after=DAY)


@dataclass
class SignInGuard:
    """Exponential waits per (address, account), per address, per account, and per known device."""

    pairs: Backoff = field(default_factory=_pair)
    addresses: Backoff = field(
        default_factory=lambda: Backoff(free=20, base=2.0, cap=900.0, forget_after=DAY)
    )
    # Many addresses against one account: past twenty failures a try a minute at most, and never
    # more than a minute's wait for the owner on a device new to them.
    accounts: Backoff = field(
        default_factory=lambda: Backoff(free=20, base=1.0, cap=60.0, forget_after=DAY)
    )
    devices: Backoff = field(default_factory=_pair)

    def retry_after(self, user: str, address: str, device: str | None, now: float) -> float:
        """Seconds before this try may be checked; ``device`` names a device on which ``user``
        has signed in before (None for any other)."""
        if device is not None:
            return self.devices.retry_after((device, user), now)
        return max(
            self.pairs.retry_after((address, user), now),
            self.addresses.retry_after(address, now),
            self.accounts.retry_after(user, now),
        )

    def attempt(self, user: str, address: str, device: str | None, now: float) -> None:
        """Count a try as a failure before its password is checked, so tries arriving together
        all see each other; succeed() takes it back."""
        if device is not None:
            self.devices.fail((device, user), now)
            return
        self.pairs.fail((address, user), now)
        self.addresses.fail(address, now)
        self.accounts.fail(user, now)

    def succeed(self, user: str, address: str, device: str | None) -> None:
        """The right password: this device, this address's tries at this account, and the
        account's count start afresh; the address's count over every account loses this try."""
        if device is not None:
            self.devices.forget((device, user))
            return
        self.pairs.forget((address, user))
        self.addresses.undo(address)
        self.accounts.forget(user)
