"""Alternates: who to call, in order, so that the panel stays closest to its quotas after dropouts.

Pure. Following Assos, Baharav, Flanigan and Procaccia, "Alternates, Assemble! Selecting Optimal
Alternates for Citizens' Assemblies" (EC 2025): each panel member may drop out with a probability
that depends on their answers (set by the organiser, or estimated from past panels by
`estimate_dropout`); dropout sets are sampled, and alternates are chosen greedily, one at a time,
each time the one that most lowers the expected *deviation* after dropouts and replacement. The
deviation is the number of seats outside the quotas (below a minimum or above a maximum, summed
over the quotas) plus the seats left empty; replacement is what `propose_replacement` does when a
member withdraws: the first alternate, in order, of those that leave the panel closest to its
quotas.

Volunteers with the same answers on every quota are interchangeable here; among them the one
whose SHA-256 of "alternate:" + seed + ":" + id is smallest goes first, so the choice is
reproducible from the draw's seed and favours no one. Under the household rule an alternate never
shares a home with a panel member or another alternate.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from facilitation.core.i18n import N_, N_plural
from facilitation.panel.pool import Pool, deviation, incidence

DEFAULT_DROPOUT = 0.15  # share of panel members who withdraw, when nothing better is known
SCENARIOS = 300  # sampled dropout sets
SHORTLIST = 40  # profiles tried at each greedy step, by how many single dropouts they cover
SIMULATED = 12  # alternates chosen by simulation; any further ones by single-dropout cover


MESSAGES: dict[str, str | tuple[str, str]] = {
    "keeps": N_("Alternate {alternate} keeps the panel within its quotas."),
    "closest": N_plural(
        "No alternate keeps the quotas; alternate {alternate} comes closest, with {count} seat"
        " outside them.",
        "No alternate keeps the quotas; alternate {alternate} comes closest, with {count} seats"
        " outside them.",
    ),
    "none": N_plural(
        "No alternate is left: the seat stays empty, with {count} seat outside the quotas.",
        "No alternate is left: the seat stays empty, with {count} seats outside the quotas.",
    ),
}


@dataclass(frozen=True, slots=True)
class DropoutModel:
    """Chances of withdrawing: a base rate, shifted in log-odds by each answer."""

    base: float
    effects: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def probability(self, profile: Mapping[str, str]) -> float:
        odds = _logit(self.base) + sum(
            self.effects.get((feature, value), 0.0) for feature, value in profile.items()
        )
        return 1.0 / (1.0 + math.exp(-odds))

    @classmethod
    def from_rates(
        cls, base: float, rates: Mapping[tuple[str, str], float] | None = None
    ) -> DropoutModel:
        """The organiser's own figures: a base rate and rates for some answers."""
        effects = {key: _logit(rate) - _logit(base) for key, rate in (rates or {}).items()}
        return cls(base, effects)


def estimate_dropout(
    records: Iterable[tuple[Mapping[str, str], bool]],
    *,
    prior_rate: float = DEFAULT_DROPOUT,
    prior_weight: float = 20.0,
) -> DropoutModel:
    """Estimate dropout chances from past panels' (answers, dropped out?) records.

    The base rate is the share who dropped out, shrunk towards `prior_rate` as if
    `prior_weight` more members had been seen at that rate; each answer's rate is shrunk the
    same way towards the base rate, so that an answer seen a few times barely moves it. Answers
    shift the log-odds independently (a logistic model with a prior, fitted in closed form)."""
    seen = dropped = 0
    by_answer: dict[tuple[str, str], list[int]] = {}
    for profile, out in records:
        seen += 1
        dropped += bool(out)
        for key in profile.items():
            tally = by_answer.setdefault(key, [0, 0])
            tally[0] += 1
            tally[1] += bool(out)
    base = (dropped + prior_rate * prior_weight) / (seen + prior_weight)
    effects = {
        key: _logit((out + base * prior_weight) / (n + prior_weight)) - _logit(base)
        for key, (n, out) in by_answer.items()
    }
    return DropoutModel(base, effects)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def dropout_chances(pool: Pool, model: DropoutModel | None = None) -> dict[str, float]:
    """Each volunteer's chance of withdrawing under the model (the default rate without one)."""
    model = model or DropoutModel(DEFAULT_DROPOUT)
    return {v: model.probability(pool.profiles[v]) for v in pool.ids}


@dataclass(frozen=True, slots=True)
class Alternates:
    """Alternates in the order they are called, and what they are expected to achieve."""

    order: tuple[str, ...]
    expected_deviation: float  # seats outside the quotas or empty, on average after dropouts
    expected_without: float  # the same with no alternates at all
    first_covers: float  # share of single dropouts the first alternate can fill within quotas
    some_covers: float  # share of single dropouts some alternate can fill within quotas


