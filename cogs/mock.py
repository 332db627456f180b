"""`/mock start` and `/mock stop`: spoken mock rounds in the caller's voice channel.

Thin on purpose: parse and validate the command, check permissions, claim a slot, join voice,
then hand over to `bot.practice.round.MockRound` (the logic) through `DiscordRoundIO`
(the Discord rendering). Voice state changes map onto the round's `user_left()` /
`disconnected()`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.ext.voice_recv import VoiceRecvClient

from bot.bank import NoMatchingQuestion, UnknownQuestion
from bot.discord_io.guards import VOICE_NEEDS, cannot_run_here, join_list, missing_from, missing_permissions
from bot.discord_io.replies import send_private
from bot.discord_io.round_io import DiscordRoundIO
from bot.models import CATEGORIES, DIFFICULTIES, Question, category_label
from bot.practice.profile import role_needs
from bot.practice.round import MockRound
from bot.practice.round.extras import PracticeExtras
from bot.practice.rounds_registry import KIND_MOCK, Claim, RoundAlreadyRunning, TooBusy, VoiceSlots
from bot.practice.tailoring import make_picker
from bot.storage.attempts import get_attempt
from bot.storage.privacy import ConsentStore
from bot.storage.retries import link_retry

if TYPE_CHECKING:  # pragma: no cover
    from bot.discord_io.client import ParleyBot

log = logging.getLogger(__name__)

VOICE_CONNECT_TIMEOUT_S = 20.0
# In the text channel the command came from: the consent notice, the cards, the feedback file.
REQUIRED_TEXT_PERMISSIONS: tuple[str, ...] = ("send_messages", "embed_links", "attach_files")


@dataclass(eq=False)
class ActiveRound:
    claim: Claim
    round: MockRound
    io: DiscordRoundIO
    user_id: int
    channel_id: int
    task: asyncio.Task[Any] | None = None


class MockCog(commands.Cog):
    """Spoken mock interview rounds."""

    mock = app_commands.Group(name="mock", description="Spoken mock interview rounds in voice",
                              guild_only=True)

    def __init__(self, bot: ParleyBot, *, consent: ConsentStore | None = None) -> None:
        self.bot = bot
        self.services = bot.services
        self.registry: VoiceSlots = bot.rounds
        # Acceptance is remembered per server in the consents table (shared with /privacy).
        self.consent = consent if consent is not None else ConsentStore(bot.services.db)
        self.active: dict[int, ActiveRound] = {}  # guild id → its mock round

    # ---- /mock start -------------------------------------------------------------------------
    @mock.command(name="start", description="Start a spoken mock round in your voice channel")
    @app_commands.describe(
        category="Kind of questions (default: any)",
        difficulty="How hard (default: any)",
        question="A specific question id to start with (type to search)",
        private="Send the final feedback to you by direct message instead of this channel",
        pushback="Challenge your decisions with a counter-argument, as a tough interviewer would",
        your_questions="At the end, ask the interviewer your own questions and get feedback on them (on by default)",
    )
    @app_commands.choices(
        category=[app_commands.Choice(name=category_label(c), value=c) for c in CATEGORIES],
        difficulty=[app_commands.Choice(name=d.capitalize(), value=d) for d in DIFFICULTIES],
    )
    async def start(
        self,
        interaction: discord.Interaction,
        category: app_commands.Choice[str] | None = None,
        difficulty: app_commands.Choice[str] | None = None,
        question: str | None = None,
        private: bool = False,
        pushback: bool = False,
        your_questions: bool = True,
    ) -> None:
        where = await self._where(interaction)
        if where is None:
            return
        cat = category.value if category else None
        diff = difficulty.value if difficulty else None
        bank = self.services.bank
        first: Question | None = None
        try:
            if question:
                first = bank.get(question)
            else:
                bank.pick(cat, diff)  # only checks that the filters match something; the picker chooses
        except UnknownQuestion as e:
            await self._private(interaction, f"I don't know that question: {e}. "
                                             "Pick one from the suggestions while typing.")
            return
        except NoMatchingQuestion as e:
            await self._private(interaction, f"No question matches: {e}.")
            return
        await self._launch(interaction, where, first=first, cat=cat, diff=diff, private=private,
                           extras=(PracticeExtras(pushback=pushback, own_questions=your_questions)
                                   if pushback or your_questions else None))

    async def _launch(self, interaction: discord.Interaction, where: tuple[discord.Guild, discord.Member, Any], *,
                      first: Question | None, cat: str | None, diff: str | None, private: bool,
                      extras: PracticeExtras | None, questions: int | None = None) -> None:
        """Claim the slot, join voice and run the round (`questions`: how many, default the setting)."""
        guild, member, channel = where
        bank = self.services.bank
        try:  # a peer group holds the same slot; the refusal names what is running
            claim = await self.registry.claim(guild.id, member.id, channel_id=channel.id, kind=KIND_MOCK)
        except (RoundAlreadyRunning, TooBusy) as e:
            await self._private(interaction, str(e))
            return
        if guild.voice_client is not None and guild.id not in self.active:
            await self.registry.release(claim)
            await self._private(interaction, "I'm already in a voice channel in this server for something "
                                             "else. Try again when that's finished.")
            return

        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
            vc = await channel.connect(cls=VoiceRecvClient, timeout=VOICE_CONNECT_TIMEOUT_S,
                                       self_deaf=False)
        except (TimeoutError, discord.ClientException, discord.HTTPException, OSError) as e:
            await self.registry.release(claim)
            log.warning("could not join voice channel %s: %s", channel.id, e)
            await self._private(interaction, f"I couldn't join {channel.mention} (Discord didn't let me "
                                             "connect in time). Please try again in a moment.")
            return
        except BaseException:
            await self.registry.release(claim)
            raise

        settings = self.services.settings
        if questions is not None:
            settings = settings.with_(questions_per_round=questions)
        text_channel = interaction.channel
        assert isinstance(text_channel, discord.abc.Messageable)  # the command is guild-only: a guild channel
        io = DiscordRoundIO(
            voice_client=vc, channel=text_channel, member=member, speaker=self.services.speaker,
            consent=self.consent, private_feedback=private,
        )
        io.on_retry = self._retry_pressed
        try:
            needs = await role_needs(self.services.db, member.id)
        except Exception:  # noqa: BLE001 - a profile that can't be read means an untailored round, not none
            log.warning("could not read the profile of %s; picking at random", member.id, exc_info=True)
            needs = None
        if needs is not None and needs.domains:  # follow-ups can then speak to the member's domain
            extras = extras or PracticeExtras(own_questions=False)
            extras.needs = needs
        round_ = MockRound(
            self.services.engine, io, user_id=member.id, user_name=member.display_name,
            guild_id=guild.id, channel_id=channel.id,
            questions=make_picker(bank, first, cat, diff, needs=needs, reasons=io.reasons), settings=settings,
            speaker=self.services.speaker, extras=extras,
        )
        if extras is not None:
            extras.bind(round_)
        io.bind(round_)
        self.registry.attach(claim, round_)
        active = ActiveRound(claim=claim, round=round_, io=io, user_id=member.id, channel_id=channel.id)
        self.active[guild.id] = active
        active.task = asyncio.create_task(self._run(guild.id, active), name=f"mock-round-{guild.id}")
        await self._private(
            interaction,
            f"I've joined {channel.mention}. Read the recording notice I just posted and press "
            "**Start recording** to hear your first question."
            + (" Your feedback will come by direct message." if private else ""))

    async def _retry_pressed(self, interaction: discord.Interaction, answer: Any) -> None:
        """"Try question N again" under a round's feedback: a one-question round with the same
        question, whose feedback compares with the earlier answer."""
        question: Question = answer.question
        if question.id not in self.services.bank:
            await self._private(interaction, f"The question you answered ({question.id}) has been taken out of "
                                             "the question bank since, so I can't ask it again. Your earlier "
                                             "answer stays in /history.")
            return
        earlier = await get_attempt(self.services.db, answer.attempt_id) if answer.attempt_id else None
        if earlier is None or earlier.user_id != interaction.user.id:
            await self._private(interaction, "That answer isn't stored any more (it may have been erased), so "
                                             "there is nothing to compare a new one with. Start a fresh round "
                                             "with `/mock start`.")
            return
        where = await self._where(interaction)
        if where is None:
            return
        extras = PracticeExtras(own_questions=False, retry_of=earlier,
                                analyze_text=self.services.engine.analyze_text)
        await self._launch(interaction, where, first=self.services.bank.get(question.id), cat=None, diff=None,
                           private=False, extras=extras, questions=1)

    async def _where(self, interaction: discord.Interaction) -> tuple[discord.Guild, discord.Member, Any] | None:
        """The server, member and voice channel for a round, or None after telling them why not."""
        guild, member = interaction.guild, interaction.user
        if guild is None or not isinstance(member, discord.Member):
            await self._private(interaction, "Mock rounds run in a server's voice channel, not in DMs.")
            return None
        voice = member.voice
        channel = voice.channel if voice is not None else None
        if channel is None:
            await self._private(
                interaction,
                "Join a voice channel first, then run `/mock start` again: I'll join you there.")
            return None
        missing = missing_permissions(channel, guild.me, VOICE_NEEDS)
        if missing:
            await self._private(interaction, cannot_run_here("a round", channel, missing))
            return None
        app_perms = interaction.app_permissions
        missing_text = missing_from(app_perms, REQUIRED_TEXT_PERMISSIONS)
        if missing_text:
            plural = "permission" if len(missing_text) == 1 else "permissions"
            await self._private(
                interaction,
                f"I can't post the round's messages here: I'm missing the **{join_list(missing_text)}** "
                f"{plural} in this channel. Run the command in a channel where I have them, or ask an admin.")
            return None
        return guild, member, channel

    @start.autocomplete("question")
    async def _question_autocomplete(self, interaction: discord.Interaction,
                                     current: str) -> list[app_commands.Choice[str]]:
        wanted = current.strip().lower()
        ns_cat = getattr(interaction.namespace, "category", None)
        cat = getattr(ns_cat, "value", ns_cat)
        out: list[app_commands.Choice[str]] = []
        for q in self.services.bank.questions:
            if cat and q.category != cat:
                continue
            if wanted and wanted not in q.id and wanted not in q.prompt.lower():
                continue
            out.append(app_commands.Choice(name=f"{q.id} ({q.difficulty})"[:100], value=q.id))
            if len(out) == 25:
                break
        return out

    async def _run(self, guild_id: int, active: ActiveRound) -> None:
        try:
            summary = await active.round.run()
            await self._link_retry(active.round, summary)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("mock round in guild %s crashed", guild_id)
        finally:
            await self.registry.release(active.claim)
            if self.active.get(guild_id) is active:
                del self.active[guild_id]
            vc = active.io.voice_client
            # round_closed normally left already (is_connected() is False from the moment a leave
            # starts), so this only runs when the round crashed before leaving: one leave, never two.
            if vc.is_connected():
                try:
                    await vc.disconnect(force=True)
                except Exception:
                    log.debug("disconnect after the round failed", exc_info=True)

    async def _link_retry(self, round_: MockRound, summary: Any) -> None:
        """Record which stored answer a "Try again" round retried, for /history and /stats."""
        earlier = getattr(round_.extras, "retry_of", None)
        retry = summary.extras.get("retry")
        if earlier is None or not retry or not retry.get("attempt_id"):
            return
        try:
            await link_retry(self.services.db, retry["attempt_id"], earlier.id, round_.user_id)
        except Exception:  # noqa: BLE001 - the answer is stored; only the link is lost
            log.warning("could not link retry attempt %s", retry["attempt_id"], exc_info=True)

    # ---- /mock stop --------------------------------------------------------------------------
    @mock.command(name="stop", description="End the mock round running in this server")
    async def stop(self, interaction: discord.Interaction) -> None:
        guild, member = interaction.guild, interaction.user
        active = self.active.get(guild.id) if guild is not None else None
        if active is None:
            await self._private(interaction, "No mock round is running in this server.")
            return
        perms = getattr(member, "guild_permissions", None)
        if member.id != active.user_id and not (perms is not None and perms.manage_guild):
            await self._private(interaction, f"Only <@{active.user_id}>, who started this round, or "
                                             "someone with Manage Server can stop it.")
            return
        active.round.end()
        who = "your" if member.id == active.user_id else "the"
        await self._private(interaction, f"Stopping {who} round. Feedback on what was answered follows.")

    # ---- voice events ------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_voice_state_update(self, member: discord.Member, before: discord.VoiceState,
                                    after: discord.VoiceState) -> None:
        active = self.active.get(member.guild.id)
        if active is None:
            return
        if active.round.ended or active.io.closed:
            # The round is over and is leaving voice itself (`DiscordRoundIO.round_closed`): this
            # is the confirmation of our own leave (or someone leaving after the end), not an
            # interruption. The round stays in `self.active` until that leave has finished.
            log.debug("voice state change in guild %s after its round ended; ignored", member.guild.id)
            return
        now_in = after.channel.id if after.channel is not None else None
        me = member.guild.me
        if me is not None and member.id == me.id:
            if now_in is None:
                log.info("bot left voice in guild %s during a round", member.guild.id)
                active.round.disconnected("disconnected")
            elif now_in != active.channel_id:
                log.info("bot was moved in guild %s during a round", member.guild.id)
                active.round.disconnected("moved")
        elif member.id == active.user_id and now_in != active.channel_id:
            active.round.user_left()

    async def cog_unload(self) -> None:
        for active in list(self.active.values()):
            active.round.end()

    # ---- helpers -----------------------------------------------------------------------------
    @staticmethod
    async def _private(interaction: discord.Interaction, text: str) -> None:
        await send_private(interaction, text)


async def setup(bot: ParleyBot) -> None:
    await bot.add_cog(MockCog(bot))
