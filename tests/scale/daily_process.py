"""One bot process's daily scheduler, for the two-process test (tests/scale/test_postgres.py).

    python -m tests.scale.daily_process URL DATA_DIR

Waits for the test's go (the migration advisory lock, held by the test until every process waits
on it), then ticks the week of 2026-07-01 in 15-minute steps of a simulated clock against the
shared database, and prints one JSON line per push it posted: [guild_id, local_date].
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Settings
from bot.storage import Database
from bot.storage.postgres import MIGRATION_LOCK_KEY
from tests.unit.test_daily_schedule import Clock, RecordingPoster, service


async def main(url: str, data_dir: str) -> None:
    settings = Settings.from_env({}, data_dir=Path(data_dir))
    clock = Clock(datetime(2026, 6, 30, 20, 0, tzinfo=UTC))
    async with Database(url) as db:
        # the go: the test holds this lock until both processes wait on it
        await db.conn.execute(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
        await db.conn.execute(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
        svc = service(settings, db, clock)
        poster = RecordingPoster(clock)
        while clock() < datetime(2026, 7, 7, 20, 0, tzinfo=UTC):
            clock.advance(seconds=timedelta(minutes=15).total_seconds())
            await svc.tick(poster)
    for _, push in poster.posts:
        print(json.dumps([push.guild_id, push.local_date.isoformat()]), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
