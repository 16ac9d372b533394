"""What each role may do in its organisation: the one table the web layer's checks read."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from facilitation.core.i18n import N_
from facilitation.core.models import Role, User


class Power(enum.StrEnum):
    """Something an account may be allowed to do."""

    # Run workshops and programmes: consoles, rounds, boards, results, needs, action plans,
    # the panel lottery without anyone's contact details, and the downloads without them.
    RUN = "run"
    # The idea desk and paper ballots of a workshop.
    DESK = "desk"
    # Volunteers' names, emails and phones: the pool import, the panel file, deleting a pool.
    CONTACTS = "contacts"
    # Add and remove the organisation's accounts.
    ACCOUNTS = "accounts"
    # Create organisations and their first organiser (the instance's administrators only).
    ORGANISATIONS = "organisations"


POWERS: Mapping[Role, frozenset[Power]] = {
    Role.ORGANISER: frozenset({Power.RUN, Power.DESK, Power.CONTACTS, Power.ACCOUNTS}),
    Role.FACILITATOR: frozenset({Power.RUN, Power.DESK}),
    Role.MODERATOR: frozenset({Power.DESK}),
}

# Why a signed-in account is refused, by what it tried to do.
REFUSED: Mapping[Power, str] = {
    Power.RUN: N_(
        "A moderator looks after the idea desk and paper ballots of one workshop only. Please "
        "ask an organiser or a facilitator."
    ),
    Power.DESK: N_(
        "You look after the idea desk and paper ballots of another workshop, not this one."
    ),
    Power.CONTACTS: N_(
        "Only an organiser can see volunteers' names and contact details, import them or "
        "delete them."
    ),
    Power.ACCOUNTS: N_("Only an organiser can add or remove accounts."),
    Power.ORGANISATIONS: N_("Only the instance's administrator can create organisations."),
}

ROLE_LABELS: Mapping[Role, str] = {
    Role.ORGANISER: N_("Organiser"),
    Role.FACILITATOR: N_("Facilitator"),
    Role.MODERATOR: N_("Moderator"),
}

ROLE_HINTS: Mapping[Role, str] = {
    Role.ORGANISER: N_(
        "Everything in the organisation, including volunteers' contact details and the accounts."
    ),
    Role.FACILITATOR: N_(
        "Runs workshops and programmes; never sees volunteers' names or contact details."
    ),
    Role.MODERATOR: N_(
        "The idea desk and paper ballots of one workshop only, such as a resident co-facilitator."
    ),
}


def may(user: User, power: Power, workshop_id: int | None = None) -> bool:
    """Whether the account may do this (in this workshop, if one is named). The caller has
    already checked that the workshop or programme is the account's organisation's."""
    if power is Power.ORGANISATIONS:
        return user.admin
    if power not in POWERS[user.role]:
        return False
    if user.role is Role.MODERATOR:
        return workshop_id is not None and workshop_id == user.workshop_id
    return True
