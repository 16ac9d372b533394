"""Build step: compiles each translation in facilitation/locale into the catalog the app loads."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

LOCALE = Path("facilitation") / "locale"


class CatalogsHook(BuildHookInterface):
    """Compiled catalogs (.mo) are made from the .po files at build time, never kept in git.

    A wheel gets them from a temporary folder, so a build leaves the source tree as it was; an
    editable install runs from the source tree, so there they are written beside their .po.
    """

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        self._scratch = None
        root = Path(self.root)
        sources = sorted((root / LOCALE).glob("*/LC_MESSAGES/*.po"))
        if version != "editable" and sources:
            self._scratch = Path(tempfile.mkdtemp(prefix="facilitation-catalogs-"))
        for po in sources:
            inside = po.relative_to(root).with_suffix(".mo")
            if self._scratch is None:
                compile_catalog(po, po.with_suffix(".mo"))
            else:
                mo = self._scratch / inside
                compile_catalog(po, mo)
                build_data["force_include"][str(mo)] = inside.as_posix()

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)


def compile_catalog(po: Path, mo: Path) -> None:
    """Compile one .po into .mo, refusing a catalog whose translations would break at run time."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f)
    problems = [
        f"{po}: {message.id!r}: {error}" for message, errors in catalog.check() for error in errors
    ]
    if problems:
        raise ValueError("Translation errors:\n" + "\n".join(problems))
    mo.parent.mkdir(parents=True, exist_ok=True)
    with mo.open("wb") as f:
        write_mo(f, catalog)
