"""A database with two members' data in every table, written through the real repositories.

Used by the privacy unit tests and the fault suite: the member to erase ("ada") and a
bystander ("bob") share a peer group, rate each other, and each have their own rows in every
member-keyed table, so a test can check that erasing ada removes all of hers and none of his.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bot.config import Settings
from bot.models import Analysis, Flag
from bot.practice.audio_retention import AudioRetention
from bot.storage import daily, privacy, sessions
from bot.storage.attempts import add_attempt
from bot.storage.db import Database

# Ids far from anything else in the data (guild/channel ids differ in every digit position
# that matters), so a textual scan for ADA cannot match by accident.
ADA, BOB = 731_000_000_000_000_111, 842_000_000_000_000_222
ADA_NAME, BOB_NAME = "ada-lovelace-deleted", "bob-bystander"
GUILD, CHANNEL = 913_000_000_000_000_333, 924_000_000_000_000_444


@dataclass
class Population:
    ada_attempts: list[int]
    bob_attempts: list[int]
    group_session: int
    ada_mock_session: int
    ada_audio: list[Path]
    bob_audio: list[Path]


def _analysis(settings: Settings, n: int = 0) -> Any:
    """A stored answer's analysis (its content does not matter to erasure or recovery)."""
    return Analysis(
        question_id=f"q-{n}", category="system_design",
        transcript=f"I would first clarify the requirements and assume moderate load. Answer {n}.",
        duration_s=None, metrics={"words_per_minute": None}, silences=[],
        structure={"assumptions": True, "outcome": False},
        flags=[Flag("missing_outcome", "Say what you decided and why.")], score=40 + n,
        follow_up="What would you measure first?", summary="Clear start; land the answer.")


async def populate(db: Database, settings: Settings) -> Population:
    t0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    a_att: list[int] = []
    b_att: list[int] = []
    # a solo mock round of ada's, and one of bob's
    ada_mock = await sessions.create_session(db, "mock", GUILD, CHANNEL, ADA, owner_name=ADA_NAME)
    a_att.append(await add_attempt(db, _analysis(settings, 0), user_id=ADA, user_name=ADA_NAME, mode="mock",
                                   guild_id=GUILD, session_id=ada_mock))
    await sessions.end_session(db, ada_mock, "done", {"owner": ADA, "answers": 1})
    bob_mock = await sessions.create_session(db, "mock", GUILD, CHANNEL, BOB, owner_name=BOB_NAME)
    b_att.append(await add_attempt(db, _analysis(settings, 1), user_id=BOB, user_name=BOB_NAME, mode="mock",
                                   guild_id=GUILD, session_id=bob_mock))
    # a peer group ada started, with bob in it: answers, ratings both ways, a summary naming both
    group = await sessions.create_session(db, "group", GUILD, CHANNEL, ADA, owner_name=ADA_NAME)
    await sessions.add_member(db, group, BOB, BOB_NAME)
    ga = await add_attempt(db, _analysis(settings, 2), user_id=ADA, user_name=ADA_NAME, mode="group",
                           guild_id=GUILD, session_id=group)
    gb = await add_attempt(db, _analysis(settings, 3), user_id=BOB, user_name=BOB_NAME, mode="group",
                           guild_id=GUILD, session_id=group)
    a_att.append(ga)
    b_att.append(gb)
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO ratings(attempt_id, rater_id, structure, clarity, depth) VALUES(?,?,?,?,?)",
            [(ga, BOB, 4, 3, 5), (gb, ADA, 2, 5, 1)])
    await sessions.end_session(db, group, "done", {
        "kind": "group", "session_id": group,
        "members": [
            {"user_id": ADA, "name": ADA_NAME, "score": 70, "best_attempt_id": ga},
            {"user_id": BOB, "name": BOB_NAME, "score": 55, "best_attempt_id": gb},
        ],
        "strongest": {"user_id": ADA, "name": ADA_NAME, "attempt_id": ga, "score": 70},
    })
    # daily answers, consent, settings, a prep plan, a leaderboard, a daily assignment
    for who, name, out in ((ADA, ADA_NAME, a_att), (BOB, BOB_NAME, b_att)):
        out.append(await add_attempt(db, _analysis(settings, 4), user_id=who, user_name=name, mode="daily",
                                     guild_id=GUILD))
        await privacy.record_consent(db, who, GUILD, name)
        await daily.start_plan(db, who, GUILD, date(2026, 11, 20), date(2026, 11, 27), user_name=name)
        await daily.set_leaderboard(db, GUILD, who, True, user_name=name)
    await daily.claim_push(db, GUILD, CHANNEL, date(2026, 11, 21), "q-any",
                           [(ADA, "q-ada", 1), (BOB, "q-bob", 1)], now=t0)
    # kept audio for both (opted in)
    retention = AudioRetention(settings, db, clock=lambda: t0)
    a_audio: list[Path] = []
    b_audio: list[Path] = []
    for who, out, att in ((ADA, a_audio, a_att[0]), (BOB, b_audio, b_att[0])):
        await privacy.set_keep_audio(db, who, True)
        p = await retention.keep(who, np.zeros(1600, dtype=np.float32), attempt_id=att)
        assert p is not None
        out.append(p)
        p2 = await retention.keep(who, b"OggS fake voice message", ext="ogg")
        assert p2 is not None
        out.append(p2)
    return Population(a_att, b_att, group, ada_mock, a_audio, b_audio)


