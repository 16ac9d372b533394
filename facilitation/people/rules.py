"""Who is in the room: profile questions and answers, the pools, and the room set against its place.

Pure: records in, records out, no I/O. A programme may ask its participants a few optional
questions (age band, tenure, block ...). Every question also offers "prefer not to say", which is
stored as an answer with no choice; skipping a question stores nothing. The organiser may give the
make-up of the place for a question, as percentages or as head counts: both are normalised here
into shares, so the two ways of entering figures compare alike.

Room against place, the rule shown beside the figures: for each question, a choice's room share is
its people out of those in the room who picked a choice; "prefer not to say" and unanswered are
counted apart and are in no share, as are paper sheets, which were never asked (a sheet copied
from paper is not "not answered"). A choice's place share is its amount out of the question's
total amount; a choice the make-up does not list counts as none of the place. The gap is the room
share minus the place share in percentage points, and the widest gaps come first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from facilitation.core.i18n import N_
from facilitation.core.wording import Texts


class ProfileError(ValueError):
    """A question the rules refuse; ``message`` is a translatable template."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message.format(**params))
        self.message = message
        self.params = params


# Offered with every question, so that nobody has to pick a choice they would rather not.
PREFER_NOT_TO_SAY = N_("Prefer not to say")

LABEL_MAX = 120
CHOICE_MAX = 80
CHOICES_MAX = 30


def label_key(text: str) -> str:
    """How labels are compared: case and runs of spaces do not make two labels different."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True, slots=True)
class Choice:
    id: int
    question_id: int
    label: str
    position: int
    # A retired choice is no longer offered but still names the answers given with it.
    retired: bool = False
    lang: str = ""  # the language of its label, once read for one (see question_in)


@dataclass(frozen=True, slots=True)
class ProfileQuestion:
    id: int
    programme_id: int
    label: str
    position: int
    choices: tuple[Choice, ...] = ()
    retired: bool = False
    lang: str = ""  # the language of its label, once read for one (see question_in)

    @property
    def offered(self) -> tuple[Choice, ...]:
        """The choices a participant may pick now, in order (besides "prefer not to say")."""
        return tuple(c for c in self.choices if not c.retired)

    def choice(self, choice_id: int | None) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)


def question_in(question: ProfileQuestion, texts: Texts, language: str) -> ProfileQuestion:
    """A question and its choices in ``language`` where translated, else as written (marked by
    the ``lang`` of each)."""
    (label,), lang = texts.words(("question", str(question.id)), language, (question.label,))
    choices = []
    for c in question.choices:
        (text,), in_lang = texts.words(("choice", str(c.id)), language, (c.label,))
        choices.append(dataclasses.replace(c, label=text, lang=in_lang))
    return dataclasses.replace(question, label=label, lang=lang, choices=tuple(choices))


@dataclass(frozen=True, slots=True)
class Respondent:
    """One person's answers within a programme, kept apart from anything they vote."""

    id: int
    programme_id: int
    token: str


@dataclass(frozen=True, slots=True)
class RoomProfile:
    """How a workshop's participants answered: ``counts[question][choice]`` people, where the
    choice None is "prefer not to say"; those who skipped a question are in neither. ``paper``
    of the ``present`` are paper sheets, which nobody asked."""

    present: int
    counts: Mapping[int, Mapping[int | None, int]] = field(default_factory=dict)
    paper: int = 0


@dataclass(frozen=True, slots=True)
class ChoiceGap:
    choice: Choice
    room_count: int
    room_share: float | None  # percent of those in the room who picked a choice; None if nobody
    place_share: float | None  # percent of the place; None when the make-up has no figures
    gap: float | None  # room share minus place share, in percentage points


@dataclass(frozen=True, slots=True)
class QuestionGaps:
    question: ProfileQuestion
    rows: tuple[ChoiceGap, ...]  # widest gap first
    answered: int  # picked a choice
    declined: int  # chose "prefer not to say"
    unanswered: int  # joined on a phone and did not answer
    paper: int = 0  # paper sheets: never asked, so neither answered nor unanswered

    @property
    def widest(self) -> float | None:
        """The largest gap, as a size in points, whatever its direction."""
        gaps = [abs(r.gap) for r in self.rows if r.gap is not None]
        return max(gaps) if gaps else None


