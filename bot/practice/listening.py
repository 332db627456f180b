"""Listening to one spoken answer: silence and end-of-answer detection while it is spoken,
and transcription in the background so that little is left to do when it ends.

Audio arrives in small pieces (20 ms Discord frames converted to 16 kHz mono) from a receive
thread. Each piece is checked for speech energy (an RMS VAD on 20 ms frames), which drives:

* the mid-answer nudge: a long silence (`long_silence_s`, the same threshold and meaning as the
  feedback's `long_silence` flag: see LONG_SILENCE_S in bot/config.py) after speech started, once per answer;
* the end of the answer: a silence of `end_silence_s` after speech started, an end phrase
  ("that's my answer", "I'm done"…) heard just before a pause, `max_answer_s` reached, or no
  speech at all for `no_speech_timeout_s`.

Transcription runs on one worker thread per listener. Audio is committed in chunks cut at
pauses: at a 0.6 s pause once `commit_min_s` of audio is pending, at a 1.5 s pause whatever is
pending, at the quietest point when someone talks for `commit_max_s` without pausing. Each chunk
is transcribed once, with `offset_s` so word times are absolute. When the answer ends only the
audio since the last pause is left (nothing at all after an end silence), so feedback comes
within a second or two whatever the answer's length, and a chunk never runs past whisper's 30 s
window.

End phrases are looked for in each chunk's words, and, after a 0.9 s pause, in the last short
utterance transcribed alone (silence-padded): whisper tiny sometimes drops a short closing
sentence at the end of a long chunk, but not when it stands alone.

Discord only delivers packets while the user speaks, so silence shows up as gaps in arrival:
`feed(..., at=t)` fills a gap before a late piece with zeros, and `tick(now)` (called
periodically by the round) fills the silence after the last piece, so the audio timeline
follows the wall clock.
"""

from __future__ import annotations

import concurrent.futures
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.clock import Now
from bot.config import LONG_SILENCE_S, Settings
from bot.models import Transcript, Word
from bot.practice.audio_quality import PoorStretch, stretches
from bot.speech.audio_format import FRAME_SAMPLES, SAMPLE_RATE
from bot.speech.remote import TranscriptionUnavailable

log = logging.getLogger(__name__)

RATE = SAMPLE_RATE
FRAME = FRAME_SAMPLES  # 20 ms at 16 kHz

TranscribeFn = Callable[..., Transcript]  # fn(samples, offset_s=...) -> Transcript (blocking)

# Phrases that close an answer when heard at its very end (normalised: lower case, ascii quotes).
END_PHRASES: tuple[str, ...] = (
    "that's my answer", "that is my answer", "that's my final answer", "i'm done", "i am done",
    "that's it", "that is it", "i'll stop there", "i will stop there", "i'll stop here",
    "that's all", "that is all", "i'm finished", "i am finished", "end of answer",
)
# Courtesy words allowed after an end phrase ("that's my answer, thank you").
_TRAILING_COURTESY = {"thanks", "thank", "you", "yeah", "so", "okay", "ok", "yes"}
_WORD_RE = re.compile(r"[a-z0-9']+")


def normalise_words(text: str) -> list[str]:
    t = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return _WORD_RE.findall(t)


def ends_with_end_phrase(words: list[Word] | list[str], *, lone_done_gap_s: float = 0.4) -> bool:
    """True when the answer's last words are an end phrase.

    A bare "done" counts only as its own utterance (after a pause, or alone), so
    "…until the job is done." does not end an answer.
    """
    if not words:
        return False
    if isinstance(words[0], Word):
        wl: list[Word] = list(words)  # type: ignore[arg-type]
        tokens: list[str] = []
        owners: list[int] = []
        for i, w in enumerate(wl):
            for tok in normalise_words(w.text):
                tokens.append(tok)
                owners.append(i)
    else:
        wl = []
        tokens = [t for w in words for t in normalise_words(str(w))]
        owners = list(range(len(tokens)))
    while tokens and tokens[-1] in _TRAILING_COURTESY and len(tokens) > 1:
        tokens.pop()
        owners.pop()
    if not tokens:
        return False
    tail = " ".join(tokens[-6:])
    for phrase in END_PHRASES:
        if tail == phrase or tail.endswith(" " + phrase):
            return True
    if tokens[-1] == "done":
        if len(tokens) == 1:
            return True
        if wl:
            i = owners[-1]
            if i == 0 or wl[i].start - wl[i - 1].end >= lone_done_gap_s:
                return True
    return False


