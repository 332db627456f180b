"""Repositories for daily pushes: schedules, pushes, plan assignments, prep plans, leaderboard opt-in.

Pushes are claimed *before* they are posted: the row (unique per server and local date) is the lock
that makes a push go out once, even when two ticks race or the bot restarts mid-push.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.schedule import Schedule, format_time_local, parse_time_local, parse_timezone
from bot.storage.attempts import AttemptRow, ensure_user, readable_attempts
from bot.storage.db import Database


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _parse(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    s = stamp[:-1] + "+00:00" if stamp.endswith("Z") else stamp
    dt = datetime.fromisoformat(s)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _schedule(r: Any) -> Schedule:
    return Schedule(
        guild_id=r["guild_id"], channel_id=r["channel_id"],
        time_local=parse_time_local(r["time_local"]), tz=parse_timezone(r["timezone"]),
        categories=tuple(c for c in r["categories"].split(",") if c),
        paused=bool(r["paused"]), last_push_utc=_parse(r["last_push_utc"]),
        active_since=_parse(r["active_since"]),
    )


# ---------------------------------------------------------------- schedules


async def save_schedule(db: Database, schedule: Schedule, *, now: datetime) -> None:
    """Create or replace a server's schedule; it becomes active from `now` (no catch-up before)."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO daily_schedules(guild_id, channel_id, time_local, timezone, categories, paused,"
            " active_since) VALUES(?,?,?,?,?,0,?) ON CONFLICT(guild_id) DO UPDATE SET"
            " channel_id=excluded.channel_id, time_local=excluded.time_local, timezone=excluded.timezone,"
            " categories=excluded.categories, paused=0, active_since=excluded.active_since",
            (schedule.guild_id, schedule.channel_id, format_time_local(schedule.time_local),
             schedule.timezone_name, ",".join(schedule.categories), _iso(now)),
        )


async def get_schedule(db: Database, guild_id: int) -> Schedule | None:
    async with db.conn.execute("SELECT * FROM daily_schedules WHERE guild_id = ?", (guild_id,)) as cur:
        r = await cur.fetchone()
    return _schedule(r) if r else None


async def list_schedules(db: Database, *, include_paused: bool = False) -> list[Schedule]:
    sql = "SELECT * FROM daily_schedules" + ("" if include_paused else " WHERE paused = 0")
    async with db.conn.execute(sql + " ORDER BY guild_id") as cur:
        return [_schedule(r) for r in await cur.fetchall()]


async def set_paused(db: Database, guild_id: int, paused: bool, *, now: datetime) -> bool:
    """Pause or resume; resuming restarts `active_since` so days missed while paused are not caught up.
    Returns False when the server has no schedule."""
    async with db.transaction() as conn:
        if paused:
            cur = await conn.execute("UPDATE daily_schedules SET paused = 1 WHERE guild_id = ?", (guild_id,))
        else:
            cur = await conn.execute(
                "UPDATE daily_schedules SET paused = 0, active_since = ? WHERE guild_id = ?", (_iso(now), guild_id)
            )
        return cur.rowcount > 0


# ---------------------------------------------------------------- pushes


@dataclass(frozen=True)
class PushRow:
    id: int
    guild_id: int
    channel_id: int
    question_id: str
    message_id: int | None
    thread_id: int | None
    local_date: date
    created_at: str


def _push(r: Any) -> PushRow:
    return PushRow(r["id"], r["guild_id"], r["channel_id"], r["question_id"], r["message_id"],
                   r["thread_id"], date.fromisoformat(r["local_date"]), r["created_at"])


async def claim_push(
    db: Database, guild_id: int, channel_id: int, local_date: date, question_id: str,
    assignments: Sequence[tuple[int, str, int | None]] = (), *, now: datetime,
) -> int | None:
    """Reserve the push for (server, local date); None when it is already taken.

    `assignments`: (user_id, question_id, plan_day) for members on a prep plan.
    """
    async with db.transaction() as conn:
        cur = await conn.execute(
            "INSERT INTO daily_pushes(guild_id, channel_id, question_id, local_date, created_at)"
            " VALUES(?,?,?,?,?) ON CONFLICT(guild_id, local_date) DO NOTHING",
            (guild_id, channel_id, question_id, local_date.isoformat(), _iso(now)),
        )
        if cur.rowcount == 0:
            return None
        push_id = int(cur.lastrowid or 0)
        for user_id, qid, day in assignments:
            await ensure_user(db, user_id)
            await conn.execute(
                "INSERT INTO daily_assignments(push_id, user_id, question_id, plan_day) VALUES(?,?,?,?)",
                (push_id, user_id, qid, day),
            )
        await conn.execute("UPDATE daily_schedules SET last_push_utc = ? WHERE guild_id = ?", (_iso(now), guild_id))
        return push_id


async def attach_posted(db: Database, push_id: int, message_id: int, thread_id: int | None) -> None:
    async with db.transaction() as conn:
        await conn.execute("UPDATE daily_pushes SET message_id = ?, thread_id = ? WHERE id = ?",
                           (message_id, thread_id, push_id))


async def release_push(db: Database, push_id: int) -> None:
    """Undo a claim whose post failed, so a later tick can try again."""
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM daily_pushes WHERE id = ?", (push_id,))


async def last_push(db: Database, guild_id: int) -> PushRow | None:
    async with db.conn.execute(
        "SELECT * FROM daily_pushes WHERE guild_id = ? ORDER BY local_date DESC LIMIT 1", (guild_id,)
    ) as cur:
        r = await cur.fetchone()
    return _push(r) if r else None


