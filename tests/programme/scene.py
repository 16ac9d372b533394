"""A programme in tests: made and given its workshops through the organiser's forms, and read
back as a person reads its pages."""

from __future__ import annotations

import html
import re


def text_of(page: str) -> str:
    """A page's visible words, tags dropped and whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


async def create_programme(facilitator, title: str = "Phoenix Place plan", **fields) -> int:
    response = await facilitator.post("/f/programmes", {"title": title, **fields})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def assign(facilitator, programme_id: int, workshop_id: int):
    return await facilitator.post(
        f"/f/programmes/{programme_id}/workshops", {"workshop_id": str(workshop_id)}
    )
