"""Who takes part, in Chromium: the organiser asks two questions and gives the make-up of the
place, phones answer (one skips), the console's room panel follows live with the widest gap
first, and a closed dot round's results are split by tenure without showing any group under 5."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESK, PHONE, FacilitatorUI, PhoneUI, no_serious_axe_violations
from tests.helpers import csrf_of

pytestmark = pytest.mark.browser

TENURE = ("Social rent", "Private rent", "Owner")
AGE = ("Under 30", "30 to 64", "65 and over")
AGE_CSV = (
    b"question,answer,amount\n"
    b"Age band,Under 30,30%\nAge band,30 to 64,50%\nAge band,65 and over,20%\n"
)
# Residents who join over plain HTTP to fill the room, by their tenure.
MORE = (("Social rent",) * 5, ("Owner",) * 2, ("Private rent",))


class HttpPhone:
    """A resident's phone without a browser: joins, answers and votes by plain form posts (the
    phone page's fallback when its socket is down), so a full room stays quick to seat."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=15)
        self.code = ""

    def join(self, code: str) -> None:
        home = self.client.get("/")
        self.client.post("/join", data={"csrf": csrf_of(home.text), "code": code})
        self.code = code

    def answer(self, question_id: int, choice_id: int) -> None:
        page = self.client.get(f"/w/{self.code}/about")
        data = {"csrf": csrf_of(page.text), "action": "save", f"q-{question_id}": str(choice_id)}
        assert self.client.post(f"/w/{self.code}/about", data=data).status_code == 303

    def vote(self, round_id: int, dots: dict[int, int]) -> None:
        page = self.client.get(f"/w/{self.code}")
        data = {
            "csrf": csrf_of(page.text),
            "round_id": str(round_id),
            "client_id": uuid.uuid4().hex,
        }
        data |= {f"dots-{o}": str(n) for o, n in dots.items()}
        assert self.client.post(f"/w/{self.code}/ballot", data=data).status_code == 303


def join_and_meet_the_questions(phone: PhoneUI, code: str) -> Page:
    page = phone.page
    page.goto("/")
    page.get_by_label("Workshop code").fill(code)
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/w/{code}/about\?first=1$"))
    expect(page.get_by_role("heading", name="A few questions about you")).to_be_visible()
    return page


def room_rows(console: Page, workshop_id: int):
    return console.locator(f"#room-{workshop_id} .room-question")


