"""The phone's optional "About you" page: a programme's profile questions, offered once per
programme on joining, skippable, and open to change at any time. Answers are kept apart from
votes; this device remembers its respondent per programme in its session, so a later workshop of
the same programme does not ask again."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from facilitation.core.errors import BadRequest, Conflict, NotFound
from facilitation.core.i18n import _
from facilitation.core.models import Participant, Workshop
from facilitation.people.profiles import Profiles
from facilitation.people.rules import PREFER_NOT_TO_SAY, Respondent
from facilitation.web.common import csrf_token, flash, read_form
from facilitation.workshop.workshops import who

# The session key holding this device's respondent token per programme: {programme id: token}.
RESPONDENTS = "r"


def profiles(request: Request) -> Profiles:
    return request.app.state.profiles


def _token(request: Request, programme_id: int) -> str | None:
    tokens = request.session.get(RESPONDENTS)
    token = tokens.get(str(programme_id)) if isinstance(tokens, dict) else None
    return token if isinstance(token, str) and 0 < len(token) <= 64 else None


def _remember(request: Request, respondent: Respondent) -> None:
    tokens = request.session.get(RESPONDENTS)
    tokens = dict(tokens) if isinstance(tokens, dict) else {}
    tokens[str(respondent.programme_id)] = respondent.token
    request.session[RESPONDENTS] = tokens  # assigned, so the cookie is rewritten


async def after_join(request: Request, workshop: Workshop, participant: Participant) -> str:
    """Where a phone goes once it has joined: to "About you" the first time this device meets a
    programme that asks questions, else straight to the workshop."""
    phone = f"/w/{workshop.code}"
    uc = profiles(request)
    asked = await uc.asked(workshop)
    if asked is None:
        return phone
    token = _token(request, asked[0])
    respondent = await uc.respondent(participant, asked[0], token)
    if respondent is None:
        return phone
    _remember(request, respondent)
    return phone if token == respondent.token else f"{phone}/about?first=1"


async def _place(request: Request) -> tuple[Workshop, Participant]:
    """The workshop in the path and this device's place in it."""
    workshop = await request.app.state.workshops.find_by_code(
        request.path_params["code"], who(request)
    )
    places = request.session.get("p")
    token = places.get(str(workshop.id)) if isinstance(places, dict) else None
    participant = (
        await request.app.state.store.workshops.participant_by_token(token)
        if isinstance(token, str)
        else None
    )
    if participant is None or participant.workshop_id != workshop.id:
        raise NotFound("place in this workshop")
    return workshop, participant


async def _respondent(request: Request, workshop: Workshop, participant: Participant):
    """The programme's questions and this participant's respondent, or None if none are asked."""
    uc = profiles(request)
    asked = await uc.asked(workshop)
    if asked is None:
        return None
    respondent = await uc.respondent(participant, asked[0], _token(request, asked[0]))
    if respondent is None:
        return None
    _remember(request, respondent)
    return asked[1], respondent


async def about_page(request: Request) -> Response:
    workshop, participant = await _place(request)
    found = await _respondent(request, workshop, participant)
    if found is None:
        return RedirectResponse(f"/w/{workshop.code}", status_code=303)
    questions, respondent = found
    answers = await request.app.state.store.profiles.profile_answers(respondent.id)
    csrf_token(request)
    return request.app.state.renderer.page(
        request,
        "pages/about.html",
        workshop=workshop,
        questions=questions,
        answers=answers,
        first=request.query_params.get("first") == "1",
        prefer_not=PREFER_NOT_TO_SAY,
    )


async def save_about(request: Request) -> Response:
    """Save, skip, or remove this person's answers, then go on to the workshop."""
    form = await read_form(request)
    workshop, participant = await _place(request)
    found = await _respondent(request, workshop, participant)
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
            _("Your answers are removed. Votes that have already closed keep their groups."),
        )
    elif action == "save":
        try:
            await uc.save_answers(participant, respondent, questions, form)
        except (BadRequest, Conflict) as exc:
            flash(request, _(exc.message, **exc.params), "error")
            return RedirectResponse(f"/w/{workshop.code}/about", status_code=303)
        flash(request, _("Thank you. Your answers are saved; you can change them at any time."))
    else:
        raise BadRequest("The form could not be read. Please reload the page and try again.")
    return phone
