"""Downloads for a workshop: results CSV, anonymised ballots CSV, and JSON of everything; each
keeps what facilitators wrote in every one of the workshop's languages, the original the key."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from facilitation.core.models import Option, Round, RoundStatus, Workshop
from facilitation.web.auth import facilitator
from facilitation.web.common import attachment, file_slug
from facilitation.workshop import exports
from facilitation.workshop.rounds import Rounds


def _download(body: str, workshop: Workshop, suffix: str, media_type: str) -> Response:
    return attachment(body, f"{file_slug(workshop.title, 'workshop')}-{suffix}", media_type)


async def _loaded(
    request: Request, workshop: Workshop
) -> tuple[Any, Rounds, list[Option], dict[int, Option], list[Round]]:
    """The store (untyped on app.state), the rounds use case, the options and the opened rounds."""
    store = request.app.state.store
    uc = request.app.state.rounds
    options = await store.options.options(workshop.id)
    rounds = [
        r for r in await store.rounds.rounds(workshop.id) if r.status is not RoundStatus.DRAFT
    ]
    return store, uc, options, {o.id: o for o in options}, rounds


async def _in_languages(
    request: Request,
    workshop: Workshop,
    header: tuple[str, ...],
    rows: list[tuple],
    rounds: list[Round],
    by_id: dict[int, Option],
) -> str:
    """A CSV with the round's and option's words in each of the workshop's other languages
    after the original columns."""
    translating = request.app.state.translating
    languages = await translating.languages(workshop.id)
    texts = await translating.texts(workshop.id, languages)
    by_round = {r.id: r for r in rounds}
    cells = exports.translated_cells(rows, header, texts, languages.others, by_round, by_id)
    return exports.to_csv(exports.translated_header(header, languages.others), cells)


@facilitator
async def results_csv(request: Request, workshop: Workshop) -> Response:
    _store, uc, _options, by_id, rounds = await _loaded(request, workshop)
    pairs = [(r, await uc.result(r)) for r in rounds]
    rows = list(exports.result_rows(pairs, by_id))
    body = await _in_languages(request, workshop, exports.RESULT_HEADER, rows, rounds, by_id)
    return _download(body, workshop, "results.csv", "text/csv; charset=utf-8")


@facilitator
async def ballots_csv(request: Request, workshop: Workshop) -> Response:
    """Every ballot one by one, except rounds whose results have been split by group; the
    rounds it carries are never split afterwards (people.disclosure)."""
    store, _uc, _options, by_id, rounds = await _loaded(request, workshop)
    allowed = await store.disclosures.release_ballots([r.id for r in rounds])
    pairs = [(r, await store.ballots.ballots(r.id)) for r in rounds if r.id in allowed]
    rows = list(exports.ballot_rows(pairs, by_id, request.app.state.secret))
    body = await _in_languages(request, workshop, exports.BALLOT_HEADER, rows, rounds, by_id)
    return _download(body, workshop, "ballots.csv", "text/csv; charset=utf-8")


@facilitator
async def workshop_json(request: Request, workshop: Workshop) -> Response:
    store, uc, options, _by_id, _rounds = await _loaded(request, workshop)
    everything = []
    every_round = await store.rounds.rounds(workshop.id)
    allowed = await store.disclosures.release_ballots(
        [r.id for r in every_round if r.status is not RoundStatus.DRAFT]
    )
    for r in every_round:
        result = None if r.status is RoundStatus.DRAFT else await uc.result(r)
        # A draft has no ballots; a split round's are never offered one by one.
        ballots = await store.ballots.ballots(r.id) if r.id in allowed else None
        if r.status is RoundStatus.DRAFT:
            ballots = []
        everything.append((r, result, ballots, await store.ideas.ideas(r.id)))
    participants = len(await store.workshops.participants(workshop.id))
    translating = request.app.state.translating
    languages = await translating.languages(workshop.id)
    texts = await translating.texts(workshop.id, languages)
    body = exports.workshop_json(
        workshop, options, everything, participants, request.app.state.secret, languages, texts
    )
    return _download(body, workshop, "workshop.json", "application/json")
