"""Hostile input: generated websocket messages against a real server, and generated forms for
every POST route in process. Whatever arrives, there is an answer and never a 500 or a crash, and
anything refused changes nothing and says why in plain words."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections import deque
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route
from websockets.exceptions import ConnectionClosed

from facilitation.core.models import Role
from facilitation.people.rules import Volunteer
from tests.conftest import new_client
from tests.helpers import (
    PASSWORD,
    Facilitator,
    Phone,
    Server,
    ServerOutput,
    add_user,
    csrf_of,
    db_query,
    db_rows,
    db_rows_read_only,
    signed_in_facilitator,
)

WAIT = 10.0
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# The server throttles each phone connection; one message per socket per GAP stays well under it.
GAP = 1.05
WS_LIMIT = 65536  # the server's default largest websocket message

# -- values a hostile client might send ------------------------------------------------------------

surrogates = st.characters(categories=["Cs"])
unicode_text = st.text(max_size=30)


def with_a_surrogate(min_size: int = 0, max_size: int = 30) -> st.SearchStrategy[str]:
    """Text holding a lone surrogate: a JSON escape can carry one, UTF-8 cannot."""
    half = st.text(max_size=max_size // 2 - 1)
    return st.builds(lambda a, s, b: (a + s + b).ljust(min_size, "x"), half, surrogates, half)


with_surrogates = unicode_text | with_a_surrogate()
huge_ints = st.integers(min_value=2**63 - 2, max_value=10**40) | st.integers(max_value=-(2**63))
numbers = st.integers(-5, 12) | huge_ints | st.floats(allow_nan=True, allow_infinity=True)
odd_numbers = st.sampled_from(
    ["", " ", "0", "1", " 2 ", "-1", "3", "4", "101", "1.5", "1e3", "0x1", "nan", "inf", "-0",
     "²", "١٢", "\u00a0", "９", "00000000000001", "9" * 5000, "1" * 12]
)  # fmt: skip
json_scalars = st.none() | st.booleans() | numbers | with_surrogates | odd_numbers
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(unicode_text, inner, max_size=4),
    max_leaves=12,
)


def long_text(max_chars: int = 15_000) -> st.SearchStrategy[str]:
    """A long run of one character (up to four bytes each in UTF-8)."""
    return st.builds(
        lambda ch, n: ch * n,
        st.characters(exclude_categories=["Cs"]),
        st.integers(max_chars // 10, max_chars),
    )


def nested(depth: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    return depth.flatmap(
        lambda d: st.sampled_from(["[" * d + "]" * d, '{"a":' * d + "1" + "}" * d, "[" * d])
    )


# -- the websocket handler, against a real server --------------------------------------------------


@dataclass(repr=False)
class Hall:
    """One workshop with an open round and phones whose sockets are open."""

    workshop_id: int
    code: str
    round_id: int
    kind: str
    options: list[int]
    sockets: deque = field(default_factory=deque)  # (phone index, socket, last used)


@dataclass(repr=False)
class Venue:
    server: Server
    halls: list[Hall]

    async def take(self, hall: Hall):
        """The hall's socket that has rested longest, once it has rested GAP seconds."""
        loop = asyncio.get_running_loop()
        index, ws, last = hall.sockets.popleft()
        await asyncio.sleep(max(0.0, last + GAP - loop.time()))
        hall.sockets.append((index, ws, loop.time()))
        return index, ws


PHONES_PER_HALL = 12


@pytest.fixture
async def venue(tmp_path):
    """A real server with two workshops (an open dot round, an open ranking), twelve phones in
    each with their sockets open; afterwards, the server's output must show no error."""
    data = str(tmp_path / "fuzz.sqlite3")
    add_user(data)
    server = Server(data).start()
    output = ServerOutput(server)
    try:
        async with AsyncExitStack() as stack:
            staff = await stack.enter_async_context(
                httpx.AsyncClient(base_url=server.url, timeout=WAIT)
            )
            facilitator = Facilitator(staff)
            assert (await facilitator.login()).status_code == 303
            halls = []
            for kind in ("dots", "rank"):
                workshop_id, code = await facilitator.create_workshop(f"Estate {kind}")
                options = [
                    await facilitator.add_option(workshop_id, title)
                    for title in ("Benches", "Lighting", "Trees")
                ]
                round_id = await facilitator.create_round(
                    workshop_id, "Priorities", options, kind=kind
                )
                await facilitator.round_action(workshop_id, round_id, "open")
                halls.append(Hall(workshop_id, code, round_id, kind, options))
            for hall in halls:
                for i in range(PHONES_PER_HALL):
                    client = await stack.enter_async_context(
                        httpx.AsyncClient(base_url=server.url, timeout=WAIT)
                    )
                    phone = Phone(client, ws_base=server.ws_url)
                    assert (await phone.join(hall.code)).status_code == 200  # the stage itself
                    ws = await stack.enter_async_context(phone.socket())
                    first = await asyncio.wait_for(ws.recv(), WAIT)
                    assert first.startswith(f'<section id="stage-{hall.workshop_id}"')
                    hall.sockets.append((i, ws, 0.0))
            made = Venue(server, halls)
            yield made
            # Every socket is still open and still takes a good ballot.
            for hall in halls:
                for _ in range(len(hall.sockets)):
                    _index, ws = await made.take(hall)
                    await ws.send(good_ballot(hall))
                    assert state_of(await reply_to(ws)) == "saved"
    finally:
        log = output.stop()
    assert "Traceback" not in log and "Exception" not in log, log[-3000:]


