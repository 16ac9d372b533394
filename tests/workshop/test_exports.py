"""Exports: formula-safe CSV cells, stable pseudonyms, and the rows and JSON built from records."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import asdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation.core.models import (
    Ballot,
    LimitKind,
    Option,
    ResultRow,
    Round,
    RoundResult,
    RoundStatus,
    Scope,
    Workshop,
)
from facilitation.kinds import dots as dots_kind
from facilitation.kinds import ranking as ranking_kind
from facilitation.workshop.exports import (
    BALLOT_HEADER,
    RESULT_HEADER,
    SCHEMA_VERSION,
    ballot_rows,
    pseudonym,
    result_rows,
    safe_cell,
    to_csv,
    workshop_json,
)

SECRET = "export-secret"


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # Excel on Windows reads UTF-8 only after a BOM
    return list(csv.reader(io.StringIO(text[1:], newline="")))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("More trees", "More trees"),
        ("a = b", "a = b"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("", ""),
        (42, 42),
        (-5, -5),
        (2.5, 2.5),
        (None, None),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_to_csv_round_trips_through_a_csv_reader():
    rows = [
        (1, 'Quote "here"', "comma, inside", "two\nlines", "Café ☕"),
        (2, "=cmd|'/c calc'!A0", "-1", 3.5, ""),
    ]
    text = to_csv(("id", "a", "b", "c", "d"), rows)
    assert text.endswith("\r\n")
    assert read_csv(text) == [
        ["id", "a", "b", "c", "d"],
        ["1", 'Quote "here"', "comma, inside", "two\nlines", "Café ☕"],
        ["2", "'=cmd|'/c calc'!A0", "'-1", "3.5", ""],
    ]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12), min_size=2, max_size=2), max_size=6))
def test_to_csv_keeps_every_cell_and_no_cell_reads_as_a_formula(rows):
    back = read_csv(to_csv(("a", "b"), rows))
    assert back[0] == ["a", "b"]
    assert len(back) == len(rows) + 1
    for written, read in zip(rows, back[1:], strict=True):
        for cell, out in zip(written, read, strict=True):
            assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))
            assert out in (cell, "'" + cell)


def test_pseudonym_is_stable_and_differs_across_ids_and_secrets():
    label = pseudonym(SECRET, 7)
    assert label == pseudonym(SECRET, 7)
    assert label != pseudonym(SECRET, 8)
    assert label != pseudonym("another workshop server", 7)
    assert label.startswith("P-") and len(label) == 12


@settings(max_examples=150, deadline=None)
@given(st.integers(10_000, 10**12), st.text(min_size=1, max_size=20))
def test_a_pseudonym_never_shows_the_participant_id(participant_id, secret):
    label = pseudonym(secret, participant_id)
    assert str(participant_id) not in label
    assert label != pseudonym(secret, participant_id + 1)


def test_pseudonyms_of_a_hundred_people_are_all_different():
    assert len({pseudonym(SECRET, i) for i in range(1, 101)}) == 100


# -- a small workshop built by hand ---------------------------------------------------------------

WORKSHOP = Workshop(3, "ABC789", "Courtyard <script>", dt.date(2024, 5, 4), "Hall", revision=12)
OPTIONS = [
    Option(1, 3, '=HYPERLINK("x")', "formula", 1),
    Option(
        2,
        3,
        "<script>alert(1)</script>",
        "markup",
        2,
        scope=Scope.WITHIN_LIMITS,
        limit_kind=LimitKind.BUDGET,
        limit_text="=up to £5,000",
    ),
    Option(3, 3, "Benches", "", 3, withdrawn=True),
]
BY_ID = {o.id: o for o in OPTIONS}
DOTS = Round(
    10,
    3,
    "@first round",
    "dots",
    (1, 2, 3),
    RoundStatus.CLOSED,
    settings={"dots": 4, "max_per_option": 2, "must_use_all": False},
)
RANK = Round(11, 3, "Rank", "rank", (1, 2), RoundStatus.CLOSED, settings={"top_k": None})
DRAFT = Round(12, 3, "Later", "dots", (1, 2), RoundStatus.DRAFT)
DOT_BALLOTS = [
    Ballot(10, 501, dots_kind.entry({2: 1, 1: 2})),
    Ballot(10, 502, dots_kind.entry({3: 2}), source="paper"),
]
RANK_BALLOTS = [
    Ballot(11, 501, ranking_kind.entry((2, 1))),
    Ballot(11, 502, ranking_kind.entry((1, 2))),
]
DOT_RESULT = RoundResult(
    "dots",
    (ResultRow(1, 2, 1, True, 1), ResultRow(3, 2, 1, True, 1), ResultRow(2, 1, 3, False, 1)),
    ballots=2,
)
RANK_RESULT = RoundResult(
    "rank",
    (ResultRow(1, 3.0, 1, True, 2), ResultRow(2, 3.0, 1, True, 2)),
    ballots=2,
    details={
        "schulze": [
            asdict(ResultRow(1, 0.0, 1, True, 2)),
            asdict(ResultRow(2, 0.0, 1, True, 2)),
        ]
    },
)


def test_result_rows_one_row_per_option_and_method():
    rows = result_rows([(DOTS, DOT_RESULT), (RANK, RANK_RESULT)], BY_ID)
    # Scope, limit kind, limit, cost, then the kinds' own columns (funded, verdict), blank here.
    open_ = ("open", "", "", "", "", "")
    limited = ("within_limits", "budget", "=up to £5,000", "", "", "")
    assert rows == [
        (10, "@first round", "dots", 1, "yes", 1, '=HYPERLINK("x")', 2, 1, 2, *open_),
        (10, "@first round", "dots", 1, "yes", 3, "Benches", 2, 1, 2, *open_),
        (10, "@first round", "dots", 3, "no", 2, "<script>alert(1)</script>", 1, 1, 2, *limited),
        (11, "Rank", "borda", 1, "yes", 1, '=HYPERLINK("x")', 3, 2, 2, *open_),
        (11, "Rank", "borda", 1, "yes", 2, "<script>alert(1)</script>", 3, 2, 2, *limited),
        (11, "Rank", "schulze", 1, "yes", 1, '=HYPERLINK("x")', 0, 2, 2, *open_),
        (11, "Rank", "schulze", 1, "yes", 2, "<script>alert(1)</script>", 0, 2, 2, *limited),
    ]
    assert len(rows[0]) == len(RESULT_HEADER)


def test_result_rows_keep_fractional_scores_and_blank_unknown_titles():
    res = RoundResult("dots", (ResultRow(99, 2.5, 1, False, 1),), ballots=1)
    assert result_rows([(DOTS, res)], BY_ID) == [
        (10, "@first round", "dots", 1, "no", 99, "", 2.5, 1, 1, "", "", "", "", "", "")
    ]


def test_ballot_rows_list_each_supported_option_under_a_pseudonym():
    rows = ballot_rows([(DOTS, DOT_BALLOTS), (RANK, RANK_BALLOTS)], BY_ID, SECRET)
    p1, p2 = pseudonym(SECRET, 501), pseudonym(SECRET, 502)
    assert rows == [
        (10, "@first round", p1, 1, '=HYPERLINK("x")', 2, "", "", "", "", "phone"),
        (10, "@first round", p1, 2, "<script>alert(1)</script>", 1, "", "", "", "", "phone"),
        (10, "@first round", p2, 3, "Benches", 2, "", "", "", "", "paper"),
        (11, "Rank", p1, 2, "<script>alert(1)</script>", "", 1, "", "", "", "phone"),
        (11, "Rank", p1, 1, '=HYPERLINK("x")', "", 2, "", "", "", "phone"),
        (11, "Rank", p2, 1, '=HYPERLINK("x")', "", 1, "", "", "", "phone"),
        (11, "Rank", p2, 2, "<script>alert(1)</script>", "", 2, "", "", "", "phone"),
    ]
    assert len(rows[0]) == len(BALLOT_HEADER)


def test_ballot_csv_shows_no_participant_id():
    text = to_csv(BALLOT_HEADER, ballot_rows([(DOTS, DOT_BALLOTS)], BY_ID, SECRET))
    assert "501" not in text and "502" not in text


def test_titles_in_csv_are_neutralised_or_kept_as_plain_text():
    text = to_csv(RESULT_HEADER, result_rows([(DOTS, DOT_RESULT)], BY_ID))
    table = read_csv(text)
    assert table[0] == list(RESULT_HEADER)
    titles = [row[6] for row in table[1:]]
    rounds = {row[1] for row in table[1:]}
    assert titles == ['\'=HYPERLINK("x")', "Benches", "<script>alert(1)</script>"]
    assert [row[10:13] for row in table[1:]][2] == ["within_limits", "budget", "'=up to £5,000"]
    assert rounds == {"'@first round"}
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)


def test_workshop_json_is_versioned_and_anonymised():
    data = json.loads(
        workshop_json(
            WORKSHOP,
            OPTIONS,
            [
                (DOTS, DOT_RESULT, DOT_BALLOTS, []),
                (RANK, RANK_RESULT, RANK_BALLOTS, []),
                (DRAFT, None, [], []),
            ],
            participants=5,
            secret=SECRET,
        )
    )
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["workshop"] == {
        "id": 3,
        "code": "ABC789",
        "title": "Courtyard <script>",
        "date": "2024-05-04",
        "date_note": "",
        "place": "Hall",
        "participants": 5,
        "languages": {"main": "en", "all": ["en"], "board": ["en"]},
    }
    assert [o["title"] for o in data["options"]] == [o.title for o in OPTIONS]
    assert [o["withdrawn"] for o in data["options"]] == [False, False, True]
    assert [(o["scope"], o["limit_kind"], o["limit"]) for o in data["options"]] == [
        ("open", None, ""),
        ("within_limits", "budget", "=up to £5,000"),
        ("open", None, ""),
    ]

    dots, rank, draft = data["rounds"]
    assert dots["kind"] == "dots" and dots["status"] == "closed"
    assert dots["option_ids"] == [1, 2, 3]
    # Each round carries its own kind's rules, results and ballot shape, and no other kind's.
    assert dots["rules"] == {
        "hidden_until_revealed": False,
        "dots": 4,
        "max_per_option": 2,
        "must_use_all": False,
    }
    assert dots["results"]["ballots"] == 2
    assert dots["results"]["order"][0] == {
        "option_id": 1,
        "score": 2,
        "place": 1,
        "tied": True,
        "supporters": 1,
    }
    assert "schulze" not in dots["results"] and "spent" not in dots["results"]
    assert dots["ballots"] == [
        {"participant": pseudonym(SECRET, 501), "dots": {"1": 2, "2": 1}, "source": "phone"},
        {"participant": pseudonym(SECRET, 502), "dots": {"3": 2}, "source": "paper"},
    ]
    assert [r["option_id"] for r in rank["results"]["schulze"]] == [1, 2]
    assert rank["rules"] == {"hidden_until_revealed": False, "top_k": None}
    assert rank["ballots"][0] == {
        "participant": pseudonym(SECRET, 501),
        "ranking": [2, 1],
        "source": "phone",
    }
    assert dots["ideas"] == []
    assert draft["results"] is None and draft["ballots"] == []


def test_workshop_json_keeps_user_text_verbatim():
    rounds = [(DOTS, DOT_RESULT, DOT_BALLOTS, [])]
    text = workshop_json(WORKSHOP, OPTIONS, rounds, participants=2, secret=SECRET)
    assert '"title": "<script>alert(1)</script>"' in text
    assert '"title": "=HYPERLINK(\\"x\\")"' in text
    assert "501" not in text
