"""Hesitation sounds between words: a held vowel or hum in a gap counts, silence and noise do not."""

from __future__ import annotations

import numpy as np
import pytest

from bot.analysis.timing import transcript_timing
from bot.models import Transcript, Word
from bot.speech.hesitations import find_hesitations

SR = 16000


def vowel(seconds: float, f0: float = 130.0) -> np.ndarray:
    """A periodic, voiced sound: harmonics of f0, like a held "uhhh"."""
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8))).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SR), dtype=np.float32)


def words_at(*spans: tuple[float, float]) -> list[Word]:
    return [Word(f"w{i}", s, e, 1.0) for i, (s, e) in enumerate(spans)]


def test_a_voiced_stretch_between_words_is_found_where_it_is() -> None:
    audio = np.concatenate([vowel(1.0, 120), silence(0.2), vowel(0.7), silence(0.2), vowel(1.0, 120)])
    found = find_hesitations(audio, words_at((0.0, 1.0), (2.1, 3.1)))
    assert len(found) == 1
    start, end = found[0]
    assert 1.1 <= start <= 1.35 and 1.75 <= end <= 2.0


@pytest.mark.parametrize("gap", [silence(1.0), (0.05 * np.random.default_rng(1).standard_normal(SR)).astype(np.float32)],
                         ids=["silence", "noise"])
def test_silence_and_broadband_noise_are_not_hesitations(gap: np.ndarray) -> None:
    audio = np.concatenate([vowel(1.0, 120), gap, vowel(1.0, 120)])
    assert find_hesitations(audio, words_at((0.0, 1.0), (2.0, 3.0))) == []


def test_a_short_join_between_words_is_left_alone() -> None:
    audio = np.concatenate([vowel(1.0, 120), vowel(0.3), vowel(1.0, 120)])  # voiced all through
    assert find_hesitations(audio, words_at((0.0, 1.0), (1.3, 2.3))) == []


def test_times_follow_the_offset_of_a_later_chunk() -> None:
    audio = np.concatenate([vowel(1.0, 120), silence(0.2), vowel(0.7), silence(0.2), vowel(1.0, 120)])
    found = find_hesitations(audio, words_at((10.0, 11.0), (12.1, 13.1)), offset_s=10.0)
    assert len(found) == 1 and 11.1 <= found[0][0] <= 11.35


def test_hesitations_count_as_fillers_in_the_delivery_metrics() -> None:
    t = Transcript(words=words_at((0.0, 0.5), (0.6, 1.0)), duration_s=3.0, hesitations=[(1.2, 1.8), (2.0, 2.5)])
    timing = transcript_timing(t, 4.0)
    assert timing.hesitation_sounds == 2
    assert timing.metrics()["filler_words"] == 2 and timing.metrics()["hesitation_sounds"] == 2


# --------------------------------------------------------------------------- lost speech
from bot.speech.stt import lost_stretches  # noqa: E402


def W(start: float, end: float) -> Word:
    return Word("w", start, end, 1.0)


def test_a_long_wordless_stretch_inside_continuous_speech_is_lost_speech() -> None:
    words = [W(0.4, 0.8), W(1.0, 1.4), W(20.0, 20.5), W(58.0, 59.5)]
    assert lost_stretches([(0.3, 60.0)], words, 3.0) == [(1.4, 20.0), (20.5, 58.0)]


def test_a_pause_between_speech_regions_is_not_lost_speech() -> None:
    # the VAD ends a region at every 2 s pause, so a real pause lies between regions, never inside one
    assert lost_stretches([(0.3, 10.0), (16.0, 30.0)], [W(0.4, 9.8), W(16.1, 29.9)], 3.0) == []


def test_lost_first_seconds_are_found_too() -> None:
    assert lost_stretches([(0.3, 12.0)], [W(5.0, 5.4), W(5.5, 11.9)], 3.0) == [(0.3, 5.0)]


def test_word_times_past_the_end_of_the_audio_are_harmless(recwarn: pytest.WarningsRecorder) -> None:
    audio = np.concatenate([vowel(1.0, 120), silence(0.2), vowel(0.7), silence(0.2), vowel(1.0, 120)])
    found = find_hesitations(audio, words_at((0.0, 1.0), (2.1, 9.0)))  # the last word "ends" 6 s too late
    assert len(found) == 1 and not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


# --------------------------------------------------------------------------- drawn-out words
from bot.speech.hesitations import find_stretched_words  # noqa: E402


def test_a_short_word_held_long_with_the_next_word_straight_after_is_a_hesitation() -> None:
    audio = np.concatenate([vowel(1.2, 140), vowel(0.6, 120)])  # "sooo" held 1.2 s, then "the queue"
    words = [Word("sooo", 0.0, 1.2, 0.9), Word("the", 1.25, 1.4, 0.9), Word("queue", 1.45, 1.8, 0.9)]
    assert find_stretched_words(audio, words) == [(0.0, 1.2)]


def test_silence_folded_into_a_words_time_is_not_a_drawn_out_word() -> None:
    audio = np.concatenate([silence(0.9), vowel(0.3, 140), vowel(0.6, 120)])  # "so" said at 0.9 s, its time says 0.0
    words = [Word("so", 0.0, 1.2, 0.9), Word("the", 1.25, 1.4, 0.9), Word("queue", 1.45, 1.8, 0.9)]
    assert find_stretched_words(audio, words) == []


@pytest.mark.parametrize("words", [
    [Word("so", 0.0, 1.2, 0.9), Word("the", 2.5, 2.7, 0.9)],             # a pause between them
    [Word("architecture", 0.0, 1.2, 0.9), Word("is", 1.25, 1.4, 0.9)],  # a long word takes long to say
    [Word("and", 0.0, 0.45, 0.9), Word("then", 0.5, 0.7, 0.9)],          # an ordinary "and"
    [Word("so", 0.0, 1.5, 0.9)],                                          # the last word: nothing follows it
], ids=["pause-after", "long-word", "ordinary", "last-word"])
def test_ordinary_words_are_not_drawn_out(words: list[Word]) -> None:
    assert find_stretched_words(vowel(3.0, 130), words) == []
