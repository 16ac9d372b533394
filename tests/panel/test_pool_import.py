"""Reading a volunteer pool and a place's make-up from CSV: all rows, or every problem by line."""

from __future__ import annotations

import pytest

from facilitation.panel.pool_import import MAX_VOLUNTEERS, read_amount, read_makeup, read_volunteers
from facilitation.people.rules import Choice, ProfileQuestion


def question(qid: int, label: str, *labels: str, retired=()) -> ProfileQuestion:
    choices = tuple(
        Choice(qid * 10 + i, qid, text, i, text in retired) for i, text in enumerate(labels, 1)
    )
    return ProfileQuestion(qid, 1, label, qid, choices)


QUESTIONS = [
    question(1, "Tenure", "Social rent", "Private rent", "Owner", retired=("Owner",)),
    question(2, "Age band", "Under 30", "30 to 64", "65 and over"),
]


def csv(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def problems_of(result) -> list[tuple[int, str, dict]]:
    rows, problems = result
    assert rows in ([], {})
    return [(p.line, p.message, dict(p.params)) for p in problems]


# -- volunteers -----------------------------------------------------------------------------------


def test_volunteers_are_read_with_answers_matched_by_label():
    data = csv(
        "Name,Email,Phone,Address,TENURE,age  band",
        "Ada Lovelace,ada@example.org,0161 496 0000,1 Mill Lane,social RENT,65 and over",
        "Grace Hopper,,,2 Mill Lane,Prefer not to say,",
        '"Mary, Jane",,07700 900123,,,Under 30',
    )
    volunteers, problems = read_volunteers(data, QUESTIONS)
    assert problems == []
    ada, grace, mary = volunteers
    assert (ada.name, ada.email, ada.phone, ada.household) == (
        "Ada Lovelace",
        "ada@example.org",
        "0161 496 0000",
        "1 Mill Lane",
    )
    assert ada.answers == {1: 11, 2: 23}
    assert grace.answers == {1: None}  # a blank cell is no answer; "prefer not to say" is one
    assert mary.name == "Mary, Jane" and mary.answers == {2: 21}
    assert (ada.id, ada.pool_id) == (0, 0)


def test_the_translated_prefer_not_to_say_is_accepted_when_given():
    data = csv("name,tenure", "Ada,Prefiero no decirlo")
    volunteers, problems = read_volunteers(
        data, QUESTIONS, decline_labels=("Prefer not to say", "Prefiero no decirlo")
    )
    assert problems == [] and volunteers[0].answers == {1: None}


def test_only_a_name_column_is_required_and_empty_trailing_columns_are_ignored():
    volunteers, problems = read_volunteers(csv("name,,", "Ada,,", "Grace"), QUESTIONS)
    assert problems == [] and [v.name for v in volunteers] == ["Ada", "Grace"]


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_returned():
    data = csv(
        "name,email,tenure,age band",
        "Ada,ada@example.org,Social rent,Under 30",
        ",x@example.org,,",  # line 3: no name
        "Bob,not-an-email,,",  # line 4
        "Cy,,Owner,",  # line 5: a retired choice
        "Di,,,Ancient",  # line 6
        "ada,ADA@example.org,,",  # line 7: the same person as line 2
        "Ed,,,,extra",  # line 8
    )
    found = problems_of(read_volunteers(data, QUESTIONS))
    assert [(line, message) for line, message, _ in found] == [
        (3, "The name is missing."),
        (4, "“{email}” does not look like an email address."),
        (5, "“{value}” is not an answer to “{question}”; it takes: {offered}."),
        (6, "“{value}” is not an answer to “{question}”; it takes: {offered}."),
        (7, "“{name}” with the same contact details is already on line {other}."),
        (8, "This row has more cells than the header names."),
    ]
    assert found[2][2] == {
        "value": "Owner",
        "question": "Tenure",
        "offered": "Social rent, Private rent, Prefer not to say",
    }
    assert found[4][2] == {"name": "ada", "other": 2}


def test_an_unfinished_quote_swallows_the_rest_of_the_file_into_one_long_cell():
    data = csv("name", '"Ada', "Grace", "Hopper")
    volunteers, problems = read_volunteers(data, QUESTIONS)
    assert problems == [] and volunteers[0].name == "Ada Grace Hopper"


def test_a_value_under_a_column_with_no_name_is_a_problem():
    found = problems_of(read_volunteers(csv("name,", "Ada,secret"), QUESTIONS))
    assert found == [(2, "This row has a value in a column with no name.", {})]


@pytest.mark.parametrize(
    ("header", "message", "params"),
    [
        (
            "name,Shoe size",
            "The column “{column}” is neither a contact detail (name, email, phone, household) "
            "nor a profile question of this programme.",
            {"column": "Shoe size"},
        ),
        (
            "name,address,household",
            "The columns “{column}” and “{other}” say the same thing; keep one.",
            {"column": "household", "other": "address"},
        ),
        ("email,phone", "The file needs a “name” column.", {}),
    ],
)
def test_a_bad_header_is_reported_on_line_one(header, message, params):
    assert problems_of(read_volunteers(csv(header, "x,y,z"), QUESTIONS)) == [(1, message, params)]


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (b"", 1, "The file is empty: the first line must name the columns."),
        (b"name\r\n\r\n , \r\n", 0, "The file has no rows under its header."),
        (
            "name\nJos\u00e9\n".encode("latin-1"),
            0,
            "The file is not UTF-8 text. Save it as “CSV UTF-8” and retry.",
        ),
    ],
)
def test_a_file_that_cannot_be_read_says_why(data, line, message):
    assert problems_of(read_volunteers(data, QUESTIONS)) == [(line, message, {})]


