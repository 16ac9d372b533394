"""The workflow around a draw against the real app: invitations drawn from an address list, the
invited registering with their answers and consent, the organiser confirming the drawn members
and replacing one who withdrew by the proposed alternate, and the public page counting it all
without a name. Refused input changes nothing."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import pytest

from facilitation.panel.invitations import draw_invitations
from tests.conftest import new_client
from tests.helpers import csrf_of, db_rows
from tests.panel.test_panels_page import quota
from tests.people.scene import AGE, TENURE, choice, programme_asking

ADDRESSES = [f"{n} Elm Road" for n in range(1, 31)]
# Who answers the invitation at each of the first twelve invited homes: (tenure, age band).
RESIDENTS = [
    ("Owner", "65 and over"),
    ("Owner", "30 to 64"),
    ("Social rent", "65 and over"),
    ("Social rent", "30 to 64"),
    ("Private rent", "Under 30"),
    ("Owner", "65 and over"),
    ("Social rent", "Under 30"),
    ("Private rent", "30 to 64"),
    ("Owner", "30 to 64"),
    ("Social rent", "65 and over"),
    ("Owner", "65 and over"),
    ("Private rent", "30 to 64"),
]


@pytest.fixture
async def invited(app, facilitator):
    """A programme asking tenure and age band, and 12 of the 30 addresses invited."""
    programme_id, questions = await programme_asking(facilitator, app, Tenure=TENURE, Age_band=AGE)
    response = await facilitator.post(
        f"/f/programmes/{programme_id}/panels/invite",
        {"title": "Elm Road", "addresses": "\n".join(ADDRESSES), "count": "12", "seed": "4 8 15"},
    )
    assert response.status_code == 303, response.text
    page = await facilitator.client.get(response.headers["location"])
    links = re.findall(r'<a href="http://testserver(/r/[^"]+)"[^>]* data-link>', page.text)
    pool_id = int(response.headers["location"].split("/panels/")[1].split("/")[0])
    return programme_id, pool_id, questions, links, page.text


async def register(app, link: str, questions, tenure: str, age: str, **extra):
    async with new_client(app) as resident:
        return await send(resident, link, questions, tenure, age, **extra)


async def send(resident, link: str, questions, tenure: str, age: str, **extra):
    """Open the registration page and send its form, as the resident fills it in."""
    form_page = await resident.get(link)
    assert form_page.status_code == 200
    data = {
        "csrf": csrf_of(form_page.text),
        "name": f"Resident of {link[-6:]}",
        "email": "resident@example.org",
        f"q-{questions['Tenure'].id}": str(choice(questions["Tenure"], tenure)),
        f"q-{questions['Age band'].id}": str(choice(questions["Age band"], age)),
        "consent": "yes",
    }
    data.update(extra)
    return await resident.post(link, data={k: v for k, v in data.items() if v is not None})


async def test_the_invitations_are_the_addresses_the_seed_picks(invited):
    _programme_id, _pool_id, _questions, links, page = invited
    assert len(links) == 12 and len(set(links)) == 12
    shown = re.findall(r'data-invitation="\d+"><td>\d+</td><td><bdi>([^<]+)</bdi></td>', page)
    assert shown == draw_invitations(ADDRESSES, 12, "4 8 15")
    assert "0 of 12 invited have registered." in page
    assert "from a list of 30 addresses" in page


async def test_too_many_invitations_are_refused_and_change_nothing(app, facilitator, invited):
    programme_id = invited[0]
    before = db_rows(app.state.settings.data_path)
    response = await facilitator.post(
        f"/f/programmes/{programme_id}/panels/invite",
        {"addresses": "1 Elm Road\n2 Elm Road\n1 elm road", "count": "3", "seed": "x"},
    )
    assert response.status_code == 400
    assert "The list has 2 addresses, fewer than the 3 to invite." in response.text
    assert db_rows(app.state.settings.data_path) == before


async def test_registering_needs_consent_and_an_answer_and_then_counts_once(app, invited):
    _programme_id, _pool_id, questions, links, _page = invited
    before = db_rows(app.state.settings.data_path)
    refused = await register(app, links[0], questions, "Owner", "30 to 64", consent=None)
    assert refused.status_code == 400
    assert "Please tick the box to agree" in refused.text
    unanswered = await register(
        app, links[0], questions, "Owner", "30 to 64", **{f"q-{questions['Tenure'].id}": None}
    )
    assert unanswered.status_code == 400 and "Please answer “Tenure”." in unanswered.text
    assert db_rows(app.state.settings.data_path) == before
    async with new_client(app) as other_tab:
        # The form opened in a second tab before the first one was sent.
        stale = await other_tab.get(links[0])
        done = await register(app, links[0], questions, "Owner", "30 to 64")
        assert done.status_code == 303
        thanks = await other_tab.get(links[0])
        assert "Thank you, you are registered." in thanks.text
        again = await other_tab.post(
            links[0],
            data={
                "csrf": csrf_of(stale.text),
                "name": "Twice",
                "email": "twice@example.org",
                "consent": "yes",
            },
        )
        assert again.status_code == 409
        assert "already been used to register" in again.text
    async with new_client(app) as stranger:
        assert (await stranger.get("/r/not-a-token")).status_code == 404


async def test_a_drawn_panel_is_confirmed_and_a_withdrawal_replaced(app, facilitator, invited):
    programme_id, pool_id, questions, links, _page = invited
    for link, (tenure, age) in zip(links, RESIDENTS, strict=True):
        assert (await register(app, link, questions, tenure, age)).status_code == 303
    pool = f"/f/programmes/{programme_id}/panels/{pool_id}"
    listing = await facilitator.client.get(pool + "/invitations")
    assert "12 of 12 invited have registered." in listing.text
    params = {
        "seats": "5",
        "reserves": "4",
        **quota(questions, "Age band", "Under 30", 1, 2),
        **quota(questions, "Tenure", "Owner", 1, 2),
    }
    assert (await facilitator.client.get(pool + "?" + urlencode(params))).status_code == 200
    drawn = await facilitator.post(pool + "/draw", {**params, "seed": "21 7"})
    assert drawn.status_code == 303, drawn.text
    draw_path = drawn.headers["location"]
    page = (await facilitator.client.get(draw_path)).text
    members = [
        int(n)
        for n in re.findall(
            r'<tr data-volunteer="(\d+)"', page.split("data-members")[1].split("</table>")[0]
        )
    ]
    assert len(members) == 5
    first, second = members[0], members[1]

    assert (
        await facilitator.post(draw_path + "/steps", {"action": "confirm", "volunteer": str(first)})
    ).status_code == 303
    before = db_rows(app.state.settings.data_path)
    no_reason = await facilitator.post(
        draw_path + "/steps", {"action": "withdraw", "volunteer": str(second), "reason": " "}
    )
    assert no_reason.status_code == 400 and "Please say why the member withdrew" in no_reason.text
    assert db_rows(app.state.settings.data_path) == before
    gone = await facilitator.post(
        draw_path + "/steps",
        {"action": "withdraw", "volunteer": str(second), "reason": "Moved away"},
    )
    assert gone.status_code == 303

    page = (await facilitator.client.get(draw_path)).text
    proposal = page.split("data-proposal", 1)[1].split("</div>", 1)[0]
    assert f"Member {second} withdrew; the seat is empty." in proposal
    alternate = int(re.search(r'name="volunteer" value="(\d+)"', proposal).group(1))
    assert f"Alternate {alternate} keeps the panel within its quotas." in proposal
    assert "Moved away" in page
    seated = await facilitator.post(
        draw_path + "/steps", {"action": "seat", "volunteer": str(alternate)}
    )
    assert seated.status_code == 303
    page = (await facilitator.client.get(draw_path)).text
    now = [
        int(n)
        for n in re.findall(
            r'<tr data-volunteer="(\d+)"', page.split("data-members")[1].split("</table>")[0]
        )
    ]
    assert second not in now and alternate in now and len(now) == 5
    assert "data-proposal" not in page
    assert "1 of 5 members confirmed · 1 replacement" in page
    assert "No past panel of this programme has recorded withdrawals yet" in html.unescape(page)

    slug = (await app.state.store.plans.programme(programme_id)).slug
    async with new_client(app) as stranger:
        public = (await stranger.get(f"/p/{slug}")).text
    section = public.split("data-recruitment", 1)[1].split("</section>", 1)[0]
    assert "12 homes invited by lottery" in section
    assert "12 residents registered" in section
    assert "1 of 5 seats confirmed" in section
    assert "1 member replaced by an alternate" in section
    assert "Resident of" not in public and "Elm Road" not in public

    # The next draw's alternates are chosen against what this one recorded.
    redrawn = await facilitator.post(pool + "/draw", {**params, "seed": "3 3"})
    learned = html.unescape((await facilitator.client.get(redrawn.headers["location"])).text)
    assert (
        "Withdrawal rates learned from 2 members of this programme's past panels,"
        " of whom 1 withdrew." in learned
    )
