"""The use cases of a live workshop, shared by HTTP views and websocket handlers alike.

Each one validates with the pure rules, writes with the store, and only after the commit tells
anyone: the pusher (which re-renders boards and consoles, coalesced) and the phones' hub channel.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from facilitation import ratings, voting
from facilitation.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    RoundNotOpen,
    TooManyRequests,
)
from facilitation.hub import Hub
from facilitation.i18n import _
from facilitation.kinds import read_budget, read_categories, read_cost
from facilitation.limits import Buckets, FailureLimit, Guard
from facilitation.metrics import Metrics
from facilitation.models import (
    Ballot,
    BudgetRule,
    Idea,
    Option,
    Participant,
    Round,
    RoundKind,
    RoundResult,
    RoundStatus,
    Workshop,
)
from facilitation.scope import read_cards, read_scope
from facilitation.storage import Store

TITLE_MAX = 120
TEXT_MAX = 500
NAME_MAX = 40
CLIENT_ID_MAX = 64


def phones_channel(workshop_id: int) -> tuple[str, int]:
    """The hub channel on which a workshop's phones hear that the stage changed."""
    return ("phones", workshop_id)


class StageChange:
    """The message a workshop's phones receive when the stage changes: one object per change,
    given to every phone, so that they can share one read of the new stage (``shared``) and
    take turns to render it (``turns``)."""

    __slots__ = ("shared", "turns", "workshop_id")

    def __init__(self, workshop_id: int) -> None:
        self.workshop_id = workshop_id
        self.shared: Any = None
        self.turns = asyncio.Lock()


@dataclass(frozen=True, slots=True)
class Ack:
    """What a participant is told once their ballot (or idea) has committed."""

    ballot: Ballot | None
    revision: int
    client_id: str
    duplicate: bool
    idea: Idea | None = None

    @property
    def round_id(self) -> int:
        return self.ballot.round_id if self.ballot else self.idea.round_id

    @property
    def submitted_at(self) -> float:
        return self.ballot.submitted_at if self.ballot else self.idea.created_at


