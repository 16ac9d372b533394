"""Pure: a panel lottery's settings as the organiser gives them (seats, reserves, household rule,
a minimum and maximum per answer), read from a form and turned into the lottery's inputs.

The lottery (panel.lottery) knows volunteers by a string id and answers by label; here a
volunteer is their number in the pool, counted from 1 in the order the file listed them, so that
anyone holding the file, the quotas and the seed can check a draw. A quota belongs to one answer
of one question, named in a form as ``min-<question id>-<choice id>`` (``none`` for "prefer not to
say"); a blank minimum is 0 and a blank maximum is the whole panel, and both blank set no quota.
The organiser may also expect withdrawals: a usual rate (``rate``) and a rate per answer
(``rate-<question id>-<choice id>``), in percent, blank where not set; they order the alternates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from facilitation.core.i18n import N_
from facilitation.panel.quotas import Quota, Relaxation
from facilitation.panel.quotas import Volunteer as Candidate
from facilitation.people.rules import (
    PREFER_NOT_TO_SAY,
    Panel,
    ProfileQuestion,
    Volunteer,
    label_key,
    place_shares,
)

MAX_SEATS = 500
MAX_RESERVES = 100
WHOLE = re.compile(r"\d{1,6}")
# A percentage: up to three figures and two decimals, with a point, a comma or the Arabic separator.
PERCENT = re.compile(r"(\d{1,3})(?:[.,\u066b](\d{1,2}))?")
USUAL = "rate"  # the usual withdrawal rate's field

Key = tuple[int, int | None]  # (question id, choice id); None is "prefer not to say"


class SetupError(ValueError):
    """Settings the lottery cannot take; ``message`` is a translatable template."""

    def __init__(self, message: str, *, field: str = "", **params: Any) -> None:
        super().__init__(message.format(**params))
        self.message = message
        self.params = params
        self.field = field  # the form field at fault, when there is one


@dataclass(frozen=True, slots=True)
class Limit:
    """One answer's quota as typed: None where the box was left blank."""

    min: int | None
    max: int | None


@dataclass(frozen=True, slots=True)
class Setup:
    seats: int
    reserves: int
    one_per_household: bool
    limits: Mapping[Key, Limit]  # only answers with a quota
    usual: float | None = None  # the usual withdrawal rate in percent, if the organiser set one
    # Withdrawal rates in percent, by answer, where the organiser set one.
    rates: Mapping[Key, float] = field(default_factory=dict)

    def quotas(self) -> list[tuple[Key, int, int]]:
        """Each quota with its blanks filled in: (key, minimum, maximum)."""
        return [
            (key, limit.min or 0, self.seats if limit.max is None else limit.max)
            for key, limit in sorted(self.limits.items(), key=lambda kv: _order(kv[0]))
        ]

    def query(self) -> str:
        """The settings as a query string, the form's own field names."""
        return urlencode(fields(self))


@dataclass(frozen=True, slots=True)
class Answer:
    """One row of the quota table: an answer, how many of the volunteers counted gave it, its
    share of the place and its quota."""

    key: Key
    label: str  # "prefer not to say" as its message id; translate where shown
    count: int
    place_share: float | None  # percent of the place, when the make-up has figures
    limit: Limit | None


@dataclass(frozen=True, slots=True)
class QuestionRows:
    question: ProfileQuestion
    answers: tuple[Answer, ...]
    unanswered: int  # volunteers who left the question blank


def _order(key: Key) -> tuple[int, int]:
    return (key[0], -1 if key[1] is None else key[1])


def field_name(bound: str, key: Key) -> str:
    question_id, choice_id = key
    return f"{bound}-{question_id}-{'none' if choice_id is None else choice_id}"


def fields(setup: Setup) -> dict[str, str]:
    """The form fields that give these settings back through read_setup."""
    out = {"seats": str(setup.seats), "reserves": str(setup.reserves)}
    if setup.one_per_household:
        out["household"] = "1"
    for key, limit in sorted(setup.limits.items(), key=lambda kv: _order(kv[0])):
        if limit.min is not None:
            out[field_name("min", key)] = str(limit.min)
        if limit.max is not None:
            out[field_name("max", key)] = str(limit.max)
    if setup.usual is not None:
        out[USUAL] = f"{setup.usual:g}"
    for key, rate in sorted(setup.rates.items(), key=lambda kv: _order(kv[0])):
        out[field_name(USUAL, key)] = f"{rate:g}"
    return out


def _whole(value: Any) -> int | None:
    """A whole number typed in a box; None if blank; ValueError if it is not one."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return None
    if not WHOLE.fullmatch(text):
        raise ValueError(text)
    return int(text)


def _percent(value: Any) -> float | None:
    """A withdrawal rate typed in percent; None if blank; ValueError unless from 0 to under 100."""
    text = value.strip().rstrip("%\u066a").strip() if isinstance(value, str) else ""
    if not text:
        return None
    found = PERCENT.fullmatch(text)
    if not found:
        raise ValueError(text)
    whole, fraction = found.groups()
    rate = int(whole) + (int(fraction) / 10 ** len(fraction) if fraction else 0.0)
    if rate >= 100:
        raise ValueError(text)
    return round(rate, 2)


def keys(questions: Sequence[ProfileQuestion]) -> dict[Key, str]:
    """Every answer a quota can be set on, by key, with its label."""
    out: dict[Key, str] = {}
    for question in questions:
        offered = {label_key(c.label) for c in question.offered}
        for choice in question.choices:
            # A retired answer whose label is offered again cannot be told apart by label.
            if not choice.retired or label_key(choice.label) not in offered:
                out[(question.id, choice.id)] = choice.label
        out[(question.id, None)] = PREFER_NOT_TO_SAY
    return out


def answer_labels(questions: Sequence[ProfileQuestion]) -> dict[Key, tuple[str, str]]:
    """Each answer as the lottery names it: (question label, answer label)."""
    by_id = {q.id: q for q in questions}
    return {key: (by_id[key[0]].label, label) for key, label in keys(questions).items()}


def read_setup(
    form: Mapping[str, Any], questions: Sequence[ProfileQuestion], pool_size: int
) -> Setup:
    """The settings in a form, or SetupError saying what is wrong with them."""
    try:
        seats = _whole(form.get("seats"))
    except ValueError:
        raise SetupError(N_("The panel size must be a whole number, such as 20.")) from None
    if seats is None:
        raise SetupError(N_("Please say how many seats the panel has."))
    if not 1 <= seats <= min(MAX_SEATS, max(pool_size, 1)):
        raise SetupError(
            N_("The panel needs between 1 and {most} seats: the pool has {n} volunteers."),
            most=min(MAX_SEATS, pool_size),
            n=pool_size,
        )
    try:
        reserves = _whole(form.get("reserves")) or 0
    except ValueError:
        raise SetupError(N_("The number of reserves must be a whole number, such as 5.")) from None
    if reserves > MAX_RESERVES:
        raise SetupError(N_("At most {n} reserves can be drawn."), n=MAX_RESERVES)
    labels = keys(questions)
    by_id = {q.id: q for q in questions}
    limits: dict[Key, Limit] = {}
    for key, label in labels.items():
        try:
            low = _whole(form.get(field_name("min", key)))
            high = _whole(form.get(field_name("max", key)))
        except ValueError:
            raise SetupError(
                N_("The quotas for {question} “{answer}” must be whole numbers, such as 2."),
                question=by_id[key[0]].label,
                answer=label,
            ) from None
        if low is not None or high is not None:
            limits[key] = Limit(low, high)
    known = {field_name(b, k) for k in labels for b in ("min", "max", USUAL)}
    stray = [k for k in form if k.startswith(("min-", "max-", USUAL + "-")) and k not in known]
    if stray:
        raise SetupError(
            N_("The questions have changed since this page was loaded. Please reload it.")
        )
    usual, rates = read_rates(form, questions)
    household = form.get("household") in ("1", "on")
    return Setup(seats, reserves, household, limits, usual, rates)


def read_rates(
    form: Mapping[str, Any], questions: Sequence[ProfileQuestion]
) -> tuple[float | None, dict[Key, float]]:
    """The withdrawal rates the organiser expects, in percent: the usual one and by answer."""
    try:
        usual = _percent(form.get(USUAL))
    except ValueError:
        raise SetupError(
            N_("The usual withdrawal rate must be a percentage from 0 to 99, such as 15."),
            field=USUAL,
        ) from None
    by_id = {q.id: q for q in questions}
    rates: dict[Key, float] = {}
    for key, label in keys(questions).items():
        name = field_name(USUAL, key)
        try:
            rate = _percent(form.get(name))
        except ValueError:
            raise SetupError(
                N_(
                    "The withdrawal rate for {question} “{answer}” must be a percentage from 0"
                    " to 99, such as 30."
                ),
                field=name,
                question=by_id[key[0]].label,
                answer=label,
            ) from None
        if rate is not None:
            rates[key] = rate
    return usual, rates


def suggest(
    questions: Sequence[ProfileQuestion],
    makeup: Mapping[int, Mapping[int, float]],
    seats: int,
    reserves: int,
    one_per_household: bool,
) -> Setup:
    """Quotas in proportion to the place: each answer's share of the seats, rounded down for the
    minimum and up for the maximum. Questions with no figures get no quotas."""
    limits: dict[Key, Limit] = {}
    for question in questions:
        shares = place_shares(makeup.get(question.id, {}))
        for choice_id, share in shares.items():
            expected = share * seats / 100
            # Rounded first, so that 2.0000000001 seats is two, not a range of two to three.
            expected = round(expected, 6)
            limits[(question.id, choice_id)] = Limit(math.floor(expected), math.ceil(expected))
    return Setup(seats, reserves, one_per_household, limits)


def relaxed(setup: Setup, relaxations: Sequence[Relaxation], by_label: Mapping) -> Setup:
    """The settings with the lottery's suggested changes made; ``by_label`` maps a quota's
    (feature, value) labels back to its key."""
    limits = dict(setup.limits)
    for r in relaxations:
        key = by_label[(r.feature, r.value)]
        old = limits[key]
        limits[key] = Limit(r.new, old.max) if r.bound == "min" else Limit(old.min, r.new)
    return replace(setup, limits=limits)


def home_of(volunteer: Volunteer) -> str | None:
    """Who a volunteer lives with, as the household rule compares it: the household or address
    as typed, ignoring case and spacing; None for someone who gave none (they live alone)."""
    return label_key(volunteer.household) or None


def households(volunteers: Sequence[Volunteer]) -> int:
    """How many homes the volunteers come from."""
    named = {home_of(v) for v in volunteers if home_of(v)}
    return len(named) + sum(1 for v in volunteers if not home_of(v))


def rows(
    questions: Sequence[ProfileQuestion],
    volunteers: Sequence[Volunteer],
    makeup: Mapping[int, Mapping[int, float]],
    setup: Setup | None,
) -> list[QuestionRows]:
    """The quota table: per question, each answer on offer or held by one of the volunteers."""
    out = []
    for question in questions:
        counts: dict[int | None, int] = {}
        for v in volunteers:
            if question.id in v.answers:
                choice_id = v.answers[question.id]
                counts[choice_id] = counts.get(choice_id, 0) + 1
        shares = place_shares(makeup.get(question.id, {}))
        answers = []
        for choice in question.choices:
            if choice.retired and not counts.get(choice.id):
                continue
            key: Key = (question.id, choice.id)
            limit = setup.limits.get(key) if setup else None
            share = shares.get(choice.id, 0.0) if shares else None
            answers.append(Answer(key, choice.label, counts.get(choice.id, 0), share, limit))
        key = (question.id, None)
        limit = setup.limits.get(key) if setup else None
        answers.append(Answer(key, PREFER_NOT_TO_SAY, counts.get(None, 0), None, limit))
        unanswered = len(volunteers) - sum(counts.values())
        out.append(QuestionRows(question, tuple(answers), unanswered))
    return out


def lottery_inputs(
    questions: Sequence[ProfileQuestion], volunteers: Sequence[Volunteer], setup: Setup
) -> tuple[list[Candidate], list[Quota], dict[tuple[str, str], Key]]:
    """The lottery's volunteers (numbered from 1 in pool order) and quotas, with a map from
    (feature, value) labels, as the lottery names answers, back to their keys."""
    labels = keys(questions)
    by_id = {q.id: q for q in questions}
    candidates = []
    for number, v in enumerate(volunteers, start=1):
        profile = {by_id[q].label: labels[(q, c)] for q, c in v.answers.items() if (q, c) in labels}
        candidates.append(Candidate(str(number), profile, home_of(v)))
    quotas = [
        Quota(by_id[key[0]].label, labels[key], low, high) for key, low, high in setup.quotas()
    ]
    back = {(by_id[key[0]].label, label): key for key, label in labels.items()}
    return candidates, quotas, back


def stored(panel: Panel) -> Setup:
    """The settings a recorded panel was drawn with."""
    return stored_from(
        panel.size, panel.result["reserves_asked"], panel.household_rule, panel.quotas
    )


def stored_from(
    seats: int, reserves: int, one_per_household: bool, quotas: Sequence[Mapping[str, Any]]
) -> Setup:
    """Settings from their stored form: quotas as rows of question, choice, minimum, maximum."""
    limits = {(q["question_id"], q["choice_id"]): Limit(q["min"], q["max"]) for q in quotas}
    return Setup(seats, reserves, one_per_household, limits)
