"""Silences spliced into synthesized answers survive transcription as gaps between words.

The VAD filter cuts long pauses out before decoding; these tests check the word timestamps are
mapped back onto the real clock, so `find_silences` sees each pause where it was spliced in.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.analysis.timing import find_silences
from bot.speech.audio import SAMPLE_RATE, decode_file
from bot.speech.stt import Transcriber
from tests.conftest import espeak

pytestmark = pytest.mark.slow

TOLERANCE_S = 0.5
PARTS = [
    ("So the first thing I would do is clarify the requirements and the expected load.", "en-us"),
    ("Then I would estimate the scale, about ten thousand devices sending once a second.", "en-gb"),
    ("Finally I would put a queue in front of the workers and talk about retries.", "en-us"),
]


def speech(text: str, voice: str, path: Path) -> np.ndarray:
    """Synthesize and trim espeak's own leading and trailing quiet, so splice points are exact."""
    x = decode_file(espeak(text, path, voice=voice))
    loud = np.nonzero(np.abs(x) > 0.01)[0]
    return x[loud[0]: loud[-1] + 1]


def gap(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * SAMPLE_RATE)), dtype=np.float32)


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> list[np.ndarray]:
    d = tmp_path_factory.mktemp("answers")
    return [speech(t, v, d / f"part{i}.wav") for i, (t, v) in enumerate(PARTS)]


def test_spliced_silences_are_found_where_they_are(transcriber: Transcriber, spoken: list[np.ndarray]) -> None:
    # a 6 s wait before the first word, then 5 s and 8 s pauses between sentences
    layout = [gap(6.0), spoken[0], gap(5.0), spoken[1], gap(8.0), spoken[2], gap(1.0)]
    audio = np.concatenate(layout)
    s0 = 6.0
    e0 = s0 + len(spoken[0]) / SAMPLE_RATE
    s1 = e0 + 5.0
    e1 = s1 + len(spoken[1]) / SAMPLE_RATE
    s2 = e1 + 8.0
    expected = [(0.0, s0), (e0, s1), (e1, s2)]

    transcript = transcriber.transcribe_sync(audio)
    found = find_silences(transcript, threshold_s=4.0)
    report = ", ".join(f"{s.start:.2f}-{s.end:.2f}" for s in found)
    print(f"\nexpected {[(round(a, 2), round(b, 2)) for a, b in expected]}; found {report}")
    assert len(found) == len(expected), f"found silences {report}"
    for (start, end), silence in zip(expected, found):
        assert silence.start == pytest.approx(start, abs=TOLERANCE_S)
        assert silence.end == pytest.approx(end, abs=TOLERANCE_S)
        assert silence.duration_s == pytest.approx(end - start, abs=2 * TOLERANCE_S)
    # every sentence was still recognised around the pauses
    assert len(transcript.words) >= 30
    assert transcript.duration_s == pytest.approx(len(audio) / SAMPLE_RATE)


def test_offset_keeps_silences_on_the_recording_clock(transcriber: Transcriber, spoken: list[np.ndarray]) -> None:
    """A later piece of a recording, transcribed with its offset, reports pauses at recording time."""
    piece = np.concatenate([spoken[0], gap(5.0), spoken[1]])
    transcript = transcriber.transcribe_sync(piece, offset_s=60.0)
    found = find_silences(transcript, threshold_s=4.0, start_s=60.0)
    expected_start = 60.0 + len(spoken[0]) / SAMPLE_RATE
    assert len(found) == 1
    assert found[0].start == pytest.approx(expected_start, abs=TOLERANCE_S)
    assert found[0].end == pytest.approx(expected_start + 5.0, abs=TOLERANCE_S)


def test_clean_answer_has_no_invented_silences(transcriber: Transcriber, spoken: list[np.ndarray]) -> None:
    # natural short pauses (0.4-1.5 s) between sentences, nothing near the 4 s threshold
    audio = np.concatenate([gap(0.8), spoken[0], gap(0.6), spoken[1], gap(1.5), spoken[2], gap(0.4)])
    transcript = transcriber.transcribe_sync(audio)
    found = find_silences(transcript, threshold_s=4.0)
    assert found == [], f"invented silences: {found}"
    words = transcript.words
    longest = max(b.start - a.end for a, b in zip(words, words[1:]))
    assert longest < 2.5, f"a {longest:.2f} s gap between words where the longest pause was 1.5 s"
    assert words[0].start < 1.5
