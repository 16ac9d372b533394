"""All user-facing text goes through one translation function, so a new language needs no
template changes: a pseudo-translation must reach every visible word of a page."""

from __future__ import annotations

import os
import subprocess
import sys

from babel.messages.pofile import read_po

from facilitation.core import i18n
from tests.conftest import new_client
from tests.helpers import ROOT
from tests.translation import POT, untranslated


def msgids(path) -> set:
    with open(path, "rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def test_message_template_is_current(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        ["bash", "scripts/extract-messages", str(fresh)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHON": sys.executable},
    )
    assert msgids(fresh) == msgids(POT), "run scripts/extract-messages"


async def test_negotiation_prefers_an_available_catalog(pseudo_locale):
    assert i18n.negotiate("eo;q=0.9, en;q=0.5") == "eo"
    assert i18n.negotiate("fr-FR, de") == "en"
    assert i18n.negotiate(None) == "en"


async def test_every_word_on_participant_pages_is_translatable(app, facilitator, pseudo_locale):
    workshop_id, code = await facilitator.create_workshop("Phoenix Place")
    offered = {"main": "en", "languages": ["en", pseudo_locale]}
    await facilitator.post(f"/f/workshops/{workshop_id}/languages", offered)
    a = await facilitator.add_option(workshop_id, "Benches")
    b = await facilitator.add_option(workshop_id, "Lighting")
    round_id = await facilitator.create_round(workshop_id, "Priorities", [a, b])
    await facilitator.round_action(workshop_id, round_id, "open")
    # Each language is named in itself on the switch, never translated.
    names = {i18n.own_name(c) for c in i18n.available()}
    user_text = {"Phoenix Place", "Benches", "Lighting", "Priorities", code, "Ann", *names}
    headers = {"Accept-Language": "eo"}
    async with new_client(app) as device:
        home = await device.get("/", headers=headers)
        assert untranslated(home.text, user_text) == []
        join = await device.get(f"/w/{code}", headers=headers)
        assert untranslated(join.text, user_text) == []
        from tests.helpers import Phone

        await Phone(device).join(code, "Ann")
        ballot = await device.get(f"/w/{code}", headers=headers)
        assert "⟦" in ballot.text
        assert untranslated(ballot.text, user_text) == []
