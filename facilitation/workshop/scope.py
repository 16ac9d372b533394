"""Reading what is up for grabs from the facilitator's forms: an option's scope, a round's cards.

Each reader checks everything before anything is written, so a refused form changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from facilitation.core.errors import BadRequest
from facilitation.core.i18n import N_
from facilitation.core.models import InfoCard, LimitKind, Scope

LIMIT_TEXT_MAX = 200
CARDS_MAX = 5
CARD_TITLE_MAX = 80
CARD_TEXT_MAX = 600

# Labels for the console, the phones and the board (translated where shown).
SCOPE_LABELS = {
    Scope.OPEN: N_("Open: participants decide"),
    Scope.WITHIN_LIMITS: N_("Within limits"),
    Scope.NOT_NEGOTIABLE: N_("Not negotiable"),
}
LIMIT_LABELS = {
    LimitKind.BUDGET: N_("Budget"),
    LimitKind.STATUTORY: N_("Statutory duty"),
    LimitKind.HEALTH_SAFETY: N_("Health and safety"),
    LimitKind.LEASE: N_("Lease terms"),
    LimitKind.OTHER: N_("Other"),
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest("The form could not be read. Please reload the page and try again.")
    return value.strip()


def read_scope(form: Mapping[str, Any]) -> tuple[Scope, LimitKind | None, str]:
    """(scope, limit kind, limit or reason) from an option form; an open option keeps no limit."""
    raw = form.get("scope") or Scope.OPEN.value
    try:
        scope = Scope(raw) if isinstance(raw, str) else None
    except ValueError:
        scope = None
    if scope is None:
        raise BadRequest("Choose who decides: open, within limits or not negotiable.")
    if scope is Scope.OPEN:
        return scope, None, ""
    raw_kind = form.get("limit_kind") or ""
    try:
        kind = LimitKind(raw_kind) if raw_kind else None
    except ValueError:
        kind = None
    text = " ".join(_text(form.get("limit_text")).split())
    if len(text) > LIMIT_TEXT_MAX:
        raise BadRequest(
            "The limit or reason is too long: {limit} characters at most.", limit=LIMIT_TEXT_MAX
        )
    if scope is Scope.WITHIN_LIMITS:
        if kind is None:
            raise BadRequest(
                "Choose what kind of limit applies: budget, statutory duty, health and safety, "
                "lease terms or other."
            )
        if not text:
            raise BadRequest(
                "State the limit, for example “up to £5,000 from the estate budget”, so the "
                "room knows what it is deciding within."
            )
    elif not text:
        raise BadRequest(
            "Give the reason this option is not negotiable: the room sees it instead of a vote."
        )
    return scope, kind, text


def read_cards(form: Mapping[str, Any]) -> tuple[InfoCard, ...]:
    """A round's information cards from the fields card_title_N and card_text_N (N = 1 to 5);
    a card left with neither title nor text is dropped, which is how a card is removed."""
    cards = []
    for n in range(1, CARDS_MAX + 1):
        title = " ".join(_text(form.get(f"card_title_{n}")).split())
        text = _text(form.get(f"card_text_{n}"))
        if not title and not text:
            continue
        if not title:
            raise BadRequest("Information card {n} needs a title.", n=n)
        if not text:
            raise BadRequest("Information card {n} needs some text.", n=n)
        if len(title) > CARD_TITLE_MAX:
            raise BadRequest(
                "The title of information card {n} is too long: {limit} characters at most.",
                n=n,
                limit=CARD_TITLE_MAX,
            )
        if len(text) > CARD_TEXT_MAX:
            raise BadRequest(
                "The text of information card {n} is too long: {limit} characters at most.",
                n=n,
                limit=CARD_TEXT_MAX,
            )
        cards.append(InfoCard(title, text))
    return tuple(cards)
