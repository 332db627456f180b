"""When the transcription workers stop answering (bot/speech/remote.py raises
`TranscriptionUnavailable`), the answer ends at once, the words heard before are kept, and a mock
round tells the member in the channel and gives feedback on what it kept (no follow-up).

The transcriber here is a recorder that answers the first chunk and then raises the error the
remote transcriber raises; tests/scale/test_workers.py runs the same round against a real broker
with no worker."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from bot.bank import load_bank
from bot.models import Transcript, Word
from bot.practice.engine import PracticeEngine
from bot.practice.listening import IncrementalListener, ListenerConfig
from bot.practice.round import MockRound, RoundState
from bot.speech.remote import TranscriptionUnavailable
from bot.speech.stt import Transcriber
from bot.storage.attempts import list_attempts
from tests.fakes import RecordingRoundIO, StepClock
from tests.unit.practice.listening_helpers import WAIT, feed, feed_round, silence, speech

WORDS = "first I would size the write load at twenty thousand readings a second".split()


class WorkersGone:
    """Transcribes (scripted words) what starts before `lost_after_s`, then raises as
    `RemoteTranscriber.transcribe_sync` does when no worker answers."""

    def __init__(self, lost_after_s: float) -> None:
        self.lost_after_s = lost_after_s
        self.calls: list[float] = []
        self.refused = 0
        self.lock = threading.Lock()

    def __call__(self, samples: np.ndarray, *, offset_s: float = 0.0, **_: object) -> Transcript:
        with self.lock:
            self.calls.append(offset_s)
        if offset_s >= self.lost_after_s:
            with self.lock:
                self.refused += 1
            raise TranscriptionUnavailable("no transcription worker took the chunk within 3 s")
        words = [Word(t, offset_s + 0.2 + 0.3 * i, offset_s + 0.45 + 0.3 * i) for i, t in enumerate(WORDS)]
        return Transcript(words=words, duration_s=len(samples) / 16000)


def test_the_listener_ends_the_answer_and_keeps_the_words_heard_before():
    gone = WorkersGone(lost_after_s=3.2)
    ends: list[str] = []
    ended = threading.Event()
    clock = StepClock()
    lst = IncrementalListener(gone, ListenerConfig(), clock=clock,
                              on_end=lambda r: (ends.append(r), ended.set()))
    try:
        lst.start(clock.t)
        feed(lst, clock, speech(3.0))
        feed(lst, clock, silence(2.0))      # a pause: the first chunk is committed and transcribed
        feed(lst, clock, speech(3.0, seed=1))
        feed(lst, clock, silence(2.0))      # the second chunk: no worker answers
        assert ended.wait(WAIT)
        assert ends == ["transcription_unavailable"] and lst.unavailable and "worker" in lst.unavailable
        feed(lst, clock, speech(3.0, seed=2))  # audio after the end is ignored
        transcript = lst.finish().result(WAIT)
    finally:
        lst.close()
    assert [w.text for w in transcript.words] == WORDS  # the first chunk's words, nothing invented
    assert gone.refused == 1  # the tail is not sent again to workers known to be gone


@pytest.mark.parametrize("words_before", [True, False], ids=["words-heard-first", "nothing-heard-yet"])
async def test_a_mock_round_tells_the_member_and_gives_feedback_on_what_it_kept(settings, db, words_before):
    bank = load_bank(settings.bank_dir)
    gone = WorkersGone(lost_after_s=3.2 if words_before else -1.0)
    transcriber = Transcriber(settings)
    transcriber.transcribe_sync = gone  # type: ignore[method-assign]
    engine = PracticeEngine(settings=settings, bank=bank, transcriber=transcriber, db=db)
    io, clock = RecordingRoundIO(), StepClock()
    question = bank.questions[0]
    r = MockRound(engine, io, user_id=42, user_name="ana", guild_id=7, channel_id=8, questions=[question],
                  settings=settings.with_(questions_per_round=1), clock=clock)
    task = asyncio.create_task(r.run())
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 1), WAIT)
    answer = np.concatenate([speech(3.0), silence(2.0), speech(3.0, seed=1), silence(2.0)])
    await asyncio.to_thread(feed_round, r, clock, answer)
    summary = await asyncio.wait_for(task, WAIT)

    (a,) = summary.answers
    assert a.end_reason == "transcription_unavailable"
    told = [s for s in io.statuses if s.startswith("Transcription is unavailable right now")]
    assert len(told) == 1, io.statuses
    assert [k for k, _ in io.said] == ["question"]  # no follow-up that could not be heard either
    assert summary.status == "done" and io.closed == [summary]
    rows = await list_attempts(db, 42)
    if words_before:
        assert "I kept the 13 words I'd already heard" in told[0]
        assert a.analysis is not None and a.transcript is not None
        assert [w.text for w in a.transcript.words] == WORDS
        assert io.feedback == [summary]  # partial feedback, on the words kept
        assert len(rows) == 1 and rows[0].transcript.split() == WORDS  # stored like any answer
    else:
        assert "hadn't transcribed any of it yet" in told[0]
        assert a.analysis is None and rows == []
