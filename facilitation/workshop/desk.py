"""Moderating an idea round: approve, reword (the original kept), merge duplicates, hide, and turn
the approved ideas into options for the next round.

The desk's view of a round's ideas (``desk``) is pure, so the console, the board and the exports
group and order ideas the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from facilitation import kinds
from facilitation.core.errors import BadRequest, Conflict, NotFound
from facilitation.core.forms import clean_text, read_id
from facilitation.core.i18n import N_, _
from facilitation.core.models import Idea, IdeaStatus, Round
from facilitation.kinds.ideas import IDEA_MAX, categories_of
from facilitation.storage.store import Store

MERGE_MAX = 50  # ideas ticked for one merge; a room's duplicates are a handful


@dataclass(frozen=True, slots=True)
class Desk:
    """A round's ideas as the facilitator sorts them: each list holds top-level ideas only, and
    ``merged`` maps an idea's id to the duplicates merged into it."""

    pending: tuple[Idea, ...]
    approved: tuple[Idea, ...]
    hidden: tuple[Idea, ...]
    merged: dict[int, tuple[Idea, ...]]

    @property
    def total(self) -> int:
        return (
            len(self.pending)
            + len(self.approved)
            + len(self.hidden)
            + sum(len(m) for m in self.merged.values())
        )


def desk(ideas: Sequence[Idea]) -> Desk:
    """Pending newest first (what just arrived is on top); approved by supporters, then age, as
    the wall shows them; hidden in arrival order."""
    merged: dict[int, list[Idea]] = {}
    for idea in ideas:
        if idea.status is IdeaStatus.MERGED and idea.merged_into is not None:
            merged.setdefault(idea.merged_into, []).append(idea)
    by_status = {s: [i for i in ideas if i.status is s] for s in IdeaStatus}
    return Desk(
        pending=tuple(sorted(by_status[IdeaStatus.PENDING], key=lambda i: -i.id)),
        approved=tuple(sorted(by_status[IdeaStatus.APPROVED], key=lambda i: (-i.supporters, i.id))),
        hidden=tuple(by_status[IdeaStatus.HIDDEN]),
        merged={k: tuple(v) for k, v in merged.items()},
    )


class IdeaDesk:
    """The facilitator's moderation actions; each one tells the board and console after commit."""

    def __init__(self, store: Store, changed: Callable[[int], None]) -> None:
        self.store = store
        self.changed = changed

    async def idea_in(self, rnd: Round, idea_id: Any) -> Idea:
        idea = await self.store.ideas.idea(read_id(idea_id, "idea"))
        if idea.round_id != rnd.id:
            raise NotFound("idea")
        return idea

    async def set_status(self, rnd: Round, idea: Idea, status: IdeaStatus) -> Idea:
        updated = await self.store.ideas.set_idea_status(idea.id, status)
        self.changed(rnd.workshop_id)
        return updated

    async def approve_pending(self, rnd: Round) -> int:
        """Approve every idea still waiting; returns how many."""
        pending = [
            i for i in await self.store.ideas.ideas(rnd.id) if i.status is IdeaStatus.PENDING
        ]
        for idea in pending:
            await self.store.ideas.set_idea_status(idea.id, IdeaStatus.APPROVED)
        if pending:
            self.changed(rnd.workshop_id)
        return len(pending)

    async def edit(self, rnd: Round, idea: Idea, form: Mapping[str, Any]) -> Idea:
        text = clean_text(form.get("text"), field=N_("Wording"), limit=IDEA_MAX)
        category = form.get("category") or ""
        if category and category not in categories_of(rnd):
            raise BadRequest("Choose one of the round's categories, or none.")
        updated = await self.store.ideas.edit_idea(idea.id, text, category)
        self.changed(rnd.workshop_id)
        return updated

    async def merge(self, rnd: Round, form: Mapping[str, Any]) -> tuple[Idea, int]:
        """Merge the ticked ideas into the one with most supporters (ties: the earliest); returns
        it and how many ideas joined it."""
        raw = form.get("ideas", [])
        raw = [raw] if isinstance(raw, str) else list(raw)
        if len(raw) > MERGE_MAX:
            raise BadRequest("Merge at most {n} ideas at a time.", n=MERGE_MAX)
        ticked = [await self.idea_in(rnd, v) for v in dict.fromkeys(raw)]
        ticked = [i for i in ticked if i.status is not IdeaStatus.MERGED]
        if len(ticked) < 2:
            raise BadRequest("Tick at least two ideas to merge them.")
        target = min(ticked, key=lambda i: (-i.supporters, i.id))
        merged = await self.store.ideas.merge_ideas(target.id, [i.id for i in ticked])
        self.changed(rnd.workshop_id)
        return merged, len(ticked) - 1

    async def to_options(self, rnd: Round) -> tuple[int, int | None]:
        """Turn approved ideas into options and a draft dot-voting round; returns (options
        made, the new round's id or None when fewer than two ideas were approved)."""
        if not kinds.get(rnd.kind).collects_ideas:
            raise Conflict("Only an idea round's ideas can become options.")
        title = _("Vote on the ideas from “{title}”", title=rnd.title)[:120]
        # The ideas go to the room as a round of the form's first kind (dot voting), as it sets up.
        voting = kinds.default()
        option_ids, new_round = await self.store.ideas.ideas_to_options(
            rnd.id, title, (voting.name, voting.read_settings({}, [])), time.time()
        )
        self.changed(rnd.workshop_id)
        return len(option_ids), new_round
