"""Moving an instance with `facilitation migrate-data`: from a SQLite file into an empty database
(another SQLite file, or PostgreSQL under --engine postgresql), everything copied and checked,
and a target that already holds data left as it was."""

from __future__ import annotations

import pytest

from facilitation.core.models import Ballot
from facilitation.kinds import dots as dots_kind
from facilitation.storage.store import Store
from tests.engines import raw
from tests.helpers import run
from tests.storage.test_store import open_dots_round

# Tables whose rows a facilitator would miss, compared row by row after the move.
COMPARED = {
    "workshops": "id, title, code",
    "options": "id, workshop_id, title",
    "participants": "id, workshop_id, display_name, token",
    "ballots": "round_id, participant_id, payload, submitted_at, revision",
    "submissions": "client_id, participant_id, revision",
}


@pytest.fixture
async def source(tmp_path):
    """A running instance's SQLite file: a workshop, an open round, three people and their
    ballots (one of them changed, one name with accents)."""
    path = str(tmp_path / "instance.sqlite3")
    store = await Store(path).open()
    try:
        _w, (a, b, c), rnd, ann = await open_dots_round(store)
        zoe = await store.workshops.join(_w.id, "Zoë Brontë")
        await store.workshops.join(_w.id, "Sam")
        await store.ballots.cast_ballot(Ballot(rnd.id, ann.id, dots_kind.entry({a: 3})), "c1", 10)
        await store.ballots.cast_ballot(
            Ballot(rnd.id, ann.id, dots_kind.entry({b: 1, c: 2})), "c2", 11.5
        )
        await store.ballots.cast_ballot(Ballot(rnd.id, zoe.id, dots_kind.entry({c: 5})), "c3", 12)
    finally:
        await store.close()
    return path


def rows(data: str) -> dict[str, list[tuple]]:
    with raw(data) as db:
        return {
            table: sorted(tuple(r) for r in db.execute(f"SELECT {cols} FROM {table}").fetchall())
            for table, cols in COMPARED.items()
        }


async def test_migrate_data_copies_every_row_and_the_copy_takes_new_data(source, path, tmp_path):
    done = run("migrate-data", "--from", f"sqlite:///{source}", "--to", path, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert "counts and checksums match" in done.stdout
    assert any(line.split()[:2] == ["ballots", "2"] for line in done.stdout.splitlines())
    assert rows(path) == rows(source)
    assert any("Zoë Brontë" in r for r in rows(path)["participants"])
    # The moved instance goes on: a newcomer gets an id of their own, the old ballots still count.
    moved = await Store(path).open()
    try:
        organisation = (await moved.organisations.organisations())[0][0]
        workshop = (await moved.workshops.workshops(organisation.id))[0]
        newcomer = await moved.workshops.join(workshop.id, "Newcomer")
        assert newcomer.id not in {r[0] for r in rows(source)["participants"]}
        rnd = (await moved.rounds.rounds(workshop.id))[0]
        assert len(await moved.ballots.ballots(rnd.id)) == 2
    finally:
        await moved.close()


async def test_a_target_that_holds_data_is_refused_and_left_as_it_was(source, path, tmp_path):
    target = await Store(path).open()
    try:
        await open_dots_round(target)
    finally:
        await target.close()
    before = rows(path)

    done = run("migrate-data", "--from", f"sqlite:///{source}", "--to", path, cwd=tmp_path)

    assert done.returncode == 2
    assert "already holds data" in done.stderr
    assert rows(path) == before


def test_copying_a_database_onto_itself_is_refused(source, tmp_path):
    url = f"sqlite:///{source}"
    before = rows(source)

    done = run("migrate-data", "--from", url, "--to", url, cwd=tmp_path)

    assert done.returncode == 2
    assert "same database" in done.stderr
    assert rows(source) == before
