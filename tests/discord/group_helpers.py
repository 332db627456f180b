"""`/group` driven through spec_set Discord mocks (tests/discord/helpers.py): the cog fixture, a world
of members in a voice channel, and starting a group and pressing its buttons
(tests/discord/test_peers_cog.py, test_stale_group.py, test_erasure_cog.py, test_interaction_limits.py,
test_group_pushback_cog.py, tests/fault/test_trust_probes.py).

`group_cog` is a fixture: tests/discord/conftest.py and tests/fault/conftest.py import it, so a test
there just names it.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.bank import load_bank
from bot.discord_io.client import ParleyBot
from bot.discord_io.group_views import LobbyView
from bot.practice.engine import PracticeEngine
from bot.practice.rounds_registry import RoundsRegistry
from bot.services import Services
from bot.speech.stt import Transcriber
from bot.speech.tts import Speaker
from bot.storage import privacy
from cogs.group import GroupCog
from tests.discord.helpers import (
    MockBot,
    MockGuild,
    MockInteraction,
    MockMember,
    MockTextChannel,
    MockVoiceChannel,
    MockVoiceClient,
    MockVoiceState,
)

ANSWER = ("I assume reads dominate. The baseline is one database with a cache; the tradeoff is staleness "
          "against latency, and as a result p99 latency dropped forty percent.")


@pytest.fixture
async def group_cog(settings, db):
    """The /group cog on a MockBot with the real services (a sqlite database, the real bank)."""
    # a real Transcriber that is never loaded: these tests type their answers
    bank = load_bank(settings.bank_dir)
    engine = PracticeEngine(settings=settings, bank=bank, transcriber=Transcriber(settings), db=db)
    services = Services(settings, db, bank, Transcriber(settings), Speaker(settings), engine)
    bot = MockBot.of(ParleyBot(services, extensions=()))
    bot.services, bot.settings = services, settings
    bot.rounds = RoundsRegistry(settings)
    bot.user = MockMember(name="Parley", bot=True)
    c = GroupCog(bot)
    yield c
    for run in list(c.runs.values()):
        await run.session.end("test over")


def make_world(n_members: int = 1, *, in_voice: bool = True) -> SimpleNamespace:
    guild = MockGuild()
    members = [guild.add_member(MockMember(name=f"m{i}")) for i in range(n_members)]
    voice = MockVoiceChannel(guild=guild, members=members)
    for m in members:
        m.voice = MockVoiceState(channel=voice) if in_voice else None
    text = MockTextChannel(guild=guild)
    vc = MockVoiceClient()
    voice.connect.return_value = vc
    return SimpleNamespace(members=members, owner=members[0], guild=guild, voice=voice, text=text, vc=vc)


def inter(w: SimpleNamespace, user: Any) -> MockInteraction:
    return MockInteraction(user=user, guild=w.guild, channel=w.text)


def only_ephemeral(i: MockInteraction) -> bool:
    return bool(i.replies()) and all(kw.get("ephemeral") for _, kw in i.replies())


async def consent_all(cog: GroupCog, w: SimpleNamespace) -> None:
    """Every member of the world accepted the privacy notice in this server before (as /privacy consent)."""
    for m in w.members:
        await privacy.record_consent(cog.bot.services.db, m.id, w.guild.id)


async def start_group(cog: GroupCog, w: SimpleNamespace, rounds: int = 1, *, consented: bool = True) -> LobbyView:
    if consented:
        await consent_all(cog, w)
    i = inter(w, w.owner)
    await cog.start.callback(cog, i, None, rounds)
    (_, kw), = [(a, k) for a, k in i.replies() if isinstance(k.get("view"), LobbyView)]
    assert isinstance(kw["embed"], discord.Embed)
    return kw["view"]


async def press(button: Any, i: MockInteraction) -> MockInteraction:
    await button.callback(i)
    return i
