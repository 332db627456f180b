"""The mock round end to end with the real whisper model and a real sqlite database.

Only the front end is fake (`RecordingRoundIO` records what the round says and posts, as the Discord
adapter would render it). Answers are synthesized with espeak-ng, turned into Discord PCM
(48 kHz stereo s16le) and fed as 20 ms frames on a controlled clock, from a thread, like the
voice receive thread does. Synchronisation is by awaited round states and futures only.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import numpy as np
import pytest

from bot.bank import load_bank
from bot.config import Settings
from bot.practice.engine import PracticeEngine
from bot.practice.listening import ListenerConfig
from bot.practice.round import MockRound, RoundIO, RoundState
from bot.practice.rounds_registry import RoundAlreadyRunning, RoundsRegistry, TooBusy
from bot.speech.audio import to_pcm48_stereo
from bot.speech.stt import Transcriber
from bot.storage.attempts import list_attempts
from bot.storage.sessions import (
    add_member,
    close_interrupted,
    create_session,
    end_session,
    get_session,
    running_sessions,
    session_members,
)
from tests.fakes import RecordingRoundIO, StepClock
from tests.integration.round_helpers import FRAME_BYTES, QID, RATE, STEP, feed, silence
from tests.loop_lag import LoopTicker


def make_round(engine: PracticeEngine, io: RecordingRoundIO, clock: Any, n: int = 1, **kw: Any) -> MockRound:
    q = engine.bank.get(QID)
    settings = engine.settings.with_(questions_per_round=n)
    qs = [q] + [x for x in engine.bank.questions if x.id != QID][: n - 1]
    return MockRound(engine, io, user_id=42, user_name="ana", guild_id=7, channel_id=8, questions=qs,
                     settings=settings, clock=clock, **kw)


PART1 = ("First I will assume about one hundred thousand vehicles, each sending a reading every five "
         "seconds, so roughly twenty thousand writes per second.")
PART2 = ("Vehicles send to a stateless ingestion service behind a load balancer, which writes into Kafka. "
         "Stream consumers update a time series database for the dashboards, and a batch job writes "
         "parquet files to object storage for analysis.")
FOLLOW = "We deduplicate with an event id so that retries are idempotent, and we alert on consumer lag."


@pytest.mark.slow
async def test_round_nudges_once_ends_by_silence_and_by_phrase_asks_a_follow_up_and_stores(round_engine, db, voice):
    assert isinstance(RecordingRoundIO(), RoundIO)
    io, clock = RecordingRoundIO(), StepClock(5000.0)
    r = make_round(round_engine, io, clock)
    task = asyncio.create_task(r.run())

    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 1), STEP)
    assert io.consent_texts and "not kept" in io.consent_texts[0]
    assert io.said == [("question", round_engine.bank.get(QID).prompt)]
    assert io.cards == [(QID, 1, 1)]
    session_id = r.session_id
    assert session_id is not None and (await get_session(db, session_id)).status == "running"

    # main answer: a 7 s thinking pause in the middle, another 5 s one later, then 16 s of silence
    answer = np.concatenate([silence(1.0), voice(PART1), silence(7.0), voice(PART2), silence(5.0),
                             voice("That covers the main path."), silence(16.0)])
    await asyncio.to_thread(feed, r, clock, answer)

    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 2), STEP)  # the follow-up is asked
    assert io.kinds() == ["question", "nudge", "follow_up"]  # exactly one nudge for two long pauses
    follow_up_text = io.said[-1][1]
    assert follow_up_text

    # the attempt is stored as soon as the main answer is analysed, before the round ends
    rows = await list_attempts(db, 42)
    assert len(rows) == 1 and rows[0].mode == "mock" and rows[0].session_id == session_id
    assert "kafka" in rows[0].transcript.lower()

    fu = np.concatenate([silence(0.8), voice(FOLLOW + " That's my answer."), silence(2.0)])
    await asyncio.to_thread(feed, r, clock, fu)
    summary = await asyncio.wait_for(task, STEP)

    a = summary.answers[0]
    assert a.end_reason == "silence"
    assert a.follow_up == follow_up_text
    assert a.follow_up_end_reason == "phrase"
    assert a.analysis is not None and a.analysis.question_id == QID
    # word times are absolute across chunks: PART2 starts after the 7 s pause
    words = a.transcript.words
    kafka = [w for w in words if "kafka" in w.text.lower()]
    assert kafka and kafka[0].start > 1.0 + len(voice(PART1)) / RATE + 6.0
    assert any(s.duration_s >= 6.0 for s in a.analysis.silences)
    assert "consumer lag" in a.follow_up_transcript.text.lower()

    assert summary.status == "done" and summary.reason == "completed"
    assert io.feedback == [summary] and io.closed == [summary]
    rows = await list_attempts(db, 42)
    assert sorted(r_.mode for r_ in rows) == ["mock", "mock_follow_up"]
    assert {r_.session_id for r_ in rows} == {session_id}
    assert {r_.id for r_ in rows} == {a.attempt_id, a.follow_up_attempt_id}
    s = await get_session(db, session_id)
    assert s.status == "done" and s.ended_at and s.summary["answers"][0]["attempt_id"] == a.attempt_id
    assert r.ended and r.state is RoundState.ENDED
    # controls after the end are harmless no-ops
    r.done()
    r.skip()
    r.end()
    r.user_left()
    r.disconnected("late")
    r.feed_audio(b"\0" * FRAME_BYTES)
    assert io.closed == [summary]


@pytest.mark.slow
async def test_spoken_end_phrase_ends_the_main_answer(round_engine, db, voice):
    io, clock = RecordingRoundIO(), StepClock(5000.0)
    r = make_round(round_engine, io, clock)
    task = asyncio.create_task(r.run())
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 1), STEP)
    answer = np.concatenate([silence(0.5), voice(PART2 + " That's my answer."), silence(2.0)])
    await asyncio.to_thread(feed, r, clock, answer)
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 2), STEP)
    r.done()  # the Done button ends the follow-up answer (nothing said)
    summary = await asyncio.wait_for(task, STEP)
    a = summary.answers[0]
    assert a.end_reason == "phrase"
    assert a.follow_up_end_reason == "done_button" and a.follow_up_analysis is None
    assert io.kinds() == ["question", "follow_up"]  # no nudge: no long pause
    assert [x.mode for x in await list_attempts(db, 42)] == ["mock"]


@pytest.mark.slow
async def test_user_leaving_mid_answer_gives_partial_feedback_and_keeps_the_attempt(round_engine, db, voice):
    io, clock = RecordingRoundIO(), StepClock(5000.0)
    r = make_round(round_engine, io, clock, n=2)
    task = asyncio.create_task(r.run())
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 1), STEP)
    await asyncio.to_thread(feed, r, clock, np.concatenate([silence(0.5), voice(PART1)]))
    r.user_left()
    summary = await asyncio.wait_for(task, STEP)
    assert summary.status == "interrupted" and summary.reason == "user_left"
    assert len(summary.answers) == 1
    a = summary.answers[0]
    assert a.end_reason == "user_left" and a.analysis is not None and a.follow_up == ""
    assert "vehicles" in a.transcript.text.lower()
    assert io.feedback == [summary] and any("left" in s for s in io.statuses)
    rows = await list_attempts(db, 42)
    assert len(rows) == 1 and rows[0].id == a.attempt_id
    sess = await get_session(db, r.session_id)
    assert sess.status == "interrupted"
    assert io.kinds() == ["question"]  # the second question was never asked


@pytest.mark.slow
async def test_declined_consent_records_nothing(round_engine, db):
    io = RecordingRoundIO(consent=False)
    r = make_round(round_engine, io, StepClock(5000.0))
    summary = await asyncio.wait_for(r.run(), STEP)
    assert summary.status == "declined"
    assert io.said == [] and io.feedback == [] and io.closed == [summary]
    assert r.session_id is None and await list_attempts(db, 42) == []
    assert r.times_entered(RoundState.LISTENING) == 0


@pytest.mark.slow
async def test_end_round_while_the_question_plays_stops_at_once(round_engine, db):
    class SlowIO(RecordingRoundIO):
        def __init__(self) -> None:
            super().__init__()
            self.playing = asyncio.Event()
            self.cancelled = False

        async def say(self, text: str, *, kind: str) -> None:
            await super().say(text, kind=kind)
            self.playing.set()
            try:
                await asyncio.Future()  # plays until interrupted
            except asyncio.CancelledError:
                self.cancelled = True
                raise

    io = SlowIO()
    r = make_round(round_engine, io, StepClock(5000.0), n=3)
    task = asyncio.create_task(r.run())
    await asyncio.wait_for(io.playing.wait(), STEP)
    r.end()
    summary = await asyncio.wait_for(task, STEP)
    assert io.cancelled  # playback was interrupted, not awaited to its end
    assert summary.status == "done" and summary.reason == "ended"
    assert summary.answers == [] and io.feedback == []
    assert any("No answer" in s for s in io.statuses)
    assert await list_attempts(db, 42) == []
    assert r.times_entered(RoundState.LISTENING) == 0
    assert (await get_session(db, r.session_id)).status == "done"


@pytest.mark.slow
async def test_event_loop_stays_responsive_while_a_long_answer_is_transcribed(round_engine, voice):
    """A ~100 s answer fed as fast as the thread can; a 10 ms ticker measures the loop's lag."""
    io = RecordingRoundIO()
    r = make_round(round_engine, io, time.monotonic)
    task = asyncio.create_task(r.run())
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 1), STEP)

    sentences = [PART1, PART2, FOLLOW, "Then we add retention policies and compact the oldest data."]
    parts: list[np.ndarray] = []
    while sum(len(p) for p in parts) < 100 * RATE:
        for s in sentences:
            parts += [voice(s), silence(0.8)]
    answer = np.concatenate(parts)

    ticker = LoopTicker(0.01)
    t0 = time.perf_counter()
    async with ticker:
        # pace the feed at ~8x real time so background chunks overlap with arrival
        pcm = to_pcm48_stereo(answer)

        def paced() -> None:
            start = time.perf_counter()
            for k, i in enumerate(range(0, len(pcm), FRAME_BYTES)):
                r.feed_audio(pcm[i : i + FRAME_BYTES])
                ahead = (k * 0.02 / 8) - (time.perf_counter() - start)
                if ahead > 0:
                    time.sleep(ahead)  # pacing the producer, not synchronising the test

        await asyncio.to_thread(paced)
        r.done()
        await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 2), 4 * STEP)
        r.done()
        summary = await asyncio.wait_for(task, STEP)
    elapsed = time.perf_counter() - t0
    lags = ticker.lags

    a = summary.answers[0]
    assert a.end_reason == "done_button"
    assert a.transcript.words[-1].end > 90.0  # the whole answer made it, with absolute times
    # Transcribing on the loop would block it for seconds. faster-whisper holds the GIL for
    # tens of ms at times, and the machine is shared, hence the margin on the maximum.
    assert max(lags) < 0.5, f"event loop stalled {max(lags):.3f} s (p99 {np.percentile(lags, 99):.3f})"
    assert np.percentile(lags, 99) < 0.06
    assert statistics.median(lags) < 0.02
    assert len(lags) > elapsed / 0.05  # the ticker really ran throughout


