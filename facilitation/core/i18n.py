"""The one translation function for every piece of user-facing text (gettext catalogs via Babel).

Templates and Python code both call ``_``; the active catalog is chosen per request from the
Accept-Language header. English is the source language, so it needs no catalog; adding a language
means adding ``facilitation/locale/<lang>/LC_MESSAGES/messages.po`` (see the README); the build
compiles it into the ``messages.mo`` read here.
"""

from __future__ import annotations

import contextvars
import gettext as _gettext
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent.parent / "locale"
DEFAULT = "en"

_current: contextvars.ContextVar[_gettext.NullTranslations | None] = contextvars.ContextVar(
    "translations", default=None
)


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


def negotiate(accept_language: str | None) -> str:
    """Pick the best available locale for an Accept-Language header."""
    wanted = []
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().replace("-", "_")
        if tag and tag != "*":
            wanted.append(tag)
    have = available()
    for tag in wanted:
        try:
            locale = Locale.parse(tag)
        except (ValueError, UnknownLocaleError):
            continue
        for candidate in (str(locale), locale.language):
            if candidate in have:
                return candidate
    return DEFAULT


def activate(locale: str) -> contextvars.Token[_gettext.NullTranslations | None]:
    """Make a locale current for this task (a request or a websocket connection)."""
    return _current.set(translations(locale))


def N_(message: str) -> str:
    """Mark text for translation where it is defined; it is translated where it is shown."""
    return message


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a message with a plural form where it is defined; ``ngettext`` picks the form where
    it is shown, from the count."""
    return (singular, plural)


def _(message: str, **params: Any) -> str:
    """Translate a message and fill ``{name}`` placeholders."""
    active = _current.get() or translations(DEFAULT)
    text = active.gettext(message)
    return text.format(**params) if params else text


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    """Translate a message that depends on a count; ``{n}`` is filled with the count."""
    active = _current.get() or translations(DEFAULT)
    return active.ngettext(singular, plural, n).format(n=n, **params)
