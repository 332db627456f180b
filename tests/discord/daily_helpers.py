"""Extra spec_set Discord doubles for the daily cog: threads, attachments, a push channel, the bot.

Same style as tests/discord/helpers.py (which these build on): each mock is spec'd on the real
discord.py class, so the cog fails a test when it touches an attribute Discord objects lack.
"""

from __future__ import annotations

import unittest.mock
from typing import Any

import discord

from tests.discord.helpers import (
    CustomMockMixin,
    MockBot,
    MockGuild,
    MockInteraction,
    MockMember,
    MockMessage,
    MockTextChannel,
    next_id,
)

BOT_CHANNEL_PERMS = discord.Permissions(
    view_channel=True, send_messages=True, embed_links=True, attach_files=True,
    create_public_threads=True, send_messages_in_threads=True, read_message_history=True,
)


class MockThread(CustomMockMixin, unittest.mock.Mock):
    spec_set = discord.Thread

    def __init__(self, **kwargs: Any) -> None:
        tid = kwargs.pop("id", None) or next_id()
        parent = kwargs.pop("parent", None)  # `parent` means something else to Mock(); set it afterwards
        defaults = {"id": tid, "name": f"thread{tid % 1000}", "mention": f"<#{tid}>",
                    "type": discord.ChannelType.public_thread}
        super().__init__(**{**defaults, **kwargs})
        self.parent = parent
        self.parent_id = getattr(parent, "id", None)
        self.send = unittest.mock.AsyncMock(side_effect=self._send)

    async def _send(self, content: Any = None, **kwargs: Any) -> MockMessage:
        return MockMessage(channel=self, content=content or "", embeds=[])


class MockAttachment(CustomMockMixin, unittest.mock.Mock):
    spec_set = discord.Attachment

    def __init__(self, data: bytes = b"", *, voice: bool = False, **kwargs: Any) -> None:
        defaults = {"id": next_id(), "filename": "voice-message.ogg", "size": len(data),
                    "content_type": "audio/ogg", "duration": None, "url": "https://cdn.invalid/a"}
        super().__init__(**{**defaults, **kwargs})
        self.read = unittest.mock.AsyncMock(return_value=data)
        self.is_voice_message = unittest.mock.Mock(return_value=voice)


def push_channel(guild: MockGuild, perms: discord.Permissions = BOT_CHANNEL_PERMS) -> MockTextChannel:
    """A text channel where `send` returns a message whose `create_thread` opens a MockThread."""
    channel = MockTextChannel(guild=guild)
    channel.permissions_for = unittest.mock.Mock(return_value=perms)
    threads: list[MockThread] = []
    messages: list[MockMessage] = []

    async def send(content: Any = None, **kwargs: Any) -> MockMessage:
        embeds = [kwargs["embed"]] if kwargs.get("embed") is not None else []
        msg = MockMessage(channel=channel, guild=guild, content=content or "", embeds=embeds)

        async def create_thread(*, name: str, **kw: Any) -> MockThread:
            t = MockThread(name=name, parent=channel, guild=guild)
            threads.append(t)
            return t

        msg.create_thread = unittest.mock.AsyncMock(side_effect=create_thread)
        messages.append(msg)
        return msg

    channel.send = unittest.mock.AsyncMock(side_effect=send)
    channel.__dict__["threads_opened"] = threads
    channel.__dict__["messages_sent"] = messages
    return channel


def thread_message(thread: MockThread, author: MockMember, content: str = "",
                   attachments: list[MockAttachment] | None = None) -> MockMessage:
    msg = MockMessage(channel=thread, guild=thread.guild, author=author, content=content,
                      attachments=attachments or [])
    msg.reply = unittest.mock.AsyncMock(return_value=MockMessage())
    return msg


def make_bot(services: Any, channels: list[Any]) -> MockBot:
    """A MockBot spec'd on a real (never started) ParleyBot; `get_channel` finds `channels`."""
    from bot.discord_io.client import ParleyBot

    real = ParleyBot(services, extensions=())
    # the real command/upload guard (our code, not the Discord peer); tests may swap its clock
    bot = MockBot.of(real, services=services, settings=services.settings, command_guard=real.command_guard,
                     rounds=real.rounds)
    by_id = {c.id: c for c in channels}
    bot.get_channel = unittest.mock.Mock(side_effect=lambda cid: by_id.get(cid))
    return bot


def replies_of(message: MockMessage) -> list[dict[str, Any]]:
    """Each reply's content and embed, in order."""
    out = []
    for c in message.reply.call_args_list:
        content = c.args[0] if c.args else c.kwargs.get("content")
        out.append({"content": content or "", "embed": c.kwargs.get("embed"), "kwargs": c.kwargs})
    return out


TEXT_ANSWER = (
    "I assume we get about a million events a day and duplicates come from client retries. The baseline "
    "is a hash set of event ids; it is linear time and space. To improve it I keep ids for a day only, "
    "in a keyed store with a TTL. I would test duplicates, an empty stream and a late event, so the "
    "result is exactly-once processing at a small storage cost, which is the tradeoff."
)


async def setup_daily(w, tz: str = "America/New_York", at: str = "09:00", cats: str | None = None):
    inter = MockInteraction(user=w.admin, guild=w.guild)
    await w.cog.daily_setup.callback(w.cog, inter, w.channel, at, tz, cats)
    return inter


async def open_thread(world, cats: str | None = None) -> MockThread:
    await setup_daily(world, cats=cats)
    await world.cog.daily_now.callback(world.cog, MockInteraction(user=world.admin, guild=world.guild))
    return world.channel.threads_opened[0]
