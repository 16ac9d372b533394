"""Access and erasure per person, for the organiser: find one participant of a workshop or one
volunteer of a pool, see and download everything held about them, and erase them."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from facilitation.core.i18n import N_, N_plural, _, listed, ngettext
from facilitation.core.models import Programme, Workshop
from facilitation.people.erasure import Erasure, read_query
from facilitation.web.auth import contacts_view, current_user, facilitator
from facilitation.web.common import attachment as file_response
from facilitation.web.common import file_slug, flash, page, read_form

# What each part of a record is called on the page (the download keeps the plain keys).
SECTIONS: dict[str, str] = {
    "participant": N_("Who they are"),
    "volunteer": N_("Who they are"),
    "ballots": N_("Ballots"),
    "ideas": N_("Ideas sent"),
    "answers_about_yourself": N_("Answers about themselves"),
    "answers_kept_with_rounds": N_("Answers kept with each round"),
    "answers": N_("Answers"),
    "draws": N_("Draws"),
}
FIELDS: dict[str, str] = {
    "name": N_("Name"),
    "joined_at": N_("Joined"),
    "entered_from_paper": N_("Entered from paper"),
    "round": N_("Round"),
    "kind": N_("Kind"),
    "ballot": N_("Ballot"),
    "choices": N_("Choices"),
    "saved_at": N_("Saved"),
    "text": N_("Text"),
    "as_sent": N_("As sent"),
    "status": N_("Status"),
    "sent_at": N_("Sent"),
    "question": N_("Question"),
    "answer": N_("Answer"),
    "answered_at": N_("Answered"),
    "ballot_ids_received": N_("Ballot ids received"),
    "number_in_pool": N_("Number in the pool"),
    "email": N_("Email"),
    "phone": N_("Phone"),
    "household_or_address": N_("Household or address"),
    "draw": N_("Draw"),
    "drawn_at": N_("Drawn"),
    "outcome": N_("Outcome"),
    "chance": N_("Chance"),
}


MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def erasure(request: Request) -> Erasure:
    return request.app.state.erasure


def shown(value: Any) -> str:
    """A value as the page shows it: structures as compact JSON, yes/no for flags."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if isinstance(value, str) and MOMENT.fullmatch(value):
        return value.replace("T", " ")[:16] + " UTC"
    return "" if value is None else str(value)


