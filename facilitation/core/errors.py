"""Errors a person can understand, each carrying its HTTP status; no web framework here.

The web layer turns them into pages, htmx fragments and socket replies (web/errors.py); the
pure rules raise BallotError, the same 400 with a ballot's own wording.
"""

from __future__ import annotations

from typing import Any

from facilitation.core.i18n import N_, _

NOT_FOUND = {
    "page": N_("We could not find that page."),
    "workshop": N_("We could not find that workshop."),
    "option": N_(
        "We could not find that option. It may have been removed; please reload the page."
    ),
    "round": N_("We could not find that round. Please reload the page."),
    "idea": N_("We could not find that idea. Please reload the page."),
    "programme": N_("We could not find that programme."),
    "need": N_("We could not find that need. Please reload the page."),
    "action": N_("We could not find that action. Please reload the page."),
    "workshop with that code": N_(
        "No workshop has that code. Check the letters on the screen and try again."
    ),
    "place in this workshop": N_(
        "This device has not joined this workshop yet. Please join with the code."
    ),
    "pool": N_("We could not find that pool of volunteers. It may have been deleted."),
    "panel": N_("We could not find that draw. Its pool may have been deleted."),
    "tablet": N_("We could not find that tablet. Please reload the page."),
    "picture": N_(
        "We could not find that picture. It may have been changed; please reload the page."
    ),
    "participant": N_("We could not find that participant. They may have been erased."),
    "volunteer": N_("We could not find that volunteer. They may have been erased."),
    "profile question": N_(
        "We could not find that question. It may have been removed; please reload the page."
    ),
    "organisation": N_("We could not find that organisation."),
    "account": N_("We could not find that account. It may have been removed."),
}


class FacilitationError(Exception):
    """An error a person can understand; ``message`` is a translatable template."""

    status = 400
    default = N_("That request could not be understood.")

    def __init__(self, message: str | None = None, **params: Any) -> None:
        self.message = message or self.default
        self.params = params
        super().__init__(self.message.format(**params) if params else self.message)

    def text(self) -> str:
        """The message in the current language; a form's field is named as the form names it
        (``field`` is always one of the form's own labels)."""
        field = self.params.get("field")
        params = {**self.params, "field": _(field)} if isinstance(field, str) else self.params
        return _(self.message, **params)


class BadRequest(FacilitationError):
    status = 400


class Forbidden(FacilitationError):
    status = 403
    default = N_("You are not allowed to do that.")


class NotFound(FacilitationError):
    status = 404
    default = NOT_FOUND["page"]

    def __init__(self, what: str = "page") -> None:
        self.what = what
        super().__init__(NOT_FOUND.get(what, self.default))


class Conflict(FacilitationError):
    status = 409


class RoundNotOpen(Conflict):
    default = N_(
        "This round is closed, so your ballot was not changed. Your last saved ballot counts."
    )


class TooManyRequests(FacilitationError):
    """Too many attempts from one device or address; ``seconds`` says how long to wait."""

    status = 429
    default = N_("Too many attempts. Please wait {seconds} seconds and try again.")

    def __init__(self, seconds: float, message: str | None = None) -> None:
        super().__init__(message or self.default, seconds=max(1, round(seconds)))


class TooLarge(FacilitationError):
    status = 413
    default = N_("That was too much to send at once.")


class BallotError(BadRequest):
    """A ballot a person sent that the rules refuse; ``message`` is a translatable template."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message, **params)
