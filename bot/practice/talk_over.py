"""Talking over the challenger: the member's voiced speech while the bot is still speaking a challenge.

The guide counts talking over an interviewer's challenge as a defensive reaction. The front end knows
when the challenge's playback starts and ends; the receive side sees the member's voiced 20 ms frames,
each with its time on the same clock. A `TalkOverMeter` collects both and says how many seconds of the
member's speech overlapped the playback, and when that began. A small overlap is normal (a "hm", an
"okay" as the question lands): only more than `tolerance_s` counts (`TALK_OVER_TOLERANCE_S` by default;
a group's `GroupConfig.talk_over_tolerance_s`, a round's `PracticeExtras.talk_over_tolerance_s`).

`feed_*` may run on the voice receive thread; the playback marks on the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.speech.audio_format import FRAME_BYTES, FRAME_S

TALK_OVER_TOLERANCE_S = 1.0  # more voiced speech than this over the challenge counts as talking over
MAX_FRAMES = 6000            # voiced frames kept per challenge (two minutes of speech)


def voiced_frames(pcm: bytes, threshold: float) -> np.ndarray:
    """One bool per 20 ms frame of Discord PCM: is its RMS above `threshold` (of full scale)?"""
    usable = len(pcm) - len(pcm) % 4
    if usable <= 0:
        return np.zeros(0, dtype=bool)
    x = np.frombuffer(pcm[:usable], dtype="<i2").astype(np.float32) / 32768.0
    per_frame = FRAME_BYTES // 2
    n_full = x.size // per_frame
    rms = []
    if n_full:
        rms.append(np.sqrt(np.mean(np.square(x[: n_full * per_frame].reshape(n_full, per_frame)), axis=1)))
    tail = x[n_full * per_frame:]
    if tail.size >= per_frame // 4:  # a torn tail frame of at least 5 ms still counts
        rms.append(np.sqrt(np.mean(np.square(tail)))[None])
    if not rms:
        return np.zeros(0, dtype=bool)
    return np.concatenate(rms) > threshold


@dataclass(frozen=True)
class TalkOver:
    """How much the member spoke over one challenge."""

    overlap_s: float            # voiced seconds while the challenge was playing
    first_at_s: float | None    # when that speech began, in seconds into the challenge
    challenge_s: float          # how long the challenge played
    tolerance_s: float = TALK_OVER_TOLERANCE_S

    @property
    def talked_over(self) -> bool:
        return bool(self.overlap_s > self.tolerance_s)


class TalkOverMeter:
    """One challenge's playback window and the member's voiced frames around it."""

    def __init__(self, *, opened_at: float, tolerance_s: float = TALK_OVER_TOLERANCE_S,
                 voice_rms: float = 0.01) -> None:
        """`opened_at`: when the challenge was handed to the front end (the window's start until
        `playback_started` says better); `voice_rms`: a frame louder than this is speech."""
        self.tolerance_s = tolerance_s
        self.voice_rms = voice_rms
        self.opened_at = opened_at
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self._frames: list[float] = []  # start times of voiced frames
        self._lock = threading.Lock()

    def playback_started(self, at: float) -> None:
        self.started_at = at

    def playback_ended(self, at: float) -> None:
        self.ended_at = at

    def feed_pcm(self, pcm: bytes, start_at: float) -> None:
        """The member's Discord PCM (48 kHz stereo s16le) whose first sample was at `start_at`."""
        self.feed_voiced(voiced_frames(pcm, self.voice_rms), start_at)

    def feed_voiced(self, voiced: Sequence[bool] | np.ndarray, start_at: float) -> None:
        """One bool per 20 ms frame from `start_at` on: was it speech?"""
        times = [float(start_at) + int(i) * FRAME_S for i in np.flatnonzero(np.asarray(voiced, dtype=bool))]
        if not times:
            return
        with self._lock:
            room = MAX_FRAMES - len(self._frames)
            self._frames.extend(times[:max(0, room)])

    def result(self, now: float | None = None) -> TalkOver:
        """The overlap with the playback window ([started, ended]; the opening and `now` stand in
        for marks the front end never gave)."""
        start = self.started_at if self.started_at is not None else self.opened_at
        end = self.ended_at if self.ended_at is not None else (now if now is not None else start)
        with self._lock:
            frames = list(self._frames)
        overlap = 0.0
        first: float | None = None
        for t in frames:
            part = min(t + FRAME_S, end) - max(t, start)
            if part > 0:
                overlap += part
                first = t if first is None else min(first, t)
        # plain floats: the figures go into stored JSON summaries
        return TalkOver(round(float(overlap), 3), None if first is None else round(float(max(0.0, first - start)), 3),
                        round(float(max(0.0, end - start)), 3), float(self.tolerance_s))
