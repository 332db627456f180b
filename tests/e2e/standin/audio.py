"""Audio helpers for the tests that drive the stand-in (independent of the bot's own code)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def tone(freq: float, seconds: float, rate: int = 48000, level: float = 0.4) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_frequency(mono: np.ndarray, rate: int = 48000) -> float:
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.fft.rfftfreq(len(mono), 1 / rate)[int(np.argmax(spectrum))])


def pcm_to_mono(pcm: bytes) -> np.ndarray:
    """48 kHz stereo s16le → float mono."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32).reshape(-1, 2).mean(axis=1) / 32768.0


def pcm48_stereo(samples: np.ndarray, rate: int) -> bytes:
    """float mono at `rate` → 48 kHz stereo s16le (linear interpolation; fine for speech)."""
    samples = np.asarray(samples, dtype=np.float32)
    if rate != 48000:
        n = int(round(len(samples) * 48000 / rate))
        samples = np.interp(np.linspace(0, len(samples) - 1, n), np.arange(len(samples)), samples)
    s16 = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    return np.repeat(s16, 2).tobytes()


def to_16k(mono48: np.ndarray) -> np.ndarray:
    """48 kHz mono float → 16 kHz (average of each 3 samples: a crude low-pass, enough for speech)."""
    n = len(mono48) // 3 * 3
    return mono48[:n].reshape(-1, 3).mean(axis=1).astype(np.float32)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    import wave

    with wave.open(str(path), "rb") as w:
        rate, width, channels = w.getframerate(), w.getsampwidth(), w.getnchannels()
        raw = w.readframes(w.getnframes())
    assert width == 2, "espeak-ng writes 16-bit WAV"
    data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return data, rate
