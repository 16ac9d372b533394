"""Pure reading of uploaded CSV files about people: a volunteer pool, and the make-up of a place.

Every row is checked before anything is written: the caller gets either all the rows or every
problem, each with its line number in the file, and imports all or nothing. Profile answers and
make-up figures are matched to a programme's questions and answers by their labels, ignoring case
and extra spaces, because people type them by hand in a spreadsheet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from facilitation.core.csv_files import Problem, Records, read_records
from facilitation.core.i18n import N_
from facilitation.people.rules import (
    PREFER_NOT_TO_SAY,
    Choice,
    ProfileQuestion,
    Volunteer,
    label_key,
)

# A pool for a citizens' panel can be long (a letter to every household), a make-up table is not.
MAX_VOLUNTEERS = 10_000
MAX_MAKEUP_ROWS = 1_000
NAME_MAX = 120
CONTACT_MAX = 200
HOUSEHOLD_MAX = 300

# Contact columns and the field each fills; "address" and "household" both say who lives together.
CONTACT_COLUMNS = {
    "name": "name",
    "email": "email",
    "phone": "phone",
    "household": "household",
    "address": "household",
}
MAKEUP_COLUMNS = ("question", "answer", "amount")

# Whole or decimal numbers, with thousands commas (1,234.5) and an optional trailing percent sign.
NUMBER = re.compile(r"(\d{1,3}(,\d{3})+|\d+)(\.\d+)?|\.\d+")


def _body(records: Records, limit: int) -> tuple[Records, list[Problem]]:
    body = [(n, cells) for n, cells in records[1:] if any(c.strip() for c in cells)]
    if len(body) > limit:
        return [], [Problem(0, N_("At most {n} rows can be imported at once."), (("n", limit),))]
    if not body:
        return [], [Problem(0, N_("The file has no rows under its header."))]
    return body, []


def _tidy(cell: str) -> str:
    return " ".join(cell.split())


def _too_long(line: int, column: str, limit: int) -> Problem:
    return Problem(
        line,
        N_("“{column}” is too long: {n} characters at most."),
        (("column", column), ("n", limit)),
    )


def _match(question: ProfileQuestion, text: str) -> Choice | None:
    """The offered choice a cell names; a retired choice is no longer given."""
    return next((c for c in question.offered if label_key(c.label) == label_key(text)), None)


def _offered(question: ProfileQuestion) -> str:
    return ", ".join([c.label for c in question.offered] + [PREFER_NOT_TO_SAY])


def read_volunteers(
    data: bytes,
    questions: Sequence[ProfileQuestion],
    decline_labels: Iterable[str] = (PREFER_NOT_TO_SAY,),
) -> tuple[list[Volunteer], list[Problem]]:
    """Volunteers (id 0, not yet stored), or the problems that stop the file being imported.

    Columns: name (required), email, phone, household or address, and one column per profile
    question of the programme, named by its label. An answer cell holds one of the question's
    answers or one of ``decline_labels`` (the caller adds the translated "prefer not to say");
    a blank answer cell means the volunteer did not answer.
    """
    records, problems = read_records(data)
    if problems:
        return [], problems
    by_label = {label_key(q.label): q for q in questions if not q.retired}
    header = [_tidy(cell) for cell in records[0][1]]
    columns: list[tuple[str, ProfileQuestion | None]] = []  # (contact field or "", question)
    taken: dict[str, str] = {}
    for name in header:
        key = label_key(name)
        field = CONTACT_COLUMNS.get(key, "")
        question = None if field else by_label.get(key)
        slot = field or (f"q{question.id}" if question else "")
        if not name:
            pass  # spreadsheets often save empty columns at the end; only their cells matter
        elif not slot:
            problems.append(
                Problem(
                    1,
                    N_(
                        "The column “{column}” is neither a contact detail (name, email, phone, "
                        "household) nor a profile question of this programme."
                    ),
                    (("column", name),),
                )
            )
        elif slot in taken:
            problems.append(
                Problem(
                    1,
                    N_("The columns “{column}” and “{other}” say the same thing; keep one."),
                    (("column", name), ("other", taken[slot])),
                )
            )
        else:
            taken[slot] = name
        columns.append((field, question))
    if "name" not in taken:
        problems.append(Problem(1, N_("The file needs a “name” column.")))
    if problems:
        return [], problems
    body, problems = _body(records, MAX_VOLUNTEERS)
    if problems:
        return [], problems
    declines = {label_key(label) for label in decline_labels}
    limits = dict(name=NAME_MAX, email=CONTACT_MAX, phone=CONTACT_MAX, household=HOUSEHOLD_MAX)
    volunteers: list[Volunteer] = []
    seen: dict[tuple[str, ...], int] = {}
    for line, cells in body:
        if len(cells) > len(header):
            problems.append(Problem(line, N_("This row has more cells than the header names.")))
            continue
        fields = {"name": "", "email": "", "phone": "", "household": ""}
        answers: dict[int, int | None] = {}
        row_problems: list[Problem] = []
        for (field, question), column, cell in zip(columns, header, cells, strict=False):
            value = _tidy(cell)
            if not column:
                if value:
                    row_problems.append(
                        Problem(line, N_("This row has a value in a column with no name."))
                    )
                continue
            if field:
                if len(value) > limits[field]:
                    row_problems.append(_too_long(line, column, limits[field]))
                fields[field] = value
                continue
            assert question is not None
            if not value:
                continue
            if label_key(value) in declines:
                answers[question.id] = None
                continue
            choice = _match(question, value)
            if choice is None:
                row_problems.append(
                    Problem(
                        line,
                        N_("“{value}” is not an answer to “{question}”; it takes: {offered}."),
                        (
                            ("value", value),
                            ("question", question.label),
                            ("offered", _offered(question)),
                        ),
                    )
                )
            else:
                answers[question.id] = choice.id
        if not fields["name"]:
            row_problems.append(Problem(line, N_("The name is missing.")))
        elif fields["email"] and not _looks_like_email(fields["email"]):
            row_problems.append(
                Problem(
                    line,
                    N_("“{email}” does not look like an email address."),
                    (("email", fields["email"]),),
                )
            )
        # The same person twice would hold two tickets in the lottery.
        same = (label_key(fields["name"]), fields["email"].casefold(), _digits(fields["phone"]))
        if fields["name"] and same in seen:
            row_problems.append(
                Problem(
                    line,
                    N_("“{name}” with the same contact details is already on line {other}."),
                    (("name", fields["name"]), ("other", seen[same])),
                )
            )
        seen.setdefault(same, line)
        problems.extend(row_problems)
        volunteers.append(Volunteer(0, 0, answers=answers, **fields))
    return ([], problems) if problems else (volunteers, [])


def _looks_like_email(text: str) -> bool:
    local, at, domain = text.rpartition("@")
    return bool(at and local and "." in domain.strip(".") and " " not in text)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def read_amount(text: str) -> tuple[float, bool] | None:
    """A make-up figure and whether it was written as a percentage; None if it is not a number."""
    text = text.strip()
    percent = text.endswith("%")
    number = text.removesuffix("%").strip()
    if not NUMBER.fullmatch(number):
        return None
    return float(number.replace(",", "")), percent


def read_makeup(
    data: bytes, questions: Sequence[ProfileQuestion]
) -> tuple[dict[int, dict[int, float]], list[Problem]]:
    """The make-up of the place as {question id: {choice id: amount}}, or the problems.

    Columns: question, answer, amount. An amount is a head count or a percentage (12.5%); the
    figures for one question need only be alike among themselves, as shares are worked out from
    their total. A question in the file has its whole make-up replaced by the file's rows. A
    blank amount gives no figure, so a downloaded template can come back only partly filled in.
    """
    records, problems = read_records(data)
    if problems:
        return {}, problems
    header = tuple(label_key(cell) for cell in records[0][1])
    if header != MAKEUP_COLUMNS:
        return {}, [
            Problem(
                1,
                N_(
                    "The columns must be “question”, “answer” and “amount”; this file has: {found}."
                ),
                (("found", ", ".join(header)),),
            )
        ]
    body, problems = _body(records, MAX_MAKEUP_ROWS)
    if problems:
        return {}, problems
    by_label = {label_key(q.label): q for q in questions if not q.retired}
    makeup: dict[int, dict[int, float]] = {}
    first_line: dict[int, int] = {}
    percents: dict[int, list[bool]] = {}
    seen: dict[tuple[int, int], int] = {}
    for line, cells in body:
        if len(cells) > len(header):
            problems.append(Problem(line, N_("This row has more cells than the header names.")))
            continue
        question_text, answer_text, amount_text = (_tidy(c) for c in [*cells, "", ""][:3])
        question = by_label.get(label_key(question_text))
        if question is None:
            problems.append(
                Problem(
                    line,
                    N_("“{question}” is not a profile question of this programme."),
                    (("question", question_text),),
                )
            )
            continue
        choice = _match(question, answer_text)
        amount = read_amount(amount_text) if amount_text else (0.0, False)
        if choice is None:
            problems.append(
                Problem(
                    line,
                    N_(
                        "“{value}” is not an answer to “{question}”; figures can be given for: "
                        "{offered}."
                    ),
                    (
                        ("value", answer_text),
                        ("question", question.label),
                        ("offered", ", ".join(c.label for c in question.offered)),
                    ),
                )
            )
        elif (question.id, choice.id) in seen:
            problems.append(
                Problem(
                    line,
                    N_("“{value}” for “{question}” is already on line {other} of this file."),
                    (
                        ("value", choice.label),
                        ("question", question.label),
                        ("other", seen[question.id, choice.id]),
                    ),
                )
            )
        if amount is None:
            problems.append(
                Problem(
                    line,
                    N_(
                        "“{amount}” is not a number: write a count such as 1250, or a share "
                        "such as 12.5%."
                    ),
                    (("amount", amount_text),),
                )
            )
        if choice is None or amount is None or (question.id, choice.id) in seen:
            continue
        seen[question.id, choice.id] = line
        if not amount_text:
            continue
        first_line.setdefault(question.id, line)
        makeup.setdefault(question.id, {})[choice.id] = amount[0]
        percents.setdefault(question.id, []).append(amount[1])
    for question in questions:
        amounts = makeup.get(question.id)
        if amounts is None:
            continue
        total = sum(amounts.values())
        if total <= 0:
            problems.append(
                Problem(
                    first_line[question.id],
                    N_("The figures for “{question}” are all zero."),
                    (("question", question.label),),
                )
            )
        elif all(percents[question.id]) and total > 100.5:
            problems.append(
                Problem(
                    first_line[question.id],
                    N_("The shares for “{question}” add up to {total}%, more than 100%."),
                    (("question", question.label), ("total", f"{total:g}")),
                )
            )
    problems.sort(key=lambda p: p.line)
    return ({}, problems) if problems else (makeup, [])
