"""Ranking: each person puts the options in order (all of them, or a top k). The headline order
is the Borda count; the Schulze method is counted beside it, and where the two place options
differently the results say so."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from facilitation.core.errors import BadRequest, BallotError
from facilitation.core.forms import read_whole
from facilitation.core.i18n import N_
from facilitation.core.models import Ballot, Option, ResultRow, Round, RoundResult
from facilitation.kinds.base import (
    Kind,
    as_int,
    bars,
    export_rows,
    placed,
    refuse_information_only,
    shuffled,
)

NOT_A_NUMBER = N_("The ranking must list options by number. Please reload the page.")
CONFIRM_FIELD = "confirm_order"
NOT_CONFIRMED = N_(
    "Put the options in your order first, or tick “This is my order” to send them as shown."
)


def top_k(rnd: Round) -> int | None:
    value = rnd.settings.get("top_k")
    return int(value) if value else None


def ranked_places(rnd: Round) -> int:
    """How many places a ranking ballot fills (all options unless a top k is set)."""
    n = len(rnd.option_ids)
    k = top_k(rnd)
    return min(k, n) if k else n


def entry(ranking: Sequence[int]) -> dict[str, Any]:
    """A ranking as it is stored."""
    return {"ranking": list(ranking)}


def ranking_of(ballot_entry: Mapping[str, Any]) -> tuple[int, ...]:
    return tuple(int(v) for v in ballot_entry.get("ranking", ()))


def read_ranking(fields: Mapping[str, Any], rnd: Round) -> tuple[int, ...]:
    """Read the ``rank`` field (one value or a list, best first) into option ids."""
    raw = fields.get("rank", [])
    if isinstance(raw, str | int):
        raw = [raw]
    if not isinstance(raw, list):
        raise BallotError(N_("The ranking could not be read. Please reload the page."))
    ranking = tuple(as_int(v, NOT_A_NUMBER) for v in raw)
    refuse_information_only(ranking, rnd)
    places = ranked_places(rnd)
    return ranking[:places] if len(ranking) == len(rnd.option_ids) else ranking


def validate_ranking(ranking: Sequence[int], rnd: Round) -> tuple[int, ...]:
    """Check a ranking names distinct options of the round and fills exactly its places."""
    allowed = set(rnd.option_ids)
    refuse_information_only(ranking, rnd)
    if any(option_id not in allowed for option_id in ranking):
        raise BallotError(N_("That option is not part of this round. Please reload the page."))
    if len(set(ranking)) != len(ranking):
        raise BallotError(N_("Each option can appear only once in your ranking."))
    if len(ranking) != ranked_places(rnd):
        raise BallotError(N_("Please rank {places} options."), places=ranked_places(rnd))
    return tuple(ranking)


def borda_scores(options: Sequence[int], rankings: Iterable[Sequence[int]]) -> dict[int, float]:
    """Modified Borda count: a ballot ranking m options gives m points to its first, 1 to its last.

    Unranked options get nothing, so a top-k ballot never hands points to options it left out.
    """
    scores = dict.fromkeys(options, 0.0)
    for ranking in rankings:
        m = len(ranking)
        for i, option_id in enumerate(ranking):
            if option_id in scores:
                scores[option_id] += m - i
    return scores


def pairwise(
    options: Sequence[int], rankings: Iterable[Sequence[int]]
) -> dict[int, dict[int, int]]:
    """d[a][b]: how many ballots prefer a to b (ranked beats unranked; unranked are level)."""
    d = {a: dict.fromkeys(options, 0) for a in options}
    for ranking in rankings:
        pos = {option_id: i for i, option_id in enumerate(ranking)}
        unranked = len(ranking)
        for a in options:
            pa = pos.get(a, unranked)
            for b in options:
                if a != b and pa < pos.get(b, unranked):
                    d[a][b] += 1
    return d


def schulze_strengths(
    options: Sequence[int], d: Mapping[int, Mapping[int, int]]
) -> dict[int, dict[int, int]]:
    """Strongest path strengths p[a][b] (winning votes), by the Floyd-Warshall widest path."""
    p = {a: dict.fromkeys(options, 0) for a in options}
    for a in options:
        for b in options:
            if a != b and d[a][b] > d[b][a]:
                p[a][b] = d[a][b]
    for k in options:
        for a in options:
            if a == k:
                continue
            for b in options:
                if b in (a, k):
                    continue
                p[a][b] = max(p[a][b], min(p[a][k], p[k][b]))
    return p


def schulze_defeats(
    options: Sequence[int], rankings: Iterable[Sequence[int]]
) -> dict[int, set[int]]:
    """For each option, the options it defeats in Schulze's sense: a defeats b when the strongest
    path from a to b is stronger than the strongest path from b to a. (Schulze, 2011: this
    relation is a strict partial order, so two options may be neither above nor below each other.)
    """
    p = schulze_strengths(options, pairwise(options, rankings))
    return {a: {b for b in options if a != b and p[a][b] > p[b][a]} for a in options}


def schulze_levels(options: Sequence[int], defeats: Mapping[int, set[int]]) -> list[list[int]]:
    """Options in levels by Schulze's own definition: the first level is the winners, the options
    no other option defeats; set them aside and the next level is the options no remaining option
    defeats, and so on. Options in one level share its place (ties are ties), listed in the
    round's order."""
    left = list(options)
    levels = []
    while left:
        level = [a for a in left if not any(a in defeats[b] for b in left if b != a)]
        if not level:  # cannot happen for a strict partial order; never loop for ever
            level = left
        levels.append(level)
        left = [a for a in left if a not in level]
    return levels


