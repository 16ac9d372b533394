"""Languages and translations: which languages a workshop is run in, its facilitators' own
language, and what facilitators write given in each of a workshop's (or a programme's) languages.

Each one checks the form with the pure rules, writes with the store, and only then tells the
screens, which read every text through ``core.wording`` for their own language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from facilitation.core import i18n
from facilitation.core.errors import BadRequest
from facilitation.core.forms import TEXT_MAX, TITLE_MAX, clean_text
from facilitation.core.hub import Hub
from facilitation.core.models import Programme, Round, User, Workshop
from facilitation.core.wording import Key, Languages, Texts
from facilitation.health import pact
from facilitation.people.rules import CHOICE_MAX, LABEL_MAX, ProfileQuestion
from facilitation.storage.store import Store
from facilitation.storage.translations import Wording
from facilitation.workshop.channels import announce
from facilitation.workshop.scope import CARD_TEXT_MAX, CARD_TITLE_MAX, LIMIT_TEXT_MAX


def read_language(value: Any) -> str:
    """A shipped language's code from a form; BadRequest otherwise."""
    code = i18n.known(value)
    if code is None:
        raise BadRequest("Please choose one of the languages offered.")
    return code


def read_languages(form: Mapping[str, Any]) -> Languages:
    """A workshop's languages from the console's form: the ticked ones, the main one (which is
    always offered) and the board's first and optional second."""
    ticked = form.get("languages", [])
    ticked = [ticked] if isinstance(ticked, str) else ticked if isinstance(ticked, list) else []
    main = read_language(form.get("main"))
    chosen = [main, *(read_language(c) for c in ticked if c != main)]
    codes = tuple(dict.fromkeys(chosen))
    first = read_language(form.get("board_first") or main)
    second_value = form.get("board_second") or ""
    second = read_language(second_value) if second_value else ""
    if first not in codes or (second and second not in codes):
        raise BadRequest("The board can only show languages the workshop offers.")
    board = (first, second) if second and second != first else (first,)
    return Languages(main, codes, board)


