"""Printable paper ballots: each kind's sheet says in plain words how to fill it in, lists the
options with their pictures in the paper form's order, and has the box for the label the paper
page asks for; printed in the page's language, as many copies as asked, for the desk only."""

from __future__ import annotations

import html
import re

import pytest

from facilitation import kinds
from facilitation.core import i18n
from facilitation.core.models import Role
from tests.conftest import new_client
from tests.helpers import PASSWORD, ROOT, Facilitator, quick_hash
from tests.translation import untranslated
from tests.web.test_languages import offer, translate
from tests.workshop.test_paper import PaperDesk
from tests.workshop.test_pictures import photo, upload

LABEL_BOX = "Label (filled in by the facilitator):"


def sheets(page: str) -> list[str]:
    """Each printed sheet of the page, as HTML."""
    return re.findall(r'<article class="paper-sheet[^"]*" data-sheet>(.*?)</article>', page, re.S)


def rules(sheet: str) -> str:
    found = re.search(r'<p class="sheet-rules">(.*?)</p>', sheet, re.S)
    assert found, sheet[:300]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).split())


def option_ids(page: str) -> list[int]:
    """The options in the order a sheet (or the paper form) lists them."""
    return [int(i) for i in re.findall(r'data-option="(\d+)"', page)]


def paper_form_ids(page: str) -> list[int]:
    """The options in the order the paper entry form asks for them (a rating's radio buttons
    share their statement's name)."""
    found = re.findall(r'name="(?:dots|place|pick|rate|fist)-(\d+)"', page)
    return [int(i) for i in dict.fromkeys(found)]


def pictured(sheet: str) -> list[int]:
    return [int(i) for i in re.findall(r'<img class="option-picture" src="/pictures/(\d+)/', sheet)]


