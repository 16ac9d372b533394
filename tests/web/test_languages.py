"""Choosing a language (a phone's, the home page's, a facilitator's, a workshop's), pages that
follow it left to right or right to left, and what facilitators write given in each of the
workshop's languages, on phones, on the board and in exports."""

from __future__ import annotations

import csv
import html
import io
import json
import re

from tests.helpers import csrf_of, db_rows

ARABIC = {"Accept-Language": "ar"}


def page_language(text: str) -> tuple[str, str]:
    found = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', text)
    assert found, text[:200]
    return found.group(1), found.group(2)


async def offer(room, *codes: str, main: str = "en", **fields: str) -> None:
    response = await room.facilitator.post(
        f"{room.console}/languages", {"main": main, "languages": list(codes), **fields}
    )
    assert response.status_code == 303, response.text


async def translate(room, code: str, fields: dict) -> None:
    response = await room.facilitator.post(f"{room.console}/translations", {"lang": code, **fields})
    assert response.status_code == 303, response.text


async def open_round(room) -> int:
    round_id = await room.create_round("Priorities")
    response = await room.act("open", round_id)
    assert response.status_code in (200, 303), response.text
    return round_id


# -- choosing a language ------------------------------------------------------------------------


async def test_the_home_page_follows_the_browser_among_every_shipped_language(client):
    assert page_language((await client.get("/", headers={"Accept-Language": "pl"})).text) == (
        "pl",
        "ltr",
    )
    home = await client.get("/", headers={"Accept-Language": "eo, tr;q=0.8"})
    assert page_language(home.text) == ("tr", "ltr")


async def test_an_arabic_page_reads_right_to_left(client):
    home = await client.get("/", headers=ARABIC)
    assert page_language(home.text) == ("ar", "rtl")


async def test_a_phone_starts_in_the_browsers_language_when_the_workshop_offers_it(room):
    await offer(room, "en", "pl")
    phone = await room.phone()
    polish = await phone.client.get(f"/w/{room.code}", headers={"Accept-Language": "pl"})
    assert page_language(polish.text) == ("pl", "ltr")
    # Turkish ships, but this workshop does not offer it: its main language instead.
    turkish = await phone.client.get(f"/w/{room.code}", headers={"Accept-Language": "tr"})
    assert page_language(turkish.text) == ("en", "ltr")


async def test_the_phones_switch_names_each_language_in_itself_and_is_remembered(room):
    await offer(room, "en", "ar", "pl")
    phone = await room.phone()
    page = (await phone.client.get(f"/w/{room.code}")).text
    switch = re.search(r'<form method="post" action="/language".*?</form>', page, re.S).group(0)
    assert "English" in switch and "العربية" in switch and "Polski" in switch
    response = await phone.client.post(
        "/language", data={"csrf": phone.token, "lang": "ar", "next": f"/w/{room.code}"}
    )
    assert response.status_code == 303 and response.headers["location"] == f"/w/{room.code}"
    again = await phone.client.get(f"/w/{room.code}", headers={"Accept-Language": "pl"})
    assert page_language(again.text) == ("ar", "rtl")


async def test_a_language_that_is_not_shipped_is_refused_and_changes_nothing(room, settings):
    phone = await room.phone()
    token = csrf_of((await phone.client.get("/")).text)  # the home page's switch
    before = db_rows(settings.data_path)
    response = await phone.client.post("/language", data={"csrf": token, "lang": "xx", "next": "/"})
    assert response.status_code == 400
    assert "Please choose one of the languages offered." in html.unescape(response.text)
    assert db_rows(settings.data_path) == before
    assert page_language((await phone.client.get(f"/w/{room.code}")).text)[0] == "en"


async def test_the_console_follows_the_facilitators_own_choice(room):
    response = await room.facilitator.post("/f/language", {"lang": "pl", "next": "/f"})
    assert response.status_code == 303
    console = await room.facilitator.client.get(room.console, headers={"Accept-Language": "en"})
    assert page_language(console.text) == ("pl", "ltr")


