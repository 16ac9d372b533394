"""Recruitment use cases: invite addresses by lottery into a new pool, let the invited register
with the profile questions and their consent, and take a drawn panel to a confirmed one, each
withdrawal replaced by the alternate that keeps the quotas, every step recorded."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from facilitation.core.errors import BadRequest, Conflict
from facilitation.core.i18n import N_, ngettext
from facilitation.core.models import Programme
from facilitation.panel import setup as panel_setup
from facilitation.panel.alternates import Proposal, propose_replacement
from facilitation.panel.invitations import (
    InvitationError,
    Standing,
    Step,
    draw_invitations,
    read_addresses,
    reason_text,
    standing,
)
from facilitation.panel.pool import build_pool
from facilitation.people.rules import Panel, Pool, ProfileQuestion, Volunteer
from facilitation.storage.recruitment import Counts, Invitation, InvitationDraw
from facilitation.storage.store import Store

TITLE_MAX = 120
NAME_MAX = 120
CONTACT_MAX = 200
SEED_MAX = 200


@dataclass(frozen=True, slots=True)
class Invited:
    """A pool's invitations and how they were drawn (None for a pool imported from a file)."""

    draw: InvitationDraw | None
    invitations: list[Invitation]

    @property
    def registered(self) -> int:
        return sum(1 for i in self.invitations if i.volunteer_id is not None)


def _text(value: Any, limit: int, too_long: str) -> str:
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if len(text) > limit:
        raise BadRequest(too_long, n=limit)
    return text


