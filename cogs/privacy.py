"""/privacy: what Parley stores about you, a copy of it, erasure, audio opt-in and consent.

Every reply is ephemeral: only the member who asked sees their data. The logic lives in
`bot.storage.privacy` and `bot.practice.audio_retention`; this cog parses, confirms, renders.
Erasure first makes every running round and group forget the member (`VoiceSlots.erase_member`;
with a shared database it also calls `bot.storage.shared.forget_member`, so their rate-limit counts
and slots are cleared for every bot process at once), so nothing still running writes them back,
then deletes their rows, then the messages Parley posted for them where it still can
(bot/discord_io/posted_messages.py).
"""

from __future__ import annotations

import gzip
import io
import json
import logging
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.discord_io.consent_view import consent_notice_embed, ensure_consent
from bot.discord_io.member_views import MemberOnlyView, disable_view
from bot.discord_io.posted_messages import remove_posted_for
from bot.discord_io.stale_components import parley_id
from bot.practice.audio_retention import AudioRetention
from bot.storage import privacy

if TYPE_CHECKING:  # pragma: no cover
    from bot.discord_io.client import ParleyBot

log = logging.getLogger(__name__)

INFO_COLOUR = discord.Colour.blurple()
DANGER_COLOUR = discord.Colour.red()
EXPORT_GZIP_OVER = 8 * 1024 * 1024  # bytes: bigger exports are sent gzip-compressed

# storage table → words shown to the member
KIND_LABELS: dict[str, str] = {
    "attempts": "answers (transcripts, scores, feedback)",
    "ratings_given": "ratings you gave",
    "ratings_received": "ratings on your answers",
    "session_members": "rounds and groups you took part in",
    "sessions": "rounds you started",
    "consents": "servers where you accepted the recording notice",
    "user_settings": "settings",
    "audio_files": "kept recordings",
    "prep_plans": "prep plans",
    "daily_assignments": "daily questions picked for you",
    "leaderboard_members": "leaderboards you joined",
    "profiles": "target role and pasted job description (/profile)",
    "attempt_retries": "retries linked to your earlier answers",
    "users": "profile (your id and display name)",
    "session_summaries": "summaries of groups that still name you",
}


def display_names(user: Any) -> tuple[str, ...]:
    """The member's names as Discord shows them now (a legacy summary may name them by one)."""
    names = (getattr(user, a, None) for a in ("display_name", "global_name", "name"))
    return tuple(dict.fromkeys(n for n in names if isinstance(n, str) and n))


def describe_counts(counts: dict[str, int]) -> str:
    lines = [f"• {n} {KIND_LABELS.get(kind, kind.replace('_', ' '))}" for kind, n in counts.items() if n]
    return "\n".join(lines) or "Nothing."


class DeleteConfirmView(MemberOnlyView):
    """Erase / Keep for one member; both buttons are disabled after a press or on timeout."""

    not_yours_text = "Only the member who asked can confirm this."

    def __init__(self, cog: PrivacyCog, user_id: int, *, timeout: float = 60.0) -> None:
        super().__init__(user_id, timeout=timeout)
        self.cog = cog
        self.origin: discord.Interaction | None = None
        self.report: privacy.DeletionReport | None = None
        self.finished = False

    def _disable_all(self) -> None:
        disable_view(self)
        self.finished = True

    @discord.ui.button(label="Erase everything", style=discord.ButtonStyle.danger,
                       custom_id=parley_id("privacy", "erase"))
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        if self.finished:
            return
        self._disable_all()
        # the message edit comes after the erasure and the message search, which can take a while
        await interaction.response.defer()
        bot, db, uid = self.cog.bot, self.cog.db, self.user_id
        threads = await privacy.daily_threads_of(db, uid)  # read before the answers pointing there go
        # nothing still running may write them back; with a shared database every process forgets them too
        stopped = await bot.rounds.erase_member(uid)
        try:
            self.report = await privacy.delete_user(db, uid, audio_dir=bot.settings.audio_dir,
                                                    names=display_names(interaction.user))
        except Exception:
            log.exception("erasing a member's data failed (rolled back)")
            await interaction.edit_original_response(
                content="Something went wrong on my side and nothing was deleted. Please try again later."
                        + (" Your running round or group was stopped." if stopped else ""),
                embed=None, view=self)
            return
        removal = await remove_posted_for(bot, uid, threads)
        r = self.report
        text = (f"Done: erased {r.total_rows} stored item{'s' if r.total_rows != 1 else ''}"
                + (f" and {r.files_removed} recording{'s' if r.files_removed != 1 else ''}" if r.files_removed else "")
                + ". Parley keeps nothing about you now; your next round starts from a clean slate."
                + (" You left the round or group you were in." if stopped else ""))
        if removal.sentence():
            text += "\n" + removal.sentence()
        embed = discord.Embed(title="Your data was erased", description=describe_counts(r.counts),
                              colour=DANGER_COLOUR)
        await interaction.edit_original_response(content=text, embed=embed, view=self)

    @discord.ui.button(label="Keep my data", style=discord.ButtonStyle.secondary,
                       custom_id=parley_id("privacy", "keep"))
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self._disable_all()
        await interaction.response.edit_message(content="Nothing was deleted.", embed=None, view=self)

    async def on_timeout(self) -> None:
        if self.finished:
            return
        self._disable_all()
        if self.origin is not None:
            try:
                await self.origin.edit_original_response(
                    content="No answer in time, so nothing was deleted. Run `/privacy delete` again if you want to.",
                    embed=None, view=self)
            except discord.HTTPException:
                log.debug("could not disable a timed-out delete prompt")


