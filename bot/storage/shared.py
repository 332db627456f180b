"""State that several bot processes share through the database (issue 16 item 3, storage side).

* `SharedSlots`: the concurrent-round cap (one round per server, a total cap) across processes.
  A claim is a `round_slots` row with a lease (`expires_at`); the process renews its leases while
  its rounds run (`renew`), so the slots of a process that died free themselves after `lease_s`.
  Claims are decided one at a time (a transaction under an advisory lock on Postgres, the write
  lock on sqlite), so two processes can never both take the last slot.
* `SharedRateLimiter`: per-member sliding-window limits (commands a minute, uploads an hour)
  counted across processes in `rate_events`; the member's `rate_keys` row is locked for the check,
  so two processes counting one member's hits at once cannot both let the limit+1st through.
* `forget_member`: erasure (/privacy delete) clears the member from both at once, everywhere.

One process keeps its in-memory registry and limiter (bot/practice/rounds_registry.py,
bot/limits.py); these are for PARLEY_DATABASE_URL, where every process sees the same rows. The
refusals say what the in-process ones say; the caller turns them into its own replies.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.storage.db import Database

log = logging.getLogger(__name__)

SLOTS_LOCK_KEY = 0x5041524C5331  # pg_advisory_xact_lock key for slot claims (any constant shared by all)


def process_holder() -> str:
    """This process, as a slot's holder: host, pid and a token (a pid can be reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SlotTaken(RuntimeError):
    """This server (or this member) already has a round; names what holds the slot."""

    def __init__(self, *, same_user: bool, guild_id: int | None, owner_id: int | None, kind: str,
                 channel_id: int | None) -> None:
        super().__init__(f"{'this member' if same_user else 'this server'} already has a {kind} running")
        self.same_user, self.guild_id, self.owner_id = same_user, guild_id, owner_id
        self.kind, self.channel_id = kind, channel_id


class SlotsFull(RuntimeError):
    """Every process together runs the total cap of rounds."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the total cap of {limit} running rounds is reached")
        self.limit = limit


@dataclass(frozen=True)
class Slot:
    id: int
    guild_id: int | None
    owner_id: int | None
    channel_id: int | None
    kind: str


class SharedSlots:
    def __init__(self, db: Database, *, max_per_guild: int, max_total: int, lease_s: float = 120.0,
                 holder: str | None = None, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.max_per_guild = max(1, max_per_guild)
        self.max_total = max(1, max_total)
        self.lease_s = lease_s
        self.holder = holder or process_holder()
        self.clock = clock

    async def _serialize(self, conn: Any) -> None:
        if self.db.dialect == "postgres":
            await conn.execute(f"SELECT pg_advisory_xact_lock({SLOTS_LOCK_KEY})")

    async def claim(self, guild_id: int | None, owner_id: int | None, *, channel_id: int | None = None,
                    kind: str = "mock") -> Slot:
        """Take a slot or raise SlotTaken (this member, then this server) / SlotsFull."""
        now = self.clock()
        async with self.db.transaction() as conn:
            await self._serialize(conn)
            await conn.execute("DELETE FROM round_slots WHERE expires_at <= ?", (now,))
            async with conn.execute(
                "SELECT id, guild_id, owner_id, channel_id, kind FROM round_slots ORDER BY id"
            ) as cur:
                held = [Slot(r[0], r[1], r[2], r[3], r[4]) for r in await cur.fetchall()]
            mine = next((s for s in held if owner_id is not None and s.owner_id == owner_id
                         and s.guild_id == guild_id), None)
            if mine is not None:
                raise SlotTaken(same_user=True, guild_id=guild_id, owner_id=owner_id, kind=mine.kind,
                                channel_id=mine.channel_id)
            in_guild = [s for s in held if s.guild_id == guild_id]
            if len(in_guild) >= self.max_per_guild:
                first = in_guild[0]
                raise SlotTaken(same_user=False, guild_id=guild_id, owner_id=first.owner_id, kind=first.kind,
                                channel_id=first.channel_id)
            if len(held) >= self.max_total:
                raise SlotsFull(self.max_total)
            cur = await conn.execute(
                "INSERT INTO round_slots(guild_id, owner_id, channel_id, kind, holder, expires_at)"
                " VALUES(?,?,?,?,?,?)",
                (guild_id, owner_id, channel_id, kind, self.holder, now + self.lease_s),
            )
            return Slot(int(cur.lastrowid or 0), guild_id, owner_id, channel_id, kind)

    async def release(self, slot: Slot) -> None:
        """Free the slot (idempotent)."""
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM round_slots WHERE id = ? AND holder = ?", (slot.id, self.holder))

    async def renew(self) -> int:
        """Extend this process's leases (call well within `lease_s`, e.g. every `lease_s / 4`);
        returns how many it holds."""
        async with self.db.transaction() as conn:
            cur = await conn.execute("UPDATE round_slots SET expires_at = ? WHERE holder = ?",
                                     (self.clock() + self.lease_s, self.holder))
            return max(0, cur.rowcount)

    async def running(self) -> list[Slot]:
        """Every live slot of every process."""
        async with self.db.conn.execute(
            "SELECT id, guild_id, owner_id, channel_id, kind FROM round_slots WHERE expires_at > ? ORDER BY id",
            (self.clock(),),
        ) as cur:
            return [Slot(r[0], r[1], r[2], r[3], r[4]) for r in await cur.fetchall()]


class SharedRateLimiter:
    """`limit` events per `window_s` per member in one `scope`, counted by every process."""

    def __init__(self, db: Database, scope: str, *, limit: int, window_s: float,
                 clock: Callable[[], float] = time.time) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a positive window")
        self.db, self.scope, self.limit, self.window_s, self.clock = db, scope, limit, window_s, clock

    async def hit(self, subject_id: int) -> float:
        """Record one event; 0 when allowed, else the seconds until the next one is allowed
        (the same contract as bot.limits.RateLimiter.hit)."""
        now = self.clock()
        key = (self.scope, subject_id)
        async with self.db.transaction() as conn:
            # the member's key row, locked until COMMIT: their concurrent hits are counted one at a time
            await conn.execute(
                "INSERT INTO rate_keys(scope, subject_id) VALUES(?, ?) ON CONFLICT(scope, subject_id)"
                " DO UPDATE SET scope = excluded.scope", key)
            await conn.execute("DELETE FROM rate_events WHERE scope = ? AND subject_id = ? AND at_s <= ?",
                               (*key, now - self.window_s))
            async with conn.execute(
                "SELECT COUNT(*), MIN(at_s) FROM rate_events WHERE scope = ? AND subject_id = ?", key
            ) as cur:
                row = await cur.fetchone()
            count, oldest = (int(row[0]), row[1]) if row else (0, None)
            if count >= self.limit and oldest is not None:
                return max(0.0, self.window_s - (now - float(oldest)))
            await conn.execute("INSERT INTO rate_events(scope, subject_id, at_s) VALUES(?,?,?)", (*key, now))
            return 0.0

    async def prune(self) -> int:
        """Drop this scope's events older than its window (keeps the table small)."""
        async with self.db.transaction() as conn:
            cur = await conn.execute("DELETE FROM rate_events WHERE scope = ? AND at_s <= ?",
                                     (self.scope, self.clock() - self.window_s))
            return max(0, cur.rowcount)


