"""The use cases of erasure and access, per person: find one participant of a workshop (by name)
or one volunteer of a pool (by name or email), read out everything held about them, and erase
them; and forget volunteers' contact details a set time after their pool's last draw."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from facilitation import kinds
from facilitation.core.errors import BadRequest
from facilitation.core.forms import is_ticked
from facilitation.core.i18n import N_
from facilitation.core.models import Workshop
from facilitation.storage.erasures import Record
from facilitation.storage.store import Store

QUERY_MAX = 200
NOT_CONFIRMED = N_("Tick the box to confirm the erasure: it cannot be undone.")
QUERY_TOO_LONG = N_("Search for at most {n} characters.")
DAY = 86400.0
RETENTION_EVERY = 3600.0  # seconds between two applications of the retention setting

log = logging.getLogger(__name__)


def read_query(value: Any) -> str:
    """A search box's text, trimmed and folded for comparing; empty if there is none."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest("The form could not be read. Please reload the page and try again.")
    if len(value) > QUERY_MAX:
        raise BadRequest(QUERY_TOO_LONG, n=QUERY_MAX)
    return " ".join(value.split()).casefold()


def _matches(query: str, *fields: str) -> bool:
    return bool(query) and any(query in " ".join(f.split()).casefold() for f in fields)


def confirmed(form: Mapping[str, Any]) -> None:
    """Refuse an erasure whose form did not tick its confirmation."""
    if not is_ticked(form.get("confirm")):
        raise BadRequest(NOT_CONFIRMED)


class Erasure:
    """Access and erasure for one person; the live screens are told after a participant goes."""

    def __init__(self, store: Store, mark_dirty: Callable[[int], None]) -> None:
        self.store = store
        self.mark_dirty = mark_dirty

    async def find_participants(self, workshop: Workshop, query: str) -> list[Record]:
        """Participants whose name contains ``query`` (ignoring case and spacing)."""
        named = await self.store.erasures.named_participants(workshop.id)
        return [p for p in named if _matches(query, p["name"])]

    async def participant(self, workshop: Workshop, participant_id: int) -> Record:
        """Everything held about one participant; each ballot also in words, by option title."""
        record = await self.store.erasures.participant_record(workshop.id, participant_id)
        titles = {o.id: o.title for o in await self.store.options.options(workshop.id)}
        for ballot in record["ballots"]:
            cells = kinds.get(ballot["kind"]).ballot_cells(ballot["ballot"])
            ballot["choices"] = "; ".join(
                f"{titles.get(oid, oid)}: "
                + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in own.items())
                for oid, own in cells.items()
            )
        return record

    async def erase_participant(
        self, workshop: Workshop, participant_id: int, form: Mapping[str, Any], by: str
    ) -> Record:
        confirmed(form)
        counts = await self.store.erasures.erase_participant(workshop.id, participant_id, by)
        self.mark_dirty(workshop.id)
        return counts

    async def find_volunteers(self, pool_id: int, query: str) -> list[Record]:
        """Volunteers whose name or email contains ``query`` (ignoring case and spacing)."""
        everyone = await self.store.erasures.volunteers(pool_id)
        return [v for v in everyone if _matches(query, v["name"], v["email"])]

    async def volunteer(self, pool_id: int, volunteer_id: int) -> Record:
        return await self.store.erasures.volunteer_record(pool_id, volunteer_id)

    async def erase_volunteer(
        self, pool_id: int, volunteer_id: int, form: Mapping[str, Any], by: str
    ) -> Record:
        confirmed(form)
        return await self.store.erasures.erase_volunteer(pool_id, volunteer_id, by)

    async def forget_old_contacts(self, days: float, now: float | None = None) -> int:
        """Delete contact details in pools last drawn more than ``days`` ago (0: keep them)."""
        if days <= 0:
            return 0
        now = time.time() if now is None else now
        return await self.store.erasures.forget_contacts(now - days * DAY)


async def keep_forgetting(uc: Erasure, days: float, every: float = RETENTION_EVERY) -> None:
    """Apply the retention setting at start and then every hour while the server runs."""
    if days <= 0:
        return
    while True:
        try:
            n = await uc.forget_old_contacts(days)
        except Exception as exc:  # a busy or failing database: try again next time
            log.warning("Could not delete old contact details: %s", exc)
        else:
            if n:
                log.info(
                    "Deleted the contact details of %d volunteers (pools last drawn "
                    "over %g days ago)",
                    n,
                    days,
                )
        await asyncio.sleep(every)
