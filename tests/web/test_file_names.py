"""Download file names: the title's whole words, never cut mid-word."""

from __future__ import annotations

import pytest

from facilitation.web.common import SLUG_CHARS, file_slug

TITLE = "Riverside estate improvements consultation 2026"


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        (TITLE, "riverside-estate-improvements"),
        ("Courtyard", "courtyard"),
        ("Café & garden: what next?", "cafe-garden-what-next"),
        (
            "Supercalifragilisticexpialidociousnessesness plan",
            "supercalifragilisticexpialidociousnessesness",
        ),
        ("حديقة", "workshop"),
        ("", "workshop"),
    ],
)
def test_a_file_name_keeps_whole_words(title, slug):
    assert file_slug(title, "workshop") == slug


def test_whole_words_fill_the_name_up_to_its_length():
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa"
    slug = file_slug(words, "x")
    assert len(slug) <= SLUG_CHARS
    assert words.replace(" ", "-").startswith(slug + "-")
    next_word = words.split()[len(slug.split("-"))]
    assert len(slug) + 1 + len(next_word) > SLUG_CHARS


async def test_workshop_and_programme_downloads_are_named_by_whole_words(facilitator):
    workshop_id, _code = await facilitator.create_workshop(TITLE)
    base = f"/f/workshops/{workshop_id}/export"
    for name in ("results.csv", "ballots.csv", "workshop.json"):
        response = await facilitator.client.get(f"{base}/{name}")
        assert response.status_code == 200
        disposition = response.headers["content-disposition"]
        assert disposition == f'attachment; filename="riverside-estate-improvements-{name}"'
    response = await facilitator.post("/f/programmes", {"title": TITLE})
    programme = response.headers["location"]
    response = await facilitator.client.get(f"{programme}/export/needs.csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="riverside-estate-improvements-needs.csv"'
    )
