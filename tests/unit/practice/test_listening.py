"""IncrementalListener with synthetic audio: noise bursts stand for speech, zeros (or gaps in
arrival) for silence, fed as 20 ms Discord frames (48 kHz stereo s16le) on a controlled clock
(tests/unit/practice/listening_helpers.py).

Transcription is replaced by a recorder here (the listener's chunking and timing are under
test, not whisper); tests/integration/test_round.py runs the real model.
"""

from __future__ import annotations

import pytest

from bot.models import Word
from bot.practice.listening import ends_with_end_phrase
from tests.unit.practice.listening_helpers import RATE, WAIT, feed, frames, make, silence, speech


def test_one_nudge_per_answer_at_the_start_of_the_first_long_silence(open_listeners):
    lst, ev, _, clock = make(long_silence_s=4.0, end_silence_s=15.0)
    open_listeners.append(lst)
    feed(lst, clock, speech(2.0))
    feed(lst, clock, silence(5.0))
    feed(lst, clock, speech(2.0, seed=1))
    feed(lst, clock, silence(6.0))
    feed(lst, clock, speech(1.0, seed=2))
    assert len(ev.long_silences) == 1
    start, fired_at = ev.long_silences[0]
    assert start == pytest.approx(2.0, abs=0.05)
    assert fired_at == pytest.approx(6.0, abs=0.05)  # 4 s into the silence, not at its end
    assert not ev.ends


def test_short_pauses_and_the_wait_before_speaking_get_no_nudge(open_listeners):
    lst, ev, _, clock = make(long_silence_s=4.0, end_silence_s=15.0)
    open_listeners.append(lst)
    feed(lst, clock, silence(6.0))  # thinking before the first word: not mid-answer
    for i in range(5):
        feed(lst, clock, speech(1.5, seed=i))
        feed(lst, clock, silence(3.5))
    assert ev.long_silences == []
    assert not ev.ends
    assert lst.speech_started


def test_end_silence_after_speech_ends_the_answer_exactly_then(open_listeners):
    lst, ev, _, clock = make(long_silence_s=4.0, end_silence_s=15.0)
    open_listeners.append(lst)
    feed(lst, clock, speech(3.0))
    feed(lst, clock, silence(20.0))
    assert [r for r, _ in ev.ends] == ["silence"]
    assert ev.ends[0][1] == pytest.approx(18.0, abs=0.05)
    assert len(ev.long_silences) == 1
    # audio after the end is ignored
    n = lst.audio_s
    feed(lst, clock, speech(1.0))
    assert lst.audio_s == n


def test_gaps_in_arrival_are_silence_on_the_wall_clock(open_listeners):
    """Discord sends nothing while the user is quiet: a 6 s gap between packets is a 6 s pause."""
    lst, ev, rec, clock = make(long_silence_s=4.0, end_silence_s=15.0)
    open_listeners.append(lst)
    feed(lst, clock, speech(2.0))
    clock.t += 6.0  # no packets for 6 s
    feed(lst, clock, speech(2.0, seed=3))
    assert lst.audio_s == pytest.approx(10.0, abs=0.05)
    assert len(ev.long_silences) == 1 and ev.long_silences[0][0] == pytest.approx(2.0, abs=0.05)
    tr = lst.finish().result(WAIT)
    # the first 2 s were committed during the pause; the tail starts after it (absolute times)
    assert [c.start_s for c in lst.committed] == [0.0]
    assert [c.end_s for c in lst.committed] == pytest.approx([2.35], abs=0.03)
    assert rec.calls[-1][0] == pytest.approx(2.35, abs=0.03)
    assert rec.calls[-1][1] == pytest.approx(10.0 - 2.35, abs=0.05)
    assert tr.words[-1].start > 2.35
    assert tr.duration_s == pytest.approx(10.0, abs=0.05)  # ends with the last speech + at most 0.5 s


def test_tick_advances_silence_when_nothing_arrives(open_listeners):
    lst, ev, _, clock = make(long_silence_s=4.0, end_silence_s=15.0)
    open_listeners.append(lst)
    feed(lst, clock, speech(2.0))
    for _ in range(10):  # 5 s of silence seen only through the clock
        clock.t += 0.5
        lst.tick()
    assert len(ev.long_silences) == 1
    assert not ev.ends
    clock.t += 11.0
    lst.tick()
    assert [r for r, _ in ev.ends] == ["silence"]
    # small arrival jitter is not mistaken for silence
    lst2, ev2, _, clock2 = make()
    open_listeners.append(lst2)
    feed(lst2, clock2, speech(1.0))
    clock2.t += 0.1
    lst2.tick()
    assert lst2.audio_s == pytest.approx(1.0, abs=0.03)