async def test_sessions_are_closed_once_and_running_ones_marked_interrupted_at_start_up(db):
    a = await create_session(db, "mock", 7, 8, 42, owner_name="ana")
    b = await create_session(db, "group", 7, 9, 43)
    await add_member(db, b, 44, "bo")
    await add_member(db, b, 44, "bo")  # idempotent
    assert await session_members(db, b) == [43, 44]
    assert [x.id for x in await running_sessions(db)] == [a, b]
    assert await end_session(db, a, "done", {"average_score": 70})
    assert not await end_session(db, a, "interrupted")  # the first close wins
    row = await get_session(db, a)
    assert row.status == "done" and row.summary == {"average_score": 70} and row.ended_at
    closed = await close_interrupted(db)  # what start-up does after a crash
    assert [(x.id, x.status) for x in closed] == [(b, "interrupted")]
    assert await running_sessions(db) == [] and await close_interrupted(db) == []
    with pytest.raises(ValueError, match="done' or 'interrupted"):
        await end_session(db, b, "running")
    with pytest.raises(ValueError, match="unknown session kind"):
        await create_session(db, "party", 1, 1, 1)


async def test_registry_caps_rounds_per_server_and_in_total():
    reg = RoundsRegistry(Settings.from_env({}, max_rounds_per_guild=1, max_rounds_total=2))
    a = await reg.claim(1, 100)
    with pytest.raises(RoundAlreadyRunning, match="already have a mock round"):
        await reg.claim(1, 100)
    with pytest.raises(RoundAlreadyRunning, match="already running in this server"):
        await reg.claim(1, 101)
    b = await reg.claim(2, 200)
    with pytest.raises(TooBusy, match="maximum of 2 mock rounds"):
        await reg.claim(3, 300)
    reg.attach(a, "round-a")
    assert reg.find(1).round == "round-a" and reg.find(1, 999) is None and len(reg) == 2
    await reg.release(a)
    await reg.release(a)  # idempotent
    assert reg.find(1) is None
    c = await reg.claim(3, 300)
    assert {x.guild_id for x in reg} == {2, 3} and c is not b


