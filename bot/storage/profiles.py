"""A member's target role and pasted description (`/profile set`), stored only after they agreed.

The row keeps the role, the cleaned description and the matched skill tags (strongest first), so
picking never re-reads the text. It is keyed by `user_id`, so `/privacy` export and delete cover it
like every other member table (bot/storage/privacy.py finds such tables by their column).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.storage.attempts import ensure_user, iso_utc
from bot.storage.db import Database


@dataclass(frozen=True)
class Profile:
    user_id: int
    role: str
    description: str
    skills: tuple[str, ...]
    consented_at: str
    updated_at: str


async def save_profile(db: Database, user_id: int, *, role: str, description: str, skills: list[str],
                       consented: bool, user_name: str = "", now: datetime | None = None) -> None:
    """Create or replace the profile. Refuses (ValueError) without consent: nothing is written."""
    if not consented:
        raise ValueError("a profile is stored only with the member's consent")
    stamp = iso_utc(now or datetime.now(UTC))
    async with db.transaction() as conn:
        await ensure_user(db, user_id, user_name)
        await conn.execute(
            "INSERT INTO profiles(user_id, role, description, skills, consented_at, updated_at)"
            " VALUES(?,?,?,?,?,?) ON CONFLICT(user_id) DO UPDATE SET role=excluded.role,"
            " description=excluded.description, skills=excluded.skills,"
            " consented_at=excluded.consented_at, updated_at=excluded.updated_at",
            (user_id, role, description, ",".join(skills), stamp, stamp),
        )


async def get_profile(db: Database, user_id: int) -> Profile | None:
    async with db.conn.execute("SELECT * FROM profiles WHERE user_id = ?", (user_id,)) as cur:
        r = await cur.fetchone()
    if r is None:
        return None
    return Profile(r["user_id"], r["role"], r["description"], tuple(t for t in r["skills"].split(",") if t),
                   r["consented_at"], r["updated_at"])


async def delete_profile(db: Database, user_id: int) -> bool:
    async with db.transaction() as conn:
        cur = await conn.execute("DELETE FROM profiles WHERE user_id = ?", (user_id,))
        return (cur.rowcount or 0) > 0
