"""A stand-in bot process for the crash test: opens the real database, starts a mock round,
stores one answer, opens a second answer's transaction without committing it, reports, and
blocks until it is killed.

    python -m tests.fault.crash_driver DB_PATH

Prints one JSON line ({"session_id", "attempt_id", "pid"}) on stdout once it is in that state.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from bot.models import Analysis, Flag
from bot.storage.attempts import add_attempt
from bot.storage.db import Database
from bot.storage.sessions import add_member, create_session

USER, OTHER, GUILD, CHANNEL = 111_222_333_444_555_666, 111_222_333_444_555_777, 42_000_000_000_000_001, 42_000_000_000_000_002
UNCOMMITTED_QUESTION = "never-committed"


def analysis(question_id: str) -> Analysis:
    return Analysis(
        question_id=question_id, category="coding", transcript="First I'd restate the problem and its limits.",
        duration_s=12.5, metrics={"words_per_minute": 120.0}, silences=[],
        structure={"assumptions": True, "outcome": False},
        flags=[Flag("missing_outcome", "Finish with the complexity.")], score=55,
        follow_up="How would you test it?", summary="Good start.")


async def main(db_path: str) -> None:
    async with Database(db_path) as db:
        session_id = await create_session(db, "group", GUILD, CHANNEL, USER, owner_name="crash-test")
        await add_member(db, session_id, OTHER, "crash-peer")
        attempt_id = await add_attempt(db, analysis("two-sum"), user_id=USER, mode="group", guild_id=GUILD,
                                       session_id=session_id)
        # the next answer is being written when the process dies
        await db.conn.execute("BEGIN IMMEDIATE")
        await db.conn.execute(
            "INSERT INTO attempts(user_id, guild_id, session_id, mode, question_id, category, transcript, score)"
            " VALUES(?, ?, ?, 'group', ?, 'coding', 'half written', 1)",
            (USER, GUILD, session_id, UNCOMMITTED_QUESTION),
        )
        print(json.dumps({"session_id": session_id, "attempt_id": attempt_id, "pid": os.getpid()}), flush=True)
        await asyncio.Event().wait()  # blocks until killed


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
