"""What `import facilitation` gives a user, and that importing it does no work."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import facilitation
from facilitation.settings import Settings
from tests.helpers import ROOT


def fresh_python(code: str, cwd, env_extra: dict | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACILITATION_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(env_extra or {})
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=True,
    )
    return result.stdout


def test_the_package_exports_exactly_version_and_create_app():
    assert facilitation.__all__ == ["__version__", "create_app"]
    namespace: dict = {}
    exec("from facilitation import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == ["__version__", "create_app"]


def test_the_version_is_a_release_number():
    assert re.fullmatch(r"\d+\.\d+\.\d+", facilitation.__version__)


def test_importing_the_package_opens_no_database_and_loads_no_server(tmp_path):
    data = tmp_path / "data" / "site.sqlite3"
    out = fresh_python(
        """
        import json, sys
        import facilitation
        heavy = ["facilitation.app", "facilitation.storage.store", "aiosqlite", "starlette",
                 "uvicorn", "jinja2"]
        print(json.dumps([m for m in heavy if m in sys.modules]))
        """,
        cwd=tmp_path,
        env_extra={"FACILITATION_DATA_PATH": str(data)},
    )
    assert json.loads(out) == []
    assert list(tmp_path.iterdir()) == []


async def test_building_the_app_opens_no_database_until_it_starts(tmp_path):
    data = tmp_path / "data" / "site.sqlite3"
    app = facilitation.create_app(Settings(data_path=str(data)))
    assert not data.exists()
    assert not data.parent.exists()
    async with app.router.lifespan_context(app):
        assert data.exists()
