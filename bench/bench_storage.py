"""Postgres versus sqlite: the time to save one attempt (issue 16 figures).

    .venv/bin/python -m bench.bench_storage            # about 30 s
    options: --saves 400 (per backend and pass), --passes 3, --tasks 8, --json

Needs the `scale` extra (asyncpg) and the Postgres binaries (scripts/install-system-deps.sh): it
starts its own server from initdb/pg_ctl in a temporary folder, with Postgres' durable defaults
(fsync on, synchronous_commit on), on 127.0.0.1 over TCP; sqlite is a file in a temporary folder
with the bot's settings (WAL, synchronous=NORMAL). Each save is `bot.storage.attempts.add_attempt`
as the bot calls it (one transaction: the user upsert and the attempt insert), timed from the call
to its return. Passes alternate between the backends so machine load hits both alike.

1. one save at a time: p50, p99 and max per save;
2. `--tasks` saves at once on the process's one connection (rounds ending together): saves a second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.models import Analysis, Flag, Silence  # noqa: E402
from bot.storage import Database  # noqa: E402
from bot.storage.attempts import add_attempt  # noqa: E402


def analysis(i: int) -> Analysis:
    """An attempt of realistic size: a 2-minute answer's transcript, metrics, structure and flags."""
    words = ("I would start by clarifying the requirements and the expected load, then sketch the "
             "data model, choose a hash map keyed by user, and discuss the trade-offs. ") * 12
    return Analysis(
        question_id=f"coding-q{i % 40}", category="coding", transcript=words, duration_s=120.0,
        metrics={"words_per_minute": 142.0, "time_to_first_word_s": 1.4, "filler_words": 6,
                 "speaking_ratio": 0.82, "longest_silence_s": 3.1},
        silences=[Silence(30.0, 33.1)], structure={"assumptions": True, "approach": True, "outcome": False},
        flags=[Flag("missing_outcome", "Land it with the result.", None), Flag("fillers", "6 fillers", 12.0)],
        score=60 + i % 30, follow_up="What is the space cost?", summary="Clear approach.",
    )


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


async def one_at_a_time(db: Database, n: int, base: int) -> list[float]:
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        await add_attempt(db, analysis(i), user_id=1000 + (base + i) % 50, user_name=f"member{i % 50}",
                          mode="mock", guild_id=7)
        times.append(time.perf_counter() - t0)
    return times


async def at_once(db: Database, n: int, tasks: int) -> float:
    """Saves a second with `tasks` coroutines saving `n` attempts between them."""
    per = max(1, n // tasks)

    async def worker(k: int) -> None:
        for i in range(per):
            await add_attempt(db, analysis(i), user_id=2000 + k, mode="mock", guild_id=7)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(tasks)))
    return per * tasks / (time.perf_counter() - t0)


async def measure(saves: int = 400, passes: int = 3, tasks: int = 8) -> dict[str, dict[str, float]]:
    from tests.scale.postgres import PostgresServer

    tmp = Path(tempfile.mkdtemp(prefix="parley-bench-storage-"))
    server = PostgresServer(durable=True).init()
    server.start()
    try:
        url = await server.create_database("bench")
        targets: dict[str, Path | str] = {"sqlite": tmp / "parley.sqlite3", "postgres": url}
        times: dict[str, list[float]] = {k: [] for k in targets}
        rates: dict[str, list[float]] = {k: [] for k in targets}
        async with Database(targets["sqlite"]) as lite, Database(targets["postgres"]) as pg:
            dbs = {"sqlite": lite, "postgres": pg}
            for db in dbs.values():  # warm up: connections, caches, the first pages
                await one_at_a_time(db, 20, 0)
            for p in range(passes):
                order = list(dbs.items()) if p % 2 == 0 else list(reversed(dbs.items()))
                for name, db in order:
                    times[name] += await one_at_a_time(db, saves, p * saves)
                    rates[name].append(await at_once(db, saves, tasks))
        return {name: {"p50_ms": pct(ts, 0.5) * 1000, "p99_ms": pct(ts, 0.99) * 1000, "max_ms": max(ts) * 1000,
                       "saves": len(ts), "saves_per_s_at_once": statistics.median(rates[name])}
                for name, ts in times.items()}
    finally:
        server.close()


def report(figures: dict[str, dict[str, float]], tasks: int) -> None:
    print(f"   {'backend':<9} {'p50':>8} {'p99':>8} {'max':>8} {'saves':>6}  {f'{tasks} at once':>14}")
    for name, f in figures.items():
        print(f"   {name:<9} {f['p50_ms']:6.2f} ms {f['p99_ms']:5.2f} ms {f['max_ms']:5.1f} ms {f['saves']:6.0f}  "
              f"{f['saves_per_s_at_once']:9.0f} /s")
    lite, pg = figures["sqlite"], figures["postgres"]
    print(f"   Postgres / sqlite: p50 ×{pg['p50_ms'] / lite['p50_ms']:.1f}, p99 ×{pg['p99_ms'] / lite['p99_ms']:.1f}")


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--saves", type=int, default=400, help="saves per backend and pass")
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--tasks", type=int, default=8, help="concurrent savers for the saves-a-second figure")
    ap.add_argument("--json", action="store_true", help="also print the figures as one JSON object")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    print(f"time to save one attempt (add_attempt, one transaction), {args.passes} passes × {args.saves} saves:")
    figures = await measure(args.saves, args.passes, args.tasks)
    report(figures, args.tasks)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
