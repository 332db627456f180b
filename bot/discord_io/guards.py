"""Checks before acting: the bot's own permissions, Manage Server for settings, and a
per-user rate limit on every interaction (slash commands, buttons, selects, modal submits).

    missing = missing_permissions(voice_channel, guild.me, VOICE_NEEDS)
    if missing: await reply(missing_permissions_message(missing, voice_channel))

    @manage_server_only()            # on /daily setup and other server settings
    async def setup(...): ...

`install_command_guard(bot)` makes the bot refuse, with a short ephemeral reply, a user who
sends more than `settings.commands_per_minute` interactions in a minute; other users are
unaffected. discord.py runs the tree's check for slash commands only, never for components or
modals, so every Parley view and modal (`member_views.ParleyView` / `ParleyModal`) asks
`interaction_allowed` in its own `interaction_check`: one limit, one count per user, whatever
they press. The limiter's clock is injectable (tests drive it without sleeping).

Both limits count through one interface (`Hits`): in this process (`LocalHits` over
bot/limits.RateLimiter, the default), or, with PARLEY_DATABASE_URL, in the database for every bot
process at once (bot/storage/shared.SharedRateLimiter): a member switching servers, and so
processes, is still counted once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import discord
from discord import app_commands

from bot.clock import Now
from bot.discord_io.replies import try_send_private
from bot.discord_io.stale_components import typed_text_embed
from bot.limits import RateLimiter

if TYPE_CHECKING:  # pragma: no cover
    from bot.storage.db import Database

log = logging.getLogger(__name__)

# discord.Permissions attribute → the name Discord's own UI shows
PERMISSION_NAMES: dict[str, str] = {
    "view_channel": "View Channel",
    "connect": "Connect",
    "speak": "Speak",
    "use_voice_activation": "Use Voice Activity",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "embed_links": "Embed Links",
    "attach_files": "Attach Files",
    "read_message_history": "Read Message History",
    "create_public_threads": "Create Public Threads",
    "manage_threads": "Manage Threads",
    "add_reactions": "Add Reactions",
}

VOICE_NEEDS: tuple[str, ...] = ("view_channel", "connect", "speak")
TEXT_NEEDS: tuple[str, ...] = ("view_channel", "send_messages", "embed_links", "attach_files")
THREAD_NEEDS: tuple[str, ...] = TEXT_NEEDS + ("create_public_threads", "send_messages_in_threads")


def permission_name(attr: str) -> str:
    return PERMISSION_NAMES.get(attr, attr.replace("_", " ").title())


def missing_permissions(channel: Any, me: Any, needed: Iterable[str]) -> list[str]:
    """The human names of the permissions in `needed` that `me` lacks in `channel`, in order.

    `needed` holds `discord.Permissions` attribute names ("connect", "speak", …).
    """
    return missing_from(channel.permissions_for(me), needed)


def missing_from(perms: discord.Permissions, needed: Iterable[str]) -> list[str]:
    """`missing_permissions` for permissions already resolved (e.g. `interaction.app_permissions`)."""
    out: list[str] = []
    for attr in needed:
        if not hasattr(discord.Permissions, attr):
            raise ValueError(f"unknown permission {attr!r}")
        if not getattr(perms, attr):
            out.append(permission_name(attr))
    return out


def join_list(names: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def cannot_run_here(what: str, channel: Any, missing: Sequence[str]) -> str:
    """Why `what` ("a round", "a group") can't start in the voice `channel`: the missing permissions."""
    return (f"I can't run {what} in {channel.mention}: I'm missing the **{join_list(missing)}** "
            f"permission{'s' if len(missing) > 1 else ''} there. Ask a server admin to grant it to me "
            "(or to my role) for that channel.")


def missing_permissions_message(missing: list[str], channel: Any) -> str:
    """"I need Connect and Speak in #voice …": what is missing and who can fix it."""
    if not missing:
        return ""
    listed = join_list([f"**{m}**" for m in missing])
    where = getattr(channel, "mention", None) or "this channel"
    return (f"I can't do that yet: I need the {listed} permission{'s' if len(missing) > 1 else ''} "
            f"in {where}. A server admin can grant {'them' if len(missing) > 1 else 'it'} to my role "
            "(Server Settings → Roles, or the channel's Permissions).")


# --------------------------------------------------------------------------- Manage Server


class NotInServer(app_commands.CheckFailure):
    def __init__(self) -> None:
        super().__init__("This command only works inside a server, not in direct messages.")


class MissingManageServer(app_commands.CheckFailure):
    def __init__(self) -> None:
        super().__init__(
            "Changing Parley's settings for this server needs the **Manage Server** permission. "
            "Ask a server admin to run this command."
        )


def has_manage_server(interaction: discord.Interaction) -> bool:
    """Raises a CheckFailure with a clear message (answered by the global error handler)."""
    if interaction.guild is None:
        raise NotInServer()
    perms = getattr(interaction, "permissions", None)
    member_perms = getattr(interaction.user, "guild_permissions", None)
    if (perms is not None and perms.manage_guild) or (member_perms is not None and member_perms.manage_guild):
        return True
    raise MissingManageServer()


def manage_server_only() -> Callable[[Any], Any]:
    """An app_commands check decorator: server settings need Manage Server."""
    return app_commands.check(has_manage_server)


# --------------------------------------------------------------------------- rate limit


