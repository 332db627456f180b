"""The stand-in's little world: one guild, a text and a voice channel, the bot and some members.

Payloads follow Discord's API reference (v10) object shapes: User, Guild Member, Role,
Channel, Voice State, Message. Snowflakes are real snowflakes (timestamp << 22) so
discord.py's `created_at` maths works.
"""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (Discord docs, "Permissions" topic).
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
CONNECT = 1 << 20
SPEAK = 1 << 21
USE_VAD = 1 << 25
USE_APPLICATION_COMMANDS = 1 << 31
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38

EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY | CONNECT | SPEAK
    | USE_VAD | USE_APPLICATION_COMMANDS | CREATE_PUBLIC_THREADS | SEND_MESSAGES_IN_THREADS
)

_counter = itertools.count(1)


def snowflake() -> int:
    """A fresh, increasing snowflake (time-based, like Discord's)."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class User:
    id: int
    username: str
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": None if self.bot else self.username.title(),
            "avatar": None,
            "bot": self.bot,
            "system": False,
            "public_flags": 0,
            "flags": 0,
        }


@dataclass
class World:
    """All ids and payload builders; tests read ids from here."""

    token: str = "stand-in.bot.token"
    application_id: int = field(default_factory=snowflake)
    guild_id: int = field(default_factory=snowflake)
    text_channel_id: int = field(default_factory=snowflake)
    voice_channel_id: int = field(default_factory=snowflake)
    bot: User = field(default_factory=lambda: User(snowflake(), "parley", bot=True))
    owner: User = field(default_factory=lambda: User(snowflake(), "owner"))
    members: list[User] = field(default_factory=list)
    # user id -> voice session id (whoever sits in the voice channel)
    in_voice: dict[int, str] = field(default_factory=dict)
    # the privileged Message Content intent is switched on for the application (developer portal);
    # when it is not, an IDENTIFY asking for it is closed with 4014, as Discord does
    message_content_enabled: bool = True

    def add_member(self, username: str, *, in_voice: bool = True) -> User:
        user = User(snowflake(), username)
        self.members.append(user)
        if in_voice:
            self.in_voice[user.id] = secrets.token_hex(16)
        return user

    def user(self, user_id: int) -> User:
        for u in (self.bot, self.owner, *self.members):
            if u.id == user_id:
                return u
        raise KeyError(user_id)

    # --- payloads -------------------------------------------------------------------------
    def application_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": "Parley",
            "icon": None,
            "description": "Interview practice (stand-in)",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": secrets.token_hex(32),
            "flags": 0,
            "owner": self.owner.payload(),
            "team": None,
            "bot": self.bot.payload(),
            "rpc_origins": [],
            "tags": [],
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "approximate_guild_count": 1,
        }

    def role_payloads(self) -> list[dict[str, Any]]:
        return [{
            "id": str(self.guild_id),  # @everyone shares the guild's id
            "name": "@everyone",
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": 0,
            "permissions": str(EVERYONE_PERMISSIONS),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }]

    def member_payload(self, user: User, *, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "nick": None,
            "avatar": None,
            "banner": None,
            "roles": [],
            "joined_at": iso_now(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = user.payload()
        return data

    def interaction_member_payload(self, user: User) -> dict[str, Any]:
        data = self.member_payload(user)
        data["permissions"] = str(EVERYONE_PERMISSIONS)
        return data

    def text_channel_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.text_channel_id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": "practice",
            "position": 0,
            "permission_overwrites": [],
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": None,
            "flags": 0,
        }

    def voice_channel_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.voice_channel_id),
            "type": 2,
            "guild_id": str(self.guild_id),
            "name": "Interview room",
            "position": 1,
            "permission_overwrites": [],
            "bitrate": 64000,
            "user_limit": 0,
            "rtc_region": None,
            "video_quality_mode": 1,
            "parent_id": None,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
        }

    def channel_payload(self, channel_id: int) -> dict[str, Any]:
        if channel_id == self.voice_channel_id:
            return self.voice_channel_payload()
        return self.text_channel_payload()

    def voice_state_payload(self, user_id: int, session_id: str, channel_id: int | None,
                            *, with_guild: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "channel_id": None if channel_id is None else str(channel_id),
            "user_id": str(user_id),
            "session_id": session_id,
            "deaf": False,
            "mute": False,
            "self_deaf": False,
            "self_mute": False,
            "self_stream": False,
            "self_video": False,
            "suppress": False,
            "request_to_speak_timestamp": None,
        }
        if with_guild:
            data["guild_id"] = str(self.guild_id)
            data["member"] = self.member_payload(self.user(user_id))
        return data

    def guild_create_payload(self) -> dict[str, Any]:
        """GUILD_CREATE as sent to a bot with the GUILDS and GUILD_VOICE_STATES intents.

        Without GUILD_MEMBERS, Discord still includes the bot itself and the members
        who sit in voice channels.
        """
        members = [self.member_payload(self.bot)]
        members += [self.member_payload(self.user(uid)) for uid in self.in_voice if uid != self.bot.id]
        return {
            "id": str(self.guild_id),
            "name": "Parley stand-in guild",
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner.id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": self.role_payloads(),
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": str(self.text_channel_id),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "max_presences": None,
            "max_members": 500000,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "max_video_channel_users": 25,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "safety_alerts_channel_id": None,
            # GUILD_CREATE extras
            "joined_at": iso_now(),
            "large": False,
            "unavailable": False,
            "member_count": 2 + len(self.members),
            "voice_states": [
                self.voice_state_payload(uid, sid, self.voice_channel_id) for uid, sid in self.in_voice.items()
            ],
            "members": members,
            "channels": [self.text_channel_payload(), self.voice_channel_payload()],
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }
