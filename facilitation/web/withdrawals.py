"""What the panel pages say about expected withdrawals: the pool form's rates beside what past
panels say and what will be used, and the drawn panel's sentence on how its alternates were
ordered."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from facilitation.core.formats import percent
from facilitation.core.i18n import N_, _, listed
from facilitation.panel import withdrawal
from facilitation.panel.alternates import DropoutModel
from facilitation.panel.setup import Key, QuestionRows, Setup, answer_labels
from facilitation.people.rules import PREFER_NOT_TO_SAY, ProfileQuestion

SOURCES = {
    withdrawal.ORGANISER: N_("set here"),
    withdrawal.LEARNED: N_("past panels"),
    withdrawal.DEFAULT: N_("default"),
}
# The first group of rates opens the sentence; any others follow it.
OPENING = {
    withdrawal.ORGANISER: N_(
        "Alternates ordered for withdrawal rates set by the organiser: {rates}."
    ),
    withdrawal.LEARNED: N_(
        "Alternates ordered for withdrawal rates learned from past panels: {rates}."
    ),
    withdrawal.DEFAULT: N_("Alternates ordered for the default withdrawal rate: {rates}."),
}
FOLLOWING = {
    withdrawal.LEARNED: N_("Learned from past panels: {rates}."),
    withdrawal.DEFAULT: N_("Default: {rates}."),
}


def rate_text(share: float, most: int = 1) -> str:
    """A rate as a percentage, with the decimals it has, up to ``most``."""
    figure = round(share * 100, most)
    places = next(d for d in range(most + 1) if round(figure, d) == figure)
    return percent(share, places)


def rate_said(rate: withdrawal.Rate) -> str:
    """A rate used: the organiser's as typed (up to two decimals), an estimate to one."""
    return rate_text(rate.rate, 2 if rate.source == withdrawal.ORGANISER else 1)


def percent_sign() -> tuple[str, bool]:
    """The reader's percent sign, and whether it comes before the figure ("%15" in Turkish)."""
    written = percent(0)
    sign = "".join(
        ch for ch in written if not ch.isdigit() and unicodedata.category(ch) not in ("Cf", "Zs")
    )
    return sign or "%", not written.lstrip("\u200e\u200f\u061c")[:1].isdigit()


@dataclass(frozen=True, slots=True)
class RateRow:
    """One answer in the withdrawal rates table."""

    key: Key
    label: str
    past: str  # what past panels say, or a dash
    used: str  # the rate that will be used
    source: str  # where it comes from, in the reader's language


def isolated(label: str) -> str:
    """A label kept in its own direction inside a sentence (an English answer in Arabic text)."""
    return f"\u2068{label}\u2069"


def form_context(
    questions: Sequence[ProfileQuestion],
    rows: Sequence[QuestionRows],
    setup: Setup,
    learned: DropoutModel | None,
) -> dict[str, Any]:
    """The rates part of the pool form: per question, each answer's rates; and the usual one."""
    named = answer_labels(questions)
    past_usual, past = withdrawal.learned_rates(learned, named)
    used = withdrawal.resolve(setup, learned, named)
    own = {r.key: r for r in used.by_answer}
    tables = []
    for r in rows:
        table = []
        for a in r.answers:
            rate = own.get(a.key)
            label = _(a.label) if a.label == PREFER_NOT_TO_SAY else a.label
            table.append(
                RateRow(
                    a.key,
                    label,
                    rate_text(past[a.key]) if a.key in past else "–",
                    rate_said(rate or used.usual),
                    _(SOURCES[rate.source]) if rate else _("usual"),
                )
            )
        tables.append((r.question, table))
    return {
        "rate_tables": tables,
        "past_usual": rate_text(past_usual) if past_usual is not None else "",
        "usual_used": rate_said(used.usual),
        "usual_source": _(SOURCES[used.usual.source]),
        "rates_open": setup.usual is not None or bool(setup.rates),
        "percent_sign": percent_sign(),
    }


def sentences(record: Mapping[str, Any], questions: Sequence[ProfileQuestion]) -> list[str]:
    """How a drawn panel's alternates were ordered: the rates used, grouped by where they came
    from, the organiser's first."""
    rates = withdrawal.from_record(record)
    named = answer_labels(questions)
    groups: dict[str, list[str]] = {}
    usual = _("usual {rate}", rate=rate_said(rates.usual))
    groups.setdefault(rates.usual.source, []).append(usual)
    for r in rates.by_answer:
        if r.key not in named:  # an answer since removed
            continue
        question, answer = named[r.key]
        if answer == PREFER_NOT_TO_SAY:
            answer = _(answer)
        text = _(
            "{question} “{answer}” {rate}",
            question=isolated(question),
            answer=isolated(answer),
            rate=rate_said(r),
        )
        groups.setdefault(r.source, []).append(text)
    out: list[str] = []
    for source in (withdrawal.ORGANISER, withdrawal.LEARNED, withdrawal.DEFAULT):
        if source in groups:
            message = FOLLOWING[source] if out else OPENING[source]
            out.append(_(message, rates=listed(groups[source])))
    return out
