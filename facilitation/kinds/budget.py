"""Budget rounds (participatory budgeting with knapsack ballots): each person ticks the costed
options they would fund within the budget; the funded set follows the round's rule, the Method of
Equal Shares or greedy by support (the rules themselves are in kinds.budget_rules)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from facilitation.core.errors import BadRequest, BallotError
from facilitation.core.forms import read_money
from facilitation.core.i18n import N_
from facilitation.core.models import Ballot, Option, Round, RoundResult
from facilitation.kinds import budget_rules
from facilitation.kinds.base import Kind, as_int, placed, refuse_information_only

EQUAL_SHARES = "equal_shares"
GREEDY = "greedy"
RULE_LABELS = {
    EQUAL_SHARES: N_("Method of Equal Shares"),
    GREEDY: N_("Greedy by support"),
}
NOT_A_NUMBER = N_("The picks must name options by number. Please reload the page.")
# Places tie as in every kind; the funded set cannot, and this says what settles it.
BUDGET_TIE_RULE = N_(
    "Ties: options picked by the same number of people share a place and are marked as tied, "
    "whatever order the round lists them in. What is funded cannot be shared, so there the "
    "round's order does decide: when equally supported options cannot all be funded, the one "
    "listed first is taken first. When that decided what is funded, the board and this page "
    "say so."
)
RUNS: dict[str, Callable[..., budget_rules.Outcome]] = {
    EQUAL_SHARES: budget_rules.equal_shares,
    GREEDY: budget_rules.greedy,
}


def budget_of(rnd: Round) -> int:
    return int(rnd.settings.get("budget") or 0)


def rule_of(rnd: Round) -> str:
    rule = rnd.settings.get("rule")
    return rule if rule in RULE_LABELS else EQUAL_SHARES


def other_rule(rule: str) -> str:
    return GREEDY if rule == EQUAL_SHARES else EQUAL_SHARES


def entry(picks: Sequence[int]) -> dict[str, Any]:
    """A budget ballot as it is stored."""
    return {"picks": list(picks)}


def picks_of(ballot_entry: Mapping[str, Any] | None) -> tuple[int, ...]:
    return tuple(int(v) for v in (ballot_entry or {}).get("picks", ()))


def spent(ballot_entry: Mapping[str, Any] | None, rnd: Round) -> int:
    """What a ballot's picks cost together."""
    costs = rnd.cost_of
    return sum(costs.get(o, 0) for o in picks_of(ballot_entry))


def check_costs(budget: int, options: Sequence[Option]) -> None:
    """Every option needs a cost, and one dearer than the whole budget could never be funded."""
    for option in options:
        if option.cost is None or option.cost < 1:
            raise BadRequest(
                "Give every option in a budget round an estimated cost: “{title}” has none.",
                title=option.title,
            )
        if option.cost > budget:
            raise BadRequest(
                "“{title}” costs more than the whole budget, so it could never be funded. "
                "Raise the budget or leave it out of this round.",
                title=option.title,
            )


def read_picks(fields: Mapping[str, Any], rnd: Round) -> tuple[int, ...]:
    """Read ``pick-<option id>`` checkboxes (or a ``picks`` list) into option ids."""
    raw = fields.get("picks")
    if raw is None:
        raw = [name.removeprefix("pick-") for name in fields if name.startswith("pick-")]
    elif isinstance(raw, str | int):
        raw = [raw]
    if not isinstance(raw, list):
        raise BallotError(N_("The picks could not be read. Please reload the page."))
    picks = tuple(as_int(v, NOT_A_NUMBER) for v in raw)
    refuse_information_only(picks, rnd)
    return picks


def validate_picks(picks: Sequence[int], rnd: Round) -> tuple[int, ...]:
    """Check a budget ballot against the round's costs and budget, in the round's order."""
    chosen = budget_rules.validate_picks(picks, rnd.cost_of, budget_of(rnd))
    return tuple(o for o in rnd.option_ids if o in chosen)


