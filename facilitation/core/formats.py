"""Numbers, money, shares and dates written the current language's way, by Babel (CLDR); no
figure a person reads is formatted by hand. Machine-read values (data attributes, exports) keep
their plain form and never come through here."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import (
    format_currency,
    format_decimal,
    format_percent,
    get_currency_symbol,
    list_currencies,
)

from facilitation.core.i18n import format_locale, in_digits, numbering

DEFAULT_CURRENCY = "GBP"
# Where an old setting gave a symbol, the locales whose symbols it is looked up in, in order.
_SYMBOL_LOCALES = ("en_GB", "en_US", "en_IE", "pl", "tr", "pt_PT", "pt_BR", "bn", "ar", "so")


@cache
def currency_code(setting: str) -> str:
    """The ISO 4217 code of the currency setting: a code as given ("EUR", "pln"), or an older
    setting's symbol ("£", "€", "zł") as the first locale above writes it; ValueError if
    neither."""
    text = setting.strip()
    if text.upper() in list_currencies():
        return text.upper()
    for locale in _SYMBOL_LOCALES:
        for code in sorted(list_currencies()):
            if get_currency_symbol(code, locale) == text:
                return code
    raise ValueError(f"currency: {setting!r} is not a currency code such as GBP, EUR or PLN")


def _places(pattern: str, digits: int) -> str:
    """A locale's number pattern with exactly ``digits`` decimal places; its grouping, signs
    and symbols stay as the locale has them."""
    fraction = "." + "0" * digits if digits else ""
    return re.sub(r"0(?:\.[0#]+)?(?![0#,.])", "0" + fraction, pattern, count=1)


def number(value: float | int, digits: int | None = None) -> str:
    """A number: a whole one as it is, another to ``digits`` places (one by default)."""
    if digits is None:
        digits = 0 if float(value).is_integer() else 1
    return decimal(value, digits)


def decimal(value: float | int, digits: int) -> str:
    """A number to exactly ``digits`` decimal places (a mean "3.5", a score "0.75")."""
    locale = Locale.parse(format_locale())
    pattern = _places(locale.decimal_formats[None].pattern, digits)
    return in_digits(
        format_decimal(value, format=pattern, locale=locale, numbering_system=numbering())
    )


def percent(share: float, digits: int = 0) -> str:
    """A share of one as a percentage ("25%", "%25", "25 %"), to ``digits`` places."""
    locale = Locale.parse(format_locale())
    pattern = _places(locale.percent_formats[None].pattern, digits)
    system = numbering()
    written = format_percent(share, format=pattern, locale=locale, numbering_system=system)
    if system != "latn":
        # Babel keeps the pattern's Latin "%"; the numbering system has its own sign ("٪").
        written = written.replace("%", locale.number_symbols[system]["percentSign"])
    return in_digits(written)


def money(amount: float | int, currency: str) -> str:
    """A whole amount of money in ``currency`` (an ISO code): "£12,500", "12 500 zł". Costs
    and budgets are estimates, never pence."""
    locale = Locale.parse(format_locale())
    whole = ";".join(_places(p, 0) for p in locale.currency_formats["standard"].pattern.split(";"))
    return in_digits(
        format_currency(
            int(amount or 0),
            currency,
            format=whole,
            locale=locale,
            currency_digits=False,
            numbering_system=numbering(),
        )
    )


def _date(value: dt.date | float | str) -> dt.date:
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return dt.date.fromtimestamp(value) if isinstance(value, float | int) else value


def day(value: dt.date | float | str) -> str:
    """A date in words ("Saturday 13 September 2025"); a number is a time stamp, a string an
    ISO date."""
    return in_digits(format_date(_date(value), "full", locale=format_locale()))


def short_day(value: dt.date | float | str) -> str:
    """A date in short ("13 Sept 2025"); a number is a time stamp, a string an ISO date."""
    return in_digits(format_date(_date(value), "medium", locale=format_locale()))


def clock(value: float) -> str:
    """The time of day of a time stamp, on this server's clock ("14:05", "2:05 pm")."""
    return in_digits(format_time(dt.datetime.fromtimestamp(value), "short", locale=format_locale()))


def moment(value: float) -> str:
    """The date and time of a time stamp ("13 Sept 2025, 14:05")."""
    return in_digits(
        format_datetime(dt.datetime.fromtimestamp(value), "medium", locale=format_locale())
    )
