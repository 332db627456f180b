"""Fixtures shared by the integration tests. The two practice engines are named for what they drive:
`round_engine` for the mock-round tests, `group_engine` for the peer-group ones."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from bot.bank import load_bank
from bot.config import Settings
from bot.practice.daily_service import DailyService
from bot.practice.engine import PracticeEngine
from bot.speech.audio import decode_file
from bot.storage import Database
from tests.conftest import espeak
from tests.fakes import UtcClock
from tests.integration.daily_helpers import CHANNEL, GUILD


@pytest.fixture(scope="module")
def voice(tmp_path_factory: pytest.TempPathFactory):
    """espeak-ng sentences as 16 kHz samples, cached per module."""
    folder = tmp_path_factory.mktemp("answers")
    cache: dict[str, np.ndarray] = {}

    def say(text: str) -> np.ndarray:
        if text not in cache:
            p = espeak(text, folder / f"{len(cache)}.wav")
            cache[text] = decode_file(p)
        return cache[text]

    return say


@pytest.fixture
def round_engine(settings: Settings, db, transcriber) -> PracticeEngine:
    """The engine of the mock-round tests (test_round.py, test_round_extras.py)."""
    bank = load_bank(settings.bank_dir)
    return PracticeEngine(settings=settings, bank=bank, transcriber=transcriber, db=db)


@pytest.fixture
async def group_engine(settings, db, transcriber) -> PracticeEngine:
    """The engine of the peer-group tests (test_group_audio.py, test_group_pushback_audio.py)."""
    return PracticeEngine(settings=settings, bank=load_bank(Settings.from_env({}).bank_dir),
                          transcriber=transcriber, db=db)


@pytest.fixture
async def daily(settings, transcriber):
    """A daily service with the real model, set up in GUILD (tests/integration/daily_helpers.py):
    (service, clock, database)."""
    bank = load_bank(settings.bank_dir)
    clock = UtcClock(datetime(2026, 11, 2, 9, 30, tzinfo=ZoneInfo("Europe/Berlin")))
    async with Database(settings.database) as db:
        engine = PracticeEngine(settings=settings, bank=bank, transcriber=transcriber, db=db)
        svc = DailyService(settings, db, bank, engine, clock=clock)
        await svc.setup(GUILD, CHANNEL, "09:00", "Europe/Berlin", "coding")
        yield svc, clock, db
