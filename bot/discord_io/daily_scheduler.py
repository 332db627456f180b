"""The Discord side of daily pushes: post the question embed, open its thread, mention plan members.

`DiscordPushPoster.post` is what `DailyService.tick` calls; everything Discord-specific (channel
look-up, permissions, embeds, threads, allowed mentions) stays here.
"""

from __future__ import annotations

import logging
from datetime import date

import discord

from bot.config import Settings
from bot.discord_io.guards import THREAD_NEEDS, missing_permissions
from bot.models import Question, category_label
from bot.practice.daily import Assignment, PlannedPush, PostedPush, PushFailed
from bot.practice.prep_plan import PLAN_DAYS, plan_day
from bot.sharding import ShardSet

log = logging.getLogger(__name__)

EMBED_COLOUR = discord.Colour.from_rgb(59, 111, 216)


def push_embed(question: Question, local_date: date, settings: Settings, *, catch_up: bool = False) -> discord.Embed:
    minutes = settings.max_answer_s / 60
    e = discord.Embed(
        title=f"Question of the day · {category_label(question.category)}",
        description=question.prompt,
        colour=EMBED_COLOUR,
    )
    e.add_field(
        name="How to answer",
        value=(
            "Reply in the thread below, as if you were in the interview: type your answer, or record a "
            f"voice message (up to {minutes:g} min, {settings.max_upload_mb:g} MB). "
            "I'll reply there with feedback on your structure, and on pace and pauses for spoken answers."
        ),
        inline=False,
    )
    if question.hint:
        e.add_field(name="Hint", value=question.hint[:1024], inline=False)
    note = "Answers are transcribed and scored; audio is never kept. "
    if catch_up:
        note += "Posted late: I was offline at the scheduled time. "
    e.set_footer(text=f"{note}{local_date.isoformat()} · {question.difficulty} · {question.id}")
    return e


def thread_name(question: Question, local_date: date) -> str:
    base = f"Answers {local_date.isoformat()} · {category_label(question.category)}"
    return base[:100]


def assignment_text(a: Assignment) -> str:
    pd = plan_day(a.plan_day)
    lines = [
        f"<@{a.user_id}> **Prep plan, day {a.plan_day} of {PLAN_DAYS}: {pd.title}.** {pd.task}",
        f"Your own question today ({category_label(a.question.category)}): {a.question.prompt}",
        *([f"Why this one: {a.why}"] if a.why else []),
        "Answer it here, in text or as a voice message; I'll score it against your question.",
    ]
    if pd.mock:
        lines.append("Today is mock day: run a full `/mock` round in a voice channel too.")
    if a.final_day:
        lines.append("This is the last day of your plan. Rest well, and good luck in the interview!")
    return "\n".join(lines)[:2000]


class DiscordPushPoster:
    """Posts a `PlannedPush`; raises `PushFailed` (permanent when retrying cannot help)."""

    def __init__(self, client: discord.Client, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    def owns(self, guild_id: int) -> bool:
        """Does this process schedule the server's pushes? Only the process running the server's
        shard does (bot/sharding.py; the shards the client was started with, PARLEY_SHARD_COUNT and
        PARLEY_SHARD_IDS); an unsharded bot owns every server."""
        return ShardSet.of(self.settings.shard_count, self.settings.shards).owns(guild_id)

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.client.fetch_channel(channel_id)
            except (discord.NotFound, discord.Forbidden):
                raise PushFailed(f"channel {channel_id} is gone or hidden from me", permanent=True) from None
            except discord.HTTPException as e:
                raise PushFailed(f"could not look up channel {channel_id}: {e.status}") from None
        if not isinstance(channel, discord.TextChannel):
            raise PushFailed(f"channel {channel_id} is not a text channel", permanent=True)
        return channel

    async def post(self, push: PlannedPush) -> PostedPush:
        channel = await self._channel(push.channel_id)
        assert isinstance(channel, discord.TextChannel)
        missing = missing_permissions(channel, channel.guild.me, THREAD_NEEDS)  # names as Discord shows them
        if missing:
            raise PushFailed(f"missing permissions in #{channel.name}: {', '.join(missing)}", permanent=True)
        try:
            message = await channel.send(
                embed=push_embed(push.question, push.local_date, self.settings, catch_up=push.catch_up),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.Forbidden:
            raise PushFailed(f"not allowed to post in #{channel.name}", permanent=True) from None
        except discord.HTTPException as e:
            raise PushFailed(f"posting failed ({e.status})") from None
        thread_id: int | None = None
        try:
            thread = await message.create_thread(name=thread_name(push.question, push.local_date),
                                                 auto_archive_duration=1440)
            thread_id = thread.id
            for a in push.assignments:
                await thread.send(assignment_text(a),
                                  allowed_mentions=discord.AllowedMentions(users=[discord.Object(a.user_id)],
                                                                           everyone=False, roles=False))
        except Exception as e:  # noqa: BLE001 - the question is out: never let a retry post it twice
            # without a thread, answers cannot be routed; say so in the log
            log.warning("daily push in guild %s: thread or plan mentions failed (%s)", push.guild_id,
                        getattr(e, "status", type(e).__name__))
        return PostedPush(message_id=message.id, thread_id=thread_id)
