"""`/group`: peer practice groups in a voice channel.

The cog parses the commands, checks permissions and hands each group to a `GroupRun`
(bot/discord_io/group_io.py), which renders the group's events (bot/discord_io/group_embeds.py,
bot/discord_io/group_views.py) and routes each member's voice to the session. The group logic
itself lives in `bot.practice.group.GroupSession`; nothing here decides turns, timers or scores.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_io.consent_view import ensure_consent
from bot.discord_io.group_embeds import lobby_embed
from bot.discord_io.group_io import GroupRun
from bot.discord_io.guards import VOICE_NEEDS, cannot_run_here, missing_permissions
from bot.discord_io.replies import send_private
from bot.models import CATEGORIES, category_label
from bot.practice.group import GroupConfig, GroupSession
from bot.practice.group.checks import end_refusal
from bot.practice.rounds_registry import KIND_GROUP, RoundAlreadyRunning, RoundsRegistry, TooBusy, VoiceSlots
from bot.storage.group import GroupStore

if TYPE_CHECKING:
    from bot.discord_io.client import ParleyBot

log = logging.getLogger(__name__)


class GroupCog(commands.Cog):
    group = app_commands.Group(name="group", description="Practise interview answers with peers in voice",
                               guild_only=True)

    def __init__(self, bot: ParleyBot) -> None:
        self.bot = bot
        self.runs: dict[int, GroupRun] = {}
        shared = getattr(bot, "rounds", None)  # one voice session per server, shared with /mock
        self.registry: VoiceSlots = shared if isinstance(shared, RoundsRegistry) \
            else RoundsRegistry(bot.services.settings)

    def _forget(self, run: GroupRun) -> None:
        self.runs.pop(run.guild.id, None)

    async def cog_unload(self) -> None:
        for run in list(self.runs.values()):
            await run.session.end("the bot is shutting down")

    @group.command(name="start", description="Start a peer practice group in your voice channel")
    @app_commands.describe(category="Question category (default: any)", rounds="How many rounds (1-5)",
                           pushback="Challenge each answer's decision aloud and judge how the reply holds up")
    @app_commands.choices(category=[app_commands.Choice(name=category_label(c), value=c) for c in CATEGORIES])
    async def start(self, interaction: discord.Interaction, category: app_commands.Choice[str] | None = None,
                    rounds: app_commands.Range[int, 1, 5] = 1, pushback: bool = False) -> None:
        guild = interaction.guild
        user = interaction.user
        if guild is None:
            await send_private(interaction, "Groups run in a server's voice channel, not in DMs.")
            return
        voice = getattr(user, "voice", None)
        channel = voice.channel if voice is not None else None
        if channel is None:
            await send_private(interaction, "Join a voice channel first, then run /group start there.")
            return
        missing = missing_permissions(channel, guild.me, VOICE_NEEDS)
        if missing:
            await send_private(interaction, cannot_run_here("a group", channel, missing))
            return
        cat = category.value if category is not None else None
        services = self.bot.services
        if cat is not None and cat not in services.bank.categories():
            await send_private(interaction, f"The question bank has no {category_label(cat).lower()} questions yet; "
                               "pick another category.")
            return
        # The starter joins at once, so they accept the notice first, like everyone pressing Join.
        if not await ensure_consent(interaction, services):
            await send_private(interaction, "No group started: I only listen to members who accepted the privacy "
                               "notice. Run /group start again whenever you're ready.")
            return
        try:
            claim = await self.registry.claim(guild.id, user.id, channel_id=channel.id, kind=KIND_GROUP)
        except (RoundAlreadyRunning, TooBusy) as e:  # the message names what holds the slot
            await send_private(interaction, str(e))
            return
        if not interaction.response.is_done():  # the consent prompt may have answered it
            await interaction.response.defer(thinking=True)
        settings = services.settings
        session = GroupSession(
            services.engine, guild_id=guild.id, channel_id=channel.id, owner_id=user.id,
            config=GroupConfig(rounds=int(rounds), category=cat, end_silence_s=settings.end_silence_s,
                               pushback=pushback),
            store=GroupStore(services.db),
        )
        run = GroupRun(services, self.registry, claim, guild, channel, interaction.channel, session,
                       on_closed=self._forget)
        try:
            await session.open()
            await session.join(user.id, getattr(user, "display_name", "") or user.name)
            self.registry.attach(claim, run)
            self.runs[guild.id] = run
            await run.connect()
        except (TimeoutError, discord.ClientException, discord.HTTPException) as e:
            log.warning("group start in guild %s failed to join voice: %s", guild.id, e)
            self.runs.pop(guild.id, None)
            await self.registry.release(claim)
            run.abandon()
            await session.end("could not join voice")
            await interaction.followup.send(
                f"I couldn't join {channel.mention}. Check my permissions there and try again.", ephemeral=True)
            return
        except BaseException:
            self.runs.pop(guild.id, None)
            await self.registry.release(claim)
            raise
        run.lobby_message = await interaction.followup.send(embed=lobby_embed(session), view=run.lobby_view, wait=True)

    @group.command(name="leave", description="Leave the peer group you're in")
    async def leave(self, interaction: discord.Interaction) -> None:
        run = await self._run_here(interaction)
        if run is not None:
            await run.leave(interaction)

    @group.command(name="end", description="End the peer group and post its summary")
    async def end(self, interaction: discord.Interaction) -> None:
        run = await self._run_here(interaction)
        if run is None:
            return
        user = interaction.user
        perms = getattr(user, "guild_permissions", None)
        refusal = end_refusal(run.session, user.id, manages_server=perms is not None and perms.manage_guild)
        if refusal:
            await send_private(interaction, refusal)
            return
        await send_private(interaction, "Ending the group; the summary follows in a moment.")
        await run.session.end("ended", by=user.id)  # an id: names are rendered when shown, never stored

    async def _run_here(self, interaction: discord.Interaction) -> GroupRun | None:
        """This server's group, or None after telling the user there is none."""
        run = self.runs.get(interaction.guild_id or 0)
        if run is None:
            await send_private(interaction, "There's no group running in this server.")
        return run

    @commands.Cog.listener()
    async def on_voice_state_update(self, member: discord.Member, before: discord.VoiceState,
                                    after: discord.VoiceState) -> None:
        run = self.runs.get(member.guild.id)
        if run is None:
            return
        me = self.bot.user
        was_here = before.channel is not None and before.channel.id == run.voice_channel.id
        still_here = after.channel is not None and after.channel.id == run.voice_channel.id
        if me is not None and member.id == me.id:
            if was_here and not still_here:
                # our own VOICE_STATE_UPDATE without this channel: a moderator (or Discord) took us
                # out (voice close 4014). End the group; never pull ourselves back in.
                await run.removed_from_voice(moved=after.channel is not None)
            return
        if was_here and not still_here and run.session.is_member(member.id):
            # the answerer disconnecting mid-answer: what they said is kept and analysed
            await run.member_gone(member.id)


async def setup(bot: ParleyBot) -> None:
    await bot.add_cog(GroupCog(bot))