def good_ballot(hall: Hall) -> str:
    if hall.kind == "dots":
        return Phone.ballot_message(hall.round_id, {hall.options[0]: 1})
    return Phone.ballot_message(hall.round_id, ranking=hall.options)


async def reply_to(ws) -> str:
    try:
        return await asyncio.wait_for(ws.recv(), WAIT)
    except ConnectionClosed as closed:
        raise AssertionError(f"the server closed the socket: {closed!r}") from closed


def state_of(status: str) -> str:
    return re.search(r'id="ballot-status".*?data-state="(\w+)"', status, re.S).group(1)


@st.composite
def valid_ballots(draw, hall: Hall) -> str:
    client_id = draw(st.uuids()).hex
    if hall.kind == "rank":
        order = draw(st.permutations(hall.options))
        return Phone.ballot_message(hall.round_id, ranking=order, client_id=client_id)
    dots: dict[int, int] = {}
    for option in draw(st.lists(st.sampled_from(hall.options), min_size=1, max_size=5)):
        dots[option] = min(3, dots.get(option, 0) + 1)
    return Phone.ballot_message(hall.round_id, dots, client_id=client_id)


@st.composite
def ballot_like(draw, own: Hall, other: Hall) -> str:
    """A JSON object shaped like the ballot form, with any field wrong in any way."""
    option_ids = own.options + other.options + [0, 999_999]
    fields: dict = {}
    if draw(st.integers(0, 4)):
        fields["action"] = "ballot"
    elif draw(st.booleans()):
        fields["action"] = draw(json_values)
    if draw(st.integers(0, 5)):
        fields["round_id"] = draw(
            st.sampled_from([own.round_id, str(own.round_id), other.round_id, str(other.round_id)])
            | st.sampled_from([0, -1, 999_999, "999999", "", " 1"])
            | json_values
        )
    if draw(st.integers(0, 5)):
        fields["client_id"] = draw(
            st.uuids().map(lambda u: u.hex)
            | st.text(min_size=8, max_size=64)
            | with_a_surrogate(8, 64)
            | json_values
            | long_text(300)
        )
    for _ in range(draw(st.integers(0, 5))):
        key = draw(
            st.sampled_from([f"dots-{o}" for o in option_ids])
            | st.sampled_from(["dots-", "dots--1", "dots-1.0", "dots-²", "dots-" + "9" * 30])
            | unicode_text.map(lambda t: "dots-" + t)
            | with_surrogates
        )
        fields[key] = draw(numbers | odd_numbers | json_values)
    if draw(st.booleans()):
        fields["rank"] = draw(
            st.lists(st.sampled_from(option_ids) | st.sampled_from(option_ids).map(str), max_size=7)
            | json_values
        )
    if draw(st.booleans()):
        fields["HEADERS"] = draw(json_values)
    fields.update(draw(st.dictionaries(unicode_text, json_values, max_size=3)))
    return json.dumps(fields)


def frames(own: Hall, other: Hall) -> st.SearchStrategy[str | bytes]:
    """Anything a client could send as one websocket message under the size limit."""
    return st.one_of(
        valid_ballots(own),
        valid_ballots(own),
        ballot_like(own, other),
        ballot_like(own, other),
        ballot_like(own, other),
        st.text(max_size=200),  # mostly not JSON at all
        json_values.map(json.dumps),  # JSON, but not a ballot (lists, strings, numbers ...)
        nested(st.integers(2, 30_000)),  # deep nesting, under the size limit
        long_text(15_000).map(lambda t: json.dumps({"action": "ballot", "client_id": t})),
        long_text(15_000),
        st.binary(max_size=300),  # a binary frame instead of text
    ).filter(lambda m: len(m if isinstance(m, bytes) else m.encode()) < WS_LIMIT)


async def answer_and_check(venue: Venue, own: Hall, message: str | bytes) -> str:
    """Send one message from a phone in ``own``; check the reply and what the database holds."""
    _index, ws = await venue.take(own)
    path = venue.server.data_path
    before = db_rows_read_only(path)

    await ws.send(message)
    reply = await reply_to(ws)

    assert reply.startswith('<p id="ballot-status"'), reply[:200]
    assert 'hx-swap-oob="true"' in reply
    state = state_of(reply)
    assert state in ("saved", "error"), reply
    if state == "error":
        assert "⚠" in reply
        assert db_rows_read_only(path) == before, "a refused message changed the database"
        return state
    # Saved: only a well-formed ballot for this phone's own open round gets here.
    fields = json.loads(message)
    client_id = re.search(r'data-client-id="([^"]*)"', reply).group(1)
    assert client_id == fields["client_id"]
    stored = db_query(
        path, "SELECT round_id FROM submissions WHERE client_id = ?", (fields["client_id"],)
    )
    assert (own.round_id,) in stored
    # A resend of a ballot already saved is acknowledged as saved whatever else it carries and
    # changes nothing; anything newly stored names the phone's own open round.
    if db_rows_read_only(path) != before:
        assert int(fields["round_id"]) == own.round_id
    return state


@FUZZ
@given(data=st.data())
async def test_every_websocket_message_is_answered_and_only_a_valid_ballot_changes_anything(
    venue, data
):
    which = data.draw(st.sampled_from([0, 1]), label="hall")
    own, other = venue.halls[which], venue.halls[1 - which]
    await answer_and_check(venue, own, data.draw(frames(own, other), label="message"))


