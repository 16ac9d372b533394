"""The panel lottery pages against the real app: import a pool, see everyone's chance under the
quotas, be told in plain words when the quotas cannot be met, and draw with a published seed a
panel that anyone can check from the lottery file. Refused input changes nothing."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from contextlib import asynccontextmanager
from urllib.parse import urlencode

import pytest

from facilitation import create_app
from facilitation.settings import Settings
from tests.conftest import new_client
from tests.helpers import PASSWORD, Facilitator, csrf_of, db_rows, quick_hash
from tests.people.scene import AGE, TENURE, choice, programme_asking

# 30 volunteers, skewed the way replies to a letter are: older, more owners, few under 30.
# (name, tenure, age, household)
POOL = [
    *[(f"Owner {i}", "Owner", "65 and over", f"{i} Elm Road") for i in range(1, 9)],
    *[(f"Elder {i}", "Social rent", "65 and over", f"{i} Oak Court") for i in range(1, 7)],
    *[(f"Middle {i}", "Social rent", "30 to 64", f"{i} Ash Way") for i in range(1, 7)],
    *[(f"Renter {i}", "Private rent", "30 to 64", f"{i} Birch Row") for i in range(1, 5)],
    ("Young 1", "Private rent", "Under 30", "1 Birch Row"),  # shares a home with Renter 1
    ("Young 2", "Social rent", "Under 30", "9 Ash Way"),
    ("Quiet 1", "Prefer not to say", "30 to 64", ""),
    ("Quiet 2", "Owner", "", ""),
    ("Quiet 3", "Owner", "30 to 64", "1 Elm Road"),  # shares a home with Owner 1
    ("Quiet 4", "Social rent", "65 and over", ""),
]


def number(name: str) -> int:
    """A volunteer's number in the pool: their place in the file, counted from 1."""
    return next(i for i, row in enumerate(POOL, start=1) if row[0] == name)


YOUNG = (number("Young 1"), number("Young 2"))


def pool_csv(rows=POOL) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "email", "household", "Tenure", "Age band"])
    for name, tenure, age, home in rows:
        email = name.lower().replace(" ", ".") + "@example.org"
        writer.writerow([name, email, home, tenure, age])
    return out.getvalue().encode()


async def make_scene(app, facilitator):
    """A programme asking tenure and age band, with the POOL imported; returns its parts."""
    programme_id, questions = await programme_asking(facilitator, app, Tenure=TENURE, Age_band=AGE)
    response = await upload(facilitator, programme_id, pool_csv(), "Spring letter")
    assert response.status_code == 303, response.text
    pool_id = int(response.headers["location"].rsplit("/", 1)[1])
    return programme_id, pool_id, questions


async def upload(facilitator, programme_id: int, data: bytes, title: str = ""):
    return await facilitator.client.post(
        f"/f/programmes/{programme_id}/panels/import",
        data={"csrf": facilitator.token, "title": title},
        files={"file": ("pool.csv", data, "text/csv")},
    )


def pool_path(scene) -> str:
    programme_id, pool_id, _questions = scene
    return f"/f/programmes/{programme_id}/panels/{pool_id}"


def quota(questions, question: str, answer: str | None, low="", high="") -> dict[str, str]:
    q = questions[question]
    key = f"{q.id}-{'none' if answer is None else choice(q, answer)}"
    return {f"min-{key}": str(low), f"max-{key}": str(high)}


def settings(questions, seats=6, reserves=3, **extra) -> dict[str, str]:
    """Six seats: at least one under 30, two or three social renters, at most three owners."""
    return {
        "seats": str(seats),
        "reserves": str(reserves),
        **quota(questions, "Age band", "Under 30", 1, 2),
        **quota(questions, "Tenure", "Social rent", 2, 3),
        **quota(questions, "Tenure", "Owner", "", 3),
        **extra,
    }


async def work_out(facilitator, scene, params: dict[str, str]):
    return await facilitator.client.get(pool_path(scene) + "?" + urlencode(params))


def chances(html: str) -> dict[int, float]:
    """Each volunteer's chance as the page shows it, in percent, by their number."""
    table = html.split("data-chances", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'data-volunteer="(\d+)".*?([\d.]+)%(?: <span|</td>)', table)
    return {int(n): float(p) for n, p in rows}


