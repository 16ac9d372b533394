"""The one translation function for every piece of user-facing text (gettext catalogs via Babel),
which language is current, and how a page's language is chosen.

Templates and Python code both call ``_``; the active catalog is chosen per request (a phone by
its workshop's languages, a facilitator by their own setting, anyone else by the browser's
Accept-Language). English is the source language, so it needs no catalog; adding a language
means adding ``facilitation/locale/<lang>/LC_MESSAGES/messages.po`` (see the README); the build
compiles it into the ``messages.mo`` read here.
"""

from __future__ import annotations

import contextvars
import gettext as _gettext
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent.parent / "locale"
DEFAULT = "en"
# Where a catalog speaks one country's form of its language, numbers and dates follow that
# country: the English is British, the Portuguese is Portugal's (see docs/translations/pt.md).
REGIONS = {"en": "en_GB", "pt": "pt_PT"}
# Languages whose pages write figures in their native digits though CLDR's default for them is
# Latin: Arabic readers on the estates read ١٢٬٥٠٠ (CLDR's "native" system for ar, "arab").
NATIVE_FIGURES = frozenset({"ar"})
# Babel writes a numbering system's separators and signs but always Latin digits; the first digit
# of the systems above, from CLDR's numberingSystems (the other nine follow it in Unicode).
_ZERO = {"arab": "\u0660"}

_current: contextvars.ContextVar[_gettext.NullTranslations | None] = contextvars.ContextVar(
    "translations", default=None
)
_language: contextvars.ContextVar[str] = contextvars.ContextVar("language", default=DEFAULT)


def available() -> list[str]:
    """Locales with a compiled catalog, plus the source language."""
    found = {p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/messages.mo")}
    return sorted(found | {DEFAULT})


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    """The catalog for a locale (the source text for English or an unknown locale)."""
    if locale == DEFAULT:
        return _gettext.NullTranslations()
    return Translations.load(str(LOCALE_DIR), [locale])


def _tags(accept_language: str | None) -> list[str]:
    """The language tags of an Accept-Language header, in the order given."""
    wanted = []
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().replace("-", "_")
        if tag and tag != "*":
            wanted.append(tag)
    return wanted


def _match(tag: str, among: Sequence[str]) -> str | None:
    try:
        locale = Locale.parse(tag)
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    for candidate in (str(locale), locale.language):
        if candidate in among:
            return candidate
    return None


def negotiate(
    accept_language: str | None, among: Sequence[str] | None = None, fallback: str = DEFAULT
) -> str:
    """Pick the best locale for an Accept-Language header among ``among`` (by default every
    shipped one); ``fallback`` when none of them is asked for."""
    have = available() if among is None else list(among)
    for tag in _tags(accept_language):
        found = _match(tag, have)
        if found:
            return found
    return fallback


def choose(chosen: object, accept_language: str | None, among: Sequence[str], fallback: str) -> str:
    """A language for someone who may have chosen one (``chosen``, kept for their device or
    account): theirs if it is among the offered ones, else the browser's, else ``fallback``."""
    if isinstance(chosen, str) and chosen in among:
        return chosen
    return negotiate(accept_language, among, fallback)


def known(code: object) -> str | None:
    """A shipped locale's code as given (from a form or a cookie), or None."""
    return code if isinstance(code, str) and code in available() else None


def activate(locale: str) -> contextvars.Token[_gettext.NullTranslations | None]:
    """Make a locale current for this task (a request or a websocket connection)."""
    _language.set(locale)
    return _current.set(translations(locale))


def current() -> str:
    """The current locale's code."""
    return _language.get()


def format_locale(code: str | None = None) -> str:
    """The locale whose conventions write numbers, money and dates for a language (the
    current one by default)."""
    code = code or current()
    return REGIONS.get(code, code)


def numbering(code: str | None = None) -> str:
    """The CLDR numbering system a language's pages write figures in ("latn", "arab")."""
    code = code or current()
    if code in NATIVE_FIGURES:
        return str(Locale.parse(format_locale(code)).other_numbering_systems["native"])
    return "latn"


def in_digits(text: str, code: str | None = None) -> str:
    """Text already written by Babel, with its Latin digits in the language's own digits."""
    zero = _ZERO.get(numbering(code))
    if zero is None:
        return text
    return text.translate(
        str.maketrans("0123456789", "".join(chr(ord(zero) + i) for i in range(10)))
    )


@cache
def own_name(code: str) -> str:
    """A language's name in itself ("Polski", "العربية"), for a switch anyone can read."""
    try:
        name = Locale.parse(code).display_name or code
    except (ValueError, TypeError, UnknownLocaleError):
        return code
    # Standing alone as a label, a name starts with a capital where its script has them.
    return name[:1].upper() + name[1:]


def name_in(code: str, language: str) -> str:
    """A language's name in another language (Arabic in Polish: "arabski")."""
    try:
        return Locale.parse(code).get_display_name(language) or code
    except (ValueError, TypeError, UnknownLocaleError):
        return code


@cache
def direction(code: str) -> str:
    """ "rtl" for a language written right to left, else "ltr"."""
    try:
        order = Locale.parse(code).character_order
    except (ValueError, TypeError, UnknownLocaleError):
        return "ltr"
    return "rtl" if order == "right-to-left" else "ltr"


def ordered(codes: Iterable[str]) -> list[str]:
    """Languages in a stable order for lists: English first, then by code."""
    return sorted(set(codes), key=lambda c: (c != DEFAULT, c))


def listed(items: Sequence[str]) -> str:
    """Items joined the current language's way: "a, b and c", "a، b و c"."""
    return format_list(list(items), locale=format_locale()) if items else ""


def N_(message: str) -> str:
    """Mark text for translation where it is defined; it is translated where it is shown."""
    return message


def _figures(params: dict[str, Any]) -> dict[str, Any]:
    """Numbers among a message's values, written the current language's way ("12 500")."""
    locale = format_locale()
    return {
        key: in_digits(format_decimal(value, locale=locale, numbering_system=numbering()))
        if isinstance(value, int | float) and not isinstance(value, bool)
        else value
        for key, value in params.items()
    }


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a message with a plural form where it is defined; ``ngettext`` picks the form where
    it is shown, from the count."""
    return (singular, plural)


def _(message: str, **params: Any) -> str:
    """Translate a message and fill ``{name}`` placeholders (numbers the language's way)."""
    active = _current.get() or translations(DEFAULT)
    text = active.gettext(message)
    return text.format(**_figures(params)) if params else text


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    """Translate a message that depends on a count; ``{n}`` is filled with the count, and every
    number written the current language's way."""
    active = _current.get() or translations(DEFAULT)
    return active.ngettext(singular, plural, n).format(**_figures({"n": n, **params}))
