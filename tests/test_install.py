"""A normal install: the wheel built from this checkout, put in a fresh virtualenv with the locked
dependencies and nothing from the test extra, serves pages and static files from any folder."""

from __future__ import annotations

import gettext
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.install

# What a wheel is built from; everything else in the checkout stays out of it.
SOURCES = ("pyproject.toml", "hatch_build.py", "README.md", "LICENSE")
FOLDERS = ("facilitation", "templates", "static")


def clean_env() -> dict[str, str]:
    """The environment of someone who has only installed the wheel: no path into the checkout."""
    drop = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    return {
        k: v for k, v in os.environ.items() if k not in drop and not k.startswith("FACILITATION_")
    }


def build_wheel(source: Path, out: Path) -> Path:
    # The locked build backend from the test virtualenv, as the README's commands use it.
    wheel = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*wheel, "-w", str(out), str(source)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (wheel,) = out.glob("facilitation-*.whl")
    return wheel


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, server.communicate()[1]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"the server did not listen on port {port} within {timeout} s")


def fetch(port: int, path: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        return response.status, response.read()


def test_the_wheel_installed_in_a_fresh_virtualenv_serves_from_any_folder(tmp_path):
    wheel = build_wheel(ROOT, tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    assert "facilitation/templates/base.html" in names
    assert "facilitation/static/app.css" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    for po in (ROOT / "facilitation" / "locale").glob("*/LC_MESSAGES/*.po"):
        assert po.relative_to(ROOT).with_suffix(".mo").as_posix() in names

    venv = tmp_path / "venv"
    # This virtualenv's pip installs into the new one, which saves bootstrapping a pip there.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=120)
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
    lock = str(ROOT / "requirements" / "run.lock")
    env = clean_env()
    for args in (["--require-hashes", "-r", lock], ["--no-deps", str(wheel)]):
        install = [*pip, "install", "-q", "--no-compile", *args]
        subprocess.run(install, check=True, timeout=600, env=env, capture_output=True)
    # The wheel's own requirements are met by the runtime lock alone.
    subprocess.run([*pip, "check"], check=True, env=env, timeout=120)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = (
        "import importlib.util, json, facilitation, facilitation.settings as s;"
        "print(json.dumps([facilitation.__file__, s.TEMPLATES, s.STATIC,"
        " importlib.util.find_spec('httpx') is None]))"
    )
    where = subprocess.run(
        [venv / "bin" / "python", "-c", probe],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    module, templates, static, no_httpx = json.loads(where.stdout)
    package = next((venv / "lib").glob("python3*/site-packages")) / "facilitation"
    assert Path(module) == package / "__init__.py"
    assert (Path(templates), Path(static)) == (package / "templates", package / "static")
    assert no_httpx, "the fresh virtualenv should hold no test tools"

    data = str(elsewhere / "site.sqlite3")
    got = subprocess.run(
        [venv / "bin" / "facilitation", "get", "/", "--data", data],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert got.returncode == 0, got.stderr
    assert "<h1>Join a workshop</h1>" in got.stdout

    port = free_port()
    server = subprocess.Popen(
        [venv / "bin" / "facilitation", "serve", "--port", str(port), "--data", data],
        cwd=elsewhere,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port, server)
        status, page = fetch(port, "/")
        assert status == 200
        assert b"<h1>Join a workshop</h1>" in page
        status, css = fetch(port, "/static/app.css")
        assert (status, css) == (200, (ROOT / "static" / "app.css").read_bytes())
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_the_wheel_carries_each_translation_compiled(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        shutil.copy2(ROOT / name, source / name)
    for name in FOLDERS:
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    catalog = source / "facilitation" / "locale" / "eo" / "LC_MESSAGES" / "messages.po"
    catalog.parent.mkdir(parents=True, exist_ok=True)
    catalog.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: eo\\n"\n\n'
        'msgid "Join a workshop"\nmsgstr "Aliĝi al laborrenkontiĝo"\n',
        encoding="utf-8",
    )
    wheel = build_wheel(source, tmp_path / "dist")
    compiled = zipfile.ZipFile(wheel).read("facilitation/locale/eo/LC_MESSAGES/messages.mo")
    translations = gettext.GNUTranslations(io.BytesIO(compiled))
    assert translations.gettext("Join a workshop") == "Aliĝi al laborrenkontiĝo"
    # The build compiled it on the side: the checkout it was built from keeps only its sources.
    assert not catalog.with_suffix(".mo").exists()
