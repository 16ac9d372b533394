"""A rating round's means are rounded once, from the exact value, halves away from zero: on the
board and the phones, on the results page, in the downloads and in the PACT chart.

The reference here is worked out apart from the product: the total of the ratings over the
number who gave one, divided and rounded by Python's decimal module (ROUND_HALF_UP rounds halves
away from zero for these positive means)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation.core.models import Ballot, Option, Programme, Round, RoundStatus
from facilitation.health import pact
from facilitation.kinds import rating
from facilitation.settings import Settings
from facilitation.web.render import Renderer
from facilitation.workshop import exports
from facilitation.workshop.screens import result_context
from tests.helpers import tally

CASES = 2000
RENDERER = Renderer(Settings().templates_dir)
PROGRAMME = Programme(1, "Phoenix Place plan", "", "", "slug")
STATEMENTS = (11, 12, 13)
OPTIONS = {o: Option(o, 1, f"Statement {o}", "", i) for i, o in enumerate(STATEMENTS)}
ROUND = Round(
    id=4,
    workshop_id=1,
    title="How did today go?",
    kind="rating",
    option_ids=STATEMENTS,
    status=RoundStatus.CLOSED,
)


def reference(values: list[int], places: int) -> str | None:
    """The exact mean of the numbers given (0 is "don't know"), rounded half away from zero."""
    given_ = [v for v in values if v]
    if not given_:
        return None
    mean = Decimal(sum(given_)) / Decimal(len(given_))
    return str(mean.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


# Each ballot rates every statement from 1 to 5, or 0 for "don't know".
rooms = st.lists(st.lists(st.integers(0, 5), min_size=3, max_size=3), min_size=1, max_size=60)


def ballots_of(room: list[list[int]]) -> list[Ballot]:
    return [
        Ballot(ROUND.id, pid, rating.entry(dict(zip(STATEMENTS, values, strict=True))))
        for pid, values in enumerate(room, start=1)
    ]


@settings(max_examples=CASES, deadline=None)
@given(rooms)
def test_the_board_and_the_results_page_round_each_mean_once(room):
    ballots = ballots_of(room)
    result = tally(ROUND, ballots)
    board = RENDERER.fragment("kinds/rating/board.html", **result_context(ROUND, result, OPTIONS))
    page = RENDERER.fragment(
        "kinds/rating/results.html", **result_context(ROUND, result, OPTIONS, ballots=ballots)
    )
    for i, option_id in enumerate(STATEMENTS):
        expected = reference([values[i] for values in room], 1)
        row = re.search(rf'data-option="{option_id}".*?</li>', board, re.S).group(0)
        shown = re.search(r"([\d.]+) / 5", row)
        assert (shown.group(1) if shown else None) == expected
        cells = re.search(rf'<tr data-option="{option_id}">(.*?)</tr>', page, re.S).group(1)
        assert re.findall(r"<td>([^<]*)</td>", cells)[-1] == (expected or "–")


@settings(max_examples=CASES, deadline=None)
@given(rooms)
def test_the_downloads_round_each_mean_once_to_two_places(room):
    ballots = ballots_of(room)
    result = tally(ROUND, ballots)
    rows = exports.result_rows([(ROUND, result)], OPTIONS)
    score = exports.RESULT_HEADER.index("score")
    for i, row in enumerate(rows):
        expected = reference([values[i] for values in room], 2)
        cell = row[score]
        assert (None if cell == "" else f"{Decimal(str(cell)):.2f}") == expected
    exported = exports.round_json(ROUND, result, ballots, "secret")["results"]["order"]
    for i, row in enumerate(exported):
        expected = reference([values[i] for values in room], 2)
        assert (None if row["score"] is None else f"{Decimal(str(row['score'])):.2f}") == expected


@settings(max_examples=CASES, deadline=None)
@given(rooms)
def test_the_pact_chart_and_its_table_round_each_mean_once(room):
    dimensions = ("power", "trust", "connection")
    tags = dict(zip(STATEMENTS, dimensions, strict=True))
    points = [pact.point(ROUND.id, "Spring", tags, ballots_of(room))]
    health = {
        "points": points,
        "lines": pact.lines(points, 640, 220),
        "width": 640,
        "height": 220,
        "dimensions": pact.DIMENSIONS,
        "labels": pact.LABELS,
        "statements": dict.fromkeys(pact.DIMENSIONS, "A statement"),
        "questions": [],
        "split": None,
        "groups": [],
    }
    card = RENDERER.fragment(
        "partials/health_check.html", health=health, programme=PROGRAMME, csrf_token=""
    )
    for i, dimension in enumerate(dimensions):
        expected = reference([values[i] for values in room], 1)
        cell = re.search(rf'<td data-dimension="{dimension}">([^<]*)', card).group(1)
        assert cell.split(" ")[0] == (expected or "–")
        dot = re.search(rf"<title>{dimension.capitalize()}: ([^<]*)</title>", card)
        assert (dot.group(1) if dot else None) == expected


def test_sixteen_over_eleven_shows_as_one_point_five():
    """16/11 = 1.4545…: stored rounded to 1.45 and shown to one place it read 1.4."""
    room = [[1, 0, 0]] * 6 + [[2, 0, 0]] * 5  # 6 + 10 = 16 over 11
    result = tally(ROUND, ballots_of(room))
    board = RENDERER.fragment("kinds/rating/board.html", **result_context(ROUND, result, OPTIONS))
    assert "1.5 / 5" in board
    assert "1.4 / 5" not in board
