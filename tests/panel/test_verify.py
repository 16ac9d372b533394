"""A draw anyone can check: the lottery file, its commitment, the seed from a public value and
the panel it picks follow the recipe in docs/lottery-verification.md, whose five-line snippet
gives the same panel as the code, and whose worked example is a fair lottery for its pool, written
as the code writes it and drawn as the code draws."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys

import pytest

from facilitation.panel.lottery import select_panel
from facilitation.panel.pool import meets_quotas
from facilitation.panel.quotas import Quota, Volunteer
from facilitation.panel.uniform import uniform_lottery
from facilitation.panel.verify import (
    canonical,
    commitment,
    lottery_file,
    pick,
    public_value,
    seed,
    verify,
)
from tests.helpers import ROOT

DOC = (ROOT / "docs" / "lottery-verification.md").read_text(encoding="utf-8")

EXAMPLE_ROWS = [
    ("1", "16-39", "woman", "renter", None),
    ("2", "16-39", "man", "renter", None),
    ("3", "16-39", "woman", "owner", None),
    ("4", "40+", "woman", "owner", "Flat 4"),
    ("5", "40+", "man", "owner", "Flat 4"),
    ("6", "40+", "woman", "owner", None),
    ("7", "40+", "man", "owner", None),
    ("8", "40+", "man", "renter", None),
]
EXAMPLE_QUOTAS = [
    Quota("age", "16-39", 1, 2),
    Quota("gender", "woman", 1, 2),
    Quota("tenure", "renter", 1, 2),
]


def block(kind: str) -> str:
    """The first fenced block of this kind in the document."""
    found = re.search(rf"```{kind}\n(.*?)```", DOC, re.S)
    assert found, kind
    return found.group(1)


@pytest.fixture(scope="module")
def example() -> bytes:
    pool = [Volunteer(i, {"age": a, "gender": g, "tenure": t}, h) for i, a, g, t, h in EXAMPLE_ROWS]
    lottery = select_panel(pool, 3, EXAMPLE_QUOTAS, one_per_household=True)
    return lottery_file(lottery.pool, uniform_lottery(lottery, 10).panels)


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> bytes:
    """A lottery file of 1,000 panels from a pool of 90."""
    answers = [
        ("young", "woman"),
        ("old", "man"),
        ("old", "woman"),
        ("young", "man"),
        ("old", "man"),
    ]
    pool = [
        Volunteer(f"v{i}", dict(zip(("age", "gender"), answers[i % 5], strict=True)), None)
        for i in range(90)
    ]
    quotas = [Quota("age", "young", 3, 4), Quota("gender", "woman", 4, 5)]
    lottery = select_panel(pool, 9, quotas)
    return lottery_file(lottery.pool, uniform_lottery(lottery, 1000).panels)


def test_the_worked_example_is_a_fair_lottery_the_code_writes_and_draws_from():
    # Checked from the published file, as a reader would: the panels themselves are one of many
    # equally fair roundings, and which one the solver finds differs between its releases.
    published = block("json").encode("utf-8")
    pool = [Volunteer(i, {"age": a, "gender": g, "tenure": t}, h) for i, a, g, t, h in EXAMPLE_ROWS]
    lottery = select_panel(pool, 3, EXAMPLE_QUOTAS, one_per_household=True)
    assert list(lottery.probabilities.values()) == [pytest.approx(0.375)] * 8  # as documented
    named = [[pool[n - 1].id for n in panel] for panel in json.loads(published)["panels"]]
    assert len(named) == 10 and all(meets_quotas(lottery.pool, panel) for panel in named)
    on = {v.id: sum(v.id in panel for panel in named) for v in pool}
    assert on == {"1": 3, "2": 4, "3": 4, "4": 4, "5": 4, "6": 4, "7": 3, "8": 4}
    assert lottery_file(lottery.pool, named) == published
    stated = re.findall(r"`([0-9a-f]{64})`", DOC)
    drawn = verify(published, "  07 19   23 31 44  ")
    assert stated == [drawn.commitment, drawn.seed]
    assert drawn.commitment == hashlib.sha256(published).hexdigest()
    assert (drawn.value, drawn.number, drawn.members) == ("07 19 23 31 44", 1, (1, 5, 7))
    assert "**panel 1: volunteers 1, 5 and 7**" in DOC


def test_the_five_line_snippet_finds_the_same_panel_as_the_code(large, tmp_path):
    snippet = block("python")
    assert len([line for line in snippet.splitlines() if line.strip()]) == 5
    script = tmp_path / "check.py"
    script.write_text(snippet, encoding="utf-8")
    (tmp_path / "lottery.json").write_bytes(large)
    for value in ["4 17 23 31 42", "  beacon 0x9f3a  2026-05-01 ", "tirage n°12 : 7 9 33"]:
        out = subprocess.run(
            [sys.executable, str(script), str(tmp_path / "lottery.json"), value],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        drawn = verify(large, value)
        assert out.strip() == f"panel {drawn.number} {list(drawn.members)}"


def test_the_file_is_canonical_json_and_names_no_one(example):
    document = json.loads(example)
    assert canonical(document) == example
    assert example.endswith(b"}\n") and b" " not in example.replace(b"16-39", b"")
    assert len(document["panels"]) == 10
    text = example.decode()
    assert "Flat 4" not in text
    assert document["volunteers"][3]["home"] == document["volunteers"][4]["home"] == 1
    assert all(v["home"] is None for i, v in enumerate(document["volunteers"]) if i not in (3, 4))


def test_the_seed_follows_the_recipe_and_spacing_does_not_matter():
    committed = commitment(b"any bytes\n")
    assert committed == hashlib.sha256(b"any bytes\n").hexdigest()
    expected = hashlib.sha256(f"{committed}:1 2 3".encode()).hexdigest()
    assert seed(committed, "1 2 3") == seed(committed, "  1   2 3 ") == expected
    assert seed(committed, "1 2 4") != expected
    assert pick(expected, 1000) == int(expected, 16) % 1000 + 1
    assert public_value("\t7  9\n") == "7 9"


def test_a_changed_file_or_value_draws_differently(large):
    first = verify(large, "4 17 23 31 42")
    changed = large.replace(b'"seats":9', b'"seats":8')
    assert verify(changed, "4 17 23 31 42").commitment != first.commitment
    numbers = {verify(large, f"value {i}").number for i in range(40)}
    assert len(numbers) > 30  # the draw spreads over the panels


@pytest.mark.parametrize(
    ("data", "value", "error"),
    [
        (b'{"format":"other","panels":[[1]]}\n', "1", "not a facilitation-lottery/1 file"),
        (b'{"format":"facilitation-lottery/1","panels":[]}\n', "1", "no panels"),
        (b'{"format":"facilitation-lottery/1","panels":[[1]]}\n', "   ", "public value is empty"),
    ],
)
def test_bad_files_and_values_are_refused(data, value, error):
    with pytest.raises(ValueError, match=error):
        verify(data, value)
