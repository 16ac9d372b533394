"""The storage tests' own fixtures: a database file and the store opened on it, with no app."""

from __future__ import annotations

import pytest

from facilitation.storage.store import Store
from tests import engines


@pytest.fixture
def path(tmp_path) -> str:
    """The store's database: a SQLite file, or a fresh PostgreSQL schema under --engine."""
    return engines.database(str(tmp_path / "store.sqlite3"))


@pytest.fixture
async def store(path):
    opened = await Store(path).open()
    yield opened
    await opened.close()