@dataclass(frozen=True, slots=True)
class Proposal:
    """Who should take a withdrawn member's seat, and how far the panel then is from its quotas."""

    alternate: str | None  # None when no alternate is left
    deviation: int  # seats outside the quotas (an empty seat counts as one)
    off: tuple[tuple[str, str, int], ...]  # (feature, value, seats: + above max, - below min)

    @property
    def keeps_quotas(self) -> bool:
        return self.alternate is not None and self.deviation == 0

    @property
    def kind(self) -> str:
        if self.alternate is None:
            return "none"
        return "keeps" if self.deviation == 0 else "closest"

    @property
    def params(self) -> dict[str, object]:
        return {"alternate": self.alternate or "", "count": self.deviation}

    @property
    def forms(self) -> tuple[str, str] | None:
        """Singular and plural templates, for ngettext, when the message has a count."""
        template = MESSAGES[self.kind]
        return None if isinstance(template, str) else template

    @property
    def message(self) -> str:
        """The English template in the form the count calls for."""
        template = MESSAGES[self.kind]
        if isinstance(template, str):
            return template
        return template[0] if self.deviation == 1 else template[1]

    @property
    def count(self) -> int:
        return self.deviation

    @property
    def text(self) -> str:
        return self.message.format(**self.params)


def propose_replacement(
    pool: Pool, panel: Sequence[str], withdrawn: str, alternates: Sequence[str]
) -> Proposal:
    """When a member withdraws: the first alternate, in order, of those that leave the panel
    closest to its quotas (within them if any can), and by how much it is off."""
    rest = [v for v in panel if v != withdrawn]
    homes = {pool.households[v] for v in rest}
    best: tuple[int, str] | None = None
    for alternate in alternates:
        if alternate in rest or alternate == withdrawn:
            continue
        if pool.one_per_household and pool.households[alternate] in homes:
            continue
        off = _deviation(pool, [*rest, alternate])
        if best is None or off < best[0]:
            best = (off, alternate)
            if off == 0:
                break
    if best is None:
        return Proposal(None, _deviation(pool, rest) + 1, _off(pool, rest))
    return Proposal(best[1], best[0], _off(pool, [*rest, best[1]]))


def _counts(pool: Pool, members: Iterable[str]) -> np.ndarray:
    chosen = list(members)
    out = np.zeros(len(pool.quotas), dtype=np.int64)
    for i, q in enumerate(pool.quotas):
        out[i] = sum(1 for v in chosen if pool.profiles[v].get(q.feature) == q.value)
    return out


def _deviation(pool: Pool, members: Sequence[str]) -> int:
    return int(deviation(pool, _counts(pool, members)))


def _off(pool: Pool, members: Sequence[str]) -> tuple[tuple[str, str, int], ...]:
    counts = _counts(pool, members)
    out = []
    for q, n in zip(pool.quotas, counts, strict=True):
        if n < q.min:
            out.append((q.feature, q.value, int(n - q.min)))
        elif n > q.max:
            out.append((q.feature, q.value, int(n - q.max)))
    return tuple(out)


