"""Discord test doubles in the style of python-discord's tests/helpers.py.

Every mock is built with `spec_set` on the real discord.py class, so a test fails as soon as our
code reads or writes an attribute the real object does not have. Coroutine methods of the real
class become `AsyncMock`s automatically; child attributes are plain mocks.

    member = MockMember(id=42, name="ada")
    guild = MockGuild(members=[member])
    voice = MockVoiceChannel(guild=guild, members=[member])
    member.voice = MockVoiceState(channel=voice)
    inter = MockInteraction(user=member, guild=guild)

Only the network edge is faked: the permission objects are real `discord.Permissions`,
embeds/views/files passed to `send` are the real objects our code built.
"""

from __future__ import annotations

import asyncio
import itertools
import unittest.mock
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any

import discord
from discord.ext import commands
from discord.ext.voice_recv import VoiceRecvClient

_ids = itertools.count(100_000_000_000_000_000)


def next_id() -> int:
    """A fresh snowflake-sized id."""
    return next(_ids)


class CustomMockMixin:
    """spec_set mocks whose coroutine methods are AsyncMocks and whose children are plain mocks."""

    spec_set: Any = None
    child_mock_type = unittest.mock.MagicMock
    additional_spec_asyncs: Iterable[str] = ()

    def __init__(self, **kwargs: Any) -> None:
        name = kwargs.pop("name", None)  # `name` is special for Mock; set it afterwards
        super().__init__(spec_set=self.spec_set, **kwargs)  # type: ignore[call-arg]
        self._mock_add_spec_asyncs()
        if name is not None:
            self.name = name

    def _mock_add_spec_asyncs(self) -> None:
        for attr in self.additional_spec_asyncs:
            self.__dict__["_spec_asyncs"].append(attr)

    def _get_child_mock(self, **kw: Any) -> unittest.mock.Mock:
        new_name = kw.get("_new_name")
        if new_name in self.__dict__["_spec_asyncs"]:
            return unittest.mock.AsyncMock(**kw)
        klass = type(self)
        if issubclass(klass, unittest.mock.MagicMock) or self.child_mock_type:
            klass = self.child_mock_type
        return klass(**kw)


# --------------------------------------------------------------------------- users and guilds


class MockRole(CustomMockMixin, unittest.mock.Mock):
    spec_set = discord.Role

    def __init__(self, **kwargs: Any) -> None:
        defaults = {"id": next_id(), "name": "role", "position": 1,
                    "permissions": discord.Permissions.none()}
        super().__init__(**{**defaults, **kwargs})


class MockVoiceState(CustomMockMixin, unittest.mock.Mock):
    spec_set = discord.VoiceState

    def __init__(self, **kwargs: Any) -> None:
        defaults = {"channel": None, "self_mute": False, "self_deaf": False, "mute": False,
                    "deaf": False, "suppress": False, "afk": False}
        super().__init__(**{**defaults, **kwargs})


class MockMember(CustomMockMixin, unittest.mock.Mock):
    spec_set = discord.Member

    def __init__(self, **kwargs: Any) -> None:
        uid = kwargs.pop("id", None) or next_id()
        name = kwargs.pop("name", f"member{uid % 1000}")
        defaults = {
            "id": uid, "bot": False, "display_name": name, "global_name": name,
            "mention": f"<@{uid}>", "voice": None, "roles": [],
            "guild_permissions": discord.Permissions.none(),
        }
        super().__init__(name=name, **{**defaults, **kwargs})


class MockGuild(CustomMockMixin, unittest.mock.Mock):
    spec_set = discord.Guild

    def __init__(self, members: Iterable[Any] = (), **kwargs: Any) -> None:
        gid = kwargs.pop("id", None) or next_id()
        me = kwargs.pop("me", None) or MockMember(name="Parley", bot=True)
        defaults = {"id": gid, "name": f"guild{gid % 1000}", "me": me, "voice_client": None}
        super().__init__(**{**defaults, **kwargs})
        self.members = [me, *members]
        for m in self.members:
            m.guild = self
        self.get_member = unittest.mock.Mock(side_effect=self._get_member)

    def _get_member(self, user_id: int) -> Any:
        return next((m for m in self.members if m.id == user_id), None)

    def add_member(self, member: Any) -> Any:
        member.guild = self
        self.members.append(member)
        return member


# --------------------------------------------------------------------------- channels and messages


class MockMessage(CustomMockMixin, unittest.mock.Mock):
    spec_set = discord.Message

    def __init__(self, **kwargs: Any) -> None:
        defaults = {"id": next_id(), "content": "", "embeds": [], "attachments": []}
        super().__init__(**{**defaults, **kwargs})


