"""The answer timeline of a real voice message (espeak-ng speech, a long pause, ogg/opus as Discord sends
it, the real whisper model): the picture plots what the analysis found, and the daily cog attaches it."""

from __future__ import annotations

import pytest

from bot.analysis import expected_elements
from bot.analysis.lexicon import build_doc
from bot.analysis.structure import detect_structure
from bot.timeline_chart import answer_timeline
from tests.fakes import RecordingPoster
from tests.integration.daily_helpers import ADA, GUILD
from tests.voice_messages import PAUSE_S, paused_voice_message


@pytest.mark.slow
async def test_timeline_of_a_real_voice_message(daily, tmp_path):
    svc, _clock, _db = daily
    push = (await svc.push_now(GUILD, RecordingPoster())).push
    result = await svc.answer_audio(push, ADA, "ada", paused_voice_message(tmp_path), filename="voice-message.ogg")
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