def tally_budget(rnd: Round, ballots: Sequence[Ballot]) -> RoundResult:
    """Supporters per option, and the funded set by the round's rule (and by the other rule)."""
    picks = [frozenset(picks_of(ballot.entry)) for ballot in ballots]
    costs, money = rnd.cost_of, budget_of(rnd)
    by_rule = {
        EQUAL_SHARES: budget_rules.equal_shares(rnd.option_ids, costs, money, picks),
        GREEDY: budget_rules.greedy(rnd.option_ids, costs, money, picks),
    }
    chosen, other = by_rule[rule_of(rnd)], by_rule[other_rule(rule_of(rnd))]
    counts = {o: float(n) for o, n in chosen.supporters.items()}
    run = RUNS[rule_of(rnd)]
    decided = budget_rules.order_decided(
        rnd.option_ids, picks, lambda order: run(order, costs, money, picks)
    )
    details = {
        "funded": list(chosen.funded),
        "spent": chosen.spent,
        "budget": money,
        "other_funded": list(other.funded),
        # Two equally supported options the round's list order decided between, if any.
        "order_decided": list(decided) if decided else [],
    }
    return RoundResult(
        KIND.name, placed(counts, rnd.option_ids, chosen.supporters), len(picks), details
    )


@dataclass(frozen=True, slots=True)
class Slice:
    """One funded option's slice of the budget line."""

    option_id: int
    title: str
    cost: int
    start: float  # percent of the budget where its slice begins
    width: float  # percent of the budget it takes


def budget_line(rnd: Round, result: RoundResult, options: Mapping[int, Option]) -> list[Slice]:
    """The funded options as consecutive slices of the budget, in the order they were funded."""
    total = result.details.get("budget") or budget_of(rnd) or 1
    costs = rnd.cost_of
    out, start = [], 0.0
    for option_id in result.details.get("funded", ()):
        cost = costs.get(option_id) or (options[option_id].cost if option_id in options else 0)
        width = 100 * (cost or 0) / total
        title = options[option_id].title if option_id in options else "?"
        out.append(Slice(option_id, title, cost or 0, round(start, 2), round(width, 2)))
        start += width
    return out


class Budget(Kind):
    name = "budget"
    label = N_("Budget")
    hint = N_("pick options within a budget")
    order = 30
    feeds_priorities = True
    method = "picks"
    ballot_columns = ("picked",)
    result_columns = ("funded",)
    tie_rule = BUDGET_TIE_RULE
    rules = RULE_LABELS

    @staticmethod
    def other_rule(rule: str) -> str:
        return other_rule(rule)

    def read_settings(self, form: Mapping[str, Any], options: Sequence[Option]) -> dict[str, Any]:
        budget = read_money(form.get("budget"), N_("Budget"), required=True) or 0
        if budget < 1:
            raise BadRequest("The budget must be more than nothing.")
        rule = form.get("rule") or EQUAL_SHARES
        if not isinstance(rule, str) or rule not in RULE_LABELS:
            raise BadRequest("Choose how the budget is shared out.")
        check_costs(budget, options)
        return {"budget": budget, "rule": rule}

    def check_ready(self, rnd: Round, options: Mapping[int, Option]) -> None:
        # A cost may have changed since the round was set up.
        check_costs(budget_of(rnd), [options[o] for o in rnd.option_ids if o in options])
        super().check_ready(rnd, options)

    def read_ballot(self, fields: Mapping[str, Any], rnd: Round) -> dict[str, Any]:
        return entry(validate_picks(read_picks(fields, rnd), rnd))

    def ballot_context(self, rnd: Round, ballot_entry: Mapping[str, Any] | None) -> dict[str, Any]:
        return {"mine": picks_of(ballot_entry), "spent": spent(ballot_entry, rnd)}

    def ballot_cells(self, ballot_entry: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
        return {o: {"picked": "yes"} for o in picks_of(ballot_entry)}

    def tally(self, rnd: Round, ballots: Sequence[Ballot]) -> RoundResult:
        return tally_budget(rnd, ballots)

    def export_results(self, result: RoundResult) -> dict[str, Any]:
        details = result.details
        return {
            "funded": list(details.get("funded", ())),
            "spent": details.get("spent", 0),
            "other_rule_funded": list(details.get("other_funded", ())),
            "order_decided": list(details.get("order_decided", ())),
        }

    def result_cells(self, rnd: Round, result: RoundResult, option_id: int) -> dict[str, Any]:
        return {"funded": "yes" if option_id in result.details.get("funded", ()) else "no"}

    def display(
        self,
        rnd: Round,
        result: RoundResult,
        options: Mapping[int, Option],
        ballots: Sequence[Ballot] | None = None,
    ) -> dict[str, Any]:
        decided = result.details.get("order_decided") or []
        titles = [options[o].title if o in options else "?" for o in decided]
        return {"spend": budget_line(rnd, result, options), "order_decided": titles}


KIND = Budget()