def known_hostile_messages(hall: Hall) -> list[str]:
    """Messages that once closed the socket (the handler raised), kept as fixed cases."""
    ballot = {"action": "ballot", "round_id": hall.round_id, "client_id": uuid.uuid4().hex}
    return [
        "[" * 5000 + "]" * 5000,  # RecursionError in the JSON parser, not a ValueError
        '{"a":' * 3000 + "1" + "}" * 3000,
        json.dumps({**ballot, "round_id": 2**64}),  # SQLite cannot bind it
        json.dumps({**ballot, "round_id": -(2**70)}),
        json.dumps({**ballot, "client_id": "\ud800" + "a" * 10, "dots-1": "1"}),  # no UTF-8
        json.dumps({**ballot, "round_id": 999_999, "client_id": "abc\udfffdefgh"}),
    ]


async def test_messages_that_once_broke_the_socket_are_refused_in_plain_words(venue):
    for hall in venue.halls:
        for message in known_hostile_messages(hall):
            assert await answer_and_check(venue, hall, message) == "error", message[:80]


# -- every POST form, in process -------------------------------------------------------------------


def round_form(ids: dict) -> dict:
    a, b, _c = ids["options"]
    return {
        "title": "Shade",
        "kind": "dots",
        "options": [str(a), str(b)],
        "dots": "5",
        "max_per_option": "3",
        "must_use_all": "on",
        "top_k": "",
        "hidden": "on",
        "timer_minutes": "2.5",
    }


W = "/f/workshops/{workshop_id}"
P = "/f/programmes/{programme_id}"


def action_form(ids: dict) -> dict:
    return {
        "what": "Order benches",
        "who": "staff",
        "owner": "Sam",
        "due": "2030-01-31",
        "status": "in_progress",
        "need_id": str(ids["need_id"]),
    }


