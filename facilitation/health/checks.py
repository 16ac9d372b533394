"""PACT health check use cases: a programme's wording of the statements, adding the ready-made
rating round to a workshop, and the four dimensions over time (split by group where allowed)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from facilitation.core.forms import clean_text
from facilitation.core.i18n import _
from facilitation.core.models import Programme, Round, Workshop
from facilitation.health import pact
from facilitation.kinds import rating
from facilitation.people import groups
from facilitation.people.profiles import split_view
from facilitation.storage.store import Store


@dataclass(frozen=True, slots=True)
class GroupTrend:
    """One group's points over time; a health check where the group was withheld has None."""

    label: str
    points: list[pact.Point | None]


class HealthChecks:
    """``changed`` is called with a workshop id after a commit that a live screen shows."""

    def __init__(self, store: Store, changed: Callable[[int], None]) -> None:
        self.store = store
        self.changed = changed

    async def statements(self, programme_id: int | None) -> dict[str, str]:
        """Each dimension's statement: the programme's wording, else the default."""
        own = await self.store.pact.pact_statements(programme_id) if programme_id else {}
        return {d: own.get(d) or _(pact.DEFAULT_STATEMENTS[d]) for d in pact.DIMENSIONS}

    async def save_statements(self, programme: Programme, form: Mapping[str, Any]) -> None:
        """Reword the statements; every one is checked before any is saved."""
        fields = {
            d: clean_text(
                form.get(f"statement_{d}"), field=_(pact.LABELS[d]), limit=pact.STATEMENT_MAX
            )
            for d in pact.DIMENSIONS
        }
        await self.store.pact.save_pact_statements(programme.id, fields)

    async def add_to(self, workshop: Workshop) -> Round:
        """The ready-made health-check round, as a draft the facilitator opens at the end."""
        programme_id = await self.store.plans.workshop_programme(workshop.id)
        wording = await self.statements(programme_id)
        round_id = await self.store.pact.add_health_check(
            workshop.id,
            _(pact.CHECK_TITLE),
            [(d, wording[d]) for d in pact.DIMENSIONS],
            (rating.KIND.name, rating.KIND.read_settings({}, [])),
        )
        self.changed(workshop.id)
        return await self.store.rounds.round(round_id)

    async def trend(
        self, programme: Programme, question_id: int | None = None
    ) -> tuple[list[pact.Point], list[GroupTrend]]:
        """The four dimensions per closed health check, oldest first; with a question, also per
        group of its answers, each health check split by the rule in groups.py."""
        points: list[pact.Point] = []
        by_group: dict[str, list[pact.Point | None]] = {}
        question = await self.store.profiles.profile_question(question_id) if question_id else None
        checks = await self.store.pact.programme_health_checks(programme.id)
        for i, (round_id, title, workshop_id) in enumerate(checks):
            tags = await self.store.pact.pact_tags(workshop_id)
            ballots = await self.store.ballots.ballots(round_id)
            points.append(pact.point(round_id, title, tags, ballots))
            if question is None:
                continue
            # Each health check is split under the same rule as its results page: from its
            # split basis, and only where that cannot single anyone out (people.disclosure).
            view = await split_view(self.store, await self.store.rounds.round(round_id), question)
            for result in view.groups:
                group = result.group
                label = _(group.label) if group.kind is not groups.GroupKind.ANSWER else group.label
                series = by_group.setdefault(label, [None] * len(checks))
                if not group.withheld:
                    series[i] = pact.point(round_id, title, tags, group.ballots)
        return points, [GroupTrend(label, series) for label, series in by_group.items()]
