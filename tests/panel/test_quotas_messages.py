"""Quotas that cannot be met together: the change offered leaves no volunteer without a chance of
a seat where some change can, and names whoever it would leave out; messages with a count use
the singular or plural form it calls for."""

from __future__ import annotations

import pytest

from facilitation.panel.lottery import select_panel
from facilitation.panel.quotas import (
    Infeasible,
    Quota,
    QuotaConflict,
    Volunteer,
    apply_relaxations,
    check_quotas,
)


def clash_pool() -> list[Volunteer]:
    """Renters are young, owners old; three young owners are neither."""
    return (
        [Volunteer(f"r{i}", {"tenure": "renter", "age": "young"}) for i in range(5)]
        + [Volunteer(f"o{i}", {"tenure": "owner", "age": "old"}) for i in range(5)]
        + [Volunteer(f"y{i}", {"tenure": "owner", "age": "young"}) for i in range(3)]
    )


CLASH = [Quota("tenure", "renter", 3, 4), Quota("age", "old", 3, 4)]


def test_the_change_offered_gives_every_volunteer_a_chance():
    pool = clash_pool()
    problem = check_quotas(pool, 4, CLASH)
    assert problem is not None
    assert [c.kind for c in problem.conflicts] == ["together"]
    # The smallest change (two seats) fills every seat with renters and older people, so the
    # young owners could never sit: a wider one is offered instead, which seats them too.
    assert sum(abs(r.new - r.old) for r in problem.relaxations) > 2
    relaxed = apply_relaxations(CLASH, problem.relaxations)
    lottery = select_panel(pool, 4, relaxed)
    assert min(lottery.probabilities.values()) > 0
    assert problem.left_out == () and problem.warning is None
    # The smallest change is kept too, with who it would leave out, in pool order.
    assert sum(abs(r.new - r.old) for r in problem.smallest) == 2
    assert problem.dropped == ("y0", "y1", "y2")
    smallest = select_panel(pool, 4, apply_relaxations(CLASH, problem.smallest))
    assert [v for v, p in smallest.probabilities.items() if p == 0] == list(problem.dropped)


def test_under_the_household_rule_the_change_offered_seats_everyone():
    volunteers = [Volunteer(f"a{i}", {"tenure": "owner"}, "big") for i in range(4)] + [
        Volunteer("b", {"tenure": "renter"}, "small"),
        Volunteer("c", {"tenure": "renter"}, None),
    ]
    problem = check_quotas(volunteers, 3, [Quota("tenure", "owner", 2, 3)], one_per_household=True)
    assert problem is not None
    relaxed = apply_relaxations([Quota("tenure", "owner", 2, 3)], problem.relaxations)
    lottery = select_panel(volunteers, 3, relaxed, one_per_household=True)
    assert all(p > 0 for p in lottery.probabilities.values())
    assert problem.left_out == ()


@pytest.mark.parametrize(
    ("left_out", "text"),
    [
        (("12",), "With these changes, volunteer 12 would still have no chance of a seat."),
        (
            ("12", "40"),
            "With these changes, 2 volunteers would still have no chance of a seat: 12, 40.",
        ),
    ],
)
def test_the_warning_about_volunteers_left_out_agrees_with_its_count(left_out, text):
    problem = Infeasible([], [], left_out)
    assert problem.warning is not None
    assert problem.warning.text == text
    assert problem.warning.count == len(left_out)
    assert problem.warning.forms is not None


@pytest.mark.parametrize(
    ("available", "text"),
    [
        (1, "Only 1 volunteer has tenure “co-op”, but the minimum is 3."),
        (2, "Only 2 volunteers have tenure “co-op”, but the minimum is 3."),
        (0, "Only 0 volunteers have tenure “co-op”, but the minimum is 3."),
    ],
)
def test_counted_messages_use_the_singular_or_the_plural(available, text):
    pool = [Volunteer(f"o{i}", {"tenure": "owner"}) for i in range(10)] + [
        Volunteer(f"c{i}", {"tenure": "co-op"}) for i in range(available)
    ]
    problem = check_quotas(pool, 5, [Quota("tenure", "co-op", 3, 5)])
    assert problem is not None
    (conflict,) = problem.conflicts
    assert conflict.text == text
    assert conflict.count == available
    singular, plural = conflict.forms
    assert conflict.message == (singular if available == 1 else plural)


def test_a_message_without_a_count_has_one_form():
    conflict = QuotaConflict("together", {"quotas": "age “old” (3–4)"})
    assert conflict.forms is None and conflict.count is None
    assert conflict.text == "No panel can meet these quotas at the same time: age “old” (3–4)."
