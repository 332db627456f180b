"""Hesitation sounds whisper leaves out: voiced stretches inside the gaps between words.

Whisper often drops an "uhhh" or "mmm" even with a disfluency prompt, so counting filler *words*
undercounts them. Like the `erm` package's approach, look at the audio itself: inside every gap
between two recognised words, a stretch of frames that are loud enough and periodic (a pitch
between 70 and 400 Hz, as a held vowel or hum is) is a filled pause. Silence, breath and broadband
noise are not periodic, so they do not count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.models import Word

SAMPLE_RATE = 16000


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


DEFAULT_HESITATION_OPTIONS = HesitationOptions()


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


def find_hesitations(audio: np.ndarray, words: Sequence[Word], *, offset_s: float = 0.0,
                     options: HesitationOptions = DEFAULT_HESITATION_OPTIONS) -> list[tuple[float, float]]:
    """(start, end) in seconds (plus `offset_s`) of each voiced stretch found between recognised words."""
    o = options
    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    ws = sorted(words, key=lambda w: w.start)
    if len(ws) < 2 or not len(x):
        return []
    n = int(o.frame_s * SAMPLE_RATE)
    # typical loudness of speech: the median RMS of frames inside words
    rms = [float(np.sqrt(np.mean(np.square(x[i:i + n])))) for w in ws
           for i in range(int((w.start - offset_s) * SAMPLE_RATE), int((w.end - offset_s) * SAMPLE_RATE) - n, n)
           if 0 <= i and i + n <= len(x)]  # word times can run past the end of the audio
    if not rms:
        return []
    floor = o.loudness * float(np.median(rms))
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