# (name, path, who posts it, a valid form for it): each example starts from the valid form and
# drops, replaces or repeats its fields and adds others, so the checks behind the first are reached.
FORMS = [
    ("create-workshop", "/f/workshops", "facilitator", lambda ids: {"title": "Another"}),
    ("edit-workshop", W + "/edit", "facilitator", lambda ids: {"title": "New", "place": "Hall"}),
    ("add-option", W + "/options", "facilitator", lambda ids: {"title": "Ponds"}),
    (
        "edit-option",
        W + "/options/{option_id}/edit",
        "facilitator",
        lambda ids: {"title": "Benches", "description": "Wooden"},
    ),
    ("move-option", W + "/options/{option_id}/move", "facilitator", lambda _: {"direction": "up"}),
    ("remove-option", W + "/options/{spare_option}/remove", "facilitator", lambda ids: {}),
    ("restore-option", W + "/options/{withdrawn_option}/restore", "facilitator", lambda ids: {}),
    ("other-option-action", W + "/options/{option_id}/{word}", "facilitator", lambda ids: {}),
    ("create-round", W + "/rounds", "facilitator", round_form),
    (
        "create-budget-round",
        W + "/rounds",
        "facilitator",
        lambda ids: {
            "title": "Money",
            "kind": "budget",
            "options": [str(o) for o in ids["costed_options"]],
            "budget": "£10,000",
            "rule": "greedy",
        },
    ),
    (
        "create-rating-round",
        W + "/rounds",
        "facilitator",
        lambda ids: {"title": "Agree?", "kind": "rating", "options": [str(ids["option_id"])]},
    ),
    (
        "create-idea-round",
        W + "/rounds",
        "facilitator",
        lambda ids: {"title": "Ideas", "kind": "ideas", "categories": "Green\nSafety"},
    ),
    (
        "add-costed-option",
        W + "/options",
        "facilitator",
        lambda ids: {"title": "Ponds", "cost": "£12,500"},
    ),
    ("edit-round", W + "/rounds/{draft_round}/edit", "facilitator", round_form),
    ("open-round", W + "/rounds/{draft_round}/open", "facilitator", lambda ids: {}),
    ("close-round", W + "/rounds/{open_round}/close", "facilitator", lambda ids: {}),
    ("reveal-round", W + "/rounds/{closed_round}/reveal", "facilitator", lambda ids: {}),
    ("hide-round", W + "/rounds/{closed_round}/hide", "facilitator", lambda ids: {}),
    ("delete-round", W + "/rounds/{draft_round}/delete", "facilitator", lambda ids: {}),
    ("other-round-action", W + "/rounds/{draft_round}/{word}", "facilitator", lambda ids: {}),
    ("create-programme", "/f/programmes", "facilitator", lambda ids: {"title": "Plan"}),
    (
        "edit-programme",
        P + "/edit",
        "facilitator",
        lambda ids: {"title": "Plan", "place": "Hall", "description": "Ours"},
    ),
    (
        "programme-workshops",
        P + "/workshops",
        "facilitator",
        lambda ids: {"workshop_id": str(ids["workshop_id"])},
    ),
    ("add-need", P + "/needs", "facilitator", lambda ids: {"title": "Seats"}),
    ("needs-from-options", P + "/needs/from-options", "facilitator", lambda ids: {}),
    (
        "edit-need",
        P + "/needs/{need_id}/edit",
        "facilitator",
        lambda ids: {"title": "Seats", "description": "Wooden"},
    ),
    (
        "link-need",
        P + "/needs/{need_id}/link",
        "facilitator",
        lambda ids: {"option_id": str(ids["option_id"])},
    ),
    (
        "override-need",
        P + "/needs/{need_id}/override",
        "facilitator",
        lambda ids: {"score": "0.5", "reason": "Urgent"},
    ),
    ("clear-override", P + "/needs/{need_id}/clear-override", "facilitator", lambda ids: {}),
    (
        "need-status",
        P + "/needs/{need_id}/status",
        "facilitator",
        lambda ids: {"status": "not_possible", "reason": "No land"},
    ),
    ("other-need-action", P + "/needs/{need_id}/{word}", "facilitator", lambda ids: {}),
    ("add-action", P + "/actions", "facilitator", action_form),
    ("edit-action", P + "/actions/{action_id}/edit", "facilitator", action_form),
    ("note-action", P + "/actions/{action_id}/note", "facilitator", lambda ids: {"note": "Begun"}),
    ("other-action-verb", P + "/actions/{action_id}/{word}", "facilitator", lambda ids: {}),
    (
        "set-programme",
        W + "/programme",
        "facilitator",
        lambda ids: {"programme_id": str(ids["programme_id"])},
    ),
    (
        "approve-all-ideas",
        W + "/rounds/{idea_round}/ideas/approve-all",
        "facilitator",
        lambda _: {},
    ),
    (
        "merge-ideas",
        W + "/rounds/{idea_round}/ideas/merge",
        "facilitator",
        lambda ids: {"ideas": [str(i) for i in ids["ideas"][:2]]},
    ),
    ("ideas-to-options", W + "/rounds/{idea_round}/ideas/to-options", "facilitator", lambda _: {}),
    *(
        (f"{verb}-idea", W + "/rounds/{idea_round}/ideas/{idea_id}/" + verb, "facilitator", form)
        for verb, form in (
            ("approve", lambda _: {}),
            ("hide", lambda _: {}),
            ("pending", lambda _: {}),
            ("edit", lambda _: {"text": "Plant more trees", "category": "Green"}),
        )
    ),
    (
        "other-idea-action",
        W + "/rounds/{idea_round}/ideas/{idea_id}/{word}",
        "facilitator",
        lambda _: {},
    ),
    (
        "paper-ballot",
        W + "/rounds/{open_round}/paper",
        "facilitator",
        lambda ids: {
            "label": "Sheet 1",
            "client_id": uuid.uuid4().hex,
            f"dots-{ids['options'][0]}": "2",
            f"dots-{ids['options'][1]}": "1",
        },
    ),
    (
        "paper-idea",
        "/f/workshops/{idea_workshop}/rounds/{live_idea_round}/paper",
        "facilitator",
        lambda ids: {
            "label": "",
            "client_id": uuid.uuid4().hex,
            "text": "A bench by the pond",
            "category": "Green",
        },
    ),
    # Without a file these are always refused; tests/programme/test_exports.py sends files.
    ("import-needs", P + "/needs/import", "facilitator", lambda ids: {}),
    ("import-options", W + "/options/import", "facilitator", lambda ids: {}),
    (
        "login",
        "/login",
        "visitor",
        lambda ids: {"username": "facilitator", "password": PASSWORD, "next": "/f"},
    ),
    ("logout", "/logout", "signed-in", lambda ids: {}),
    (
        "about-you",
        "/w/{code}/about",
        "phone",
        lambda ids: {"action": "save", f"q-{ids['question_id']}": str(ids["choices"][0])},
    ),
    (
        "add-question",
        P + "/people/questions",
        "facilitator",
        lambda ids: {"label": "Age", "choices": "Under 40\n40 and over"},
    ),
    (
        "edit-question",
        P + "/people/questions/{question_id}/edit",
        "facilitator",
        lambda ids: {"label": "Home", f"choice-{ids['choices'][0]}": "Tenant"},
    ),
    (
        "makeup",
        P + "/people/questions/{question_id}/makeup",
        "facilitator",
        lambda ids: {f"amount-{ids['choices'][0]}": "60%", f"amount-{ids['choices'][1]}": "40%"},
    ),
    (
        "other-question-action",
        P + "/people/questions/{question_id}/{word}",
        "facilitator",
        lambda ids: {},
    ),
    # Without a file this is always refused; tests/people/test_people_page.py sends files.
    ("import-makeup", P + "/people/makeup/import", "facilitator", lambda ids: {}),
    ("room-on-board", W + "/room-on-board", "facilitator", lambda ids: {"on": "1"}),
    # Without a file this is always refused; tests/panel/test_panels_page.py sends files.
    ("import-pool", P + "/panels/import", "facilitator", lambda ids: {"title": "Letters"}),
    (
        "draw-panel",
        P + "/panels/{pool_id}/draw",
        "facilitator",
        lambda ids: {
            "seats": "2",
            "reserves": "1",
            "household": "1",
            f"min-{ids['question_id']}-{ids['choices'][0]}": "1",
            f"max-{ids['question_id']}-none": "1",
            "seed": "dice 4 2",
        },
    ),
    ("delete-pool", P + "/panels/{pool_id}/delete", "facilitator", lambda ids: {"confirm": "yes"}),
    (
        "stop-lottery",
        P + "/panels/{pool_id}/cancel",
        "facilitator",
        lambda ids: {"job": "a-page-job"},
    ),
    (
        "erase-participant",
        W + "/people/{participant_id}/erase",
        "facilitator",
        lambda ids: {"confirm": "yes"},
    ),
    (
        "erase-volunteer",
        P + "/panels/{pool_id}/people/{volunteer_id}/erase",
        "facilitator",
        lambda ids: {"confirm": "yes"},
    ),
    (
        "commit-lottery",
        P + "/panels/{pool_id}/commit",
        "facilitator",
        lambda ids: {"seats": "2", "reserves": "1", "m": "100"},
    ),
    (
        "draw-committed",
        P + "/panels/{pool_id}/commitments/{commitment_id}/draw",
        "facilitator",
        lambda ids: {"value": "4 2"},
    ),
    (
        "invite",
        P + "/panels/invite",
        "facilitator",
        lambda ids: {"addresses": "1 Oak Road\n2 Oak Road", "count": "1", "seed": "4 2"},
    ),
    (
        "panel-step",
        P + "/panels/{pool_id}/draws/{panel_id}/steps",
        "facilitator",
        lambda ids: {"action": "withdraw", "volunteer": "1", "reason": "Moved"},
    ),
    (
        "register",
        "/r/{token}",
        "visitor",
        lambda ids: {
            "name": "Cy",
            "email": "cy@example.org",
            "consent": "yes",
            f"q-{ids['question_id']}": str(ids["choices"][0]),
        },
    ),
    ("add-health-check", W + "/health-check", "facilitator", lambda ids: {}),
    (
        "health-statements",
        P + "/health-check",
        "facilitator",
        lambda ids: {
            f"statement_{d}": "Fine" for d in ("power", "accountability", "connection", "trust")
        },
    ),
    ("device-language", "/language", "visitor", lambda ids: {"lang": "ar", "next": "/"}),
    ("own-language", "/f/language", "signed-in", lambda ids: {"lang": "pl", "next": "/f"}),
    (
        "workshop-languages",
        W + "/languages",
        "facilitator",
        lambda ids: {"main": "en", "languages": ["en", "ar"], "board_second": "ar"},
    ),
    (
        "workshop-translations",
        W + "/translations",
        "facilitator",
        lambda ids: {"lang": "ar", f"option-{ids['option_id']}-title": "مقاعد"},
    ),
    (
        "programme-translations",
        P + "/translations",
        "facilitator",
        lambda ids: {"lang": "ar", f"question-{ids['question_id']}-label": "السكن"},
    ),
    ("join", "/join", "visitor", lambda ids: {"code": ids["code"], "name": "Ann"}),
    ("join-workshop", "/w/{code}/join", "newcomer", lambda ids: {"name": "Bea"}),
    # The door tablet's buttons, pressed on a device that is not one; making the device the
    # tablet signs its account out, so it is sent as an account that signs in again.
    ("door-new-person", "/kiosk/new", "visitor", lambda ids: {}),
    ("door-done", "/kiosk/done", "visitor", lambda ids: {}),
    ("door-unlock", W + "/kiosk", "signed-in", lambda ids: {}),
    ("door-lock", W + "/kiosks/{kiosk_id}/lock", "facilitator", lambda ids: {}),
    ("option-picture", W + "/options/{option_id}/picture", "facilitator", lambda ids: {}),
    (
        "add-account",
        "/f/accounts",
        "facilitator",
        lambda ids: {"username": "newcomer", "password": "a long pass phrase", "role": "moderator"},
    ),
    (
        "account-role",
        "/f/accounts/{user_id}/role",
        "facilitator",
        lambda ids: {"role": "moderator", "workshop_id": str(ids["workshop_id"])},
    ),
    (
        "account-password",
        "/f/accounts/{user_id}/password",
        "facilitator",
        lambda ids: {"password": "another long phrase"},
    ),
    ("account-remove", "/f/accounts/{user_id}/remove", "facilitator", lambda ids: {}),
    (
        "add-organisation",
        "/f/organisations",
        "facilitator",
        lambda ids: {"name": "Hillside", "username": "olga", "password": "a long pass phrase"},
    ),
    (
        "ballot",
        "/w/{code}/ballot",
        "phone",
        lambda ids: {
            "round_id": str(ids["open_round"]),
            "client_id": uuid.uuid4().hex,
            f"dots-{ids['options'][0]}": "2",
            f"dots-{ids['options'][1]}": "1",
        },
    ),
]
# What the app says when something unexpected broke: a fuzzed form must never see it.
SERVER_FAULT = "Something went wrong on our side"
# A body that declares a length over the limit is refused by Starlette before the app sees it,
# with this plain text; one that turns out too long while it is read gets the app's own page.
DECLARED_TOO_LARGE = "Content Too Large"


