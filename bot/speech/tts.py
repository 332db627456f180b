"""Text to speech: pyttsx3's libespeak-ng binding renders prompts to cached WAV files, off the event loop.

Why not `engine.save_to_file(); engine.runAndWait()`: pyttsx3 2.99's espeak driver runs libespeak in
its asynchronous AUDIO_OUTPUT_RETRIEVAL mode and its run loop does not wait for the synthesis. On a
fresh engine the driver proxy starts "busy", so `runAndWait()` queues its own end-of-loop command
behind `save_to_file`; the first pass of `startLoop()` pumps both, sets `_looping = False` and only
then starts the synthesis, so `runAndWait()` returns ~10 ms later, before espeak's thread has
written the file (measured: it returned after 10 ms, MSG_TERMINATED came 22 ms in). So a process's
first render failed unless espeak beat that 10 ms: always for a long prompt, and in the bot, whose
busy threads slow espeak's thread down (it needs the GIL for each callback). By reading the driver,
more can go wrong: the synthesis left running writes into whatever `_save_file` names by then, its
`IsPlaying()` makes the next render's `stop()` cancel that render too, and samples that come with
the final callback are dropped (none came with it here, but libespeak does not promise that).

So we drive pyttsx3's own binding (`pyttsx3.drivers._espeak`) directly: one synthesis at a time
under a process-wide lock, our callback collects every chunk and sets an Event at
EVENT_MSG_TERMINATED, which we wait on; the WAV is written at the sample rate libespeak reported.
That works whichever output mode libespeak was initialized in.

Rendered prompts are cached by a hash of (text, voice, rate): asking twice is free. When libespeak
cannot be loaded, the `espeak-ng` command line is used instead.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import hashlib
import logging
import os
import shutil
import subprocess
import threading
import wave
from pathlib import Path
from typing import Any

import numpy as np

from bot.config import Settings
from bot.speech.audio import decode_file, to_pcm48_stereo
from bot.speech.audio_format import SAMPLE_RATE

log = logging.getLogger(__name__)

_CACHE_VERSION = "2"  # bump to invalidate old renders when the synthesis changes
_RENDER_TIMEOUT_S = 120.0
_BUFFER_MS = 500  # libespeak hands audio to the callback in chunks of up to this length
# American English when PARLEY_TTS_VOICE is empty, the same voice with both backends
# (libespeak's own default through pyttsx3 is British; the espeak-ng CLI's is not).
DEFAULT_VOICE = "en-us"


class TTSError(RuntimeError):
    """Speech could not be rendered; the message says what is missing."""


# One worker thread for the whole process: every synthesis runs there, one at a time.
_EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="parley-tts")
# The libespeak binding, its sample rate and voices ("unavailable" when it cannot load).
_ENGINE: dict[str, Any] = {}
# libespeak has one global synthesizer (one callback, one voice, one rate): never two at once.
_LIB_LOCK = threading.Lock()


class Speaker:
    """Renders prompts to speech. `render*` coroutines never block the event loop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cache_dir = Path(settings.tts_cache_dir)
        self.voice = settings.tts_voice or DEFAULT_VOICE
        self.rate = int(settings.tts_rate)
        self.renders = 0  # syntheses actually run (cache misses), for tests and the bench
        self.backend: str | None = None  # "pyttsx3" or "espeak-ng", chosen on first render
        self._executor = _EXECUTOR
        self._worker_lock = threading.Lock()  # belt and braces: one synthesis at a time

    # ------------------------------------------------------------------ public API

    def cache_path(self, text: str) -> Path:
        key = "\x1f".join((_CACHE_VERSION, text, self.voice, str(self.rate)))
        return self.cache_dir / f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}.wav"

    def render_sync(self, text: str) -> Path:
        """Render `text` to a WAV (cached); blocking. Raises `TTSError`."""
        text = self._clean(text)
        path = self.cache_path(text)
        if _valid(path):
            return path
        fut = self._executor.submit(self._render_in_worker, text, path)
        try:
            return fut.result(timeout=_RENDER_TIMEOUT_S)
        except concurrent.futures.TimeoutError:
            raise TTSError(f"speech synthesis took longer than {_RENDER_TIMEOUT_S:.0f} s") from None

    async def render(self, text: str) -> Path:
        """Render `text` to a cached WAV in the TTS worker thread."""
        text = self._clean(text)
        path = self.cache_path(text)
        if _valid(path):
            return path
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(self._executor, self._render_in_worker, text, path)
        return await asyncio.wait_for(fut, timeout=_RENDER_TIMEOUT_S)

    async def render_pcm48(self, text: str) -> bytes:
        """Discord's format: s16le, 48 kHz, stereo."""
        path = await self.render(text)
        return await asyncio.to_thread(_wav_to_pcm48, path)

    async def render_samples16k(self, text: str) -> np.ndarray:
        """float32 mono at 16 kHz (what the transcriber takes)."""
        path = await self.render(text)
        return await asyncio.to_thread(decode_file, path)

    def close(self) -> None:
        """Nothing to release: the worker thread is shared by the process and idles cheaply."""

    # ------------------------------------------------------------------ worker side

    @staticmethod
    def _clean(text: str) -> str:
        text = " ".join((text or "").split())
        if not text:
            raise TTSError("nothing to say: the text is empty")
        return text

    def _render_in_worker(self, text: str, path: Path) -> Path:
        with self._worker_lock:
            if _valid(path):  # rendered by an earlier queued request
                return path
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp.wav")
            try:
                self._synthesize(text, tmp)
                if not _valid(tmp):
                    raise TTSError("speech synthesis produced no audio")
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
            self.renders += 1
            return path

    def _synthesize(self, text: str, out: Path) -> None:
        if not _ENGINE.get("unavailable"):
            try:
                _espeak_binding()
            except Exception as e:  # no libespeak, a broken install: pyttsx3 raises many types
                _ENGINE.clear()
                _ENGINE["unavailable"] = True
                log.warning("pyttsx3 is unavailable (%s: %s); using the espeak-ng command line",
                            type(e).__name__, e)
        if not _ENGINE.get("unavailable"):
            try:
                self._pyttsx3_render(text, out)
                self.backend = "pyttsx3"
                return
            except TTSError:
                raise
            except Exception as e:
                # Not expected any more (see the module docstring); kept so a prompt still speaks.
                log.warning("pyttsx3 render failed (%s: %s); rendering this prompt with espeak-ng",
                            type(e).__name__, e)
        self._cli_render(text, out)
        self.backend = "espeak-ng"

    def _voice_id(self) -> str:
        """Settings name voices the espeak-ng way ("en-us"); the library wants its ids ("gmw/en-us")."""
        want = self.voice.lower()
        for vid, name, langs in _ENGINE["voices"]:
            if want in (vid.lower(), vid.lower().rsplit("/", 1)[-1], name.lower()) or want in (lang.lower() for lang in langs):
                return vid
        english = sorted(lang for _, _, langs in _ENGINE["voices"] for lang in langs if lang.startswith("en"))
        raise TTSError(f"unknown voice {self.voice!r} in PARLEY_TTS_VOICE; English voices: {', '.join(english)}")

    def _pyttsx3_render(self, text: str, out: Path) -> None:
        es = _espeak_binding()
        voice = self._voice_id()
        with _LIB_LOCK:
            # The voice first: loading a voice resets the rate. Speakers share the synthesizer,
            # so both are set before every render.
            if es.SetVoiceByName(voice.encode("utf-8")) != es.EE_OK:
                raise RuntimeError(f"libespeak could not load voice {voice!r}")
            es.SetParameter(es.RATE, self.rate, 0)
            pcm = _synth_pcm(es, text)
        if not pcm:
            raise RuntimeError("libespeak produced no audio")
        with wave.open(str(out), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(_ENGINE["sample_rate"])
            w.writeframes(pcm)

    def _cli_render(self, text: str, out: Path) -> None:
        exe = shutil.which("espeak-ng") or shutil.which("espeak")
        if exe is None:
            raise TTSError(
                "no speech engine: pyttsx3 could not start and espeak-ng is not installed "
                "(apt-get install espeak-ng)"
            )
        cmd = [exe, "-v", self.voice, "-s", str(self.rate), "-w", str(out), "--stdin"]
        try:
            proc = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, timeout=_RENDER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise TTSError("espeak-ng took too long") from None
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise TTSError(f"espeak-ng failed: {err[-1] if err else 'exit ' + str(proc.returncode)}")


def _espeak_binding() -> Any:
    """pyttsx3's ctypes binding of libespeak-ng, initialized once per process (raises without it)."""
    if "espeak" not in _ENGINE:
        import pyttsx3.drivers._espeak as es  # raises RuntimeError when libespeak-ng is missing
        from pyttsx3.drivers.espeak import EspeakDriver

        with _LIB_LOCK:
            if EspeakDriver._moduleInitialized:
                # A pyttsx3 engine in this process initialized libespeak already (it cannot be
                # initialized twice); ask the library for the rate it chose.
                get_rate = es.dll.espeak_ng_GetSampleRate
                get_rate.restype = ctypes.c_int
                sample_rate = get_rate()
            else:
                # The same output mode pyttsx3's driver uses, so an engine created later (which
                # skips Initialize once the flag below is set) keeps working.
                sample_rate = es.Initialize(es.AUDIO_OUTPUT_RETRIEVAL, _BUFFER_MS)
                if sample_rate <= 0:
                    raise RuntimeError("could not initialize libespeak-ng")
                EspeakDriver._moduleInitialized = True
                current = es.GetCurrentVoice()
                if current and current.contents.name:
                    EspeakDriver._defaultVoice = current.contents.name.decode("utf-8")
            voices = [(v.id, v.name or "", tuple(v.languages or ())) for v in EspeakDriver.getProperty("voices")]
        _ENGINE.update(espeak=es, sample_rate=int(sample_rate), voices=voices)
    return _ENGINE["espeak"]


class _Collector:
    """libespeak's synth callback for one message: keeps every chunk, signals the end.

    In retrieval mode the callback runs on espeak's own thread; in synchronous mode inside
    `Synth`. Either way the audio is complete once EVENT_MSG_TERMINATED has been seen: its
    callback may carry the last chunk, so the chunk is kept before the event is set.
    """

    def __init__(self, es: Any) -> None:
        self.es = es
        self.chunks: list[bytes] = []
        self.done = threading.Event()
        self.abandoned = False

    def __call__(self, wav: Any, numsamples: int, events: Any) -> int:
        if self.abandoned:
            return 1  # abort: nobody waits for this audio any more
        if numsamples > 0 and wav:
            self.chunks.append(ctypes.string_at(wav, numsamples * ctypes.sizeof(ctypes.c_short)))
        finished = False
        i = 0
        while events[i].type != self.es.EVENT_LIST_TERMINATED:
            finished = finished or events[i].type == self.es.EVENT_MSG_TERMINATED
            i += 1
        if finished:
            self.done.set()
        return 0


def _synth_pcm(es: Any, text: str) -> bytes:
    """One synthesis through the binding; s16le mono at `_ENGINE["sample_rate"]`. Hold `_LIB_LOCK`."""
    collector = _Collector(es)
    previous = es.SynthCallback  # a pyttsx3 engine's callback, put back afterwards
    es.SetSynthCallback(collector)
    try:
        status = es.Synth(text.encode("utf-8"), flags=es.ENDPAUSE | es.CHARS_UTF8)
        if status != es.EE_OK:
            raise RuntimeError(f"libespeak refused the text (error {status})")
        if not collector.done.wait(_RENDER_TIMEOUT_S):
            collector.abandoned = True
            es.Cancel()
            raise RuntimeError(f"libespeak did not finish within {_RENDER_TIMEOUT_S:.0f} s")
    finally:
        collector.abandoned = True  # a late call (there should be none) aborts instead of appending
        if previous is not None:
            es.SynthCallback = previous
            es.cSetSynthCallback(previous)
    return b"".join(collector.chunks)


def _valid(path: Path) -> bool:
    try:
        return path.stat().st_size > 44  # more than a bare WAV header
    except OSError:
        return False


def _wav_to_pcm48(path: Path) -> bytes:
    """Read the rendered WAV at its own rate (espeak writes 16-bit PCM) → Discord PCM."""
    try:
        with wave.open(str(path), "rb") as w:
            rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError, OSError):
        return to_pcm48_stereo(decode_file(path), SAMPLE_RATE)  # not plain PCM: let ffmpeg read it
    if width != 2:
        return to_pcm48_stereo(decode_file(path), 16000)
    samples = np.frombuffer(raw, dtype="<i2").reshape(-1, channels)
    return to_pcm48_stereo(samples[:, 0] if channels == 1 else samples, rate)
