"""A workshop's rounds: set up from the facilitator's form (the round's kind reads its own
settings), opened, closed with their results stored, revealed, and their results read."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from facilitation import kinds
from facilitation.core.errors import BadRequest, Conflict, NotFound
from facilitation.core.forms import TITLE_MAX, clean_text, is_ticked, read_id, read_number
from facilitation.core.hub import Hub
from facilitation.core.i18n import N_
from facilitation.core.models import Ballot, Option, Round, RoundResult, RoundStatus
from facilitation.storage.store import Store
from facilitation.workshop.channels import announce
from facilitation.workshop.results import result_of, result_snapshot
from facilitation.workshop.scope import read_cards


async def round_in(store: Store, workshop_id: int, round_id: Any) -> Round:
    """A round of this workshop by its id as sent; NotFound for any other."""
    rnd = await store.rounds.round(read_id(round_id, "round"))
    if rnd.workshop_id != workshop_id:
        raise NotFound("round")
    return rnd


def chosen_options(
    kind: kinds.Kind, form: Mapping[str, Any], live: Mapping[int, Option]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The options ticked on a round form, in the workshop's order, split into (votable,
    information only): not-negotiable options go with the round as information, never onto
    its ballot; a kind that takes no options keeps them all as information."""
    chosen = form.get("options", [])
    chosen = [chosen] if isinstance(chosen, str) else list(chosen)
    option_ids = tuple(dict.fromkeys(read_id(v, "option") for v in chosen))
    if any(oid not in live for oid in option_ids):
        raise BadRequest("One of the chosen options no longer exists. Please reload the page.")
    order = [o for o in live if o in option_ids]
    votable = tuple(o for o in order if live[o].votable)
    info = tuple(o for o in order if not live[o].votable)
    kind.check_choice(len(option_ids), len(votable))
    return (votable, info) if kind.takes_options else ((), info)


class Rounds:
    """Round use cases; ``changed`` is called with a workshop id after each commit."""

    def __init__(self, store: Store, hub: Hub, changed: Callable[[int], None]) -> None:
        self.store = store
        self.hub = hub
        self.changed = changed

    async def round_in(self, workshop_id: int, round_id: Any) -> Round:
        return await round_in(self.store, workshop_id, round_id)

    async def save_round(
        self, workshop_id: int, form: Mapping[str, Any], existing: Round | None = None
    ) -> Round:
        """Create or edit a draft round from its form; everything is checked before writing."""
        kind = kinds.get(form.get("kind") or kinds.default().name)
        title = clean_text(form.get("title"), field=N_("Round title"), limit=TITLE_MAX)
        live = {
            o.id: o for o in await self.store.options.options(workshop_id, include_withdrawn=False)
        }
        votable, info = chosen_options(kind, form, live)
        timer_raw = form.get("timer_minutes") or ""
        timer = None
        if timer_raw not in ("", "0"):
            timer = int(read_number(timer_raw, N_("Timer (minutes)"), 0.25, 180) * 60)
        rnd = Round(
            id=existing.id if existing else 0,
            workshop_id=workshop_id,
            title=title,
            kind=kind.name,
            option_ids=votable,
            status=RoundStatus.DRAFT,
            hidden=is_ticked(form.get("hidden")),
            timer_seconds=timer,
            info_option_ids=info,
            cards=read_cards(form),
            cards_on_board=is_ticked(form.get("cards_on_board")),
            settings=kind.read_settings(form, [live[o] for o in votable]),
        )
        saved = await self.store.rounds.save_round(rnd)
        announce(self.hub, self.changed, workshop_id)
        return saved

    async def delete_round(self, rnd: Round) -> None:
        await self.store.rounds.delete_round(rnd.id)
        announce(self.hub, self.changed, rnd.workshop_id)

    async def open_round(self, rnd: Round) -> int:
        options = {o.id: o for o in await self.store.options.options(rnd.workshop_id)}
        chosen = rnd.option_ids + rnd.info_option_ids
        if any(options[oid].withdrawn for oid in chosen if oid in options):
            raise Conflict("This round includes a withdrawn option. Edit the round first.")
        kinds.get(rnd.kind).check_ready(rnd, options)
        revision = await self.store.rounds.open_round(rnd.id, time.time())
        announce(self.hub, self.changed, rnd.workshop_id, stage=True)
        return revision

    async def close_round(self, rnd: Round) -> int:
        options = {o.id: o for o in await self.store.options.options(rnd.workshop_id)}
        kind = kinds.get(rnd.kind)

        def snapshot(closed: Round, ballots: list[Ballot]) -> str:
            return result_snapshot(closed, kind.tally(closed, ballots), options)

        revision = await self.store.rounds.close_round(rnd.id, time.time(), snapshot)
        announce(self.hub, self.changed, rnd.workshop_id, stage=True)
        return revision

    async def reveal_round(self, rnd: Round, revealed: bool = True) -> int:
        if rnd.status is not RoundStatus.CLOSED:
            raise Conflict("Results can be revealed once the round is closed.")
        revision = await self.store.rounds.reveal_round(rnd.id, revealed)
        announce(self.hub, self.changed, rnd.workshop_id, stage=True)
        return revision

    async def result(self, rnd: Round) -> RoundResult:
        """A closed round's stored snapshot, or the live count of an open one."""
        return await result_of(self.store, rnd)
