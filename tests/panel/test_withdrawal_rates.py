"""Withdrawal rates set by the organiser on the pool page, against the real app: shown beside what
past panels say and what will be used, carried to the draw, ordering the alternates, and stated on
the drawn panel's page. Refused rates change nothing."""

from __future__ import annotations

import csv
import html
import io
import re
from urllib.parse import urlencode

import pytest

from tests.helpers import db_rows
from tests.panel.test_panels_page import members, quota, upload
from tests.people.scene import AGE, choice, programme_asking

# Eight volunteers by age band: two under 30, four from 30 to 64, two 65 and over.
BANDS = ["Under 30"] * 2 + ["30 to 64"] * 4 + ["65 and over"] * 2
ISOLATE = ("\u2068", "\u2069")  # around answers named in a sentence, so they keep their direction


@pytest.fixture
async def scene(app, facilitator):
    """A programme asking the age band, with the eight volunteers imported: (path, question)."""
    programme_id, questions = await programme_asking(facilitator, app, Age_band=AGE)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "email", "Age band"])
    for n, band in enumerate(BANDS, start=1):
        writer.writerow([f"Volunteer {n}", f"v{n}@example.org", band])
    response = await upload(facilitator, programme_id, out.getvalue().encode(), "Estate")
    assert response.status_code == 303, response.text
    return response.headers["location"], questions


def params(questions, **rates: str) -> dict[str, str]:
    """Four seats, exactly one under 30, two from 30 to 64 and one 65 and over; one alternate."""
    q = questions["Age band"]
    return {
        "seats": "4",
        "reserves": "1",
        **quota(questions, "Age band", "Under 30", 1, 1),
        **quota(questions, "Age band", "30 to 64", 2, 2),
        **quota(questions, "Age band", "65 and over", 1, 1),
        **{
            f"rate-{q.id}-{choice(q, k.replace('_', ' '))}" if k != "usual" else "rate": v
            for k, v in rates.items()
        },
    }


def band_of(n: int) -> str:
    return BANDS[n - 1]


async def drawn_page(facilitator, path: str, form: dict[str, str], seed: str) -> str:
    response = await facilitator.post(path + "/draw", {**form, "seed": seed})
    assert response.status_code == 303, response.text
    page = html.unescape((await facilitator.client.get(response.headers["location"])).text)
    return page.replace(ISOLATE[0], "").replace(ISOLATE[1], "")


async def test_a_high_rate_for_one_group_calls_an_alternate_from_that_group(facilitator, scene):
    path, questions = scene
    plain = await drawn_page(facilitator, path, params(questions), "7 7")
    alternate = members(plain, "data-reserves")
    # With everyone at 15%, the two members from 30 to 64 are the likeliest to leave a gap.
    assert [band_of(n) for n in alternate] == ["30 to 64"]
    assert "Alternates ordered for the default withdrawal rate: usual 15%." in plain

    form = params(questions, usual="15", Under_30="90")
    feared = await drawn_page(facilitator, path, form, "7 7")
    assert members(feared, "data-members") == members(plain, "data-members")
    # The one member under 30 will very likely withdraw, and only the other can keep the quota.
    assert [band_of(n) for n in members(feared, "data-reserves")] == ["Under 30"]
    assert (
        "Alternates ordered for withdrawal rates set by the organiser:"
        " usual 15% and Age band “Under 30” 90%." in feared
    )


async def test_the_pool_page_shows_the_rates_that_will_be_used(facilitator, scene):
    path, questions = scene
    page = html.unescape((await facilitator.client.get(path)).text)
    rates = page.split("data-withdrawal-rates", 1)[1].split("</details>", 1)[0]
    assert "No past panel has recorded withdrawals yet." in rates
    assert "Used: 15% (default)" in rates
    assert "Past panels</th>" not in rates  # nothing learned: no column of dashes
    form = params(questions, usual="20", Under_30="35.5")
    page = html.unescape((await facilitator.client.get(path + "?" + urlencode(form))).text)
    rates = page.split("data-withdrawal-rates", 1)[1].split("</details>", 1)[0]
    assert rates.startswith(" open>")
    assert "Used: 20% (set here)" in rates
    young = rates.split('data-answer="' + str(choice(questions["Age band"], "Under 30")), 1)[1]
    assert 'value="35.5"' in young.split("</tr>", 1)[0]
    assert "35.5% <span" in young.split("</tr>", 1)[0]
    # The draw form carries the rates to the draw.
    draw_form = page.split('action="' + path + '/draw"', 1)[1].split("</form>", 1)[0]
    assert 'name="rate" value="20"' in draw_form


