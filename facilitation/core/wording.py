"""What facilitators write, in several languages: a workshop's languages, the translations of its
words, and those words read for one language. Pure: no I/O.

An original (an option's title, a card, a question ...) is written in the workshop's main
language. A translation is kept with the original words it was made from; once the original
changes, the translation is out of date and is not shown. Read for a language, a thing carries
the language its words are in (``lang``): the page's own when translated, the main language when
it falls back to the original, so a page can mark it as untranslated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from facilitation.core.i18n import DEFAULT
from facilitation.core.models import InfoCard, Option, Round

# What a translation belongs to: (subject, reference), such as ("option", "12"),
# ("card", "7:0") for a round's first card, ("statement", "power") for a health-check statement.
Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Languages:
    """The languages a workshop is run in: ``main`` first (its originals' language), the board's
    one or two."""

    main: str = DEFAULT
    all: tuple[str, ...] = (DEFAULT,)
    board: tuple[str, ...] = (DEFAULT,)

    @property
    def others(self) -> tuple[str, ...]:
        """The languages its words may be translated into."""
        return tuple(code for code in self.all if code != self.main)


@dataclass(frozen=True, slots=True)
class Translation:
    """One thing's words in one language, and the original words they translate."""

    words: tuple[str, ...]
    source: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Texts:
    """Every translation of a workshop's (or a programme's) words, by key and language."""

    main: str = DEFAULT
    found: Mapping[tuple[str, str, str], Translation] = dataclasses.field(default_factory=dict)

    def translation(self, key: Key, language: str) -> Translation | None:
        """The translation kept for ``key`` in ``language``, up to date or not."""
        return self.found.get((*key, language))

    def state(self, key: Key, language: str, original: Sequence[str]) -> str:
        """ "missing", "stale" (its original has changed since) or "current"."""
        kept = self.translation(key, language)
        if kept is None:
            return "missing"
        return "current" if kept.source == tuple(original) else "stale"

    def words(
        self, key: Key, language: str, original: Sequence[str]
    ) -> tuple[tuple[str, ...], str]:
        """The words to show in ``language`` and the language they are in: the translation
        where one is up to date, field by field (an empty one keeps the original's), else the
        original in the main language."""
        if language == self.main:
            return tuple(original), self.main
        kept = self.translation(key, language)
        if kept is None or kept.source != tuple(original):
            return tuple(original), self.main
        return tuple(w or o for w, o in zip(kept.words, original, strict=True)), language


T = TypeVar("T", Option, InfoCard, Round)


def option_key(option: Option) -> Key:
    return ("option", str(option.id))


def option_in(option: Option, texts: Texts, language: str) -> Option:
    """An option's words in ``language`` (or its original's, marked by its ``lang``)."""
    original = (option.title, option.description, option.limit_text)
    (title, description, limit), lang = texts.words(option_key(option), language, original)
    return dataclasses.replace(
        option, title=title, description=description, limit_text=limit, lang=lang
    )


def card_in(card: InfoCard, round_id: int, position: int, texts: Texts, language: str) -> InfoCard:
    """A round's information card in ``language``."""
    key = ("card", f"{round_id}:{position}")
    (title, text), lang = texts.words(key, language, (card.title, card.text))
    return dataclasses.replace(card, title=title, text=text, lang=lang)


def round_in(rnd: Round, texts: Texts, language: str) -> Round:
    """A round's title and cards in ``language``."""
    (title,), lang = texts.words(("round", str(rnd.id)), language, (rnd.title,))
    cards = tuple(card_in(c, rnd.id, i, texts, language) for i, c in enumerate(rnd.cards))
    return dataclasses.replace(rnd, title=title, cards=cards, lang=lang)


def options_in(
    options: Mapping[int, Option], texts: Texts, language: str, second: str | None = None
) -> dict[int, Option]:
    """Options in ``language``, each with itself in ``second`` (a board's) as ``also``."""
    out = {}
    for oid, option in options.items():
        shown = option_in(option, texts, language)
        if second:
            shown = dataclasses.replace(shown, also=option_in(option, texts, second))
        out[oid] = shown
    return out


def round_both(rnd: Round, texts: Texts, language: str, second: str | None = None) -> Round:
    """A round in ``language``, with itself (and each card) in ``second`` as ``also``."""
    shown = round_in(rnd, texts, language)
    if not second:
        return shown
    other = round_in(rnd, texts, second)
    cards = tuple(
        dataclasses.replace(card, also=also)
        for card, also in zip(shown.cards, other.cards, strict=True)
    )
    return dataclasses.replace(shown, cards=cards, also=other)
