"""Settings: one declarative table and one frozen dataclass; from_env() reads the environment."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from facilitation.core.formats import currency_code

PACKAGE = Path(__file__).resolve().parent


def _folder(name: str) -> str:
    """A folder shipped inside the installed package, else the repository's own (a checkout)."""
    shipped = PACKAGE / name
    return str(shipped if shipped.is_dir() else PACKAGE.parent / name)


TEMPLATES, STATIC = _folder("templates"), _folder("static")

# (name, default, help): the single source for defaults, the environment and the CLI's help text.
TABLE: tuple[tuple[str, object, str], ...] = (
    ("data_path", "facilitation.sqlite3", "SQLite database file (created if missing)"),
    ("host", "127.0.0.1", "address to listen on"),
    ("port", 8000, "port to listen on"),
    ("public_url", "", "URL people use to reach the server, for join links and QR codes"),
    ("durability", "normal", "SQLite synchronous mode: normal (survives a crash) or full"),
    ("https_only", False, "mark cookies Secure (set behind HTTPS)"),
    ("push_interval", 0.1, "seconds between live board renders for one workshop, at most"),
    ("client_queue", 32, "messages queued for one screen before it is dropped as too slow"),
    ("ws_max_bytes", 65536, "largest websocket message accepted, in bytes"),
    ("max_body_bytes", 262144, "largest HTTP request body accepted, in bytes"),
    ("heartbeat", 20.0, "seconds between websocket pings; a silent screen is dropped after two"),
    (
        "currency",
        "GBP",
        "currency of costs and budgets, as an ISO 4217 code (GBP, EUR, PLN ...); "
        "an older setting's symbol (£, €) is still read",
    ),
    ("templates_dir", TEMPLATES, "folder of Jinja templates"),
    ("static_dir", STATIC, "folder of static files"),
    (
        "trusted_proxies",
        "",
        "addresses or networks of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto "
        "are believed, comma-separated (127.0.0.1 for nginx on this machine); empty: none",
    ),
    ("metrics_token", "", "bearer token to read /metrics from elsewhere (empty: loopback only)"),
    (
        "header_timeout",
        10.0,
        "seconds a client has to send a request's headers (and then 30 for its body)",
    ),
    (
        "max_connections",
        4096,
        "connections held at once, at most (fewer if the open-file limit is lower)",
    ),
    (
        "sockets_per_address",
        2500,
        "live sockets one network address may hold open (one venue's router is one address)",
    ),
    (
        "contact_retention_days",
        365.0,
        "days after a pool's last draw when its volunteers' contact details are deleted (0: kept)",
    ),
    (
        "database_url",
        "",
        "database URL: sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/NAME; "
        "empty: the SQLite file data_path",
    ),
    (
        "redis_url",
        "",
        "Redis URL (redis://HOST:PORT/0) that several workers or hosts share for live updates "
        "and the ballot pace; empty: within this process only",
    ),
)


@dataclass(frozen=True, slots=True)
class Settings:
    data_path: str = "facilitation.sqlite3"
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    durability: str = "normal"
    https_only: bool = False
    push_interval: float = 0.1
    client_queue: int = 32
    ws_max_bytes: int = 65536
    max_body_bytes: int = 262144
    heartbeat: float = 20.0
    currency: str = "GBP"
    templates_dir: str = TEMPLATES
    static_dir: str = STATIC
    trusted_proxies: str = ""
    metrics_token: str = ""
    header_timeout: float = 10.0
    max_connections: int = 4096
    sockets_per_address: int = 2500
    contact_retention_days: float = 365.0
    database_url: str = ""
    redis_url: str = ""

    @property
    def database(self) -> str:
        """Where the data is: the database URL, else the SQLite file."""
        return self.database_url or self.data_path

    @property
    def engine(self) -> str:
        """ "postgresql" or "sqlite"."""
        return "postgresql" if self.database.startswith(("postgresql:", "postgres:")) else "sqlite"

    @property
    def sqlite_path(self) -> str:
        """The SQLite file, whether named by data_path or by a sqlite:/// URL ("" on PostgreSQL)."""
        if self.engine != "sqlite":
            return ""
        url = self.database_url
        return url[len("sqlite:///") :] if url else self.data_path

    def __post_init__(self) -> None:
        if self.database_url and not self.database_url.startswith(
            ("sqlite:///", "postgresql://", "postgres://")
        ):
            raise ValueError(
                "database_url must start with sqlite:/// or postgresql:// "
                "(for example postgresql://facilitation@127.0.0.1:5432/facilitation)"
            )
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("redis_url must start with redis://, rediss:// or unix://")
        if self.durability not in ("normal", "full"):
            raise ValueError("durability must be 'normal' or 'full'")
        currency_code(self.currency)  # refuses a currency nobody knows, at start-up
        for item in filter(None, (p.strip() for p in self.trusted_proxies.split(","))):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"trusted_proxies: {item!r} is not an IP address or network "
                    "(for example 127.0.0.1 or 10.0.0.0/8)"
                ) from None

    def environment(self) -> dict[str, str]:
        """These settings as FACILITATION_ variables, which from_env() reads back the same."""
        out = {}
        for name, _default, _help in TABLE:
            value = getattr(self, name)
            out["FACILITATION_" + name.upper()] = (
                ("1" if value else "0") if isinstance(value, bool) else str(value)
            )
        return out

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Read FACILITATION_<NAME> variables, then apply explicit overrides (from the CLI)."""
        environ = dict(os.environ if environ is None else environ)
        # Each value has the type of its row's default (_coerce); the table matches the fields.
        values: dict[str, Any] = {}
        for name, default, _help in TABLE:
            raw = environ.get("FACILITATION_" + name.upper())
            if raw is not None:
                values[name] = _coerce(raw, default)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _coerce(raw: str, default: object) -> object:
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


# The table and the dataclass must agree, name for name and default for default.
assert [(f.name, f.default) for f in fields(Settings)] == [row[:2] for row in TABLE]