def shown_message(response: httpx.Response) -> str:
    """The plain-words message a refusal shows: the flash, the ballot status line, the error page
    or the form's error line."""
    if response.status_code == 413 and response.text == DECLARED_TOO_LARGE:
        return DECLARED_TOO_LARGE
    for pattern in (
        r'class="flash flash-error"[^>]*>\s*(.+?)\s*</p>',
        r'id="ballot-status"[^>]*data-state="error"[^>]*>\s*⚠\s*(.+?)\s*</p>',
        r'data-state="error"[^>]*>\s*⚠\s*(.+?)\s*</p>',
        r'class="card narrow error-page">.*?<p class="lead">\s*(.+?)\s*</p>',
    ):
        found = re.search(pattern, response.text, re.S)
        if found:
            return found.group(1)
    return ""


@dataclass
class Desk:
    """The in-process app with a prepared workshop, and one device for each kind of sender."""

    app: object
    data_path: str
    facilitator: Facilitator
    ids: dict
    other_ids: dict
    devices: dict = field(default_factory=dict)


async def prepare(app, client, data_path: str) -> Desk:
    """Three workshops; the first has options in use, withdrawn and spare, a closed, an open and
    a draft round, and a closed idea round with three ideas from a phone (the first approved); the
    third has an idea round open."""
    f = await signed_in_facilitator(app, client)
    other_id, other_code = await f.create_workshop("Elsewhere")
    other_option = await f.add_option(other_id, "Far away")
    other_second = await f.add_option(other_id, "Further")
    other_round = await f.create_round(other_id, "Theirs", [other_option, other_second])
    workshop_id, code = await f.create_workshop("Green spaces")
    languages = {"main": "en", "languages": ["en", "ar"]}
    assert (await f.post(f"/f/workshops/{workshop_id}/languages", languages)).status_code == 303
    a = await f.add_option(workshop_id, "Benches")
    b = await f.add_option(workshop_id, "Lighting")
    c = await f.add_option(workshop_id, "Trees")
    gone = await f.add_option(workshop_id, "Old idea")
    spare = await f.add_option(workshop_id, "Spare")
    closed = await f.create_round(workshop_id, "First", [a, b, gone])
    await f.round_action(workshop_id, closed, "open")
    await f.round_action(workshop_id, closed, "close")
    assert (await f.post(f"/f/workshops/{workshop_id}/options/{gone}/remove")).status_code == 303
    idea_round = await f.create_round(
        workshop_id, "What is missing?", [], kind="ideas", categories="Green\nSafety"
    )
    await f.round_action(workshop_id, idea_round, "open")
    devices = {"idea-phone": new_client(app)}
    phone = Phone(devices["idea-phone"])
    await phone.join(code)
    for text in ("More trees", "Brighter paths", "Trees please"):
        sent = await phone.send_http(idea_round, {"text": text, "category": "Green"})
        assert 'data-state="saved"' in sent.text, sent.text
    ideas = [i.id for i in await app.state.store.ideas.ideas(idea_round)]
    assert len(ideas) == 3
    approved = await f.post(
        f"/f/workshops/{workshop_id}/rounds/{idea_round}/ideas/{ideas[0]}/approve"
    )
    assert approved.status_code == 303
    await f.round_action(workshop_id, idea_round, "close")
    opened = await f.create_round(workshop_id, "Now", [a, b, c])
    await f.round_action(workshop_id, opened, "open")
    draft = await f.create_round(workshop_id, "Later", [a, b], kind="rank")
    costed = []
    for title, cost in (("Play area", "4,000"), ("Bike store", "6000")):
        added = await f.post(f"/f/workshops/{workshop_id}/options", {"title": title, "cost": cost})
        assert added.status_code == 303, added.text
        costed.append(max(await f.option_ids(workshop_id)))
    ids = {
        "workshop_id": workshop_id,
        "code": code,
        "option_id": a,
        "options": [a, b, c],
        "spare_option": spare,
        "withdrawn_option": gone,
        "closed_round": closed,
        "open_round": opened,
        "draft_round": draft,
        "idea_round": idea_round,
        "idea_id": ideas[0],
        "ideas": ideas,
        "costed_options": costed,
    }
    idea_workshop, _idea_code = await f.create_workshop("Ideas night")
    live_idea_round = await f.create_round(
        idea_workshop, "Ideas", [], kind="ideas", categories="Green, Safety"
    )
    await f.round_action(idea_workshop, live_idea_round, "open")
    ids.update(idea_workshop=idea_workshop, live_idea_round=live_idea_round)
    plans = app.state.plans
    workshop = await app.state.store.workshops.workshop(workshop_id)
    programme = await plans.create_programme({"title": "Estate plan"}, workshop.organisation_id)
    await app.state.store.plans.set_workshop_programme(workshop_id, programme.id)
    need = await plans.add_need(programme, {"title": "Benches"})
    action = await plans.save_action(programme, {"what": "Order benches", "who": "staff"})
    question = await app.state.store.profiles.add_profile_question(
        programme.id, "Tenure", ["Renter", "Owner"]
    )
    ids.update(programme_id=programme.id, need_id=need.id, action_id=action.id)
    ids.update(question_id=question.id, choices=[c.id for c in question.choices])
    renter, owner = (c.id for c in question.choices)
    homes = [(renter, "1 Mill Lane"), (owner, "1 Mill Lane"), (None, ""), (renter, "")]
    pool = await app.state.store.pools.add_pool(
        programme.id,
        "Letters",
        [
            Volunteer(0, 0, f"V{i}", answers={question.id: c}, household=h)
            for i, (c, h) in enumerate(homes)
        ],
    )
    ids.update(pool_id=pool.id)
    kiosk, _token = await app.state.store.kiosks.unlock(workshop_id)
    ids.update(kiosk_id=kiosk.id)
    spare = await app.state.store.users.create_user(
        "spare", "not a real hash", role=Role.FACILITATOR
    )
    ids.update(user_id=spare.id)
    volunteers = await app.state.store.pools.volunteers(pool.id)
    joined = await app.state.store.workshops.participants(workshop_id)
    ids.update(volunteer_id=volunteers[0].id, participant_id=joined[0].id)
    panel = await app.state.store.pools.save_panel(
        pool.id, 2, "1", [], False, {"panel": [1, 3], "reserves": [4], "reserves_asked": 1}
    )
    lottery = b'{"format":"facilitation-lottery/1","panels":[[1,3]]}\n'
    setting = {"seats": 2, "reserves": 1, "one_per_household": False, "quotas": []}
    commitment_id = await app.state.store.pools.add_commitment(
        pool.id, setting, 100, lottery, "0" * 64, {}
    )
    await app.state.store.recruitment.invite(
        programme.id, "Invited", "1", 1, [("2 Mill Lane", "an-invitation")]
    )
    ids.update(panel_id=panel.id, commitment_id=commitment_id, token="an-invitation")
    other = {"workshop_id": other_id, "code": other_code, "round_id": other_round}
    other["options"] = [other_option, other_second]
    return Desk(app, data_path, f, ids, other, devices)