def choose_alternates(
    pool: Pool,
    panel: Sequence[str],
    count: int,
    dropout: Mapping[str, float] | None = None,
    *,
    seed: str = "",
    scenarios: int = SCENARIOS,
) -> Alternates:
    """`count` alternates from outside the panel, in the order they are called."""
    members = list(panel)
    chance = np.array([(dropout or {}).get(v, DEFAULT_DROPOUT) for v in members], dtype=float)
    rows = {v: i for i, v in enumerate(pool.ids)}
    matrix = incidence(pool)
    inside = matrix[[rows[v] for v in members]]
    start = inside.sum(axis=0)
    homes = {pool.households[v] for v in members}
    # Candidates by profile; the seed decides who goes first among equals.
    classes: dict[tuple[int, ...], list[str]] = {}
    for v in pool.ids:
        if v in set(members) or (pool.one_per_household and pool.households[v] in homes):
            continue
        classes.setdefault(tuple(matrix[rows[v]]), []).append(v)
    for ids in classes.values():
        ids.sort(key=lambda v: hashlib.sha256(f"alternate:{seed}:{v}".encode()).digest())
    profiles = list(classes)
    vectors = np.array(profiles, dtype=np.int64).reshape(len(profiles), len(pool.quotas))
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))
    drops = rng.random((max(scenarios, 1), len(members))) < chance[None, :]
    sim = _Simulation(pool, start, inside, drops)
    # Single dropouts each alternate profile fills within the quotas: members x profiles.
    fills = (
        deviation(pool, start[None, None, :] - inside[:, None, :] + vectors[None, :, :]) == 0
        if len(profiles)
        else np.zeros((len(members), 0), dtype=bool)
    )
    order: list[int] = []
    taken = dict.fromkeys(range(len(profiles)), 0)
    chosen_homes: set[str] = set()
    covered = np.zeros(len(members), dtype=bool)
    for step in range(count):
        open_ = [
            c
            for c in range(len(profiles))
            if _next(classes[profiles[c]], taken[c], pool, chosen_homes) is not None
        ]
        if not open_:
            break
        gain = fills[:, open_].astype(float).T @ (chance * (~covered + 0.01))
        shortlist = [open_[i] for i in np.argsort(-gain, kind="stable")[:SHORTLIST]]
        if step < SIMULATED and len(members):
            losses = sim.evaluate(vectors[order], vectors[shortlist])
            pick = shortlist[int(np.argmin(losses))]
        else:
            pick = shortlist[0]
        order.append(pick)
        person = _next(classes[profiles[pick]], taken[pick], pool, chosen_homes)
        taken[pick] += 1
        covered |= fills[:, pick]
        if pool.one_per_household and person is not None:
            chosen_homes.add(pool.households[person])
    people = _people(order, classes, profiles, pool)
    with_them = float(sim.evaluate(vectors[order])[0])
    without = float(sim.evaluate(vectors[:0])[0])
    n = max(len(members), 1)
    first = float(fills[:, order[0]].sum()) / n if order else 0.0
    some = float(fills[:, order].any(axis=1).sum()) / n if order else 0.0
    return Alternates(tuple(people), with_them, without, first, some)


def _next(ids: list[str], used: int, pool: Pool, homes: set[str]) -> str | None:
    """The next member of a profile still free to be an alternate."""
    for v in ids[used:]:
        if not pool.one_per_household or pool.households[v] not in homes:
            return v
    return None


def _people(
    order: list[int], classes: dict[tuple[int, ...], list[str]], profiles: list, pool: Pool
) -> list[str]:
    used = dict.fromkeys(range(len(profiles)), 0)
    homes: set[str] = set()
    out = []
    for c in order:
        ids = classes[profiles[c]]
        while pool.one_per_household and pool.households[ids[used[c]]] in homes:
            used[c] += 1
        person = ids[used[c]]
        used[c] += 1
        homes.add(pool.households[person])
        out.append(person)
    return out


class _Simulation:
    """Sampled dropout sets, replayed with a list of alternates (plus one more to try)."""

    def __init__(
        self, pool: Pool, start: np.ndarray, inside: np.ndarray, drops: np.ndarray
    ) -> None:
        self.start = start
        self.inside = inside
        self.drops = [np.flatnonzero(row) for row in drops]
        self.low = np.array([q.min for q in pool.quotas], dtype=np.int64)
        self.high = np.array([q.max for q in pool.quotas], dtype=np.int64)

    def _dev(self, counts: np.ndarray) -> np.ndarray:
        return (np.maximum(self.low - counts, 0) + np.maximum(counts - self.high, 0)).sum(-1)

    def evaluate(self, listed: np.ndarray, trials: np.ndarray | None = None) -> np.ndarray:
        """The average deviation after the sampled dropout sets, with the listed alternates
        followed by each trial in turn (or alone when there are none): one value per trial."""
        if trials is None:
            options = listed[None, :, :]
        else:
            repeated = np.repeat(listed[None, :, :], len(trials), axis=0)
            options = np.concatenate([repeated, trials[:, None, :]], axis=1)
        k, n_options = options.shape[0], options.shape[1]
        rows = np.arange(k)
        total = np.zeros(k)
        for out in self.drops:
            counts = np.repeat(self.start[None, :], k, axis=0)
            used = np.zeros((k, n_options), dtype=bool)
            empty = np.zeros(k)
            for d in out:
                counts = counts - self.inside[d][None, :]
                stay = self._dev(counts) + 1  # an empty seat counts as one seat off
                if n_options == 0:
                    empty += 1
                    continue
                after = self._dev(counts[:, None, :] + options)
                after = np.where(used, np.iinfo(np.int64).max // 4, after)
                pick = np.argmin(after, axis=1)
                better = after[rows, pick] < stay
                counts = counts + np.where(better[:, None], options[rows, pick], 0)
                used[rows[better], pick[better]] = True
                empty += ~better
            total += self._dev(counts) + empty
        return total / len(self.drops)
