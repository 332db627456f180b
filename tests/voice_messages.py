"""Voice messages as Discord sends them (ogg/opus, mono 48 kHz) made from espeak-ng speech, and the
answers they say (tests/integration/test_daily_answers.py, test_timeline_audio.py,
tests/discord/test_daily_cog.py, test_retry_outline.py, tests/e2e/test_daily_push_e2e.py)."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from bot.speech.audio import decode_file
from tests.conftest import espeak

VOICE_ANSWER = (
    "Let me restate the problem first. I assume the events fit in memory and each one has a unique id. "
    "A simple baseline is to keep every id in a hash set and skip the ones I have seen. "
    "That is linear time and linear space. To improve it, I would expire old ids after a time window. "
    "I would test an empty stream, a stream of duplicates, and a late event. "
    "So the final answer is a set with a time window, order n time."
)

# an answer in two parts with a long pause between them
PART_1 = "First I assume about ten thousand devices, each sending one reading per second."
PART_2 = "I would put a load balancer in front of ingest workers that write into Kafka, because replay matters."
PAUSE_S = 6.0


def ogg_opus(wav: Path, out: Path) -> Path:
    """Encode like Discord's voice messages: ogg container, opus codec, mono 48 kHz."""
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is not installed (make test installs it)")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-ac", "1", "-ar", "48000",
                    "-c:a", "libopus", "-b:a", "32k", str(out)], check=True)
    return out


def paused_voice_message(tmp_path: Path) -> bytes:
    """PART_1, PAUSE_S of silence, PART_2: the bytes of the voice message."""
    a = decode_file(espeak(PART_1, tmp_path / "1.wav"))
    b = decode_file(espeak(PART_2, tmp_path / "2.wav"))
    samples = np.concatenate([a, np.zeros(int(PAUSE_S * 16000), dtype=np.float32), b])
    wav = tmp_path / "answer.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return ogg_opus(wav, tmp_path / "voice-message.ogg").read_bytes()