@dataclass(frozen=True)
class ListenerConfig:
    long_silence_s: float = LONG_SILENCE_S  # the nudge: what "long silence" means, bot/config.py
    end_silence_s: float = 15.0
    max_answer_s: float = 600.0
    no_speech_timeout_s: float = 30.0  # no speech at all since listening started → end
    vad_rms: float = 0.01              # a 20 ms frame with RMS above this (≈ -40 dBFS) is speech
    min_speech_frames: int = 3         # consecutive voiced frames before speech counts as started
    commit_min_s: float = 8.0          # commit a chunk once this much audio ends at a pause …
    commit_pause_s: float = 0.6        # … of this length
    commit_idle_pause_s: float = 1.5   # after a longer pause commit whatever is pending …
    commit_idle_min_s: float = 1.0     # … if it is at least this long (no one-word chunks)
    commit_max_s: float = 28.0         # no pause at all: cut at the quietest point past this length
    probe_pause_s: float = 0.9         # pause after which the last utterance is checked for an end phrase
    tail_pad_s: float = 0.35           # audio kept after the last voiced frame of a chunk
    gap_tolerance_s: float = 0.06      # arrival jitter ignored by `feed(at=...)`
    tick_margin_s: float = 0.5         # `tick` fills silence only up to now - margin: frames a stalled
                                       # receive thread delivers late still land before it (RTP-placed)
    utterance_gap_s: float = 0.16      # a pause this long separates the last utterance (end phrases)
    utterance_max_s: float = 4.0       # end phrases are short: longer last utterances are not probed

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> ListenerConfig:
        base = dict(
            long_silence_s=settings.long_silence_s,
            end_silence_s=settings.end_silence_s,
            max_answer_s=settings.max_answer_s,
            no_speech_timeout_s=max(30.0, 2 * settings.end_silence_s),
        )
        base.update(overrides)
        return cls(**base)  # type: ignore[arg-type]


def _to_float(pcm16: np.ndarray) -> np.ndarray:
    """Stored int16 samples → a new float32 array in [-1, 1] (what whisper wants)."""
    return pcm16.astype(np.float32) / 32768.0


@dataclass
class ChunkResult:
    start_s: float
    end_s: float
    transcript: Transcript
    seconds: float  # wall time the transcription took


