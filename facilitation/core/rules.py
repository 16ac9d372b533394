"""What every pure rule module shares: the refusal a person's ballot can get, and message marking.

The rule modules (voting, budget, ratings) know no HTTP and no locale: they raise BallotError with
a translatable template and its values, and the use cases turn it into a 400 in the right language.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a message for translation without translating it here (this module has no locale)."""
    return message


class BallotError(ValueError):
    """A ballot a person sent that the rules refuse; ``message`` is a translatable template."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message.format(**params))
        self.message = message
        self.params = params
