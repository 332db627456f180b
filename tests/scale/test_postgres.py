"""Storage on a real Postgres server: what only a shared server can do to us (issue 16 items 1, 3, 5).

Two processes migrating one new database at once, the server restarting under a write, an outage
longer than the retries, a server that is not there at start, two daily schedulers pushing each
question once, and two shard processes of a sharded bot, each pushing only its own shards' servers. The rest of the storage suite runs on
Postgres too, through tests/unit/conftest.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

pytest.importorskip("asyncpg", reason="asyncpg is not installed: pip install -e '.[scale]' (make test-scale does)")

import asyncpg

from bot.config import Settings
from bot.storage import Database, StorageError
from bot.storage import db as db_module
from bot.storage.attempts import add_attempt, list_attempts
from bot.storage.migrations import MIGRATIONS
from bot.storage.postgres import MIGRATION_LOCK_KEY, redact
from tests.scale.cluster import ROOT, free_port
from tests.scale.postgres import PostgresServer
from tests.unit.storage.storage_helpers import make_analysis

pytestmark = pytest.mark.scale

OPEN_ONCE = (
    "import asyncio, logging, sys\n"
    "logging.basicConfig(level=logging.INFO, stream=sys.stderr, format='%(message)s')\n"
    "from bot.storage import Database\n"
    "async def main():\n"
    "    async with Database(sys.argv[1]) as db:\n"
    "        print(await db.schema_version())\n"
    "asyncio.run(main())\n"
)


async def _waiting_on_advisory_lock(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))
    finally:
        await conn.close()


async def test_two_processes_migrating_one_new_database_apply_each_migration_once(fresh_postgres: str) -> None:
    """The test holds the migration lock while two real processes start on an empty database;
    once both wait on it, it lets go: one applies every migration, the other re-reads the
    version inside the lock and applies none."""
    holder = await asyncpg.connect(fresh_postgres)
    await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
    procs = [subprocess.Popen([sys.executable, "-c", OPEN_ONCE, fresh_postgres], cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while await _waiting_on_advisory_lock(fresh_postgres) < 2:
            assert time.monotonic() < deadline, "the two processes never both waited for the migration lock"
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            await asyncio.sleep(0.05)  # polling a condition on the server, not a synchronisation by time
        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
        outs = [p.communicate(timeout=60) for p in procs]
    finally:
        await holder.close()
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in procs] == [0, 0], outs
    assert [out.strip() for out, _ in outs] == [str(len(MIGRATIONS))] * 2
    applied = sum(err.count("migrating ") for _, err in outs)
    assert applied == len(MIGRATIONS), [err for _, err in outs]
    conn = await asyncpg.connect(fresh_postgres)
    try:
        versions = [r[0] for r in await conn.fetch("SELECT version FROM parley_schema ORDER BY version")]
    finally:
        await conn.close()
    assert versions == list(range(1, len(MIGRATIONS) + 1))


async def test_a_server_restart_mid_write_saves_the_attempt_once_and_whole(
        fresh_postgres: str, postgres_server: PostgresServer, caplog: pytest.LogCaptureFixture) -> None:
    """add_attempt has written its user row and waits to insert the attempt (another session
    holds the attempts table) when the server restarts: the cut transaction leaves nothing, the
    write is run again on a new connection, and exactly one complete attempt is stored."""
    async with Database(fresh_postgres) as db:
        await add_attempt(db, make_analysis(score=1), user_id=7, user_name="old name", mode="cli")
        blocker = await asyncpg.connect(fresh_postgres)
        await blocker.execute("BEGIN; LOCK TABLE attempts IN EXCLUSIVE MODE")
        saving = asyncio.create_task(
            add_attempt(db, make_analysis(score=2), user_id=7, user_name="new name", mode="cli"))
        deadline = time.monotonic() + 20
        while not await blocker.fetchval(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'parley'"
                " AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO attempts%'"):
            assert time.monotonic() < deadline and not saving.done(), "add_attempt never waited on the insert"
            await asyncio.sleep(0.02)
        await asyncio.to_thread(postgres_server.restart)  # kills both sessions, mid-transaction
        blocker.terminate()
        attempt_id = await asyncio.wait_for(saving, 30)
        rows = await list_attempts(db, 7)
    assert sorted(r.score for r in rows) == [1, 2]
    assert any("connection to the server was lost" in r.getMessage() and "writing again" in r.getMessage()
               for r in caplog.records)  # it was cut, and written again
    saved = next(r for r in rows if r.id == attempt_id)
    assert saved.score == 2 and saved.transcript.startswith("I assume") and saved.flags and saved.metrics
    conn = await asyncpg.connect(fresh_postgres)
    try:
        assert await conn.fetchval("SELECT name FROM users WHERE id = 7") == "new name"
    finally:
        await conn.close()


async def test_an_outage_longer_than_the_retries_is_reported_and_nothing_is_half_written(
        fresh_postgres: str, postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_module, "WRITE_RETRY_DELAYS_S", (0.05, 0.1))
    async with Database(fresh_postgres) as db:
        await add_attempt(db, make_analysis(score=1), user_id=7, mode="cli")
        await asyncio.to_thread(postgres_server.stop)
        try:
            with pytest.raises(StorageError) as e:
                await add_attempt(db, make_analysis(score=2), user_id=7, mode="cli")
        finally:
            await asyncio.to_thread(postgres_server.start)
        assert e.value.kind == "io" and "not reachable" in str(e.value)
        assert redact(fresh_postgres) in str(e.value)
        # the server is back: the next write reconnects by itself, and nothing of the failed one is there
        await add_attempt(db, make_analysis(score=3), user_id=7, mode="cli")
        assert sorted(r.score for r in await list_attempts(db, 7)) == [1, 3]


async def test_a_server_that_is_not_there_at_start_is_one_clear_error_without_the_password() -> None:
    url = f"postgresql://parley:s3cret@127.0.0.1:{free_port()}/parley"
    with pytest.raises(StorageError) as e:
        await Database(url).open()
    assert e.value.kind == "io"
    assert "not reachable" in str(e.value) and "PARLEY_DATABASE_URL" in str(e.value)
    assert "s3cret" not in str(e.value) and "parley:***@127.0.0.1" in str(e.value)


async def test_a_database_that_does_not_exist_is_a_place_error(postgres_server: PostgresServer) -> None:
    with pytest.raises(StorageError) as e:
        await Database(postgres_server.url("no_such_database")).open()
    assert e.value.kind == "place" and "no_such_database" in str(e.value)


def test_the_bot_says_so_in_one_line_when_postgres_is_down(tmp_path) -> None:
    """`python -m bot history` with PARLEY_DATABASE_URL pointing at nothing: a message, no traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env.update(PARLEY_DATA_DIR=str(tmp_path), PARLEY_DATABASE_URL=f"postgresql://u:pw@127.0.0.1:{free_port()}/x")
    code = ("import asyncio, sys\n"
            "from bot.config import Settings\n"
            "from bot.services import Services\n"
            "from bot.storage import StorageError\n"
            "try:\n"
            "    asyncio.run(Services.create(Settings.from_env(), load_model=False))\n"
            "except StorageError as e:\n"
            "    print(e, file=sys.stderr); sys.exit(3)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr and "not reachable" in done.stderr and "pw" not in done.stderr.replace(
        "pw@", "") and ":***@" in done.stderr


