"""Round kinds: the registry, and one module per kind (how its rounds are set up, its ballots read
and checked, and its results counted, shown and exported).

A kind is a module in this package that defines ``KIND``, an instance of ``kinds.base.Kind``; it
is found here by itself, so adding a kind means adding its module and its templates, nothing else.
The registry is the only authority on which kinds exist: the database stores a kind's name.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from facilitation.core.errors import BadRequest
from facilitation.kinds.base import Kind

__all__ = ["Kind", "all_kinds", "default", "get", "known"]


@cache
def _registry() -> dict[str, Kind]:
    found: dict[str, Kind] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        kind = getattr(module, "KIND", None)
        if isinstance(kind, Kind):
            if kind.name in found:
                raise RuntimeError(f"two round kinds are named {kind.name!r}")
            found[kind.name] = kind
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))


def all_kinds() -> list[Kind]:
    """Every kind, in the order the round form offers them."""
    return list(_registry().values())


def default() -> Kind:
    """The kind a new round's form starts on."""
    return next((k for k in all_kinds() if k.default), all_kinds()[0])


def known(name: object) -> bool:
    return isinstance(name, str) and name in _registry()


def get(name: str) -> Kind:
    """The kind of this name; BadRequest names the choices when there is none."""
    try:
        return _registry()[name]
    except (KeyError, TypeError):
        raise BadRequest("Choose how people take part from the list.") from None
