"""Silences, fillers, pace and speaking ratio from synthetic word timings."""

from __future__ import annotations

import pytest

from bot.analysis import analyze
from bot.analysis.timing import find_fillers, find_silences, transcript_timing
from bot.models import Question, Transcript, Word


def words_at(spans: list[tuple[float, float]], text: str = "word") -> list[Word]:
    return [Word(f"{text}{i}", s, e) for i, (s, e) in enumerate(spans)]


def steady(n: int, start: float = 0.5, step: float = 0.4, dur: float = 0.3) -> list[Word]:
    return [Word(f"w{i}", start + i * step, start + i * step + dur) for i in range(n)]


QUESTION = Question(
    id="coding-test", category="coding", prompt="p", follow_ups=(), expected=("complexity", "tests"),
    key_points=(), target_seconds=120, difficulty="easy",
)


# ------------------------------------------------------------------ silences
def test_exact_gaps_are_reported_with_their_times() -> None:
    t = Transcript(words_at([(0.5, 1.0), (1.2, 1.6), (7.6, 8.0), (8.1, 8.4), (13.4, 14.0)]), duration_s=15.0)
    sil = find_silences(t, 4.0)
    assert [(s.start, s.end) for s in sil] == [(1.6, 7.6), (8.4, 13.4)]
    assert [s.duration_s for s in sil] == [6.0, 5.0]


def test_threshold_boundary_is_inclusive() -> None:
    t = Transcript(words_at([(0.0, 1.0), (5.0, 5.5), (9.49, 10.0)]), duration_s=10.0)
    sil = find_silences(t, 4.0)
    assert [(s.start, s.end) for s in sil] == [(1.0, 5.0)]  # exactly 4.0 counts, 3.99 does not


def test_wait_before_first_word_is_a_silence() -> None:
    t = Transcript(words_at([(6.0, 6.5), (6.6, 7.0)]), duration_s=8.0)
    sil = find_silences(t, 4.0)
    assert [(s.start, s.end) for s in sil] == [(0.0, 6.0)]
    # measured from where the answer starts, not from zero
    assert find_silences(t, 4.0, start_s=3.0) == []


def test_no_silence_in_a_clean_answer_and_none_after_the_last_word() -> None:
    t = Transcript(steady(100), duration_s=80.0)  # ends at ~40 s; 40 s of trailing quiet is not a pause
    assert find_silences(t, 4.0) == []


def test_overlapping_or_unsorted_words_never_make_negative_or_false_gaps() -> None:
    ws = [Word("a", 0.0, 3.0), Word("b", 1.0, 2.0), Word("c", 2.5, 9.0), Word("d", 9.5, 10.0)]
    t = Transcript(list(reversed(ws)), duration_s=10.0)
    assert find_silences(t, 4.0) == []


def test_empty_transcript_is_one_silence_when_long_enough() -> None:
    assert [(s.start, s.end) for s in find_silences(Transcript([], duration_s=12.0), 4.0)] == [(0.0, 12.0)]
    assert find_silences(Transcript([], duration_s=2.0), 4.0) == []


def test_threshold_comes_from_settings_in_analyze(settings) -> None:
    t = Transcript(words_at([(0.2, 0.5)] + [(6.0 + i * 0.4, 6.3 + i * 0.4) for i in range(60)]), duration_s=40.0)
    a4 = analyze(QUESTION, transcript=t, settings=settings)
    a8 = analyze(QUESTION, transcript=t, settings=settings.with_(long_silence_s=8.0, end_silence_s=20.0))
    assert [round(s.start, 2) for s in a4.silences] == [0.5]
    assert a8.silences == []
    assert any(f.code == "long_silence" and f.at_s == pytest.approx(0.5) for f in a4.flags)


