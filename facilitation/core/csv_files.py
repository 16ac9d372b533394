"""Pure reading of an uploaded CSV of titles and descriptions (new needs or new options).

Every row is checked before anything is written: the caller gets either all the rows or every
problem, each with its line number in the file, and imports all or nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from facilitation.core.forms import TEXT_MAX, TITLE_MAX
from facilitation.core.i18n import N_

COLUMNS = ("title", "description")
MAX_ROWS = 500


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with one line of the file (line 0: the file as a whole)."""

    line: int
    message: str  # a message id, translated where it is shown
    params: tuple[tuple[str, object], ...] = ()


Records = list[tuple[int, list[str]]]


def read_records(data: bytes) -> tuple[Records, list[Problem]]:
    """Each CSV record with the file line it starts on (a quoted cell may span several lines),
    or the problem that stops the file being read at all; the first line must name columns."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [Problem(0, N_("The file is not UTF-8 text. Save it as “CSV UTF-8” and retry."))]
    reader = csv.reader(io.StringIO(text, newline=""))
    records, start = [], 1
    try:
        for cells in reader:
            records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error:
        return [], [Problem(start, N_("This line could not be read as CSV."))]
    if not records or not any(cell.strip() for cell in records[0][1]):
        return [], [Problem(1, N_("The file is empty: the first line must name the columns."))]
    return records, []


def read_titles(data: bytes) -> tuple[list[tuple[str, str]], list[Problem]]:
    """(title, description) rows, or the problems that stop the whole file being imported."""
    records, problems = read_records(data)
    if problems:
        return [], problems
    header = tuple(cell.strip().lower() for cell in records[0][1])
    if header not in (COLUMNS, COLUMNS[:1]):
        return [], [
            Problem(
                1,
                N_("The columns must be “title” and “description”; this file has: {found}."),
                (("found", ", ".join(header)),),
            )
        ]
    rows: list[tuple[str, str]] = []
    problems = []
    seen: dict[str, int] = {}
    body = [(n, cells) for n, cells in records[1:] if any(c.strip() for c in cells)]
    if len(body) > MAX_ROWS:
        return [], [Problem(0, N_("At most {n} rows can be imported at once."), (("n", MAX_ROWS),))]
    for line, cells in body:
        if len(cells) > len(header):
            problems.append(Problem(line, N_("This row has more cells than the header names."), ()))
            continue
        title = " ".join(cells[0].split())
        description = cells[1].strip() if len(cells) > 1 else ""
        if not title:
            problems.append(Problem(line, N_("The title is missing.")))
        elif len(title) > TITLE_MAX:
            problems.append(
                Problem(
                    line, N_("The title is too long: {n} characters at most."), (("n", TITLE_MAX),)
                )
            )
        elif title.casefold() in seen:
            problems.append(
                Problem(
                    line,
                    N_("“{title}” is already on line {other} of this file."),
                    (("title", title), ("other", seen[title.casefold()])),
                )
            )
        if len(description) > TEXT_MAX:
            problems.append(
                Problem(
                    line,
                    N_("The description is too long: {n} characters at most."),
                    (("n", TEXT_MAX),),
                )
            )
        if title:
            seen.setdefault(title.casefold(), line)
        rows.append((title, description))
    if not body and not problems:
        problems.append(Problem(0, N_("The file has no rows under its header.")))
    return ([], problems) if problems else (rows, [])
