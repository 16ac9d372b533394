"""A programme's workbook, CSV tables, JSON, printable report and PDF, and the CSV imports of
needs and options, through the real app in process."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import html
import io
import json
import re
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest
from markupsafe import escape
from openpyxl import load_workbook
from PIL import Image
from weasyprint.urls import FatalURLFetchingError

from facilitation.core.csv_files import read_titles
from facilitation.programme import exports as px
from facilitation.web.views.programme_export import render_pdf
from facilitation.workshop.exports import safe_cell
from tests.conftest import new_client
from tests.helpers import ROOT, Phone, db_rows

FORMULA = '=HYPERLINK("http://evil.example","x")'
NAMES = ("Agatha Quillfeather", "Bartholomew Zanzibar")
SHEETS = ["needs", "actions", "workshops", "rounds", "results", "ballots"]


@pytest.fixture
async def recorded_programme(app, facilitator):
    """A programme with one workshop, a closed dot round voted by two named residents, a need
    with an override, a ruled-out need, and an overdue action with a note."""
    response = await facilitator.post("/f/programmes", {"title": "Phoenix Place plan"})
    programme_id = int(response.headers["location"].rsplit("/", 1)[1])
    workshop_id, code = await facilitator.create_workshop("Courtyard", date="2025-03-01")
    await facilitator.post(
        f"/f/programmes/{programme_id}/workshops", {"workshop_id": str(workshop_id)}
    )
    benches = await facilitator.add_option(workshop_id, "Benches")
    lights = await facilitator.add_option(workshop_id, FORMULA)
    round_id = await facilitator.create_round(workshop_id, "Which matter most?", [benches, lights])
    await facilitator.round_action(workshop_id, round_id, "open")
    for name, dots in zip(NAMES, ({benches: 3, lights: 2}, {benches: 3}), strict=True):
        async with new_client(app) as device:
            phone = Phone(device)
            await phone.join(code, name)
            assert (await phone.vote_http(round_id, dots=dots)).status_code == 200
    await facilitator.round_action(workshop_id, round_id, "close")
    base = f"/f/programmes/{programme_id}/needs"
    await facilitator.post(base + "/from-options")
    plans = app.state.plans
    prog = await plans.programme(programme_id)
    ranked = await plans.ranked_needs(prog)
    top, second = ranked[0].need, ranked[1].need
    await facilitator.post(f"{base}/{second.id}/override", {"score": "0.9", "reason": "Safety"})
    await facilitator.post(
        f"{base}/{top.id}/status", {"status": "not_possible", "reason": "No space"}
    )
    action = await plans.save_action(
        prog, {"what": "Order benches", "who": "staff", "due": "2000-01-01", "need_id": top.id}
    )
    await plans.add_note(action, {"note": "Quote received"})
    return {
        "id": programme_id,
        "workshop_id": workshop_id,
        "round_id": round_id,
        "benches": benches,
        "lights": lights,
    }


async def get(facilitator, programme, path: str):
    response = await facilitator.client.get(f"/f/programmes/{programme['id']}{path}")
    assert response.status_code == 200, response.text
    return response


def csv_rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # Excel on Windows reads UTF-8 only after a BOM
    return list(csv.reader(io.StringIO(text[1:])))


def as_text(value) -> str:
    """A sheet's cell as its CSV twin writes it: dates in ISO, formulas guarded."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(safe_cell(value))


def sheet_rows(book, name: str) -> list[list[str]]:
    """A sheet as text, the way a CSV of it reads."""
    return [[as_text(v) for v in row] for row in book[name].iter_rows(values_only=True)]


# -- workbook ------------------------------------------------------------------------------------


async def test_the_workbook_has_one_sheet_per_table_with_bold_frozen_headers(
    facilitator, recorded_programme
):
    response = await get(facilitator, recorded_programme, "/export/programme.xlsx")
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == SHEETS
    for name in SHEETS:
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        assert all(c.font.bold for c in sheet[1])
        assert all(sheet.column_dimensions[c.column_letter].width >= 8 for c in sheet[1])
    assert [c.value for c in book["needs"][1]] == list(px.NEEDS_HEADER)
    assert [c.value for c in book["ballots"][1]] == list(px.BALLOTS_HEADER)