async def test_the_board_only_shows_languages_the_workshop_offers(room, settings):
    before = db_rows(settings.data_path)
    response = await room.facilitator.post(
        f"{room.console}/languages",
        {"main": "en", "languages": ["en"], "board_second": "ar"},
    )
    assert response.status_code == 400
    assert "The board can only show languages the workshop offers." in html.unescape(response.text)
    assert db_rows(settings.data_path) == before


# -- what facilitators write, in several languages ---------------------------------------------


async def test_a_phone_shows_its_language_and_falls_back_to_the_original_marked(room):
    await offer(room, "en", "ar")
    benches = room.option("Benches")
    await translate(room, "ar", {f"option-{benches}-title": "مقاعد"})
    await open_round(room)
    phone = await room.phone()
    page = (await phone.client.get(f"/w/{room.code}", headers=ARABIC)).text
    assert "مقاعد" in page and ">Benches<" not in page
    # Lighting has no Arabic words yet: the original, in English and said to be so.
    assert re.search(r'<span lang="en" dir="auto">Lighting</span>', page)
    assert "غير مترجم" in page
    english = (await phone.client.get(f"/w/{room.code}", headers={"Accept-Language": "en"})).text
    # The switch was not used, so the browser's language still decides.
    assert ">Benches<" in english and "مقاعد" not in english


async def test_a_translation_of_words_that_have_since_changed_is_not_shown(room):
    await offer(room, "en", "pl")
    benches = room.option("Benches")
    await translate(room, "pl", {f"option-{benches}-title": "Ławki"})
    response = await room.facilitator.post(
        f"{room.console}/options/{benches}/edit", {"title": "Benches by the pond"}
    )
    assert response.status_code in (200, 303), response.text
    await open_round(room)
    phone = await room.phone()
    page = (await phone.client.get(f"/w/{room.code}", headers={"Accept-Language": "pl"})).text
    assert "Ławki" not in page and "Benches by the pond" in page
    listing = (await room.facilitator.client.get(f"{room.console}/translations?lang=pl")).text
    assert f'data-key="option-{benches}" data-state="stale"' in listing


async def test_a_translation_that_is_too_long_is_refused_and_nothing_is_kept(room, settings):
    await offer(room, "en", "pl")
    benches, trees = room.option("Benches"), room.option("Trees")
    before = db_rows(settings.data_path)
    response = await room.facilitator.post(
        f"{room.console}/translations",
        {"lang": "pl", f"option-{benches}-title": "Ławki", f"option-{trees}-title": "x" * 500},
    )
    assert response.status_code == 400
    assert db_rows(settings.data_path) == before


async def test_the_board_shows_two_languages_side_by_side(room):
    await offer(room, "en", "ar", board_first="en", board_second="ar")
    benches = room.option("Benches")
    await translate(room, "ar", {f"option-{benches}-title": "مقاعد"})
    await open_round(room)
    board = (await room.facilitator.client.get(f"{room.console}/board")).text
    assert page_language(board) == ("en", "ltr")
    assert '<span class="also" lang="ar" dir="auto">مقاعد</span>' in board


async def test_exports_keep_every_language_with_the_original_as_the_key(room):
    await offer(room, "en", "ar", "pl")
    benches = room.option("Benches")
    await translate(room, "ar", {f"option-{benches}-title": "مقاعد"})
    await translate(room, "pl", {f"option-{benches}-title": "Ławki"})
    round_id = await open_round(room)
    phone = await room.phone()
    await phone.vote_http(round_id, {benches: 2})
    await room.act("close", round_id)
    data = json.loads(await room.export("workshop.json"))
    assert data["workshop"]["languages"]["all"] == ["en", "ar", "pl"]
    option = next(o for o in data["options"] if o["id"] == benches)
    assert option["title"] == "Benches"
    assert option["translations"]["ar"]["title"] == "مقاعد"
    assert option["translations"]["pl"] == {
        "title": "Ławki",
        "description": "",
        "limit": "",
        "current": True,
    }
    rows = list(csv.DictReader(io.StringIO(await room.export("results.csv"))))
    row = next(r for r in rows if r["option_id"] == str(benches))
    assert (row["option"], row["option_ar"], row["option_pl"]) == ("Benches", "مقاعد", "Ławki")