class MockTextChannel(CustomMockMixin, unittest.mock.Mock):
    spec_set = discord.TextChannel

    def __init__(self, **kwargs: Any) -> None:
        cid = kwargs.pop("id", None) or next_id()
        defaults = {"id": cid, "name": f"text{cid % 1000}", "mention": f"<#{cid}>",
                    "type": discord.ChannelType.text}
        super().__init__(**{**defaults, **kwargs})
        self.__dict__["sent"] = []  # (MockMessage, kwargs) in order
        self.__dict__["_sent_cond"] = None
        self.send = unittest.mock.AsyncMock(side_effect=self._send)

    def _cond(self) -> asyncio.Condition:
        if self.__dict__["_sent_cond"] is None:
            self.__dict__["_sent_cond"] = asyncio.Condition()
        return self.__dict__["_sent_cond"]

    async def _send(self, content: Any = None, **kwargs: Any) -> MockMessage:
        embeds = [kwargs["embed"]] if kwargs.get("embed") is not None else list(kwargs.get("embeds") or [])
        msg = MockMessage(channel=self, content=content or "", embeds=embeds)
        self.sent.append((msg, {"content": content, **kwargs}))
        cond = self._cond()
        async with cond:
            cond.notify_all()
        return msg

    async def wait_sent(self, predicate: Callable[[dict[str, Any]], bool], *,
                        timeout: float = 30.0) -> tuple[Any, dict[str, Any]]:
        """The first message sent whose kwargs satisfy `predicate` (waits for it to be sent)."""
        cond = self._cond()

        def find() -> tuple[Any, dict[str, Any]] | None:
            return next(((m, kw) for m, kw in self.sent if predicate(kw)), None)

        async with cond:
            await asyncio.wait_for(cond.wait_for(lambda: find() is not None), timeout)
        found = find()
        assert found is not None
        return found


async def _yield_all(items: list[Any]) -> Any:
    for item in items:
        yield item


def with_history(channel: Any, messages: Iterable[Any]) -> Any:
    """`channel.history(limit=...)` yields `messages` (newest first), as Discord pages them."""
    kept = list(messages)
    channel.history = unittest.mock.Mock(side_effect=lambda *, limit=100, **_: _yield_all(kept[:limit]))
    return channel


