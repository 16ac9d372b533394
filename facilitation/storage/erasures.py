"""Erasures repository: everything held about one participant or volunteer, read out and erased,
and the record of each erasure, which holds none of the erased data.

A participant's ballots, ideas and the answers frozen with each round are counted in results, so
erasing them moves those rows to a nameless stand-in with a new id (exports label people by a
pseudonym of their id, so earlier exports no longer point at the new rows), and the rest goes. A
volunteer keeps their number in the pool, so recorded draws still read right, and loses their
name, contact details and, unless a draw was recorded from the pool, their answers.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from facilitation.core.errors import NotFound
from facilitation.storage.db import Database, ReadTx, Row, Tx
from facilitation.storage.workshops import bump

Record = dict[str, Any]

# The pools whose last draw was before a time (the one parameter): their contact details are due.
_DUE = "SELECT pool_id FROM panels GROUP BY pool_id HAVING MAX(created_at) < ?"


def _when(at: float | None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)) if at else ""


def _erasure(row: Row) -> Record:
    return {
        "subject": row["subject"],
        "erased_by": row["erased_by"],
        "erased_at": row["erased_at"],
        "counts": json.loads(row["counts"]),
    }


# Where each kind of person is kept, and the column naming the workshop or pool they belong to.
_PEOPLE = {"participant": ("participants", "workshop_id"), "volunteer": ("volunteers", "pool_id")}


async def _person(tx: ReadTx, what: str, owner_id: int, person_id: int) -> Row:
    """A workshop's participant or a pool's volunteer not yet erased; NotFound if none."""
    table, owner = _PEOPLE[what]
    person = await tx.one(
        f"SELECT * FROM {table} WHERE id = ? AND {owner} = ? AND erased = 0",
        (person_id, owner_id),
    )
    if person is None:
        raise NotFound(what)
    return person


async def _record(tx: Tx, subject: str, counts: Record, by: str, **where: int) -> None:
    await tx.execute(
        "INSERT INTO erasures (subject, workshop_id, pool_id, erased_by, erased_at, counts)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            subject,
            where.get("workshop_id"),
            where.get("pool_id"),
            by,
            time.time(),
            json.dumps(counts, sort_keys=True),
        ),
    )


class Erasures:
    """Finding, reading out and erasing one person; forgetting contact details after a time."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- participants ----------------------------------------------------------------------------

    async def named_participants(self, workshop_id: int) -> list[Record]:
        """A workshop's participants who gave a name, not erased, in the order they joined."""
        rows = await self._db.all(
            "SELECT p.id, p.display_name, p.joined_at, p.paper,"
            " (SELECT COUNT(*) FROM ballots b WHERE b.participant_id = p.id) AS ballots,"
            " (SELECT COUNT(*) FROM ideas i WHERE i.participant_id = p.id) AS ideas"
            " FROM participants p WHERE p.workshop_id = ? AND p.erased = 0"
            " AND p.display_name != '' ORDER BY p.id",
            (workshop_id,),
        )
        return [
            {
                "id": r["id"],
                "name": r["display_name"],
                "joined_at": _when(r["joined_at"]),
                "paper": bool(r["paper"]),
                "ballots": r["ballots"],
                "ideas": r["ideas"],
            }
            for r in rows
        ]

    async def participant_record(self, workshop_id: int, participant_id: int) -> Record:
        """Everything held about one participant of a workshop; NotFound if there is none."""
        async with self._db.snapshot() as tx:
            person = await _person(tx, "participant", workshop_id, participant_id)
            ballots = await tx.all(
                "SELECT r.title, r.kind, b.payload, b.submitted_at FROM ballots b"
                " JOIN rounds r ON r.id = b.round_id WHERE b.participant_id = ? ORDER BY r.id",
                (participant_id,),
            )
            ideas = await tx.all(
                "SELECT r.title, i.text, i.original, i.status, i.created_at FROM ideas i"
                " JOIN rounds r ON r.id = i.round_id WHERE i.participant_id = ? ORDER BY i.id",
                (participant_id,),
            )
            frozen = await tx.all(
                "SELECT r.title, q.label AS question, c.label AS answer FROM round_answers a"
                " JOIN rounds r ON r.id = a.round_id"
                " JOIN profile_questions q ON q.id = a.question_id"
                " LEFT JOIN profile_choices c ON c.id = a.choice_id"
                " WHERE a.participant_id = ? ORDER BY r.id, q.position",
                (participant_id,),
            )
            profile = await tx.all(
                "SELECT q.label AS question, c.label AS answer, a.answered_at"
                " FROM profile_answers a JOIN profile_questions q ON q.id = a.question_id"
                " LEFT JOIN profile_choices c ON c.id = a.choice_id"
                " WHERE a.respondent_id = ? ORDER BY q.position",
                (person["respondent_id"] or 0,),
            )
            sent = await tx.value(
                "SELECT COUNT(*) FROM submissions WHERE participant_id = ?", (participant_id,)
            )
        return {
            "participant": {
                "name": person["display_name"],
                "joined_at": _when(person["joined_at"]),
                "entered_from_paper": bool(person["paper"]),
            },
            "ballots": [
                {
                    "round": b["title"],
                    "kind": b["kind"],
                    "ballot": json.loads(b["payload"]),
                    "saved_at": _when(b["submitted_at"]),
                }
                for b in ballots
            ],
            "ideas": [
                {
                    "round": i["title"],
                    "text": i["text"],
                    "as_sent": i["original"],
                    "status": i["status"],
                    "sent_at": _when(i["created_at"]),
                }
                for i in ideas
            ],
            "answers_about_yourself": [
                {"question": a["question"], "answer": a["answer"], "answered_at": _when(a[2])}
                for a in profile
            ],
            "answers_kept_with_rounds": [
                {"round": a["title"], "question": a["question"], "answer": a["answer"]}
                for a in frozen
            ],
            "ballot_ids_received": sent,
        }

    async def erase_participant(self, workshop_id: int, participant_id: int, by: str) -> Record:
        """Erase one participant; returns how many records of each kind were erased or made
        anonymous (also what the erasure record keeps)."""
        async with self._db.transaction() as tx:
            person = await _person(tx, "participant", workshop_id, participant_id)
            stand_in = await tx.insert(
                "INSERT INTO participants (workshop_id, token, display_name, joined_at, paper,"
                " erased) VALUES (?, ?, '', ?, ?, 1)",
                (workshop_id, "erased-" + secrets.token_urlsafe(18), 0.0, person["paper"]),
            )
            counts: Record = {"names": 1}
            for table, key in (
                ("ballots", "ballots_kept_anonymous"),
                ("ideas", "ideas_kept_anonymous"),
                ("round_answers", "round_answers_kept_anonymous"),
            ):
                counts[key] = await tx.execute(
                    f"UPDATE {table} SET participant_id = ? WHERE participant_id = ?",
                    (stand_in, participant_id),
                )
            counts["ballot_ids"] = await tx.execute(
                "DELETE FROM submissions WHERE participant_id = ?", (participant_id,)
            )
            respondent = person["respondent_id"]
            counts["profile_answers"] = 0
            if respondent is not None:
                counts["profile_answers"] = await tx.execute(
                    "DELETE FROM profile_answers WHERE respondent_id = ?", (respondent,)
                )
                # The same device in the programme's other workshops loses its answers too.
                await tx.execute(
                    "UPDATE participants SET respondent_id = NULL WHERE respondent_id = ?",
                    (respondent,),
                )
                await tx.execute("DELETE FROM respondents WHERE id = ?", (respondent,))
            await tx.execute("DELETE FROM participants WHERE id = ?", (participant_id,))
            await _record(tx, "participant", counts, by, workshop_id=workshop_id)
            await bump(tx, workshop_id)
        return counts

    async def workshop_erasures(self, workshop_id: int) -> list[Record]:
        """The erasures made in a workshop, newest first."""
        rows = await self._db.all(
            "SELECT * FROM erasures WHERE workshop_id = ? ORDER BY id DESC", (workshop_id,)
        )
        return [_erasure(r) for r in rows]

    # -- volunteers ------------------------------------------------------------------------------

    async def volunteers(self, pool_id: int) -> list[Record]:
        """A pool's volunteers not erased, each with their number in the pool."""
        rows = await self._db.all(
            "SELECT id, name, email, phone, erased FROM volunteers WHERE pool_id = ? ORDER BY id",
            (pool_id,),
        )
        return [
            {"id": r["id"], "number": n, "name": r["name"], "email": r["email"]}
            for n, r in enumerate(rows, start=1)
            if not r["erased"]
        ]

    async def volunteer_record(self, pool_id: int, volunteer_id: int) -> Record:
        """Everything held about one volunteer of a pool; NotFound if there is none."""
        async with self._db.snapshot() as tx:
            ids = [
                r[0]
                for r in await tx.all(
                    "SELECT id FROM volunteers WHERE pool_id = ? ORDER BY id", (pool_id,)
                )
            ]
            person = await _person(tx, "volunteer", pool_id, volunteer_id)
            answers = await tx.all(
                "SELECT q.id, q.label FROM profile_questions q"
                " JOIN pools p ON p.programme_id = q.programme_id WHERE p.id = ?"
                " ORDER BY q.position",
                (pool_id,),
            )
            choices = {
                r[0]: r[1]
                for r in await tx.all(
                    "SELECT c.id, c.label FROM profile_choices c"
                    " JOIN profile_questions q ON q.id = c.question_id"
                    " JOIN pools p ON p.programme_id = q.programme_id WHERE p.id = ?",
                    (pool_id,),
                )
            }
            panels = await tx.all(
                "SELECT id, result, created_at FROM panels WHERE pool_id = ? ORDER BY id",
                (pool_id,),
            )
        number = ids.index(volunteer_id) + 1
        given = json.loads(person["answers"])
        draws = []
        for panel in panels:
            result = json.loads(panel["result"])
            outcome = "not drawn"
            if number in result.get("panel", []):
                outcome = "panel"
            elif number in result.get("reserves", []):
                outcome = f"reserve {result['reserves'].index(number) + 1}"
            chances = result.get("chances", [])
            draws.append(
                {
                    "draw": panel["id"],
                    "drawn_at": _when(panel["created_at"]),
                    "outcome": outcome,
                    "chance": chances[number - 1] if number <= len(chances) else None,
                }
            )
        return {
            "volunteer": {
                "number_in_pool": number,
                "name": person["name"],
                "email": person["email"],
                "phone": person["phone"],
                "household_or_address": person["household"],
            },
            "answers": [
                {
                    "question": q["label"],
                    "answer": (
                        "prefer not to say"
                        if given[str(q["id"])] is None
                        else choices.get(given[str(q["id"])], "")
                    ),
                }
                for q in answers
                if str(q["id"]) in given
            ],
            "draws": draws,
        }

    async def erase_volunteer(self, pool_id: int, volunteer_id: int, by: str) -> Record:
        """Erase one volunteer: name and contact details always; answers unless a draw recorded
        from the pool still depends on them (then they stay, under a number and no name)."""
        async with self._db.transaction() as tx:
            found = await _person(tx, "volunteer", pool_id, volunteer_id)
            drawn = await tx.one("SELECT 1 FROM panels WHERE pool_id = ?", (pool_id,))
            answered = len(json.loads(found["answers"]))
            await tx.execute(
                "UPDATE volunteers SET name = '', email = '', phone = '', household = '',"
                " erased = 1, answers = CASE WHEN ? THEN answers ELSE '{}' END WHERE id = ?",
                (drawn is not None, volunteer_id),
            )
            counts: Record = {
                "names": 1,
                "contact_details": 1,
                "answers": 0 if drawn else answered,
                "answers_kept_anonymous": answered if drawn else 0,
            }
            await _record(tx, "volunteer", counts, by, pool_id=pool_id)
        return counts

    async def pool_erasures(self, pool_id: int) -> list[Record]:
        """The erasures made in a pool (people and contact details), newest first."""
        rows = await self._db.all(
            "SELECT * FROM erasures WHERE pool_id = ? ORDER BY id DESC", (pool_id,)
        )
        return [_erasure(r) for r in rows]

    async def forget_contacts(self, drawn_before: float) -> int:
        """Delete the contact details (email, phone, household or address) of the volunteers in
        every pool whose last draw was before ``drawn_before``; returns how many people's."""
        # Looked for first outside a transaction: most of the time there is nothing to do, and
        # then the writer is not taken at all.
        due = await self._db.all(_DUE, (drawn_before,))
        if not due:
            return 0
        async with self._db.transaction() as tx:
            pools = await tx.all(_DUE, (drawn_before,))
            total = 0
            for (pool_id,) in pools:
                n = await tx.execute(
                    "UPDATE volunteers SET email = '', phone = '', household = ''"
                    " WHERE pool_id = ? AND (email != '' OR phone != '' OR household != '')",
                    (pool_id,),
                )
                if n:
                    await _record(tx, "contacts", {"contact_details": n}, "", pool_id=pool_id)
                total += n
        return total
