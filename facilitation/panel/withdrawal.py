"""Pure: the withdrawal rates a draw orders its alternates for, and where each comes from: the
organiser's where set, else those learned from the programme's past panels, else the default.

A rate is a share of members expected to withdraw: the usual one for everybody, and one per
answer where the organiser gave one or past panels taught one. A member's chance combines the
rates of their answers as `alternates.DropoutModel` does (each shifts the usual rate's log-odds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from facilitation.panel.alternates import DEFAULT_DROPOUT, DropoutModel
from facilitation.panel.setup import Key, Setup

ORGANISER, LEARNED, DEFAULT = "organiser", "learned", "default"


@dataclass(frozen=True, slots=True)
class Rate:
    """One withdrawal rate used: for an answer (None for the usual rate), as a share of one."""

    key: Key | None
    rate: float
    source: str  # ORGANISER, LEARNED or DEFAULT


@dataclass(frozen=True, slots=True)
class Rates:
    usual: Rate
    by_answer: tuple[Rate, ...]  # only answers with a rate of their own

    def model(self, labels: Mapping[Key, tuple[str, str]]) -> DropoutModel:
        """The dropout model these rates make; ``labels`` names each answer as the pool does."""
        rates = {labels[r.key]: r.rate for r in self.by_answer if r.key and r.key in labels}
        return DropoutModel.from_rates(self.usual.rate, rates)

    def record(self) -> dict[str, Any]:
        """The rates as the drawn panel's result keeps them (JSON)."""
        return {
            "usual": {"rate": self.usual.rate, "source": self.usual.source},
            "rates": [
                {"key": list(r.key or ()), "rate": r.rate, "source": r.source}
                for r in self.by_answer
            ],
        }


def from_record(record: Mapping[str, Any]) -> Rates:
    """Rates as a drawn panel's result keeps them."""
    usual = Rate(None, record["usual"]["rate"], record["usual"]["source"])
    by_answer = tuple(
        Rate((r["key"][0], r["key"][1]), r["rate"], r["source"]) for r in record["rates"]
    )
    return Rates(usual, by_answer)


def learned_rates(
    model: DropoutModel | None, labels: Mapping[Key, tuple[str, str]]
) -> tuple[float | None, dict[Key, float]]:
    """What past panels say: the usual rate, and the rate of each answer they saw."""
    if model is None:
        return None, {}
    by_answer = {
        key: model.probability({label[0]: label[1]})
        for key, label in labels.items()
        if label in model.effects
    }
    return model.base, by_answer


def resolve(
    setup: Setup, learned: DropoutModel | None, labels: Mapping[Key, tuple[str, str]]
) -> Rates:
    """The rates to use: the organiser's where set, else the learned ones, else the default."""
    past_usual, past = learned_rates(learned, labels)
    if setup.usual is not None:
        usual = Rate(None, setup.usual / 100, ORGANISER)
    elif past_usual is not None:
        usual = Rate(None, past_usual, LEARNED)
    else:
        usual = Rate(None, DEFAULT_DROPOUT, DEFAULT)
    by_answer = []
    for key in sorted(labels, key=lambda k: (k[0], -1 if k[1] is None else k[1])):
        if key in setup.rates:
            by_answer.append(Rate(key, setup.rates[key] / 100, ORGANISER))
        elif key in past:
            by_answer.append(Rate(key, past[key], LEARNED))
    return Rates(usual, tuple(by_answer))
