"""Which bot process owns a server: Discord's shard formula, for work that only one process may do.

With `PARLEY_SHARD_COUNT` set, each bot process runs some of the bot's shards (`PARLEY_SHARD_IDS`),
and Discord sends a server's events to one shard only: shard `(guild_id >> 22) % shard_count`
(https://discord.com/developers/docs/topics/gateway#sharding). Work that is not triggered by an
event, such as a daily push, is done by the process owning that shard, so the other processes
do not even try (the database claim of a push still makes it exactly-once if two ever did).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord routes the server's events to."""
    if shard_count < 1:
        raise ValueError("shard_count must be at least 1")
    return (int(guild_id) >> 22) % shard_count


@dataclass(frozen=True)
class ShardSet:
    """The shards one process runs; `owns(guild_id)`. `ShardSet.everything()` owns every server
    (one unsharded process)."""

    shard_count: int = 1
    shard_ids: frozenset[int] = frozenset({0})

    @classmethod
    def of(cls, shard_count: int | None, shard_ids: Iterable[int] | None) -> ShardSet:
        """From a client's `shard_count` / `shard_ids` (None, None: not sharded, owns everything)."""
        if not shard_count or shard_count < 1:
            return cls.everything()
        ids = frozenset(shard_ids) if shard_ids is not None else frozenset(range(shard_count))
        return cls(shard_count, ids)

    @classmethod
    def everything(cls) -> ShardSet:
        return cls(1, frozenset({0}))

    def owns(self, guild_id: int) -> bool:
        return shard_of(guild_id, self.shard_count) in self.shard_ids