async def test_past_panels_are_shown_beside_the_rates(facilitator, scene):
    path, questions = scene
    response = await facilitator.post(path + "/draw", {**params(questions), "seed": "1"})
    draw_path = response.headers["location"]
    page = (await facilitator.client.get(draw_path)).text
    gone = members(page, "data-members")[0]
    step = {"action": "withdraw", "volunteer": str(gone), "reason": "Moved away"}
    assert (await facilitator.post(draw_path + "/steps", step)).status_code == 303
    page = html.unescape((await facilitator.client.get(path)).text)
    rates = page.split("data-withdrawal-rates", 1)[1].split("</details>", 1)[0]
    assert "Past panels: 1 of 1 member withdrew." in rates
    assert re.search(r"Used: [\d.]+% \(past panels\)", rates)
    # Only the member who withdrew has a recorded outcome: past panels speak for their answer.
    row = rates.split(f'data-answer="{choice(questions["Age band"], band_of(gone))}"', 1)[1]
    assert re.search(r"<td data-past-rate>[\d.]+%</td>", row.split("</tr>", 1)[0])
    assert len(re.findall(r"<td data-past-rate>[\d.]+%</td>", rates)) == 1


@pytest.mark.parametrize(
    ("rates", "message"),
    [
        ({"usual": "lots"}, "The usual withdrawal rate must be a percentage from 0 to 99"),
        ({"Under_30": "100"}, "The withdrawal rate for Age band “Under 30” must be a percentage"),
        ({"Under_30": "-3"}, "The withdrawal rate for Age band “Under 30” must be a percentage"),
        ({"usual": "12.345"}, "The usual withdrawal rate must be a percentage from 0 to 99"),
    ],
)
async def test_a_bad_rate_is_refused_and_changes_nothing(app, facilitator, scene, rates, message):
    path, questions = scene
    form = params(questions, **rates)
    page = await facilitator.client.get(path + "?" + urlencode(form))
    assert page.status_code == 400
    text = html.unescape(page.text)
    assert message in text
    assert "data-chances" not in text
    # The box at fault is marked and tied to the message, and shows what was typed.
    wrong = next(v for k, v in rates.items())
    box = re.search(r'<input [^>]*value="' + re.escape(wrong) + '"[^>]*>', text).group(0)
    assert 'aria-invalid="true"' in box and "setup-error" in box
    before = db_rows(app.state.settings.data_path)
    refused = await facilitator.post(path + "/draw", {**form, "seed": "1"})
    assert refused.status_code == 400
    assert message in html.unescape(refused.text)
    assert db_rows(app.state.settings.data_path) == before


async def test_a_numbered_draw_orders_its_alternates_for_the_rates_set_when_it_was_fixed(
    facilitator, scene
):
    path, questions = scene

    async def numbered(form: dict[str, str], m: str) -> str:
        fixed = await facilitator.post(path + "/commit", {**form, "m": m})
        assert fixed.status_code == 303, fixed.text
        drawn = await facilitator.post(fixed.headers["location"] + "/draw", {"value": "4 4"})
        assert drawn.status_code == 303, drawn.text
        page = html.unescape((await facilitator.client.get(drawn.headers["location"])).text)
        return page.replace(ISOLATE[0], "").replace(ISOLATE[1], "")

    # A lottery fixed once is kept with the settings it was fixed with: two sizes, two lotteries.
    plain = await numbered(params(questions), "100")
    assert [band_of(n) for n in members(plain, "data-reserves")] == ["30 to 64"]
    page = await numbered(params(questions, usual="15", Under_30="90"), "1000")
    assert [band_of(n) for n in members(page, "data-reserves")] == ["Under 30"]
    assert (
        "Alternates ordered for withdrawal rates set by the organiser:"
        " usual 15% and Age band “Under 30” 90%." in page
    )