def members(html: str, marker: str) -> list[int]:
    table = html.split(marker, 1)[1].split("</table>", 1)[0]
    return [int(n) for n in re.findall(r'data-volunteer="(\d+)"', table)]


async def draw(facilitator, scene, params: dict[str, str], seed: str):
    return await facilitator.post(pool_path(scene) + "/draw", {**params, "seed": seed})


# -- the list and the import ----------------------------------------------------------------------


async def test_the_tab_lists_the_pool_with_its_size_and_draws(facilitator, pool_scene):
    programme_id, pool_id, _q = pool_scene
    page = await facilitator.client.get(f"/f/programmes/{programme_id}/panels")
    assert page.status_code == 200
    assert f'data-pool="{pool_id}"' in page.text
    assert "Spring letter" in page.text and "30 volunteers" in page.text
    assert "0 draws" in page.text
    dashboard = await facilitator.client.get(f"/f/programmes/{programme_id}")
    assert f'href="/f/programmes/{programme_id}/panels"' in dashboard.text


async def test_the_import_names_the_pool_and_counts_households(facilitator, pool_scene):
    page = await facilitator.client.get(pool_path(pool_scene))
    assert "Imported 30 volunteers into “Spring letter”." in page.text
    # 30 volunteers; Young 1 and Quiet 3 share homes, Quiet 1, 2 and 4 give none: 28 homes
    assert "from 28 households" in page.text


async def test_a_bad_pool_file_is_refused_by_line_and_stores_nothing(app, facilitator, pool_scene):
    programme_id, _pool_id, _q = pool_scene
    before = db_rows(app.state.settings.data_path)
    bad = pool_csv([*POOL[:3], ("Bad", "Castle", "65 and over", "")])
    response = await upload(facilitator, programme_id, bad)
    assert response.status_code == 400
    assert 'data-line="5"' in response.text
    assert "“Castle” is not an answer to “Tenure”" in response.text
    assert db_rows(app.state.settings.data_path) == before


async def test_the_empty_pool_file_has_a_column_per_question(facilitator, pool_scene):
    programme_id, _pool_id, _q = pool_scene
    response = await facilitator.client.get(f"/f/programmes/{programme_id}/panels/volunteers.csv")
    assert response.status_code == 200
    assert response.text.splitlines()[0] == "\ufeffname,email,phone,household,Tenure,Age band"
    assert "attachment" in response.headers["content-disposition"]


async def test_the_pages_are_for_signed_in_facilitators_only(app, pool_scene):
    async with new_client(app) as stranger:
        page = await stranger.get(pool_path(pool_scene))
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        refused = await stranger.post(pool_path(pool_scene) + "/draw", data={"seed": "1"})
        assert refused.status_code == 403


async def test_a_pool_of_another_programme_is_not_found(app, facilitator, pool_scene):
    _programme_id, pool_id, _q = pool_scene
    other, _ = await programme_asking(facilitator, app, Street=("A", "B"))
    page = await facilitator.client.get(f"/f/programmes/{other}/panels/{pool_id}")
    assert page.status_code == 404
    assert "could not find that pool" in page.text


# -- chances ---------------------------------------------------------------------------------------


async def test_everyone_gets_a_chance_that_adds_up_to_the_seats(facilitator, pool_scene):
    _p, _pool, questions = pool_scene
    page = await work_out(facilitator, pool_scene, settings(questions))
    assert page.status_code == 200, page.text
    shown = chances(page.text)
    assert sorted(shown) == list(range(1, 31))
    # each chance is shown to one decimal place, so 30 roundings of at most 0.05 points
    assert abs(sum(shown.values()) - 600) <= 30 * 0.05
    assert all(p > 0 for p in shown.values())
    # the two under 30 share at least one seat: on average half a seat each at least
    assert shown[YOUNG[0]] + shown[YOUNG[1]] >= 100 - 0.1
    smallest = float(re.search(r"data-smallest>([\d.]+)%", page.text).group(1))
    assert smallest == min(shown.values())


