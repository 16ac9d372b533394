"""A pseudo-translation for tests: the message template, and what a page leaves untranslated."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.helpers import ROOT

POT = ROOT / "facilitation" / "locale" / "messages.pot"


class TextNodes(HTMLParser):
    """Visible text of <main>, skipping user data marked by the caller."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "main" or self.depth:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and data.strip():
            self.texts.append(data.strip())


def untranslated(html: str, user_text: set[str]) -> list[str]:
    parser = TextNodes()
    parser.feed(html)
    leftovers = []
    for text in parser.texts:
        rest = re.sub(r"⟦[^⟧]*⟧", "", text)
        for known in user_text:
            rest = rest.replace(known, "")
        if re.search(r"[A-Za-z]{2,}", rest):
            leftovers.append(text)
    return leftovers
