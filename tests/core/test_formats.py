"""Numbers, money and dates are written the page's language's way by Babel, never by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from facilitation.core import formats, i18n
from facilitation.core.i18n import _, ngettext

SATURDAY = dt.date(2025, 9, 13)


@pytest.fixture
def speaking():
    def use(code: str) -> None:
        i18n.activate(code)

    yield use
    i18n.activate(i18n.DEFAULT)


@pytest.mark.parametrize(
    ("code", "currency", "written"),
    [
        ("en", "GBP", "£12,500"),
        ("pl", "PLN", "12\u00a0500\u00a0zł"),
        ("pt", "EUR", "12\u00a0500\u00a0€"),
        ("tr", "TRY", "₺12.500"),
        ("ar", "GBP", "\u200f١٢٬٥٠٠\u00a0UK£"),
        ("bn", "GBP", "12,500£"),
    ],
)
def test_money_is_written_as_the_language_writes_it(speaking, code, currency, written):
    speaking(code)
    assert formats.money(12500, currency) == written


@pytest.mark.parametrize(
    ("code", "written"),
    [
        ("en", "Saturday, 13 September 2025"),
        ("pl", "sobota, 13 września 2025"),
        ("pt", "sábado, 13 de setembro de 2025"),
        ("tr", "13 Eylül 2025 Cumartesi"),
        ("ar", "السبت، ١٣ سبتمبر ٢٠٢٥"),
    ],
)
def test_a_date_is_written_in_words_of_the_language(speaking, code, written):
    speaking(code)
    assert formats.day(SATURDAY) == written


@pytest.mark.parametrize(
    ("code", "mean", "share"),
    [
        ("en", "3.5", "25%"),
        ("pl", "3,5", "25%"),
        ("tr", "3,5", "%25"),
        ("ar", "٣٫٥", "٢٥٪\u061c"),
    ],
)
def test_decimals_and_shares_follow_the_language(speaking, code, mean, share):
    speaking(code)
    assert formats.decimal(3.5, 1) == mean
    assert formats.percent(0.25) == share


def test_numbers_inside_messages_are_written_the_language_way(speaking):
    speaking("pl")
    assert "12\u00a0500" in ngettext("{n} dot", "{n} dots", 12500)
    assert "12\u00a0500" in _("Budget: {budget}", budget=12500)


def test_arabic_writes_arabic_indic_digits_everywhere(speaking):
    speaking("ar")
    assert formats.number(12500) == "١٢٬٥٠٠"
    assert formats.short_day(SATURDAY) == "١٣\u200f/٠٩\u200f/٢٠٢٥"
    assert "١٢٬٥٠٠" in _("Budget: {budget}", budget=12500)
    assert not any(c.isascii() and c.isdigit() for c in formats.moment(1_757_766_300.0))


@pytest.mark.parametrize(("setting", "code"), [("£", "GBP"), ("eur", "EUR"), ("zł", "PLN")])
def test_the_currency_setting_takes_a_code_or_an_old_symbol(setting, code):
    assert formats.currency_code(setting) == code


def test_a_currency_setting_that_is_neither_is_refused():
    with pytest.raises(ValueError, match="not a currency code"):
        formats.currency_code("beans")