async def test_a_volunteer_all_but_sure_of_a_seat_is_flagged(facilitator, pool_scene):
    _p, _pool, questions = pool_scene
    params = settings(questions, **quota(questions, "Age band", "Under 30", 2, 2))
    page = await work_out(facilitator, pool_scene, params)
    shown = chances(page.text)
    assert shown[YOUNG[0]] == shown[YOUNG[1]] == 100.0
    flagged = re.findall(r'data-volunteer="(\d+)" class="flagged"', page.text)
    assert sorted(map(int, flagged)) == sorted(YOUNG)
    assert re.search(r"data-flagged>2<", page.text)
    assert "2 volunteers are all but sure of a seat" in page.text


async def test_groups_show_expected_seats_within_their_quota(facilitator, pool_scene):
    _p, _pool, questions = pool_scene
    page = await work_out(facilitator, pool_scene, settings(questions))
    table = page.text.split(f'data-groups="{questions["Tenure"].id}"', 1)[1].split("</table>")[0]
    row = table.split("Social rent", 1)[1].split("</tr>")[0]
    assert "2–3" in row
    expected = float(re.search(r"data-expected>([\d.]+)<", row).group(1))
    assert 2.0 <= expected <= 3.0


async def test_quotas_that_cannot_be_met_are_named_with_a_fix_that_works(facilitator, pool_scene):
    _p, _pool, questions = pool_scene
    params = settings(questions, **quota(questions, "Age band", "Under 30", 3, 3))
    page = await work_out(facilitator, pool_scene, params)
    assert page.status_code == 200
    assert 'data-lottery="infeasible"' in page.text
    assert "No panel of 6 seats can meet these quotas" in page.text
    assert "Only 2 volunteers have Age band “Under 30”, but the minimum is 3." in page.text
    assert "Lower the minimum for Age band “Under 30” from 3 to 2." in page.text
    assert "Draw the panel" not in page.text
    link = re.search(r'href="([^"]+)#chances">Use these quotas', page.text).group(1)
    fixed = await facilitator.client.get(link.replace("&amp;", "&"))
    assert 'data-lottery="ok"' in fixed.text
    assert sum(chances(fixed.text).values()) == pytest.approx(600, abs=1.5)


async def test_a_pool_too_small_says_so_without_a_fix(facilitator, pool_scene):
    _p, _pool, _questions = pool_scene
    page = await work_out(facilitator, pool_scene, {"seats": "30", "household": "1"})
    assert "With one person per household, the pool has 28 households" in page.text
    assert "No change to the quotas can help" in page.text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"seats": "six"}, "The panel size must be a whole number"),
        ({"seats": ""}, "Please say how many seats the panel has."),
        ({"seats": "31"}, "The panel needs between 1 and 30 seats: the pool has 30 volunteers."),
        ({"seats": "6", "reserves": "-1"}, "The number of reserves must be a whole number"),
        ({"seats": "6", "reserves": "101"}, "At most 100 reserves can be drawn."),
        ({"seats": "6", "min-999-1": "1"}, "The questions have changed since this page"),
    ],
)
async def test_bad_settings_get_a_clear_message(facilitator, pool_scene, params, message):
    page = await work_out(facilitator, pool_scene, params)
    assert page.status_code == 400
    assert message in page.text
    assert "data-chances" not in page.text


async def test_a_bad_quota_names_its_answer(facilitator, pool_scene):
    _p, _pool, questions = pool_scene
    params = {"seats": "6", **quota(questions, "Tenure", None, "x")}
    page = await work_out(facilitator, pool_scene, params)
    assert page.status_code == 400
    assert "The quotas for Tenure “Prefer not to say” must be whole numbers" in page.text


async def test_quotas_can_be_set_from_the_place(app, facilitator, pool_scene):
    programme_id, _pool, questions = pool_scene
    tenure = questions["Tenure"]
    figures = {"Social rent": "50", "Private rent": "20", "Owner": "30"}
    await facilitator.post(
        f"/f/programmes/{programme_id}/people/questions/{tenure.id}/makeup",
        {f"amount-{choice(tenure, k)}": v for k, v in figures.items()},
    )
    page = await work_out(facilitator, pool_scene, {"seats": "6", "suggest": "1"})
    assert page.status_code == 200
    values = dict(re.findall(r'name="((?:min|max)-[\d]+-[\dnone]+)" value="(\d*)"', page.text))
    social = f"{tenure.id}-{choice(tenure, 'Social rent')}"
    private = f"{tenure.id}-{choice(tenure, 'Private rent')}"
    assert (values[f"min-{social}"], values[f"max-{social}"]) == ("3", "3")
    assert (values[f"min-{private}"], values[f"max-{private}"]) == ("1", "2")
    assert 'data-lottery="ok"' in page.text


