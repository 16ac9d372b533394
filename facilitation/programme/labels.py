"""How needs, actions and who carries them out are named on pages and in exports."""

from __future__ import annotations

from facilitation.core.i18n import N_
from facilitation.core.models import ActionStatus, NeedStatus, Who

NEED_STATUS = {
    NeedStatus.PROPOSED: N_("Proposed"),
    NeedStatus.PRIORITISED: N_("Prioritised"),
    NeedStatus.IN_PLAN: N_("In the action plan"),
    NeedStatus.DONE: N_("Done"),
    NeedStatus.NOT_POSSIBLE: N_("Not possible"),
}


ACTION_STATUS = {
    ActionStatus.PLANNED: N_("Planned"),
    ActionStatus.IN_PROGRESS: N_("In progress"),
    ActionStatus.DONE: N_("Done"),
    ActionStatus.STUCK: N_("Stuck"),
}


WHO = {
    Who.RESIDENTS: N_("Residents"),
    Who.STAFF: N_("Staff"),
    Who.CONTRACTOR: N_("Contractor"),
    Who.PARTNERSHIP: N_("Partnership"),
}


LABELS = {"need_status": NEED_STATUS, "action_status": ACTION_STATUS, "who": WHO}
