"""Taking part: joining a workshop by its code, and casting a ballot (or sending an idea) from a
phone or copied from paper. A ballot is acknowledged only after it has committed."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from facilitation import kinds
from facilitation.core.errors import Conflict, Forbidden, NotFound, RoundNotOpen, TooManyRequests
from facilitation.core.forms import NAME_MAX, clean_text, normalise_code, read_client_id
from facilitation.core.hub import Hub
from facilitation.core.i18n import N_, _
from facilitation.core.limits import Buckets, FailureLimit, Guard
from facilitation.core.models import Ballot, Idea, Participant, Round, RoundStatus, Workshop
from facilitation.storage.store import Store
from facilitation.workshop.channels import announce
from facilitation.workshop.rounds import round_in


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
        if self.ballot is not None:
            return self.ballot.round_id
        assert self.idea is not None, "an Ack carries a ballot or an idea"
        return self.idea.round_id

    @property
    def submitted_at(self) -> float:
        if self.ballot is not None:
            return self.ballot.submitted_at
        assert self.idea is not None, "an Ack carries a ballot or an idea"
        return self.idea.created_at


class Ballots:
    """Joining and voting; ``changed`` is called with a workshop id after each commit."""

    def __init__(
        self,
        store: Store,
        hub: Hub,
        changed: Callable[[int], None],
        on_ack: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.hub = hub
        self.changed = changed
        self.on_ack = on_ack  # counts each acknowledgement, for the operator's figures
        # Guessing join codes: a device may get a few wrong, a whole venue's address many more,
        # so a room sharing one Wi-Fi is not blocked by one person's typos.
        self.code_guard = Guard(((FailureLimit(8, 600), "device"), (FailureLimit(60, 600), "ip")))
        # A person changes their mind every few seconds at most; a script flooding ballots is
        # slowed to this pace whether it uses one socket, many, or plain HTTP.
        self.ballot_pace = Buckets(rate=1.0, burst=5)

    async def join(
        self, code: Any, display_name: Any, who: Mapping[str, str]
    ) -> tuple[Workshop, Participant]:
        workshop = await self.find_by_code(code, who)
        name = clean_text(display_name, field=N_("Your name"), limit=NAME_MAX, required=False)
        participant = await self.store.workshops.join(workshop.id, name)
        announce(self.hub, self.changed, workshop.id)
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
        workshop = await self.store.workshops.workshop_by_code(normalised) if normalised else None
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
        client_id = read_client_id(fields.get("client_id"))
        rnd = await round_in(self.store, workshop.id, fields.get("round_id"))
        if rnd.status is RoundStatus.DRAFT:
            raise RoundNotOpen()
        # A closed round is refused by the store, after it has checked for a re-sent submission
        # that was already saved: that one is acknowledged again, never reported as lost.
        entry = kinds.get(rnd.kind).read_ballot(fields, rnd)
        ack = await self._store(rnd, participant, entry, client_id)
        self.on_ack()
        return ack

    async def _store(
        self, rnd: Round, participant: Participant, entry: dict[str, Any], client_id: str
    ) -> Ack:
        """Store a checked entry for a participant and tell the screens."""
        now = time.time()
        if kinds.get(rnd.kind).collects_ideas:
            idea, revision, duplicate = await self.store.ideas.add_idea(
                rnd.id, participant.id, entry["text"], entry["category"], client_id, now
            )
            if not duplicate:
                self.changed(rnd.workshop_id)
            return Ack(None, revision, client_id, duplicate, idea=idea)
        ballot = Ballot(rnd.id, participant.id, entry)
        revision, duplicate = await self.store.ballots.cast_ballot(ballot, client_id, now)
        if not duplicate:
            self.changed(rnd.workshop_id)
        saved = await self.store.ballots.ballot(rnd.id, participant.id) if duplicate else None
        stored = saved or replace(ballot, submitted_at=now, revision=revision)
        return Ack(stored, revision, client_id, duplicate)

    async def enter_paper(self, rnd: Round, form: Mapping[str, Any]) -> tuple[str, Ack]:
        """Count a ballot (or idea) the facilitator copies from paper; returns (label, ack).

        The sheet's label makes it one participant across rounds. Everything is checked before
        that participant is made, so a refused sheet leaves no trace."""
        if rnd.status is not RoundStatus.OPEN:
            raise Conflict("Paper ballots can be entered while the round is open.")
        client_id = read_client_id(form.get("client_id"))
        kind = kinds.get(rnd.kind)
        entry = kind.read_ballot(kind.paper_fields(rnd, form), rnd)
        label = clean_text(
            form.get("label"), field=N_("Paper ballot label"), limit=20, required=False
        )
        if not label:
            label = next_paper_label(await self.store.workshops.paper_labels(rnd.workshop_id))
        participant = await self.store.workshops.paper_participant(rnd.workshop_id, label)
        return label, await self._store(rnd, participant, entry, client_id)


def next_paper_label(used: list[str]) -> str:
    """The first of P1, P2, ... not yet used, so a blank label never lands on a sheet whose
    label was typed by hand."""
    taken = set(used)
    return next(label for n in range(1, len(taken) + 2) if (label := _("P{n}", n=n)) not in taken)


class Asker(Protocol):
    """What limits on guessing read of a request or websocket: its ASGI scope."""

    @property
    def scope(self) -> Mapping[str, Any]: ...


def who(conn: Asker) -> dict[str, str]:
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