def test_a_byte_order_mark_and_long_fields_are_handled():
    data = "\ufeffname\n".encode() + ("x" * 121).encode() + b"\n"
    found = problems_of(read_volunteers(data, QUESTIONS))
    assert found == [
        (2, "“{column}” is too long: {n} characters at most.", {"column": "name", "n": 120})
    ]


def test_too_many_volunteers_are_refused_before_reading_them():
    data = b"name\n" + b"x\n" * (MAX_VOLUNTEERS + 1)
    [(line, _message, params)] = problems_of(read_volunteers(data, QUESTIONS))
    assert (line, params) == (0, {"n": MAX_VOLUNTEERS})


# -- make-up of the place -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", (12.0, False)),
        ("12.5%", (12.5, True)),
        (" 12.5 % ", (12.5, True)),
        ("1,234", (1234.0, False)),
        ("1,234,567.25", (1234567.25, False)),
        (".5", (0.5, False)),
        ("0", (0.0, False)),
        ("12,5", None),  # a decimal comma is ambiguous next to thousands commas
        ("-3", None),
        ("", None),
        ("lots", None),
        ("1e3", None),
        ("nan", None),
    ],
)
def test_amounts_are_counts_or_percentages(text, value):
    assert read_amount(text) == value


def test_the_make_up_is_read_by_question_and_answer_label():
    data = csv(
        "Question,Answer,Amount",
        "tenure,Social rent,1200",
        "Tenure,private RENT,800",
        "Age band,Under 30,25%",
        "Age band,30 to 64,55%",
        "Age band,65 and over,20%",
    )
    makeup, problems = read_makeup(data, QUESTIONS)
    assert problems == []
    assert makeup == {1: {11: 1200.0, 12: 800.0}, 2: {21: 25.0, 22: 55.0, 23: 20.0}}


def test_every_bad_make_up_row_is_reported_with_its_line():
    data = csv(
        "question,answer,amount",
        "Tenure,Social rent,10",
        "Shoe size,Large,4",  # line 3
        "Tenure,Owner,5",  # line 4: retired
        "Tenure,social rent,3",  # line 5: twice
        "Age band,Under 30,12,5",  # line 6: too many cells
        "Age band,Under 30,a few",  # line 7
        "Age band,30 to 64,70%",  # line 8
        "Age band,65 and over,40%",  # the shares add up to 110%, reported on line 8
    )
    found = problems_of(read_makeup(data, QUESTIONS))
    assert [(line, message) for line, message, _ in found] == [
        (3, "“{question}” is not a profile question of this programme."),
        (
            4,
            "“{value}” is not an answer to “{question}”; figures can be given for: {offered}.",
        ),
        (5, "“{value}” for “{question}” is already on line {other} of this file."),
        (6, "This row has more cells than the header names."),
        (
            7,
            "“{amount}” is not a number: write a count such as 1250, or a share such as 12.5%.",
        ),
        (8, "The shares for “{question}” add up to {total}%, more than 100%."),
    ]
    assert found[-1][2] == {"question": "Age band", "total": "110"}


def test_a_blank_amount_gives_no_figure_so_a_template_can_come_back_partly_filled():
    data = csv(
        "question,answer,amount",
        "Tenure,Social rent,10",
        "Tenure,Private rent,",
        "Age band,Under 30,",
        "Age band,30 to 64, ",
        "Age band,65 and over,",
    )
    assert read_makeup(data, QUESTIONS) == ({1: {11: 10.0}}, [])


def test_a_blank_amount_still_needs_a_known_answer_given_once():
    data = csv(
        "question,answer,amount", "Tenure,Landlord,", "Tenure,Social rent,", "Tenure,social rent,"
    )
    found = problems_of(read_makeup(data, QUESTIONS))
    assert [line for line, _m, _p in found] == [2, 4]


def test_figures_that_are_all_zero_give_no_shares_and_are_refused():
    data = csv("question,answer,amount", "Tenure,Social rent,0", "Tenure,Private rent,0")
    found = problems_of(read_makeup(data, QUESTIONS))
    assert found == [(2, "The figures for “{question}” are all zero.", {"question": "Tenure"})]


def test_the_make_up_needs_its_three_columns():
    found = problems_of(read_makeup(csv("question,share", "Tenure,4"), QUESTIONS))
    assert found == [
        (
            1,
            "The columns must be “question”, “answer” and “amount”; this file has: {found}.",
            {"found": "question, share"},
        )
    ]