@dataclass(frozen=True, slots=True)
class Volunteer:
    """One person in a pool for a panel lottery; ``answers`` maps question id to choice id
    (None: "prefer not to say"), a question left blank is absent. Id 0 before it is stored."""

    id: int
    pool_id: int
    name: str
    email: str = ""
    phone: str = ""
    household: str = ""
    answers: dict[int, int | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Pool:
    id: int
    programme_id: int
    title: str
    created_at: float
    volunteers: int = 0


@dataclass(frozen=True, slots=True)
class Panel:
    """A drawn panel as the lottery left it; ``quotas`` and ``result`` are decoded JSON, so
    mapping keys come back as strings."""

    id: int
    pool_id: int
    size: int
    seed: str
    quotas: Any
    household_rule: bool
    result: Any
    created_at: float


@dataclass(frozen=True, slots=True)
class Commitment:
    """A lottery rounded to m numbered panels and fixed before the public value that picks one
    is known: the lottery file, its SHA-256, and what the rounding did to the chances."""

    id: int
    pool_id: int
    settings: Any
    m: int
    file: bytes
    digest: str
    rounding: Any
    panel_id: int | None
    created_at: float


def check_question(label: str, choices: Iterable[str]) -> tuple[str, tuple[str, ...]]:
    """A question's label and choices tidied, or ProfileError saying what is wrong."""
    label = " ".join(label.split())
    if not label:
        raise ProfileError(N_("Please give the question a label."))
    if len(label) > LABEL_MAX:
        raise ProfileError(N_("The question is too long: {n} characters at most."), n=LABEL_MAX)
    tidy = tuple(" ".join(c.split()) for c in choices)
    tidy = tuple(c for c in tidy if c)
    if not tidy:
        raise ProfileError(N_("Please give at least one answer to choose from."))
    if len(tidy) > CHOICES_MAX:
        raise ProfileError(N_("A question can offer at most {n} answers."), n=CHOICES_MAX)
    seen: set[str] = set()
    for choice in tidy:
        if len(choice) > CHOICE_MAX:
            raise ProfileError(
                N_("The answer “{label}” is too long: {n} characters at most."),
                label=choice[:20] + "…",
                n=CHOICE_MAX,
            )
        if label_key(choice) == label_key(PREFER_NOT_TO_SAY):
            raise ProfileError(
                N_("“{label}” is always offered; there is no need to add it."), label=choice
            )
        if label_key(choice) in seen:
            raise ProfileError(N_("The answer “{label}” is listed twice."), label=choice)
        seen.add(label_key(choice))
    return label, tidy


def place_shares(amounts: Mapping[int, float]) -> dict[int, float]:
    """Each choice's percent of the place from percentages or head counts; empty if no total."""
    total = sum(a for a in amounts.values() if a > 0)
    if total <= 0:
        return {}
    return {choice_id: 100.0 * max(a, 0.0) / total for choice_id, a in amounts.items()}


def _gap_order(gap: float | None) -> tuple[bool, float]:
    # Rounded so that float noise cannot reorder equal gaps; rows without a gap go last.
    return (gap is None, -round(abs(gap), 9) if gap is not None else 0.0)


def room_against_place(
    questions: Sequence[ProfileQuestion],
    room: RoomProfile,
    place: Mapping[int, Mapping[int, float]],
) -> list[QuestionGaps]:
    """Per question and choice: the room's count and share, the place's share and the gap;
    widest gaps first, both within a question and between questions."""
    out = []
    for question in questions:
        counts = room.counts.get(question.id, {})
        declined = counts.get(None, 0)
        answered = sum(n for choice_id, n in counts.items() if choice_id is not None)
        shares = place_shares(place.get(question.id, {}))
        rows = []
        for choice in question.choices:
            count = counts.get(choice.id, 0)
            if choice.retired and not count and not shares.get(choice.id):
                continue
            room_share = 100.0 * count / answered if answered else None
            place_share = shares.get(choice.id, 0.0) if shares else None
            gap = (
                room_share - place_share
                if room_share is not None and place_share is not None
                else None
            )
            rows.append(ChoiceGap(choice, count, room_share, place_share, gap))
        rows.sort(key=lambda r: (*_gap_order(r.gap), r.choice.position, r.choice.id))
        unanswered = max(room.present - room.paper - answered - declined, 0)
        out.append(QuestionGaps(question, tuple(rows), answered, declined, unanswered, room.paper))
    out.sort(key=lambda q: (*_gap_order(q.widest), q.question.position, q.question.id))
    return out


def answer_labels(
    answers: Mapping[int, int | None], questions: Sequence[ProfileQuestion]
) -> dict[str, str]:
    """Answers as {question label: answer label}, the form the panel lottery names features and
    values in; "prefer not to say" is its message id, and unknown ids are left out."""
    out = {}
    for question in questions:
        if question.id not in answers:
            continue
        choice_id = answers[question.id]
        if choice_id is None:
            out[question.label] = PREFER_NOT_TO_SAY
        elif (choice := question.choice(choice_id)) is not None:
            out[question.label] = choice.label
    return out