class Translating:
    """``changed`` is called with a workshop id after a commit that its screens show."""

    def __init__(self, store: Store, hub: Hub, changed: Callable[[int], None]) -> None:
        self.store = store
        self.hub = hub
        self.changed = changed

    # -- languages -------------------------------------------------------------------------------

    async def languages(self, workshop_id: int) -> Languages:
        return await self.store.languages.workshop_languages(workshop_id)

    async def start_workshop(self, workshop: Workshop, language: str) -> None:
        """A new workshop is run in its facilitator's language until they choose others."""
        await self.store.languages.set_workshop_languages(
            workshop.id, Languages(language, (language,), (language,))
        )

    async def set_languages(self, workshop: Workshop, form: Mapping[str, Any]) -> Languages:
        chosen = read_languages(form)
        await self.store.languages.set_workshop_languages(workshop.id, chosen)
        announce(self.hub, self.changed, workshop.id, stage=True)
        return chosen

    async def user_language(self, user: User) -> str | None:
        return i18n.known(await self.store.languages.user_language(user.id))

    async def set_user_language(self, user: User, value: Any) -> str:
        code = read_language(value)
        await self.store.languages.set_user_language(user.id, code)
        return code

    # -- a workshop's words ----------------------------------------------------------------------

    async def texts(self, workshop_id: int, languages: Languages | None = None) -> Texts:
        """Every translation of a workshop's words."""
        chosen = languages or await self.languages(workshop_id)
        return await self.store.translations.workshop_texts(workshop_id, chosen.main)

    async def workshop_items(self, workshop_id: int) -> list[tuple[Key, tuple[str, ...]]]:
        """What can be translated in a workshop, in the console's order: each option (title,
        description, limit), then each round's title and its cards, with the original words."""
        items: list[tuple[Key, tuple[str, ...]]] = []
        for o in await self.store.options.options(workshop_id):
            items.append((("option", str(o.id)), (o.title, o.description, o.limit_text)))
        rounds: list[Round] = await self.store.rounds.rounds(workshop_id)
        for r in rounds:
            items.append((("round", str(r.id)), (r.title,)))
            for i, card in enumerate(r.cards):
                items.append((("card", f"{r.id}:{i}"), (card.title, card.text)))
        return items

    async def save_workshop(
        self, workshop: Workshop, language: Any, form: Mapping[str, Any]
    ) -> int:
        """Keep every translation the form gives into one of the workshop's other languages;
        returns how many things are translated. All are checked before any is kept."""
        chosen = await self.languages(workshop.id)
        code = read_language(language)
        if code not in chosen.others:
            raise BadRequest("Please choose one of the workshop's other languages.")
        items = await self.workshop_items(workshop.id)
        wordings = [read_wording(key, original, form) for key, original in items]
        await self.store.translations.save_workshop_texts(workshop.id, code, wordings)
        announce(self.hub, self.changed, workshop.id, stage=True)
        return sum(1 for w in wordings if any(w.words))

    async def translate_health_check(self, workshop: Workshop, rnd: Round) -> None:
        """A new health check in each of the workshop's other languages: its title and
        statements as the catalog words them where they are the ready-made ones, and the
        programme's translations of its own wording of them."""
        chosen = await self.languages(workshop.id)
        if not chosen.others:
            return
        programme_id = await self.store.plans.workshop_programme(workshop.id)
        texts = Texts() if programme_id is None else await self.programme_texts(programme_id)
        tags = await self.store.pact.pact_tags(workshop.id)
        options = {o.id: o for o in await self.store.options.options(workshop.id)}
        for code in chosen.others:
            wordings = []
            title = _ready_made(rnd.title, pact.CHECK_TITLE, code)
            if title:
                wordings.append(Wording(("round", str(rnd.id)), (title,), (rnd.title,)))
            for oid in rnd.option_ids:
                dimension, option = tags.get(oid), options.get(oid)
                if dimension is None or option is None:
                    continue
                key = ("statement", f"{programme_id}:{dimension}")
                words, lang = texts.words(key, code, (option.title,))
                statement = words[0] if lang == code else None
                statement = statement or _ready_made(
                    option.title, pact.DEFAULT_STATEMENTS[dimension], code
                )
                if statement:
                    source = (option.title, option.description, option.limit_text)
                    wordings.append(Wording(("option", str(oid)), (statement, "", ""), source))
            if wordings:
                await self.store.translations.save_workshop_texts(workshop.id, code, wordings)
        self.changed(workshop.id)

    # -- a programme's words ---------------------------------------------------------------------

    async def programme_languages(self, programme_id: int) -> Languages:
        return await self.store.languages.programme_languages(programme_id)

    async def programme_texts(self, programme_id: int) -> Texts:
        chosen = await self.programme_languages(programme_id)
        return await self.store.translations.programme_texts(programme_id, chosen.main)

    async def programme_items(
        self, programme: Programme, statements: Mapping[str, str]
    ) -> list[tuple[Key, tuple[str, ...]]]:
        """What can be translated in a programme: each question that is still asked and its
        choices, then the four health-check statements as the programme words them."""
        items: list[tuple[Key, tuple[str, ...]]] = []
        questions: list[ProfileQuestion] = await self.store.profiles.profile_questions(programme.id)
        for q in questions:
            items.append((("question", str(q.id)), (q.label,)))
            items.extend((("choice", str(c.id)), (c.label,)) for c in q.offered)
        for d in pact.DIMENSIONS:
            items.append((("statement", f"{programme.id}:{d}"), (statements[d],)))
        return items

    async def save_programme(
        self,
        programme: Programme,
        language: Any,
        form: Mapping[str, Any],
        statements: Mapping[str, str],
    ) -> int:
        """Keep every translation the form gives into one of the programme's languages."""
        chosen = await self.programme_languages(programme.id)
        code = read_language(language)
        if code not in chosen.others:
            raise BadRequest("Please choose one of the languages of the programme's workshops.")
        items = await self.programme_items(programme, statements)
        wordings = [read_wording(key, original, form) for key, original in items]
        await self.store.translations.save_programme_texts(programme.id, code, wordings)
        for workshop in await self.store.plans.programme_workshops(programme.id):
            self.changed(workshop.id)
        return sum(1 for w in wordings if any(w.words))


# What each field of a thing may hold: (name in the form, what the form calls it, its limit).
FIELDS: dict[str, Sequence[tuple[str, str, int]]] = {
    "option": (
        ("title", i18n.N_("Option"), TITLE_MAX),
        ("description", i18n.N_("Description"), TEXT_MAX),
        ("limit", i18n.N_("Limit or reason"), LIMIT_TEXT_MAX),
    ),
    "round": (("title", i18n.N_("Round title"), TITLE_MAX),),
    "card": (
        ("title", i18n.N_("Card title"), CARD_TITLE_MAX),
        ("text", i18n.N_("Card text"), CARD_TEXT_MAX),
    ),
    "question": (("label", i18n.N_("Question"), LABEL_MAX),),
    "choice": (("label", i18n.N_("Answer"), CHOICE_MAX),),
    "statement": (("statement", i18n.N_("Statement"), pact.STATEMENT_MAX),),
}


def _ready_made(text: str, message: str, language: str) -> str | None:
    """``message`` in ``language`` if ``text`` is that message in any shipped language."""
    if text not in {i18n.translations(code).gettext(message) for code in i18n.available()}:
        return None
    return i18n.translations(language).gettext(message)


def field_name(key: Key, field: str) -> str:
    """The form field holding one of a thing's words: "option-12-title", "card-7:0-text"."""
    return f"{key[0]}-{key[1]}-{field}"


def read_wording(key: Key, original: Sequence[str], form: Mapping[str, Any]) -> Wording:
    """One thing's translated words from the form; a field the original leaves empty stays
    empty. All empty: no translation."""
    words = []
    for (field, label, limit), source in zip(FIELDS[key[0]], original, strict=True):
        text = clean_text(
            form.get(field_name(key, field)), field=label, limit=limit, required=False
        )
        words.append(text if source else "")
    return Wording(key, tuple(words), tuple(original))
