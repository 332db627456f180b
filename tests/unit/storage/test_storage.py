"""The storage layer: migrations from an older schema, WAL, round trips, failures that keep data.

Tests taking `db_target` run on sqlite and on Postgres (tests/unit/conftest.py); the others are
about the sqlite file itself (its path, WAL, its lock). Postgres-only faults: tests/scale/test_postgres.py."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot.storage import Database, StorageError
from bot.storage import db as db_module
from bot.storage.attempts import add_attempt, get_attempt, list_attempts
from bot.storage.migrations import MIGRATIONS
from tests.unit.storage.storage_helpers import make_analysis


def build_v1(path: Path) -> None:
    """A database as the first release left it: schema 1 only, with one stored attempt."""
    con = sqlite3.connect(path)
    con.executescript(f"BEGIN;\n{MIGRATIONS[0]}\nPRAGMA user_version = 1;\nCOMMIT;")
    con.execute("INSERT INTO users(id, name) VALUES (7, 'ada')")
    con.execute("INSERT INTO daily_schedules(guild_id, channel_id, time_local, timezone) VALUES (1, 2, '09:00', 'UTC')")
    con.execute("INSERT INTO attempts(user_id, mode, question_id, category, transcript, score) "
                "VALUES (7, 'cli', 'coding-rate-limiter', 'coding', 'old answer', 55)")
    con.commit()
    con.close()


async def test_round_trip_keeps_every_field(db_target):
    async with Database(db_target) as db:
        aid = await add_attempt(db, make_analysis(), user_id=42, user_name="ada", mode="cli", guild_id=9)
        row = await get_attempt(db, aid)
    assert row is not None
    assert (row.user_id, row.guild_id, row.mode, row.question_id, row.score) == (42, 9, "cli", "coding-rate-limiter", 64)
    assert row.metrics["filler_words"] == 2 and row.structure == {"assumptions": True, "outcome": False}
    assert [f["code"] for f in row.flags] == ["long_silence", "missing_outcome"] and row.flags[0]["at_s"] == 10.0
    assert row.duration_s == 42.5 and row.transcript.startswith("I assume")


async def test_migrates_an_older_schema_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.sqlite3"
    build_v1(path)
    async with Database(path) as db:
        assert await db.schema_version() == len(MIGRATIONS) > 1
        (old,) = await list_attempts(db, 7)
        assert old.transcript == "old answer" and old.score == 55
        await add_attempt(db, make_analysis(), user_id=7, mode="cli")
        assert len(await list_attempts(db, 7)) == 2
        async with db.conn.execute("SELECT COUNT(*) FROM daily_schedules") as cur:
            assert (await cur.fetchone())[0] == 1
    # opening again applies nothing twice
    async with Database(path) as db:
        assert await db.schema_version() == len(MIGRATIONS)


async def test_wal_and_foreign_keys_are_on(tmp_path):
    async with Database(tmp_path / "p.sqlite3") as db:
        async with db.conn.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"
        async with db.conn.execute("PRAGMA foreign_keys") as cur:
            assert (await cur.fetchone())[0] == 1


async def test_a_failing_migration_leaves_the_old_schema_and_data(tmp_path, monkeypatch):
    path = tmp_path / "old.sqlite3"
    build_v1(path)
    broken = [*MIGRATIONS, "CREATE TABLE extra(x INTEGER); INSERT INTO no_such_table VALUES (1);"]
    monkeypatch.setattr(db_module, "MIGRATIONS", broken)
    with pytest.raises(StorageError, match="cannot open the database"):
        await Database(path).open()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert con.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'extra'").fetchone()[0] == 0
    assert con.execute("SELECT transcript FROM attempts").fetchone()[0] == "old answer"
    con.close()


async def test_a_newer_database_is_refused_not_touched(tmp_path):
    path = tmp_path / "new.sqlite3"
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    con.close()
    with pytest.raises(StorageError, match="newer than this Parley knows"):
        await Database(path).open()


async def test_unwritable_location_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    with pytest.raises(StorageError, match="cannot create the database folder"):
        await Database(blocker / "sub" / "p.sqlite3").open()
    assert blocker.read_text() == "keep me"


async def test_a_failed_write_rolls_back_the_whole_transaction(db_target):
    async with Database(db_target) as db:
        await add_attempt(db, make_analysis(), user_id=1, mode="cli")
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO users(id, name) VALUES (2, 'bob')")
                raise RuntimeError("crash mid-write")
        async with db.conn.execute("SELECT COUNT(*) FROM users WHERE id = 2") as cur:
            assert (await cur.fetchone())[0] == 0
        assert len(await list_attempts(db, 1)) == 1


async def test_concurrent_first_opens_migrate_once_and_keep_every_write(tmp_path, monkeypatch):
    """Eight connections (each on its own sqlite thread, as eight processes would be) find a new
    file at schema 0 at the same moment and migrate at once: one applies each migration, the
    others wait for the lock, re-read the version and apply nothing twice; every write is kept."""
    path = tmp_path / "new.sqlite3"
    monkeypatch.setattr(db_module, "MIGRATIONS", [])  # open all eight before any migrates
    dbs = [await Database(path).open() for _ in range(8)]
    monkeypatch.setattr(db_module, "MIGRATIONS", MIGRATIONS)
    try:
        assert {await d.schema_version() for d in dbs} == {0}
        results = await asyncio.gather(*(d.migrate() for d in dbs), return_exceptions=True)
        assert results == [len(MIGRATIONS)] * 8, [r for r in results if isinstance(r, BaseException)]
        await asyncio.gather(*(add_attempt(d, make_analysis(score=i), user_id=7, mode="cli")
                               for i, d in enumerate(dbs)))
    finally:
        for d in dbs:
            await d.close()
    con = sqlite3.connect(path)
    assert sorted(r[0] for r in con.execute("SELECT score FROM attempts")) == list(range(8))
    assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    con.close()


async def test_a_lock_held_past_the_busy_timeout_is_reported_not_raised(tmp_path, monkeypatch):
    path = tmp_path / "p.sqlite3"
    async with Database(path) as db:
        await add_attempt(db, make_analysis(), user_id=1, mode="cli")
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_S", 0.3)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing, and not letting go
    try:
        async with Database(path) as db:
            t0 = time.monotonic()
            with pytest.raises(sqlite3.OperationalError) as raw:
                await add_attempt(db, make_analysis(), user_id=1, mode="cli")
            waited = time.monotonic() - t0
            err = db_module.storage_error(path, raw.value)
    finally:
        holder.rollback()
        holder.close()
    assert 0.25 <= waited < 3.0  # it waited for the bound, then gave up
    assert str(err).startswith(f"the database {path} is busy") and "0.3 s" in str(err)
    con = sqlite3.connect(path)
    assert con.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 1
    con.close()


def test_a_failed_connect_leaves_no_worker_thread_reporting_to_a_closed_loop(tmp_path, monkeypatch):
    """aiosqlite's worker thread answers a failed connect after asyncio.run() has closed the loop
    ("Event loop is closed" on stderr) unless open() waits for it."""
    monkeypatch.setattr(db_module, "regular_file_problem", lambda p: None)  # let sqlite itself fail
    raised: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda a: raised.append(a.exc_value))
    for _ in range(10):
        with pytest.raises(StorageError, match="cannot open the database"):
            asyncio.run(Database(tmp_path).open())  # a folder: sqlite cannot open it
        for t in threading.enumerate():
            if "_connection_worker_thread" in t.name:
                t.join(5)
    assert not raised


@pytest.mark.parametrize("name, make", [
    ("folder", lambda p: p.mkdir()),
    ("fifo", lambda p: os.mkfifo(p)),
    ("loop", lambda p: p.symlink_to(p)),
])
async def test_a_path_that_is_not_a_file_is_named_as_such(tmp_path, name, make):
    path = tmp_path / name
    make(path)
    with pytest.raises(StorageError) as e:
        await Database(path).open()
    words = {"folder": "is a folder", "fifo": "named pipe (FIFO)", "loop": "symbolic link loop"}[name]
    assert words in str(e.value) and e.value.kind == "place"


async def test_hand_edited_rows_are_skipped_with_a_warning(tmp_path, caplog):
    path = tmp_path / "p.sqlite3"
    async with Database(path) as db:
        ids = [await add_attempt(db, make_analysis(score=s), user_id=7, mode="cli") for s in (10, 20, 30, 40, 50)]
    con = sqlite3.connect(path)
    con.execute("UPDATE attempts SET metrics_json = '{broken' WHERE id = ?", (ids[0],))
    con.execute("UPDATE attempts SET flags_json = '{\"code\": 1}' WHERE id = ?", (ids[1],))
    con.execute("UPDATE attempts SET flags_json = '[{\"message\": \"no code\"}]' WHERE id = ?", (ids[2],))
    con.execute("UPDATE attempts SET score = 'high' WHERE id = ?", (ids[3],))
    con.commit()
    con.close()
    async with Database(path) as db:
        rows = await list_attempts(db, 7)
        assert await get_attempt(db, ids[0]) is None
    assert [r.score for r in rows] == [50]
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len([w for w in warned if "damaged" in w]) == 5  # four in the list, one from get_attempt
    assert any(w.startswith(f"attempt #{ids[0]} is damaged (metrics_json is not valid JSON)") for w in warned)
    assert any(w.startswith(f"attempt #{ids[3]} is damaged (score is not a whole number)") for w in warned)


async def test_reopening_keeps_the_rows_and_applies_no_migration_twice(db_target, caplog):
    async with Database(db_target) as db:
        aid = await add_attempt(db, make_analysis(), user_id=5, mode="cli")
    caplog.clear()
    async with Database(db_target) as db:
        assert await db.schema_version() == len(MIGRATIONS)
        assert [r.id for r in await list_attempts(db, 5)] == [aid]
    assert not [r for r in caplog.records if "migrating" in r.getMessage()]


async def test_a_schema_newer_than_this_code_is_refused(db_target, monkeypatch):
    async with Database(db_target) as db:
        assert await db.schema_version() == len(MIGRATIONS)
    monkeypatch.setattr(db_module, "MIGRATIONS", MIGRATIONS[:-1])
    with pytest.raises(StorageError, match="newer than this Parley knows") as e:
        await Database(db_target).open()
    assert e.value.kind == "schema"


async def test_both_backends_hold_the_same_tables_and_columns(db):
    """The Postgres schema is translated from the sqlite migrations: nothing may go missing."""
    tables = await db.tables()
    assert "users" in tables and "attempts" in tables and "parley_schema" not in tables
    columns = {t: await db.columns(t) for t in tables}
    async with Database(":memory:") as reference:
        expected = {t: await reference.columns(t) for t in await reference.tables()}
    assert columns == expected


# ------------------------------------------------------------------ the Postgres adapter's translation


def test_placeholders_become_numbered_outside_quotes_and_comments():
    from bot.storage.postgres import placeholders

    assert placeholders("SELECT * FROM t WHERE a = ? AND b LIKE ? ESCAPE '\\'") == (
        "SELECT * FROM t WHERE a = $1 AND b LIKE $2 ESCAPE '\\'")
    assert placeholders("SELECT '?', \"odd?name\" FROM t -- why?\nWHERE x = ?") == (
        "SELECT '?', \"odd?name\" FROM t -- why?\nWHERE x = $1")
    assert placeholders("VALUES('it''s ?', ?)") == "VALUES('it''s ?', $1)"


def test_migrations_translate_to_postgres_with_tables_before_their_references():
    from bot.storage.postgres import PG_NOW, postgres_ddl

    out = postgres_ddl(db_module._statements(MIGRATIONS[0]))
    creates = [s.split()[2] for s in out if s.startswith("CREATE TABLE")]
    assert creates.index("sessions") < creates.index("attempts")  # attempts refers to sessions
    attempts = next(s for s in out if s.startswith("CREATE TABLE attempts"))
    assert "id            BIGSERIAL PRIMARY KEY" in attempts and "user_id       BIGINT NOT NULL" in attempts
    assert "duration_s    DOUBLE PRECISION" in attempts and PG_NOW in attempts and "strftime" not in attempts
    assert len(out) == len(db_module._statements(MIGRATIONS[0]))


def test_a_database_url_is_never_shown_with_its_password():
    from bot.storage.postgres import redact

    assert redact("postgresql://parley:s3cret@db.example:5432/parley?sslmode=require&password=x") == (
        "postgresql://parley:***@db.example:5432/parley")
    assert redact("postgresql://parley@localhost/parley") == "postgresql://parley@localhost/parley"
    assert Database("postgresql://u:pw@h:1/d").where == "postgresql://u:***@h:1/d"
    from bot.config import ConfigError, Settings

    settings = Settings.from_env({"PARLEY_DATABASE_URL": "postgresql://u:pw@h:1/d"})
    assert "pw" not in repr(settings)
    assert Database.for_settings(settings).dialect == "postgres"
    assert Database.for_settings(Settings.from_env({}, data_dir=Path("/x"))).path == Path("/x/parley.sqlite3")
    with pytest.raises(ConfigError, match="PARLEY_DATABASE_URL must be empty"):
        Settings.from_env({"PARLEY_DATABASE_URL": "mysql://u@h/d"})
