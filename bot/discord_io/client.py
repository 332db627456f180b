"""The discord.py client: the intents Parley needs (see `parley_intents`), explicit extensions,
one global error handler."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.discord_io.guards import install_command_guard, interaction_allowed
from bot.discord_io.replies import try_send_private
from bot.discord_io.stale_components import answer_stale_component, is_stale, note_routing
from bot.discord_io.voice_fixes import install as install_voice_fixes
from bot.practice.recovery import notify as notify_interrupted
from bot.practice.recovery import recover_interrupted
from bot.practice.rounds_registry import VoiceSlots, voice_slots
from bot.services import Services

log = logging.getLogger(__name__)

# Loaded in this order in setup_hook; each module has `async def setup(bot)`.
EXTENSIONS: tuple[str, ...] = ("cogs.mock", "cogs.group", "cogs.daily", "cogs.privacy", "cogs.profile")

# How long close() waits for the voice leaves it starts. discord.py's own leave waits up to its
# voice timeout (20-30 s) for Discord to confirm it, and after Ctrl-C nothing reads the gateway
# any more, so that confirmation never comes: shutdown would hang that long.
VOICE_LEAVE_ON_CLOSE_S = 2.0


def parley_intents(*, message_content: bool = True) -> discord.Intents:
    """What Parley asks Discord for, and why (nothing else: no members list, no presences):

    * Guilds: servers, channels, threads and roles (slash commands, permission checks, daily threads);
    * Voice States: who is in which voice channel (rounds and groups follow members coming and going);
    * Guild Messages: messages posted in the daily question threads (the answers);
    * Message Content (privileged, granted in the developer portal): the text and attachments of
      those answers. Without it Discord delivers thread messages empty, so daily answers in
      threads can't be read; everything else (commands, mock rounds, groups) works the same.
    """
    intents = discord.Intents.none()
    intents.guilds = True
    intents.voice_states = True
    intents.guild_messages = True
    intents.message_content = message_content
    return intents


class ParleyBot(commands.Bot):
    """Holds the shared `Services`; cogs reach them as `bot.services`."""

    voice_leave_timeout_s: float = VOICE_LEAVE_ON_CLOSE_S  # close(): bound on leaving voice

    def __init__(self, services: Services, *, extensions: tuple[str, ...] = EXTENSIONS,
                 message_content: bool = True, **client_options: Any) -> None:
        """`message_content=False`: run without the privileged intent (no daily answers in threads).
        `client_options` go to discord.py's client (`shard_count`, `shard_ids` for `ShardedParleyBot`)."""
        super().__init__(command_prefix=commands.when_mentioned, intents=parley_intents(message_content=message_content),
                         help_command=None, **client_options)
        install_voice_fixes()  # discord.py's voice reconnect race (see voice_fixes)
        self.services = services
        self.settings: Settings = services.settings
        # Running voice rounds (mock and peer), with the per-server and global caps: in this process,
        # or shared by every bot process through the database (PARLEY_DATABASE_URL).
        self.rounds: VoiceSlots = voice_slots(self.settings, getattr(services, "db", None))
        # Per-user rate limit on application commands (settings.commands_per_minute).
        self.command_guard = install_command_guard(self)
        self._extensions = extensions

    async def setup_hook(self) -> None:
        await self.rounds.start()  # a shared registry renews its leases from now on
        await self.recover_after_restart()
        for ext in self._extensions:
            await self.load_extension(ext)
            log.info("loaded extension %s", ext)
        self.tree.error(self.on_app_command_error)
        synced = await self.tree.sync()
        log.info("synced %d application commands", len(synced))

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        # Whether a live view takes a Parley component press is noted here, right after
        # discord.py's ViewStore had it and before any view callback ran (stale_components.py).
        if event_name == "interaction" and args and isinstance(args[0], discord.Interaction):
            note_routing(self._connection._view_store, args[0])
        super().dispatch(event_name, *args, **kwargs)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A press on a Parley button that no live view takes any more (the round ended, the bot
        restarted) gets a private note instead of Discord's "This interaction failed". Such a press
        counts toward the per-user interaction limit like any other."""
        if is_stale(interaction) and not await interaction_allowed(interaction):
            return  # over the limit: the guard told them to wait
        await answer_stale_component(interaction)

    async def close(self) -> None:
        """Leave voice (bounded) before discord.py's close, which would otherwise wait for a leave
        confirmation that nobody reads any more, once per voice client."""
        try:
            await self.leave_voice(timeout=self.voice_leave_timeout_s)
        except Exception:
            log.warning("leaving voice on shutdown failed", exc_info=True)
        try:
            await self.rounds.stop()  # this process's slots are freed for the other processes
        except Exception:
            log.warning("releasing the shared round slots on shutdown failed", exc_info=True)
        await super().close()

    async def leave_voice(self, *, timeout: float) -> None:
        """Disconnect every voice client, waiting at most `timeout` seconds in all.

        A client that is no longer connected is already leaving (a round's own disconnect, waiting
        for its confirmation) or dead: it is only deregistered. Asking it to leave again would send
        a second leave and reset the wait of the first one (discord.py's `_disconnected` event), so
        that first one would wait for a confirmation that already came. A leave still unconfirmed
        after `timeout` is cancelled and its client deregistered.
        """
        leaving: dict[asyncio.Task[None], discord.VoiceProtocol] = {}
        for vc in list(self.voice_clients):
            is_connected = getattr(vc, "is_connected", None)
            if is_connected is not None and not is_connected():
                vc.cleanup()
                continue
            task = asyncio.create_task(vc.disconnect(force=True), name="parley-leave-voice-on-close")
            leaving[task] = vc
        if not leaving:
            return
        _, pending = await asyncio.wait(leaving, timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            log.info("%d voice leave(s) not confirmed within %.1f s at shutdown; closing anyway",
                     len(pending), timeout)
            await asyncio.wait(pending, timeout=0.5)  # discord.py's leave ends quickly once cancelled
        for task, vc in leaving.items():
            failed = not task.done() or task.cancelled() or task.exception() is not None
            if failed:
                if task.done() and not task.cancelled():
                    log.debug("voice leave on shutdown failed", exc_info=task.exception())
                vc.cleanup()  # deregister, so discord.py's close does not start another leave

    async def recover_after_restart(self) -> int:
        """Close rounds left running by a crash or restart; tell their members in the channel."""
        try:
            interrupted = await recover_interrupted(self.services.db)
        except Exception:
            log.exception("start-up recovery failed")
            return 0
        only_users = discord.AllowedMentions(everyone=False, roles=False, users=True)

        async def send(channel_id: int, text: str) -> None:
            await self.get_partial_messageable(channel_id).send(text, allowed_mentions=only_users)

        return await notify_interrupted(interrupted, send)

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Answer the user briefly; log the details (never tokens or transcripts)."""
        original = getattr(error, "original", error)
        if isinstance(error, app_commands.CheckFailure):
            text = str(error) or "You can't use that command here."
        elif isinstance(error, app_commands.CommandOnCooldown):
            text = f"Slow down a little: try again in {error.retry_after:.0f} s."
        else:
            log.error("command %s failed", getattr(interaction.command, "qualified_name", "?"),
                      exc_info=original)
            text = "Something went wrong on my side; it has been logged. Please try again."
        await try_send_private(interaction, text, failure="could not tell the user about the error",
                               level=logging.WARNING)


class ShardedParleyBot(ParleyBot, commands.AutoShardedBot):
    """`ParleyBot` running several shards in one process (`PARLEY_SHARD_COUNT`, `PARLEY_SHARD_IDS`):
    discord.py's AutoShardedBot with a fixed shard count and this process's shard ids."""


def make_bot(services: Services, *, message_content: bool = True, **kwargs: Any) -> ParleyBot:
    """The bot for these settings: a `ShardedParleyBot` when PARLEY_SHARD_COUNT is set, else the
    single-connection `ParleyBot` exactly as before."""
    settings = services.settings
    shards = settings.shards
    if shards is None:
        return ParleyBot(services, message_content=message_content, **kwargs)
    log.info("running shards %s of %d in this process", ",".join(map(str, shards)), settings.shard_count)
    return ShardedParleyBot(services, message_content=message_content, shard_count=settings.shard_count,
                            shard_ids=list(shards), **kwargs)