# ------------------------------------------------------------------ two schedulers, one database


async def test_two_daily_schedulers_on_one_database_push_each_question_once(fresh_postgres: str, settings) -> None:
    """Two bot processes' schedulers (each its own connection) tick the same schedules at the same
    moments for a week: every server gets one push per local day, from one of them."""
    from tests.fakes import RecordingPoster, UtcClock
    from tests.unit.practice.schedule_helpers import service

    clock = UtcClock(datetime(2026, 6, 30, 20, 0, tzinfo=UTC))
    zones = {1: "America/New_York", 2: "Asia/Kolkata", 3: "Europe/Berlin"}
    async with Database(fresh_postgres) as db_a, Database(fresh_postgres) as db_b:
        a, b = service(settings, db_a, clock), service(settings, db_b, clock)
        for gid, zone in zones.items():
            await a.setup(gid, 10 + gid, "09:00", zone)
        poster_a, poster_b = RecordingPoster(clock), RecordingPoster(clock)
        while clock() < datetime(2026, 7, 7, 20, 0, tzinfo=UTC):
            clock.advance(seconds=timedelta(minutes=15).total_seconds())
            await asyncio.gather(a.tick(poster_a), b.tick(poster_b))
    posts = [p for _, p in poster_a.posts + poster_b.posts]
    per_day = [(p.guild_id, p.local_date) for p in posts]
    assert len(per_day) == len(set(per_day)) == 3 * 7, sorted(per_day)


