"""Panel lottery use cases: import a pool, work out everyone's chance under the organiser's
quotas, and draw and record a panel with a published seed.

The lottery is pure and CPU-bound (panel.lottery); it runs in a worker process (panel.workers),
so that the live workshops on the same server keep answering while it works and one organiser's
heavy lottery does not hold up another's. A lottery depends
only on its inputs, so the last few are kept: the draw after "Work out the chances" does not
compute it again.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import anyio
import anyio.to_thread

from facilitation.core.csv_files import Problem
from facilitation.core.errors import BadRequest, Conflict, NotFound
from facilitation.core.i18n import N_, _
from facilitation.core.models import Programme
from facilitation.panel import lottery as lottery_rules
from facilitation.panel import setup as panel_setup
from facilitation.panel import verify as verify_rules
from facilitation.panel import withdrawal
from facilitation.panel.alternates import choose_alternates, dropout_chances
from facilitation.panel.dropouts import Learned, learned
from facilitation.panel.pool import build_pool
from facilitation.panel.pool_import import read_volunteers
from facilitation.panel.setup import Key, Setup, lottery_inputs
from facilitation.panel.uniform import uniform_lottery
from facilitation.panel.workers import Job, Workers
from facilitation.people.rules import (
    PREFER_NOT_TO_SAY,
    Commitment,
    Panel,
    Pool,
    ProfileQuestion,
    Volunteer,
)
from facilitation.storage.store import Store

KEPT = 4  # lotteries kept for a draw that follows
TITLE_MAX = 120
SEED_MAX = 200
# Past this, the lottery reached so far is shown, with what it guarantees, and the worker is
# free for the next organiser.
LOTTERY_SECONDS = 120.0
NUMBERED = (100, 1000)  # how many numbered panels a lottery can be rounded to


@dataclass(frozen=True, slots=True)
class PoolData:
    """A pool with what its pages need: the volunteers, the programme's questions, the place."""

    pool: Pool
    volunteers: list[Volunteer]
    questions: list[ProfileQuestion]
    makeup: dict[int, dict[int, float]]
    panels: list[Panel]


@dataclass(frozen=True, slots=True)
class Outcome:
    """A worked-out lottery, or why none can meet the quotas; and how labels map to answers."""

    setup: Setup
    lottery: lottery_rules.Lottery | None
    infeasible: lottery_rules.Infeasible | None
    by_label: Mapping[tuple[str, str], Key]

    def averages(self) -> dict[Key, tuple[int, float]]:
        """Each answer's number of volunteers and their average chance of a seat."""
        assert self.lottery is not None
        return {
            self.by_label[(g.feature, g.value)]: (g.volunteers, g.average)
            for g in self.lottery.groups
            if (g.feature, g.value) in self.by_label
        }

    def labels(self) -> dict[Key, tuple[str, str]]:
        """Each answer as the lottery names it: (question label, answer label)."""
        return {key: label for label, key in self.by_label.items()}

    def chances(self) -> list[float]:
        """Each volunteer's chance of a seat, in pool order (volunteer 1 first)."""
        assert self.lottery is not None
        chances = self.lottery.probabilities
        return [chances[str(n)] for n in range(1, len(chances) + 1)]


def seed_text(value: Any) -> str:
    """The seed as the draw reads it: runs of spaces tidied, so a retyped seed draws the same."""
    seed = " ".join(value.split()) if isinstance(value, str) else ""
    if not seed:
        raise BadRequest(
            N_("Please give the seed you published, such as the numbers rolled at the meeting.")
        )
    if len(seed) > SEED_MAX:
        raise BadRequest(N_("The seed is too long: {n} characters at most."), n=SEED_MAX)
    return seed