def error_of(page: str) -> str:
    found = re.search(r'id="sheet-error">(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else ""


@pytest.fixture
async def desk(room) -> PaperDesk:
    """ "Green spaces" again, its options added in the order Trees, Benches, Lighting (so the
    sheet's order is the options' own, not the alphabet's), with a picture of the benches."""
    costs = {"Trees": "5000", "Benches": "3000", "Lighting": "4000"}
    made = await room.another("Green spaces", costs, PaperDesk)
    response = await upload(made, "Benches", photo((400, 300)))
    assert response.status_code == 303, response.text
    return made


async def sheet_page(desk: PaperDesk, round_id: int, query: str = "", client=None):
    person = client or desk.facilitator.client
    return await person.get(f"{desk.console}/rounds/{round_id}/sheet{query}")


KINDS = [
    (
        "dots",
        {"dots": "5", "max_per_option": "2"},
        "Put up to 5 dots next to what matters most, at most 2 next to one option.",
    ),
    (
        "dots",
        {"dots": "3", "max_per_option": "1"},
        "Put a tick next to up to 3 options you support.",
    ),
    ("rank", {}, "Number your choices 1, 2, 3…: 1 is the most important."),
    ("rank", {"top_k": "2"}, "Number your top 2 choices 1, 2, 3…: 1 is the most important."),
    ("budget", {"budget": "8000"}, "Tick what to fund; the total must not exceed £8,000."),
    (
        "rating",
        {},
        "How much do you agree? Answer the ones you can; skip any you prefer not to. "
        "Circle one answer for each.",
    ),
    (
        "fist",
        {},
        "How far can you support each proposal? Show 0 to 5 fingers. A fist (0) blocks it "
        "until the room has talked. Circle one answer for each.",
    ),
]


@pytest.mark.parametrize(("kind", "fields", "said"), KINDS)
async def test_each_kinds_sheet_says_how_to_fill_it_in_and_lists_the_paper_forms_options(
    desk, kind, fields, said
):
    round_id = await desk.round("Our say", kind, **fields)
    response = await sheet_page(desk, round_id)
    assert response.status_code == 200
    (sheet,) = sheets(response.text)
    assert rules(sheet) == said
    assert "Our say" in sheet and "Green spaces" in sheet
    assert LABEL_BOX in sheet
    paper = await desk.paper_page(round_id)
    assert option_ids(sheet) == paper_form_ids(paper) == desk.options
    assert pictured(sheet) == [desk.option("Benches")]


async def test_a_budget_sheet_shows_each_options_cost(desk):
    round_id = await desk.round("Fund", "budget", budget="8000")
    (sheet,) = sheets((await sheet_page(desk, round_id)).text)
    costs = re.findall(r'<span class="sheet-cost">(.*?)</span>', sheet)
    assert costs == ["£5,000", "£3,000", "£4,000"]


async def test_a_rating_sheet_has_the_scale_to_circle_for_each_statement(desk):
    round_id = await desk.round("Agree?", "rating")
    (sheet,) = sheets((await sheet_page(desk, round_id)).text)
    assert "Strongly disagree" in sheet and "Don’t know" in sheet
    rows = re.findall(r'<span class="circles"[^>]*>(.*?)</span>\s*</li>', sheet, re.S)
    assert len(rows) == 3
    circles = re.findall(r'<span class="circle">(.*?)</span>', rows[0])
    assert circles == ["1", "2", "3", "4", "5", "?"]


async def test_an_idea_sheet_has_lines_to_write_on(desk):
    round_id = await desk.round("Ideas", "ideas", options=[])
    (sheet,) = sheets((await sheet_page(desk, round_id)).text)
    assert rules(sheet) == "Write your ideas, one on each line."
    assert len(re.findall(r"<li></li>", sheet)) == 8
    assert LABEL_BOX in sheet


async def test_a_draft_rounds_sheet_prints_before_the_workshop_and_the_console_links_it(desk):
    round_id = await desk.create_round("Priorities")
    console = await desk.page()
    assert f'href="{desk.console}/rounds/{round_id}/sheet"' in console
    page = (await sheet_page(desk, round_id)).text
    assert len(sheets(page)) == 1
    assert "This round is closed" not in page


async def test_the_paper_page_links_the_sheet(desk):
    round_id = await desk.round("Priorities", "dots")
    assert f'href="{desk.console}/rounds/{round_id}/sheet"' in await desk.paper_page(round_id)


async def test_a_closed_rounds_sheet_still_prints_and_says_it_cannot_be_counted(desk):
    round_id = await desk.round("Priorities", "dots")
    await desk.act("close", round_id)
    response = await sheet_page(desk, round_id)
    assert response.status_code == 200
    (sheet,) = sheets(response.text)
    assert "This round is closed: a sheet filled in now cannot be counted." in sheet


async def test_copies_repeat_the_sheet_each_on_a_page_of_its_own(desk):
    round_id = await desk.round("Priorities", "dots")
    page = (await sheet_page(desk, round_id, "?copies=12")).text
    printed = sheets(page)
    assert len(printed) == 12 and len(set(printed)) == 1
    assert 'value="12"' in page


@pytest.mark.parametrize("copies", ["0", "61", "two", "-3", "1.5", ""])
async def test_a_number_of_copies_out_of_bounds_is_said_and_prints_nothing(desk, copies):
    round_id = await desk.round("Priorities", "dots")
    response = await sheet_page(desk, round_id, f"?copies={copies}")
    assert response.status_code == 400
    assert error_of(response.text) == "“Copies” must be a whole number from 1 to 60."
    assert sheets(response.text) == []
    assert "data-print" not in response.text


async def test_a_language_that_is_not_shipped_is_refused_with_a_message(desk):
    round_id = await desk.round("Priorities", "dots")
    response = await sheet_page(desk, round_id, "?lang=xx")
    assert response.status_code == 400
    assert error_of(response.text) == "Please choose one of the languages offered."
    assert sheets(response.text) == []


async def test_an_arabic_sheet_reads_right_to_left_with_arabic_digits_and_translated_words(desk):
    await offer(desk, "en", "ar")
    benches = desk.option("Benches")
    await translate(desk, "ar", {f"option-{benches}-title": "مقاعد"})
    round_id = await desk.round("Priorities", "dots", dots="5", max_per_option="2")
    page = (await sheet_page(desk, round_id, "?lang=ar&copies=2")).text
    assert re.search(r'<html lang="ar" dir="rtl">', page)
    first, second = sheets(page)
    assert first == second
    said = rules(first)
    assert "٥" in said and "٢" in said and not re.search(r"[0-9]", said)
    assert ">مقاعد<" in first
    # Trees has no Arabic words: the original, marked as English for the reader.
    assert '<span lang="en" dir="auto">Trees</span>' in first
    # The sheet stays in Arabic without changing the facilitator's own language.
    assert 'lang="en"' in (await desk.page())[:200]


async def test_the_pages_own_language_prints_the_sheet_when_none_is_asked(desk):
    round_id = await desk.round("Priorities", "rank")
    response = await desk.facilitator.post("/f/language", {"lang": "pl", "next": "/f"})
    assert response.status_code == 303
    page = (await sheet_page(desk, round_id)).text
    assert re.search(r'<html lang="pl" dir="ltr">', page)
    assert "Label (filled in by the facilitator):" not in page


async def test_a_participant_or_a_visitor_cannot_print_sheets(app, desk):
    round_id = await desk.round("Priorities", "dots")
    phone = await desk.phone()
    visitor = new_client(app)
    try:
        for client in (phone.client, visitor):
            response = await sheet_page(desk, round_id, client=client)
            assert response.status_code in (302, 303, 401, 403)
            assert sheets(response.text) == []
    finally:
        await visitor.aclose()


async def test_the_workshops_moderator_prints_its_sheets_but_no_other_workshops(app, desk):
    round_id = await desk.round("Priorities", "dots")
    other = await desk.another("Elsewhere", ("Bins", "Paths"), PaperDesk)
    theirs = await other.round("Theirs", "dots")
    await app.state.store.users.create_user(
        "mo", quick_hash(PASSWORD), role=Role.MODERATOR, workshop_id=desk.workshop_id
    )
    async with new_client(app) as device:
        moderator = Facilitator(device)
        assert (await moderator.login("mo")).status_code == 303
        allowed = await sheet_page(desk, round_id, client=device)
        assert allowed.status_code == 200 and len(sheets(allowed.text)) == 1
        refused = await sheet_page(other, theirs, client=device)
        assert refused.status_code in (403, 404) and sheets(refused.text) == []


def test_every_kind_has_a_sheet_to_print():
    missing = [
        k.name
        for k in kinds.all_kinds()
        if not (ROOT / "templates" / "kinds" / k.name / "sheet.html").is_file()
    ]
    assert missing == []


async def test_another_workshops_round_is_not_found(desk):
    other = await desk.another("Elsewhere", ("Bins", "Paths"), PaperDesk)
    round_id = await other.round("Theirs", "dots")
    response = await sheet_page(desk, round_id)  # this workshop's address, that round
    assert response.status_code == 404


@pytest.mark.parametrize("kind", ["dots", "rank", "budget", "rating", "fist", "ideas"])
async def test_every_word_of_a_sheet_is_translatable(desk, pseudo_locale, kind):
    fields = {"budget": "8000"} if kind == "budget" else {}
    options = [] if kind == "ideas" else None
    round_id = await desk.round("Our say", kind, options=options, **fields)
    await desk.page()  # shows the English flash of the round's opening, once
    page = (await sheet_page(desk, round_id, f"?lang={pseudo_locale}")).text
    assert len(sheets(page)) == 1 and "⟦" in page
    names = {i18n.own_name(code) for code in i18n.available()}
    user_text = {"Green spaces", "Our say", *desk.titled, *names}
    assert untranslated(page, user_text) == []