async def list_pushes(db: Database, guild_id: int, *, limit: int = 50) -> list[PushRow]:
    """Newest first."""
    async with db.conn.execute(
        "SELECT * FROM daily_pushes WHERE guild_id = ? ORDER BY local_date DESC LIMIT ?", (guild_id, limit)
    ) as cur:
        return [_push(r) for r in await cur.fetchall()]


async def recent_question_ids(db: Database, guild_id: int, *, limit: int = 30) -> list[str]:
    """Questions pushed to the server (and assigned to its members), newest first."""
    async with db.conn.execute(
        "SELECT question_id FROM ("
        " SELECT p.question_id, p.local_date AS d, 0 AS k FROM daily_pushes p WHERE p.guild_id = ?"
        " UNION ALL SELECT a.question_id, p.local_date, 1 FROM daily_assignments a"
        " JOIN daily_pushes p ON p.id = a.push_id WHERE p.guild_id = ?) AS q"
        " ORDER BY d DESC, k LIMIT ?",
        (guild_id, guild_id, limit),
    ) as cur:
        ids = [r[0] for r in await cur.fetchall()]
    return list(dict.fromkeys(ids))


async def push_for_thread(db: Database, thread_id: int) -> PushRow | None:
    async with db.conn.execute("SELECT * FROM daily_pushes WHERE thread_id = ?", (thread_id,)) as cur:
        r = await cur.fetchone()
    return _push(r) if r else None


async def assignment_for(db: Database, push_id: int, user_id: int) -> tuple[str, int | None] | None:
    async with db.conn.execute(
        "SELECT question_id, plan_day FROM daily_assignments WHERE push_id = ? AND user_id = ?", (push_id, user_id)
    ) as cur:
        r = await cur.fetchone()
    return (r[0], r[1]) if r else None


# ---------------------------------------------------------------- prep plans


@dataclass(frozen=True)
class PrepPlanRow:
    user_id: int
    guild_id: int
    start_date: date
    interview_date: date | None


async def start_plan(db: Database, user_id: int, guild_id: int, start: date, interview: date | None,
                     *, user_name: str = "") -> None:
    async with db.transaction() as conn:
        await ensure_user(db, user_id, user_name)
        await conn.execute(
            "INSERT INTO prep_plans(user_id, guild_id, start_date, interview_date) VALUES(?,?,?,?)"
            " ON CONFLICT(user_id, guild_id) DO UPDATE SET start_date=excluded.start_date,"
            " interview_date=excluded.interview_date",
            (user_id, guild_id, start.isoformat(), interview.isoformat() if interview else None),
        )


async def stop_plan(db: Database, user_id: int, guild_id: int) -> bool:
    async with db.transaction() as conn:
        cur = await conn.execute("DELETE FROM prep_plans WHERE user_id = ? AND guild_id = ?", (user_id, guild_id))
        return cur.rowcount > 0


async def get_plan(db: Database, user_id: int, guild_id: int) -> PrepPlanRow | None:
    async with db.conn.execute(
        "SELECT * FROM prep_plans WHERE user_id = ? AND guild_id = ?", (user_id, guild_id)
    ) as cur:
        r = await cur.fetchone()
    return _plan(r) if r else None


async def list_plans(db: Database, guild_id: int) -> list[PrepPlanRow]:
    async with db.conn.execute("SELECT * FROM prep_plans WHERE guild_id = ? ORDER BY user_id", (guild_id,)) as cur:
        return [_plan(r) for r in await cur.fetchall()]


def _plan(r: Any) -> PrepPlanRow:
    return PrepPlanRow(r["user_id"], r["guild_id"], date.fromisoformat(r["start_date"]),
                       date.fromisoformat(r["interview_date"]) if r["interview_date"] else None)


# ---------------------------------------------------------------- leaderboard and progress queries


async def set_leaderboard(db: Database, guild_id: int, user_id: int, joined: bool, *, user_name: str = "") -> bool:
    """Opt in or out; returns whether anything changed."""
    async with db.transaction() as conn:
        if joined:
            await ensure_user(db, user_id, user_name)
            cur = await conn.execute(
                "INSERT INTO leaderboard_members(guild_id, user_id) VALUES(?, ?) ON CONFLICT DO NOTHING",
                (guild_id, user_id),
            )
        else:
            cur = await conn.execute(
                "DELETE FROM leaderboard_members WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
        return cur.rowcount > 0


async def leaderboard_members(db: Database, guild_id: int) -> list[tuple[int, str]]:
    async with db.conn.execute(
        "SELECT l.user_id, u.name FROM leaderboard_members l JOIN users u ON u.id = l.user_id"
        " WHERE l.guild_id = ? ORDER BY l.user_id", (guild_id,)
    ) as cur:
        return [(r[0], r[1]) for r in await cur.fetchall()]


async def guild_attempts(db: Database, user_id: int, guild_id: int, *, limit: int = 1000) -> list[AttemptRow]:
    """A member's attempts in one server, oldest first (for charts and streaks)."""
    async with db.conn.execute(
        "SELECT * FROM (SELECT * FROM attempts WHERE user_id = ? AND guild_id = ?"
        " ORDER BY created_at DESC, id DESC LIMIT ?) AS recent ORDER BY created_at, id",
        (user_id, guild_id, limit),
    ) as cur:
        return readable_attempts(await cur.fetchall())
