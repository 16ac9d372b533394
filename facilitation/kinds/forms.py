"""Reading the facilitator's forms for budget and idea rounds: costs, budgets and categories.

Each reader checks everything before anything is written, so a refused form changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from facilitation.core.errors import BadRequest
from facilitation.core.i18n import N_
from facilitation.core.models import BudgetRule, Option, RoundKind

# How each kind is named on the console, the board and in exports (translated where shown).
KIND_LABELS = {
    RoundKind.DOTS: N_("Dot voting"),
    RoundKind.RANK: N_("Ranking"),
    RoundKind.BUDGET: N_("Budget"),
    RoundKind.IDEAS: N_("Ideas"),
    RoundKind.RATING: N_("Rating"),
}
RULE_LABELS = {
    BudgetRule.EQUAL_SHARES: N_("Method of Equal Shares"),
    BudgetRule.GREEDY: N_("Greedy by support"),
}

MONEY_MAX = 10**9
CATEGORIES_MAX = 8
CATEGORY_MAX = 40


def read_money(value: Any, field: str, *, required: bool) -> int | None:
    """A whole amount as people type it: "12500", "12,500", "£12 500" all mean 12500."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise BadRequest("Please fill in “{field}”.", field=field)
        return None
    text = value if isinstance(value, str) else str(value) if isinstance(value, int) else ""
    digits = "".join(ch for ch in text.strip().lstrip("£€$") if ch not in ", _\u00a0")
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 10):
        raise BadRequest(
            "“{field}” must be a whole amount, such as 12500, with no pence or cents.",
            field=field,
        )
    amount = int(digits)
    if amount > MONEY_MAX:
        raise BadRequest("“{field}” is too large.", field=field)
    return amount


def read_cost(value: Any) -> int | None:
    """An option's estimated cost; empty means not costed."""
    return read_money(value, "Estimated cost", required=False)


def read_budget(form: Mapping[str, Any], options: Sequence[Option]) -> tuple[int, BudgetRule]:
    """A budget round's budget and rule, checked against its options' costs: every option needs
    a cost, and one dearer than the whole budget could never be funded."""
    budget = read_money(form.get("budget"), "Budget", required=True)
    if budget < 1:
        raise BadRequest("The budget must be more than nothing.")
    rule = form.get("rule") or BudgetRule.EQUAL_SHARES.value
    if not isinstance(rule, str) or rule not in {r.value for r in BudgetRule}:
        raise BadRequest("Choose how the budget is shared out.")
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
    return budget, BudgetRule(rule)


def read_categories(value: Any) -> tuple[str, ...]:
    """Idea categories, one per line or separated by commas; duplicates dropped."""
    if value is None:
        return ()
    if not isinstance(value, str):
        raise BadRequest("The form could not be read. Please reload the page and try again.")
    parts = [" ".join(p.split()) for line in value.splitlines() for p in line.split(",")]
    categories = tuple(dict.fromkeys(p for p in parts if p))
    if len(categories) > CATEGORIES_MAX:
        raise BadRequest("At most {n} categories, please.", n=CATEGORIES_MAX)
    for category in categories:
        if len(category) > CATEGORY_MAX:
            raise BadRequest(
                "The category “{category}” is too long: {n} characters at most.",
                category=category[:CATEGORY_MAX] + "…",
                n=CATEGORY_MAX,
            )
    return categories
