"""Taking part: joining a workshop by its code, and casting a ballot (or sending an idea) from a
phone or copied from paper. A ballot is acknowledged only after it has committed."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from facilitation import kinds
from facilitation.core.errors import Conflict, Forbidden, NotFound, RoundNotOpen, TooManyRequests
from facilitation.core.forms import NAME_MAX, clean_text, normalise_code, read_client_id
from facilitation.core.hub import Hub
from facilitation.core.i18n import N_, _
from facilitation.core.limits import Limiter, LocalLimiter
from facilitation.core.models import Ballot, Idea, Participant, Round, RoundStatus, Workshop
from facilitation.storage.store import Store
from facilitation.workshop.channels import announce
from facilitation.workshop.guessing import Caller, CodeGuard
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
        code_guard: CodeGuard | None = None,
        limiter: Limiter | None = None,
    ) -> None:
        self.store = store
        self.hub = hub
        self.changed = changed
        self.on_ack = on_ack  # counts each acknowledgement, for the operator's figures
        self.code_guard = code_guard or CodeGuard()
        # Paces kept where the limiter keeps them: in this process, or shared by every worker.
        limiter = limiter or LocalLimiter(time.monotonic)
        # A person changes their mind every few seconds at most; a script flooding ballots is
        # slowed to this pace whether it uses one socket, many, or plain HTTP.
        self.ballot_pace = limiter.pace("ballot", rate=1.0, burst=5)

    async def join(self, workshop: Workshop, display_name: Any) -> Participant:
        """Give a new place in a workshop found by its code (find_by_code)."""
        name = clean_text(display_name, field=N_("Your name"), limit=NAME_MAX, required=False)
        participant = await self.store.workshops.join(workshop.id, name)
        announce(self.hub, self.changed, workshop.id)
        return participant

    async def member(self, code: Any, places: Any) -> tuple[Workshop, Participant] | None:
        """The workshop with this code and the caller's place in it, when ``places`` (a device's
        {workshop id: token}) holds one. Someone who has joined is never asked to guess again."""
        if not isinstance(places, Mapping) or not places:
            return None
        normalised = normalise_code(code)
        workshop = await self.store.workshops.workshop_by_code(normalised) if normalised else None
        token = places.get(str(workshop.id)) if workshop else None
        if workshop is None or not isinstance(token, str):
            return None
        participant = await self.store.workshops.participant_by_token(token)
        if participant is None or participant.workshop_id != workshop.id:
            return None
        return workshop, participant

    async def find_by_code(self, code: Any, caller: Caller) -> Workshop:
        """The workshop with this join code, for a device that has not joined it. A device with
        too many wrong codes is refused for a while; a guessing address takes its turn."""
        guard = self.code_guard
        wait = await guard.device_wait(caller)
        if wait:
            raise TooManyRequests(
                wait,
                "Too many wrong codes from this device. Please check the code on the screen "
                "and try again in {seconds} seconds.",
            )
        charged = await guard.charge(caller)
        try:
            if (not charged or await guard.server_wide(caller)) and not await guard.take_turn(
                caller
            ):
                raise TooManyRequests(1)  # the caller has gone: nobody reads this
            normalised = normalise_code(code)
            found = await self.store.workshops.workshop_by_code(normalised) if normalised else None
        except BaseException:
            await guard.settle(caller, charged, wrong=False)
            raise
        await guard.settle(caller, charged, wrong=found is None)
        if found is None:
            raise NotFound("workshop with that code")
        return found

    async def cast_ballot(
        self, participant: Participant, workshop: Workshop, fields: Mapping[str, Any]
    ) -> Ack:
        """Validate and store a ballot (or an idea); the Ack comes only after it has committed."""
        if participant.workshop_id != workshop.id:
            raise Forbidden("You joined a different workshop. Please scan this one's code.")
        client_id = read_client_id(fields.get("client_id"))
        # A resend of what is already stored is acknowledged as saved, however fast it comes
        # and whatever has changed since: it was saved.
        saved = await self._saved(participant, client_id)
        if saved is not None:
            self.on_ack()
            return saved
        if not await self.ballot_pace.allow(str(participant.id)):
            raise TooManyRequests(
                2,
                "You are sending very fast, so this was not saved. Your last saved ballot still "
                "counts; please wait a moment and send again.",
            )
        rnd = await round_in(self.store, workshop.id, fields.get("round_id"))
        if rnd.status is RoundStatus.DRAFT:
            raise RoundNotOpen()
        # A closed round is refused by the store, after it has checked for a re-sent submission
        # that was already saved: that one is acknowledged again, never reported as lost.
        entry = kinds.get(rnd.kind).read_ballot(fields, rnd)
        ack = await self._store(rnd, participant, entry, client_id)
        self.on_ack()
        return ack

    async def _saved(self, participant: Participant, client_id: str) -> Ack | None:
        """The acknowledgement again for a submission already stored under this client id."""
        found = await self.store.ballots.submission(participant.id, client_id)
        if found is None:
            return None
        if found.idea_id is not None:
            idea = await self.store.ideas.idea(found.idea_id)
            return Ack(None, found.revision, client_id, True, idea=idea)
        ballot = await self.store.ballots.ballot(found.round_id, participant.id)
        if ballot is None:
            return None
        return Ack(ballot, found.revision, client_id, True)

    async def _store(
        self, rnd: Round, participant: Participant, entry: dict[str, Any], client_id: str
    ) -> Ack:
        """Store a checked entry for a participant and tell the screens."""
        now = time.time()
        if kinds.get(rnd.kind).collects_ideas:
            idea, revision, duplicate = await self.store.ideas.add_idea(
                rnd.id,
                participant.id,
                entry["text"],
                entry["category"],
                client_id,
                now,
                workshop=rnd.workshop_id,
            )
            if not duplicate:
                self.changed(rnd.workshop_id)
            return Ack(None, revision, client_id, duplicate, idea=idea)
        ballot = Ballot(rnd.id, participant.id, entry)
        revision, duplicate = await self.store.ballots.cast_ballot(
            ballot, client_id, now, workshop=rnd.workshop_id
        )
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


def who(conn: Asker, gone: Callable[[], Awaitable[object]] | None = None) -> Caller:
    """The device (its session's CSRF token) and the address asking, for limits on guessing;
    ``gone`` waits until the connection closes.

    ``conn`` is a Starlette request or websocket; only its scope is read (the client a trusted
    proxy forwards, when there is one: see trusted_proxies).
    """
    session = conn.scope.get("session") or {}
    client = conn.scope.get("client")
    return Caller(
        device=conn.scope.get("csrf_token") or session.get("csrf", "") or "none",
        address=client[0] if client else "unknown",
        gone=gone,
    )


def places_of(conn: Asker) -> Mapping[str, Any]:
    """The places this device holds in workshops: {workshop id: participant token}."""
    places = (conn.scope.get("session") or {}).get("p")
    return places if isinstance(places, Mapping) else {}
