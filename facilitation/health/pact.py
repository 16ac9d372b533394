"""The PACT health check: four statements on Power, Accountability, Connection and Trust, rated at
the end of a workshop, and how the four move over time. Pure: no I/O.

Each statement is an option of a rating round tagged with its dimension. A dimension's score in a
round is the mean rating (1 to 5) over those who gave a number; "don't know" is left out, as in
every rating round (see kinds.rating). Over time, one point per closed health check, oldest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from facilitation.core.i18n import N_
from facilitation.core.models import Ballot
from facilitation.kinds.rating import SCALE, ratings_of

DIMENSIONS = ("power", "accountability", "connection", "trust")
LABELS = {
    "power": N_("Power"),
    "accountability": N_("Accountability"),
    "connection": N_("Connection"),
    "trust": N_("Trust"),
}
# What each dimension asks, until the organiser rewords it for their programme.
DEFAULT_STATEMENTS = {
    "power": N_("Residents had real influence over what was decided today."),
    "accountability": N_("I expect to hear back about what happens because of today."),
    "connection": N_("I felt listened to, and able to take part as much as I wanted."),
    "trust": N_("I trust the housing team to act on what residents said."),
}
STATEMENT_MAX = 200
# The ready-made round's title.
CHECK_TITLE = N_("Health check: how did today go?")


@dataclass(frozen=True, slots=True)
class Point:
    """One closed health check: its label (the workshop) and each dimension's exact mean, or
    None; a mean is rounded once, where it is shown."""

    round_id: int
    label: str
    means: dict[str, Fraction | None]
    answers: dict[str, int]  # how many gave a number, per dimension


def point(round_id: int, label: str, tags: Mapping[int, str], ballots: Iterable[Ballot]) -> Point:
    """A health check's means per dimension; ``tags`` maps its statements to their dimension."""
    sums = dict.fromkeys(DIMENSIONS, 0)
    counts = dict.fromkeys(DIMENSIONS, 0)
    for ballot in ballots:
        for option_id, value in ratings_of(ballot.entry).items():
            dimension = tags.get(option_id)
            if dimension in sums and value in SCALE:
                sums[dimension] += value
                counts[dimension] += 1
    means = {d: Fraction(sums[d], counts[d]) if counts[d] else None for d in DIMENSIONS}
    return Point(round_id, label, means, counts)


@dataclass(frozen=True, slots=True)
class Line:
    """One dimension's line on the chart: SVG points, and the dots to label."""

    dimension: str
    points: str
    dots: tuple[tuple[float, float, Fraction], ...]  # (x, y, mean)


def lines(points: Sequence[Point], width: float, height: float, pad: float = 24) -> list[Line]:
    """Each dimension's means as a polyline across the chart (1 at the bottom, 5 at the top);
    a health check where nobody rated a dimension leaves a gap in that line's dots."""
    n = len(points)
    step = (width - 2 * pad) / (n - 1) if n > 1 else 0
    out = []
    for dimension in DIMENSIONS:
        dots = []
        for i, p in enumerate(points):
            mean = p.means[dimension]
            if mean is None:
                continue
            x = pad + i * step if n > 1 else width / 2
            y = pad + (height - 2 * pad) * float(5 - mean) / 4
            dots.append((round(x, 1), round(y, 1), mean))
        out.append(Line(dimension, " ".join(f"{x},{y}" for x, y, _m in dots), tuple(dots)))
    return out
