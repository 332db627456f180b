"""Removing what Parley itself posted for a member, when they erase their data (/privacy delete).

The database holds no message ids, so the places are searched: the member's direct messages with
the bot (every message Parley sent there was for them: private round feedback) and the daily
push threads they answered in (Parley's feedback is a reply to their answer there). Only Parley's
own messages are deleted, never anyone else's. What can't be reached (DMs closed, a thread
Parley can no longer read, a message Discord refused to delete) is reported in plain words, so the
member knows what is left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import discord

log = logging.getLogger(__name__)

SCAN_LIMIT = 300  # messages read per place (Discord pages by 100)


@dataclass
class RemovalReport:
    removed: int = 0
    not_removed: list[str] = field(default_factory=list)  # places, in the member's words

    def sentence(self) -> str:
        """What happened, for the member."""
        parts = []
        if self.removed:
            parts.append(f"I also deleted {self.removed} message{'s' if self.removed != 1 else ''} I had "
                         "posted for you (feedback in direct messages and daily threads).")
        if self.not_removed:
            parts.append("I could not remove my messages in: " + "; ".join(self.not_removed)
                         + ". Delete them yourself there, or ask a server admin.")
        return " ".join(parts)


def _replies_to(message: discord.Message, user_id: int) -> bool:
    ref = message.reference
    resolved = ref.resolved if ref is not None else None
    return isinstance(resolved, discord.Message) and resolved.author.id == user_id


async def _delete_own(channel: Any, me_id: int, wanted: Callable[[discord.Message], bool],
                      report: RemovalReport, where: str) -> None:
    """Delete our own messages in `channel` that `wanted` picks (the newest SCAN_LIMIT are read)."""
    failed = 0
    async for message in channel.history(limit=SCAN_LIMIT):
        if message.author.id != me_id or not wanted(message):
            continue
        try:
            await message.delete()
            report.removed += 1
        except discord.NotFound:
            pass  # already gone
        except discord.HTTPException as e:
            log.info("could not delete a message of ours in %s: %s", where, getattr(e, "status", e))
            failed += 1
    if failed:
        report.not_removed.append(f"{where} ({failed} message{'s' if failed != 1 else ''})")


async def remove_posted_for(client: discord.Client, user_id: int, thread_ids: Iterable[int]) -> RemovalReport:
    """Delete Parley's own messages for the member in their DMs and in `thread_ids`; never raises."""
    report = RemovalReport()
    me = client.user
    if me is None:
        report.not_removed.append("direct messages and daily threads (I'm not connected to Discord)")
        return report
    try:
        user = client.get_user(user_id) or await client.fetch_user(user_id)
        dm = user.dm_channel or await user.create_dm()
        await _delete_own(dm, me.id, lambda m: True, report, "our direct messages")
    except Exception as e:  # an erasure that already succeeded must not fail on a message search
        log.info("could not read the DMs of an erasing member: %s", getattr(e, "status", e),
                 exc_info=not isinstance(e, discord.HTTPException))
        report.not_removed.append("our direct messages (Discord didn't let me read them)")
    for thread_id in thread_ids:
        where = f"<#{thread_id}>"
        try:
            thread = client.get_channel(thread_id) or await client.fetch_channel(thread_id)
            await _delete_own(thread, me.id, lambda m: _replies_to(m, user_id), report, where)
        except discord.NotFound:
            continue  # the thread is gone, and my messages with it
        except Exception as e:
            log.info("could not read daily thread %s: %s", thread_id, getattr(e, "status", e),
                     exc_info=not isinstance(e, discord.HTTPException))
            report.not_removed.append(f"{where} (I can't read that thread any more)")
    return report