class PrivacyCog(commands.Cog):
    privacy = app_commands.Group(name="privacy", description="What Parley stores about you, and your control over it")

    def __init__(self, bot: ParleyBot) -> None:
        self.bot = bot
        self.retention = AudioRetention(bot.settings, bot.services.db)

    @property
    def db(self) -> Any:
        return self.bot.services.db

    async def cog_load(self) -> None:
        self.purge_audio.start()

    async def cog_unload(self) -> None:
        self.purge_audio.cancel()

    @tasks.loop(hours=1)
    async def purge_audio(self) -> None:
        """Expired recordings go within the hour; also runs once at start-up."""
        try:
            await self.retention.purge_expired()
        except Exception:
            log.exception("could not purge expired recordings")

    # ------------------------------------------------------------------ commands

    @privacy.command(name="show", description="See what Parley stores about you")
    async def show(self, interaction: discord.Interaction) -> None:
        uid = interaction.user.id
        counts = await privacy.stored_counts(self.db, uid, names=display_names(interaction.user))
        prefs = await privacy.get_settings(self.db, uid)
        days = self.bot.settings.keep_audio_days
        e = discord.Embed(title="What Parley stores about you", colour=INFO_COLOUR,
                          description=describe_counts(counts) if counts else
                          "Nothing at all: you have no answers, ratings or settings stored.")
        e.add_field(
            name="Recordings",
            value=(f"Kept for {days} day{'s' if days != 1 else ''}, then deleted (you opted in). "
                   "`/privacy audio off` stops it and deletes them now."
                   if prefs.keep_audio else
                   "Not kept: your voice is transcribed and then discarded. `/privacy audio on` to keep them."),
            inline=False)
        if interaction.guild is not None:
            accepted = await privacy.has_consented(self.db, uid, interaction.guild.id)
            e.add_field(name="Recording notice in this server",
                        value="Accepted." if accepted else "Not accepted yet (you'll see it before any round).",
                        inline=False)
        e.set_footer(text="/privacy export sends you a copy · /privacy delete erases everything")
        await interaction.response.send_message(embed=e, ephemeral=True)

    @privacy.command(name="export", description="Get a copy of everything Parley stores about you (JSON)")
    async def export(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await privacy.export_user(self.db, interaction.user.id, names=display_names(interaction.user))
        raw = json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
        name = f"parley-data-{interaction.user.id}.json"
        if len(raw) > EXPORT_GZIP_OVER:
            raw, name = gzip.compress(raw), name + ".gz"
        total = sum(data["counts"].values())
        await interaction.followup.send(
            f"Here is everything Parley stores about you ({total} item{'s' if total != 1 else ''}). "
            "Only you can see this message.",
            file=discord.File(io.BytesIO(raw), filename=name), ephemeral=True)

    @privacy.command(name="delete", description="Erase everything Parley stores about you, in every server")
    async def delete(self, interaction: discord.Interaction) -> None:
        uid = interaction.user.id
        counts = await privacy.stored_counts(self.db, uid, names=display_names(interaction.user))
        if not counts:
            await interaction.response.send_message("There's nothing stored about you, so there's nothing to erase.",
                                                    ephemeral=True)
            return
        view = DeleteConfirmView(self, uid)
        e = discord.Embed(
            title="Erase all your Parley data?", colour=DANGER_COLOUR,
            description=("This removes, in every server, for good:\n" + describe_counts(counts)
                         + "\n\nYour streaks and history go with it. This can't be undone; "
                           "`/privacy export` first if you want a copy."))
        await interaction.response.send_message(embed=e, view=view, ephemeral=True)
        view.origin = interaction

    @privacy.command(name="audio", description="Keep your raw recordings for a few days (off by default)")
    @app_commands.describe(setting="on: keep recordings for the retention period; off: keep none")
    async def audio(self, interaction: discord.Interaction, setting: Literal["on", "off"]) -> None:
        uid = interaction.user.id
        days = self.bot.settings.keep_audio_days
        if setting == "on":
            if days <= 0:
                await interaction.response.send_message(
                    "Keeping recordings is switched off on this Parley instance, so nothing will be kept.",
                    ephemeral=True)
                return
            await privacy.set_keep_audio(self.db, uid, True, getattr(interaction.user, "display_name", ""))
            text = (f"Recordings of your answers will be kept for {days} day{'s' if days != 1 else ''}, "
                    "then deleted automatically. `/privacy audio off` stops this at any time.")
        else:
            await privacy.set_keep_audio(self.db, uid, False)
            removed = await privacy.delete_kept_audio(self.db, uid, audio_dir=self.bot.settings.audio_dir)
            text = "Recordings are no longer kept." + (
                f" {removed} kept recording{'s were' if removed != 1 else ' was'} deleted now." if removed else "")
        await interaction.response.send_message(text, ephemeral=True)

    @privacy.command(name="consent", description="Read the recording notice, and accept it for this server")
    @app_commands.guild_only()
    async def consent(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        if await privacy.has_consented(self.db, interaction.user.id, interaction.guild.id):
            await interaction.response.send_message(
                embed=consent_notice_embed(self.bot.settings, footer="You have accepted this in this server."),
                ephemeral=True)
            return
        await ensure_consent(interaction, self.bot.services)


async def setup(bot: ParleyBot) -> None:
    await bot.add_cog(PrivacyCog(bot))