def clean_text(value: Any, *, field: str, limit: int, required: bool = True) -> str:
    """Trim a text field and check its length; the message names the field as the form does."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BadRequest("“{field}” must be text.", field=field)
    text = " ".join(value.split()) if limit <= TITLE_MAX else value.strip()
    if required and not text:
        raise BadRequest("Please fill in “{field}”.", field=field)
    if len(text) > limit:
        raise BadRequest(
            "“{field}” is too long: {limit} characters at most.", field=field, limit=limit
        )
    return text


def result_snapshot(rnd: Round, result: RoundResult, options: Mapping[int, Option]) -> str:
    """The JSON stored when a round closes: its counts, titles as they were, and its settings."""

    def rows(rs):
        return [
            {**asdict(r), "title": options[r.option_id].title if r.option_id in options else "?"}
            for r in rs
        ]

    return json.dumps(
        {
            "round_id": rnd.id,
            "kind": rnd.kind.value,
            "ballots": result.ballots,
            "rows": rows(result.rows),
            "schulze": rows(result.schulze),
            "methods_disagree": result.methods_disagree,
            "funded": list(result.funded),
            "spent": result.spent,
            "budget": result.budget,
            "other_funded": list(result.other_funded),
        }
    )


def result_from_snapshot(data: str) -> RoundResult:
    """Rebuild a RoundResult from its stored snapshot."""
    from facilitation.models import ResultRow

    raw = json.loads(data)

    def rows(rs):
        return tuple(
            ResultRow(r["option_id"], r["score"], r["place"], r["tied"], r["voters"]) for r in rs
        )

    return RoundResult(
        RoundKind(raw["kind"]),
        rows(raw["rows"]),
        raw["ballots"],
        rows(raw["schulze"]),
        raw["methods_disagree"],
        tuple(raw.get("funded", ())),
        raw.get("spent", 0),
        raw.get("budget", 0),
        tuple(raw.get("other_funded", ())),
    )


class Workshops:
    """Use cases over one store; ``changed`` is called with a workshop id after each commit."""

    def __init__(
        self,
        store: Store,
        hub: Hub,
        changed: Callable[[int], None],
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.hub = hub
        self.changed = changed
        self.metrics = metrics or Metrics()
        # Guessing join codes: a device may get a few wrong, a whole venue's address many more,
        # so a room sharing one Wi-Fi is not blocked by one person's typos.
        self.code_guard = Guard(((FailureLimit(8, 600), "device"), (FailureLimit(60, 600), "ip")))
        # A person changes their mind every few seconds at most; a script flooding ballots is
        # slowed to this pace whether it uses one socket, many, or plain HTTP.
        self.ballot_pace = Buckets(rate=1.0, burst=5)

    def _announce(self, workshop_id: int, *, stage: bool = False) -> None:
        self.changed(workshop_id)
        if stage:
            self.hub.publish(phones_channel(workshop_id), StageChange(workshop_id))

    # -- facilitator: workshops and options ------------------------------------------------------

    async def create_workshop(self, form: Mapping[str, Any], user_id: int) -> Workshop:
        title = clean_text(form.get("title"), field="Title", limit=TITLE_MAX)
        date = clean_text(form.get("date"), field="Date", limit=40, required=False)
        place = clean_text(form.get("place"), field="Place", limit=TITLE_MAX, required=False)
        return await self.store.create_workshop(title, date, place, user_id)

    async def update_workshop(self, workshop_id: int, form: Mapping[str, Any]) -> None:
        title = clean_text(form.get("title"), field="Title", limit=TITLE_MAX)
        date = clean_text(form.get("date"), field="Date", limit=40, required=False)
        place = clean_text(form.get("place"), field="Place", limit=TITLE_MAX, required=False)
        await self.store.update_workshop(workshop_id, title, date, place)
        self._announce(workshop_id, stage=True)

    async def option_in(self, workshop_id: int, option_id: Any) -> Option:
        option = await self.store.option(_int(option_id, "option"))
        if option.workshop_id != workshop_id:
            raise NotFound("option")
        return option

    async def add_option(self, workshop_id: int, form: Mapping[str, Any]) -> Option:
        title = clean_text(form.get("title"), field="Option", limit=TITLE_MAX)
        description = clean_text(
            form.get("description"), field="Description", limit=TEXT_MAX, required=False
        )
        scope = read_scope(form)
        cost = read_cost(form.get("cost"))
        option = await self.store.add_option(workshop_id, title, description, scope, cost)
        self._announce(workshop_id)
        return option

    async def import_options(self, workshop_id: int, rows: list[tuple[str, str]]) -> int:
        """Add checked (title, description) rows as options, all in one transaction."""
        n = await self.store.add_options(workshop_id, rows)
        self._announce(workshop_id)
        return n

    async def edit_option(self, option: Option, form: Mapping[str, Any]) -> int:
        """Reword an option; returns how many ballots already support it (to warn the user)."""
        title = clean_text(form.get("title"), field="Option", limit=TITLE_MAX)
        description = clean_text(
            form.get("description"), field="Description", limit=TEXT_MAX, required=False
        )
        scope = read_scope(form)
        # A form without the field (an older page) leaves the cost as it was.
        supporters = await self.store.update_option(
            option.id,
            title,
            description,
            scope,
            read_cost(form.get("cost")),
            set_cost="cost" in form,
        )
        self._announce(option.workshop_id, stage=True)
        return supporters

    async def move_option(self, option: Option, direction: Any) -> None:
        if direction not in ("up", "down"):
            raise BadRequest("Choose up or down.")
        await self.store.move_option(option.id, -1 if direction == "up" else 1)
        self._announce(option.workshop_id)

    async def remove_option(self, option: Option) -> tuple[str, int]:
        outcome = await self.store.remove_option(option.id)
        self._announce(option.workshop_id)
        return outcome

    async def restore_option(self, option: Option) -> None:
        await self.store.restore_option(option.id)
        self._announce(option.workshop_id)

    # -- facilitator: rounds ---------------------------------------------------------------------

    async def round_in(self, workshop_id: int, round_id: Any) -> Round:
        rnd = await self.store.round(_int(round_id, "round"))
        if rnd.workshop_id != workshop_id:
            raise NotFound("round")
        return rnd

    async def save_round(
        self, workshop_id: int, form: Mapping[str, Any], existing: Round | None = None
    ) -> Round:
        """Create or edit a draft round from its form; everything is checked before writing."""
        kind = form.get("kind", "dots")
        if not isinstance(kind, str) or kind not in {k.value for k in RoundKind}:
            raise BadRequest("Choose how people take part: dots, ranking, budget, ideas or rating.")
        kind = RoundKind(kind)
        title = clean_text(form.get("title"), field="Round title", limit=TITLE_MAX)
        live = {o.id: o for o in await self.store.options(workshop_id, include_withdrawn=False)}
        votable, info = self._round_options(kind, form, live)
        dots = _bounded(form.get("dots", 5), "Dots per person", 1, 100)
        cap = _bounded(form.get("max_per_option", 3), "Most dots on one option", 1, 100)
        top_k_raw = form.get("top_k") or ""
        top_k = None if top_k_raw in ("", "0", "all") else _bounded(top_k_raw, "Top", 1, 100)
        if top_k is not None and top_k >= len(votable):
            top_k = None
        timer_raw = form.get("timer_minutes") or ""
        timer = None
        if timer_raw not in ("", "0"):
            timer = int(_bounded_float(timer_raw, "Timer (minutes)", 0.25, 180) * 60)
        budget, rule = None, BudgetRule.EQUAL_SHARES
        if kind is RoundKind.BUDGET:
            budget, rule = read_budget(form, [live[o] for o in votable])
        categories = read_categories(form.get("categories")) if kind is RoundKind.IDEAS else ()
        rnd = Round(
            id=existing.id if existing else 0,
            workshop_id=workshop_id,
            title=title,
            kind=kind,
            option_ids=votable,
            status=RoundStatus.DRAFT,
            dots=dots,
            max_per_option=min(cap, dots),
            must_use_all=_checked(form.get("must_use_all")),
            top_k=top_k if kind is RoundKind.RANK else None,
            hidden=_checked(form.get("hidden")),
            timer_seconds=timer,
            info_option_ids=info,
            cards=read_cards(form),
            cards_on_board=_checked(form.get("cards_on_board")),
            budget=budget,
            budget_rule=rule,
            categories=categories,
        )
        saved = await self.store.save_round(rnd)
        self._announce(workshop_id)
        return saved

    @staticmethod
    def _round_options(
        kind: RoundKind, form: Mapping[str, Any], live: Mapping[int, Option]
    ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The chosen options split into (votable, information only), checked for the kind."""
        chosen = form.get("options", [])
        chosen = [chosen] if isinstance(chosen, str) else list(chosen)
        option_ids = tuple(dict.fromkeys(_int(v, "option") for v in chosen))
        if any(oid not in live for oid in option_ids):
            raise BadRequest("One of the chosen options no longer exists. Please reload the page.")
        order = [o for o in live if o in option_ids]
        # Not-negotiable options go with the round as information, never onto its ballot.
        votable = tuple(o for o in order if live[o].votable)
        info = tuple(o for o in order if not live[o].votable)
        if kind is RoundKind.IDEAS:
            return (), info  # the room brings the ideas; chosen options are only information
        if kind is RoundKind.RATING:
            if not votable:
                raise BadRequest("Choose at least one statement for people to rate.")
            return votable, info
        if len(option_ids) < 2:
            raise BadRequest("Choose at least two options for the round.")
        if len(votable) < 2:
            raise BadRequest(
                "Choose at least two options for the round that the room can vote on "
                "(not-negotiable options are shown for information only)."
            )
        return votable, info

    async def delete_round(self, rnd: Round) -> None:
        await self.store.delete_round(rnd.id)
        self._announce(rnd.workshop_id)

    async def open_round(self, rnd: Round) -> int:
        options = {o.id: o for o in await self.store.options(rnd.workshop_id)}
        chosen = rnd.option_ids + rnd.info_option_ids
        if any(options[oid].withdrawn for oid in chosen if oid in options):
            raise Conflict("This round includes a withdrawn option. Edit the round first.")
        if rnd.kind is RoundKind.BUDGET:
            read_budget({"budget": str(rnd.budget), "rule": rnd.budget_rule.value},
                         [options[o] for o in rnd.option_ids if o in options])  # fmt: skip
        if rnd.kind is RoundKind.RATING and not rnd.option_ids:
            raise Conflict("This round has no statements to rate. Edit the round first.")
        if (
            rnd.kind in (RoundKind.DOTS, RoundKind.RANK, RoundKind.BUDGET)
            and len(rnd.option_ids) < 2
        ):
            raise Conflict(
                "This round has fewer than two options the room can vote on. Edit the round first."
            )
        revision = await self.store.open_round(rnd.id, time.time())
        self._announce(rnd.workshop_id, stage=True)
        return revision

    async def close_round(self, rnd: Round) -> int:
        options = {o.id: o for o in await self.store.options(rnd.workshop_id)}

        def snapshot(closed: Round, ballots: list[Ballot]) -> str:
            return result_snapshot(closed, voting.tally(closed, ballots), options)

        revision = await self.store.close_round(rnd.id, time.time(), snapshot)
        self._announce(rnd.workshop_id, stage=True)
        return revision

    async def reveal_round(self, rnd: Round, revealed: bool = True) -> int:
        if rnd.status is not RoundStatus.CLOSED:
            raise Conflict("Results can be revealed once the round is closed.")
        revision = await self.store.reveal_round(rnd.id, revealed)
        self._announce(rnd.workshop_id, stage=True)
        return revision

    async def result(self, rnd: Round) -> RoundResult:
        """A closed round's stored snapshot, or the live count of an open one."""
        if rnd.status is RoundStatus.CLOSED:
            snapshot = await self.store.result_snapshot(rnd.id)
            if snapshot:
                return result_from_snapshot(snapshot)
        return voting.tally(rnd, await self.store.ballots(rnd.id))

    # -- participants ----------------------------------------------------------------------------

    async def join(
        self, code: Any, display_name: Any, who: Mapping[str, str]
    ) -> tuple[Workshop, Participant]:
        workshop = await self.find_by_code(code, who)
        name = clean_text(display_name, field="Your name", limit=NAME_MAX, required=False)
        participant = await self.store.join(workshop.id, name)
        self._announce(workshop.id)
        return workshop, participant

    async def find_by_code(self, code: Any, who: Mapping[str, str]) -> Workshop:
        """The workshop with this join code. ``who`` names the device and address asking: too
        many wrong codes from either and every lookup is refused for a while, right or wrong."""
        now = time.monotonic()
        wait = self.code_guard.retry_after(dict(who), now)
        if wait:
            raise TooManyRequests(
                wait,
                "Too many wrong codes from this device. Please check the code on the screen "
                "and try again in {seconds} seconds.",
            )
        normalised = normalise_code(code)
        workshop = await self.store.workshop_by_code(normalised) if normalised else None
        if workshop is None:
            self.code_guard.fail(dict(who), now)
            raise NotFound("workshop with that code")
        return workshop

    async def cast_ballot(
        self, participant: Participant, workshop: Workshop, fields: Mapping[str, Any]
    ) -> Ack:
        """Validate and store a ballot (or an idea); the Ack comes only after it has committed."""
        if participant.workshop_id != workshop.id:
            raise Forbidden("You joined a different workshop. Please scan this one's code.")
        if not self.ballot_pace.allow(participant.id, time.monotonic()):
            raise TooManyRequests(
                2,
                "You are sending very fast, so this was not saved. Your last saved ballot still "
                "counts; please wait a moment and send again.",
            )
        client_id = _client_id(fields.get("client_id"))
        rnd = await self.round_in(workshop.id, fields.get("round_id"))
        if rnd.status is RoundStatus.DRAFT:
            raise RoundNotOpen()
        # A closed round is refused by the store, after it has checked for a re-sent submission
        # that was already saved: that one is acknowledged again, never reported as lost.
        ack = await self._store(rnd, participant, read_entry(rnd, fields), client_id)
        self.metrics.acknowledged()
        return ack

    async def _store(
        self, rnd: Round, participant: Participant, entry: dict[str, Any], client_id: str
    ) -> Ack:
        """Store a checked entry (see read_entry) for a participant and tell the screens."""
        now = time.time()
        if rnd.kind is RoundKind.IDEAS:
            idea, revision, duplicate = await self.store.add_idea(
                rnd.id, participant.id, entry["text"], entry["category"], client_id, now
            )
            if not duplicate:
                self.changed(rnd.workshop_id)
            return Ack(None, revision, client_id, duplicate, idea=idea)
        ballot = Ballot(rnd.id, participant.id, **entry)
        revision, duplicate = await self.store.cast_ballot(ballot, client_id, now)
        if not duplicate:
            self.changed(rnd.workshop_id)
        saved = await self.store.ballot(rnd.id, participant.id) if duplicate else None
        stored = saved or replace(ballot, submitted_at=now, revision=revision)
        return Ack(stored, revision, client_id, duplicate)

    async def enter_paper(self, rnd: Round, form: Mapping[str, Any]) -> tuple[str, Ack]:
        """Count a ballot (or idea) the facilitator copies from paper; returns (label, ack).

        The sheet's label makes it one participant across rounds. Everything is checked before
        that participant is made, so a refused sheet leaves no trace."""
        if rnd.status is not RoundStatus.OPEN:
            raise Conflict("Paper ballots can be entered while the round is open.")
        client_id = _client_id(form.get("client_id"))
        entry = read_entry(rnd, paper_fields(rnd, form))
        label = clean_text(form.get("label"), field="Paper ballot label", limit=20, required=False)
        if not label:
            label = next_paper_label(await self.store.paper_labels(rnd.workshop_id))
        participant = await self.store.paper_participant(rnd.workshop_id, label)
        return label, await self._store(rnd, participant, entry, client_id)