def test_profile_answers_the_room_against_the_place_and_a_split_result(
    new_context, server, request
):
    f = FacilitatorUI(new_context(DESK))
    f.sign_in()
    code = f.create_workshop("Courtyard evening")
    ids = f.add_options("Benches", "Lighting")
    page = f.page

    # The organiser: a programme holding the workshop, two questions, the place's make-up.
    page.get_by_role("link", name="Programmes").click()
    page.get_by_label("Title").fill("Phoenix Place plan")
    page.get_by_role("button", name="Create programme").click()
    page.get_by_label("Add a workshop to this programme").select_option(label="Courtyard evening")
    page.get_by_role("button", name="Add workshop").click()
    page.get_by_role("link", name="Who takes part").click()
    expect(page.get_by_role("heading", name="What people are asked, and why")).to_be_visible()
    for label, choices in (("Tenure", TENURE), ("Age band", AGE)):
        form = page.locator("#new-question form")
        if page.locator("#new-question").get_attribute("open") is None:
            page.locator("#new-question > summary").click()
        form.get_by_label("Question", exact=True).fill(label)
        form.get_by_label("Answers to choose from, one per line").fill("\n".join(choices))
        form.get_by_role("button", name="Add question").click()
        expect(page.locator("#flash")).to_contain_text(f"Added the question “{label}”.")
    tenure = page.locator(".profile-question", has=page.get_by_role("heading", name="Tenure"))
    for label, amount in zip(TENURE, ("50", "30", "20"), strict=True):
        tenure.get_by_label(label, exact=True).fill(amount)
    tenure.get_by_role("button", name="Save the figures: Tenure").click()
    expect(page.locator("#flash")).to_contain_text("Saved the figures for “Tenure”.")
    expect(tenure.locator("[data-place]")).to_contain_text("Social rent 50%")
    page.set_input_files(
        "#import-makeup", files=[{"name": "place.csv", "mimeType": "text/csv", "buffer": AGE_CSV}]
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#flash")).to_contain_text("imported for 1 question")
    no_serious_axe_violations(page, "who takes part")
    question_ids = {
        label: int(page.locator(".profile-question", has=page.get_by_role("heading", name=label))
                   .get_attribute("data-question"))
        for label in ("Tenure", "Age band")
    }  # fmt: skip
    choice_ids = {
        label: int(tenure.get_by_label(label, exact=True).get_attribute("id").split("-")[1])
        for label in TENURE
    }

    # The console: the room panel is there before anyone joins.
    console = page
    console.goto(f"/f/workshops/{f.workshop_id}")
    panel = console.locator(f"#room-{f.workshop_id}")
    expect(panel).to_be_visible()
    expect(panel.locator("[data-present]")).to_have_attribute("data-present", "0")

    # Three phones: an owner under 30, one who skips, a social renter aged 30 to 64.
    first, second, third = (PhoneUI(new_context(PHONE)) for _ in range(3))
    about = join_and_meet_the_questions(first, code)
    width = about.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the About you page scrolls sideways on a phone"
    tenure_set = about.get_by_role("group", name="Tenure")
    expect(tenure_set.get_by_role("radio")).to_have_count(4)  # three answers and "prefer not"
    box = tenure_set.locator("label").first.bounding_box()
    assert box and box["height"] >= 44, "an answer is too small to tap"
    no_serious_axe_violations(about, "about you")
    tenure_set.get_by_label("Owner").check()
    about.get_by_role("group", name="Age band").get_by_label("Under 30").check()
    about.get_by_role("button", name="Save my answers").click()
    expect(about).to_have_url(re.compile(rf"/w/{code}$"))
    first.wait_online()
    expect(about.get_by_role("link", name="About you (optional)")).to_be_visible()

    # Live, without a reload: owners are all of the room but a fifth of the place (+80).
    questions = room_rows(console, f.workshop_id)
    expect(questions.first).to_have_attribute("data-question", str(question_ids["Tenure"]))
    top = questions.first.locator("tbody tr").first
    expect(top).to_have_attribute("data-choice", str(choice_ids["Owner"]))
    expect(top.locator("[data-gap]")).to_have_attribute("data-gap", "+80")

    skipper = join_and_meet_the_questions(second, code)
    skipper.get_by_role("button", name="Skip").click()
    expect(skipper).to_have_url(re.compile(rf"/w/{code}$"))
    expect(panel.locator("[data-present]")).to_have_attribute("data-present", "2")
    expect(questions.first.locator(".room-rest")).to_contain_text("Not answered: 1")

    renter = join_and_meet_the_questions(third, code)
    renter.get_by_role("group", name="Tenure").get_by_label("Social rent").check()
    renter.get_by_role("group", name="Age band").get_by_label("30 to 64").check()
    renter.get_by_role("button", name="Save my answers").click()
    expect(renter).to_have_url(re.compile(rf"/w/{code}$"))
    # Owners and social renters half each: private renters (none here, 30% of the place) and
    # owners (+30) now tie for the widest gap, and the earlier answer in the list goes first.
    top = questions.first.locator("tbody tr").first
    expect(top).to_have_attribute("data-choice", str(choice_ids["Private rent"]))
    expect(top.locator("[data-gap]")).to_have_attribute("data-gap", "−30")
    expect(questions.first).to_have_attribute("data-question", str(question_ids["Tenure"]))

    # Eight more residents fill the room over plain HTTP.
    others = []
    for label in (label for group in MORE for label in group):
        resident = HttpPhone(server.url)
        request.addfinalizer(resident.client.close)
        resident.join(code)
        resident.answer(question_ids["Tenure"], choice_ids[label])
        others.append((resident, label))
    expect(panel.locator("[data-present]")).to_have_attribute("data-present", "11")

    # A dot round: owners favour lighting, everyone else benches.
    round_id = f.create_round("Priorities", "dots", dots=5, cap=3)
    f.open_round("Priorities")
    for phone, dots in ((first, {"Lighting": 3, "Benches": 2}), (second, {"Benches": 3}),
                        (third, {"Benches": 3, "Lighting": 2})):  # fmt: skip
        phone.wait_ballot("dots")
        phone.place_dots(dots)
        phone.send()
        phone.expect_saved()
    for resident, label in others:
        favour = ids["Lighting"] if label == "Owner" else ids["Benches"]
        resident.vote(round_id, {favour: 3})
    expect(console.locator(f"#console-live-{f.workshop_id} [data-voted]")).to_have_text("11")
    f.close_round("Priorities")

    # Results split by tenure: social renters (6) shown; owners (3), the private renter and the
    # one who skipped are together "Other" (5), never named.
    results = f.results_page(round_id)
    results.get_by_label("Split by").select_option(label="Tenure")
    results.get_by_role("button", name="Show").click()
    table = results.locator("table.split-table")
    expect(table).to_be_visible()
    heads = table.locator("thead th[data-group]")
    expect(heads).to_have_count(2)
    expect(heads.nth(0)).to_have_attribute("data-group", "Social rent")
    expect(heads.nth(0)).to_contain_text("(6 people)")
    expect(heads.nth(1)).to_have_attribute("data-group", "Other")
    expect(heads.nth(1)).to_contain_text("(5 people)")
    benches = table.locator(f"tr[data-option='{ids['Benches']}']")
    expect(benches.locator("td[data-group='Social rent']")).to_have_attribute("data-score", "18")
    expect(benches.locator("td[data-group='Other']")).to_have_attribute("data-score", "8")
    expect(table).not_to_contain_text("Owner")
    expect(table).not_to_contain_text("Private rent")
    expect(results.locator("[data-other-note]")).to_be_visible()
    no_serious_axe_violations(results, "results by group")
    no_serious_axe_violations(console, "console with the room panel")

    download = f.context.request.get(
        f"{f.base}/export/results-by-group.csv?question={question_ids['Tenure']}"
    )
    assert download.ok
    assert "Private rent" not in download.text() and "Owner" not in download.text()
