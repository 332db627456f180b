"""Users and attempts: the history every front end writes to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.models import Analysis
from bot.storage.db import Database


@dataclass(frozen=True)
class AttemptRow:
    id: int
    user_id: int
    guild_id: int | None
    session_id: int | None
    mode: str
    question_id: str
    category: str
    transcript: str
    duration_s: float | None
    metrics: dict[str, Any]
    structure: dict[str, bool]
    flags: list[dict[str, Any]]
    score: int
    created_at: str

    @classmethod
    def from_row(cls, r: Any) -> "AttemptRow":
        return cls(
            id=r["id"], user_id=r["user_id"], guild_id=r["guild_id"], session_id=r["session_id"],
            mode=r["mode"], question_id=r["question_id"], category=r["category"],
            transcript=r["transcript"], duration_s=r["duration_s"],
            metrics=json.loads(r["metrics_json"]), structure=json.loads(r["structure_json"]),
            flags=json.loads(r["flags_json"]), score=r["score"], created_at=r["created_at"],
        )


async def ensure_user(db: Database, user_id: int, name: str = "") -> None:
    """Create the user row if missing; keep the latest display name."""
    await db.conn.execute(
        "INSERT INTO users(id, name) VALUES(?, ?) ON CONFLICT(id) DO UPDATE SET name = "
        "CASE WHEN excluded.name != '' THEN excluded.name ELSE users.name END",
        (user_id, name),
    )


def iso_utc(when: datetime) -> str:
    """`when` in the attempts column's format: ISO 8601 UTC with milliseconds and a Z
    (what the schema default `strftime('%Y-%m-%dT%H:%M:%fZ','now')` writes)."""
    if when.tzinfo is None:
        raise ValueError("created_at must be an aware datetime")
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


async def add_attempt(
    db: Database,
    analysis: Analysis,
    *,
    user_id: int,
    user_name: str = "",
    mode: str,
    guild_id: int | None = None,
    session_id: int | None = None,
    created_at: datetime | None = None,
) -> int:
    """Store one analysed answer (never the audio) in one transaction; returns its id.

    `created_at` dates the attempt by the caller's clock (the daily service's, so streaks follow the
    schedule's "today"); without it the column default, sqlite's wall clock, applies."""
    c = analysis.to_contract()
    columns = ["user_id", "guild_id", "session_id", "mode", "question_id", "category", "transcript",
               "duration_s", "metrics_json", "structure_json", "flags_json", "score"]
    values: list[Any] = [
        user_id, guild_id, session_id, mode, analysis.question_id, analysis.category,
        analysis.transcript, analysis.duration_s, json.dumps(c["metrics"]),
        json.dumps(c["structure"]), json.dumps(c["flags"]), analysis.score,
    ]
    if created_at is not None:
        columns.append("created_at")
        values.append(iso_utc(created_at))
    async with db.transaction() as conn:
        await ensure_user(db, user_id, user_name)
        cur = await conn.execute(
            f"INSERT INTO attempts({', '.join(columns)}) VALUES({', '.join('?' * len(values))})",
            values,
        )
        return int(cur.lastrowid or 0)


async def list_attempts(
    db: Database, user_id: int, *, guild_id: int | None = None, limit: int = 20
) -> list[AttemptRow]:
    """Newest first; `guild_id` narrows to one server."""
    sql = "SELECT * FROM attempts WHERE user_id = ?"
    args: list[Any] = [user_id]
    if guild_id is not None:
        sql += " AND guild_id = ?"
        args.append(guild_id)
    sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
    args.append(limit)
    async with db.conn.execute(sql, args) as cur:
        return [AttemptRow.from_row(r) for r in await cur.fetchall()]


async def get_attempt(db: Database, attempt_id: int) -> AttemptRow | None:
    async with db.conn.execute("SELECT * FROM attempts WHERE id = ?", (attempt_id,)) as cur:
        r = await cur.fetchone()
    return AttemptRow.from_row(r) if r else None
