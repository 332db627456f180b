"""Schema migrations, applied in order; `PRAGMA user_version` records how many ran.

Append new migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY,          -- Discord user id, or a local id for the CLI
        name          TEXT NOT NULL DEFAULT '',
        created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
    );
    CREATE TABLE attempts (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        guild_id      INTEGER,
        session_id    INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
        mode          TEXT NOT NULL,                -- cli | mock | group | daily
        question_id   TEXT NOT NULL,
        category      TEXT NOT NULL,
        transcript    TEXT NOT NULL,
        duration_s    REAL,
        metrics_json  TEXT NOT NULL DEFAULT '{}',
        structure_json TEXT NOT NULL DEFAULT '{}',
        flags_json    TEXT NOT NULL DEFAULT '[]',
        score         INTEGER NOT NULL,
        created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
    );
    CREATE INDEX attempts_user_time ON attempts(user_id, created_at);
    CREATE TABLE sessions (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        kind          TEXT NOT NULL,                -- mock | group
        guild_id      INTEGER,
        channel_id    INTEGER,
        owner_id      INTEGER,
        status        TEXT NOT NULL DEFAULT 'running',  -- running | done | interrupted
        started_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        ended_at      TEXT,
        summary_json  TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE session_members (
        session_id    INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        PRIMARY KEY (session_id, user_id)
    );
    CREATE TABLE ratings (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        attempt_id    INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
        rater_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        structure     INTEGER NOT NULL CHECK (structure BETWEEN 1 AND 5),
        clarity       INTEGER NOT NULL CHECK (clarity BETWEEN 1 AND 5),
        depth         INTEGER NOT NULL CHECK (depth BETWEEN 1 AND 5),
        created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        UNIQUE (attempt_id, rater_id)
    );
    CREATE TABLE consents (
        user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        guild_id      INTEGER NOT NULL,
        accepted_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        PRIMARY KEY (user_id, guild_id)
    );
    CREATE TABLE user_settings (
        user_id       INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        keep_audio    INTEGER NOT NULL DEFAULT 0,
        leaderboard   INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE audio_files (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        attempt_id    INTEGER REFERENCES attempts(id) ON DELETE CASCADE,
        path          TEXT NOT NULL,
        expires_at    TEXT NOT NULL
    );
    CREATE TABLE daily_schedules (
        guild_id      INTEGER PRIMARY KEY,
        channel_id    INTEGER NOT NULL,
        time_local    TEXT NOT NULL,                -- HH:MM in `timezone`
        timezone      TEXT NOT NULL,
        categories    TEXT NOT NULL DEFAULT '',     -- comma separated; empty = all
        paused        INTEGER NOT NULL DEFAULT 0,
        last_push_utc TEXT                          -- when the last push went out
    );
    CREATE TABLE daily_pushes (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        guild_id      INTEGER NOT NULL,
        channel_id    INTEGER NOT NULL,
        question_id   TEXT NOT NULL,
        message_id    INTEGER,
        thread_id     INTEGER,
        local_date    TEXT NOT NULL,                -- the schedule's local date it is for
        created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        UNIQUE (guild_id, local_date)
    );
    CREATE TABLE prep_plans (
        user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        guild_id      INTEGER NOT NULL,
        start_date    TEXT NOT NULL,
        interview_date TEXT,
        PRIMARY KEY (user_id, guild_id)
    );
    """,
    # 2: daily pushes (issue 6): when a schedule became active (no catch-up for earlier occurrences),
    # a member's own question in a push when they follow a prep plan, per-server leaderboard opt-in
    """
    ALTER TABLE daily_schedules ADD COLUMN active_since TEXT;
    CREATE INDEX daily_pushes_thread ON daily_pushes(thread_id);
    CREATE TABLE daily_assignments (
        push_id       INTEGER NOT NULL REFERENCES daily_pushes(id) ON DELETE CASCADE,
        user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        question_id   TEXT NOT NULL,
        plan_day      INTEGER,
        PRIMARY KEY (push_id, user_id)
    );
    CREATE TABLE leaderboard_members (
        guild_id      INTEGER NOT NULL,
        user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        joined_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        PRIMARY KEY (guild_id, user_id)
    );
    """,
    # 3: issue 14: a member's target role and pasted job description (stored only after they agree;
    # exported and erased with the rest of their data), and which attempt retried which
    """
    CREATE TABLE profiles (
        user_id       INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        role          TEXT NOT NULL DEFAULT '',
        description   TEXT NOT NULL DEFAULT '',
        skills        TEXT NOT NULL DEFAULT '',     -- matched skill tags, comma separated
        consented_at  TEXT NOT NULL,
        updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
    );
    CREATE TABLE attempt_retries (
        attempt_id    INTEGER PRIMARY KEY REFERENCES attempts(id) ON DELETE CASCADE,
        retry_of      INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
        user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE
    );
    """,
    # 4: issue 16: state several bot processes share (bot/storage/shared.py): voice slots held by
    # running rounds and groups (a lease each process renews; a dead process's slots expire), and
    # recent events per member for the rate limits. Operational and short-lived: not part of an
    # export; erasure clears them (shared.forget_member).
    """
    CREATE TABLE round_slots (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        guild_id      INTEGER,
        owner_id      INTEGER,
        channel_id    INTEGER,
        kind          TEXT NOT NULL,                -- mock | group
        holder        TEXT NOT NULL,                -- the process holding it (host:pid:token)
        expires_at    REAL NOT NULL                 -- seconds since the epoch; renewed while it runs
    );
    CREATE INDEX round_slots_guild ON round_slots(guild_id);
    CREATE TABLE rate_keys (
        scope         TEXT NOT NULL,                -- commands | uploads
        subject_id    INTEGER NOT NULL,
        PRIMARY KEY (scope, subject_id)
    );
    CREATE TABLE rate_events (
        scope         TEXT NOT NULL,
        subject_id    INTEGER NOT NULL,
        at_s          REAL NOT NULL
    );
    CREATE INDEX rate_events_key ON rate_events(scope, subject_id, at_s);
    """,
]
