"""Static files under a URL that changes with their content, and how long a browser may keep them.

A page asks for /static/phone.js?v=<hash of the file>. Asked for by its current version, a file
may be kept for a year without asking again (an upgrade changes the hash, so the URL, so the
browser fetches the new file); asked for any other way, the browser must check it is still
current before each use, so no phone keeps an old script after an upgrade.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

KEEP = "public, max-age=31536000, immutable"
CHECK = "no-cache"


class VersionedStatic(StaticFiles):
    """StaticFiles that knows each file's version (the first 12 hex digits of its SHA-256, read
    once) and marks a response cacheable for a year when it was asked for by that version."""

    def __init__(self, directory: str, prefix: str = "/static") -> None:
        super().__init__(directory=directory)
        self.prefix = prefix
        self._versions: dict[str, str] = {}

    def version(self, path: str) -> str:
        """The file's version, or "" if there is no such file."""
        path = os.path.normpath(path)
        if path not in self._versions:
            full_path, found = self.lookup_path(path)
            regular = found is not None and stat.S_ISREG(found.st_mode)
            digest = hashlib.sha256(Path(full_path).read_bytes()).hexdigest() if regular else ""
            self._versions[path] = digest[:12]
        return self._versions[path]

    def url(self, path: str) -> str:
        """The URL a page uses for a static file: with its version, when the file exists."""
        version = self.version(path)
        return f"{self.prefix}/{path}?v={version}" if version else f"{self.prefix}/{path}"

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        asked = QueryParams(scope.get("query_string", b"")).get("v")
        current = asked is not None and asked == self.version(self.get_path(scope))
        response.headers["Cache-Control"] = KEEP if current else CHECK
        return response