class MockDMChannel(CustomMockMixin, unittest.mock.Mock):
    spec_set = discord.DMChannel

    def __init__(self, messages: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(**{"id": next_id(), "type": discord.ChannelType.private, **kwargs})
        with_history(self, messages)


class MockVoiceChannel(CustomMockMixin, unittest.mock.Mock):
    spec_set = discord.VoiceChannel

    def __init__(self, members: Iterable[Any] = (), **kwargs: Any) -> None:
        cid = kwargs.pop("id", None) or next_id()
        perms = kwargs.pop("bot_permissions", None)
        defaults = {"id": cid, "name": f"voice{cid % 1000}", "mention": f"<#{cid}>",
                    "type": discord.ChannelType.voice, "members": list(members),
                    "user_limit": 0, "bitrate": 64000}
        super().__init__(**{**defaults, **kwargs})
        # Default: the bot may connect and speak; tests narrow it with set_permissions.
        self.__dict__["_perms"] = {}
        self.__dict__["_default_perms"] = perms or discord.Permissions(
            view_channel=True, connect=True, speak=True, use_voice_activation=True)
        self.permissions_for = unittest.mock.Mock(side_effect=self._permissions_for)

    def _permissions_for(self, obj: Any) -> discord.Permissions:
        return self._perms.get(getattr(obj, "id", None), self._default_perms)

    def set_permissions_for(self, member: Any, permissions: discord.Permissions) -> None:
        self._perms[member.id] = permissions


class MockVoiceClient(CustomMockMixin, unittest.mock.Mock):
    """The voice connection, spec'd on `VoiceRecvClient` (the network edge we fake).

    `play` drains the AudioSource at once (as discord.py's player thread would, minus the pacing)
    and calls `after`; `listen` keeps the sink. What happened is in `.fake`.
    """

    spec_set = VoiceRecvClient

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.__dict__["fake"] = SimpleNamespace(connected=True, sink=None, played_frames=0, clips=0,
                                                listen_after=None)
        f = self.fake
        self.is_connected = unittest.mock.Mock(side_effect=lambda: f.connected)
        self.is_playing = unittest.mock.Mock(return_value=False)
        self.is_listening = unittest.mock.Mock(side_effect=lambda: f.sink is not None)
        self.play = unittest.mock.Mock(side_effect=self._play)
        self.listen = unittest.mock.Mock(side_effect=self._listen)
        self.stop_listening = unittest.mock.Mock(side_effect=self._stop_listening)
        self.disconnect = unittest.mock.AsyncMock(side_effect=self._disconnect)

    def _play(self, source: discord.AudioSource, *, after: Any = None, **_: Any) -> None:
        if not self.fake.connected:
            raise discord.ClientException("Not connected to voice.")
        while source.read():
            self.fake.played_frames += 1
        self.fake.clips += 1
        if after is not None:
            after(None)

    def _listen(self, sink: Any, *, after: Any = None) -> None:
        if not self.fake.connected:
            raise discord.ClientException("Not connected to voice.")
        if self.fake.sink is not None:
            raise discord.ClientException("Already receiving audio.")
        self.fake.sink, self.fake.listen_after = sink, after

    def _stop_listening(self) -> None:
        self.fake.sink = None

    async def _disconnect(self, *, force: bool = False) -> None:
        self.fake.connected = False
        self.fake.sink = None


# --------------------------------------------------------------------------- interactions


class MockInteractionResponse(CustomMockMixin, unittest.mock.Mock):
    spec_set = discord.InteractionResponse

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.__dict__["_done"] = False
        self.is_done = unittest.mock.Mock(side_effect=lambda: self._done)
        for name in ("send_message", "defer", "edit_message", "send_modal"):
            setattr(self, name, unittest.mock.AsyncMock(side_effect=self._responded))

    async def _responded(self, *args: Any, **kwargs: Any) -> None:
        if self._done:
            raise discord.InteractionResponded(unittest.mock.Mock())
        self.__dict__["_done"] = True


class MockWebhook(CustomMockMixin, unittest.mock.Mock):
    spec_set = discord.Webhook


class MockInteraction(CustomMockMixin, unittest.mock.Mock):
    spec_set = discord.Interaction

    def __init__(self, **kwargs: Any) -> None:
        user = kwargs.pop("user", None) or MockMember()
        guild = kwargs.pop("guild", None) or getattr(user, "guild", None)
        channel = kwargs.pop("channel", None) or MockTextChannel(guild=guild)
        defaults = {
            "id": next_id(), "user": user, "guild": guild,
            "guild_id": guild.id if guild is not None else None,
            "channel": channel, "channel_id": channel.id,
            "response": MockInteractionResponse(), "followup": MockWebhook(),
            "message": None, "command": None, "extras": {},
            # what the bot may do in the channel of the interaction (Discord sends it along)
            "app_permissions": discord.Permissions(view_channel=True, send_messages=True, embed_links=True,
                                                   attach_files=True, read_message_history=True),
        }
        super().__init__(**{**defaults, **kwargs})

    def replies(self) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        """Every (args, kwargs) sent as a response or followup, in order."""
        out = [(c.args, c.kwargs) for c in self.response.send_message.call_args_list]
        out += [(c.args, c.kwargs) for c in self.followup.send.call_args_list]
        return out

    def reply_text(self) -> str:
        """All text and embed text sent back, lower-cased (for 'does it mention X' checks)."""
        parts: list[str] = []
        for args, kwargs in self.replies():
            parts += [str(a) for a in args]
            if kwargs.get("content"):
                parts.append(str(kwargs["content"]))
            emb = kwargs.get("embed")
            if emb is not None:
                parts += [emb.title or "", emb.description or ""]
                parts += [f"{f.name} {f.value}" for f in emb.fields]
        return "\n".join(parts).lower()


# --------------------------------------------------------------------------- the bot


class MockBot(CustomMockMixin, unittest.mock.MagicMock):
    """A bot mock spec'd on a real, never-started bot instance, so instance attributes set in
    `__init__` (`services`, `settings`, `rounds`) exist and anything else is refused.

    Use `MockBot.of(ParleyBot(services))`.
    """

    @classmethod
    def of(cls, instance: commands.Bot, **kwargs: Any) -> MockBot:
        spec_cls = type("MockBot", (cls,), {"spec_set": instance})
        return spec_cls(**kwargs)


# --------------------------------------------------------------------------- presses


async def dispatch(view: discord.ui.View, item: discord.ui.Item, i: MockInteraction) -> MockInteraction:
    """A component press as discord.py runs it."""
    await view._scheduled_task(item, i)
    return i