# -- drawing ---------------------------------------------------------------------------------------


async def test_a_draw_meets_the_quotas_and_can_be_checked_from_the_lottery_file(
    app, facilitator, pool_scene
):
    _p, _pool, questions = pool_scene
    params = settings(questions)
    response = await draw(facilitator, pool_scene, params, "  4 17  23 31 ")
    assert response.status_code == 303, response.text
    page = await facilitator.client.get(response.headers["location"])
    assert "The panel is drawn with the seed “4 17 23 31”." in page.text
    panel = members(page.text, "data-members")
    reserves = members(page.text, "data-reserves")
    assert len(panel) == 6 and len(reserves) == 3 and not set(panel) & set(reserves)
    under_30 = sum(1 for n in panel if POOL[n - 1][2] == "Under 30")
    social = sum(1 for n in panel if POOL[n - 1][1] == "Social rent")
    owners = sum(1 for n in panel if POOL[n - 1][1] == "Owner")
    assert 1 <= under_30 <= 2 and 2 <= social <= 3 and owners <= 3

    # Anyone with the lottery file and the seed finds the same panel.
    lottery = await facilitator.client.get(response.headers["location"] + "/lottery.csv")
    rows = list(csv.DictReader(io.StringIO(lottery.text.lstrip("\ufeff"))))
    total = int(rows[-1]["last_ticket"]) + 1
    digest = hashlib.sha256(b"panel:4 17 23 31").digest()
    ticket = int.from_bytes(digest, "big") % total
    (won,) = [r for r in rows if int(r["first_ticket"]) <= ticket <= int(r["last_ticket"])]
    assert sorted(map(int, won["members"].split())) == sorted(panel)
    assert won["drawn"] == "yes"
    assert f"Here: ticket {ticket:,} of {total:,}." in page.text
    assert "Owner 1" not in lottery.text  # no names in the public file


async def test_the_same_draw_sent_twice_is_kept_once_and_a_new_seed_is_listed(
    app, facilitator, pool_scene
):
    _p, _pool, questions = pool_scene
    params = settings(questions)
    first = await draw(facilitator, pool_scene, params, "dice 3 5 6")
    again = await draw(facilitator, pool_scene, params, "dice 3 5 6")
    assert first.headers["location"] == again.headers["location"]
    other = await draw(facilitator, pool_scene, params, "dice 1 1 2")
    assert other.headers["location"] != first.headers["location"]
    pool_page = await facilitator.client.get(pool_path(pool_scene))
    assert pool_page.text.count("data-draw=") == 2
    assert "“dice 3 5 6”" in pool_page.text and "“dice 1 1 2”" in pool_page.text
    second = await facilitator.client.get(other.headers["location"])
    assert "This pool has been drawn 2 times; this is draw 2." in second.text


@asynccontextmanager
async def fresh_app(path: str):
    """A new app on a new database file, with a signed-in facilitator."""
    application = create_app(Settings(data_path=path))
    async with application.router.lifespan_context(application):
        await application.state.store.users.create_user("facilitator", quick_hash(PASSWORD))
        async with new_client(application) as client:
            person = Facilitator(client)
            assert (await person.login()).status_code == 303
            yield application, person


async def test_the_same_seed_draws_the_same_panel_in_a_new_app(tmp_path):
    """The draw depends on the inputs and the seed only: a new app on a new database, given the
    same pool, quotas and seed, draws the same panel (nothing is carried over in memory)."""
    panels = []
    for n in range(2):
        async with fresh_app(str(tmp_path / f"app-{n}.sqlite3")) as (application, facilitator):
            scene = await make_scene(application, facilitator)
            _p, _pool, questions = scene
            response = await draw(facilitator, scene, settings(questions), "lantern 77")
            page = await facilitator.client.get(response.headers["location"])
            panels.append((members(page.text, "data-members"), members(page.text, "data-reserves")))
    assert panels[0] == panels[1]