def field_values(desk: Desk) -> st.SearchStrategy:
    mine, theirs = desk.ids, desk.other_ids
    ids = [*mine["options"], *theirs["options"], mine["open_round"], mine["draft_round"]]
    ids = [*ids, mine["need_id"], mine["action_id"], mine["programme_id"], mine["workshop_id"]]
    ids = [*ids, mine["idea_round"], *mine["ideas"], mine["live_idea_round"]]
    ids = [*ids, *mine["costed_options"]]
    ids = [str(i) for i in [*ids, theirs["round_id"], mine["withdrawn_option"]]]
    one = st.one_of(
        st.text(max_size=40),
        st.text(alphabet="0123456789", min_size=1, max_size=8),
        st.sampled_from(["on", "up", "down", "dots", "rank", "all", "true", "ballot", "/f"]),
        st.sampled_from(["budget", "ideas", "rating", "dk", "greedy", "equal_shares", "Green"]),
        st.sampled_from(["£12,500", "12 500", "€1", "$0", "1,2,3", "Green\nSafety\nGreen"]),
        st.sampled_from(["staff", "residents", "done", "not_possible", "2030-02-30", "0.5", "nan"]),
        odd_numbers,
        st.sampled_from(ids),
        st.sampled_from(
            [
                desk.ids["code"],
                desk.ids["code"].lower(),
                desk.other_ids["code"],
            ]
        ),
        long_text(20_000),
        st.text(st.characters(categories=["Cc", "Zs", "Mn", "So"]), max_size=20),
    )
    return one | st.lists(one, min_size=2, max_size=3)  # a repeated field


