"""The shared tablet at the door: unlocked by a facilitator, then one resident after another."""

from __future__ import annotations

from collections.abc import Callable

from facilitation.core.errors import Forbidden
from facilitation.core.hub import Hub
from facilitation.core.i18n import N_
from facilitation.core.models import Kiosk, Participant, Workshop
from facilitation.storage.store import Store
from facilitation.workshop.channels import announce

NOT_UNLOCKED = N_(
    "This device is not a shared tablet for a workshop. A facilitator can unlock it from the "
    "workshop's console."
)
LOCKED = N_(
    "This tablet has been locked by the facilitator, so no one else can take part on it. Please "
    "ask the facilitator."
)


class DoorTablets:
    """Tablets for residents without a phone; ``changed`` is called with a workshop id after
    each commit, as for the other use cases."""

    def __init__(self, store: Store, hub: Hub, changed: Callable[[int], None]) -> None:
        self.store = store
        self.hub = hub
        self.changed = changed

    async def unlock(self, workshop_id: int) -> str:
        """A new tablet for the workshop; returns the token the tablet keeps."""
        _kiosk, token = await self.store.kiosks.unlock(workshop_id)
        announce(self.hub, self.changed, workshop_id)
        return token

    async def lock(self, workshop_id: int, kiosk_id: int) -> Kiosk:
        kiosk = await self.store.kiosks.lock(workshop_id, kiosk_id)
        announce(self.hub, self.changed, workshop_id)
        return kiosk

    async def tablet(self, token: object) -> tuple[Kiosk, Workshop]:
        """The unlocked tablet holding ``token`` and its workshop; Forbidden, saying why, if the
        device is not one or has been locked."""
        kiosk = await self.store.kiosks.by_token(token) if isinstance(token, str) else None
        if kiosk is None:
            raise Forbidden(NOT_UNLOCKED)
        if not kiosk.in_use:
            raise Forbidden(LOCKED)
        return kiosk, await self.store.workshops.workshop(kiosk.workshop_id)

    async def new_person(self, token: object) -> tuple[Workshop, Participant]:
        """Someone new at the tablet: a participant of their own, counted once."""
        kiosk, workshop = await self.tablet(token)
        participant = await self.store.kiosks.new_person(kiosk, "")
        announce(self.hub, self.changed, workshop.id)
        return workshop, participant