def sections(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The record as headed sections: a list of fields, or a table of rows."""
    out: list[dict[str, Any]] = []
    scalars = []
    for key, value in record.items():
        if isinstance(value, dict):
            fields = [(_(FIELDS.get(k) or str(k)), shown(v)) for k, v in value.items()]
            out.append({"title": _(SECTIONS.get(key, key)), "fields": fields, "rows": None})
        elif isinstance(value, list):
            # A ballot's stored form names options by number: the page shows it in words.
            columns = [c for c in value[0] if c != "ballot"] if value else []
            out.append(
                {
                    "title": _(SECTIONS.get(key, key)),
                    "columns": [_(FIELDS.get(c, c)) for c in columns],
                    "rows": [[shown(row.get(c)) for c in columns] for row in value],
                    "fields": None,
                }
            )
        else:
            scalars.append((_(FIELDS.get(key, key)), shown(value)))
    if scalars and out and out[0]["fields"] is not None:
        out[0]["fields"] += scalars
    return out


# What an erasure did to each kind of record, by the key the erasure records it under.
ERASED: dict[str, tuple[str, str]] = {
    "names": N_plural("{n} name erased", "{n} names erased"),
    "contact_details": N_plural("contact details erased", "contact details erased"),
    "ballots_kept_anonymous": N_plural(
        "{n} ballot kept without a name", "{n} ballots kept without a name"
    ),
    "ideas_kept_anonymous": N_plural(
        "{n} idea kept without a name", "{n} ideas kept without a name"
    ),
    "round_answers_kept_anonymous": N_plural(
        "{n} answer kept with its round without a name",
        "{n} answers kept with their rounds without a name",
    ),
    "ballot_ids": N_plural("{n} ballot receipt deleted", "{n} ballot receipts deleted"),
    "profile_answers": N_plural(
        "{n} answer about themselves deleted", "{n} answers about themselves deleted"
    ),
    "answers": N_plural("{n} answer deleted", "{n} answers deleted"),
    "answers_kept_anonymous": N_plural(
        "{n} answer kept under a number for past draws",
        "{n} answers kept under a number for past draws",
    ),
}


def counted(counts: dict[str, Any]) -> str:
    """What an erasure took, in words: the kinds of record it erased or made anonymous."""
    said = []
    for key, n in counts.items():
        if not n:
            continue
        forms = ERASED.get(key)
        said.append(ngettext(*forms, n) if forms else f"{key.replace('_', ' ')}: {n}")
    return listed(said)


def attachment(record: dict[str, Any], name: str) -> Response:
    body = json.dumps(record, ensure_ascii=False, indent=2)
    return file_response(body, f"held-about-{file_slug(name, 'person')}.json", "application/json")


# -- a workshop's participants ---------------------------------------------------------------------


def people_url(workshop: Workshop) -> str:
    return f"/f/workshops/{workshop.id}/people"


@facilitator
async def participants_page(request: Request, workshop: Workshop) -> Response:
    query = request.query_params.get("name", "")
    found = await erasure(request).find_participants(workshop, read_query(query))
    store = request.app.state.store
    return page(
        request,
        "pages/erasure_find.html",
        heading=_("Find a participant"),
        crumbs=[(f"/f/workshops/{workshop.id}", workshop.title)],
        action=people_url(workshop),
        field="name",
        field_label=_("Name they joined with"),
        query=query,
        results=[
            {
                "href": f"{people_url(workshop)}/{p['id']}",
                "label": p["name"],
                "detail": _("joined {when}", when=shown(p["joined_at"]))
                + (" · " + _("paper ballot") if p["paper"] else ""),
            }
            for p in found
        ],
        erasures=await store.erasures.workshop_erasures(workshop.id),
        counted=counted,
    )


@facilitator
async def participant_page(request: Request, workshop: Workshop) -> Response:
    participant_id = request.path_params["participant_id"]
    record = await erasure(request).participant(workshop, participant_id)
    here = f"{people_url(workshop)}/{participant_id}"
    return page(
        request,
        "pages/erasure_person.html",
        person=record["participant"]["name"],
        crumbs=[
            (f"/f/workshops/{workshop.id}", workshop.title),
            (people_url(workshop), _("Find a participant")),
        ],
        sections=sections(record),
        download=here + "/held.json",
        erase=here + "/erase",
        kept=_(
            "Their ballots, ideas and the answers kept with each round stay in the results, "
            "without their name, under a new anonymous number; their name, their answers about "
            "themselves and their phone's link to the workshop are deleted."
        ),
    )


@facilitator
async def participant_json(request: Request, workshop: Workshop) -> Response:
    record = await erasure(request).participant(workshop, request.path_params["participant_id"])
    return attachment(record, record["participant"]["name"])


@facilitator
async def erase_participant(request: Request, workshop: Workshop) -> Response:
    form = await read_form(request)
    participant_id = request.path_params["participant_id"]
    uc = erasure(request)
    name = (await uc.participant(workshop, participant_id))["participant"]["name"]
    by = current_user(request).username
    counts = await uc.erase_participant(workshop, participant_id, form, by)
    # A phone still connected would otherwise keep acting for someone who no longer exists.
    await request.app.state.sockets.close_participant(participant_id)
    flash(request, _("Erased “{name}” ({counts}).", name=name, counts=counted(counts)))
    return RedirectResponse(people_url(workshop), status_code=303)


# -- a pool's volunteers ---------------------------------------------------------------------------


def pool_url(programme: Programme, pool_id: int) -> str:
    return f"/f/programmes/{programme.id}/panels/{pool_id}"


@contacts_view
async def volunteers_page(request: Request, programme: Programme) -> Response:
    pool = await request.app.state.lotteries.pool_in(programme, request.path_params["pool_id"])
    query = request.query_params.get("q", "")
    found = await erasure(request).find_volunteers(pool.id, read_query(query))
    here = pool_url(programme, pool.id)
    return page(
        request,
        "pages/erasure_find.html",
        heading=_("Find a volunteer"),
        crumbs=[
            (f"/f/programmes/{programme.id}/panels", _("Panel lottery")),
            (here, pool.title),
        ],
        action=here + "/people",
        field="q",
        field_label=_("Name or email"),
        query=query,
        results=[
            {
                "href": f"{here}/people/{v['id']}",
                "label": v["name"],
                "detail": " · ".join(x for x in (_("no. {n}", n=v["number"]), v["email"]) if x),
            }
            for v in found
        ],
        erasures=await request.app.state.store.erasures.pool_erasures(pool.id),
        counted=counted,
    )


@contacts_view
async def volunteer_page(request: Request, programme: Programme) -> Response:
    pool = await request.app.state.lotteries.pool_in(programme, request.path_params["pool_id"])
    volunteer_id = request.path_params["volunteer_id"]
    record = await erasure(request).volunteer(pool.id, volunteer_id)
    here = f"{pool_url(programme, pool.id)}/people/{volunteer_id}"
    return page(
        request,
        "pages/erasure_person.html",
        person=record["volunteer"]["name"],
        crumbs=[
            (pool_url(programme, pool.id), pool.title),
            (pool_url(programme, pool.id) + "/people", _("Find a volunteer")),
        ],
        sections=sections(record),
        download=here + "/held.json",
        erase=here + "/erase",
        kept=_(
            "Their name, email, phone and household or address are deleted. They keep their "
            "number in the pool, so recorded draws still read right; their answers are deleted "
            "too, unless a draw was recorded from this pool (then they stay, without a name)."
        ),
    )


@contacts_view
async def volunteer_json(request: Request, programme: Programme) -> Response:
    pool = await request.app.state.lotteries.pool_in(programme, request.path_params["pool_id"])
    record = await erasure(request).volunteer(pool.id, request.path_params["volunteer_id"])
    return attachment(record, record["volunteer"]["name"])


@contacts_view
async def erase_volunteer(request: Request, programme: Programme) -> Response:
    pool = await request.app.state.lotteries.pool_in(programme, request.path_params["pool_id"])
    form = await read_form(request)
    volunteer_id = request.path_params["volunteer_id"]
    uc = erasure(request)
    name = (await uc.volunteer(pool.id, volunteer_id))["volunteer"]["name"]
    by = current_user(request).username
    counts = await uc.erase_volunteer(pool.id, volunteer_id, form, by)
    flash(request, _("Erased “{name}” ({counts}).", name=name, counts=counted(counts)))
    return RedirectResponse(pool_url(programme, pool.id) + "/people", status_code=303)