def test_no_speech_timeout_and_max_length(open_listeners):
    lst, ev, _, clock = make(long_silence_s=4.0, end_silence_s=15.0, no_speech_timeout_s=30.0)
    open_listeners.append(lst)
    clock.t += 31.0
    lst.tick()
    assert [r for r, _ in ev.ends] == ["no_speech"]
    assert lst.finish().result(WAIT).words == []

    lst2, ev2, _, clock2 = make(long_silence_s=4.0, end_silence_s=15.0, max_answer_s=20.0)
    open_listeners.append(lst2)
    feed(lst2, clock2, speech(25.0))
    assert [r for r, _ in ev2.ends] == ["max_length"]
    assert ev2.ends[0][1] == pytest.approx(20.0, abs=0.05)


def test_chunks_commit_at_pauses_with_absolute_offsets(open_listeners):
    lst, ev, rec, clock = make(commit_min_s=8.0, commit_pause_s=0.6, tail_pad_s=0.35)
    open_listeners.append(lst)
    feed(lst, clock, speech(13.0))
    feed(lst, clock, silence(1.0))
    assert ev.chunk.wait(WAIT)
    ev.chunk.clear()
    feed(lst, clock, speech(13.0, seed=5))
    feed(lst, clock, silence(1.0))
    assert ev.chunk.wait(WAIT)
    feed(lst, clock, speech(3.0, seed=6))
    tr = lst.finish().result(WAIT)
    offsets = [o for o, _ in rec.calls]
    assert offsets[0] == 0.0
    assert offsets[1] == pytest.approx(13.35, abs=0.05)   # first cut: end of speech + tail pad
    assert offsets[2] == pytest.approx(27.35, abs=0.05)
    assert len(rec.calls) == 3  # the final pass only did the 3 s tail
    assert rec.calls[2][1] < 4.5
    assert [w.text for w in tr.words] == ["chunk1", "chunk2", "chunk3"]
    starts = [w.start for w in tr.words]
    assert starts == sorted(starts) and starts[1] > 13.0 and starts[2] > 27.0
    assert [c.start_s for c in lst.committed] == pytest.approx([0.0, 13.35], abs=0.05)


def test_continuous_speech_is_cut_at_the_quietest_point_before_commit_max(open_listeners):
    lst, ev, rec, clock = make(commit_min_s=12.0, commit_max_s=20.0)
    open_listeners.append(lst)
    sig = speech(30.0)
    sig[int(17.0 * RATE) : int(17.2 * RATE)] *= 0.02  # a brief dip (no 0.6 s pause anywhere)
    feed(lst, clock, sig)
    assert ev.chunk.wait(WAIT)
    assert rec.calls[0][0] == 0.0
    assert rec.calls[0][1] == pytest.approx(17.1, abs=0.15)
    assert lst.committed[0].end_s == pytest.approx(17.1, abs=0.15)


def test_spoken_end_phrase_ends_the_answer_after_a_short_pause(open_listeners):
    # the last utterance after each ≥ 0.9 s pause is transcribed alone, padded with 0.3 s of
    # silence and starting 0.1 s early: offsets -0.3 (utterance at 0 s) and 3.6 (at 4 s);
    # the final pass transcribes the whole pending answer from 0
    full = ["we", "cache", "the", "latency", "so", "that's", "my", "answer."]
    script = {-0.3: ["we", "cache", "the", "latency"], 3.6: ["so", "that's", "my", "answer."], 0.0: full}
    lst, ev, rec, clock = make(script=script, probe_pause_s=0.9)
    open_listeners.append(lst)
    feed(lst, clock, speech(3.0))
    feed(lst, clock, silence(1.0))
    assert rec.wait_calls(1)  # the first utterance was checked (no end phrase in it)
    assert not ev.ends
    feed(lst, clock, speech(2.0, seed=9))
    feed(lst, clock, silence(1.2))
    assert ev.ended.wait(WAIT)
    assert [r for r, _ in ev.ends] == ["phrase"]
    tr = lst.finish().result(WAIT)
    assert [round(o, 1) for o, _ in rec.calls] == [-0.3, 3.6, 0.0]
    assert tr.text == " ".join(full)  # utterance checks are not part of the transcript


def test_a_closing_phrase_after_a_short_gap_is_checked_on_its_own(open_listeners):
    """Whisper may drop a short last sentence at the end of a long chunk, so the last utterance
    (after a ≥ 0.16 s gap) is transcribed alone, silence-padded, to look for the end phrase."""
    # the 9.3 s chunk is committed at the 0.6 s pause (and whisper drops the phrase in it);
    # the last utterance (8.3 s - 0.1 s lead-in - 0.3 s padding) is checked alone
    script = {7.9: ["That's", "my", "answer."], 0.0: ["vehicles", "send", "to", "kafka"]}
    lst, ev, rec, clock = make(script=script)
    open_listeners.append(lst)
    feed(lst, clock, speech(8.0))
    feed(lst, clock, silence(0.3))
    feed(lst, clock, speech(1.0, seed=4))
    feed(lst, clock, silence(1.5))
    assert ev.ended.wait(WAIT)
    assert [r for r, _ in ev.ends] == ["phrase"]
    seconds = dict((round(o, 1), n) for o, n in rec.calls)[7.9]
    assert seconds == pytest.approx(0.3 + 0.1 + 1.0 + 0.35, abs=0.05)
    tr = lst.finish().result(WAIT)
    assert tr.text == "vehicles send to kafka"  # the utterance probe is not part of the transcript