@pytest.mark.slow
async def test_typed_answers_when_voice_cannot_be_used_are_analysed_and_stored(round_engine, db):
    io = RecordingRoundIO()
    r = make_round(round_engine, io, StepClock(5000.0))
    task = asyncio.create_task(r.run())
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 1), STEP)
    r.answer_text("I assume one hundred thousand vehicles. A stateless ingestion service writes to Kafka, "
                  "consumers fill a time series database, and we alert on consumer lag.")
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 2), STEP)
    r.answer_text("We deduplicate with an event id so retries are idempotent.")
    summary = await asyncio.wait_for(task, STEP)
    a = summary.answers[0]
    assert a.end_reason == "typed" and a.follow_up_end_reason == "typed"
    assert a.analysis is not None and a.analysis.duration_s is None  # a text answer: no timing
    assert "kafka" in a.analysis.transcript.lower()
    rows = await list_attempts(db, 42)
    assert sorted(x.mode for x in rows) == ["mock", "mock_follow_up"]
    assert io.kinds() == ["question", "follow_up"]


@pytest.mark.slow
async def test_an_answer_begun_aloud_and_finished_by_typing_counts_both_parts(round_engine, db, voice):
    """Voice fails part way (undecryptable audio): the member types the rest. The words heard
    before the typed part are not thrown away: both are analysed and stored as one answer."""
    io, clock = RecordingRoundIO(), StepClock(5000.0)
    r = make_round(round_engine, io, clock)
    task = asyncio.create_task(r.run())
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 1), STEP)
    await asyncio.to_thread(feed, r, clock, np.concatenate([silence(0.5), voice(PART1)]))
    assert r.answer_text("Consumers deduplicate with an event id, so a retried write is harmless.")
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 2), STEP)
    a = r.summary.answers[0]
    assert a.end_reason == "typed" and a.analysis is not None
    text = a.analysis.transcript.lower()
    assert "vehicles" in text and "every five seconds" in text, text         # the spoken part
    assert text.endswith("a retried write is harmless."), text               # then the typed part
    assert text.index("vehicles") < text.index("deduplicate")
    assert a.analysis.structure["assumptions"], a.analysis.structure          # stated aloud only
    r.end()
    await asyncio.wait_for(task, STEP)
    stored = await list_attempts(db, 42)
    assert [x.mode for x in stored] == ["mock"] and "deduplicate" in stored[0].transcript.lower()


