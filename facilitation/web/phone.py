"""A phone's place in a workshop, its respondent per programme and its language, kept in the
device's session."""

from __future__ import annotations

from starlette.requests import HTTPConnection, Request

from facilitation.core.errors import NotFound
from facilitation.core.i18n import activate, choose
from facilitation.core.models import Participant, Workshop
from facilitation.core.wording import Languages
from facilitation.people.profiles import Profiles
from facilitation.people.rules import ProfileQuestion, Respondent
from facilitation.web.middleware import DEVICE_LANGUAGE
from facilitation.workshop.ballots import places_of

# The session key holding this device's respondent token per programme: {programme id: token}.
RESPONDENTS = "r"
# The session key holding the token of the shared door tablet this device is, if it is one.
DOOR_TABLET = "k"


def on_door_tablet(request: Request) -> bool:
    """Whether this device is a shared tablet at a workshop's door."""
    return isinstance(request.session.get(DOOR_TABLET), str)


def clear_person(request: Request) -> None:
    """Forget who is using this device (their place and their answers about themselves), so the
    next person on a shared tablet starts afresh and cannot see the last one's ballot."""
    request.session.pop("p", None)
    request.session.pop(RESPONDENTS, None)


def profiles(request: Request) -> Profiles:
    return request.app.state.profiles


def respondent_token(request: Request, programme_id: int) -> str | None:
    tokens = request.session.get(RESPONDENTS)
    token = tokens.get(str(programme_id)) if isinstance(tokens, dict) else None
    return token if isinstance(token, str) and 0 < len(token) <= 64 else None


def remember_respondent(request: Request, respondent: Respondent) -> None:
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
    token = respondent_token(request, asked[0])
    respondent = await uc.respondent(participant, asked[0], token)
    if respondent is None:
        return phone
    remember_respondent(request, respondent)
    return phone if token == respondent.token else f"{phone}/about?first=1"


async def place_of(request: Request) -> tuple[Workshop, Participant]:
    """The workshop in the path and this device's place in it; anyone who has not joined is told
    to, whether or not the code exists."""
    member = await request.app.state.ballots.member(request.path_params["code"], places_of(request))
    if member is None:
        raise NotFound("place in this workshop")
    workshop, participant = member
    return workshop, participant


async def respondent_of(
    request: Request, workshop: Workshop, participant: Participant
) -> tuple[list[ProfileQuestion], Respondent] | None:
    """The programme's questions and this participant's respondent, or None if none are asked."""
    uc = profiles(request)
    asked = await uc.asked(workshop)
    if asked is None:
        return None
    respondent = await uc.respondent(participant, asked[0], respondent_token(request, asked[0]))
    if respondent is None:
        return None
    remember_respondent(request, respondent)
    return asked[1], respondent


async def speak(conn: HTTPConnection, workshop: Workshop) -> Languages:
    """Make the phone's language current for a page or socket of this workshop and return the
    workshop's languages: the one this device chose if the workshop offers it, else the
    browser's among them, else the workshop's main one."""
    languages: Languages = await conn.app.state.translating.languages(workshop.id)
    session = conn.scope.get("session") or {}
    accept = conn.headers.get("accept-language")
    activate(choose(session.get(DEVICE_LANGUAGE), accept, languages.all, languages.main))
    return languages