def test_end_phrase_vocabulary():
    assert ends_with_end_phrase(["so", "that's", "my", "answer."])
    assert ends_with_end_phrase(["I'm", "done."])
    assert ends_with_end_phrase(["and", "I'll", "stop", "there,", "thank", "you."])
    assert ends_with_end_phrase(["That\u2019s", "it."])
    assert not ends_with_end_phrase(["that's", "my", "answer", "to", "the", "first", "part"])
    assert not ends_with_end_phrase([])
    # a bare "done" only counts as its own utterance
    w = lambda t, s: Word(t, s, s + 0.3)  # noqa: E731
    assert not ends_with_end_phrase([w("until", 0.0), w("the", 0.35), w("job", 0.7), w("is", 1.0), w("done", 1.35)])
    assert ends_with_end_phrase([w("retries", 0.0), w("done", 1.5)])


def test_stop_first_reason_wins_and_finish_returns_what_was_said(open_listeners):
    lst, ev, rec, clock = make()
    open_listeners.append(lst)
    feed(lst, clock, speech(2.0))
    assert lst.stop("user_left")
    assert not lst.stop("done_button")
    assert [r for r, _ in ev.ends] == ["user_left"]
    tr = lst.finish().result(WAIT)
    assert [w.text for w in tr.words] == ["chunk1"]
    assert lst.end_reason == "user_left"


def test_held_silence_ends_nothing_while_the_user_types_and_restarts_on_release(open_listeners):
    """A user typing their answer is silent on purpose: no nudge, no end silence, no no-speech
    timeout while held; released, the silence count starts from the release, not from the start."""
    cfg = dict(long_silence_s=4.0, end_silence_s=15.0, no_speech_timeout_s=30.0, max_answer_s=600.0)
    # nothing said at all: the no-speech timeout waits while held
    lst, ev, _, clock = make(**cfg)
    open_listeners.append(lst)
    lst.hold_silence()
    clock.t += 120.0
    lst.tick()
    assert lst.audio_s > 100.0 and not ev.ends and lst.silence_held
    lst.hold_silence(False)
    clock.t += 29.0
    lst.tick()
    assert not ev.ends  # 29 s since the release, under the 30 s timeout
    clock.t += 2.0
    lst.tick()
    assert [r for r, _ in ev.ends] == ["no_speech"]

    # speech, then a long held pause: neither the nudge nor the end silence fire
    lst2, ev2, _, clock2 = make(**cfg)
    open_listeners.append(lst2)
    feed(lst2, clock2, speech(2.0))
    lst2.hold_silence(True)
    clock2.t += 60.0
    lst2.tick()
    assert ev2.long_silences == [] and ev2.ends == []
    lst2.hold_silence(False)
    clock2.t += 14.0
    lst2.tick()
    assert ev2.ends == [] and len(ev2.long_silences) == 1  # the nudge counts from the release too
    clock2.t += 1.5
    lst2.tick()
    assert [r for r, _ in ev2.ends] == ["silence"]

    # held or not, the answer's length limit still applies
    lst3, ev3, _, clock3 = make(**{**cfg, "max_answer_s": 20.0})
    open_listeners.append(lst3)
    lst3.hold_silence()
    clock3.t += 25.0
    lst3.tick()
    assert [r for r, _ in ev3.ends] == ["max_length"]


def test_a_receive_stall_under_the_tick_margin_puts_no_silence_inside_the_speech(open_listeners):
    """The receive thread stalls for 0.4 s mid-word while the round's ticker keeps ticking; then
    the late frames arrive together, each with the time its RTP timestamp gives. The ticker must
    not have filled that stretch with silence first: the speech stays contiguous."""
    lst, ev, _, clock = make(long_silence_s=4.0, end_silence_s=15.0)
    open_listeners.append(lst)
    feed(lst, clock, speech(1.0))
    late = frames(speech(0.4, seed=5))
    stall_start = clock.t
    for _ in range(4):  # the ticker runs every 0.1 s during the stall
        clock.t += 0.1
        lst.tick(clock.t)
    for i, f in enumerate(late):  # delivered now, placed where they belong
        lst.feed_pcm48(f, at=stall_start + (i + 1) * 0.02)
    assert lst.audio_s == pytest.approx(1.4, abs=0.03)
    feed(lst, clock, speech(0.5, seed=6))
    assert lst.audio_s == pytest.approx(1.9, abs=0.03)
