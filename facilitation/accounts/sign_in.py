"""Limits on guessing facilitators' passwords that slow the guesser, not the account's owner.

Failures are counted where the guesser is: per address and account together, per address over
every account (one address trying many names), and per account over every address (many
addresses trying one name, held to about a try a minute). A device on which the account has
signed in before is counted apart, by itself, so nobody else's failures ever slow it: the owner
signs in from their own laptop in front of the room whatever a stranger typed. Each failure past
a few doubles the wait before the next try.

The counts are kept where the limiter keeps them: in this process, or in the Redis every worker
shares, so a guesser gets no more tries for there being several workers.
"""

from __future__ import annotations

from facilitation.core.limits import Limiter

DAY = 24 * 3600.0


def _both(first: str, second: str) -> str:
    """One key for two values, unambiguous whatever either holds."""
    return f"{len(first)}:{first}:{second}"


class SignInGuard:
    """Exponential waits per (address, account), per address, per account, and per known device."""

    def __init__(self, limiter: Limiter) -> None:
        self.pairs = limiter.backoff("sign-in-pair", free=5, base=2.0, cap=900.0, forget_after=DAY)
        self.addresses = limiter.backoff(
            "sign-in-address", free=20, base=2.0, cap=900.0, forget_after=DAY
        )
        # Many addresses against one account: past twenty failures a try a minute at most, and
        # never more than a minute's wait for the owner on a device new to them.
        self.accounts = limiter.backoff(
            "sign-in-account", free=20, base=1.0, cap=60.0, forget_after=DAY
        )
        self.devices = limiter.backoff(
            "sign-in-device", free=5, base=2.0, cap=900.0, forget_after=DAY
        )

    async def retry_after(self, user: str, address: str, device: str | None) -> float:
        """Seconds before this try may be checked; ``device`` names a device on which ``user``
        has signed in before (None for any other)."""
        if device is not None:
            return await self.devices.retry_after(_both(device, user))
        return max(
            await self.pairs.retry_after(_both(address, user)),
            await self.addresses.retry_after(address),
            await self.accounts.retry_after(user),
        )

    async def attempt(self, user: str, address: str, device: str | None) -> None:
        """Count a try as a failure before its password is checked, so tries arriving together
        all see each other; succeed() takes it back."""
        if device is not None:
            await self.devices.fail(_both(device, user))
            return
        await self.pairs.fail(_both(address, user))
        await self.addresses.fail(address)
        await self.accounts.fail(user)

    async def succeed(self, user: str, address: str, device: str | None) -> None:
        """The right password: this device, this address's tries at this account, and the
        account's count start afresh; the address's count over every account loses this try."""
        if device is not None:
            await self.devices.forget(_both(device, user))
            return
        await self.pairs.forget(_both(address, user))
        await self.addresses.undo(address)
        await self.accounts.forget(user)