def schulze_placed(
    options: Sequence[int], rankings: Sequence[Sequence[int]], voters: Mapping[int, int]
) -> tuple[ResultRow, ...]:
    """The Schulze order as rows: each option's place is its level's (1 + how many options are in
    the levels above), its score how many options it defeats."""
    defeats = schulze_defeats(options, rankings)
    rows = []
    above = 0
    for level in schulze_levels(options, defeats):
        for option_id in level:
            rows.append(
                ResultRow(
                    option_id,
                    float(len(defeats[option_id])),
                    above + 1,
                    len(level) > 1,
                    voters.get(option_id, 0),
                )
            )
        above += len(level)
    return tuple(rows)


def schulze_rows(result: RoundResult) -> tuple[ResultRow, ...]:
    """The Schulze order kept with a result."""
    return tuple(
        ResultRow(r["option_id"], r["score"], r["place"], r["tied"], r["voters"])
        for r in result.details.get("schulze", ())
    )


def tally_ranking(rnd: Round, ballots: Sequence[Ballot]) -> RoundResult:
    """Borda order (the headline), Schulze order, and whether they place options differently."""
    rankings = [ranking_of(ballot.entry) for ballot in ballots]
    firsts = dict.fromkeys(rnd.option_ids, 0)
    for ranking in rankings:
        for option_id in ranking:
            if option_id in firsts:
                firsts[option_id] += 1
    borda = placed(borda_scores(rnd.option_ids, rankings), rnd.option_ids, firsts)
    schulze = schulze_placed(rnd.option_ids, rankings, firsts)
    disagree = {r.option_id: r.place for r in borda} != {r.option_id: r.place for r in schulze}
    details = {"schulze": [asdict(r) for r in schulze], "methods_disagree": disagree}
    return RoundResult(KIND.name, borda, len(rankings), details)


