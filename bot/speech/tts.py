"""Text to speech: pyttsx3 (espeak-ng) renders prompts to cached WAV files, off the event loop.

pyttsx3 is not thread-safe, and `pyttsx3.init()` hands every caller in the process the same
engine, so one process-wide worker thread owns that engine and every synthesis runs there, one
at a time; voice and rate are set before each render because Speakers share the engine.
Rendered prompts are cached by a hash of (text, voice, rate): asking twice is free.
When pyttsx3 cannot start (no libespeak), the `espeak-ng` command line is used instead.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
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

log = logging.getLogger(__name__)

_CACHE_VERSION = "1"  # bump to invalidate old renders when the synthesis changes
_RENDER_TIMEOUT_S = 120.0
# American English when PARLEY_TTS_VOICE is empty, the same voice with both backends
# (libespeak's own default through pyttsx3 is British; the espeak-ng CLI's is not).
DEFAULT_VOICE = "en-us"


class TTSError(RuntimeError):
    """Speech could not be rendered; the message says what is missing."""


def _quiet_pyttsx3(module: Any) -> None:
    """pyttsx3's espeak driver print()s "Audio saved to ..." on stdout, which would corrupt
    the CLI's JSON output; route it to our log instead (module-level, so thread-safe)."""
    module.print = lambda *a, **k: log.debug("pyttsx3: %s", " ".join(str(x) for x in a))


# One worker thread for the whole process: the pyttsx3 engine lives (and is only touched) there.
_EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="parley-tts")
_ENGINE: dict[str, Any] = {}  # the pyttsx3 engine, its driver class and voices; touched only on the worker
# Drop the engine while the interpreter is still whole: otherwise pyttsx3's DriverProxy.__del__
# runs during shutdown and prints an "Exception ignored" traceback on stderr.
atexit.register(_ENGINE.clear)


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
                self._pyttsx3_engine()
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
                # Seen about once in 80 renders: the espeak loop ends without writing the file.
                # This prompt goes through the command line; the next one tries pyttsx3 again.
                log.info("pyttsx3 render failed (%s: %s); rendering this prompt with espeak-ng",
                            type(e).__name__, e)
        self._cli_render(text, out)
        self.backend = "espeak-ng"

    @staticmethod
    def _pyttsx3_engine() -> Any:
        if "engine" not in _ENGINE:
            import pyttsx3
            import pyttsx3.drivers.espeak as espeak_driver

            engine = pyttsx3.init("espeak")
            _quiet_pyttsx3(espeak_driver)
            _ENGINE["driver"] = espeak_driver.EspeakDriver
            _ENGINE["voices"] = [(v.id, v.name or "", tuple(v.languages or ())) for v in engine.getProperty("voices")]
            _ENGINE["engine"] = engine
        return _ENGINE["engine"]

    def _voice_id(self) -> str:
        """Settings name voices the espeak-ng way ("en-us"); the library wants its ids ("gmw/en-us")."""
        want = self.voice.lower()
        for vid, name, langs in _ENGINE["voices"]:
            if want in (vid.lower(), vid.lower().rsplit("/", 1)[-1], name.lower()) or want in (l.lower() for l in langs):
                return vid
        english = sorted(l for _, _, langs in _ENGINE["voices"] for l in langs if l.startswith("en"))
        raise TTSError(f"unknown voice {self.voice!r} in PARLEY_TTS_VOICE; English voices: {', '.join(english)}")

    def _pyttsx3_render(self, text: str, out: Path) -> None:
        engine = self._pyttsx3_engine()
        # Set voice and rate on the driver directly, right before the render: queued
        # setProperty calls were applied unreliably when one engine renders many times.
        # Measured with libespeak-ng: a single SetParameter(RATE) between renders was ignored
        # (120, 220 and 170 wpm all came out equally long); setting it twice takes effect
        # every time. The voice first, as loading a voice resets the rate.
        driver = _ENGINE["driver"]
        driver.setProperty("voice", self._voice_id())
        driver.setProperty("rate", self.rate)
        driver.setProperty("rate", self.rate)
        engine.save_to_file(text, str(out))
        engine.runAndWait()
        if not _valid(out):
            raise RuntimeError("pyttsx3 produced no audio")

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
        return to_pcm48_stereo(decode_file(path), 16000)  # not plain PCM: let ffmpeg read it
    if width != 2:
        return to_pcm48_stereo(decode_file(path), 16000)
    samples = np.frombuffer(raw, dtype="<i2").reshape(-1, channels)
    return to_pcm48_stereo(samples[:, 0] if channels == 1 else samples, rate)
