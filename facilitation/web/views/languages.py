"""Choosing languages: a device's (the phone's and home page's switch), a facilitator's own (the
header's), a workshop's (on its console), and the page where a facilitator gives a workshop's or
a programme's words in its other languages."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from facilitation.core import i18n
from facilitation.core.i18n import _, ngettext
from facilitation.core.models import Programme, Workshop
from facilitation.core.wording import Key, Languages, Texts
from facilitation.web.auth import facilitator, programme_view, signed_in
from facilitation.web.common import csrf_token, flash, read_form
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
    return RedirectResponse(_back(form.get("next")), status_code=303)


@signed_in
async def own_language(request: Request) -> Response:
    """The header's switch for a facilitator: their pages, on every device, in that language."""
    form = await read_form(request)
    await translating(request).set_user_language(request.scope["user"], form.get("lang"))
    return RedirectResponse(_back(form.get("next"), "/f"), status_code=303)


@facilitator
async def workshop_languages(request: Request, workshop: Workshop) -> Response:
    form = await read_form(request)
    chosen = await translating(request).set_languages(workshop, form)
    names = ", ".join(i18n.own_name(code) for code in chosen.all)
    flash(request, _("This workshop's languages: {names}.", names=names))
    return RedirectResponse(f"/f/workshops/{workshop.id}#languages-h", status_code=303)


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


@facilitator
async def workshop_translations(request: Request, workshop: Workshop) -> Response:
    uc = translating(request)
    languages = await uc.languages(workshop.id)
    language = _language_asked(request, languages)
    items = await uc.workshop_items(workshop.id) if language else []
    texts = await uc.texts(workshop.id, languages)
    csrf_token(request)
    return request.app.state.renderer.page(
        request,
        "pages/translations.html",
        owner=workshop.title,
        back=f"/f/workshops/{workshop.id}",
        action=f"/f/workshops/{workshop.id}/translations",
        languages=languages,
        language=language,
        rows=_rows(items, texts, language) if language else [],
        what=WHAT,
    )


@facilitator
async def save_workshop_translations(request: Request, workshop: Workshop) -> Response:
    form = await read_form(request)
    language = form.get("lang")
    count = await translating(request).save_workshop(workshop, language, form)
    flash(request, _saved(language, count))
    return RedirectResponse(
        f"/f/workshops/{workshop.id}/translations?lang={language}", status_code=303
    )


def _saved(language: object, count: int) -> str:
    code = read_language(language)
    return ngettext(
        "Saved: {n} thing is translated into {language}.",
        "Saved: {n} things are translated into {language}.",
        count,
        language=i18n.name_in(code, i18n.current()),
    )


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
    csrf_token(request)
    return request.app.state.renderer.page(
        request,
        "pages/translations.html",
        owner=programme.title,
        back=f"/f/programmes/{programme.id}",
        action=f"/f/programmes/{programme.id}/translations",
        languages=languages,
        language=language,
        rows=_rows(items, texts, language) if language else [],
        what=WHAT,
    )


@programme_view
async def save_programme_translations(request: Request, programme: Programme) -> Response:
    form = await read_form(request)
    language = form.get("lang")
    statements = await _statements(request, programme)
    count = await translating(request).save_programme(programme, language, form, statements)
    flash(request, _saved(language, count))
    return RedirectResponse(
        f"/f/programmes/{programme.id}/translations?lang={language}", status_code=303
    )
