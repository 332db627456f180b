"""The answer timeline of a real voice message (espeak-ng speech, a long pause, ogg/opus as Discord sends
it, the real whisper model): the picture plots what the analysis found, and the daily cog attaches it."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from bot.analysis import expected_elements
from bot.analysis.lexicon import build_doc
from bot.analysis.structure import detect_structure
from bot.speech.audio import decode_file
from bot.timeline_chart import answer_timeline
from tests.conftest import espeak
from tests.fakes import RecordingPoster
from tests.integration.test_daily_answers import ADA, GUILD, daily, ogg_opus  # noqa: F401

PART_1 = "First I assume about ten thousand devices, each sending one reading per second."
PART_2 = "I would put a load balancer in front of ingest workers that write into Kafka, because replay matters."
PAUSE_S = 6.0


def _voice_message(tmp_path) -> bytes:
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


@pytest.mark.slow
async def test_timeline_of_a_real_voice_message(daily, tmp_path):  # noqa: F811
    svc, _clock, _db = daily
    push = (await svc.push_now(GUILD, RecordingPoster())).push
    result = await svc.answer_audio(push, ADA, "ada", _voice_message(tmp_path), filename="voice-message.ogg")
    tr, a, q = result.transcript, result.analysis, result.question
    assert tr is not None and tr.words
    chart = answer_timeline(q, tr, a)
    # the 6 s pause is the one long pause, and it is drawn where the analysis found it
    assert chart.pauses == [(round(s.start, 3), round(s.end, 3)) for s in a.silences]
    (start, end) = chart.pauses[0]
    assert PAUSE_S - 1.5 <= end - start <= PAUSE_S + 1.5
    kafka = next(w for w in tr.words if "kafka" in w.text.lower())
    assert kafka.start > end  # the second part comes after the pause
    # structure markers at the analysis's own hit times
    report = detect_structure(build_doc([w.text for w in tr.words], [w.start for w in tr.words]), q.category,
                              expected_elements(q))
    assert a.structure["assumptions"] and chart.heard["assumptions"] == pytest.approx(report.hits["assumptions"].time)
    assert chart.heard["assumptions"] < start  # said in the first part, before the pause
    assert set(chart.due) == {e for e in expected_elements(q) if not a.structure.get(e)}