async def test_the_workbook_holds_a_known_row_as_typed_and_runs_no_formula(
    facilitator, recorded_programme
):
    response = await get(facilitator, recorded_programme, "/export/programme.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    workshops = [[c.value for c in row] for row in book["workshops"].iter_rows()]
    assert workshops[1][:3] == [
        recorded_programme["workshop_id"],
        "Courtyard",
        dt.datetime(2025, 3, 1),
    ]
    assert workshops[1][5] == 2  # joined
    needs = {row[2].value: row for row in book["needs"].iter_rows(min_row=2)}
    assert [c.value for c in needs["Benches"][10:]] == ["not_possible", "No space"]
    # The option's title exactly as typed: no apostrophe shows, and the cell is text.
    formula = needs[FORMULA][2]
    assert formula.value == FORMULA and formula.data_type == "s"
    assert [c.value for c in needs[FORMULA][8:10]] == [0.9, "Safety"]
    actions = sheet_rows(book, "actions")
    assert actions[1][3] == "Order benches" and actions[1][8:] == ["yes", "Quote received"]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                assert c.data_type != "f", (sheet.title, c.coordinate)
                assert not (isinstance(c.value, str) and c.value.startswith("'")), c.coordinate
    with zipfile.ZipFile(io.BytesIO(response.content)) as parts:
        for part in parts.namelist():
            if part.startswith("xl/worksheets/"):
                assert "<f>" not in parts.read(part).decode(), part


async def test_the_workbook_keeps_dates_as_dates(facilitator, recorded_programme):
    response = await get(facilitator, recorded_programme, "/export/programme.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    held = book["workshops"]["C2"]
    assert held.is_date and held.value == dt.datetime(2025, 3, 1)
    assert held.number_format == "yyyy-mm-dd"
    due = book["actions"]["G2"]
    assert book["actions"]["G1"].value == "due"
    assert due.is_date and due.value == dt.datetime(2000, 1, 1)


async def test_every_sheet_filters_and_prints_one_page_wide_with_its_header_on_each_page(
    facilitator, recorded_programme
):
    response = await get(facilitator, recorded_programme, "/export/programme.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    for sheet in book.worksheets:
        assert sheet.auto_filter.ref == sheet.dimensions, sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        setup = sheet.page_setup
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), sheet.title
        assert str(setup.paperSize) == sheet.PAPERSIZE_A4
        assert sheet.print_title_rows == "$1:$1", sheet.title
    # Wide tables print across the page, narrow ones upright.
    assert book["results"].page_setup.orientation == "landscape"
    assert book["workshops"].page_setup.orientation == "portrait"


async def test_no_participant_name_appears_in_any_export(facilitator, recorded_programme):
    book = load_workbook(
        io.BytesIO((await get(facilitator, recorded_programme, "/export/programme.xlsx")).content)
    )
    texts = [str(v) for s in book.worksheets for r in s.iter_rows(values_only=True) for v in r]
    for table in SHEETS:
        texts.append((await get(facilitator, recorded_programme, f"/export/{table}.csv")).text)
    texts.append((await get(facilitator, recorded_programme, "/export/programme.json")).text)
    texts.append((await get(facilitator, recorded_programme, "/report")).text)
    for name in NAMES:
        for word in name.split():
            assert not any(word in t for t in texts), word
    pseudonyms = {row[4] for row in sheet_rows(book, "ballots")[1:]}
    assert len(pseudonyms) == 2 and all(p.startswith("P-") for p in pseudonyms)


# -- CSV -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", SHEETS)
async def test_each_csv_matches_its_sheet(facilitator, recorded_programme, table):
    book = load_workbook(
        io.BytesIO((await get(facilitator, recorded_programme, "/export/programme.xlsx")).content)
    )
    response = await get(facilitator, recorded_programme, f"/export/{table}.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert csv_rows(response.text) == sheet_rows(book, table)
    assert len(csv_rows(response.text)) > 1


async def test_every_csv_download_starts_with_a_byte_order_mark_for_excel(
    facilitator, recorded_programme
):
    await facilitator.post(
        f"/f/programmes/{recorded_programme['id']}/needs", {"title": "Ages 25–44"}
    )
    workshop = f"/f/workshops/{recorded_programme['workshop_id']}/export"
    programme = f"/f/programmes/{recorded_programme['id']}/export"
    paths = [f"{workshop}/results.csv", f"{workshop}/ballots.csv"]
    paths += [f"{programme}/{table}.csv" for table in SHEETS]
    for path in paths:
        response = await facilitator.client.get(path)
        assert response.status_code == 200, path
        assert response.content.startswith(codecs.BOM_UTF8), path
        assert response.content.count(codecs.BOM_UTF8) == 1, path
    needs = (await facilitator.client.get(f"{programme}/needs.csv")).content
    # What Excel on Windows shows once it has seen the mark; without it, "25â€“44".
    assert "Ages 25–44" in needs.decode("utf-8-sig")


async def test_an_unknown_table_is_not_found(facilitator, recorded_programme):
    response = await facilitator.client.get(
        f"/f/programmes/{recorded_programme['id']}/export/users.csv"
    )
    assert response.status_code == 404


# -- JSON ----------------------------------------------------------------------------------------


def key_paths(value, prefix: str = "") -> set[str]:
    """Every key path in a JSON document: lists as [], option-id maps (ballot dots) as leaves."""
    paths = set()
    if isinstance(value, dict):
        for key, child in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            if key != "dots" or not isinstance(child, dict):
                paths |= key_paths(child, path)
    elif isinstance(value, list):
        for child in value:
            paths |= key_paths(child, prefix + "[]")
    return paths


async def test_every_json_key_is_documented(facilitator, recorded_programme):
    doc = json.loads((await get(facilitator, recorded_programme, "/export/programme.json")).text)
    assert doc["schema_version"] == px.SCHEMA_VERSION
    schema = (ROOT / "docs" / "export-schema.md").read_text()
    paths = key_paths(doc)
    assert "workshops[].rounds[].results.order[].supporters" in paths
    assert "needs[].override.reason" in paths and "actions[].notes[].note" in paths
    missing = sorted(p for p in paths if f"`{p}`" not in schema)
    assert not missing, missing


def workshop_json_section(schema: str) -> str:
    return schema[schema.index("## One workshop: workshop.json") : schema.index("## The tables")]


async def test_every_workshop_json_key_is_documented(facilitator, recorded_programme):
    base = f"/f/workshops/{recorded_programme['workshop_id']}/export"
    options = [recorded_programme["benches"], recorded_programme["lights"]]
    await facilitator.create_round(recorded_programme["workshop_id"], "Draft", options)
    doc = json.loads((await facilitator.client.get(f"{base}/workshop.json")).text)
    assert doc["schema_version"] == px.SCHEMA_VERSION
    schema = (ROOT / "docs" / "export-schema.md").read_text()
    own = workshop_json_section(schema)
    paths = key_paths(doc)
    assert "workshop.participants" in paths and "rounds[].cards_on_board" in paths
    assert "rounds[].results.order[].place" in paths
    # Options and rounds share the programme's fields, named there under workshops[].
    missing = sorted(
        p
        for p in paths
        if f"`{p}`" not in own and f"`workshops[].{p}`" not in schema.replace(own, "")
    )
    assert not missing, missing


async def test_the_schema_says_what_place_means_for_a_rating_round(facilitator, rated_programme):
    doc = json.loads((await get(facilitator, rated_programme, "/export/programme.json")).text)
    (rnd,) = doc["workshops"][0]["rounds"]
    assert [r["place"] for r in rnd["results"]["order"]] == [0, 0]
    schema = (ROOT / "docs" / "export-schema.md").read_text()
    line = next(
        x for x in schema.splitlines() if "`workshops[].rounds[].results.order[].place`" in x
    )
    assert "Rating and fist-of-five rounds place nothing" in line and "every `place` is 0" in line


# -- report and PDF ------------------------------------------------------------------------------


async def test_the_report_lists_needs_in_order_with_a_chart_per_closed_round(
    facilitator, recorded_programme
):
    page = (await get(facilitator, recorded_programme, "/report")).text
    link = re.search(r'<link rel="stylesheet" href="(/static/report\.css\?v=\w+)">', page)[1]
    stylesheet = (await facilitator.client.get(link)).text  # a file: the CSP refuses inline
    assert "@page" in stylesheet and "size: A4" in stylesheet
    assert page.count("<svg") == 1 and page.count("<rect") == 2
    assert str(escape(FORMULA)) in page  # escaped, never raw
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    needs = text[text.index("Needs in priority order") : text.index("Action plan")]
    assert needs.index("Benches") < needs.index(FORMULA)  # 1.00 from the round, then 0.90
    assert "Set by hand: Safety" in needs and "Why not: No space" in needs


def png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Width, height and raw scanlines of a PNG from pdftoppm (8-bit, no interlace)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    return width, height, zlib.decompress(idat)


async def test_the_pdf_renders_four_non_blank_a4_pages(facilitator, recorded_programme, tmp_path):
    assert shutil.which("pdftoppm"), "pdftoppm (Debian's poppler-utils) is needed for this test"
    response = await get(facilitator, recorded_programme, "/report.pdf")
    assert response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 4  # title, needs, action plan, round results
    for png in pages:
        width, height, raw = png_pixels(png)
        assert 1.35 < height / width < 1.47  # A4 portrait
        assert len(set(raw)) > 8, f"{png.name} looks blank"


LONG_STATEMENT = "The lifts in every block are repaired within two working days of a fault"


@pytest.fixture
async def rated_programme(app, facilitator):
    """A programme whose one workshop closed a rating round: a short statement rated 5 and 4,
    a long one rated 1 and 2."""
    response = await facilitator.post("/f/programmes", {"title": "Lift survey"})
    programme_id = int(response.headers["location"].rsplit("/", 1)[1])
    workshop_id, code = await facilitator.create_workshop("Health check")
    await facilitator.post(
        f"/f/programmes/{programme_id}/workshops", {"workshop_id": str(workshop_id)}
    )
    short = await facilitator.add_option(workshop_id, "Bins")
    long = await facilitator.add_option(workshop_id, LONG_STATEMENT)
    round_id = await facilitator.create_round(
        workshop_id, "How are we doing?", [short, long], kind="rating"
    )
    await facilitator.round_action(workshop_id, round_id, "open")
    for ratings in (("5", "1"), ("4", "2")):
        async with new_client(app) as device:
            phone = Phone(device)
            await phone.join(code)
            fields = {f"rate-{short}": ratings[0], f"rate-{long}": ratings[1]}
            assert (await phone.send_http(round_id, fields)).status_code == 200
    await facilitator.round_action(workshop_id, round_id, "close")
    return {"id": programme_id}


def bar_texts(page: str, mark: str) -> list[str]:
    """The text of each bar's label (its lines joined) or value in the report's charts."""
    found = re.findall(rf"<text [^>]*{mark}>(.*?)</text>", page, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", t).split()) for t in found]


async def test_a_rating_rounds_bars_read_statement_and_mean_never_cut(facilitator, rated_programme):
    page = (await get(facilitator, rated_programme, "/report")).text
    labels = bar_texts(page, "data-bar-label")
    assert labels == ["Bins", LONG_STATEMENT]  # no place ("0.") before a statement
    assert bar_texts(page, "data-bar-value") == ["4.5", "1.5"]


async def test_the_pdf_prints_a_long_statement_whole(facilitator, rated_programme, tmp_path):
    assert shutil.which("pdftotext"), "pdftotext (Debian's poppler-utils) is needed for this test"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes((await get(facilitator, rated_programme, "/report.pdf")).content)
    done = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True)
    words = " ".join(done.stdout.split())
    assert LONG_STATEMENT in words
    assert "0. Bins" not in words and "4.5" in words and "1.5" in words


async def give_picture(facilitator, programme, option: str) -> str:
    """Send a picture for one of the recorded programme's options; its address."""
    image = io.BytesIO()
    Image.new("RGB", (600, 400), (30, 110, 60)).save(image, "PNG")
    path = f"/f/workshops/{programme['workshop_id']}/options/{programme[option]}/picture"
    response = await facilitator.client.post(
        path,
        data={"csrf": facilitator.token},
        files={"picture": ("bench.png", image.getvalue(), "image/png")},
    )
    assert response.status_code == 303, response.text
    workshop = await facilitator.client.get(f"/f/workshops/{programme['workshop_id']}")
    return re.search(rf'src="(/pictures/{programme[option]}/\w+)"', workshop.text)[1]


async def test_the_reports_chart_shows_an_options_picture_before_its_label(
    facilitator, recorded_programme
):
    address = await give_picture(facilitator, recorded_programme, "benches")
    page = (await get(facilitator, recorded_programme, "/report")).text
    (picture,) = re.findall(r"<image [^>]*data-bar-picture>", page)
    assert f'href="{address}"' in picture and 'width="30.0"' in picture
    labels = re.findall(r'<text x="([\d.]+)"[^>]*data-bar-label>(.*?)</text>', page, re.S)
    # Benches has the picture, so its label moves over; the other option's stays at the edge.
    starts = {
        html.unescape(" ".join(re.sub(r"<[^>]+>", " ", t).split())): float(x) for x, t in labels
    }
    assert starts == {"1. Benches": 36.0, f"2. {FORMULA}": 0.0}
    assert (await facilitator.client.get(address)).status_code == 200


async def test_the_pdf_prints_the_picture_small_and_fetches_nothing(
    facilitator, recorded_programme, tmp_path
):
    assert shutil.which("pdfimages"), "pdfimages (Debian's poppler-utils) is needed for this test"
    await give_picture(facilitator, recorded_programme, "benches")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes((await get(facilitator, recorded_programme, "/report.pdf")).content)
    done = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True)
    rows = [line.split() for line in done.stdout.decode().splitlines()[2:]]
    assert [(int(r[0]), int(r[3]), int(r[4])) for r in rows] == [(4, 120, 80)]  # page, size
    assert len(pdf.read_bytes()) < 150_000
    shown = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True)
    assert "1. Benches" in " ".join(shown.stdout.decode().split())


@pytest.mark.parametrize("address", ["http://127.0.0.1:9/bench.png", "file:///etc/hostname"])
def test_the_pdf_refuses_any_address_that_is_not_written_into_the_page(address):
    page = f'<p>Report</p><img src="{address}" alt="">'
    with pytest.raises(FatalURLFetchingError):
        render_pdf(page, ROOT / "static" / "report.css")


# -- imports -------------------------------------------------------------------------------------


async def upload(facilitator, path: str, content: bytes):
    return await facilitator.client.post(
        path, data={"csrf": facilitator.token}, files={"file": ("list.csv", content, "text/csv")}
    )


async def test_needs_import_adds_every_row(app, facilitator, recorded_programme):
    body = b"title,description\nSafer stairs,Lights on every landing\nBike store,\n"
    response = await upload(
        facilitator, f"/f/programmes/{recorded_programme['id']}/needs/import", body
    )
    assert response.status_code == 303
    page = await facilitator.client.get(response.headers["location"])
    assert "2 needs imported." in page.text
    needs = await app.state.store.plans.needs(recorded_programme["id"])
    assert [n.title for n in needs][-2:] == ["Safer stairs", "Bike store"]
    assert needs[-2].description == "Lights on every landing"


async def test_options_import_adds_every_row_to_the_console(app, facilitator, recorded_programme):
    body = b"\xef\xbb\xbftitle,description\nPlanters,Raised beds\nShade,\n"
    path = f"/f/workshops/{recorded_programme['workshop_id']}/options/import"
    response = await upload(facilitator, path, body)
    assert response.status_code == 303
    titles = [
        o.title for o in await app.state.store.options.options(recorded_programme["workshop_id"])
    ]
    assert titles[-2:] == ["Planters", "Shade"]


async def test_a_file_with_one_bad_row_imports_nothing_and_names_the_line(
    facilitator, recorded_programme, settings
):
    before = db_rows(settings.data_path)
    body = ("title,description\nGood one,\n,no title\nGood two,\n" + "x" * 121 + ",\n").encode()
    response = await upload(
        facilitator, f"/f/programmes/{recorded_programme['id']}/needs/import", body
    )
    assert response.status_code == 400
    assert re.findall(r'data-line="(\d+)"', response.text) == ["3", "5"]
    assert "The title is missing." in response.text
    assert "too long: 120 characters at most" in response.text
    assert db_rows(settings.data_path) == before


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        (b"title,description\nA,\nB,\na,\n", 4, "already on line 2"),
        (b"name,notes\nA,\n", 1, "this file has: name, notes"),
        (b"title,description\n\xff\xfeA,\n", 0, "not UTF-8"),
        (b"title,description\nA,b,c\n", 2, "more cells"),
        (b"title,description\nA," + b"y" * 501 + b"\n", 2, "description is too long"),
        (b"", 1, "empty"),
        (b'title,description\n"A","two\nlines"\n,x\n', 4, "title is missing"),
    ],
)
def test_read_titles_reports_each_problem_with_its_line(content, line, fragment):
    rows, problems = read_titles(content)
    assert rows == []
    assert [p.line for p in problems] == [line]
    assert fragment in problems[0].message.format(**dict(problems[0].params))


async def test_an_upload_without_its_csrf_token_is_refused(
    facilitator, recorded_programme, settings
):
    before = db_rows(settings.data_path)
    response = await facilitator.client.post(
        f"/f/programmes/{recorded_programme['id']}/needs/import",
        files={"file": ("list.csv", b"title\nA\n", "text/csv")},
    )
    assert response.status_code == 403
    assert db_rows(settings.data_path) == before
