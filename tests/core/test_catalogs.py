"""Every shipped language is complete: each message of the template is translated (every plural
form too), none is left fuzzy, and each keeps the placeholders its English has."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from facilitation.core import i18n
from tests.translation import POT

LANGUAGES = ("ar", "bn", "pl", "pt", "so", "tr")
PLACEHOLDER = re.compile(r"\{\w*\}")


def catalog(code: str):
    with open(i18n.LOCALE_DIR / code / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=code)


def template_ids() -> set:
    with open(POT, "rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def test_at_least_six_languages_besides_english_ship():
    assert set(LANGUAGES) <= set(i18n.available())


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_message_of_the_template_is_translated(code):
    messages = catalog(code)
    have = {m.id if isinstance(m.id, str) else m.id[0] for m in messages if m.id}
    missing = template_ids() - have
    assert not missing, f"{code}: run pybabel update and translate {sorted(missing)[:5]}"
    empty = [m.id for m in messages if m.id and not all(m.string if m.pluralizable else [m.string])]
    fuzzy = [m.id for m in messages if m.id and m.fuzzy]
    assert empty == [] and fuzzy == [], f"{code}: untranslated {empty[:5]}, fuzzy {fuzzy[:5]}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_no_catalog_keeps_messages_the_template_dropped(code):
    messages = catalog(code)
    have = {m.id if isinstance(m.id, str) else m.id[0] for m in messages if m.id}
    assert have - template_ids() == set()
    assert not messages.obsolete


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_translation_keeps_its_placeholders(code):
    wrong = []
    for m in catalog(code):
        if not m.id:
            continue
        english = " ".join(m.id) if m.pluralizable else m.id
        allowed = set(PLACEHOLDER.findall(english))
        # A singular may leave the count unsaid ("volunteer 7" for "3 volunteers: 7, 8, 9"), so
        # each form needs what both English forms name, and may name nothing else.
        needed = allowed
        if m.pluralizable:
            needed = set(PLACEHOLDER.findall(m.id[0])) & set(PLACEHOLDER.findall(m.id[1]))
        for text in m.string if m.pluralizable else [m.string]:
            if not needed <= set(PLACEHOLDER.findall(text)) <= allowed:
                wrong.append((m.id, text))
    assert wrong == []


@pytest.mark.parametrize("code", LANGUAGES)
def test_each_language_has_a_glossary_and_a_note_on_corrections(code):
    note = (i18n.LOCALE_DIR.parent.parent / "docs" / "translations" / f"{code}.md").read_text()
    assert "## Glossary" in note
    for term in ("round", "ballot", "dots", "facilitator", "up for grabs"):
        row = rf"^\|[^|\n]*\b{re.escape(term)}\b"
        assert re.search(row, note, re.I | re.M), f"{code}: no glossary row for {term}"
    assert "correction" in note.lower()
