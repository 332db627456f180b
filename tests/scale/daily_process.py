"""One bot process's daily scheduler, for the two-process tests (tests/scale/test_postgres.py).

    python -m tests.scale.daily_process URL DATA_DIR [SHARD_COUNT SHARD_IDS]

Waits for the test's go (the migration advisory lock, held by the test until every process waits
on it), then ticks the week of 2026-07-01 in 15-minute steps of a simulated clock against the
shared database, and prints one JSON line per push it posted: [guild_id, local_date].

With SHARD_COUNT and SHARD_IDS the process is one shard process of a sharded bot
(PARLEY_SHARD_COUNT / PARLEY_SHARD_IDS): it schedules only the servers its shards own, by the
bot's own rule (`DiscordPushPoster.owns`, the same call cogs/daily.py makes every tick).
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord

from bot.config import Settings
from bot.discord_io.daily_scheduler import DiscordPushPoster
from bot.storage import Database
from bot.storage.postgres import MIGRATION_LOCK_KEY
from tests.fakes import RecordingPoster, UtcClock
from tests.unit.practice.schedule_helpers import service


async def main(url: str, data_dir: str, shard_count: int = 0, shard_ids: str = "") -> None:
    settings = Settings.from_env({}, data_dir=Path(data_dir), database_url=url, shard_count=shard_count,
                                 shard_ids=shard_ids)
    # the bot's poster, for its shard rule only (nothing is posted through it: no Discord here)
    owns = DiscordPushPoster(discord.Client(intents=discord.Intents.none()), settings).owns
    clock = UtcClock(datetime(2026, 6, 30, 20, 0, tzinfo=UTC))
    async with Database(url) as db:
        # the go: the test holds this lock until both processes wait on it
        await db.conn.execute(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
        await db.conn.execute(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
        svc = service(settings, db, clock)
        poster = RecordingPoster(clock)
        while clock() < datetime(2026, 7, 7, 20, 0, tzinfo=UTC):
            clock.advance(seconds=timedelta(minutes=15).total_seconds())
            await svc.tick(poster, owns=owns)
    for _, push in poster.posts:
        print(json.dumps([push.guild_id, push.local_date.isoformat()]), flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(args[0], args[1], *( [int(args[2]), args[3]] if len(args) >= 4 else [])))
