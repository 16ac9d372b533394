"""Choosing languages: a device's (the phone's and home page's switch), a facilitator's own (the
header's), a workshop's (on its console), and the page where a facilitator gives a workshop's or
a programme's words in its other languages."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from facilitation.core import i18n
from facilitation.core.i18n import _, ngettext
from facilitation.core.models import Programme, Workshop
from facilitation.core.wording import Key, Languages, Texts
from facilitation.web.auth import facilitator, programme_view, signed_in
from facilitation.web.common import csrf_token, read_form, redirect
from facilitation.web.middleware import DEVICE_LANGUAGE
from facilitation.workshop.translating import FIELDS, Translating, field_name, read_language


def translating(request: Request) -> Translating:
    return request.app.state.translating


def _back(value: object, fallback: str = "/") -> str:
    """A page of this site to go back to (never another site's)."""
    text = value if isinstance(value, str) else ""
    return text if text.startswith("/") and not text.startswith("//") else fallback


async def device_language(request: Request) -> Response:
    """The phone's and home page's switch: this device reads the site in the chosen language."""
    form = await read_form(request)
    request.session[DEVICE_LANGUAGE] = read_language(form.get("lang"))
    return redirect(request, _back(form.get("next")))


@signed_in
async def own_language(request: Request) -> Response:
    """The header's switch for a facilitator: their pages, on every device, in that language."""
    form = await read_form(request)
    await translating(request).set_user_language(request.scope["user"], form.get("lang"))
    return redirect(request, _back(form.get("next"), "/f"))


@facilitator
async def workshop_languages(request: Request, workshop: Workshop) -> Response:
    form = await read_form(request)
    chosen = await translating(request).set_languages(workshop, form)
    names = ", ".join(i18n.own_name(code) for code in chosen.all)
    message = _("This workshop's languages: {names}.", names=names)
    return redirect(request, f"/f/workshops/{workshop.id}#languages-h", message)


def _rows(
    items: list[tuple[Key, tuple[str, ...]]], texts: Texts, language: str
) -> list[dict[str, Any]]:
    """Each translatable thing for the page: what it is, its original words and the fields to
    give them in ``language`` (with what is kept now), and whether that is up to date."""
    rows = []
    for key, original in items:
        kept = texts.translation(key, language)
        fields = [
            {
                "name": field_name(key, field),
                "label": label,
                "limit": limit,
                "original": source,
                "value": kept.words[i] if kept else "",
                "long": field in ("description", "text"),
            }
            for i, ((field, label, limit), source) in enumerate(
                zip(FIELDS[key[0]], original, strict=True)
            )
            if source
        ]
        rows.append(
            {
                "key": key,
                "state": texts.state(key, language, original),
                "fields": fields,
            }
        )
    return rows


def _language_asked(request: Request, languages: Languages) -> str | None:
    asked = request.query_params.get("lang")
    if asked in languages.others:
        return asked
    return languages.others[0] if languages.others else None


WHAT = {
    "option": i18n.N_("Option"),
    "round": i18n.N_("Round"),
    "card": i18n.N_("Information card"),
    "question": i18n.N_("Question"),
    "choice": i18n.N_("Answer"),
    "statement": i18n.N_("Health check statement"),
}


def _translations_page(
    request: Request,
    owner: str,
    back: str,
    languages: Languages,
    language: str | None,
    items: list[tuple[Key, tuple[str, ...]]],
    texts: Texts,
) -> Response:
    """The page giving a workshop's or a programme's (``owner``'s, whose page is ``back``) words
    in ``language``."""
    csrf_token(request)
    return request.app.state.renderer.page(
        request,
        "pages/translations.html",
        owner=owner,
        back=back,
        action=f"{back}/translations",
        languages=languages,
        language=language,
        rows=_rows(items, texts, language) if language else [],
        what=WHAT,
    )


def _saved(request: Request, back: str, language: object, count: int) -> Response:
    """Back to the translations page in the language just saved, saying how much is translated."""
    code = read_language(language)
    message = ngettext(
        "Saved: {n} thing is translated into {language}.",
        "Saved: {n} things are translated into {language}.",
        count,
        language=i18n.name_in(code, i18n.current()),
    )
    return redirect(request, f"{back}/translations?lang={language}", message)


@facilitator
async def workshop_translations(request: Request, workshop: Workshop) -> Response:
    uc = translating(request)
    languages = await uc.languages(workshop.id)
    language = _language_asked(request, languages)
    items = await uc.workshop_items(workshop.id) if language else []
    texts = await uc.texts(workshop.id, languages)
    back = f"/f/workshops/{workshop.id}"
    return _translations_page(request, workshop.title, back, languages, language, items, texts)


@facilitator
async def save_workshop_translations(request: Request, workshop: Workshop) -> Response:
    form = await read_form(request)
    language = form.get("lang")
    count = await translating(request).save_workshop(workshop, language, form)
    return _saved(request, f"/f/workshops/{workshop.id}", language, count)


async def _statements(request: Request, programme: Programme) -> dict[str, str]:
    statements: dict[str, str] = await request.app.state.health.statements(programme.id)
    return statements


@programme_view
async def programme_translations(request: Request, programme: Programme) -> Response:
    uc = translating(request)
    languages = await uc.programme_languages(programme.id)
    language = _language_asked(request, languages)
    statements = await _statements(request, programme)
    items = await uc.programme_items(programme, statements) if language else []
    texts = await uc.programme_texts(programme.id)
    back = f"/f/programmes/{programme.id}"
    return _translations_page(request, programme.title, back, languages, language, items, texts)


@programme_view
async def save_programme_translations(request: Request, programme: Programme) -> Response:
    form = await read_form(request)
    language = form.get("lang")
    statements = await _statements(request, programme)
    count = await translating(request).save_programme(programme, language, form, statements)
    return _saved(request, f"/f/programmes/{programme.id}", language, count)