class Recruiting:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def invite(
        self, programme: Programme, title: Any, addresses: Any, count: Any, seed: Any
    ) -> Pool:
        """Draw the invitations from the address list with the published seed, into a new pool."""
        title = _text(title, TITLE_MAX, N_("The title is too long: {n} characters at most."))
        seed = _text(seed, SEED_MAX, N_("The seed is too long: {n} characters at most."))
        if not seed:
            raise BadRequest(N_("Please give the seed you published for the invitations."))
        try:
            number = int(count) if isinstance(count, str) and count.strip().isdigit() else 0
            listed = read_addresses(addresses if isinstance(addresses, str) else "")
            drawn = draw_invitations(listed, number, seed)
        except InvitationError as exc:
            raise BadRequest(exc.message, **exc.params) from None
        invited = [(address, secrets.token_urlsafe(16)) for address in drawn]
        title = title or ngettext("{n} invitation", "{n} invitations", len(invited))
        return await self.store.recruitment.invite(programme.id, title, seed, len(listed), invited)

    async def invited(self, pool: Pool) -> Invited:
        return Invited(
            await self.store.recruitment.draw(pool.id),
            await self.store.recruitment.invitations(pool.id),
        )

    async def invitation(self, token: Any) -> tuple[Invitation, Pool, list[ProfileQuestion]]:
        """The invitation behind a registration link, its pool and the questions to ask."""
        invitation = await self.store.recruitment.invitation(str(token)[:64])
        pool = await self.store.pools.pool(invitation.pool_id)
        questions = await self.store.profiles.profile_questions(pool.programme_id)
        return invitation, pool, [q for q in questions if not q.retired]

    async def register(self, token: Any, form: Mapping[str, Any]) -> None:
        """Register the invited person as a volunteer of the pool: a name, a way to reach
        them, their consent, and their answers to the profile questions (each may be declined)."""
        invitation, pool, questions = await self.invitation(token)
        if invitation.volunteer_id is not None:
            raise Conflict(N_("This invitation has already been used to register."))
        name = _text(
            form.get("name"), NAME_MAX, N_("The name is too long: {n} characters at most.")
        )
        email = _text(form.get("email"), CONTACT_MAX, N_("The email is too long: {n} at most."))
        phone = _text(form.get("phone"), CONTACT_MAX, N_("The phone is too long: {n} at most."))
        if not name:
            raise BadRequest(N_("Please give your name."))
        if not email and not phone:
            raise BadRequest(N_("Please give an email address or a phone number."))
        if form.get("consent") != "yes":
            raise BadRequest(
                N_("Please tick the box to agree that your details are kept for the lottery.")
            )
        answers: dict[int, int | None] = {}
        for q in questions:
            value = form.get(f"q-{q.id}")
            if value in (None, ""):
                raise BadRequest(N_("Please answer “{question}”."), question=q.label)
            if value == "none":
                answers[q.id] = None
                continue
            offered = {str(c.id): c.id for c in q.offered}
            if value not in offered:
                raise BadRequest(N_("Please answer “{question}”."), question=q.label)
            answers[q.id] = offered[value]
        # The invited address is the household: one letter per home, so the household rule
        # knows who lives together.
        volunteer = Volunteer(0, pool.id, name, email, phone, invitation.address, answers)
        await self.store.recruitment.register(invitation.token, pool.programme_id, volunteer)

    async def standing(self, panel: Panel) -> Standing:
        return standing(panel.result["panel"], await self.store.recruitment.steps(panel.id))

    async def proposal(
        self, panel: Panel, volunteers: list[Volunteer], questions: list[ProfileQuestion]
    ) -> tuple[int, Proposal] | None:
        """For the latest withdrawal whose seat is still empty: the alternate who keeps the
        panel closest to its quotas, among the draw's alternates in order."""
        now = await self.standing(panel)
        open_seats = len(now.withdrawn) - len(now.seated)
        if open_seats <= 0:
            return None
        withdrawn = now.withdrawn[-1][0]
        setup = panel_setup.stored(panel)
        candidates, quotas, _back = panel_setup.lottery_inputs(questions, volunteers, setup)
        pool = build_pool(
            candidates, setup.seats, quotas, one_per_household=setup.one_per_household
        )
        taken = {v for v, _r in now.withdrawn} | set(now.members)
        alternates = [str(n) for n in panel.result["reserves"] if n not in taken]
        members = [str(n) for n in now.members] + [str(withdrawn)]
        return withdrawn, propose_replacement(pool, members, str(withdrawn), alternates)

    async def confirm(self, panel: Panel, volunteer: Any) -> None:
        now = await self.standing(panel)
        number = _number(volunteer)
        if number not in now.members:
            raise BadRequest(N_("Only a member of the panel can be confirmed."))
        await self.store.recruitment.add_steps(panel.id, [Step(number, "confirmed")])

    async def withdraw(self, panel: Panel, volunteer: Any, reason: Any) -> None:
        now = await self.standing(panel)
        number = _number(volunteer)
        if number not in now.members:
            raise BadRequest(N_("Only a member of the panel can withdraw."))
        if len(now.withdrawn) > len(now.seated):
            raise BadRequest(N_("Please fill the seat left empty before the next withdrawal."))
        try:
            why = reason_text(reason)
        except InvitationError as exc:
            raise BadRequest(exc.message, **exc.params) from None
        await self.store.recruitment.add_steps(panel.id, [Step(number, "withdrew", why)])

    async def seat(
        self,
        panel: Panel,
        volunteers: list[Volunteer],
        questions: list[ProfileQuestion],
        alternate: Any,
    ) -> None:
        """Seat the proposed alternate in the empty seat, with the withdrawal's reason."""
        found = await self.proposal(panel, volunteers, questions)
        number = _number(alternate)
        if found is None or found[1].alternate != str(number):
            raise BadRequest(N_("That alternate is no longer the one proposed. Please look again."))
        withdrawn, _proposal = found
        now = await self.standing(panel)
        reason = dict(now.withdrawn)[withdrawn]
        await self.store.recruitment.add_steps(
            panel.id, [Step(number, "seated", reason, replaces=withdrawn)]
        )

    async def counts(self, programme: Programme) -> Counts | None:
        return await self.store.recruitment.counts(programme.id)


def _number(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise BadRequest(N_("The form could not be read. Please reload the page and try again."))
