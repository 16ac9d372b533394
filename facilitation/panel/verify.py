"""A draw nobody controls: commit to the lottery first, then let a public random value pick.

Pure. The recipe, which anyone can follow with a few lines of any language (see
docs/lottery-verification.md):

1. The *lottery file* is JSON in canonical form: keys sorted, no spaces (separators "," and
   ":"), non-ASCII characters written as themselves, UTF-8, one newline at the end. It holds the
   format name, the seats, the quotas, the household rule, the pool's anonymised profiles
   (volunteer 1 first, in pool order: their answers and, when they share a home with another
   volunteer, that home's number) and the m numbered panels (panel 1 first, each a sorted list
   of volunteer numbers). It names no one.
2. The *commitment* is the SHA-256 of the file's bytes, in lowercase hexadecimal. It is published
   before the public random value is known.
3. The *public value* is announced later by someone else (a national lottery result, a randomness
   beacon's output): it is used as typed, with spaces at either end removed and each run of
   spaces inside turned into one space.
4. The *seed* is the SHA-256, in lowercase hexadecimal, of the UTF-8 bytes of the commitment, a
   colon and the public value.
5. The drawn panel is number (seed read as a hexadecimal number, modulo m) + 1.

Since the value is not known when the file is fixed, and the file cannot change once its
commitment is out, no one can steer the draw; since every step is a standard hash and a
remainder, anyone can check it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from facilitation.panel.pool import Pool

FORMAT = "facilitation-lottery/1"


@dataclass(frozen=True, slots=True)
class VerifiedDraw:
    """Which numbered panel the public value picks, with every step of the recipe."""

    commitment: str
    value: str
    seed: str
    number: int  # counted from 1
    members: tuple[int, ...]  # volunteer numbers, counted from 1 in pool order


def lottery_document(pool: Pool, panels: Sequence[Sequence[str]]) -> dict[str, Any]:
    """The lottery file's content: anonymised profiles, quotas and numbered panels."""
    number = {v: i for i, v in enumerate(pool.ids, start=1)}
    shared: dict[str, int] = {}
    size: dict[str, int] = {}
    for v in pool.ids:
        size[pool.households[v]] = size.get(pool.households[v], 0) + 1
    volunteers = []
    for v in pool.ids:
        home = pool.households[v]
        if size[home] > 1 and home not in shared:
            shared[home] = len(shared) + 1
        volunteers.append(
            {
                "answers": dict(pool.profiles[v]),
                "home": shared.get(home) if size[home] > 1 else None,
            }
        )
    return {
        "format": FORMAT,
        "seats": pool.seats,
        "one_per_household": pool.one_per_household,
        "quotas": [
            {"feature": q.feature, "value": q.value, "min": q.min, "max": q.max}
            for q in pool.quotas
        ],
        "volunteers": volunteers,
        "panels": [sorted(number[v] for v in panel) for panel in panels],
    }


def lottery_file(pool: Pool, panels: Sequence[Sequence[str]]) -> bytes:
    """The lottery file's bytes, in the canonical form the commitment is taken over."""
    return canonical(lottery_document(pool, panels))


def canonical(document: Any) -> bytes:
    """JSON with sorted keys and no spaces, UTF-8, ending with one newline."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def commitment(data: bytes) -> str:
    """The SHA-256 of the lottery file's bytes, lowercase hexadecimal."""
    return hashlib.sha256(data).hexdigest()


def public_value(text: str) -> str:
    """The announced value as the recipe reads it: outer spaces removed, inner runs made one."""
    value = " ".join(text.split())
    if not value:
        raise ValueError("the public value is empty")
    return value


def seed(commitment_hex: str, value: str) -> str:
    """SHA-256 of "<commitment>:<public value>", lowercase hexadecimal."""
    return hashlib.sha256(f"{commitment_hex}:{public_value(value)}".encode()).hexdigest()


def pick(seed_hex: str, m: int) -> int:
    """The drawn panel's number, counted from 1."""
    return int(seed_hex, 16) % m + 1


def verify(data: bytes, value: str) -> VerifiedDraw:
    """Follow the recipe on a lottery file's bytes and a public value."""
    document = json.loads(data.decode("utf-8"))
    if document.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} file")
    panels = document["panels"]
    if not panels:
        raise ValueError("the lottery has no panels")
    committed = commitment(data)
    drawn_seed = seed(committed, value)
    number = pick(drawn_seed, len(panels))
    return VerifiedDraw(
        committed, public_value(value), drawn_seed, number, tuple(panels[number - 1])
    )