class Ranking(Kind):
    name = "rank"
    label = N_("Ranking")
    hint = N_("put options in order")
    order = 20
    feeds_priorities = True
    method = "borda"
    ballot_columns = ("rank",)

    def read_settings(self, form: Mapping[str, Any], options: Sequence[Option]) -> dict[str, Any]:
        raw = form.get("top_k") or ""
        k = None if raw in ("", "0", "all") else read_whole(raw, N_("Top"), 1, 100)
        return {"top_k": k if k is not None and k < len(options) else None}

    def rules_parts(self, rnd: Round) -> list[str]:
        return [f"top_k={top_k(rnd) or 'all'}"]

    def read_ballot(self, fields: Mapping[str, Any], rnd: Round) -> dict[str, Any]:
        # The phone lists the options in a shuffled order, and a ranking sent untouched would
        # hand points to whatever happened to be on top: the person must have ordered it (the
        # phone ticks the box when they move anything) or said that the order shown is theirs.
        if fields.get(CONFIRM_FIELD) != "yes":
            raise BallotError(NOT_CONFIRMED)
        return entry(validate_ranking(read_ranking(fields, rnd), rnd))

    def paper_fields(self, rnd: Round, form: Mapping[str, Any]) -> Mapping[str, Any]:
        """A paper ranking is written as numbers beside the options (``place-<id>``)."""
        places: dict[int, int] = {}
        for option_id in rnd.option_ids:
            raw = form.get(f"place-{option_id}") or ""
            if not isinstance(raw, str):  # the field sent twice
                raise BadRequest("Each option takes one number. Please check the form.")
            if not raw.strip():
                continue
            place = read_whole(raw, N_("Place"), 1, len(rnd.option_ids))
            if place in places:
                raise BadRequest("Two options are both marked {n}. Check the paper again.", n=place)
            places[place] = option_id
        if sorted(places) != list(range(1, len(places) + 1)):
            raise BadRequest("The places must run 1, 2, 3… with no gaps. Check the paper again.")
        # The facilitator copies the order the person wrote: it is theirs by definition.
        return {"rank": [places[p] for p in sorted(places)], CONFIRM_FIELD: "yes"}

    def ballot_context(self, rnd: Round, ballot_entry: Mapping[str, Any] | None) -> dict[str, Any]:
        return {"mine": ranking_of(ballot_entry or {}), "places": ranked_places(rnd)}

    def phone_order(
        self, rnd: Round, ballot_entry: Mapping[str, Any] | None, participant_id: int
    ) -> list[int]:
        """A saved ranking's order, then any option it does not rank; before anything is saved,
        this person's own shuffle (which they must order, or confirm, before it can be sent)."""
        order = shuffled(rnd, participant_id)
        ranked = [o for o in ranking_of(ballot_entry or {}) if o in order]
        return ranked + [o for o in order if o not in ranked]

    def ballot_cells(self, ballot_entry: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
        return {o: {"rank": i} for i, o in enumerate(ranking_of(ballot_entry), start=1)}

    def tally(self, rnd: Round, ballots: Sequence[Ballot]) -> RoundResult:
        return tally_ranking(rnd, ballots)

    def display(
        self,
        rnd: Round,
        result: RoundResult,
        options: Mapping[int, Option],
        ballots: Sequence[Ballot] | None = None,
    ) -> dict[str, Any]:
        rows = schulze_rows(result)

        def firsts(placed: Sequence[ResultRow]) -> list[str]:
            return [options[r.option_id].title if r.option_id in options else "?" for r in placed]

        return {
            "schulze_rows": bars(rows, options, max((r.score for r in rows), default=0)),
            # For the board and phones, which show the Borda order and must say where Schulze
            # differs: each option's Schulze place, and each method's first place.
            "schulze_place": {r.option_id: r.place for r in rows},
            "borda_first": firsts([r for r in result.rows if r.place == 1]),
            "schulze_first": firsts([r for r in rows if r.place == 1]),
        }

    def export_results(self, result: RoundResult) -> dict[str, Any]:
        return {
            "schulze": export_rows(schulze_rows(result)),
            "methods_disagree": bool(result.details.get("methods_disagree")),
        }

    def result_tables(self, result: RoundResult) -> list[tuple[str, Sequence[ResultRow]]]:
        return [(self.method, result.rows), ("schulze", schulze_rows(result))]


KIND = Ranking()
