"""Fixtures shared by the Discord tests. Each has a name that says which cog or bot it is, so none
stands in for a module's own `cog` or `bot` fixture.

`group_cog` (tests/discord/group_helpers.py), `mock_cog` and `round_settings`
(tests/discord/mock_helpers.py) live next to the helpers that drive them, because
tests/fault/test_trust_probes.py uses them too; they are imported here so that a test in this folder
only names them.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import discord
import pytest

from bot.bank import load_bank
from bot.discord_io.client import ParleyBot
from bot.practice.engine import PracticeEngine
from bot.services import Services
from bot.speech.stt import Transcriber
from bot.speech.tts import Speaker
from bot.storage import Database
from cogs.daily import DailyCog
from tests.discord.daily_helpers import make_bot, push_channel
from tests.discord.group_helpers import group_cog  # noqa: F401 - a fixture
from tests.discord.helpers import MockGuild, MockMember
from tests.discord.mock_helpers import mock_cog, round_settings  # noqa: F401 - fixtures
from tests.fakes import UtcClock


@pytest.fixture
async def daily_world(settings):
    """A real database and bank behind a MockBot; a guild with an admin, a member and a push channel
    (the daily cog's tests: test_daily_cog.py, test_retry_outline.py)."""
    bank = load_bank(settings.bank_dir)
    async with Database(settings.database) as db:
        engine = PracticeEngine(settings=settings, bank=bank, transcriber=None, db=db)  # text answers only
        services = Services(settings=settings, db=db, bank=bank, transcriber=None, speaker=None, engine=engine)
        admin = MockMember(name="admin", guild_permissions=discord.Permissions(manage_guild=True))
        member = MockMember(name="ada")
        guild = MockGuild(members=[admin, member])
        channel = push_channel(guild)
        bot = make_bot(services, [channel])
        clock = UtcClock(datetime(2026, 3, 7, 8, 0, tzinfo=ZoneInfo("America/New_York")))
        cog = DailyCog(bot, clock=clock, autostart=False)
        yield type("World", (), dict(db=db, cog=cog, bot=bot, guild=guild, admin=admin, member=member,
                                     channel=channel, clock=clock, settings=settings))


@pytest.fixture
async def dispatch_bot(settings, db):
    """A real ParleyBot, never connected, bound to the running loop: its ConnectionState parses real
    INTERACTION_CREATE payloads and its ViewStore routes them (test_stale_components.py,
    test_stale_group.py; tests/discord/stale_helpers.py delivers the payloads)."""
    bank = load_bank(settings.bank_dir)
    transcriber = Transcriber(settings)  # never loaded: nothing is transcribed here
    engine = PracticeEngine(settings=settings, bank=bank, transcriber=transcriber, db=db)
    b = ParleyBot(Services(settings, db, bank, transcriber, Speaker(settings), engine), extensions=())
    await b._async_setup_hook()  # what login() does first: bind the client to the running loop
    yield b
    await b.close()
