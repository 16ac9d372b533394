"""Reading what people type into forms: text, whole numbers, ids, amounts and ticks.

Each reader either returns a clean value or raises BadRequest (or NotFound for an id) with a
message that names the field as the form does, so a refused form changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from facilitation.core.errors import BadRequest, NotFound

TITLE_MAX = 120
TEXT_MAX = 500
NAME_MAX = 40
CLIENT_ID_MAX = 64
MONEY_MAX = 10**9


def clean_text(value: Any, *, field: str, limit: int, required: bool = True) -> str:
    """Trim a text field and check its length; the message names the field as the form does."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BadRequest("“{field}” must be text.", field=field)
    if not encodable(value):
        raise BadRequest(
            "“{field}” has characters that could not be read. Please type it again.", field=field
        )
    text = " ".join(value.split()) if limit <= TITLE_MAX else value.strip()
    if required and not text:
        raise BadRequest("Please fill in “{field}”.", field=field)
    if len(text) > limit:
        raise BadRequest(
            "“{field}” is too long: {limit} characters at most.", field=field, limit=limit
        )
    return text


def encodable(text: str) -> bool:
    """Whether text can be stored and sent: a JSON escape can carry a lone surrogate, which
    neither SQLite nor a websocket frame can encode as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# Arabic's decimal and thousands separators, as an Arabic keyboard types them.
_SEPARATORS = str.maketrans({"\u066b": ".", "\u066c": ","})


def typed_digits(text: str) -> str:
    """A typed figure with any script's digits as 0-9: a phone with an Arabic or Bengali
    keyboard types ١٢ or ১২ for 12, and the page itself writes figures that way."""
    return "".join(
        str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch
        for ch in text.translate(_SEPARATORS)
    )


def read_id(value: Any, what: str) -> int:
    """A record id from a path or a form; NotFound names ``what`` when it cannot be one."""
    # Bounded like the text form: SQLite cannot even look up an integer beyond 64 bits.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 12:
        return int(value)
    raise NotFound(what)


def maybe_id(value: Any) -> int | None:
    """An id from a query string when it reads as one, else None (a filter left unset)."""
    try:
        return read_id(value, "page")
    except NotFound:
        return None


def read_whole(value: Any, field: str, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``, as typed."""
    text = typed_digits(str(value).strip()) if isinstance(value, str | int) else ""
    # Short before int(): it refuses strings of over 4300 digits with a ValueError of its own.
    if not (text.isascii() and text.isdigit() and len(text) <= 9) or not low <= int(text) <= high:
        raise BadRequest(
            "“{field}” must be a whole number from {low} to {high}.",
            field=field,
            low=low,
            high=high,
        )
    return int(text)


def read_number(value: Any, field: str, low: float, high: float) -> float:
    """A number from ``low`` to ``high``, as typed."""
    try:
        number = float(typed_digits(value) if isinstance(value, str) else value)
    except (TypeError, ValueError):
        number = float("nan")
    if not low <= number <= high:
        raise BadRequest(
            "“{field}” must be a number from {low} to {high}.", field=field, low=low, high=high
        )
    return number


def is_ticked(value: Any) -> bool:
    """Whether a checkbox was ticked."""
    return value in ("on", "1", "true", "yes", True)


def read_client_id(value: Any) -> str:
    """The id a page gives each thing it sends, so a resend is stored once."""
    # An id, never text: ASCII only, which also keeps out lone surrogates that a JSON
    # escape can carry and that neither SQLite nor a websocket frame can encode.
    if not isinstance(value, str) or not 8 <= len(value) <= CLIENT_ID_MAX or not value.isascii():
        raise BadRequest("This page is out of date. Please reload it.")
    return value


def normalise_code(code: Any) -> str:
    """Uppercase a typed join code and drop spaces and dashes people add when copying it."""
    if not isinstance(code, str):
        return ""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return cleaned if len(cleaned) <= 12 else ""


def read_money(value: Any, field: str, *, required: bool) -> int | None:
    """A whole amount as people type it: "12500", "12,500", "£12 500", "12.500 TL" and
    "12 500 zł" all mean 12500; pence or cents ("12.50") are refused, not guessed at."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise BadRequest("Please fill in “{field}”.", field=field)
        return None
    text = value if isinstance(value, str) else str(value) if isinstance(value, int) else ""
    text = typed_digits(text)
    # A currency's symbol or code before or after the figure, and the spaces, commas or points
    # people group thousands with.
    figure = text.strip().strip("".join(ch for ch in text if ch.isalpha() or _is_symbol(ch)))
    figure = figure.strip()
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", figure):
        figure = figure.replace(".", "")
    digits = "".join(ch for ch in figure if ch not in ", _\u00a0\u202f")
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 10):
        raise BadRequest(
            "“{field}” must be a whole amount, such as 12500, with no pence or cents.",
            field=field,
        )
    amount = int(digits)
    if amount > MONEY_MAX:
        raise BadRequest("“{field}” is too large.", field=field)
    return amount


def read_date(value: Any, field: str) -> dt.date | None:
    """A date as a date picker sends it (2025-06-14), or None when left empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = value.strip() if isinstance(value, str) else ""
    try:
        day = dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None or not 1900 <= day.year <= 2999:
        raise BadRequest("“{field}” must be a date: a day, a month and a year.", field=field)
    return day


def _is_symbol(ch: str) -> bool:
    return unicodedata.category(ch) == "Sc" or ch in "\u200e\u200f"
