"""The storage tests' own fixtures: a database file and the store opened on it, with no app."""

from __future__ import annotations

import pytest

from facilitation.storage.store import Store


@pytest.fixture
def path(tmp_path) -> str:
    return str(tmp_path / "store.sqlite3")


@pytest.fixture
async def store(path):
    opened = await Store(path).open()
    yield opened
    await opened.close()
