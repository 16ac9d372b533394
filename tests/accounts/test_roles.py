"""What each role may do: the one table every check reads (facilitation.accounts.roles)."""

from __future__ import annotations

import pytest

from facilitation.accounts.roles import REFUSED, Power, may
from facilitation.core.models import Role, User

ORGANISER = User(1, "ana", 1, Role.ORGANISER)
FACILITATOR = User(2, "fay", 1, Role.FACILITATOR)
MODERATOR = User(3, "mo", 1, Role.MODERATOR, workshop_id=7)
ADMINISTRATOR = User(4, "root", 2, Role.FACILITATOR, admin=True)


@pytest.mark.parametrize(
    ("user", "power", "workshop", "allowed"),
    [
        (ORGANISER, Power.RUN, None, True),
        (ORGANISER, Power.DESK, 7, True),
        (ORGANISER, Power.CONTACTS, None, True),
        (ORGANISER, Power.ACCOUNTS, None, True),
        (ORGANISER, Power.ORGANISATIONS, None, False),
        (FACILITATOR, Power.RUN, 7, True),
        (FACILITATOR, Power.DESK, 8, True),
        (FACILITATOR, Power.CONTACTS, None, False),
        (FACILITATOR, Power.ACCOUNTS, None, False),
        (FACILITATOR, Power.ORGANISATIONS, None, False),
        (MODERATOR, Power.DESK, 7, True),
        (MODERATOR, Power.DESK, 8, False),
        (MODERATOR, Power.DESK, None, False),
        (MODERATOR, Power.RUN, 7, False),
        (MODERATOR, Power.CONTACTS, None, False),
        (MODERATOR, Power.ACCOUNTS, None, False),
        (ADMINISTRATOR, Power.ORGANISATIONS, None, True),
        (ADMINISTRATOR, Power.RUN, None, True),
        (ADMINISTRATOR, Power.CONTACTS, None, False),
    ],
)
def test_what_each_role_may_do(user, power, workshop, allowed):
    assert may(user, power, workshop) is allowed


def test_every_refusal_says_why():
    assert set(REFUSED) == set(Power)
    assert all(message.endswith(".") for message in REFUSED.values())