async def forget_member(db: Database, user_id: int) -> None:
    """Erasure: the member's rate-limit events go, and no slot names them as owner any more. On
    Postgres every other process is told at once (`ErasureListener`), through a notification sent
    when this transaction commits: nothing about the erased member is stored to carry it."""
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM rate_events WHERE subject_id = ?", (user_id,))
        await conn.execute("DELETE FROM rate_keys WHERE subject_id = ?", (user_id,))
        await conn.execute("UPDATE round_slots SET owner_id = NULL WHERE owner_id = ?", (user_id,))
        if db.url:
            await conn.execute("SELECT pg_notify(?, ?)", (ERASURE_CHANNEL, str(user_id)))


ERASURE_CHANNEL = "parley_erasure"


class ErasureListener:
    """Hears every process's erasures the moment they commit (Postgres LISTEN on its own
    connection) and calls `on_erased(user_id)`, so a group or round running in this process
    forgets a member who erased their data through another one, not only the owner of a slot.
    A lost connection is noticed by `ensure()` (called from the slot renewal) and opened again."""

    def __init__(self, db: Database, on_erased: Callable[[int], Any]) -> None:
        self.db = db
        self.on_erased = on_erased
        self._conn: Any = None

    @property
    def listening(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def ensure(self) -> bool:
        """Listen, unless already listening; False on sqlite (no other processes share it)."""
        if not self.db.url:
            return False
        if self.listening:
            return True
        from bot.storage.postgres import _asyncpg  # the clear error when asyncpg is missing

        self._conn = await _asyncpg().connect(self.db.url, timeout=5)
        await self._conn.add_listener(ERASURE_CHANNEL, self._heard)
        return True

    def _heard(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            user_id = int(payload)
        except ValueError:
            log.warning("ignored a malformed erasure notification")
            return
        self.on_erased(user_id)

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await conn.close(timeout=5)
            except Exception:  # noqa: BLE001 - already gone
                log.debug("closing the erasure listener failed", exc_info=True)
