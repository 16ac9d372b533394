"""facilitation: deliberative workshops where residents and staff decide things together."""

from __future__ import annotations

from typing import TYPE_CHECKING

from facilitation.version import __version__

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from facilitation.settings import Settings


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the web application (imported lazily so that importing the package does no work)."""
    from facilitation.app import create_app as build

    return build(settings)


__all__ = ["__version__", "create_app"]