async def _two_processes_for_a_week(url: str, guilds: dict[int, str], tmp_path, shard_args: list[list[str]]
                                    ) -> list[list[tuple[int, str]]]:
    """Start one `tests.scale.daily_process` per entry of `shard_args` on one database, let them go
    at the same moment (both wait on a lock the test holds, then it lets go), and return what each
    posted: [(guild_id, local_date)] per process."""
    from tests.fakes import UtcClock
    from tests.unit.practice.schedule_helpers import service

    async with Database(url) as db:
        svc = service(Settings.from_env({}, data_dir=tmp_path / "setup"), db,
                      UtcClock(datetime(2026, 6, 30, 20, 0, tzinfo=UTC)))
        for i, (gid, zone) in enumerate(guilds.items()):
            await svc.setup(gid, 10 + i, "09:00", zone)
    holder = await asyncpg.connect(url)
    await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
    procs = [subprocess.Popen([sys.executable, "-m", "tests.scale.daily_process", url, str(tmp_path / f"p{i}"), *extra],
                              cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for i, extra in enumerate(shard_args)]
    try:
        deadline = time.monotonic() + 60
        while await _waiting_on_advisory_lock(url) < len(procs):
            assert time.monotonic() < deadline, "the processes never all waited for the go"
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            await asyncio.sleep(0.05)  # polling a condition on the server, not a synchronisation by time
        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
        outs = [p.communicate(timeout=120) for p in procs]
    finally:
        await holder.close()
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in procs] == [0] * len(procs), [err for _, err in outs]
    return [[tuple(json.loads(line)) for line in out.splitlines() if line.strip()] for out, _ in outs]


async def test_two_bot_processes_on_one_database_push_each_daily_question_once(fresh_postgres: str, settings,
                                                                                tmp_path) -> None:
    """Two real processes, each with its own scheduler and connection, unsharded (each schedules
    every server), start ticking the same week at the same moment: the database claim alone makes
    it one push per server and local day, never two."""
    zones = {1: "America/New_York", 2: "Asia/Kolkata", 3: "Europe/Berlin"}
    per_process = await _two_processes_for_a_week(fresh_postgres, zones, tmp_path, [[], []])
    posted = [p for posts in per_process for p in posts]
    assert len(posted) == len(set(posted)) == 3 * 7, sorted(posted)


def _guild_on_shard(shard: int, count: int, n: int) -> int:
    return ((1_000 * count + shard + n * count) << 22) | 4242  # (id >> 22) % count == shard


async def test_two_shard_processes_push_each_server_s_question_once_from_its_own_shard(fresh_postgres: str,
                                                                                      tmp_path) -> None:
    """A bot sharded in two (PARLEY_SHARD_COUNT=2), shard 0 in one process and shard 1 in the
    other, on one database: every server gets one push per local day, posted by the process that
    owns the server's shard ((guild_id >> 22) % 2), never by the other."""
    zones = ("America/New_York", "Asia/Kolkata", "Europe/Berlin", "Pacific/Auckland")
    guilds = {_guild_on_shard(i % 2, 2, i): zone for i, zone in enumerate(zones)}
    per_process = await _two_processes_for_a_week(fresh_postgres, guilds, tmp_path, [["2", "0"], ["2", "1"]])
    for shard, posts in enumerate(per_process):
        assert posts and all((gid >> 22) % 2 == shard for gid, _ in posts), (shard, posts)
    posted = [p for posts in per_process for p in posts]
    assert len(posted) == len(set(posted)) == len(guilds) * 7, sorted(posted)
    assert {gid for gid, _ in posted} == set(guilds)
