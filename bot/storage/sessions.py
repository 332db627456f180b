"""Practice sessions (a mock round, a peer group): created when they start, closed when they end.

A session still 'running' when the bot starts was cut short by a crash or a restart;
`close_interrupted()` marks those 'interrupted' so history never shows a round as live forever.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.storage.attempts import ensure_user, iso_utc
from bot.storage.db import Database

SESSION_KINDS: tuple[str, ...] = ("mock", "group")
SESSION_STATUSES: tuple[str, ...] = ("running", "done", "interrupted")


class SessionError(ValueError):
    """A session call with a value we cannot store; the message names it."""


@dataclass(frozen=True)
class SessionRow:
    id: int
    kind: str
    guild_id: int | None
    channel_id: int | None
    owner_id: int | None
    status: str
    started_at: str
    ended_at: str | None
    summary: dict[str, Any]

    @classmethod
    def from_row(cls, r: Any) -> SessionRow:
        try:
            summary = json.loads(r["summary_json"] or "{}")
        except ValueError:
            summary = {}
        return cls(
            id=r["id"], kind=r["kind"], guild_id=r["guild_id"], channel_id=r["channel_id"],
            owner_id=r["owner_id"], status=r["status"], started_at=r["started_at"],
            ended_at=r["ended_at"], summary=summary,
        )


async def create_session(
    db: Database,
    kind: str,
    guild_id: int | None,
    channel_id: int | None,
    owner_id: int | None,
    *,
    owner_name: str = "",
) -> int:
    """Insert a 'running' session (the owner becomes its first member); returns its id."""
    if kind not in SESSION_KINDS:
        raise SessionError(f"unknown session kind {kind!r}; expected one of {', '.join(SESSION_KINDS)}")
    async with db.transaction() as conn:
        cur = await conn.execute(
            "INSERT INTO sessions(kind, guild_id, channel_id, owner_id) VALUES(?, ?, ?, ?)",
            (kind, guild_id, channel_id, owner_id),
        )
        session_id = int(cur.lastrowid or 0)
        if owner_id is not None:
            await ensure_user(db, owner_id, owner_name)
            await conn.execute(
                "INSERT INTO session_members(session_id, user_id) VALUES(?, ?) ON CONFLICT DO NOTHING",
                (session_id, owner_id),
            )
    return session_id


async def add_member(db: Database, session_id: int, user_id: int, name: str = "") -> None:
    """Add a participant (idempotent)."""
    async with db.transaction() as conn:
        await ensure_user(db, user_id, name)
        await conn.execute(
            "INSERT INTO session_members(session_id, user_id) VALUES(?, ?) ON CONFLICT DO NOTHING",
            (session_id, user_id),
        )


async def end_session(
    db: Database, session_id: int, status: str, summary: dict[str, Any] | None = None
) -> bool:
    """Close a running session with `status` ('done' or 'interrupted') and a JSON summary.

    Returns False when the session was already closed (the first close wins).
    """
    if status not in ("done", "interrupted"):
        raise SessionError(f"a session ends as 'done' or 'interrupted', not {status!r}")
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE sessions SET status = ?, ended_at = ?, summary_json = ? WHERE id = ? AND status = 'running'",
            (status, iso_utc(datetime.now(UTC)), json.dumps(summary or {}), session_id),
        )
        return (cur.rowcount or 0) > 0


async def get_session(db: Database, session_id: int) -> SessionRow | None:
    async with db.conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)) as cur:
        r = await cur.fetchone()
    return SessionRow.from_row(r) if r else None


async def session_members(db: Database, session_id: int) -> list[int]:
    async with db.conn.execute(
        "SELECT user_id FROM session_members WHERE session_id = ? ORDER BY user_id", (session_id,)
    ) as cur:
        return [int(r[0]) for r in await cur.fetchall()]


async def running_sessions(db: Database, *, guild_id: int | None = None) -> list[SessionRow]:
    sql = "SELECT * FROM sessions WHERE status = 'running'"
    args: list[Any] = []
    if guild_id is not None:
        sql += " AND guild_id = ?"
        args.append(guild_id)
    async with db.conn.execute(sql + " ORDER BY id", args) as cur:
        return [SessionRow.from_row(r) for r in await cur.fetchall()]


async def close_interrupted(db: Database) -> list[SessionRow]:
    """At start-up: mark every session still 'running' as 'interrupted'; returns them as they are now."""
    async with db.transaction() as conn:
        async with conn.execute("SELECT id FROM sessions WHERE status = 'running' ORDER BY id") as cur:
            ids = [int(r[0]) for r in await cur.fetchall()]
        if ids:
            marks = ",".join("?" * len(ids))
            await conn.execute(
                f"UPDATE sessions SET status = 'interrupted', ended_at = ? WHERE id IN ({marks})",
                [iso_utc(datetime.now(UTC)), *ids],
            )
    out: list[SessionRow] = []
    for i in ids:
        row = await get_session(db, i)
        if row is not None:
            out.append(row)
    return out
