"""The use cases of who takes part: a programme's profile questions and the make-up of its place,
participants' answers, the board's room panel switch, and results split by group.

Each one checks the form, writes with the store, and only after the commit tells the pusher, so a
console showing the room against the place re-renders within one push interval.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from facilitation.core.errors import BadRequest, Conflict, NotFound
from facilitation.core.forms import is_ticked, read_id
from facilitation.core.i18n import N_
from facilitation.core.models import Participant, Programme, Round, Workshop
from facilitation.panel.pool_import import Problem, read_amount, read_makeup
from facilitation.people import disclosure
from facilitation.people import split as splitting
from facilitation.people.rules import (
    ProfileError,
    ProfileQuestion,
    Respondent,
    check_question,
)
from facilitation.storage.store import Store

QUESTIONS_CHANGED = N_(
    "The questions changed while this page was open. Please look again and save."
)

# How a split request ends (people.disclosure says why each is needed).
SHOWN = "shown"  # the groups, counted from the round's split basis
BALLOTS_OUT = "ballots_out"  # the round's ballots went out one by one: never split
CROSSING = "crossing"  # with a split already shown, it would single out fewer than 5
REMOVED = "answers_removed"  # someone removed answers a shown split counted


@dataclass(frozen=True, slots=True)
class SplitView:
    """A round's split by one question, or why it is withheld; ``fixed_at``: when its basis was
    fixed, ``reopened``: whether the round has closed again since (its splits do not move),
    ``blocking``: the labels of the earlier splits that stand in the way of this one."""

    status: str
    groups: list[splitting.GroupResult] = field(default_factory=list)
    fixed_at: float | None = None
    reopened: bool = False
    blocking: tuple[str, ...] = ()

    @property
    def shown(self) -> bool:
        return self.status == SHOWN


async def split_view(store: Store, rnd: Round, question: ProfileQuestion) -> SplitView:
    """A closed round's results split by a question under people.disclosure's rule: fixes the
    round's split basis if this is its first split, releases the question if its crossing with
    the questions released before is safe, and counts the groups from the basis."""
    if not splitting.splittable(rnd):
        raise Conflict("Results can be split by group once voting has closed.")
    state = await store.disclosures.fix_split_basis(rnd.id)
    if state.ballots_released:
        return SplitView(BALLOTS_OUT)
    reopened = bool(state.fixed_at and rnd.closed_at and rnd.closed_at > state.fixed_at)
    if state.withheld:
        return SplitView(REMOVED, fixed_at=state.fixed_at, reopened=reopened)
    released = await store.disclosures.release_split(rnd.id, question.id, disclosure.may_release)
    if not released:
        state = await store.disclosures.split_state(rnd.id)
        if state.withheld:
            return SplitView(REMOVED, fixed_at=state.fixed_at, reopened=reopened)
        labels = []
        for question_id in state.released:
            labels.append((await store.profiles.profile_question(question_id)).label)
        return SplitView(
            CROSSING, fixed_at=state.fixed_at, reopened=reopened, blocking=tuple(labels)
        )
    ballots = await store.disclosures.basis_ballots(rnd.id)
    labels_now = await store.profiles.round_groups(rnd.id, question.id)
    groups = splitting.split_round(rnd, ballots, labels_now, question)
    return SplitView(SHOWN, groups, state.fixed_at, reopened)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest("The form could not be read. Please reload the page and try again.")
    return value


def _lines(value: Any) -> list[str]:
    return [line for line in _text(value).splitlines() if line.strip()]


def _checked_question(label: str, choices: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    try:
        return check_question(label, choices)
    except ProfileError as exc:
        raise BadRequest(exc.message, **exc.params) from None


def read_answers(
    questions: Sequence[ProfileQuestion],
    before: Mapping[int, int | None],
    form: Mapping[str, Any],
) -> dict[int, int | None]:
    """A phone's answers form as {question id: choice id, None for "prefer not to say"}; a
    question left blank is skipped. A field for a question not asked here is refused."""
    asked = {q.id: q for q in questions}
    answers: dict[int, int | None] = {}
    for key, value in form.items():
        if not key.startswith("q-"):
            continue
        number = key[2:]
        question = asked.get(int(number)) if number.isdigit() and len(number) < 12 else None
        if question is None:
            raise Conflict(QUESTIONS_CHANGED)
        text = _text(value)
        if not text:
            continue
        if text == "none":
            answers[question.id] = None
            continue
        choice = question.choice(int(text)) if text.isdigit() and len(text) < 12 else None
        kept = choice is not None and choice.retired and before.get(question.id) == choice.id
        if choice is None or (choice.retired and not kept):
            raise Conflict(QUESTIONS_CHANGED)
        answers[question.id] = choice.id
    return answers


def read_figures(question: ProfileQuestion, form: Mapping[str, Any]) -> dict[int, float]:
    """The make-up form for one question: a figure per offered answer, blank for none; empty
    when every field is blank (the figures are cleared)."""
    amounts: dict[int, float] = {}
    percents = []
    for choice in question.offered:
        text = _text(form.get(f"amount-{choice.id}")).strip()
        if not text:
            continue
        amount = read_amount(text)
        if amount is None:
            raise BadRequest(
                "“{amount}” is not a number: write a count such as 1250, or a share such as 12.5%.",
                amount=text[:20],
            )
        amounts[choice.id] = amount[0]
        percents.append(amount[1])
    total = sum(amounts.values())
    if amounts and total <= 0:
        raise BadRequest("The figures for “{question}” are all zero.", question=question.label)
    if percents and all(percents) and total > 100.5:
        raise BadRequest(
            "The shares for “{question}” add up to {total}%, more than 100%.",
            question=question.label,
            total=f"{total:g}",
        )
    return amounts


class Profiles:
    """Who-takes-part use cases over one store; ``changed`` re-renders a workshop's screens."""

    def __init__(self, store: Store, changed: Callable[[int], None]) -> None:
        self.store = store
        self.changed = changed

    # -- the organiser: questions and the place ----------------------------------------------------

    async def question_in(self, programme: Programme, question_id: Any) -> ProfileQuestion:
        question = await self.store.profiles.profile_question(
            read_id(question_id, "profile question")
        )
        if question.programme_id != programme.id:
            raise NotFound("profile question")
        return question

    async def add_question(self, programme: Programme, form: Mapping[str, Any]) -> ProfileQuestion:
        label, choices = _checked_question(_text(form.get("label")), _lines(form.get("choices")))
        return await self.store.profiles.add_profile_question(programme.id, label, choices)

    async def edit_question(
        self, question: ProfileQuestion, form: Mapping[str, Any]
    ) -> ProfileQuestion:
        """Rename the question and its answers; a blanked answer is removed, new lines added."""
        named = [(c.id, _text(form.get(f"choice-{c.id}"))) for c in question.offered]
        kept = [(cid, " ".join(text.split())) for cid, text in named if text.strip()]
        added = [" ".join(line.split()) for line in _lines(form.get("new_choices"))]
        label, labels = _checked_question(_text(form.get("label")), [t for _c, t in kept] + added)
        ids = [cid for cid, _t in kept] + [None] * len(added)
        return await self.store.profiles.update_profile_question(
            question.id, label, list(zip(ids, labels, strict=True))
        )

    async def move_question(self, question: ProfileQuestion, direction: Any) -> None:
        steps = {"up": -1, "down": 1}
        if not isinstance(direction, str) or direction not in steps:
            raise BadRequest("Please choose up or down.")
        await self.store.profiles.move_profile_question(question.id, steps[direction])

    async def remove_question(self, question: ProfileQuestion) -> str:
        """ "deleted" if nobody answered it, else "retired" (kept for past answers, not asked)."""
        return await self.store.profiles.remove_profile_question(question.id)

    async def restore_question(self, question: ProfileQuestion) -> None:
        if not question.retired:
            raise Conflict("“{label}” is already asked.", label=question.label)
        await self.store.profiles.restore_profile_question(question.id)

    async def set_makeup(
        self, programme: Programme, question: ProfileQuestion, form: Mapping[str, Any]
    ) -> bool:
        """Save the place's figures for one question; False when they were cleared."""
        if question.retired:
            raise Conflict(QUESTIONS_CHANGED)
        amounts = read_figures(question, form)
        await self.store.profiles.set_place_makeup(programme.id, {question.id: amounts})
        return bool(amounts)

    async def import_makeup(self, programme: Programme, data: bytes) -> tuple[int, list[Problem]]:
        """The make-up from a CSV file, all or nothing: (questions given figures, problems)."""
        questions = await self.store.profiles.profile_questions(programme.id)
        makeup, problems = read_makeup(data, questions)
        if problems:
            return 0, problems
        await self.store.profiles.set_place_makeup(programme.id, makeup)
        return len(makeup), []

    # -- the participant: answers ----------------------------------------------------------------

    async def asked(self, workshop: Workshop) -> tuple[int, list[ProfileQuestion]] | None:
        """The programme of a workshop and the questions it asks, or None if it asks none."""
        programme_id = await self.store.plans.workshop_programme(workshop.id)
        if programme_id is None:
            return None
        questions = await self.store.profiles.profile_questions(programme_id)
        return (programme_id, questions) if questions else None

    async def respondent(
        self, participant: Participant, programme_id: int, token: str | None
    ) -> Respondent | None:
        """The participant's respondent in the programme: theirs, else the one this device's
        token names, else a new one. A new link may bring answers into the room, so the
        screens are told."""
        current = await self.store.profiles.participant_respondent(participant.id)
        if current is not None and current.programme_id == programme_id:
            return current
        respondent = await self.store.profiles.link_respondent(participant.id, token or None)
        self.changed(participant.workshop_id)
        return respondent

    async def save_answers(
        self,
        participant: Participant,
        respondent: Respondent,
        questions: Sequence[ProfileQuestion],
        form: Mapping[str, Any],
    ) -> dict[int, int | None]:
        before = await self.store.profiles.profile_answers(respondent.id)
        answers = read_answers(questions, before, form)
        await self.store.profiles.save_profile_answers(respondent.id, answers)
        self.changed(participant.workshop_id)
        return answers

    async def clear_answers(self, participant: Participant, respondent: Respondent) -> None:
        """Remove this person's answers everywhere (see Disclosures.forget_answers)."""
        await self.store.disclosures.forget_answers(respondent.id)
        self.changed(participant.workshop_id)

    # -- the facilitator: the board and results by group -----------------------------------------

    async def set_room_on_board(self, workshop: Workshop, form: Mapping[str, Any]) -> bool:
        on = is_ticked(form.get("on"))
        await self.store.workshops.set_room_on_board(workshop.id, on)
        self.changed(workshop.id)
        return on

    async def split_questions(self, workshop: Workshop) -> list[ProfileQuestion]:
        """The questions a workshop's results can be split by (retired ones too: old answers)."""
        programme_id = await self.store.plans.workshop_programme(workshop.id)
        if programme_id is None:
            return []
        return await self.store.profiles.profile_questions(programme_id, include_retired=True)

    async def split(self, rnd: Round, question: ProfileQuestion) -> SplitView:
        """A closed round's results per group of answers to the question, under the rule of
        people.disclosure (which may withhold it, and says why)."""
        return await split_view(self.store, rnd, question)