NUMBER_FIELDS = ("dots", "max_per_option", "top_k", "timer_minutes", "round_id", "budget", "cost")
numeric_values = st.one_of(
    odd_numbers,
    st.integers(-(10**6), 10**6).map(str),
    st.text(alphabet="0123456789", min_size=4000, max_size=6000),  # past int()'s digit limit
    st.floats().map(repr),
)


@st.composite
def forms(draw, desk: Desk, valid: dict) -> dict:
    """The valid form with a few of its fields dropped, replaced or repeated, and others added."""
    names = [*valid, "title", "options", "rank", "next", "round_id", "client_id"]
    names += ["kind", "budget", "rule", "cost", "categories", "text", "category", "ideas", "label"]
    for option_id in desk.ids["options"] + desk.other_ids["options"]:
        names += [f"{field}-{option_id}" for field in ("dots", "place", "pick", "rate")]
    name = st.sampled_from(names) | st.text(max_size=20).filter(lambda n: n != "csrf")
    form = dict(valid)
    changed = draw(st.lists(st.sampled_from(list(valid)), unique=True, max_size=3)) if valid else []
    for key in changed:
        numeric = key in NUMBER_FIELDS or key.startswith("dots-")
        values = (numeric_values | field_values(desk)) if numeric else field_values(desk)
        fate = draw(st.sampled_from(["drop", "replace", "repeat"]))
        if fate == "drop":
            del form[key]
        elif fate == "replace":
            form[key] = draw(values)
        else:
            form[key] = as_list(form[key]) + as_list(draw(values))
    form.update(draw(st.dictionaries(name, field_values(desk), max_size=3)))
    return form


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def encode_multipart(fields: list[tuple[str, str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields:
        safe = key.replace('"', "%22").replace("\r", " ").replace("\n", " ")
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{safe}"\r\n\r\n'.encode()
            + value.encode("utf-8", "surrogatepass")
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


async def sender_for(desk: Desk, who: str) -> httpx.AsyncClient:
    """The device that posts this form, made once per test and kept between examples."""
    if who == "facilitator":
        return desk.facilitator.client
    if who not in desk.devices:
        device = new_client(desk.app)
        desk.devices[who] = device
        if who == "phone":
            await Phone(device).join(desk.ids["code"])
    return desk.devices[who]


async def token_for(device: httpx.AsyncClient, who: str, desk: Desk) -> str:
    if who == "facilitator":
        return desk.facilitator.token
    if who == "signed-in":  # signs in again whenever an example signed it out
        if (await device.get("/f")).status_code != 200:
            assert (await Facilitator(device).login()).status_code == 303
        return csrf_of((await device.get("/f")).text)
    page = await device.get(f"/w/{desk.ids['code']}" if who in ("phone", "newcomer") else "/")
    return csrf_of(page.text)


@pytest.fixture
async def prepared_desk(app, client, settings):
    made = await prepare(app, client, settings.data_path)
    yield made
    for device in made.devices.values():
        await device.aclose()


async def post_and_check(
    desk: Desk, path: str, who: str, fields: dict, htmx: bool, multipart: bool
) -> httpx.Response:
    """Post a form as ``who``: never a server fault; a refusal changes nothing and says why."""
    if who == "newcomer":  # a fresh device each time, so the name is read every time
        old = desk.devices.pop(who, None)
        if old is not None:
            await old.aclose()
    device = await sender_for(desk, who)
    pairs = [("csrf", await token_for(device, who, desk))]
    for key, value in fields.items():
        pairs.extend((key, v) for v in as_list(value))
    headers = {"HX-Request": "true"} if htmx else {}
    before = db_rows(desk.data_path)

    if multipart:
        body, content_type = encode_multipart(pairs)
        response = await device.post(
            path, content=body, headers={**headers, "Content-Type": content_type}
        )
    else:
        response = await device.post(path, data=pairs_to_data(pairs), headers=headers)

    assert response.status_code < 500, response.text[:500]
    assert "Traceback" not in response.text
    assert SERVER_FAULT not in response.text, response.text[:500]
    if response.status_code >= 400:
        assert response.status_code in (400, 403, 404, 405, 409, 413, 429), response.status_code
        assert db_rows(desk.data_path) == before, "a refused form changed the database"
        message = shown_message(response)
        assert message, response.text[:800]
        assert "{" not in message, message  # every placeholder filled in
    else:
        assert response.status_code in (200, 303), response.status_code
    return response


def test_the_fuzzed_forms_cover_every_post_route(app):
    sample = {"code": "ABCDEF", "word": "x"}
    urls = [path.format_map(KeyedOne(sample)) for _name, path, _who, _valid in FORMS]
    posted = [r for r in app.routes if isinstance(r, Route) and "POST" in (r.methods or ())]
    assert len(posted) >= 11
    for route in posted:
        assert any(route.path_regex.match(url) for url in urls), route.path


class KeyedOne(dict):
    """Fills any other placeholder of a path with 1."""

    def __missing__(self, key: str) -> int:
        return 1


# Faults the fuzzing has found and that are not fixed yet: the form name, and the mark that says
# so. Only the fault's own exception is expected, so any other failure still fails the test.
KNOWN_FAULTS: dict[str, pytest.MarkDecorator] = {}


@pytest.mark.parametrize(
    "form", [pytest.param(f, id=f[0], marks=KNOWN_FAULTS.get(f[0], ())) for f in FORMS]
)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_a_fuzzed_form_never_fails_and_a_refused_one_changes_nothing(
    prepared_desk, form, data
):
    _name, path, who, valid = form
    word = data.draw(st.sampled_from(["", "x"]) | st.from_regex(r"\A[a-zA-Z_-]{1,12}\Z"))
    url = path.format(**prepared_desk.ids, word=word or "unknown")
    fields = data.draw(forms(prepared_desk, valid(prepared_desk.ids)), label="form")
    htmx = data.draw(st.booleans(), label="htmx")
    multipart = data.draw(st.booleans(), label="multipart")
    await post_and_check(prepared_desk, url, who, fields, htmx, multipart)


LONG_NUMBER = "9" * 5000  # int() refuses strings of more than 4300 digits with a ValueError
# Forms that once failed with a server fault, kept as fixed cases: (form name, changed fields).
KNOWN_HOSTILE_FORMS = [
    ("create-round", {"dots": LONG_NUMBER}),
    ("create-round", {"max_per_option": LONG_NUMBER}),
    ("create-round", {"kind": "rank", "top_k": LONG_NUMBER}),
    ("edit-round", {"dots": " " + LONG_NUMBER + " "}),
]


@pytest.mark.parametrize("name, changes", KNOWN_HOSTILE_FORMS)
async def test_forms_that_once_failed_are_refused_in_plain_words(prepared_desk, name, changes):
    _name, path, who, valid = next(f for f in FORMS if f[0] == name)
    fields = {**valid(prepared_desk.ids), **changes}
    for htmx in (False, True):
        response = await post_and_check(
            prepared_desk, path.format(**prepared_desk.ids), who, fields, htmx, False
        )
        assert response.status_code == 400
        assert "must be a whole number from 1 to 100" in shown_message(response)


def pairs_to_data(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for key, value in pairs:
        data.setdefault(key, []).append(value)
    return data


# -- oversized bodies ------------------------------------------------------------------------------

BIG = 300_000  # over the default 256 KiB body limit


async def chunks(body: bytes):
    for start in range(0, len(body), 16_384):
        yield body[start : start + 16_384]


@pytest.mark.parametrize(
    "path, who",
    [
        ("/f/workshops", "facilitator"),
        (W + "/options", "facilitator"),
        (W + "/rounds", "facilitator"),
        ("/login", "visitor"),
        ("/join", "visitor"),
        ("/w/{code}/ballot", "phone"),
    ],
)
@pytest.mark.parametrize("how", ["sized", "chunked", "multipart"])
async def test_an_oversized_body_is_refused_with_413_and_changes_nothing(
    prepared_desk, path, who, how
):
    device = await sender_for(prepared_desk, who)
    token = await token_for(device, who, prepared_desk)
    url = path.format(**prepared_desk.ids)
    before = db_rows(prepared_desk.data_path)
    for htmx in (False, True):
        headers = {"HX-Request": "true"} if htmx else {}
        fields = [
            ("csrf", token),
            ("title", "x" * BIG),
            ("round_id", str(prepared_desk.ids["open_round"])),
        ]
        if how == "multipart":
            body, content_type = encode_multipart(fields)
            headers["Content-Type"] = content_type
            response = await device.post(url, content=body, headers=headers)
        elif how == "chunked":
            body = str(httpx.QueryParams(fields)).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            response = await device.post(url, content=chunks(body), headers=headers)
        else:
            response = await device.post(url, data=pairs_to_data(fields), headers=headers)
        assert response.status_code == 413, (htmx, response.status_code, response.text[:300])
        if how == "chunked":
            assert shown_message(response) == "That was too much to send at once."
        else:
            assert response.text == DECLARED_TOO_LARGE
    assert db_rows(prepared_desk.data_path) == before
