"""The use cases of a programme: its workshops, the standing needs list and the action plan.

Each one checks the form with the same helpers as the workshop use cases, then writes with the
store. Nothing here is live: the pages are read when someone opens them.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from facilitation import kinds
from facilitation.core.errors import BadRequest, NotFound
from facilitation.core.forms import TEXT_MAX, TITLE_MAX, clean_text, read_id, read_number
from facilitation.core.i18n import N_
from facilitation.core.models import (
    Action,
    ActionStatus,
    Need,
    NeedStatus,
    Option,
    Programme,
    Who,
    Workshop,
)
from facilitation.programme.needs import RankedNeed, rank_needs
from facilitation.storage.store import Store

REASON_MAX = 500
NOTE_MAX = 1000
OWNER_MAX = 80


def today_iso() -> str:
    """Today's date in the server's time zone, as an ISO string."""
    return datetime.date.today().isoformat()


def clean_date(value: Any, *, field: str) -> str:
    """An optional ISO date (YYYY-MM-DD), as a date input sends it."""
    text = clean_text(value, field=field, limit=10, required=False)
    if not text:
        return ""
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise BadRequest("“{field}” must be a date, such as 2025-03-31.", field=field) from None


def _choice(value: Any, kind: type, field: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise BadRequest(
            "Please choose one of the listed values for “{field}”.", field=field
        ) from None


@dataclass(frozen=True, slots=True)
class TurnoutBar:
    """One workshop's column in the turnout chart (geometry in the SVG's own units)."""

    workshop: Workshop
    joined: int
    voted: int
    x: float
    joined_height: float
    voted_height: float


CHART_HEIGHT = 120.0
CHART_BAR = 28.0
CHART_GAP = 24.0


def turnout_chart(
    workshops: Sequence[Workshop], turnout: Sequence[tuple[int, int, int]]
) -> list[TurnoutBar]:
    """Bars for joined and voted per workshop, scaled to the largest number joined."""
    by_id = {w.id: w for w in workshops}
    rows = [(by_id[w], joined, voted) for w, joined, voted in turnout if w in by_id]
    top = max((max(j, v) for _w, j, v in rows), default=0) or 1
    return [
        TurnoutBar(
            workshop=w,
            joined=j,
            voted=v,
            x=CHART_GAP / 2 + i * (2 * CHART_BAR + CHART_GAP),
            joined_height=CHART_HEIGHT * j / top,
            voted_height=CHART_HEIGHT * v / top,
        )
        for i, (w, j, v) in enumerate(rows)
    ]


class Plans:
    """Programme use cases over one store; ``today`` gives the ISO date that decides overdue."""

    def __init__(self, store: Store, today: Callable[[], str] = today_iso) -> None:
        self.store = store
        self.today = today

    # -- programmes ------------------------------------------------------------------------------

    def _programme_fields(self, form: Mapping[str, Any]) -> tuple[str, str, str]:
        title = clean_text(form.get("title"), field=N_("Title"), limit=TITLE_MAX)
        place = clean_text(form.get("place"), field=N_("Place"), limit=TITLE_MAX, required=False)
        text = clean_text(
            form.get("description"), field=N_("Description"), limit=TEXT_MAX, required=False
        )
        return title, place, text

    async def create_programme(self, form: Mapping[str, Any], organisation_id: int) -> Programme:
        """A new programme of this organisation."""
        return await self.store.plans.create_programme(
            *self._programme_fields(form), organisation_id
        )

    async def update_programme(self, programme: Programme, form: Mapping[str, Any]) -> None:
        await self.store.plans.update_programme(programme.id, *self._programme_fields(form))

    async def programme(self, programme_id: Any) -> Programme:
        return await self.store.plans.programme(read_id(programme_id, "programme"))

    async def assign_workshop(self, programme: Programme, form: Mapping[str, Any]) -> Workshop:
        """Put a workshop in this programme (taking it from any other)."""
        if not form.get("workshop_id"):
            raise BadRequest("Please choose a workshop.")
        workshop = await self.store.workshops.workshop(read_id(form.get("workshop_id"), "workshop"))
        if workshop.organisation_id != programme.organisation_id:
            raise NotFound("workshop")
        await self.store.plans.set_workshop_programme(workshop.id, programme.id)
        return workshop

    async def place_workshop(self, workshop: Workshop, form: Mapping[str, Any]) -> Programme | None:
        """From the workshop's console: put it in the chosen programme, or in none."""
        chosen = form.get("programme_id") or ""
        programme = (
            await self.store.plans.programme(read_id(chosen, "programme")) if chosen else None
        )
        if programme is not None and programme.organisation_id != workshop.organisation_id:
            raise NotFound("programme")
        await self.store.plans.set_workshop_programme(
            workshop.id, programme.id if programme else None
        )
        return programme

    async def remove_workshop(self, programme: Programme, form: Mapping[str, Any]) -> Workshop:
        workshop = await self.store.workshops.workshop(read_id(form.get("workshop_id"), "workshop"))
        if await self.store.plans.workshop_programme(workshop.id) != programme.id:
            raise NotFound("workshop")
        await self.store.plans.set_workshop_programme(workshop.id, None)
        return workshop

    async def options(self, programme: Programme) -> dict[int, tuple[Workshop, Option]]:
        """Every option of the programme's workshops, with its workshop, by option id."""
        out: dict[int, tuple[Workshop, Option]] = {}
        for workshop in await self.store.plans.programme_workshops(programme.id):
            for option in await self.store.options.options(workshop.id):
                out[option.id] = (workshop, option)
        return out

    # -- needs -----------------------------------------------------------------------------------

    async def ranked_needs(self, programme: Programme) -> list[RankedNeed]:
        """The needs in priority order by the stated rule (see facilitation.programme.needs)."""
        from facilitation.workshop.results import result_from_snapshot

        closed = await self.store.plans.programme_closed_rounds(programme.id)
        results = [(round_id, result_from_snapshot(snap)) for _w, round_id, snap in closed]
        results = [(rid, r) for rid, r in results if kinds.get(r.kind).feeds_priorities]
        return rank_needs(await self.store.plans.needs(programme.id), results)

    async def need_in(self, programme: Programme, need_id: Any) -> Need:
        need = await self.store.plans.need(read_id(need_id, "need"))
        if need.programme_id != programme.id:
            raise NotFound("need")
        return need

    def _need_fields(self, form: Mapping[str, Any]) -> tuple[str, str]:
        title = clean_text(form.get("title"), field=N_("Need"), limit=TITLE_MAX)
        text = clean_text(
            form.get("description"), field=N_("Description"), limit=TEXT_MAX, required=False
        )
        return title, text

    async def add_need(self, programme: Programme, form: Mapping[str, Any]) -> Need:
        return await self.store.plans.add_need(programme.id, *self._need_fields(form))

    async def edit_need(self, need: Need, form: Mapping[str, Any]) -> None:
        await self.store.plans.update_need(need.id, *self._need_fields(form))

    async def needs_from_options(self, programme: Programme) -> int:
        """Turn every option that feeds no need yet into a need of its own; returns how many."""
        unlinked = await self.store.plans.unlinked_options(programme.id)
        for option_id, title, description in unlinked:
            await self.store.plans.add_need(programme.id, title, description, (option_id,))
        return len(unlinked)

    async def link_option(
        self, programme: Programme, need: Need, form: Mapping[str, Any]
    ) -> Option:
        """Make one of the programme's options feed this need (moving it from any other)."""
        if not form.get("option_id"):
            raise BadRequest("Please choose an option.")
        found = (await self.options(programme)).get(read_id(form.get("option_id"), "option"))
        if found is None:
            raise NotFound("option")
        await self.store.plans.link_options(need.id, (found[1].id,))
        return found[1]

    async def set_override(self, need: Need, form: Mapping[str, Any]) -> None:
        """A manual score from 0 to 1, which only stands with a reason."""
        score = read_number(form.get("score"), N_("Score"), 0.0, 1.0)
        reason = clean_text(
            form.get("reason"), field=N_("Reason"), limit=REASON_MAX, required=False
        )
        if not reason:
            raise BadRequest("Please give a reason for changing the score: it is shown next to it.")
        await self.store.plans.set_need_override(need.id, score, reason)

    async def clear_override(self, need: Need) -> None:
        await self.store.plans.set_need_override(need.id, None, "")

    async def set_status(self, need: Need, form: Mapping[str, Any]) -> NeedStatus:
        status = _choice(form.get("status"), NeedStatus, N_("Status"))
        reason = clean_text(
            form.get("reason"), field=N_("Reason"), limit=REASON_MAX, required=False
        )
        if status is NeedStatus.NOT_POSSIBLE and not reason:
            raise BadRequest("Please say why this is not possible: residents will see the reason.")
        await self.store.plans.set_need_status(
            need.id, status, reason if status is NeedStatus.NOT_POSSIBLE else ""
        )
        return status

    # -- actions ---------------------------------------------------------------------------------

    async def action_in(self, programme: Programme, action_id: Any) -> Action:
        action = await self.store.plans.action(read_id(action_id, "action"))
        if action.programme_id != programme.id:
            raise NotFound("action")
        return action

    async def save_action(
        self, programme: Programme, form: Mapping[str, Any], existing: Action | None = None
    ) -> Action:
        """Add an action to the plan, or change one."""
        what = clean_text(form.get("what"), field=N_("What"), limit=TEXT_MAX)
        who = _choice(form.get("who"), Who, N_("Who"))
        owner = clean_text(form.get("owner"), field=N_("Owner"), limit=OWNER_MAX, required=False)
        due = clean_date(form.get("due"), field=N_("Due"))
        status = _choice(form.get("status") or "planned", ActionStatus, N_("Status"))
        need_id = None
        if form.get("need_id"):
            need_id = (await self.need_in(programme, form.get("need_id"))).id
        fields = {
            "need_id": need_id,
            "what": what,
            "who": who,
            "owner": owner,
            "due": due,
            "status": status,
        }
        if existing is not None:
            return await self.store.plans.save_action(replace(existing, **fields))
        return await self.store.plans.save_action(Action(id=0, programme_id=programme.id, **fields))

    async def add_note(self, action: Action, form: Mapping[str, Any]) -> None:
        note = clean_text(form.get("note"), field=N_("Progress note"), limit=NOTE_MAX)
        await self.store.plans.add_action_note(action.id, note)

    async def progress(self, programme: Programme) -> dict[str, Any]:
        """The action plan in numbers: how many by status, and how many are overdue."""
        actions = await self.store.plans.actions(programme.id)
        today = self.today()
        counts = Counter(a.status for a in actions)
        return {
            "total": len(actions),
            "by_status": [(s, counts.get(s, 0)) for s in ActionStatus],
            "overdue": sum(1 for a in actions if a.overdue(today)),
        }
