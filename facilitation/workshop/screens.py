"""What each screen shows, read once and shared by the page render and the live push: the board,
the facilitator's console, a phone's stage, and a round's results as bars.

A pushed fragment is rendered from the same context as the page, so a live update can never
differ from a reload. Closed rounds are shown from the results stored when they closed, the one
source the phones, the board, the results page and the exports all read.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from facilitation import kinds
from facilitation.core import i18n, wording
from facilitation.core.models import (
    Ballot,
    Option,
    Participant,
    Round,
    RoundResult,
    RoundStatus,
    Turnout,
    Workshop,
)
from facilitation.kinds.base import bars
from facilitation.people import room
from facilitation.storage.store import Store
from facilitation.workshop import desk as ideas
from facilitation.workshop.results import result_of

# -- views of results ---------------------------------------------------------------------------


def result_context(
    rnd: Round,
    result: RoundResult,
    options: Mapping[int, Option],
    turnout: Turnout | None = None,
    ballots: Sequence[Ballot] | None = None,
) -> dict[str, Any]:
    """What a round's results templates need, for a page, the board and the phones alike."""
    kind = kinds.get(rnd.kind)
    return {
        "round": rnd,
        "kind": kind,
        "result": result,
        "rows": bars(result.rows, options, kind.bar_top(result)),
        "turnout": turnout,
        **kind.display(rnd, result, options, ballots),
    }


# -- the live regions ---------------------------------------------------------------------------


async def board_context(
    store: Store, workshop_id: int, join_url: str, state: tuple | None = None
) -> dict[str, Any]:
    """The live board: code, QR, turnout and the current round's bars or order, in the board's
    language (``board_lang``, which the caller renders it in), and the round's and options'
    words in its second language beside them, if it has one."""
    workshop, rnd, ballots, joined = state or await store.live.live_state(workshop_id)
    languages = await store.languages.workshop_languages(workshop_id)
    texts = await store.translations.workshop_texts(workshop_id, languages.main)
    first, second = languages.board[0], (languages.board[1:] or (None,))[0]
    originals = {o.id: o for o in await store.options.options(workshop_id)}
    options = wording.options_in(originals, texts, first, second)
    rnd = wording.round_both(rnd, texts, first, second) if rnd is not None else None
    turnout = Turnout(joined, len(ballots))
    context: dict[str, Any] = {
        "board_lang": first,
        "workshop": workshop,
        "round": rnd,
        "turnout": turnout,
        "join_url": join_url,
        "now": time.time(),
        "show_results": False,
        "options": options,
        "desk": None,
        "room": await room.board_room(store, workshop_id),
    }
    if rnd is not None:
        context["kind"] = kinds.get(rnd.kind)
    if rnd is not None and context["kind"].collects_ideas:
        context.update(await idea_context(store, rnd, joined))
    if rnd is not None and rnd.status is not RoundStatus.DRAFT and rnd.results_visible:
        result = await result_of(store, rnd, ballots)
        context.update(result_context(rnd, result, options, context["turnout"]))
        context["show_results"] = True
    return context


async def idea_context(store: Store, rnd: Round, joined: int) -> dict[str, Any]:
    """An idea round's ideas sorted for the desk and the wall, and its turnout (who sent any)."""
    ideas_now = await store.ideas.ideas(rnd.id)
    senders = len({i.participant_id for i in ideas_now})
    return {"desk": ideas.desk(ideas_now), "turnout": Turnout(joined, senders)}


async def console_context(store: Store, workshop_id: int, state: tuple | None = None) -> dict:
    """The facilitator's live regions: current round, its state and turnout, the timer, the idea
    desk, and who is in the room against the place."""
    workshop, rnd, ballots, joined = state or await store.live.live_state(workshop_id)
    # Where people joined from (phone, door tablet, paper), which the console lists by source.
    sources = (await store.ballots.turnout(workshop_id, None)).sources
    context = {
        "workshop": workshop,
        "round": rnd,
        "turnout": Turnout(joined, len(ballots), sources),
        "now": time.time(),
        "desk": None,
        **await room.room_context(store, workshop_id),
    }
    if rnd is not None and kinds.get(rnd.kind).collects_ideas:
        context.update(await idea_context(store, rnd, joined))
        context["turnout"] = replace(context["turnout"], sources=sources)
    return context


# How a screen gets a round's results: the rounds use case's result (stored, or counted live).
ResultFor = Callable[[Round], Awaitable[RoundResult]]


@dataclass(frozen=True, slots=True)
class StageReads:
    """What every phone's stage shows alike, read once for all the phones of a workshop."""

    workshop: Workshop
    round: Round | None
    options: dict[int, Option]
    ballots: dict[int, Ballot]  # by participant; used once the round can no longer change
    result: RoundResult | None  # a closed round's visible results
    texts: wording.Texts  # the translations of the workshop's words


async def stage_reads(
    store: Store, workshop_id: int, result_for: ResultFor, *, all_ballots: bool = True
) -> StageReads:
    """A workshop's stage, read once for all its phones (see live.phone_socket); with
    all_ballots, also every saved ballot of a round that is no longer open."""
    fresh = await store.workshops.workshop(workshop_id)
    rnd = await store.rounds.round(fresh.current_round_id) if fresh.current_round_id else None
    options = {o.id: o for o in await store.options.options(workshop_id)}
    ballots: dict[int, Ballot] = {}
    if all_ballots and rnd is not None and rnd.status is not RoundStatus.OPEN:
        ballots = {b.participant_id: b for b in await store.ballots.ballots(rnd.id)}
    result = None
    if rnd is not None and rnd.status is RoundStatus.CLOSED and rnd.results_visible:
        result = await result_for(rnd)
    languages = await store.languages.workshop_languages(workshop_id)
    texts = await store.translations.workshop_texts(workshop_id, languages.main)
    return StageReads(fresh, rnd, options, ballots, result, texts)


async def phone_context(
    store: Store,
    workshop: Workshop,
    participant: Participant,
    result_for: ResultFor,
    csrf_token: str = "",
    shared: StageReads | None = None,
) -> dict[str, Any]:
    """One participant's stage: waiting, their ballot, 'closed', or the revealed results, with
    the facilitator's words in the current language where they are translated.

    With ``shared`` (a read made once for all the workshop's phones) it reads nothing more,
    except the participant's own ballot while the round is open and it can still change."""
    reads = shared or await stage_reads(store, workshop.id, result_for, all_ballots=False)
    language = i18n.current()
    options = wording.options_in(reads.options, reads.texts, language)
    rnd = wording.round_in(reads.round, reads.texts, language) if reads.round else None
    own: Ballot | None = None
    if rnd is not None:
        if rnd.status is RoundStatus.OPEN or shared is None:
            own = await store.ballots.ballot(rnd.id, participant.id)
        else:
            own = reads.ballots.get(participant.id)
    context: dict[str, Any] = {
        "workshop": reads.workshop,
        "participant": participant,
        "round": rnd,
        "options": options,
        "ballot": own,
        "csrf_token": csrf_token,
        "now": time.time(),
        "show_results": False,
    }
    if rnd is not None:
        kind = kinds.get(rnd.kind)
        entry = own.entry if own else None
        context["kind"] = kind
        if kind.collects_ideas:
            context["my_ideas"] = await store.ideas.participant_ideas(rnd.id, participant.id)
        context.update(kind.ballot_context(rnd, entry))
        context["ballot_options"] = [
            options[o] for o in kind.phone_order(rnd, entry, participant.id) if o in options
        ]
        if reads.result is not None:
            context.update(result_context(rnd, reads.result, options))
            context["show_results"] = True
    return context
