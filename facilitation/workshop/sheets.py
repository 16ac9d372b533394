"""Paper ballots to print: a round's sheet in one language, its options in the order the paper
entry form lists them, and how many copies to print."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from facilitation import kinds
from facilitation.core import wording
from facilitation.core.forms import read_whole
from facilitation.core.i18n import N_
from facilitation.core.models import Option, Round
from facilitation.storage.store import Store

MAX_COPIES = 60  # a stack for one evening's table; the browser prints them all at once
COPIES = N_("Copies")


def paper_order(rnd: Round, options: Mapping[int, Option]) -> list[Option]:
    """A round's options as a paper sheet lists them and the paper form asks for them: the
    facilitator's order, the same on every sheet, so copying one in goes line by line."""
    return [options[o] for o in rnd.option_ids if o in options]


def read_copies(value: Any) -> int:
    """How many sheets to print, 1 to MAX_COPIES (1 when not given); BadRequest otherwise."""
    if value is None:
        return 1
    return read_whole(value, COPIES, 1, MAX_COPIES)


async def sheet_context(store: Store, rnd: Round, language: str) -> dict[str, Any]:
    """What a round's printed sheet shows, with the facilitator's words in ``language`` where
    the workshop has them translated (the originals otherwise)."""
    languages = await store.languages.workshop_languages(rnd.workshop_id)
    texts = await store.translations.workshop_texts(rnd.workshop_id, languages.main)
    originals = {o.id: o for o in await store.options.options(rnd.workshop_id)}
    options = wording.options_in(originals, texts, language)
    return {
        "round": wording.round_in(rnd, texts, language),
        "kind": kinds.get(rnd.kind),
        "ballot_options": paper_order(rnd, options),
    }
