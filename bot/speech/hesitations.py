"""Hesitation sounds whisper leaves out: voiced stretches between words, and words drawn out.

Whisper often drops an "uhhh" or "mmm" even with a disfluency prompt, so counting filler *words*
undercounts them. Like the `erm` package's approach, look at the audio itself: inside every gap
between two recognised words, a stretch of frames that are loud enough and periodic (a pitch
between 70 and 400 Hz, as a held vowel or hum is) is a filled pause. Silence, breath and broadband
noise are not periodic, so they do not count. A short word held far longer than it takes to say
("sooo", "andddd ...") is a hesitation too, when the next word follows straight on (so the long span
is the word, not a pause whisper's timestamps folded into it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.models import Word
from bot.speech.audio_format import SAMPLE_RATE


@dataclass(frozen=True)
class HesitationOptions:
    min_gap_s: float = 0.35  # shorter gaps are ordinary joins between words
    min_voiced_s: float = 0.35  # a shorter voiced blip is a word edge, not a hesitation
    frame_s: float = 0.03
    edge_s: float = 0.12  # keep clear of the neighbouring words' edges (their timestamps are loose)
    min_pitch_hz: float = 70.0
    max_pitch_hz: float = 400.0
    periodicity: float = 0.5  # normalised autocorrelation peak of a voiced frame
    loudness: float = 0.25  # frame RMS relative to the answer's typical speech RMS


    stretched_min_s: float = 0.9  # a short word held at least this long ...
    stretched_per_letter_s: float = 0.22  # ... and this long per letter
    stretched_max_letters: int = 5  # "so", "and", "well", "like": not "architecture"
    stretched_next_within_s: float = 0.15  # the next word starts right after: the time is the word's
    stretched_voiced_share: float = 0.8  # ... and it is voiced nearly all along, not silence folded in


DEFAULT_HESITATION_OPTIONS = HesitationOptions()


def find_stretched_words(audio: np.ndarray, words: Sequence[Word], *, offset_s: float = 0.0,
                         options: HesitationOptions = DEFAULT_HESITATION_OPTIONS) -> list[tuple[float, float]]:
    """(start, end) of short words held far longer than saying them takes, and voiced all along
    (whisper often stretches a word's time over the silence before it; that is not a drawn-out word)."""
    o = options
    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    ws = sorted(words, key=lambda w: w.start)
    floor = _loudness_floor(x, ws, offset_s, o) if len(x) else None
    if floor is None:
        return []
    out = []
    for w, nxt in zip(ws, ws[1:]):
        letters = sum(ch.isalpha() for ch in w.text)
        held = w.end - w.start
        if 0 < letters <= o.stretched_max_letters and held >= max(o.stretched_min_s, o.stretched_per_letter_s * letters) \
                and nxt.start - w.end <= o.stretched_next_within_s \
                and _voiced_share(x, w.start - offset_s, w.end - offset_s, floor, o) >= o.stretched_voiced_share:
            out.append((w.start, w.end))
    return out


def _voiced(frame: np.ndarray, floor: float, o: HesitationOptions) -> bool:
    x = frame - float(np.mean(frame))
    energy = float(np.dot(x, x))
    if energy <= 0 or np.sqrt(energy / len(x)) < floor:
        return False
    lo, hi = int(SAMPLE_RATE / o.max_pitch_hz), int(SAMPLE_RATE / o.min_pitch_hz)
    if hi >= len(x):
        return False
    ac = np.correlate(x, x, mode="full")[len(x) - 1:]
    return float(np.max(ac[lo:hi])) / energy >= o.periodicity


def _loudness_floor(x: np.ndarray, ws: Sequence[Word], offset_s: float, o: HesitationOptions) -> float | None:
    """A fraction of the typical loudness of speech: the median RMS of frames inside words."""
    n = int(o.frame_s * SAMPLE_RATE)
    rms = [float(np.sqrt(np.mean(np.square(x[i:i + n])))) for w in ws
           for i in range(int((w.start - offset_s) * SAMPLE_RATE), int((w.end - offset_s) * SAMPLE_RATE) - n, n)
           if 0 <= i and i + n <= len(x)]  # word times can run past the end of the audio
    return o.loudness * float(np.median(rms)) if rms else None


def _voiced_share(x: np.ndarray, start_s: float, end_s: float, floor: float, o: HesitationOptions) -> float:
    n = int(o.frame_s * SAMPLE_RATE)
    frames = [x[i:i + n] for i in range(max(0, int(start_s * SAMPLE_RATE)), min(len(x), int(end_s * SAMPLE_RATE)) - n + 1, n)]
    return sum(_voiced(f, floor, o) for f in frames) / len(frames) if frames else 0.0


def find_hesitations(audio: np.ndarray, words: Sequence[Word], *, offset_s: float = 0.0,
                     options: HesitationOptions = DEFAULT_HESITATION_OPTIONS) -> list[tuple[float, float]]:
    """(start, end) in seconds (plus `offset_s`) of each voiced stretch found between recognised words."""
    o = options
    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    ws = sorted(words, key=lambda w: w.start)
    if len(ws) < 2 or not len(x):
        return []
    n = int(o.frame_s * SAMPLE_RATE)
    floor = _loudness_floor(x, ws, offset_s, o)
    if floor is None:
        return []
    out: list[tuple[float, float]] = []
    for a, b in zip(ws, ws[1:]):
        g0, g1 = a.end - offset_s + o.edge_s, b.start - offset_s - o.edge_s
        if b.start - a.end < o.min_gap_s or g1 - g0 < o.min_voiced_s:
            continue
        run_start: float | None = None
        t = g0
        while t + o.frame_s <= g1:
            i = int(t * SAMPLE_RATE)
            voiced = _voiced(x[i:i + n], floor, o)
            if voiced and run_start is None:
                run_start = t
            if (not voiced or t + 2 * o.frame_s > g1) and run_start is not None:
                end = t + o.frame_s if voiced else t
                if end - run_start >= o.min_voiced_s:
                    out.append((run_start + offset_s, end + offset_s))
                run_start = None
            t += o.frame_s
    return out
