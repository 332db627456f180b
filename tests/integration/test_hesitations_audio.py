"""A held "uhhh" that whisper leaves out is still counted: real speech, the real model, a spliced hum."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.speech.audio import SAMPLE_RATE, decode_file
from tests.conftest import espeak

pytestmark = pytest.mark.slow


def _hum(seconds: float, f0: float = 125.0) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    env = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.05)  # soft edges, like a voice
    return (0.25 * env * sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 9))).astype(np.float32)


def _speech(text: str, path: Path) -> np.ndarray:
    x = decode_file(espeak(text, path))
    loud = np.flatnonzero(np.abs(x) > 0.02 * float(np.max(np.abs(x))))
    return x[loud[0]:loud[-1] + 1]


def test_a_hum_between_words_is_a_hesitation_and_clean_speech_has_none(transcriber, tmp_path: Path) -> None:
    a = _speech("So the first thing I would do is put the orders on a queue", tmp_path / "a.wav")
    b = _speech("and then the workers write them to the database in batches", tmp_path / "b.wav")
    gap = np.zeros(int(0.4 * SAMPLE_RATE), dtype=np.float32)
    hum_at = (len(a) + len(gap)) / SAMPLE_RATE
    with_hum = np.concatenate([a, gap, _hum(0.9), gap, b])
    clean = np.concatenate([a, gap, gap, gap, b])

    heard = transcriber.transcribe_sync(with_hum)
    assert len(heard.hesitations) == 1, heard.hesitations
    start, end = heard.hesitations[0]
    assert abs(start - hum_at) <= 0.35 and abs(end - (hum_at + 0.9)) <= 0.35
    assert transcriber.transcribe_sync(clean).hesitations == []
