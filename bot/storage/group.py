"""Peer groups in the database: the session row, its members, their attempts and the ratings.

A group is a `sessions` row of kind 'group' (created through `bot.storage.sessions`). Each
answer is an `attempts` row with mode 'group' and the session's id, so it shows in the
member's own history. Ratings go to the `ratings` table (rater ids are kept there only to
stop double votes; nothing read back from here names a rater). While the group runs,
`sessions.summary_json` holds its running figures; at the end, the final summary.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.models import Analysis
from bot.ratings import CRITERIA, Rating, RatingAggregate
from bot.storage import sessions
from bot.storage.attempts import AttemptRow, add_attempt, ensure_user, readable_attempts
from bot.storage.db import Database

MODE = "group"


@dataclass(frozen=True)
class GroupRecord:
    """A stored group as history shows it."""

    session_id: int
    guild_id: int | None
    status: str
    started_at: str
    ended_at: str | None
    summary: dict[str, Any]
    members: list[int]


class GroupStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_session(self, *, guild_id: int | None, channel_id: int | None, owner_id: int | None,
                             owner_name: str = "") -> int:
        return await sessions.create_session(
            self.db, "group", guild_id, channel_id, owner_id, owner_name=owner_name
        )

    async def add_member(self, session_id: int, user_id: int, name: str = "") -> None:
        await sessions.add_member(self.db, session_id, user_id, name)

    async def record_attempt(
        self, analysis: Analysis, *, user_id: int, user_name: str = "", guild_id: int | None,
        session_id: int | None,
    ) -> int:
        return await add_attempt(
            self.db, analysis, user_id=user_id, user_name=user_name, mode=MODE,
            guild_id=guild_id, session_id=session_id,
        )

    async def save_rating(self, attempt_id: int, rater_id: int, rating: Rating) -> None:
        """Insert or replace this rater's rating of one attempt (they may change their mind)."""
        async with self.db.transaction() as conn:
            await ensure_user(self.db, rater_id)
            await conn.execute(
                "INSERT INTO ratings(attempt_id, rater_id, structure, clarity, depth) VALUES(?,?,?,?,?)"
                " ON CONFLICT(attempt_id, rater_id) DO UPDATE SET structure = excluded.structure,"
                " clarity = excluded.clarity, depth = excluded.depth",
                (attempt_id, rater_id, rating.structure, rating.clarity, rating.depth),
            )

    async def rating_aggregate(self, attempt_id: int) -> RatingAggregate:
        """Counts and sums of one attempt's ratings (no rater ids leave this query)."""
        async with self.db.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(structure),0), COALESCE(SUM(clarity),0), COALESCE(SUM(depth),0)"
            " FROM ratings WHERE attempt_id = ?",
            (attempt_id,),
        ) as cur:
            r = await cur.fetchone()
        assert r is not None  # an aggregate query always returns one row
        return RatingAggregate(int(r[0]), (int(r[1]), int(r[2]), int(r[3])))

    async def save_progress(self, session_id: int, summary: dict[str, Any]) -> None:
        """The running figures, while the session is still running (a restart keeps them)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE sessions SET summary_json = ? WHERE id = ? AND status = 'running'",
                (json.dumps(summary), session_id),
            )

    async def finish(self, session_id: int, summary: dict[str, Any], *, status: str = "done") -> None:
        """Close the session with its final summary; a later call (an updated summary) overwrites it."""
        if not await sessions.end_session(self.db, session_id, status, summary):
            async with self.db.transaction() as conn:
                await conn.execute(
                    "UPDATE sessions SET summary_json = ? WHERE id = ? AND kind = 'group'",
                    (json.dumps(summary), session_id),
                )

    async def get(self, session_id: int) -> GroupRecord | None:
        row = await sessions.get_session(self.db, session_id)
        if row is None or row.kind != "group":
            return None
        members = await sessions.session_members(self.db, session_id)
        return GroupRecord(row.id, row.guild_id, row.status, row.started_at, row.ended_at, row.summary, members)

    async def member_attempts(self, session_id: int, user_id: int) -> list[AttemptRow]:
        async with self.db.conn.execute(
            "SELECT * FROM attempts WHERE session_id = ? AND user_id = ? AND mode = ? ORDER BY id",
            (session_id, user_id, MODE),
        ) as cur:
            return readable_attempts(await cur.fetchall())

    async def groups_of(self, user_id: int, *, limit: int = 10) -> list[GroupRecord]:
        """The groups a user took part in, newest first (for their history)."""
        async with self.db.conn.execute(
            "SELECT s.id FROM sessions s JOIN session_members m ON m.session_id = s.id"
            " WHERE s.kind = 'group' AND m.user_id = ? ORDER BY s.id DESC LIMIT ?",
            (user_id, limit),
        ) as cur:
            ids = [int(r[0]) for r in await cur.fetchall()]
        out = []
        for i in ids:
            rec = await self.get(i)
            if rec is not None:
                out.append(rec)
        return out


__all__ = ["GroupStore", "GroupRecord", "CRITERIA", "MODE"]
