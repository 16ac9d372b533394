"""What a phone on a poor signal downloads: compressed responses, and static files under a version
that changes with their content, so a browser keeps them for a year and never keeps a stale one."""

from __future__ import annotations

import hashlib
import io
import re
import shutil

import httpx
import pytest
from openpyxl import load_workbook

from facilitation import create_app
from facilitation.settings import Settings
from tests.helpers import ROOT

GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}
HTMX = ROOT / "static" / "htmx-2.0.11.min.js"
YEAR = "public, max-age=31536000, immutable"


def static_url(page: str, name: str) -> str:
    match = re.search(rf'"(/static/{re.escape(name)}\?v=[0-9a-f]{{12}})"', page)
    assert match, f"no versioned URL for {name}"
    return match.group(1)


async def test_a_static_file_is_sent_gzip_compressed_to_a_client_that_accepts_it(client):
    page = (await client.get("/login")).text  # residents' pages do without htmx
    response = await client.get(static_url(page, HTMX.name), headers=GZIP)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["vary"]
    assert response.content == HTMX.read_bytes()
    assert response.num_bytes_downloaded < HTMX.stat().st_size / 2


async def test_a_client_that_does_not_accept_gzip_gets_the_file_as_it_is(client):
    response = await client.get(f"/static/{HTMX.name}", headers=PLAIN)
    assert "content-encoding" not in response.headers
    assert response.num_bytes_downloaded == HTMX.stat().st_size


async def test_html_pages_are_compressed_too(client):
    response = await client.get("/", headers=GZIP)
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-encoding"] == "gzip"
    assert "Join a workshop" in response.text or 'name="code"' in response.text


async def test_a_tiny_response_is_not_compressed(client):
    response = await client.get("/healthz", headers=GZIP)
    assert response.json()["status"] == "ok"
    assert "content-encoding" not in response.headers


# -- versions --------------------------------------------------------------------------------------


@pytest.fixture
def static_dir(tmp_path):
    copy = tmp_path / "static"
    shutil.copytree(ROOT / "static", copy)
    return copy


async def css_url_and_headers(app, asked: str | None = None) -> tuple[str, dict]:
    """The app.css URL the home page names, and the headers of a request for ``asked`` (or it)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            url = static_url((await c.get("/")).text, "app.css")
            response = await c.get(asked or url)
            assert response.status_code == 200
            return url, dict(response.headers)


def settings_for(tmp_path, static_dir) -> Settings:
    return Settings(data_path=str(tmp_path / "v.sqlite3"), static_dir=str(static_dir))


async def test_the_version_in_the_url_is_the_files_content_hash_and_changes_with_it(
    tmp_path, static_dir
):
    css = static_dir / "app.css"
    before, _ = await css_url_and_headers(create_app(settings_for(tmp_path, static_dir)))
    css.write_text(css.read_text() + "\n.upgraded { color: #123; }\n")
    after, _ = await css_url_and_headers(create_app(settings_for(tmp_path, static_dir)))
    assert before != after
    assert after == f"/static/app.css?v={hashlib.sha256(css.read_bytes()).hexdigest()[:12]}"


async def test_a_file_asked_for_by_its_current_version_is_kept_for_a_year(tmp_path, static_dir):
    _url, headers = await css_url_and_headers(create_app(settings_for(tmp_path, static_dir)))
    assert headers["cache-control"] == YEAR


@pytest.mark.parametrize(
    "asked", ["/static/app.css", "/static/app.css?v=0.1.0", "/static/app.css?v=000000000000"]
)
async def test_a_file_asked_for_without_its_current_version_is_checked_before_each_use(
    tmp_path, static_dir, asked
):
    _url, headers = await css_url_and_headers(create_app(settings_for(tmp_path, static_dir)), asked)
    assert headers["cache-control"] == "no-cache"
    assert "etag" in headers  # so that the check costs a 304, not the file


async def test_after_an_upgrade_the_old_version_is_no_longer_kept(tmp_path, static_dir):
    old, _ = await css_url_and_headers(create_app(settings_for(tmp_path, static_dir)))
    (static_dir / "app.css").write_text("body { color: #000; }\n" * 80)
    _new, headers = await css_url_and_headers(create_app(settings_for(tmp_path, static_dir)), old)
    assert headers["cache-control"] == "no-cache"


# -- downloads -------------------------------------------------------------------------------------


@pytest.fixture
async def programme_id(facilitator) -> int:
    response = await facilitator.post("/f/programmes", {"title": "Phoenix Place plan"})
    programme_id = int(response.headers["location"].rsplit("/", 1)[1])
    workshop_id, _code = await facilitator.create_workshop("Courtyard")
    await facilitator.post(
        f"/f/programmes/{programme_id}/workshops", {"workshop_id": str(workshop_id)}
    )
    for n in range(40):  # enough rows for the CSV to be worth compressing
        await facilitator.post(f"/f/programmes/{programme_id}/needs", {"title": f"Need {n}"})
    return programme_id


async def test_a_csv_export_is_compressed_and_arrives_intact(facilitator, programme_id):
    path = f"/f/programmes/{programme_id}/export/needs.csv"
    packed = await facilitator.client.get(path, headers=GZIP)
    plain = await facilitator.client.get(path, headers=PLAIN)
    assert packed.status_code == plain.status_code == 200
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["content-disposition"] == plain.headers["content-disposition"]
    assert packed.content == plain.content
    assert "Need 39" in plain.text


@pytest.mark.parametrize(
    ("name", "magic"), [("export/programme.xlsx", b"PK\x03\x04"), ("report.pdf", b"%PDF")]
)
async def test_an_already_compressed_download_is_not_compressed_again(
    facilitator, programme_id, name, magic
):
    response = await facilitator.client.get(f"/f/programmes/{programme_id}/{name}", headers=GZIP)
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert response.content.startswith(magic)
    assert response.num_bytes_downloaded == len(response.content)
    if name.endswith(".xlsx"):
        assert load_workbook(io.BytesIO(response.content)).sheetnames