class IncrementalListener:
    """Accumulate one answer, detect its silences and end, transcribe it as it goes.

    Callbacks run on whichever thread detected the event (the feeding thread, the loop calling
    `tick`, or the worker) and must be quick and thread-safe (e.g. `loop.call_soon_threadsafe`):
      on_long_silence(at_s)  — the first mid-answer silence ≥ long_silence_s (at_s = its start);
      on_end(reason)         — once: "silence" | "phrase" | "max_length" | "no_speech" |
                               "transcription_unavailable" | the reason passed to `stop()`;
      on_chunk(ChunkResult)  — a committed chunk was transcribed.
    """

    def __init__(
        self,
        transcribe: TranscribeFn,
        config: ListenerConfig | None = None,
        *,
        clock: Now = time.monotonic,
        on_long_silence: Callable[[float], None] | None = None,
        on_end: Callable[[str], None] | None = None,
        on_chunk: Callable[[ChunkResult], None] | None = None,
        name: str = "listener",
    ) -> None:
        self.config = config or ListenerConfig()
        self._transcribe = transcribe
        self._clock = clock
        self.on_long_silence = on_long_silence
        self.on_end = on_end
        self.on_chunk = on_chunk
        self._name = name

        self._lock = threading.Lock()
        self._cv = threading.Condition(self._lock)
        # int16 like the Discord PCM it comes from: half the memory of float32, no audible loss
        self._buf = np.zeros(RATE * 30, dtype=np.int16)
        self._n = 0                      # samples received (including filled silence)
        self._vad_pos = 0                # samples already classified by the VAD
        self._rms: list[float] = []      # per 20 ms frame
        self._run = 0                    # consecutive voiced frames
        self._speech_started = False
        self._first_voice: int | None = None
        self._last_voice_end = 0         # sample index after the last voiced frame (or last prompt)
        self._last_real_voice_end = 0    # same, not moved by prompts
        self._nudged = False
        self._start_at: float | None = None
        self._silence_held = False       # the user is typing: silence ends nothing (hold_silence)
        self._quiet_from = 0             # sample the no-speech timeout counts from
        self._bad: list[tuple[float, int]] = []  # (answer-relative s, frames) lost or unusable

        self._commit_start = 0
        self._voiced_since_commit = False
        self._voiced_since_probe = False
        self._jobs: list[tuple[int, int]] = []          # committed chunks waiting for the worker
        self._phrase_job: tuple[int, int, int] | None = None  # (start, end, voice_end) of the last utterance
        self._chunks: list[ChunkResult] = []
        self._final_future: concurrent.futures.Future[Transcript] | None = None
        self._end_reason: str | None = None
        self._end_sample: int | None = None
        self.ended_at: float | None = None   # clock time of the end
        self._closed = False
        self._worker_error: BaseException | None = None
        # Why transcription stopped (the workers did not answer within their bound,
        # `TranscriptionUnavailable`); the answer then ends, keeping the words transcribed before.
        self.unavailable: str | None = None

        # counters (bench, logs)
        self.transcribe_seconds = 0.0
        self.transcribed_audio_s = 0.0
        self.probes = 0

        self._thread = threading.Thread(target=self._work, name=f"parley-{name}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ read-only state
    @property
    def audio_s(self) -> float:
        return self._n / RATE

    @property
    def speech_started(self) -> bool:
        return self._speech_started

    @property
    def end_reason(self) -> str | None:
        return self._end_reason

    @property
    def ended(self) -> bool:
        return self._end_reason is not None

    @property
    def nudged(self) -> bool:
        return self._nudged

    @property
    def committed(self) -> list[ChunkResult]:
        with self._lock:
            return list(self._chunks)

    @property
    def last_voice_s(self) -> float | None:
        return None if self._first_voice is None else self._last_real_voice_end / RATE

    def samples(self) -> np.ndarray:
        """A copy of all audio received so far (16 kHz mono float32)."""
        with self._lock:
            return _to_float(self._buf[: self._n])

    # ------------------------------------------------------------------ feeding
    def start(self, at: float | None = None) -> None:
        """Audio time 0 is `at` (default: now): when the question finished playing."""
        with self._lock:
            if self._start_at is None:
                self._start_at = self._clock() if at is None else at

    def feed_pcm48(self, pcm48_stereo: bytes, *, at: float | None = None) -> None:
        from bot.speech.audio import pcm48_stereo_to_16k_mono

        self.feed(pcm48_stereo_to_16k_mono(pcm48_stereo), at=at)

    def feed(self, samples: np.ndarray, *, at: float | None = None) -> None:
        """Append 16 kHz mono samples that finished arriving at clock time `at` (default now).

        If `at` is later than the audio timeline, the gap is silence the sender did not send:
        it is filled with zeros first. Thread-safe.
        """
        if self._end_reason is not None or self._closed:
            return
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        events: list[tuple[str, Any]] = []
        with self._lock:
            if self._end_reason is not None:
                return
            now = self._clock() if at is None else at
            if self._start_at is None:
                self._start_at = now - x.size / RATE
            expected_start = (now - self._start_at) - x.size / RATE
            gap = expected_start - self._n / RATE
            if gap > self.config.gap_tolerance_s:
                self._append(np.zeros(int(gap * RATE), dtype=np.float32))
            self._append(x)
            self._classify(events)
        self._dispatch(events)

    def tick(self, now: float | None = None) -> None:
        """Let silence advance with the clock when nothing arrives (Discord sends no silence)."""
        if self._end_reason is not None or self._closed:
            return
        events: list[tuple[str, Any]] = []
        with self._lock:
            if self._start_at is None or self._end_reason is not None:
                return
            now = self._clock() if now is None else now
            gap = (now - self._start_at - self.config.tick_margin_s) - self._n / RATE
            if gap >= FRAME / RATE:
                self._append(np.zeros(int(gap * RATE), dtype=np.float32))
                self._classify(events)
        self._dispatch(events)

    def mark_poor_audio(self, frames: int = 1, *, at: float | None = None) -> None:
        """`frames` × 20 ms of the user's audio arriving about `at` (clock time) were lost or could
        not be decrypted/decoded. That gap is not the user's silence: it restarts the silence
        count (no nudge, no end of answer because of it) and is kept for `poor_stretches()`.
        Thread-safe."""
        with self._lock:
            if self._start_at is None or self._end_reason is not None:
                return
            t = (self._clock() if at is None else at) - self._start_at
            self._bad.append((t, frames))
            # the gap is filled with zeros later (feed/tick): count silence only from after it
            if self._speech_started:
                self._last_voice_end = max(self._last_voice_end, int(t * RATE))
            self._quiet_from = max(self._quiet_from, int(t * RATE))

    def poor_stretches(self) -> list[PoorStretch]:
        """Where this answer's audio was poor (see `bot.practice.audio_quality.stretches`)."""
        with self._lock:
            marks = list(self._bad)
        return stretches(marks)

    @property
    def bad_frames(self) -> int:
        return sum(n for _, n in self._bad)

    def mark_prompt(self) -> None:
        """The interviewer's side just spoke (the bot's nudge, hint or repeat; a member asking a
        pushback challenge): restart the silence count from now."""
        with self._lock:
            self._last_voice_end = self._n

    def hold_silence(self, held: bool = True) -> None:
        """While held (the user is typing their answer), silence is expected: it ends nothing
        (no end silence, no no-speech timeout) and gets no nudge. On release the silence count
        restarts from now. Done/stop, end phrases and `max_answer_s` still apply."""
        with self._lock:
            if self._silence_held and not held:
                self._last_voice_end = self._n
                self._quiet_from = self._n
            self._silence_held = held

    @property
    def silence_held(self) -> bool:
        return self._silence_held

    def stop(self, reason: str) -> bool:
        """End the answer from outside (Done button, skip, user left…). First reason wins."""
        events: list[tuple[str, Any]] = []
        with self._lock:
            self._set_end(reason, events)
        self._dispatch(events)
        return bool(events)

    # ------------------------------------------------------------------ the result
    def finish(self) -> concurrent.futures.Future[Transcript]:
        """Ends the answer (if not already) and returns a future of the full transcript.

        The future completes once committed chunks and the tail are transcribed (worker thread).
        """
        self.stop("finished")
        with self._lock:
            if self._final_future is None:
                self._final_future = concurrent.futures.Future()
                self._cv.notify_all()
            return self._final_future

    async def transcript(self) -> Transcript:
        import asyncio

        return await asyncio.wrap_future(self.finish())

    def close(self) -> None:
        """Stop the worker (pending work is dropped); idempotent."""
        with self._lock:
            self._closed = True
            if self._end_reason is None:
                self._end_reason = "closed"
            self._cv.notify_all()
            fut = self._final_future
        if fut is not None and not fut.done():
            fut.cancel()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    # ------------------------------------------------------------------ internals (lock held)
    def _append(self, x: np.ndarray) -> None:
        need = self._n + x.size
        if need > self._buf.size:
            cap = max(need, self._buf.size + RATE * 60)  # grow by a minute: memory ≈ answer length
            nb = np.zeros(cap, dtype=np.int16)
            nb[: self._n] = self._buf[: self._n]
            self._buf = nb
        self._buf[self._n : need] = np.round(np.clip(x, -1.0, 1.0) * 32767.0).astype(np.int16)
        self._n = need

    def _classify(self, events: list[tuple[str, Any]]) -> None:
        cfg = self.config
        count = (self._n - self._vad_pos) // FRAME
        if count <= 0:
            return
        block = _to_float(self._buf[self._vad_pos : self._vad_pos + count * FRAME]).reshape(count, FRAME)
        levels = np.sqrt(np.mean(block * block, axis=1)).tolist()  # RMS of every new 20 ms frame
        for rms in levels:
            if self._end_reason is not None:
                break
            self._rms.append(rms)
            self._vad_pos += FRAME
            end = self._vad_pos
            if rms >= cfg.vad_rms:
                self._run += 1
                if self._run >= cfg.min_speech_frames:
                    if not self._speech_started:
                        self._speech_started = True
                        self._first_voice = end - self._run * FRAME
                    self._last_voice_end = end
                    self._last_real_voice_end = end
                    self._voiced_since_commit = True
                    self._voiced_since_probe = True
            else:
                self._run = 0
            self._check(end, events)

    def _check(self, end: int, events: list[tuple[str, Any]]) -> None:
        cfg = self.config
        t = end / RATE
        if t >= cfg.max_answer_s:
            self._set_end("max_length", events)
            return
        if not self._speech_started:
            if not self._silence_held and (end - self._quiet_from) / RATE >= cfg.no_speech_timeout_s:
                self._set_end("no_speech", events)
            return
        silence = (end - self._last_voice_end) / RATE
        real_silence = (end - self._last_real_voice_end) / RATE
        if not self._silence_held:
            if silence >= cfg.long_silence_s and not self._nudged:
                self._nudged = True
                events.append(("long_silence", self._last_real_voice_end / RATE))
            if silence >= cfg.end_silence_s:
                self._set_end("silence", events)
                return
        pending_voice_s = (self._last_real_voice_end - self._commit_start) / RATE
        cut = min(end, self._last_real_voice_end + int(cfg.tail_pad_s * RATE))
        if self._voiced_since_commit and (
            (real_silence >= cfg.commit_pause_s and pending_voice_s >= cfg.commit_min_s)
            or (real_silence >= cfg.commit_idle_pause_s and pending_voice_s >= cfg.commit_idle_min_s)
        ):
            self._commit(cut)
        elif self._voiced_since_commit and (end - self._commit_start) / RATE >= cfg.commit_max_s:
            self._commit(self._quietest_cut(end))
        if self._voiced_since_probe and real_silence >= cfg.probe_pause_s:
            self._voiced_since_probe = False
            utt = self._last_utterance_start()
            if utt is not None:
                utt = max(0, utt - int(0.1 * RATE))
                self._phrase_job = (utt, cut, self._last_real_voice_end)
                self._cv.notify_all()

    def _quietest_cut(self, end: int) -> int:
        """The quietest 20 ms frame of the last 3 s: cutting a word there hurts least."""
        lo_frame = max(self._commit_start // FRAME + 1, end // FRAME - 150)
        hi_frame = end // FRAME
        window = self._rms[lo_frame:hi_frame]
        if not window:
            return end
        i = lo_frame + int(np.argmin(window))
        return i * FRAME + FRAME // 2

    def _commit(self, cut: int) -> None:
        if cut <= self._commit_start:
            return
        self._jobs.append((self._commit_start, cut))
        self._commit_start = cut
        self._voiced_since_commit = any(
            r >= self.config.vad_rms for r in self._rms[cut // FRAME :]
        )
        self._cv.notify_all()

    def _set_end(self, reason: str, events: list[tuple[str, Any]]) -> None:
        if self._end_reason is not None:
            return
        self._end_reason = reason
        self._end_sample = self._n
        self.ended_at = self._clock()
        self._cv.notify_all()
        events.append(("end", reason))

    def _dispatch(self, events: list[tuple[str, Any]]) -> None:
        for kind, arg in events:
            cb = self.on_long_silence if kind == "long_silence" else self.on_end if kind == "end" else self.on_chunk
            if cb is None:
                continue
            try:
                cb(arg)
            except Exception:  # a broken callback must not kill the receive thread
                log.exception("%s: %s callback failed", self._name, kind)

    # ------------------------------------------------------------------ the worker thread
    def _run_transcribe(self, start: int, end: int, audio: np.ndarray) -> Transcript:
        t0 = time.perf_counter()
        tr = self._transcribe(audio, offset_s=start / RATE)
        dt = time.perf_counter() - t0
        self.transcribe_seconds += dt
        self.transcribed_audio_s += (end - start) / RATE
        return tr

    def _has_voice(self, start: int, end: int) -> bool:
        lo, hi = start // FRAME, max(start // FRAME + 1, end // FRAME)
        return any(r >= self.config.vad_rms for r in self._rms[lo:hi])

    def _next_job(self) -> tuple[str, int, int, int] | None:
        """(kind, start, end, voice_end) of the next piece of work, by priority; lock held."""
        if self._phrase_job is not None:
            job, self._phrase_job = self._phrase_job, None
            return ("phrase", *job)
        if self._jobs:
            start, end = self._jobs.pop(0)
            return ("commit", start, end, 0)
        if self._final_future is not None and not self._final_future.done():
            end_total = self._end_sample if self._end_sample is not None else self._n
            end = min(end_total, self._last_real_voice_end + int(self.config.tail_pad_s * RATE))
            return ("final", self._commit_start, end, self._last_real_voice_end)
        return None

    def _work(self) -> None:
        while True:
            with self._lock:
                job = self._next_job()
                while job is None and not self._closed:
                    self._cv.wait()
                    job = self._next_job()
                if self._closed:
                    return
                assert job is not None
                kind, start, end, voice_end = job
                audio = _to_float(self._buf[start:end]) if end > start else np.zeros(0, np.float32)
                has_voice = end > start and self._has_voice(start, end)
            try:
                if kind == "final":
                    self._do_final(audio, start, end, has_voice)
                    return  # the answer is complete: nothing more to do
                if not has_voice or self.unavailable is not None:  # nothing to send, or nobody to send it to
                    continue
                if kind == "phrase":
                    self._check_phrase_utterance(start, end, voice_end, audio)
                    continue
                t0 = time.perf_counter()
                tr = self._run_transcribe(start, end, audio)
                res = ChunkResult(start / RATE, end / RATE, tr, time.perf_counter() - t0)
                with self._lock:
                    self._chunks.append(res)
                    quiet_since = self._last_real_voice_end <= end
                if self.on_chunk:
                    self._dispatch([("chunk", res)])
                if quiet_since and self._end_reason is None:
                    if ends_with_end_phrase(self._all_words_locked_copy()):
                        self._end_by_phrase(None, end)
            except TranscriptionUnavailable as e:
                # no worker answered in time: end the answer now (waiting for more audio to
                # transcribe helps nobody), keeping the words of the chunks done before
                self._lose_transcription(e)
                if kind == "final":
                    self._do_final(audio, start, end, has_voice=False)
                    return
            except Exception as e:  # keep the worker alive; the final pass reports the error
                log.exception("%s: transcription failed", self._name)
                self._worker_error = e
                if kind == "final":
                    with self._lock:
                        fut = self._final_future
                    if fut is not None and not fut.done():
                        fut.set_exception(e)
                    return

    def _check_phrase_utterance(self, start: int, end: int, voice_end: int, audio: np.ndarray) -> None:
        """Transcribe only the last utterance (a few seconds, silence-padded): whisper keeps a
        short closing phrase there that it sometimes drops at the end of a long chunk."""
        if self._end_reason is not None:
            return
        padded = np.concatenate([np.zeros(int(0.3 * RATE), np.float32), audio])
        t0 = time.perf_counter()
        tr = self._transcribe(padded, offset_s=start / RATE - 0.3)
        self.transcribe_seconds += time.perf_counter() - t0
        self.probes += 1
        if ends_with_end_phrase(list(tr.words)):
            self._end_by_phrase(voice_end, end)

    def _end_by_phrase(self, voice_end: int | None, end: int) -> None:
        events: list[tuple[str, Any]] = []
        with self._lock:
            # nothing said since the phrase?
            if self._last_real_voice_end <= end and (voice_end is None or self._last_real_voice_end == voice_end):
                self._set_end("phrase", events)
        self._dispatch(events)

    def _last_utterance_start(self) -> int | None:
        """Sample where the last utterance starts: after the last pause of at least
        `utterance_gap_s` within `utterance_max_s` before the last voiced frame; lock held."""
        cfg = self.config
        last = self._last_real_voice_end // FRAME - 1
        gap_frames = max(1, int(cfg.utterance_gap_s * RATE) // FRAME)
        lo = max(0, last - int(cfg.utterance_max_s * RATE) // FRAME)
        quiet = 0
        for i in range(last, lo - 1, -1):
            if self._rms[i] < cfg.vad_rms:
                quiet += 1
                if quiet >= gap_frames:
                    return (i + quiet) * FRAME
            else:
                quiet = 0
        return 0 if lo == 0 and last >= 0 else None

    def _all_words_locked_copy(self) -> list[Word]:
        with self._lock:
            words = [w for c in self._chunks for w in c.transcript.words]
        return words[-12:]

    def _lose_transcription(self, e: TranscriptionUnavailable) -> None:
        """Transcription is unavailable: remember why and end the answer (once)."""
        if self.unavailable is None:
            log.warning("%s: transcription unavailable (%s); ending the answer with the words heard so far",
                        self._name, e)
            self.unavailable = str(e) or "transcription unavailable"
        events: list[tuple[str, Any]] = []
        with self._lock:
            self._set_end("transcription_unavailable", events)
        self._dispatch(events)

    def _do_final(self, audio: np.ndarray, start: int, end: int, has_voice: bool) -> None:
        # once transcription is unavailable the tail is not sent: the words heard so far come back at once
        tail = self._run_transcribe(start, end, audio) if has_voice and self.unavailable is None else None
        with self._lock:
            words = [w for c in self._chunks for w in c.transcript.words]
            hesitations = [h for c in self._chunks for h in c.transcript.hesitations]
            if tail is not None:
                words += list(tail.words)
                hesitations += list(tail.hesitations)
            total = self._end_sample if self._end_sample is not None else self._n
            if self._first_voice is None:
                duration = total / RATE
            else:
                duration = min(total, self._last_real_voice_end + int(0.5 * RATE)) / RATE
            fut = self._final_future
        words.sort(key=lambda w: w.start)
        result = Transcript(words=words, duration_s=round(duration, 3), hesitations=sorted(hesitations))
        if fut is not None and not fut.done():
            fut.set_result(result)
