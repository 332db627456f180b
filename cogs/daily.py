"""Daily pushes in Discord: `/daily`, answers in push threads, `/history`, `/stats`, `/leaderboard`, `/prep`.

Thin by design: parse and check, call `DailyService`, render with bot/discord_io/daily_embeds.py
(uploads are sorted by bot/discord_io/attachments.py). The scheduler loop ticks every
30 seconds (and once as soon as the bot is ready, which is how a push missed during downtime
goes out, once).
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.clock import WallClock as Clock
from bot.clock import utc_now
from bot.discord_io.answer_views import AnswerActions
from bot.discord_io.attachments import split_audio
from bot.discord_io.daily_embeds import (
    CHART_FILENAME,
    feedback_embed,
    history_embed,
    leaderboard_embed,
    prep_plan_embed,
    stats_embed,
    when,
)
from bot.discord_io.daily_scheduler import DiscordPushPoster
from bot.discord_io.guards import THREAD_NEEDS, missing_permissions
from bot.limits import RateLimiter
from bot.models import category_label
from bot.practice.answer_uploads import not_audio_text
from bot.practice.daily import PushFailed
from bot.practice.daily_service import AnswerRejected, DailyService, RetryRefused
from bot.practice.prep_plan import PrepPlanError
from bot.progress_chart import render_progress_chart
from bot.schedule import ScheduleError, format_time_local
from bot.storage import privacy
from bot.text_safety import safe_excerpt
from bot.timeline_chart import answer_timeline, has_timeline

if TYPE_CHECKING:
    from bot.discord_io.client import ParleyBot

log = logging.getLogger(__name__)

TICK_SECONDS = 30
TIMELINE_FILENAME = "timeline.png"
NO_MENTIONS = discord.AllowedMentions.none()


def can_manage_server(interaction: discord.Interaction) -> bool:
    perms = getattr(interaction.user, "guild_permissions", None)
    return isinstance(perms, discord.Permissions) and (perms.manage_guild or perms.administrator)


class DailyCog(commands.Cog):
    """Daily question pushes, answers in threads, progress and the prep plan."""

    daily = app_commands.Group(name="daily", description="Daily interview question pushes for this server",
                               guild_only=True, default_permissions=discord.Permissions(manage_guild=True))
    board = app_commands.Group(name="leaderboard", description="The opt-in streak leaderboard", guild_only=True)
    prep = app_commands.Group(name="prep", description="A 7-day plan before your interview", guild_only=True)

    def __init__(self, bot: ParleyBot, *, clock: Clock = utc_now, autostart: bool = True) -> None:
        self.bot = bot
        services = bot.services
        self.settings = services.settings
        self.service = DailyService(services.settings, services.db, services.bank, services.engine, clock=clock)
        self.poster = DiscordPushPoster(bot, services.settings)
        self.answer_limiter = RateLimiter(limit=6, window_s=600.0)
        self._busy: set[tuple[int, int]] = set()
        self._autostart = autostart

    async def cog_load(self) -> None:
        if self._autostart:
            self.push_loop.start()

    async def cog_unload(self) -> None:
        self.push_loop.cancel()

    # ------------------------------------------------------------ the scheduler loop

    @tasks.loop(seconds=TICK_SECONDS)
    async def push_loop(self) -> None:
        try:
            report = await self.service.tick(self.poster, owns=self.poster.owns)
        except Exception:  # noqa: BLE001 - a bad tick must not stop the loop
            log.exception("daily push tick failed")
            return
        for push in report.posted:
            log.info("daily push posted in guild %s for %s", push.guild_id, push.local_date)

    @push_loop.before_loop
    async def _before_push_loop(self) -> None:
        await self.bot.wait_until_ready()

    # ------------------------------------------------------------ /daily

    async def _refuse_without_manage(self, interaction: discord.Interaction) -> bool:
        if can_manage_server(interaction):
            return False
        await interaction.response.send_message(
            "Only members with the **Manage Server** permission can change the daily questions. "
            "Ask a server admin, or use `/prep` and `/stats` for your own practice.",
            ephemeral=True,
        )
        return True

    @daily.command(name="setup", description="Post one question a day in a channel, at a local time")
    @app_commands.describe(
        channel="Where the question goes (each one gets a thread for answers)",
        time="Local time, 24-hour HH:MM, e.g. 09:00",
        timezone="IANA time zone, e.g. America/New_York, Europe/Berlin, Asia/Kolkata",
        categories="Optional, comma separated: coding, fundamentals, system_design, behavioral",
    )
    async def daily_setup(self, interaction: discord.Interaction, channel: discord.TextChannel, time: str,
                          timezone: str, categories: str | None = None) -> None:
        if await self._refuse_without_manage(interaction):
            return
        assert interaction.guild is not None
        missing = missing_permissions(channel, interaction.guild.me, THREAD_NEEDS)
        if missing:
            await interaction.response.send_message(
                f"I can't post the daily question in {channel.mention} yet: I'm missing "
                f"**{', '.join(missing)}** there. Grant those and run `/daily setup` again.", ephemeral=True)
            return
        try:
            schedule = await self.service.setup(interaction.guild.id, channel.id, time, timezone, categories)
        except ScheduleError as e:
            await interaction.response.send_message(str(e), ephemeral=True)
            return
        cats = ", ".join(category_label(c) for c in schedule.categories) or "all categories"
        nxt = await self.service.next_push(interaction.guild.id)
        await interaction.response.send_message(
            f"Daily questions are set: {channel.mention} at **{format_time_local(schedule.time_local)} "
            f"{schedule.timezone_name}**, from {cats}. The next one comes {when(nxt)}. "
            "`/daily now` posts today's right away." + self._unreadable_answers_note(),
            ephemeral=True, allowed_mentions=NO_MENTIONS)

    def _unreadable_answers_note(self) -> str:
        """Said when Parley runs without Discord's Message Content intent (bot/discord_io/runner.py):
        the questions still go out, but answers posted in their threads arrive empty."""
        if self.bot.intents.message_content is not False:
            return ""
        return ("\n**Note:** this Parley runs without Discord's Message Content permission, so I can't read "
                "answers posted in the threads. Whoever runs Parley can enable \"Message Content Intent\" "
                "in the Discord developer portal and restart it.")

    @daily.command(name="pause", description="Stop the daily questions until /daily resume")
    async def daily_pause(self, interaction: discord.Interaction) -> None:
        await self._set_paused(interaction, True)

    @daily.command(name="resume", description="Start the daily questions again")
    async def daily_resume(self, interaction: discord.Interaction) -> None:
        await self._set_paused(interaction, False)

    async def _set_paused(self, interaction: discord.Interaction, paused: bool) -> None:
        if await self._refuse_without_manage(interaction):
            return
        assert interaction.guild is not None
        schedule = await self.service.set_paused(interaction.guild.id, paused)
        if schedule is None:
            text = "This server has no daily questions yet; set them up with `/daily setup`."
        elif paused:
            text = "Daily questions are paused. `/daily resume` starts them again (paused days are not caught up)."
        else:
            text = f"Daily questions are back on. The next one comes {when(await self.service.next_push(interaction.guild.id))}."
        await interaction.response.send_message(text, ephemeral=True)

    @daily.command(name="now", description="Post today's question right away")
    async def daily_now(self, interaction: discord.Interaction) -> None:
        if await self._refuse_without_manage(interaction):
            return
        assert interaction.guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            result = await self.service.push_now(interaction.guild.id, self.poster)
        except ScheduleError as e:
            await interaction.followup.send(str(e), ephemeral=True)
            return
        except PushFailed as e:
            log.warning("daily now failed in guild %s: %s", interaction.guild.id, e)
            tail = (" Daily questions are paused until that is fixed; then run `/daily resume`."
                    if e.permanent else " Please try again in a minute.")
            await interaction.followup.send(f"I couldn't post the question: {e}.{tail}", ephemeral=True)
            return
        push = result.push
        where = f"<#{push.thread_id}>" if push and push.thread_id else (f"<#{push.channel_id}>" if push else "")
        text = (f"Today's question is posted; answers go in {where}." if result.created
                else f"Today's question is already out; answers go in {where}. The next one follows the schedule.")
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    # ------------------------------------------------------------ answers in push threads

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.guild is None or not isinstance(message.channel, discord.Thread):
            return
        push = await self.service.push_for_thread(message.channel.id)
        if push is None:
            return
        await self.handle_answer(message, push)

    async def _reply(self, message: discord.Message, text: str | None = None, **kw: Any) -> None:
        try:
            await message.reply(text, allowed_mentions=NO_MENTIONS, mention_author=False, **kw)
        except discord.HTTPException as e:
            log.warning("could not reply in thread %s (%s)", message.channel.id, getattr(e, "status", e))

    async def _upload_wait(self, user_id: int) -> float:
        """The per-member upload limit (`settings.uploads_per_hour`, shared with every audio path):
        0 when this recording may be downloaded, else seconds until the next one may."""
        uploads = self.bot.command_guard.uploads
        return await uploads.wait(user_id) if uploads is not None else 0.0

    async def handle_answer(self, message: discord.Message, push: Any) -> None:
        audio, others = split_audio(message.attachments)
        text = message.content or ""
        if not audio and not self.service.is_answer_text(text):
            if others:
                await self._reply(message, not_audio_text(others[0].filename))
            return  # short chat in the thread is not an answer
        key = (message.guild.id if message.guild else 0, message.author.id)
        wait = self.answer_limiter.hit(key)
        if wait:
            await self._reply(message, f"That's a lot of answers at once; try again in {wait:.0f} s.")
            return
        if key in self._busy:
            await self._reply(message, "I'm still working on your previous answer; one at a time, please.")
            return
        self._busy.add(key)
        mark = self.bot.rounds.erasure_mark(message.author.id)
        try:
            name = getattr(message.author, "display_name", "") or message.author.name
            if audio:
                att = audio[0]
                self.service.check_upload(att.size, att.duration)  # before any download
                wait = await self._upload_wait(message.author.id)  # counts this upload when allowed
                uploads = self.bot.command_guard.uploads
                if wait and uploads is not None:
                    await self._reply(message, uploads.message(wait))
                    return
                try:
                    data = await att.read()
                except discord.HTTPException:
                    await self._reply(message, "I couldn't download that recording from Discord; please send it again.")
                    return
                result = await self.service.answer_audio(push, message.author.id, name, data, filename=att.filename)
            else:
                result = await self.service.answer_text(push, message.author.id, name, text)
        except AnswerRejected as e:
            await self._reply(message, str(e))
            return
        except Exception:  # noqa: BLE001 - the member gets a short reply, the log gets the trace
            log.exception("daily answer failed in thread %s", message.channel.id)
            await self._reply(message, "Something went wrong while scoring that answer; it has been logged. "
                                       "Please try again in a minute.")
            return
        finally:
            self._busy.discard(key)
        if self.bot.rounds.erased_since(message.author.id, mark):
            # they ran /privacy delete while this answer was scored: it must not outlive that
            await privacy.delete_user(self.bot.services.db, message.author.id)
            return
        view = None
        if result.attempt_id:
            view = AnswerActions(message.author.id, result.attempt_id, result.question,
                                 on_retry=self._retry_handler(result.attempt_id))
        embed = feedback_embed(message.author, result, spoken=bool(audio))
        extra: dict[str, Any] = {"view": view} if view is not None else {}
        transcript = result.transcript
        if transcript is not None and has_timeline(transcript):
            try:  # drawn in a worker thread; a failed picture never costs the member their feedback
                chart = await asyncio.to_thread(answer_timeline, result.question, transcript, result.analysis)
            except Exception:  # noqa: BLE001
                log.exception("could not draw the answer timeline in thread %s", message.channel.id)
            else:
                extra["file"] = discord.File(io.BytesIO(chart.png), filename=TIMELINE_FILENAME)
                embed.set_image(url=f"attachment://{TIMELINE_FILENAME}")
        await self._reply(message, embed=embed, **extra)

    def _retry_handler(self, attempt_id: int):
        """The "Try again" press: arm a retry of `attempt_id` in this thread, or say why not."""

        async def retry(interaction: discord.Interaction) -> None:
            channel_id = interaction.channel.id if interaction.channel is not None else 0
            push = await self.service.push_for_thread(channel_id)
            if push is None:
                await interaction.response.send_message(
                    "This thread no longer belongs to a daily question, so I can't take a retry here.",
                    ephemeral=True)
                return
            try:
                question, earlier = await self.service.begin_retry(push, interaction.user.id, attempt_id)
            except RetryRefused as e:
                await interaction.response.send_message(str(e), ephemeral=True)
                return
            await interaction.response.send_message(
                f"Go again: answer the same question here in this thread, in text or as a voice message, and "
                f"I'll compare it with your earlier answer (score {earlier.score}).\n> "
                + safe_excerpt(question.prompt, 1500), ephemeral=True)

        return retry

    # ------------------------------------------------------------ progress

    @app_commands.command(name="history", description="Your recent answers and scores in this server")
    @app_commands.guild_only()
    async def history(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        p = await self.service.progress(interaction.guild.id, interaction.user.id)
        if not p.attempts:
            await interaction.response.send_message(
                "No answers yet. Reply in today's daily question thread, or run a `/mock` round.", ephemeral=True)
            return
        e = history_embed(p)
        await interaction.response.send_message(embed=e, ephemeral=True)

    @app_commands.command(name="stats", description="A chart of your scores over time and your most frequent flags")
    @app_commands.guild_only()
    async def stats(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        p = await self.service.progress(interaction.guild.id, interaction.user.id)
        if not p.attempts:
            await interaction.followup.send("No answers yet, so nothing to chart. Answer today's question first!",
                                            ephemeral=True)
            return
        title = f"{interaction.user.display_name}: progress"
        chart = await asyncio.to_thread(render_progress_chart, p.attempts, tz=p.tz, title=title)
        e = stats_embed(p, chart)
        await interaction.followup.send(embed=e, file=discord.File(io.BytesIO(chart.png), filename=CHART_FILENAME),
                                        ephemeral=True)

    # ------------------------------------------------------------ leaderboard

    @board.command(name="show", description="Streaks of the members who joined the leaderboard")
    async def board_show(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        entries = await self.service.leaderboard(interaction.guild.id)
        if not entries:
            await interaction.response.send_message(
                "Nobody has joined the leaderboard yet. `/leaderboard join` puts your streak on it.", ephemeral=True)
            return
        e = leaderboard_embed(entries)
        await interaction.response.send_message(embed=e, allowed_mentions=NO_MENTIONS)

    @board.command(name="join", description="Show your streak on this server's leaderboard")
    async def board_join(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        changed = await self.service.set_leaderboard(interaction.guild.id, interaction.user.id, True,
                                                     interaction.user.display_name)
        await interaction.response.send_message(
            "You're on the leaderboard: it shows your display name, streak, answer count and average score "
            "(never transcripts). `/leaderboard leave` takes you off." if changed
            else "You're already on the leaderboard.", ephemeral=True)

    @board.command(name="leave", description="Take yourself off this server's leaderboard")
    async def board_leave(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        changed = await self.service.set_leaderboard(interaction.guild.id, interaction.user.id, False)
        await interaction.response.send_message(
            "You're off the leaderboard." if changed else "You weren't on the leaderboard.", ephemeral=True)

    # ------------------------------------------------------------ prep plan

    @prep.command(name="start", description="Follow a 7-day plan: your daily question follows it")
    @app_commands.describe(interview_date="Optional, YYYY-MM-DD: day 7 lands on the eve of your interview")
    async def prep_start(self, interaction: discord.Interaction, interview_date: str | None = None) -> None:
        assert interaction.guild is not None
        try:
            started = await self.service.start_plan(interaction.guild.id, interaction.user.id,
                                                    interaction.user.display_name, interview_date)
        except PrepPlanError as e:
            await interaction.response.send_message(str(e), ephemeral=True)
            return
        schedule = await self.service.schedule(interaction.guild.id)
        await interaction.response.send_message(embed=prep_plan_embed(started, schedule), ephemeral=True)

    @prep.command(name="stop", description="Stop following the prep plan")
    async def prep_stop(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        stopped = await self.service.stop_plan(interaction.guild.id, interaction.user.id)
        await interaction.response.send_message(
            "Your prep plan is stopped; your daily questions are the server's again." if stopped
            else "You don't have a prep plan running here. `/prep start` begins one.", ephemeral=True)


async def setup(bot: ParleyBot) -> None:
    await bot.add_cog(DailyCog(bot))


__all__ = ["DailyCog", "setup", "can_manage_server"]
