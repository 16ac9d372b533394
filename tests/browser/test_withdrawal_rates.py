"""Expected withdrawals in Chromium on a phone: the organiser opens the rates on the pool page,
is told plainly about a rate that cannot be, sets the usual rate and a high one for the under
30s, and the panel drawn calls an alternate under 30 first and says which rates it used."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, FacilitatorUI, no_axe_violations
from tests.browser.test_panel_lottery import AGE, add_question, quota_box

pytestmark = pytest.mark.browser

# Eight volunteers by age band: two under 30, four from 30 to 64, two 65 and over.
BANDS = ["Under 30"] * 2 + ["30 to 64"] * 4 + ["65 and over"] * 2


def pool_file() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "email", "Age band"])
    for n, band in enumerate(BANDS, start=1):
        writer.writerow([f"Volunteer {n}", f"v{n}@example.org", band])
    return out.getvalue().encode()


def test_the_organisers_rates_order_the_alternates(new_context, server):
    f = FacilitatorUI(new_context(PHONE))
    f.sign_in()
    page = f.page
    page.goto("/f/programmes")
    page.get_by_label("Title").fill("Phoenix Place plan")
    page.get_by_role("button", name="Create programme").click()
    page.get_by_role("link", name="Who takes part").click()
    add_question(page, "Age band", AGE)
    page.get_by_role("link", name="Panel lottery").click()
    page.get_by_label("Name of the pool").fill("Estate")
    page.set_input_files(
        "#pool-file", files=[{"name": "pool.csv", "mimeType": "text/csv", "buffer": pool_file()}]
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#flash")).to_contain_text("Imported 8 volunteers into “Estate”.")

    page.get_by_label("Seats on the panel").fill("4")
    page.get_by_label("Reserves to draw").fill("1")
    for answer, seats in (("Under 30", "1"), ("30 to 64", "2"), ("65 and over", "1")):
        quota_box(page, "At least", "Age band", answer).fill(seats)
        quota_box(page, "At most", "Age band", answer).fill(seats)
    rates = page.locator("[data-withdrawal-rates]")
    rates.locator("summary").click()
    expect(rates.get_by_text("No past panel has recorded withdrawals yet.")).to_be_visible()
    young = page.get_by_label("Expected withdrawal rate (%): Age band “Under 30”", exact=True)
    young.fill("100")
    page.get_by_role("button", name="Work out the chances").click()
    expect(page.locator("[data-error]")).to_have_text(
        "The withdrawal rate for Age band “Under 30” must be a percentage from 0 to 99, such as 30."
    )
    # The box at fault is shown open, as typed, marked and described by the message.
    expect(young).to_be_visible()
    expect(young).to_have_value("100")
    expect(young).to_have_attribute("aria-invalid", "true")
    expect(young).to_have_accessible_description(re.compile("must be a percentage"))
    no_axe_violations(page, "the pool page with a refused rate")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    young.fill("90")
    page.get_by_label("Usual withdrawal rate (%)").fill("15")
    page.get_by_role("button", name="Work out the chances").click()
    expect(page.locator("#chances")).to_have_attribute("data-lottery", "ok")
    expect(rates).to_have_attribute("open", "")
    row = rates.locator("tr", has=page.get_by_role("rowheader", name="Under 30"))
    expect(row.locator("[data-used]")).to_have_text("90% (set here)")
    expect(rates.locator("[data-usual-used]")).to_have_text("Used: 15% (set here)")

    page.get_by_label("The published seed").fill("7 7")
    page.get_by_role("button", name="Draw the panel and 1 reserve").click()
    expect(page).to_have_url(re.compile(r"/draws/\d+$"))
    said = page.locator("[data-rates-used]").inner_text()
    assert said.replace("\u2068", "").replace("\u2069", "") == (
        "Alternates ordered for withdrawal rates set by the organiser:"
        " usual 15% and Age band “Under 30” 90%."
    )
    alternate = page.locator("[data-reserves] tbody tr").first.get_attribute("data-volunteer")
    assert BANDS[int(alternate) - 1] == "Under 30"
    no_axe_violations(page, "the drawn panel")