async def test_the_household_rule_keeps_housemates_apart(facilitator, pool_scene):
    _p, _pool, questions = pool_scene
    # Young 1 shares a home with Renter 1; with two under-30 seats both young are needed, so
    # under the rule Renter 1 can never sit.
    params = {
        **settings(questions, household="1"),
        **quota(questions, "Age band", "Under 30", 2, 2),
    }
    page = await work_out(facilitator, pool_scene, params)
    shown = chances(page.text)
    assert shown[number("Young 1")] == 100.0 and shown[number("Renter 1")] == 0.0
    response = await draw(facilitator, pool_scene, params, "7")
    drawn = await facilitator.client.get(response.headers["location"])
    panel = members(drawn.text, "data-members")
    homes = [POOL[n - 1][3] for n in panel if POOL[n - 1][3]]
    assert len(homes) == len(set(homes))
    assert "at most one person per household" in drawn.text


async def test_the_panel_file_has_the_contacts_of_those_drawn(facilitator, pool_scene):
    _p, _pool, questions = pool_scene
    response = await draw(facilitator, pool_scene, settings(questions), "42")
    page = await facilitator.client.get(response.headers["location"])
    download = await facilitator.client.get(response.headers["location"] + "/panel.csv")
    rows = list(csv.DictReader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert [r["outcome"] for r in rows] == ["panel"] * 6 + [f"reserve {i}" for i in (1, 2, 3)]
    assert [int(r["number"]) for r in rows] == members(page.text, "data-members") + members(
        page.text, "data-reserves"
    )
    first = rows[0]
    name = POOL[int(first["number"]) - 1][0]
    assert first["name"] == name
    assert first["email"] == name.lower().replace(" ", ".") + "@example.org"
    assert first["Tenure"] == POOL[int(first["number"]) - 1][1]


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"seed": "   "}, 400, "Please give the seed you published"),
        ({"seed": "x" * 201}, 400, "The seed is too long"),
        ({"seats": "zero"}, 400, "The panel size must be a whole number"),
        ({"csrf": "stale"}, 403, "This page had expired"),
    ],
)
async def test_a_refused_draw_records_nothing(
    app, facilitator, pool_scene, change, status, message
):
    _p, _pool, questions = pool_scene
    before = db_rows(app.state.settings.data_path)
    data = {"csrf": facilitator.token, **settings(questions), "seed": "1", **change}
    response = await facilitator.client.post(pool_path(pool_scene) + "/draw", data=data)
    assert response.status_code == status
    assert message in response.text
    assert db_rows(app.state.settings.data_path) == before


async def test_quotas_that_cannot_be_met_draw_nothing(app, facilitator, pool_scene):
    _p, _pool, questions = pool_scene
    before = db_rows(app.state.settings.data_path)
    params = settings(questions, **quota(questions, "Age band", "Under 30", 3, 3))
    response = await draw(facilitator, pool_scene, params, "1")
    assert response.status_code == 400
    assert "No panel can meet these quotas, so nothing was drawn." in response.text
    assert db_rows(app.state.settings.data_path) == before


async def test_deleting_a_pool_needs_the_box_ticked_and_removes_everyone(
    app, facilitator, pool_scene
):
    _programme_id, pool_id, questions = pool_scene
    response = await draw(facilitator, pool_scene, settings(questions), "1")
    draw_path = response.headers["location"]
    refused = await facilitator.post(pool_path(pool_scene) + "/delete", {})
    assert refused.status_code == 400
    assert await app.state.store.pools.volunteers(pool_id)
    done = await facilitator.post(pool_path(pool_scene) + "/delete", {"confirm": "yes"})
    assert done.status_code == 303
    page = await facilitator.client.get(done.headers["location"])
    assert "Deleted “Spring letter”" in page.text
    assert await app.state.store.pools.volunteers(pool_id) == []
    assert (await facilitator.client.get(draw_path)).status_code == 404
    stale = await draw(facilitator, pool_scene, settings(questions), "2")
    assert stale.status_code == 404


async def test_the_draw_form_carries_the_settings_it_was_worked_out_with(facilitator, pool_scene):
    _p, _pool, questions = pool_scene
    params = settings(questions, household="1")
    page = await work_out(facilitator, pool_scene, params)
    form = page.text.split('action="' + pool_path(pool_scene) + '/draw"', 1)[1].split("</form>")[0]
    hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form))
    hidden.pop("csrf")
    assert hidden == {k: v for k, v in params.items() if v != ""}
    assert csrf_of(page.text)
