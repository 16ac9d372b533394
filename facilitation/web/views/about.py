"""The phone's optional "About you" page: a programme's profile questions, offered once per
programme on joining, skippable, and open to change at any time. Answers are kept apart from
votes; this device remembers its respondent per programme in its session, so a later workshop of
the same programme does not ask again."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from facilitation.core.errors import BadRequest, Conflict
from facilitation.core.i18n import _, current
from facilitation.people.rules import PREFER_NOT_TO_SAY, question_in
from facilitation.web.common import csrf_token, flash, read_form
from facilitation.web.phone import place_of, profiles, respondent_of, speak


async def about_page(request: Request) -> Response:
    workshop, participant = await place_of(request)
    languages = await speak(request, workshop)
    found = await respondent_of(request, workshop, participant)
    if found is None:
        return RedirectResponse(f"/w/{workshop.code}", status_code=303)
    questions, respondent = found
    answers = await request.app.state.store.profiles.profile_answers(respondent.id)
    texts = await request.app.state.translating.programme_texts(respondent.programme_id)
    csrf_token(request)
    return request.app.state.renderer.page(
        request,
        "pages/about.html",
        workshop=workshop,
        languages=languages,
        questions=[question_in(q, texts, current()) for q in questions],
        answers=answers,
        first=request.query_params.get("first") == "1",
        prefer_not=PREFER_NOT_TO_SAY,
    )


async def save_about(request: Request) -> Response:
    """Save, skip, or remove this person's answers, then go on to the workshop."""
    form = await read_form(request)
    workshop, participant = await place_of(request)
    await speak(request, workshop)
    found = await respondent_of(request, workshop, participant)
    phone = RedirectResponse(f"/w/{workshop.code}", status_code=303)
    if found is None:
        return phone
    questions, respondent = found
    action = form.get("action")
    uc = profiles(request)
    if action == "skip":
        return phone
    if action == "clear":
        await uc.clear_answers(participant, respondent)
        flash(
            request,
            _(
                "Your answers are removed everywhere, and so is your name. "
                "Your votes still count, with nothing about you attached."
            ),
        )
    elif action == "save":
        try:
            await uc.save_answers(participant, respondent, questions, form)
        except (BadRequest, Conflict) as exc:
            flash(request, exc.text(), "error")
            return RedirectResponse(f"/w/{workshop.code}/about", status_code=303)
        flash(request, _("Thank you. Your answers are saved; you can change them at any time."))
    else:
        raise BadRequest("The form could not be read. Please reload the page and try again.")
    return phone
