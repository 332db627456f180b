"""A mock round fed real audio: 16 kHz samples turned into Discord PCM and fed as 20 ms frames on a
controlled clock, as the voice receive thread does (tests/integration/test_round.py,
test_round_extras.py)."""

from __future__ import annotations

import numpy as np

from bot.practice.round import MockRound
from bot.speech.audio import to_pcm48_stereo
from tests.fakes import StepClock

RATE = 16000
FRAME_BYTES = 3840
STEP = 60.0  # generous bound on any single awaited step (model on a shared 2-core machine)
QID = "design-telemetry-ingestion"


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def feed(round_: MockRound, clock: StepClock, samples: np.ndarray) -> None:
    """The receive thread: Discord frames arriving 20 ms apart on the round's clock."""
    pcm = to_pcm48_stereo(samples)
    for i in range(0, len(pcm), FRAME_BYTES):
        frame = pcm[i : i + FRAME_BYTES]
        clock.t += len(frame) / 4 / 48000
        round_.feed_audio(frame, at=clock.t)
