"""Start-up recovery: rounds and groups left 'running' by a crash or restart are closed.

Their stored answers stay (each answer is committed as soon as it is analysed); the session is
marked 'interrupted' and the people in it are told where to find what they said. Sending the
message is the front end's job: `recover_interrupted` returns who to tell and the text, and
`notify` takes any `send(channel_id, text)` coroutine function (no Discord types here).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.storage.db import Database

log = logging.getLogger(__name__)

INTERRUPTED_TEXT = "Your round was interrupted by a restart; what you answered is saved in /history."


@dataclass(frozen=True)
class InterruptedSession:
    session_id: int
    kind: str
    guild_id: int | None
    channel_id: int | None
    members: list[int]
    saved_answers: dict[int, int] = field(default_factory=dict)  # member → stored answers

    def message(self) -> str:
        """The line posted in the session's channel, mentioning its members."""
        mentions = " ".join(f"<@{m}>" for m in self.members)
        total = sum(self.saved_answers.values())
        what = (f" ({total} answer{'s' if total != 1 else ''} kept)" if total else "")
        return f"{mentions} {INTERRUPTED_TEXT[:-1]}{what}.".strip()


async def recover_interrupted(db: Database) -> list[InterruptedSession]:
    """Close every session still 'running' as 'interrupted'; returns them with their members."""
    closed_ids = await _close(db)
    out: list[InterruptedSession] = []
    for sid in closed_ids:
        async with db.conn.execute(
            "SELECT kind, guild_id, channel_id, owner_id FROM sessions WHERE id = ?", (sid,)
        ) as cur:
            s = await cur.fetchone()
        if s is None:
            continue
        async with db.conn.execute(
            "SELECT user_id FROM session_members WHERE session_id = ? ORDER BY user_id", (sid,)
        ) as cur:
            members = [int(r[0]) for r in await cur.fetchall()]
        if not members and s["owner_id"] is not None:
            members = [int(s["owner_id"])]
        async with db.conn.execute(
            "SELECT user_id, COUNT(*) FROM attempts WHERE session_id = ? GROUP BY user_id", (sid,)
        ) as cur:
            saved = {int(r[0]): int(r[1]) for r in await cur.fetchall()}
        out.append(InterruptedSession(sid, s["kind"], s["guild_id"], s["channel_id"], members, saved))
    if out:
        log.info("closed %d session(s) left running by a restart", len(out))
    return out


async def _close(db: Database) -> list[int]:
    from bot.storage.sessions import close_interrupted

    return [row.id for row in await close_interrupted(db)]


async def notify(
    sessions: list[InterruptedSession], send: Callable[[int, str], Awaitable[object]]
) -> int:
    """Post each session's message in its channel; returns how many were sent. Failures
    (a deleted channel, a missing permission) are logged and skipped."""
    sent = 0
    for s in sessions:
        if s.channel_id is None or not s.members:
            continue
        try:
            await send(s.channel_id, s.message())
            sent += 1
        except Exception as e:  # noqa: BLE001 - one bad channel must not stop the others
            log.warning("could not tell session %d about the restart: %s", s.session_id, type(e).__name__)
    return sent
