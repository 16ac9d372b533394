"""The command line: serve, demo, add-user, backup, restore, migrate-data, get PATH. Parsing
only; the work happens elsewhere."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Callable, Sequence

from facilitation.settings import TABLE, Settings
from facilitation.storage.copies import STEP_PAGES, DatabaseRefused
from facilitation.version import __version__


def _default(name: str) -> object:
    return next(default for n, default, _h in TABLE if n == name)


def _help(name: str) -> str:
    return next(h for n, _d, h in TABLE if n == name)


def _server_options(parser: argparse.ArgumentParser, data_default: str | None = None) -> None:
    parser.add_argument("--host", help=f"{_help('host')} (default {_default('host')})")
    parser.add_argument("--port", type=int, help=f"{_help('port')} (default {_default('port')})")
    parser.add_argument(
        "--data",
        dest="data_path",
        default=data_default,
        help=f"{_help('data_path')} (default {data_default or _default('data_path')})",
    )
    parser.add_argument("--public-url", dest="public_url", help=_help("public_url"))
    parser.add_argument(
        "--durability", choices=("normal", "full"), help=_help("durability") + " (default normal)"
    )
    parser.add_argument("--trusted-proxies", dest="trusted_proxies", help=_help("trusted_proxies"))
    _database_options(parser)


def _database_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database", dest="database_url", metavar="URL", help=_help("database_url")
    )
    parser.add_argument("--redis", dest="redis_url", metavar="URL", help=_help("redis_url"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facilitation",
        description="Run deliberative workshops: residents vote on their phones, "
        "a live board shows the room's priorities.",
    )
    parser.add_argument("--version", action="version", version=f"facilitation {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web server")
    _server_options(serve)
    serve.add_argument(
        "--workers",
        type=_at_least(1, int),
        default=1,
        help="worker processes sharing the port (more than 1 needs PostgreSQL and Redis)",
    )

    demo = sub.add_parser(
        "demo", help="run the web server with a demo workshop (green spaces on an estate)"
    )
    _server_options(demo, data_default="demo.sqlite3")

    add_user = sub.add_parser("add-user", help="add an account (or reset a password)")
    add_user.add_argument("username")
    add_user.add_argument(
        "--organisation",
        help="the organisation it belongs to, made for its first organiser if new (default: "
        "the instance's only organisation)",
    )
    add_user.add_argument(
        "--role",
        choices=("organiser", "facilitator", "moderator"),
        default="organiser",
        help="organiser (everything, contact details and accounts too), facilitator (runs "
        "workshops, no contact details) or moderator (one workshop's idea desk and paper "
        "ballots); default organiser",
    )
    add_user.add_argument("--workshop", help="a moderator's workshop, by its join code")
    add_user.add_argument(
        "--admin", action="store_true", help="may also create organisations (as the first is)"
    )
    add_user.add_argument("--data", dest="data_path", help=_help("data_path"))
    _database_options(add_user)
    add_user.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )
    add_user.add_argument("--reset", action="store_true", help="change an existing password")

    get = sub.add_parser("get", help="request a path from the app in-process and print it")
    get.add_argument("path")
    get.add_argument("--data", dest="data_path", help=_help("data_path"))
    _database_options(get)

    backup = sub.add_parser(
        "backup", help="copy the database, even while the server runs, and check the copy"
    )
    backup.add_argument("path", help="new file to write, or a folder to put a dated file in")
    backup.add_argument(
        "--data", dest="data_path", help=f"database to copy (default {_default('data_path')})"
    )
    backup.add_argument(
        "--step-pages",
        type=_at_least(1, int),
        default=STEP_PAGES,
        help=f"pages copied per step (default {STEP_PAGES})",
    )
    backup.add_argument(
        "--pause",
        type=_at_least(0, float),
        default=0.0,
        help="seconds to rest between steps, leaving the disk to the server (default 0)",
    )

    restore = sub.add_parser(
        "restore", help="put a backup in place of the database (stop the server first)"
    )
    restore.add_argument("backup", help="the backup file")
    restore.add_argument(
        "--data", dest="data_path", help=f"database to replace (default {_default('data_path')})"
    )

    move = sub.add_parser(
        "migrate-data",
        help="copy everything from one database to another, empty one (SQLite to PostgreSQL)",
    )
    move.add_argument("--from", dest="source", required=True, metavar="URL", help="copy from")
    move.add_argument(
        "--to", dest="target", required=True, metavar="URL", help="copy into (must be empty)"
    )
    return parser


def _at_least(low: float, kind: type) -> Callable[[str], float]:
    def read(text: str) -> float:
        value = kind(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}")
        return value

    read.__name__ = kind.__name__  # argparse names it in "invalid int value"
    return read


def settings_from(args: argparse.Namespace) -> Settings:
    keys: tuple[str, ...] = ("host", "port", "data_path", "public_url", "durability")
    keys += ("trusted_proxies", "database_url", "redis_url")
    return Settings.from_env(**{k: getattr(args, k, None) for k in keys})


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from(args)
    except ValueError as exc:
        print(f"facilitation: {exc}", file=sys.stderr)
        return 2
    try:
        return run(args, settings)
    except DatabaseRefused as exc:
        print(exc, file=sys.stderr)
        return 2


def _where(settings: Settings) -> str:
    """The data's place for people: the SQLite file, or the PostgreSQL URL without password."""
    if settings.sqlite_path:
        return os.path.abspath(settings.sqlite_path)
    from urllib.parse import urlsplit

    url = urlsplit(settings.database)
    host = url.hostname or ""
    user = f"{url.username}@" if url.username else ""
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{user}{host}{port}{url.path}"


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        from facilitation.server import serve

        return serve(settings, workers=args.workers)
    if args.command == "demo":
        from facilitation.demo.workshop import seed
        from facilitation.server import serve
        from facilitation.web.address import JoinAddresses

        info = asyncio.run(seed(settings))
        join = JoinAddresses(settings.public_url, settings.host, settings.port).address()
        base = join.base
        print(
            "\nDemo workshop ready.\n"
            f"  Open           {base}/\n"
            f"  Organiser      {base}/login   user: {info['username']}   "
            f"password: {info['password']}\n"
            f"  Facilitator    {base}/login   user: {info['facilitator']}   "
            f"password: {info['facilitator_password']}\n"
            f"  Moderator      {base}/login   user: {info['moderator']}   "
            f"password: {info['moderator_password']}   (the idea desk and paper ballots)\n"
            f"  Join code      {info['code']}   (phones: {base}/w/{info['code']})\n"
            f"  Live board     {base}/f/workshops/{info['workshop_id']}/board\n"
            f"  Data           {_where(settings)}\n",
            flush=True,
        )
        return serve(settings)
    if args.command == "add-user":
        from facilitation.accounts.users import add_user

        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Repeat password: "):
                print("The passwords do not match.", file=sys.stderr)
                return 2
        try:
            message = asyncio.run(
                add_user(
                    settings,
                    args.username,
                    password,
                    reset=args.reset,
                    organisation=args.organisation,
                    role=args.role,
                    workshop=args.workshop,
                    admin=args.admin,
                )
            )
        except ValueError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        print(message)
        return 0
    if args.command == "get":
        from facilitation.server import get

        status, body = get(settings, args.path)
        sys.stdout.write(body)
        return 0 if status < 400 else 1
    if args.command == "migrate-data":
        from facilitation.storage.transfer import migrate_data

        try:
            print(asyncio.run(migrate_data(args.source, args.target)))
        except ValueError as exc:
            print(f"facilitation migrate-data: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.command in ("backup", "restore"):
        from facilitation.storage import backup as backups

        if settings.engine != "sqlite":
            print(
                f"facilitation {args.command} copies a SQLite file; for PostgreSQL use its own "
                "tools (pg_dump, pg_restore).",
                file=sys.stderr,
            )
            return 2
        if args.command == "backup":
            print(backups.backup(settings, args.path, step_pages=args.step_pages, pause=args.pause))
        else:
            print(backups.restore(settings, args.backup))
        return 0
    return 2
