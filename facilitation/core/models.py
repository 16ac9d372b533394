"""Frozen records the rest of the code passes around; no I/O and no web framework here."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class IdeaStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the facilitator
    APPROVED = "approved"  # on the wall
    HIDDEN = "hidden"  # kept, but not shown to the room
    MERGED = "merged"  # a duplicate: its supporter counts for the idea it was merged into


class RoundStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Scope(enum.StrEnum):
    """Who decides an option: the room, the room within a stated limit, or nobody present."""

    OPEN = "open"
    WITHIN_LIMITS = "within_limits"
    NOT_NEGOTIABLE = "not_negotiable"


class LimitKind(enum.StrEnum):
    """What bounds an option decided within limits."""

    BUDGET = "budget"
    STATUTORY = "statutory"
    HEALTH_SAFETY = "health_safety"
    LEASE = "lease"
    OTHER = "other"


class Role(enum.StrEnum):
    """An account's part in its organisation (facilitation.accounts.roles says what each may do)."""

    ORGANISER = "organiser"
    FACILITATOR = "facilitator"
    MODERATOR = "moderator"


@dataclass(frozen=True, slots=True)
class Organisation:
    """A landlord, council or group on the instance: its workshops, programmes and accounts."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class User:
    """A signed-in account: its organisation, its role there, the one workshop a moderator
    looks after, and whether it may also create organisations (the instance's administrator)."""

    id: int
    username: str
    organisation_id: int
    role: Role = Role.ORGANISER
    workshop_id: int | None = None
    admin: bool = False


@dataclass(frozen=True, slots=True)
class Workshop:
    id: int
    code: str
    title: str
    date: dt.date | None
    place: str
    revision: int
    current_round_id: int | None = None
    organisation_id: int | None = None
    # What was typed as its date before dates were dates, where it could not be read as one.
    date_note: str = ""


@dataclass(frozen=True, slots=True)
class Option:
    id: int
    workshop_id: int
    title: str
    description: str
    position: int
    withdrawn: bool = False
    scope: Scope = Scope.OPEN
    limit_kind: LimitKind | None = None
    # The limit for "within limits", the reason for "not negotiable"; empty when open.
    limit_text: str = ""
    # Estimated cost in whole currency units, for budget rounds; None when not costed.
    cost: int | None = None
    # The version of its picture (see workshop.pictures), or "" when it has none.
    picture: str = ""
    # The language its words are in, once read for a language (see core.wording); the same
    # option in a board's second language.
    lang: str = ""
    also: Option | None = None

    @property
    def votable(self) -> bool:
        """Whether the room may vote on it: a not-negotiable option is information only."""
        return self.scope is not Scope.NOT_NEGOTIABLE


@dataclass(frozen=True, slots=True)
class InfoCard:
    """A short piece of information a round shows before its ballot."""

    title: str
    text: str
    lang: str = ""
    also: InfoCard | None = None


@dataclass(frozen=True, slots=True)
class Round:
    """One round of a workshop. ``kind`` names its kind in the registry (facilitation.kinds), and
    ``settings`` holds that kind's own settings exactly as stored (plain JSON values)."""

    id: int
    workshop_id: int
    title: str
    kind: str
    option_ids: tuple[int, ...]
    status: RoundStatus
    hidden: bool = False
    revealed: bool = False
    timer_seconds: int | None = None
    ends_at: float | None = None
    opened_at: float | None = None
    closed_at: float | None = None
    # Options shown with the round for information only: never on the ballot, never counted.
    info_option_ids: tuple[int, ...] = ()
    cards: tuple[InfoCard, ...] = ()
    cards_on_board: bool = False
    # Each ballot option's estimated cost (in the order of option_ids, as they were when the
    # round was read; 0 when not costed).
    costs: tuple[int, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    lang: str = ""
    also: Round | None = None

    @property
    def cost_of(self) -> dict[int, int]:
        """Each ballot option's cost."""
        return dict(zip(self.option_ids, self.costs, strict=False))

    @property
    def results_visible(self) -> bool:
        """Whether the room may see totals now: live rounds always, hidden ones after reveal."""
        return not self.hidden or self.revealed


# Where people take part, in the order the console lists them: their own phone, the shared
# tablet at the door ("kiosk"), a paper ballot the facilitator copies in.
SOURCES = ("phone", "kiosk", "paper")


@dataclass(frozen=True, slots=True)
class Kiosk:
    """A shared tablet at the door, unlocked from the console until a facilitator locks it."""

    id: int
    workshop_id: int
    created_at: float
    locked_at: float | None = None
    people: int = 0  # how many took part on it

    @property
    def in_use(self) -> bool:
        return self.locked_at is None


@dataclass(frozen=True, slots=True)
class Participant:
    id: int
    workshop_id: int
    token: str
    display_name: str
    # Where they take part (SOURCES): "phone" (their own), "kiosk" (the tablet at the door) or
    # "paper" (a paper ballot the facilitator copies in, whose label display_name then holds).
    source: str = "phone"

    @property
    def paper(self) -> bool:
        return self.source == "paper"


@dataclass(frozen=True, slots=True)
class Ballot:
    """One participant's last committed ballot in one round; ``entry`` is what they chose, in
    their round kind's own shape, exactly as stored (plain JSON values)."""

    round_id: int
    participant_id: int
    entry: Mapping[str, Any] = field(default_factory=dict)
    submitted_at: float = 0.0
    revision: int = 0
    source: str = "phone"  # its participant's: "phone", "kiosk" (the door tablet) or "paper"

    @property
    def paper(self) -> bool:
        return self.source == "paper"


@dataclass(frozen=True, slots=True)
class ResultRow:
    option_id: int
    score: float
    place: int
    tied: bool
    voters: int = 0


@dataclass(frozen=True, slots=True)
class RoundResult:
    """What a round produced: rows best first (or in the order asked, for a profile), how many
    ballots, and ``details``: the kind's own figures (plain JSON values), kept with the result."""

    kind: str
    rows: tuple[ResultRow, ...]
    ballots: int
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Idea:
    """An idea sent from a phone (or copied from paper) in an idea round."""

    id: int
    round_id: int
    participant_id: int
    text: str  # the wording shown, possibly edited by the facilitator
    original: str  # exactly what the participant wrote
    category: str
    status: IdeaStatus
    created_at: float
    merged_into: int | None = None
    option_id: int | None = None  # the option it became, once turned into one
    supporters: int = 1  # itself plus every idea merged into it
    source: str = "phone"  # its participant's, as for a Ballot

    @property
    def paper(self) -> bool:
        return self.source == "paper"

    @property
    def edited(self) -> bool:
        return self.text != self.original


@dataclass(frozen=True, slots=True)
class Turnout:
    joined: int
    voted: int
    # How many joined from each source (SOURCES), where known: (source, count) pairs.
    sources: tuple[tuple[str, int], ...] = ()


class NeedStatus(enum.StrEnum):
    PROPOSED = "proposed"
    PRIORITISED = "prioritised"
    IN_PLAN = "in_plan"
    DONE = "done"
    NOT_POSSIBLE = "not_possible"


class ActionStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    STUCK = "stuck"


class Who(enum.StrEnum):
    """Who carries an action out: coproduction names the residents' share as well as the staff's."""

    RESIDENTS = "residents"
    STAFF = "staff"
    CONTRACTOR = "contractor"
    PARTNERSHIP = "partnership"


@dataclass(frozen=True, slots=True)
class Programme:
    """A series of workshops for one place or group, with its needs list and action plan."""

    id: int
    title: str
    place: str
    description: str
    slug: str
    organisation_id: int | None = None


@dataclass(frozen=True, slots=True)
class Need:
    id: int
    programme_id: int
    title: str
    description: str
    status: NeedStatus
    status_reason: str = ""
    override_score: float | None = None
    override_reason: str = ""
    option_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ActionNote:
    id: int
    action_id: int
    note: str
    at: float


@dataclass(frozen=True, slots=True)
class Action:
    id: int
    programme_id: int
    need_id: int | None
    what: str
    who: Who
    owner: str
    due: str  # ISO date, or "" when not set
    status: ActionStatus
    notes: tuple[ActionNote, ...] = ()

    def overdue(self, today: str) -> bool:
        """Past its date and not finished (dates compare as ISO strings)."""
        return bool(self.due) and self.due < today and self.status is not ActionStatus.DONE
