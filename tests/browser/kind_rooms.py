"""Workshops with one round of each kind open, made through the console's own forms over HTTP, for
the journeys that look at every kind of ballot on a phone."""

from __future__ import annotations

import re

import httpx

from tests.helpers import PASSWORD, WAIT, csrf_of

KINDS = ("dots", "rank", "budget", "rating", "fist", "ideas")
# Long words and a limit, as real option lists have: what a narrow screen must still fit.
OPTIONS = (
    {
        "title": "Benches and shade by the community garden pond",
        "description": "Four wooden benches with backs and arms, under two new trees.",
        "cost": "3000",
        "scope": "within_limits",
        "limit_kind": "budget",
        "limit_text": "up to £5,000 from the estate improvement budget",
    },
    {
        "title": "Brighter lighting on the path to the bin stores",
        "description": "LED lamps on timers.",
        "cost": "4500",
    },
    {"title": "Food-growing beds", "description": "", "cost": "2500"},
)
CARD = {
    "card_title_1": "How the money is found",
    "card_text_1": "The estate improvement budget is £10,000 this year, agreed by the board.",
}


class KindRooms:
    """A signed-in facilitator (plain HTTP) and, for each kind, a workshop with its round open."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=WAIT)
        login = self.client.get("/login")
        signed_in = self.client.post(
            "/login",
            data={"csrf": csrf_of(login.text), "username": "facilitator", "password": PASSWORD},
        )
        assert signed_in.status_code == 303, signed_in.text
        self.token = csrf_of(self.client.get("/f").text)
        self.codes: dict[str, str] = {}
        self.workshops: dict[str, int] = {}
        self.options: dict[str, list[int]] = {}

    def post(self, path: str, data: dict) -> httpx.Response:
        response = self.client.post(path, data={"csrf": self.token, **data})
        assert response.status_code == 303, response.text[:500]
        return response

    def open_round(self, kind: str, title: str = "What should the estate do first?") -> str:
        """A workshop with the three options, a card, and a round of this kind open; its code."""
        made = self.post("/f/workshops", {"title": f"Phoenix Place estate: {kind} evening"})
        console = made.headers["location"]
        for option in OPTIONS:
            self.post(console + "/options", option)
        page = self.client.get(console).text
        options = re.findall(r'id="ot-(\d+)"', page)
        fields: dict = {"title": title, "kind": kind, "options": options, **CARD}
        if kind == "budget":
            fields["budget"] = "8000"
        if kind == "ideas":
            fields["categories"] = "Green spaces, Safety, Bins"
        self.post(console + "/rounds", fields)
        page = self.client.get(console).text
        round_id = max(int(i) for i in re.findall(r"/rounds/(\d+)/", page))
        self.post(f"{console}/rounds/{round_id}/open", {})
        code = re.search(r'class="code-big">([A-Z0-9]+)<', page)[1]
        self.codes[kind] = code
        self.workshops[kind] = int(console.rsplit("/", 1)[1])
        self.options[kind] = [int(o) for o in options]
        return code

    def close(self) -> None:
        self.client.close()
