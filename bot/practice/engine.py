"""The practice engine: one object every front end (CLI, cogs, tests) drives.

It turns an answer (audio samples or text) into an `Analysis` and stores it as an attempt.
Transcription runs in a worker thread (see `bot.speech.stt.Transcriber.transcribe`), so the
event loop keeps its heartbeat while a long answer is processed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Unpack

import numpy as np

from bot.analysis import analyze
from bot.bank import Bank
from bot.config import Settings
from bot.models import Analysis, Question, Transcript
from bot.speech.stt import Transcriber
from bot.storage import Database
from bot.storage.attempts import AttemptContext, add_attempt

log = logging.getLogger(__name__)


@dataclass
class PracticeEngine:
    settings: Settings
    bank: Bank
    transcriber: Transcriber
    db: Database | None = None

    async def transcribe(self, samples: np.ndarray) -> Transcript:
        """16 kHz mono float32 samples → words with timestamps (off the event loop)."""
        return await self.transcriber.transcribe(samples)

    def analyze_transcript(self, question: Question, transcript: Transcript) -> Analysis:
        return analyze(question, transcript=transcript, settings=self.settings)

    def analyze_text(self, question: Question, text: str) -> Analysis:
        return analyze(question, text=text, settings=self.settings)

    async def analyze_audio(self, question: Question, samples: np.ndarray) -> Analysis:
        transcript = await self.transcribe(samples)
        return self.analyze_transcript(question, transcript)

    async def record(self, analysis: Analysis, **context: Unpack[AttemptContext]) -> int | None:
        """Store the attempt; returns its id (None when the engine runs without a database)."""
        if self.db is None:
            return None
        return await add_attempt(self.db, analysis, **context)