IDEA_MAX = 120  # an idea may become an option, whose title has this limit


def next_paper_label(used: list[str]) -> str:
    """The first of P1, P2, ... not yet used, so a blank label never lands on a sheet whose
    label was typed by hand."""
    taken = set(used)
    return next(label for n in range(1, len(taken) + 2) if (label := _("P{n}", n=n)) not in taken)


def read_entry(rnd: Round, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Check a ballot's fields by the round's kind: the Ballot fields, or an idea's text."""
    if rnd.kind is RoundKind.IDEAS:
        text = clean_text(fields.get("text"), field="Your idea", limit=IDEA_MAX)
        category = fields.get("category") or ""
        if category and category not in rnd.categories:
            raise BadRequest("Choose one of the categories shown, or none.")
        return {"text": text, "category": category}
    try:
        if rnd.kind is RoundKind.DOTS:
            return {"dots": voting.validate_dots(voting.read_dots(fields, rnd), rnd)}
        if rnd.kind is RoundKind.BUDGET:
            return {"picks": voting.validate_picks(voting.read_picks(fields, rnd), rnd)}
        if rnd.kind is RoundKind.RATING:
            return {"ratings": ratings.validate_ratings(ratings.read_ratings(fields, rnd), rnd)}
        return {"ranking": voting.validate_ranking(voting.read_ranking(fields, rnd), rnd)}
    except voting.BallotError as exc:  # the pure rules know no HTTP: give it its status here
        raise BadRequest(exc.message, **exc.params) from exc


def paper_fields(rnd: Round, form: Mapping[str, Any]) -> Mapping[str, Any]:
    """A paper ranking is written as numbers beside the options (``place-<id>``); turn it into
    the phone's ``rank`` list. Other kinds use the phone's own field names."""
    if rnd.kind is not RoundKind.RANK:
        return form
    places: dict[int, int] = {}
    for option_id in rnd.option_ids:
        raw = form.get(f"place-{option_id}") or ""
        if not isinstance(raw, str):  # the field sent twice
            raise BadRequest("Each option takes one number. Please check the form.")
        if not raw.strip():
            continue
        place = _bounded(raw, "Place", 1, len(rnd.option_ids))
        if place in places:
            raise BadRequest("Two options are both marked {n}. Check the paper again.", n=place)
        places[place] = option_id
    if sorted(places) != list(range(1, len(places) + 1)):
        raise BadRequest("The places must run 1, 2, 3… with no gaps. Check the paper again.")
    return {"rank": [places[p] for p in sorted(places)]}


def _client_id(value: Any) -> str:
    # An id, never text: ASCII only, which also keeps out lone surrogates that a JSON
    # escape can carry and that neither SQLite nor a websocket frame can encode.
    if not isinstance(value, str) or not 8 <= len(value) <= CLIENT_ID_MAX or not value.isascii():
        raise BadRequest("This page is out of date. Please reload it.")
    return value


def who(conn: Any) -> dict[str, str]:
    """The device (its session's CSRF token) and the address asking, for limits on guessing.

    ``conn`` is a Starlette request or websocket; only its scope and client are read (the client
    a trusted proxy forwards, when there is one: see trusted_proxies).
    """
    session = conn.scope.get("session") or {}
    client = conn.scope.get("client")
    return {
        "device": conn.scope.get("csrf_token") or session.get("csrf", "") or "none",
        "ip": client[0] if client else "unknown",
    }


def normalise_code(code: Any) -> str:
    """Uppercase a typed join code and drop spaces and dashes people add when copying it."""
    if not isinstance(code, str):
        return ""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return cleaned if len(cleaned) <= 12 else ""


def _int(value: Any, what: str) -> int:
    # Bounded like the text form: SQLite cannot even look up an integer beyond 64 bits.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 12:
        return int(value)
    raise NotFound(what)


def _bounded(value: Any, field: str, low: int, high: int) -> int:
    text = str(value).strip() if isinstance(value, str | int) else ""
    # Short before int(): it refuses strings of over 4300 digits with a ValueError of its own.
    if not (text.isascii() and text.isdigit() and len(text) <= 9) or not low <= int(text) <= high:
        raise BadRequest(
            "“{field}” must be a whole number from {low} to {high}.",
            field=field,
            low=low,
            high=high,
        )
    return int(text)


def _bounded_float(value: Any, field: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not low <= number <= high:
        raise BadRequest(
            "“{field}” must be a number from {low} to {high}.", field=field, low=low, high=high
        )
    return number


def _checked(value: Any) -> bool:
    return value in ("on", "1", "true", "yes", True)
