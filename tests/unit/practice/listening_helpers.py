"""Synthetic audio for the listener and round tests: noise bursts stand for speech, zeros for silence,
fed as 20 ms Discord frames (48 kHz stereo s16le) on a controlled clock, with a recorder in place of
the transcriber (tests/unit/practice/test_listening.py, test_audio_quality.py, test_transcription_lost.py,
tests/scale/test_workers.py)."""

from __future__ import annotations

import threading

import numpy as np

from bot.models import Transcript, Word
from bot.practice.listening import IncrementalListener, ListenerConfig
from bot.practice.round import MockRound
from bot.speech.audio import to_pcm48_stereo
from tests.fakes import StepClock

RATE = 16000
FRAME_BYTES = 3840  # 20 ms of 48 kHz stereo s16le
WAIT = 20.0  # seconds a test waits for a worker result before failing (not a synchronisation sleep)


def speech(seconds: float, seed: int = 0) -> np.ndarray:
    """Noise with a syllable-like envelope: loud enough for the VAD the whole time."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    env = 0.6 + 0.4 * np.abs(np.sin(2 * np.pi * 3.0 * t))
    return (0.2 * env * rng.standard_normal(n)).clip(-1, 1).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def frames(samples: np.ndarray) -> list[bytes]:
    pcm = to_pcm48_stereo(samples)
    return [pcm[i : i + FRAME_BYTES] for i in range(0, len(pcm), FRAME_BYTES)]


class Recorder:
    """Stands in for `Transcriber.transcribe_sync`: records (offset, seconds) of every call and
    returns one word per call, or the scripted words for that offset (rounded to 0.1 s), placed
    at the chunk's absolute offset."""

    def __init__(self, script: dict[float, list[str]] | None = None) -> None:
        self.calls: list[tuple[float, float]] = []
        self.script = script or {}
        self.lock = threading.Condition()

    def wait_calls(self, n: int) -> bool:
        with self.lock:
            return self.lock.wait_for(lambda: len(self.calls) >= n, timeout=WAIT)

    def __call__(self, samples: np.ndarray, *, offset_s: float = 0.0) -> Transcript:
        with self.lock:
            self.calls.append((offset_s, len(samples) / RATE))
            n = len(self.calls)
            self.lock.notify_all()
        texts = self.script.get(round(offset_s, 1), [f"chunk{n}"])
        words = [Word(t, offset_s + 0.1 + 0.3 * i, offset_s + 0.35 + 0.3 * i) for i, t in enumerate(texts)]
        return Transcript(words=words, duration_s=len(samples) / RATE)


class Events:
    def __init__(self) -> None:
        self.long_silences: list[tuple[float, float]] = []  # (silence start, audio time when fired)
        self.ends: list[tuple[str, float]] = []
        self.ended = threading.Event()
        self.chunk = threading.Event()
        self.listener: IncrementalListener | None = None

    def on_long(self, at_s: float) -> None:
        assert self.listener is not None
        self.long_silences.append((at_s, self.listener.audio_s))

    def on_end(self, reason: str) -> None:
        assert self.listener is not None
        self.ends.append((reason, self.listener.audio_s))
        self.ended.set()


def make(config: ListenerConfig | None = None, script: dict[float, list[str]] | None = None,
         **cfg: float) -> tuple[IncrementalListener, Events, Recorder, StepClock]:
    clock = StepClock()
    rec = Recorder(script)
    ev = Events()
    lst = IncrementalListener(
        rec, config or ListenerConfig(**cfg), clock=clock,
        on_long_silence=ev.on_long, on_end=ev.on_end, on_chunk=lambda c: ev.chunk.set(),
    )
    ev.listener = lst
    lst.start(clock.t)
    return lst, ev, rec, clock


def feed(lst: IncrementalListener, clock: StepClock, samples: np.ndarray) -> None:
    """Real-time-equivalent arrival: each 20 ms frame arrives 20 ms after the previous one."""
    for f in frames(samples):
        clock.t += len(f) / 4 / 48000
        lst.feed_pcm48(f, at=clock.t)


def feed_round(r: MockRound, clock: StepClock, samples: np.ndarray) -> None:
    """A round's receive thread: 20 ms frames, each 20 ms after the previous one."""
    pcm = to_pcm48_stereo(samples)
    for i in range(0, len(pcm), 3840):
        clock.t += 0.02
        r.feed_audio(pcm[i:i + 3840], at=clock.t)