class Lotteries:
    def __init__(self, store: Store, time_limit: float = LOTTERY_SECONDS) -> None:
        self.store = store
        self.time_limit = time_limit
        self._limiter = anyio.CapacityLimiter(1)
        self.workers = Workers()
        self._running: dict[tuple[int, str], Job] = {}  # by pool and the job's own id
        self._kept: OrderedDict[tuple, Outcome] = OrderedDict()
        # One numbered draw at a time, so that two public values sent together cannot both
        # record a panel from the same commitment.
        self._drawing = anyio.Lock()

    async def pool_in(self, programme: Programme, pool_id: Any) -> Pool:
        pool = await self.store.pools.pool(int(pool_id))
        if pool.programme_id != programme.id:
            raise NotFound("pool")
        return pool

    async def data(self, pool: Pool) -> PoolData:
        store = self.store
        questions = await store.profiles.profile_questions(pool.programme_id)
        return PoolData(
            pool,
            await store.pools.volunteers(pool.id),
            questions,
            await store.profiles.place_makeup(pool.programme_id),
            await store.pools.panels(pool.id),
        )

    async def import_pool(
        self, programme: Programme, title: Any, data: bytes
    ) -> tuple[Pool | None, list[Problem]]:
        """Store every volunteer in the file, or none and every problem with its line."""
        title = " ".join(title.split()) if isinstance(title, str) else ""
        if len(title) > TITLE_MAX:
            raise BadRequest(N_("The title is too long: {n} characters at most."), n=TITLE_MAX)
        questions = await self.store.profiles.profile_questions(programme.id)
        declines = {PREFER_NOT_TO_SAY, _(PREFER_NOT_TO_SAY)}
        volunteers, problems = read_volunteers(data, questions, declines)
        if problems:
            return None, problems
        title = title or _("Pool of {n} volunteers", n=len(volunteers))
        return await self.store.pools.add_pool(programme.id, title, volunteers), []

    async def work_out(self, data: PoolData, setup: Setup, job_id: str | None = None) -> Outcome:
        """The lottery for these settings, or the reasons none can meet them. `job_id` names
        this computation for its progress and its Stop, apart from others on the same pool."""
        candidates, quotas, by_label = lottery_inputs(data.questions, data.volunteers, setup)
        key = (
            data.pool.id,
            setup.seats,
            setup.one_per_household,
            tuple(quotas),
            tuple(sorted(by_label.items())),
        )
        if key in self._kept:
            self._kept.move_to_end(key)
            # The same lottery; the settings it was asked with may differ in what it ignores.
            return replace(self._kept[key], setup=setup)

        job = self.workers.job(self.time_limit, job_id)
        running = (data.pool.id, job.id)
        self._running[running] = job
        try:
            found = await self.workers.lottery(
                job, candidates, setup.seats, quotas, setup.one_per_household
            )
        finally:
            if self._running.get(running) is job:
                del self._running[running]
        if isinstance(found, str):  # the worker says it was cancelled
            raise Conflict(N_("The lottery was cancelled."))
        if isinstance(found, lottery_rules.Infeasible):
            outcome = Outcome(setup, None, found, by_label)
        else:
            outcome = Outcome(setup, found, None, by_label)
        self._kept[key] = outcome
        while len(self._kept) > KEPT:
            self._kept.popitem(last=False)
        return outcome

    def progress(self, pool: Pool, job_id: str) -> dict[str, float | None] | None:
        """Where this job's lottery for this pool stands, or None if it is not being worked out."""
        job = self._running.get((pool.id, job_id))
        return None if job is None else job.status()

    def cancel(self, pool: Pool, job_id: str) -> bool:
        """Stop this job's lottery for this pool at once; whether it was being worked out."""
        job = self._running.get((pool.id, job_id))
        if job is not None:
            job.cancel()
        return job is not None

    async def past(self, programme_id: int) -> Learned:
        """What the programme's past panels say about withdrawals."""
        return await learned(self.store, programme_id)

    async def draw(self, data: PoolData, setup: Setup, seed: str) -> Panel:
        """Draw the panel the seed picks, with ordered reserves, and record it for good."""
        outcome = await self.work_out(data, setup)
        if outcome.lottery is None:
            raise BadRequest(N_("No panel can meet these quotas, so nothing was drawn."))
        lottery = outcome.lottery
        past = await learned(self.store, data.pool.programme_id)
        rates = withdrawal.resolve(setup, past.model, outcome.labels())
        dropout = dropout_chances(lottery.pool, rates.model(outcome.labels()))
        drawn = lottery_rules.draw(lottery, seed, setup.reserves, dropout)
        quotas = _quota_rows(setup)
        groups = [
            {"key": list(key), "volunteers": n, "average": average}
            for key, (n, average) in outcome.averages().items()
        ]
        result = {
            "reserves_asked": setup.reserves,
            "panel": sorted(int(v) for v in drawn.panel),
            "reserves": [int(v) for v in drawn.reserves],
            "ticket": drawn.ticket,
            "tickets": drawn.tickets,
            "chances": outcome.chances(),
            "lottery": [
                [tickets, sorted(int(v) for v in members)]
                for (members, _p), tickets in zip(lottery.panels, lottery.tickets, strict=True)
            ],
            "groups": groups,
            "learned": {"members": past.members, "withdrew": past.withdrew},
            "dropout": rates.record(),
        }
        return await self.store.pools.save_panel(
            data.pool.id, setup.seats, seed, quotas, setup.one_per_household, result
        )

    async def drawn(self, pool: Pool, panel_id: Any) -> Panel:
        panel = await self.store.pools.panel(int(panel_id))
        if panel.pool_id != pool.id:
            raise NotFound("panel")
        return panel

    async def commit(self, data: PoolData, setup: Setup, m: int) -> int:
        """Round the lottery to m numbered panels, fix its file and return the commitment's id."""
        if m not in NUMBERED:
            raise BadRequest(N_("Please choose how many numbered panels to draw from."))
        outcome = await self.work_out(data, setup)
        if outcome.lottery is None:
            raise BadRequest(N_("No panel can meet these quotas, so nothing was drawn."))
        lottery = outcome.lottery

        def compute() -> tuple[bytes, dict[str, float]]:
            rounded = uniform_lottery(lottery, m)
            effect = {
                "exact_smallest": rounded.exact_smallest,
                "smallest": rounded.smallest,
                "largest_fall": rounded.largest_fall,
                "bound": rounded.bound,
            }
            return verify_rules.lottery_file(lottery.pool, rounded.panels), effect

        file, effect = await anyio.to_thread.run_sync(compute, limiter=self._limiter)
        settings = {"quotas": _quota_rows(setup), "reserves": setup.reserves}
        settings |= {"seats": setup.seats, "one_per_household": setup.one_per_household}
        settings["withdrawal"] = {
            "usual": setup.usual,
            "rates": [[*key, rate] for key, rate in setup.rates.items()],
        }
        digest = verify_rules.commitment(file)
        return await self.store.pools.add_commitment(
            data.pool.id, settings, m, file, digest, effect
        )

    async def committed(self, pool: Pool, commitment_id: Any) -> Commitment:
        found = await self.store.pools.commitment(int(commitment_id))
        if found.pool_id != pool.id:
            raise NotFound("commitment")
        return found

    async def draw_committed(self, data: PoolData, commitment: Commitment, value: Any) -> Panel:
        """Draw the numbered panel the public value picks, with alternates, and record it."""
        async with self._drawing:
            current = await self.store.pools.commitment(commitment.id)
            return await self._draw_committed(data, current, value)

    async def _draw_committed(self, data: PoolData, commitment: Commitment, value: Any) -> Panel:
        if commitment.panel_id is not None:
            raise Conflict(N_("This lottery has already been drawn."))
        text = " ".join(value.split()) if isinstance(value, str) else ""
        if not text:
            raise BadRequest(N_("Please type the public value as it was announced."))
        if len(text) > SEED_MAX:
            raise BadRequest(N_("The seed is too long: {n} characters at most."), n=SEED_MAX)
        drawn = verify_rules.verify(commitment.file, text)
        settings = commitment.settings
        setup = panel_setup.stored_from(
            settings["seats"],
            settings["reserves"],
            settings["one_per_household"],
            settings["quotas"],
        )
        expected = settings.get("withdrawal") or {"usual": None, "rates": []}
        setup = replace(
            setup,
            usual=expected["usual"],
            rates={(q, c): rate for q, c, rate in expected["rates"]},
        )
        candidates, quotas, back = lottery_inputs(data.questions, data.volunteers, setup)
        pool = build_pool(
            candidates, setup.seats, quotas, one_per_household=setup.one_per_household
        )
        members = [str(n) for n in drawn.members]
        past = await learned(self.store, data.pool.programme_id)
        labels = {key: label for label, key in back.items()}
        rates = withdrawal.resolve(setup, past.model, labels)
        dropout = dropout_chances(pool, rates.model(labels))
        called = choose_alternates(pool, members, setup.reserves, dropout, seed=drawn.seed).order
        panels = json.loads(commitment.file)["panels"]
        held = [0] * len(data.volunteers)
        for panel in panels:
            for n in panel:
                held[n - 1] += 1
        chances = [h / commitment.m for h in held]
        groups: dict[tuple[int, int | None], list[float]] = {}
        for v, chance in zip(data.volunteers, chances, strict=True):
            for key in v.answers.items():
                groups.setdefault(key, []).append(chance)
        result = {
            "reserves_asked": setup.reserves,
            "panel": sorted(drawn.members),
            "reserves": [int(v) for v in called],
            "ticket": drawn.number - 1,
            "tickets": commitment.m,
            "chances": chances,
            "lottery": [[1, panel] for panel in panels],
            "groups": [
                {"key": list(key), "volunteers": len(c), "average": sum(c) / len(c)}
                for key, c in groups.items()
            ],
            "numbered": {
                "commitment": drawn.commitment,
                "value": drawn.value,
                "seed": drawn.seed,
                "number": drawn.number,
                "m": commitment.m,
            },
            "learned": {"members": past.members, "withdrew": past.withdrew},
            "dropout": rates.record(),
        }
        panel = await self.store.pools.save_panel(
            data.pool.id,
            setup.seats,
            drawn.value,
            settings["quotas"],
            setup.one_per_household,
            result,
        )
        await self.store.pools.drawn_from(commitment.id, panel)
        return panel


def _quota_rows(setup: Setup) -> list[dict[str, Any]]:
    return [
        {"question_id": k[0], "choice_id": k[1], "min": low, "max": high}
        for k, low, high in setup.quotas()
    ]


def by_number(volunteers: Sequence[Volunteer]) -> dict[int, Volunteer]:
    """Volunteers by their number in the pool, counted from 1 in the order they were imported."""
    return {n: v for n, v in enumerate(volunteers, start=1)}
