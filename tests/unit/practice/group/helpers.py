"""What the group-session tests share: members, a controlled clock, a group with a recording
listener, typed answers, and synthetic voiced or silent Discord audio."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest

from bot.bank import load_bank
from bot.config import Settings
from bot.practice.engine import PracticeEngine
from bot.practice.group import GroupConfig, GroupSession, ManualClock, Phase
from bot.speech.stt import Transcriber
from bot.storage.group import GroupStore

A, B, C, D = 1001, 1002, 1003, 1004
NAMES = {A: "ada", B: "bo", C: "cy", D: "di"}

ANSWER_A = (
    "First I want to clarify the assumptions: about ten thousand requests per second and reads "
    "dominate. A simple baseline is one database with a cache in front. The tradeoff is staleness "
    "against latency, so I would pick a short expiry. As a result p99 latency dropped by forty percent."
)
ANSWER_B = "I would just use a queue I guess, and it would probably work fine."


def tone(seconds: float, amp: float = 0.2, freq: float = 220.0) -> bytes:
    """Discord PCM (s16le 48 kHz stereo) of a sine: every 20 ms frame is clearly voiced."""
    n = int(round(seconds * 48000))
    x = (amp * np.sin(2 * math.pi * freq * np.arange(n) / 48000) * 32767).astype("<i2")
    return np.repeat(x, 2).tobytes()


def quiet(seconds: float) -> bytes:
    return bytes(int(round(seconds * 48000)) * 4)


class Events:
    def __init__(self) -> None:
        self.items: list[Any] = []

    async def __call__(self, event: Any) -> None:
        self.items.append(event)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.items if isinstance(e, kind)]


@pytest.fixture(scope="module")
def bank():
    return load_bank(Settings.from_env({}).bank_dir)


@pytest.fixture
def engine(settings, db, bank) -> PracticeEngine:
    # the transcriber is never loaded here: typed answers need no model
    return PracticeEngine(settings=settings, bank=bank, transcriber=Transcriber(settings), db=db)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=5000.0)


async def make_group(engine, db, clock, members=(A, B, C), **config: Any) -> tuple[GroupSession, Events]:
    events = Events()
    g = GroupSession(
        engine, guild_id=77, channel_id=88, owner_id=members[0] if members else A,
        config=GroupConfig(**{"rating_seconds": 30.0, "turn_seconds": 60.0, "warning_seconds": 15.0, **config}),
        store=GroupStore(db), clock=clock, listener=events, rng=random.Random(7),
    )
    await g.open()
    for uid in members:
        await g.join(uid, NAMES.get(uid, str(uid)))
    return g, events


async def type_answer(g: GroupSession, clock: ManualClock, text: str = ANSWER_B) -> int:
    """The current answerer types an answer; nobody rates; the rating time runs out."""
    turn = g.current
    assert turn is not None and g.phase is Phase.ANSWERING
    await g.submit_text_answer(turn.answerer_id, text)
    if g.phase is Phase.RATING:
        clock.advance(g.config.rating_seconds)
        await g.poll()
    return turn.answerer_id