# ------------------------------------------------------------------ fillers
@pytest.mark.parametrize(
    "text, expected",
    [
        ("um so i'd uh use a hash map", ["um", "uh"]),
        ("erm, hmm, ah okay", ["erm", "hmm", "ah"]),
        ("it was, like, really slow", ["like"]),
        ("it took like 5 minutes to fail over", ["like"]),
        ("and like the service just died", ["like"]),
        ("the queue, you know, backs up", ["you know"]),
        ("i mean, the cache was cold", ["i mean"]),
        ("it's kind of slow and sort of flaky", ["kind of", "sort of"]),
    ],
)
def test_fillers_are_counted(text: str, expected: list[str]) -> None:
    assert [h.text for h in find_fillers(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "I would like to start with a hash map",
        "I'd like to confirm the input size",
        "it looks like a queue to me",
        "something like a token bucket works",
        "what kind of database would you pick",
        "this sort of problem needs a heap",
        "do you know how many clients there are",
        "you know what the peak load is?",
        "that's what I mean by idempotent",
        "like I said, the cache is per node",
        "we like to keep things simple",
        "Umbrella, uhlan and ermine are words",
    ],
)
def test_filler_false_positives_are_not_counted(text: str) -> None:
    assert find_fillers(text) == []


# ------------------------------------------------------------------ pace, ratio
def test_words_per_minute_over_the_speaking_span() -> None:
    t = Transcript(steady(150, start=2.0, step=0.4, dur=0.3), duration_s=70.0)
    r = transcript_timing(t, 4.0)
    span = (2.0 + 149 * 0.4 + 0.3) - 2.0
    assert r.words_per_minute == pytest.approx(150 / (span / 60.0))
    assert r.time_to_first_word_s == pytest.approx(2.0)


def test_speaking_ratio_counts_short_pauses_but_not_long_ones() -> None:
    # 10 s talking (short pauses inside), then 10 s silent, then 10 s talking, in 30 s of audio
    first = [Word(f"a{i}", i * 0.5, i * 0.5 + 0.4) for i in range(20)]
    second = [Word(f"b{i}", 20.0 + i * 0.5, 20.0 + i * 0.5 + 0.4) for i in range(20)]
    r = transcript_timing(Transcript(first + second, duration_s=30.0), 4.0)
    assert r.speaking_ratio == pytest.approx((9.9 + 9.9) / 30.0, abs=0.01)
    assert r.articulation_wpm > r.words_per_minute  # the long pause is taken out for pace flags


def test_text_answers_have_null_timing_but_count_fillers() -> None:
    a = analyze(QUESTION, text="um so the time complexity is o of n, uh, and i'd test an empty list")
    assert a.metrics["words_per_minute"] is None
    assert a.metrics["time_to_first_word_s"] is None
    assert a.metrics["speaking_ratio"] is None
    assert a.metrics["filler_words"] == 2
    assert a.silences == [] and a.duration_s is None


def test_pace_flags() -> None:
    fast = Transcript(steady(120, start=0.2, step=0.25, dur=0.2), duration_s=31.0)  # 240 wpm
    slow = Transcript(steady(40, start=0.2, step=0.9, dur=0.5), duration_s=37.0)  # ~67 wpm
    ok = Transcript(steady(80, start=0.2, step=0.42, dur=0.3), duration_s=35.0)  # ~143 wpm
    codes = lambda t: {f.code for f in analyze(QUESTION, transcript=t).flags}  # noqa: E731
    assert "too_fast" in codes(fast)
    assert "too_slow" in codes(slow)
    assert not {"too_fast", "too_slow"} & codes(ok)


def test_slow_start_flag() -> None:
    t = Transcript([Word(f"w{i}", 7.0 + i * 0.4, 7.3 + i * 0.4) for i in range(60)], duration_s=40.0)
    a = analyze(QUESTION, transcript=t)
    slow = [f for f in a.flags if f.code == "slow_start"]
    assert slow and a.metrics["time_to_first_word_s"] == pytest.approx(7.0)
    assert [(s.start, s.end) for s in a.silences] == [(0.0, 7.0)]
