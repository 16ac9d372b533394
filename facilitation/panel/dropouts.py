"""Dropout rates learned from a programme's past panels: who confirmed their seat and who
withdrew, by their answers, for choosing the next panel's alternates."""

from __future__ import annotations

from dataclasses import dataclass

from facilitation.panel import setup as panel_setup
from facilitation.panel.alternates import DropoutModel, estimate_dropout
from facilitation.panel.invitations import standing
from facilitation.people.rules import Volunteer
from facilitation.storage.store import Store


@dataclass(frozen=True, slots=True)
class Learned:
    """What past panels say about withdrawals: the model, and how many members it rests on."""

    model: DropoutModel | None  # None when no past member's outcome is recorded
    members: int
    withdrew: int


async def learned(store: Store, programme_id: int) -> Learned:
    """Every past member whose confirmation or withdrawal is recorded, by their answers."""
    records: list[tuple[dict[str, str], bool]] = []
    questions = await store.profiles.profile_questions(programme_id)
    for pool in await store.pools.pools(programme_id):
        volunteers: list[Volunteer] = []
        for panel in await store.pools.panels(pool.id):
            steps = await store.recruitment.steps(panel.id)
            if not steps:
                continue
            if not volunteers:
                volunteers = await store.pools.volunteers(pool.id)
            setup = panel_setup.stored(panel)
            candidates, _quotas, _back = panel_setup.lottery_inputs(questions, volunteers, setup)
            now = standing(panel.result["panel"], steps)
            gone = {n for n, _reason in now.withdrawn}
            for n in sorted(now.confirmed | gone):
                records.append((dict(candidates[n - 1].profile), n in gone))
    if not records:
        return Learned(None, 0, 0)
    withdrew = sum(1 for _profile, out in records if out)
    return Learned(estimate_dropout(records), len(records), withdrew)
