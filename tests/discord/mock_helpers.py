"""`/mock` driven through spec_set Discord mocks (tests/discord/helpers.py): the cog fixture, a world
to run a round in and the presses of a round (tests/discord/test_mock_cog.py, test_mock_retry.py,
test_erasure_mock.py, tests/fault/test_trust_probes.py).

`round_settings` and `mock_cog` are fixtures: tests/discord/conftest.py and tests/fault/conftest.py
import them, so a test there just names them.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.bank import load_bank
from bot.discord_io.client import ParleyBot
from bot.discord_io.views import ConsentView, RoundControls, TextAnswerModal
from bot.practice.engine import PracticeEngine
from bot.practice.rounds_registry import RoundsRegistry
from bot.services import Services
from bot.speech.stt import Transcriber
from bot.speech.tts import Speaker
from cogs.mock import MockCog
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

TIMEOUT = 60.0


def services_for(settings, db, transcriber) -> Services:
    bank = load_bank(settings.bank_dir)
    engine = PracticeEngine(settings=settings, bank=bank, transcriber=transcriber, db=db)
    return Services(settings, db, bank, transcriber, Speaker(settings), engine)


@pytest.fixture
def round_settings(settings):
    """The /mock tests' settings: two questions a round."""
    return settings.with_(questions_per_round=2)


@pytest.fixture
async def mock_cog(round_settings, db):
    """The /mock cog on a MockBot with the real services (a sqlite database, the real bank)."""
    # A real Transcriber that is never loaded: these tests send no audio, so nothing transcribes.
    services = services_for(round_settings, db, Transcriber(round_settings))
    bot = MockBot.of(ParleyBot(services, extensions=()))
    bot.services, bot.settings = services, round_settings
    bot.rounds = RoundsRegistry(round_settings)
    c = MockCog(bot)
    yield c
    await end_all_rounds(c)


async def end_all_rounds(c: MockCog) -> None:
    for active in list(c.active.values()):
        active.round.end()
        await asyncio.wait_for(active.task, TIMEOUT)


def make_world(guild: MockGuild | None = None, *, in_voice: bool = True) -> SimpleNamespace:
    member = MockMember(name="ada")
    guild = guild or MockGuild()
    guild.add_member(member)
    voice = MockVoiceChannel(guild=guild, members=[member])
    member.voice = MockVoiceState(channel=voice) if in_voice else None
    text = MockTextChannel(guild=guild)
    vc = MockVoiceClient()
    voice.connect.return_value = vc
    return SimpleNamespace(member=member, guild=guild, voice=voice, text=text, vc=vc)


def interaction_for(world: SimpleNamespace, user: Any = None) -> MockInteraction:
    return MockInteraction(user=user or world.member, guild=world.guild, channel=world.text)


async def start(cog: MockCog, inter: MockInteraction, **options: Any) -> None:
    # the rounds here stop at the last answer; the invitation to ask questions is tested on its own
    opts = {"category": None, "difficulty": None, "question": None, "your_questions": False, **options}
    await cog.start.callback(cog, inter, **opts)


def has_view(kind: type) -> Any:
    return lambda kw: isinstance(kw.get("view"), kind)


async def accept_consent(world: SimpleNamespace) -> ConsentView:
    _, kw = await world.text.wait_sent(has_view(ConsentView), timeout=TIMEOUT)
    view = kw["view"]
    press = interaction_for(world)
    assert await view.interaction_check(press)
    await view.accept.callback(press)
    return view


def only_ephemeral(inter: MockInteraction) -> bool:
    return bool(inter.replies()) and all(kw.get("ephemeral") for _, kw in inter.replies())


async def type_answer(world: SimpleNamespace, controls: RoundControls, text: str) -> tuple[TextAnswerModal, MockInteraction]:
    """Press “Type my answer” on `controls`, type `text` into the box and submit it."""
    press = interaction_for(world)
    await controls.type_answer.callback(press)
    modal = press.response.send_modal.await_args.args[0]
    assert isinstance(modal, TextAnswerModal)
    submit = interaction_for(world)
    modal.answer._refresh_state(submit, {"type": 4, "custom_id": modal.answer.custom_id, "value": text})
    await modal.on_submit(submit)
    return modal, submit


def dms_closed() -> discord.Forbidden:
    """What Discord answers when a member does not accept direct messages from the bot."""
    return discord.Forbidden(SimpleNamespace(status=403, reason="Forbidden"),
                             {"code": 50007, "message": "Cannot send messages to this user"})