class Hits(Protocol):
    """One member's events against a limit: `hit` records one and returns 0 when allowed, else the
    seconds until the next is allowed. `LocalHits` (one process) and `SharedRateLimiter` (every
    process, through the database) implement it."""

    async def hit(self, subject_id: int) -> float: ...

    async def prune(self) -> int: ...


class LocalHits:
    """`Hits` over this process's `RateLimiter`."""

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    async def hit(self, subject_id: int) -> float:
        return self.limiter.hit(subject_id)

    async def prune(self) -> int:
        self.limiter.prune()
        return 0


def shared_hits(db: Database | None, scope: str, limiter: RateLimiter, clock: Now | None = None) -> Hits:
    """The database-wide counter for this limit when there is a shared database (`db`), else the
    in-process one. The shared one counts on the wall clock (`time.time`, unless `clock` is given):
    a monotonic clock means nothing to another process."""
    if db is None:
        return LocalHits(limiter)
    from bot.storage.shared import SharedRateLimiter

    kw: dict[str, Any] = {"clock": clock} if clock is not None else {}
    return SharedRateLimiter(db, scope, limit=limiter.limit, window_s=limiter.window_s, **kw)


class CommandGuard:
    """Per-user limit on every interaction: commands, buttons, selects and modal submits
    (autocomplete is not counted: it can't be answered with a message).

    `db`: count in the shared database (every bot process), when it is Postgres."""

    def __init__(self, limit: int, *, window_s: float = 60.0, clock: Now | None = None,
                 db: Database | None = None) -> None:
        kw: dict[str, Any] = {"clock": clock} if clock is not None else {}
        self.limiter = RateLimiter(limit=max(1, limit), window_s=window_s, **kw)
        self.hits: Hits = shared_hits(db, "commands", self.limiter, clock)
        self.refused = 0
        self.uploads: UploadGuard | None = None

    async def check(self, interaction: discord.Interaction) -> bool:
        """The interaction check of the tree and of every view and modal: False (after a short
        reply) when the user is over."""
        if interaction.type is discord.InteractionType.autocomplete:
            return True
        user_id = interaction.user.id
        try:
            wait = await self.hits.hit(user_id)
        except Exception:  # the shared database is unreachable: count here until it is back
            log.warning("the shared rate limit could not be checked; counting in this process", exc_info=True)
            wait = self.limiter.hit(user_id)
        if wait <= 0:
            return True
        self.refused += 1
        if self.refused % 100 == 1:
            await self.hits.prune()
        await self._tell(interaction, wait)
        return False

    async def _tell(self, interaction: discord.Interaction, wait: float) -> None:
        """One ephemeral reply per refused interaction (Discord shows an error if none is sent);
        a refused form gets what was typed in it back."""
        text = (f"You're going faster than I can take it (commands and button presses count alike). "
                f"Please wait {max(1, round(wait))} s and try again.")
        embed = typed_text_embed(interaction)
        extra: dict[str, Any] = {"embed": embed} if embed is not None else {}
        await try_send_private(interaction, text, failure="could not send the rate-limit reply", **extra)


class UploadGuard:
    """Per-user limit on audio answers (each one is decoded and transcribed: CPU-heavy).

    Check before downloading an attachment:

        wait = await bot.command_guard.uploads.wait(member.id)
        if wait: reply(bot.command_guard.uploads.message(wait)); return
    """

    def __init__(self, per_hour: int, *, clock: Now | None = None, db: Database | None = None) -> None:
        kw: dict[str, Any] = {"clock": clock} if clock is not None else {}
        self.limiter = RateLimiter(limit=max(1, per_hour), window_s=3600.0, **kw)
        self.hits: Hits = shared_hits(db, "uploads", self.limiter, clock)

    async def wait(self, user_id: int) -> float:
        """0 when this upload may go ahead (and counts it); else seconds until the next may."""
        try:
            return await self.hits.hit(user_id)
        except Exception:  # the shared database is unreachable: count here until it is back
            log.warning("the shared upload limit could not be checked; counting in this process", exc_info=True)
            return self.limiter.hit(user_id)

    def message(self, wait: float) -> str:
        minutes = max(1, round(wait / 60))
        return (f"You've sent the most recordings I take in an hour ({self.limiter.limit}). "
                f"Try again in about {minutes} min, or answer in text meanwhile.")


async def interaction_allowed(interaction: discord.Interaction) -> bool:
    """The per-user limit for a component press or a modal submit: the client's `CommandGuard`
    (installed by `install_command_guard`) counts it; True when there is none (a bare client)."""
    guard = getattr(interaction.client, "command_guard", None)
    if not isinstance(guard, CommandGuard):
        return True
    return await guard.check(interaction)


def install_command_guard(bot: Any, *, clock: Now | None = None) -> CommandGuard:
    """Attach a `CommandGuard` to `bot.tree` (as its interaction check); returns it.

    The guard also carries `uploads`, an `UploadGuard` for audio answers.
    """
    services = getattr(bot, "services", None)
    db = getattr(services, "db", None) if getattr(bot.settings, "database_url", "") else None
    guard = CommandGuard(bot.settings.commands_per_minute, clock=clock, db=db)
    guard.uploads = UploadGuard(getattr(bot.settings, "uploads_per_hour", 12), clock=clock, db=db)
    bot.tree.interaction_check = guard.check  # the tree calls self.interaction_check(interaction)
    return guard