def scan_for(db_path: Path, needles: tuple[int | str, ...]) -> list[str]:
    """Open the sqlite file with the stdlib module and look at EVERY column of EVERY row of
    EVERY table for the needles (ints equal, or their text inside any text/blob value).
    Returns 'table.column=value' for each hit."""
    hits: list[str] = []
    con = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        for t in tables:
            cur = con.execute(f'SELECT * FROM "{t}"')
            cols = [d[0] for d in cur.description]
            for row in cur:
                for col, v in zip(cols, row):
                    for n in needles:
                        if isinstance(v, int) and isinstance(n, int) and v == n:
                            hits.append(f"{t}.{col}={v}")
                        elif isinstance(v, (str, bytes)):
                            text = v if isinstance(v, str) else v.decode("latin-1")
                            if str(n) in text:
                                hits.append(f"{t}.{col}~{str(n)}")
    finally:
        con.close()
    return hits


def table_counts(db_path: Path) -> dict[str, int]:
    con = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def rows_of(db_path: Path, user_id: int) -> dict[str, int]:
    """Per table, how many rows hold `user_id` in any column (for 'bystander untouched' checks)."""
    con = sqlite3.connect(db_path)
    try:
        out: dict[str, int] = {}
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        for t in tables:
            cur = con.execute(f'SELECT * FROM "{t}"')
            n = sum(1 for row in cur if any(v == user_id or (isinstance(v, str) and str(user_id) in v)
                                             for v in row))
            if n:
                out[t] = n
        return out
    finally:
        con.close()


async def _postgres_tables(url: str) -> dict[str, list[tuple[list[str], tuple[object, ...]]]]:
    """Every row of every table of a Postgres database, read with asyncpg itself (not our adapter)."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        names = [r[0] for r in await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            " AND table_type = 'BASE TABLE' AND table_name != 'parley_schema'")]
        out = {}
        for t in names:
            rows = await conn.fetch(f'SELECT * FROM "{t}"')
            out[t] = [(list(r.keys()), tuple(r.values())) for r in rows]
        return out
    finally:
        await conn.close()


async def scan_db(db: Database, needles: tuple[int | str, ...]) -> list[str]:
    """`scan_for` on either backend: the sqlite file through the stdlib, Postgres through asyncpg."""
    if db.dialect == "sqlite":
        return scan_for(db.path, needles)
    hits: list[str] = []
    for t, rows in (await _postgres_tables(db.url)).items():
        for cols, row in rows:
            for col, v in zip(cols, row):
                for n in needles:
                    if isinstance(v, int) and isinstance(n, int) and v == n:
                        hits.append(f"{t}.{col}={v}")
                    elif isinstance(v, str) and str(n) in v:
                        hits.append(f"{t}.{col}~{str(n)}")
    return hits


async def db_rows_of(db: Database, user_id: int) -> dict[str, int]:
    """`rows_of` on either backend."""
    if db.dialect == "sqlite":
        return rows_of(db.path, user_id)
    out: dict[str, int] = {}
    for t, rows in (await _postgres_tables(db.url)).items():
        n = sum(1 for _, row in rows if any(v == user_id or (isinstance(v, str) and str(user_id) in v) for v in row))
        if n:
            out[t] = n
    return out
