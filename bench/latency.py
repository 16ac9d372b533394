"""Live-room latency bench: a real server, one projected board and many phones voting at once.

Starts `python -m facilitation serve` on a free loopback port with a throwaway database, sets up a
workshop with a dot round through the facilitator's forms, connects one board and N phones over
websockets exactly as the browser does, sends ballots at a steady aggregate rate, then reports ack
latency, vote-to-board latency, board message rate and whether every acknowledged ballot is in the
database. Exits 1 if an acknowledged ballot is missing, 2 if the run itself failed.

    .venv/bin/python bench/latency.py [--phones 200] [--ballots 3] [--rate 50]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import os
import random
import sys
import tempfile
import uuid
from pathlib import Path

import psutil
from common import (
    Ballot,
    Phone,
    Run,
    ServerProcess,
    add_user,
    ballot_message,
    check_database,
    join_phone,
    max_per_window,
    now,
    open_screen,
    probe_health,
    raise_open_files,
    random_dots,
    read_board,
    set_up_workshop,
    summary_ms,
    watch_lag,
)

# -- the scenario ---------------------------------------------------------------------------------


async def scenario(args, server: ServerProcess, run: Run) -> dict:
    loop_stop = asyncio.Event()
    lag = asyncio.create_task(watch_lag(run, loop_stop))
    setup = await set_up_workshop(server.url, args.options)
    phones = [Phone(i) for i in range(args.phones)]
    board = await open_screen(
        f"{server.ws_url}/f/workshops/{setup.workshop_id}/board/ws",
        {"Cookie": setup.cookie, "Origin": server.url},
    )
    board_reader = asyncio.create_task(read_board(board, run.board, lambda: run.closing))
    gate = asyncio.Semaphore(args.join_concurrency)

    async def join(phone: Phone) -> None:
        async with gate:
            await join_phone(server.url, server.ws_url, setup.code, phone, run)

    joined_at = now()
    await asyncio.gather(*(join(p) for p in phones))
    join_seconds = now() - joined_at
    await asyncio.sleep(0.5)  # let the join-time board renders settle

    rng = random.Random(args.seed)
    total = args.phones * args.ballots
    cpu_before = server.cpu_seconds()
    bench_before = psutil.Process().cpu_times()
    psutil.cpu_percent(interval=None)  # starts the whole-machine measurement
    board_from = len(run.board.messages)
    run.lag_max, run.lag_stalls = 0.0, 0
    probe_stop = asyncio.Event()
    probe = asyncio.create_task(probe_health(server.url, run, probe_stop))
    start = now()
    for k in range(total):
        phone = phones[k % args.phones]
        ballot = Ballot(phone.index, uuid.uuid4().hex, random_dots(rng, setup.option_ids))
        run.ballots_by_client[ballot.client_id] = ballot
        phone.ballots.append(ballot)
        delay = start + k / args.rate - now()
        if delay > 0:
            await asyncio.sleep(delay)
        ballot.sent_at = now()
        assert phone.ws is not None
        await phone.ws.send(ballot_message(setup.round_id, phone.csrf, ballot))
    send_seconds = now() - start

    ballots = list(run.ballots_by_client.values())
    for _ in range(int(args.drain / 0.05)):
        if all(b.ack_at or b.error for b in ballots):
            break
        await asyncio.sleep(0.05)
    top = max((b.ack_revision or 0 for b in ballots), default=0)
    for _ in range(int(args.drain / 0.05)):
        if run.board.messages and max(r for _, r, _, _ in run.board.messages) >= top:
            break
        await asyncio.sleep(0.05)
    elapsed = now() - start
    cpu = server.cpu_seconds() - cpu_before
    host_cpu = psutil.cpu_percent(interval=None)
    bench_after = psutil.Process().cpu_times()
    bench_cpu = (bench_after.user + bench_after.system) - (bench_before.user + bench_before.system)
    run.closing = True
    probe_stop.set()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(probe, 6)

    await asyncio.gather(
        *(asyncio.wait_for(p.ws.close(), 5) for p in phones if p.ws), return_exceptions=True
    )
    with contextlib.suppress(Exception):
        await asyncio.wait_for(board.close(), 5)
    for task in [board_reader, *(p.reader for p in phones if p.reader)]:
        task.cancel()
    await asyncio.gather(
        board_reader, *(p.reader for p in phones if p.reader), return_exceptions=True
    )
    loop_stop.set()
    await asyncio.wait_for(lag, 2)
    return {
        "setup": setup,
        "phones": phones,
        "join_seconds": join_seconds,
        "send_seconds": send_seconds,
        "elapsed": elapsed,
        "server_cpu": cpu,
        "bench_cpu": bench_cpu,
        "host_cpu": host_cpu,
        "board_from": board_from,
        "start": start,
    }


# -- figures --------------------------------------------------------------------------------------


def figures(args, run: Run, out: dict, db: dict) -> dict:
    ballots = list(run.ballots_by_client.values())
    acked = [b for b in ballots if b.ack_revision is not None]
    board = run.board.messages[out["board_from"] :]
    arrivals = [at for at, *_ in board]
    running: list[int] = []
    for _, revision, _, _ in board:
        running.append(max(revision, running[-1] if running else -1))
    to_board, unseen = [], 0
    for b in acked:
        i = bisect.bisect_left(running, b.ack_revision)
        if i == len(running):
            unseen += 1
        else:
            to_board.append(arrivals[i] - b.sent_at)
    span = (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
    return {
        "phones": args.phones,
        "ballots_per_phone": args.ballots,
        "rate_target": args.rate,
        "rate_achieved": round((len(ballots) - 1) / out["send_seconds"], 1)
        if out["send_seconds"]
        else None,
        "sent": sum(1 for b in ballots if b.sent_at),
        "acknowledged": len(acked),
        "refused": sum(1 for b in ballots if b.error),
        "unanswered": sum(1 for b in ballots if b.sent_at and b.ack_at is None and not b.error),
        "stored_rows": db["stored"],
        "phones_acked": db["phones_acked"],
        "missing_submissions": db["missing_submissions"],
        "missing_latest": db["missing_latest"],
        "mismatched_latest": db["mismatched_latest"],
        "ack_ms": summary_ms([b.ack_at - b.sent_at for b in acked]),
        "board_ms": summary_ms(to_board),
        "board_never_showed": unseen,
        "healthz_ms": summary_ms(run.probes),
        "board_messages": len(board),
        "board_max_per_s": max_per_window(arrivals),
        "board_mean_per_s": round((len(board) - 1) / span, 1) if span else None,
        "board_bytes_mean": round(sum(s for *_, s in board) / len(board)) if board else 0,
        "board_closed": run.board.closed,
        "phones_closed_early": run.phone_closed,
        "join_seconds": round(out["join_seconds"], 2),
        "scenario_seconds": round(out["elapsed"], 2),
        "server_cpu_percent": round(100 * out["server_cpu"] / out["elapsed"], 1),
        "bench_cpu_percent": round(100 * out["bench_cpu"] / out["elapsed"], 1),
        "host_cpu_percent": out["host_cpu"],
        "host_cpus": psutil.cpu_count(),
        "client_lag_max_ms": round(run.lag_max * 1000, 1),
        "client_lag_stalls_over_50ms": run.lag_stalls,
        "push_interval": args.push_interval,
    }


def dump(path: str, run: Run, start: float) -> None:
    """Times in seconds from the first ballot sent."""
    with open(path, "w") as f:
        for b in run.ballots_by_client.values():
            f.write(
                json.dumps(
                    {
                        "kind": "ballot",
                        "phone": b.phone,
                        "sent": round(b.sent_at - start, 4),
                        "ack": None if b.ack_at is None else round(b.ack_at - start, 4),
                        "revision": b.ack_revision,
                        "error": b.error or None,
                    }
                )
                + "\n"
            )
        for at, revision, ballots, size in run.board.messages:
            f.write(
                json.dumps(
                    {
                        "kind": "board",
                        "at": round(at - start, 4),
                        "revision": revision,
                        "ballots": ballots,
                        "bytes": size,
                    }
                )
                + "\n"
            )


def print_table(f: dict) -> None:
    rows = [
        ("phones / ballots each", f"{f['phones']} / {f['ballots_per_phone']}"),
        ("rate target / achieved", f"{f['rate_target']} / {f['rate_achieved']} ballots/s"),
        ("joined all phones in", f"{f['join_seconds']} s"),
        ("ballots sent", f["sent"]),
        ("acknowledged", f["acknowledged"]),
        ("refused / unanswered", f"{f['refused']} / {f['unanswered']}"),
        ("rows in ballots", f["stored_rows"]),
        ("distinct phones acked", f["phones_acked"]),
        (
            "acked missing in DB",
            f"{f['missing_submissions']} submissions, "
            f"{f['missing_latest']} latest, {f['mismatched_latest']} mismatched",
        ),
        (
            "board messages",
            f"{f['board_messages']} (mean {f['board_mean_per_s']}/s, "
            f"max {f['board_max_per_s']} in 1 s, ~{f['board_bytes_mean']} bytes)",
        ),
        ("board never showed", f["board_never_showed"]),
        (
            "CPU server / bench",
            f"{f['server_cpu_percent']} % / {f['bench_cpu_percent']} % of one core",
        ),
        ("CPU whole machine", f"{f['host_cpu_percent']} % of {f['host_cpus']} cores"),
        (
            "bench loop lag max",
            f"{f['client_lag_max_ms']} ms ({f['client_lag_stalls_over_50ms']} stalls > 50 ms)",
        ),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    print()
    print(f"  {'latency (ms)':<16}{'n':>6}{'median':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    for label, key in (
        ("ack", "ack_ms"),
        ("vote-to-board", "board_ms"),
        ("GET /healthz", "healthz_ms"),
    ):
        s = f[key]
        cells = "".join(
            f"{'-' if s[c] is None else s[c]:>9}" for c in ("median", "p95", "p99", "max")
        )
        print(f"  {label:<16}{s['n']:>6}{cells}")
    print()


# -- main -----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=200, help="simulated phones (default 200)")
    parser.add_argument("--ballots", type=int, default=3, help="ballots per phone (default 3)")
    parser.add_argument("--rate", type=float, default=50.0, help="ballots/s in all (default 50)")
    parser.add_argument("--options", type=int, default=6, help="options in the round (default 6)")
    parser.add_argument("--seed", type=int, default=1, help="random seed for the dots")
    parser.add_argument(
        "--join-concurrency",
        type=int,
        default=20,
        help="phones joining at the same time (default 20)",
    )
    parser.add_argument(
        "--drain",
        type=float,
        default=15.0,
        help="seconds to wait for late acks and board updates (default 15)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=180.0,
        help="hard limit on the whole run in seconds (default 180)",
    )
    parser.add_argument(
        "--push-interval",
        type=float,
        default=None,
        help="server's FACILITATION_PUSH_INTERVAL (default: the server's own)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and server log")
    parser.add_argument(
        "--dump",
        metavar="FILE",
        help="write every ballot and board message as JSON lines, for analysis",
    )
    args = parser.parse_args(argv)
    if not (1 <= args.phones <= 5000 and 1 <= args.ballots <= 100 and args.rate > 0):
        parser.error("phones 1-5000, ballots 1-100, rate > 0")
    if not 2 <= args.options <= 30:
        parser.error("options 2-30")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_open_files()
    tmp = tempfile.mkdtemp(prefix="facilitation-bench-")
    data_path = str(Path(tmp) / "bench.sqlite3")
    server = ServerProcess(
        data_path, str(Path(tmp) / "server.log"), push_interval=args.push_interval
    )
    run = Run()
    try:
        add_user(data_path)
        server.start()
        print(f"server {server.url} (pid {server.proc.pid}), data {data_path}", flush=True)

        async def bounded() -> dict:
            async with asyncio.timeout(args.timeout):
                return await scenario(args, server, run)

        try:
            out = asyncio.run(bounded())
        except TimeoutError:
            print(f"run exceeded --timeout {args.timeout} s", file=sys.stderr)
            return 2
        except Exception as exc:
            print(f"run failed: {exc!r}\n{server.log_tail()}", file=sys.stderr)
            return 2
        finally:
            server.stop()
        db = check_database(
            data_path, [out["setup"].round_id], list(run.ballots_by_client.values())
        )
        result = figures(args, run, out, db)
        if args.dump:
            dump(args.dump, run, out["start"])
        print_table(result)
        print(json.dumps(result, sort_keys=True))
        bad = db["missing_submissions"] or db["missing_latest"] or db["mismatched_latest"]
        return 1 if bad else 0
    finally:
        server.stop()
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            for name in os.listdir(tmp):
                with contextlib.suppress(OSError):
                    os.unlink(Path(tmp) / name)
            with contextlib.suppress(OSError):
                os.rmdir(tmp)


if __name__ == "__main__":
    sys.exit(main())