@pytest.mark.slow
async def test_silence_arriving_as_missing_packets_nudges_and_ends_the_answer(round_engine, db, voice):
    """Discord sends nothing while the user is quiet: the round's clock alone must advance the
    silence (its ticker fills the gap), giving the nudge and then the end of the answer."""
    io, clock = RecordingRoundIO(), StepClock(5000.0)
    r = make_round(round_engine, io, clock)
    task = asyncio.create_task(r.run())
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 1), STEP)
    await asyncio.to_thread(feed, r, clock, np.concatenate([silence(0.5), voice(PART2)]))
    spoken_until = r.listener.audio_s
    clock.t += 16.0  # sixteen seconds without a single packet
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 2), STEP)
    assert io.kinds() == ["question", "nudge", "follow_up"]
    a = r.summary.answers[0]
    assert a.end_reason == "silence"
    assert a.transcript.duration_s == pytest.approx(spoken_until, abs=0.6)  # the end silence is not the answer
    r.end()
    summary = await asyncio.wait_for(task, STEP)
    assert summary.status == "done" and [x.mode for x in await list_attempts(db, 42)] == ["mock"]


@pytest.mark.slow
async def test_hint_repeat_and_skip_controls(round_engine, db, voice):
    io, clock = RecordingRoundIO(), StepClock(5000.0)
    r = make_round(round_engine, io, clock, n=2)
    q1 = round_engine.bank.get(QID)
    task = asyncio.create_task(r.run())
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 1), STEP)
    r.hint()
    await asyncio.wait_for(io.wait_said(2), STEP)
    r.repeat()
    await asyncio.wait_for(io.wait_said(3), STEP)
    assert io.said[1:] == [("hint", q1.hint), ("question", q1.prompt)]
    r.skip()  # nothing said yet: no analysis, no follow-up, straight to question 2
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 2), STEP)
    q2 = r.current_question
    assert q2 is not None and q2.id != QID and io.said[-1] == ("question", q2.prompt)
    await asyncio.to_thread(feed, r, clock, np.concatenate([silence(0.5), voice(PART1)]))
    r.skip()  # what was said is still analysed and stored, but no follow-up
    summary = await asyncio.wait_for(task, STEP)
    assert [a.end_reason for a in summary.answers] == ["skipped", "skipped"]
    assert summary.answers[0].analysis is None and summary.answers[1].analysis is not None
    assert [x.question_id for x in await list_attempts(db, 42)] == [q2.id]
    assert "follow_up" not in io.kinds()
    assert io.feedback == [summary]


