"""Which attempt retried which (`attempt_retries`): the link behind "Try again" and its comparison."""

from __future__ import annotations

from bot.storage.db import Database


async def link_retry(db: Database, attempt_id: int, retry_of: int, user_id: int) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO attempt_retries(attempt_id, retry_of, user_id) VALUES(?,?,?) ON CONFLICT(attempt_id)"
            " DO UPDATE SET retry_of = excluded.retry_of, user_id = excluded.user_id",
            (attempt_id, retry_of, user_id),
        )


async def retries_of_user(db: Database, user_id: int) -> dict[int, int]:
    """attempt id → the attempt it retried, for one member."""
    async with db.conn.execute(
        "SELECT attempt_id, retry_of FROM attempt_retries WHERE user_id = ?", (user_id,)
    ) as cur:
        return {int(r[0]): int(r[1]) for r in await cur.fetchall()}
