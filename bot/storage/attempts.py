"""Users and attempts: the history every front end writes to."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Required, TypedDict, Unpack

from bot.models import Analysis
from bot.storage.db import Database

log = logging.getLogger(__name__)


class DamagedRow(ValueError):
    """A stored row that does not hold what Parley writes (e.g. edited by hand)."""


def _json_column(r: Any, column: str, kind: type) -> Any:
    try:
        value = json.loads(r[column])
    except (TypeError, ValueError):
        raise DamagedRow(f"{column} is not valid JSON") from None
    if not isinstance(value, kind):
        raise DamagedRow(f"{column} holds a {type(value).__name__}, not a {kind.__name__}")
    return value


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
    def from_row(cls, r: Any) -> AttemptRow:
        """Raises DamagedRow when a column does not hold what Parley writes."""
        flags = _json_column(r, "flags_json", list)
        if not all(isinstance(f, dict) and isinstance(f.get("code"), str) for f in flags):
            raise DamagedRow("flags_json holds a flag without a code")
        for column, kind, what in (("score", int, "a whole number"), ("created_at", str, "text"),
                                   ("mode", str, "text"), ("question_id", str, "text"), ("transcript", str, "text")):
            if not isinstance(r[column], kind):
                raise DamagedRow(f"{column} is not {what}")
        return cls(
            id=r["id"], user_id=r["user_id"], guild_id=r["guild_id"], session_id=r["session_id"],
            mode=r["mode"], question_id=r["question_id"], category=r["category"],
            transcript=r["transcript"], duration_s=r["duration_s"],
            metrics=_json_column(r, "metrics_json", dict), structure=_json_column(r, "structure_json", dict),
            flags=flags, score=r["score"], created_at=r["created_at"],
        )


def readable_attempts(rows: Iterable[Any]) -> list[AttemptRow]:
    """The rows as AttemptRows; a damaged one is skipped with a warning, never fatal to the list."""
    out = []
    for r in rows:
        try:
            out.append(AttemptRow.from_row(r))
        except DamagedRow as e:
            log.warning("attempt #%s is damaged (%s); skipped it", r["id"], e)
    return out


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
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class AttemptContext(TypedDict, total=False):
    """Who gave an answer, in which practice mode, where and when: the keywords of `add_attempt`,
    which `PracticeEngine.record` passes on unchanged.

    `created_at` (aware) dates the attempt by the caller's clock (the daily service's, so streaks
    follow the schedule's "today"); without it the column default, the database's wall clock, applies."""

    user_id: Required[int]
    mode: Required[str]   # mock | group | daily | cli
    user_name: str
    guild_id: int | None
    session_id: int | None
    created_at: datetime | None


async def add_attempt(db: Database, analysis: Analysis, **context: Unpack[AttemptContext]) -> int:
    """Store one analysed answer (never the audio) in one transaction; returns its id."""
    user_id, user_name = context["user_id"], context.get("user_name", "")
    guild_id, session_id = context.get("guild_id"), context.get("session_id")
    mode, created_at = context["mode"], context.get("created_at")
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

    async def insert(conn: Any) -> int:
        await ensure_user(db, user_id, user_name)
        cur = await conn.execute(
            f"INSERT INTO attempts({', '.join(columns)}) VALUES({', '.join('?' * len(values))})",
            values,
        )
        return int(cur.lastrowid or 0)

    # whole or not at all; on Postgres a write cut by a server restart is run again (Database.write)
    return await db.write(insert)


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
        return readable_attempts(await cur.fetchall())


async def get_attempt(db: Database, attempt_id: int) -> AttemptRow | None:
    async with db.conn.execute("SELECT * FROM attempts WHERE id = ?", (attempt_id,)) as cur:
        r = await cur.fetchone()
    found = readable_attempts([r]) if r else []
    return found[0] if found else None