@pytest.fixture
def text_engine(settings: Settings, db) -> PracticeEngine:
    """An engine whose model is never loaded: typed answers and silence need no transcription."""
    return PracticeEngine(settings=settings, bank=load_bank(settings.bank_dir),
                          transcriber=Transcriber(settings), db=db)


TYPED_MAIN = ("I assume one hundred thousand vehicles. A stateless ingestion service writes to Kafka, "
              "consumers fill a time series database, and we alert on consumer lag.")


async def test_typing_holds_the_silence_timers_and_the_typed_answer_joins_the_round(text_engine, db):
    """While the user types, minutes of silence end nothing (no end silence, no no-speech timeout,
    no nudge); the typed answer is analysed, stored with the round's session, part of the final
    feedback, and followed by the follow-up. Typing stays on for the follow-up until stopped."""
    io, clock = RecordingRoundIO(), StepClock(5000.0)
    r = make_round(text_engine, io, clock)
    task = asyncio.create_task(r.run())
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 1), STEP)
    r.typing_started()
    main = r.listener
    clock.t += 120.0  # two minutes typing: far past the 15 s end silence and the 30 s no-speech timeout
    main.tick(clock.t)
    assert main.audio_s > 100.0 and not main.ended and r.nudges == 0
    assert not r.answer_text("   ")  # an empty box is not an answer
    assert r.answer_text(TYPED_MAIN)

    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 2), STEP)  # the follow-up is asked
    follow = r.listener
    assert follow is not main and follow.silence_held
    clock.t += 120.0
    follow.tick(clock.t)
    assert not follow.ended
    r.typing_stopped()  # back to voice: the no-speech timeout counts from now
    clock.t += ListenerConfig.from_settings(text_engine.settings).no_speech_timeout_s + 1.0
    follow.tick(clock.t)
    summary = await asyncio.wait_for(task, STEP)

    a = summary.answers[0]
    assert a.end_reason == "typed" and a.follow_up_end_reason == "no_speech"
    assert a.analysis is not None and "kafka" in a.analysis.transcript.lower()
    assert a.follow_up and io.kinds() == ["question", "follow_up"]
    assert io.feedback == [summary] and summary.analyses == [a.analysis]
    rows = await list_attempts(db, 42)
    assert [(x.mode, x.session_id, x.id) for x in rows] == [("mock", r.session_id, a.attempt_id)]
    assert not r.answer_text("too late")


async def test_text_typed_after_an_answer_ended_is_refused_not_carried_to_the_next_question(text_engine):
    io, clock = RecordingRoundIO(), StepClock(5000.0)
    r = make_round(text_engine, io, clock, n=2)
    task = asyncio.create_task(r.run())
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 1), STEP)
    r.done()  # nothing said: the answer ends empty, the round moves to question 2
    assert not r.answer_text("meant for question one")
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 2), STEP)
    r.end()
    summary = await asyncio.wait_for(task, STEP)
    assert [a.end_reason for a in summary.answers] == ["done_button", "round_ended"]
    assert summary.analyses == []
