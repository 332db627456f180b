"""Audio helpers: decode any file ffmpeg understands, resample, and convert to/from Discord PCM.

Whisper wants float32 mono at 16 kHz; Discord sends and receives signed 16-bit little-endian
stereo at 48 kHz. Decoding goes through PyAV (libav*), so flac, wav, ogg/opus voice messages,
mp3, m4a and webm all work. Every failure becomes an `AudioError` whose message says what is
wrong with the input, in words a user can act on.
"""

from __future__ import annotations

import io
import logging
import struct
import wave
from pathlib import Path
from typing import Any, BinaryIO

import av
import numpy as np

from bot.paths import regular_file_problem
from bot.speech.audio_format import DISCORD_RATE, SAMPLE_RATE

log = logging.getLogger(__name__)

DISCORD_CHANNELS = 2

# Containers whose header states the exact length, so a file that decodes to much less
# than it declares has been cut short. Other formats only estimate their duration.
_EXACT_DURATION_FORMATS = {"flac", "wav", "w64", "aiff", "caf", "au"}
# Containers whose duration ffmpeg only estimates from the bitrate (a VBR mp3 without a Xing
# header can read minutes off): never reject these from the header, the decode cap decides.
_ESTIMATED_DURATION_FORMATS = {"mp3", "aac", "ac3", "eac3", "mpeg", "mpegts", "adts"}


class AudioError(ValueError):
    """The input is not usable audio; the message says why, in plain words."""


def duration_s(samples: np.ndarray, rate: int = SAMPLE_RATE) -> float:
    """Length in seconds of mono samples (or frames of a (n, channels) array)."""
    return float(len(samples)) / float(rate)


# --------------------------------------------------------------------------- decoding


def decode_file(path: str | Path, *, max_seconds: float | None = None) -> np.ndarray:
    """Decode an audio file to float32 mono samples at 16 kHz.

    `max_seconds` caps the length: the container's declared duration is checked before
    decoding, and decoding stops as soon as the cap is passed, so a multi-hour file is never
    loaded whole. Raises `AudioError` for a missing, empty, non-audio, corrupt, truncated,
    silent-by-construction (no samples) or too long file.
    """
    p = Path(path)
    problem = regular_file_problem(p)
    if problem is not None:
        raise AudioError(f"{p}: {problem.reason}")
    try:
        size = p.stat().st_size
    except OSError as e:
        raise AudioError(f"{p}: cannot read the file ({e.strerror or e})") from None
    if size == 0:
        raise AudioError(f"{p}: the file is empty (0 bytes)")
    try:
        with open(p, "rb") as fh:
            return _decode(fh, str(p), max_seconds)
    except PermissionError:
        raise AudioError(f"{p}: permission denied") from None
    except OSError as e:
        if isinstance(e, av.FFmpegError):
            raise AudioError(f"{p}: could not decode audio ({_ffmpeg_reason(e)})") from None
        raise AudioError(f"{p}: cannot read the file ({e.strerror or e})") from None


def decode_bytes(data: bytes, *, max_seconds: float | None = None, name: str = "audio") -> np.ndarray:
    """Like `decode_file` for audio held in memory (an upload, a Discord attachment)."""
    if not data:
        raise AudioError(f"{name}: the file is empty (0 bytes)")
    return _decode(io.BytesIO(data), name, max_seconds)


def _ffmpeg_reason(e: Exception) -> str:
    msg = getattr(e, "strerror", None) or str(e)
    return str(msg).split(":")[0].strip() or type(e).__name__


def _open(source: BinaryIO, name: str) -> Any:
    try:
        return av.open(source, mode="r")
    except av.FFmpegError as e:
        raise AudioError(
            f"{name}: not a recognisable audio file ({_ffmpeg_reason(e)}); "
            "send a recording such as ogg/opus, mp3, wav, flac, m4a or webm"
        ) from None


def _declared_seconds(container: Any, stream: Any) -> float | None:
    """The length the file claims, if it says; None when unknown."""
    if stream.duration is not None and stream.time_base is not None:
        secs = float(stream.duration * stream.time_base)
        if secs > 0:
            return secs
    if container.duration is not None and container.duration > 0:
        return container.duration / 1_000_000  # AV_TIME_BASE
    return None


def _check_wav_length(source: BinaryIO, name: str) -> None:
    """ffmpeg quietly clamps a WAV's data size to what the file holds, so a cut-short upload
    would decode as a shorter answer. Compare the RIFF header with the real size instead."""
    start = source.tell()
    head = source.read(4096)
    total = source.seek(0, io.SEEK_END)
    source.seek(start)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return
    pos, byte_rate = 12, 0
    while pos + 8 <= len(head):
        cid, size = head[pos:pos + 4], struct.unpack("<I", head[pos + 4:pos + 8])[0]
        if cid == b"fmt " and pos + 16 <= len(head):
            byte_rate = struct.unpack("<I", head[pos + 16:pos + 20])[0]
        if cid == b"data":
            if size in (0, 0xFFFFFFFF) or byte_rate <= 0:  # streamed WAV: length unknown
                return
            have = total - (pos + 8)
            if have < size * 0.95 - byte_rate * 0.25:
                raise AudioError(
                    f"{name}: the file is truncated: its header says {_fmt_secs(size / byte_rate)} "
                    f"but only {_fmt_secs(max(have, 0) / byte_rate)} of audio is there"
                )
            return
        pos += 8 + size + (size & 1)


def _decode(source: BinaryIO, name: str, max_seconds: float | None) -> np.ndarray:
    _check_wav_length(source, name)
    container = _open(source, name)
    try:
        audio_streams = [s for s in container.streams if s.type == "audio"]
        if not audio_streams:
            raise AudioError(f"{name}: the file has no audio track (is it an audio file?)")
        stream = audio_streams[0]
        fmt_names = set((container.format.name or "").split(","))
        declared = _declared_seconds(container, stream)
        trust_header = not (fmt_names & _ESTIMATED_DURATION_FORMATS)
        if max_seconds is not None and declared is not None and trust_header and declared > max_seconds + 0.5:
            raise AudioError(
                f"{name}: the recording is {_fmt_secs(declared)} long; the limit is {_fmt_secs(max_seconds)}"
            )
        max_samples = None if max_seconds is None else int(max_seconds * SAMPLE_RATE) + SAMPLE_RATE // 2
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        chunks: list[np.ndarray] = []
        total = 0

        def take(frames: list[Any]) -> None:
            nonlocal total
            for f in frames:
                arr = f.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                chunks.append(arr)
                total += arr.size
            if max_samples is not None and total > max_samples:
                raise AudioError(
                    f"{name}: the recording is longer than the limit of {_fmt_secs(max_seconds or 0)}"
                )

        try:
            for frame in container.decode(stream):
                take(resampler.resample(frame))
            take(resampler.resample(None))
        except AudioError:
            raise
        except (av.FFmpegError, ValueError, EOFError) as e:
            got = total / SAMPLE_RATE
            where = f" after {got:.1f} s" if got > 0 else ""
            raise AudioError(
                f"{name}: the audio is corrupt or truncated (decoding failed{where}: {_ffmpeg_reason(e)})"
            ) from None
    finally:
        container.close()

    if total == 0:
        raise AudioError(f"{name}: the file contains no audio (zero samples)")
    samples = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
    got = total / SAMPLE_RATE
    if declared is not None and fmt_names & _EXACT_DURATION_FORMATS and got < declared * 0.95 - 0.25:
        raise AudioError(
            f"{name}: the file is truncated: its header says {_fmt_secs(declared)} "
            f"but only {_fmt_secs(got)} of audio could be read"
        )
    if not np.all(np.isfinite(samples)):
        samples = np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0)
    return np.ascontiguousarray(samples, dtype=np.float32)


def _fmt_secs(s: float) -> str:
    if s >= 3600:
        return f"{s / 3600:.1f} h"
    if s >= 120:
        return f"{s / 60:.1f} min"
    return f"{s:.1f} s"


# --------------------------------------------------------------------------- resampling


def _resample(frame: Any, *, fmt: str, layout: str, rate: int) -> np.ndarray:
    """Run one whole buffer through libswresample (a proper band-limited resampler)."""
    r = av.AudioResampler(format=fmt, layout=layout, rate=rate)
    out = [f.to_ndarray().reshape(-1) for f in r.resample(frame)]
    out += [f.to_ndarray().reshape(-1) for f in r.resample(None)]
    dtype = np.int16 if fmt == "s16" else np.float32
    return np.concatenate(out) if out else np.zeros(0, dtype=dtype)


def pcm48_stereo_to_16k_mono(pcm: bytes) -> np.ndarray:
    """Discord PCM (s16le, 48 kHz, interleaved stereo) → float32 mono at 16 kHz for whisper.

    The channels are averaged, then libswresample low-pass filters and decimates.
    """
    if len(pcm) % 4:
        pcm = pcm[: len(pcm) - len(pcm) % 4]  # drop a torn trailing frame
    if not pcm:
        return np.zeros(0, dtype=np.float32)
    stereo = np.frombuffer(pcm, dtype="<i2").reshape(-1, DISCORD_CHANNELS).astype(np.float32)
    mono = stereo.mean(axis=1) / 32768.0
    return resample_mono(mono, DISCORD_RATE, SAMPLE_RATE)


def to_pcm48_stereo(samples: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """Mono samples (float in [-1, 1], or int16) at `rate` → Discord PCM: s16le 48 kHz stereo.

    A (n, channels) array is mixed down first. Both output channels carry the same signal at
    full level (no -3 dB pan law).
    """
    x = np.asarray(samples)
    if x.dtype.kind in "iu":
        x = x.astype(np.float32) / 32768.0
    if x.ndim == 2:
        x = x.mean(axis=1)
    if x.size == 0:
        return b""
    mono = resample_mono(np.clip(x, -1.0, 1.0), int(rate), DISCORD_RATE)
    pcm16 = (np.clip(mono, -1.0, 1.0) * 32767.0).round().astype("<i2")
    return np.repeat(pcm16, DISCORD_CHANNELS).tobytes()


def resample_mono(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """float32 mono at `rate` → float32 mono at `target`."""
    x = np.ascontiguousarray(samples, dtype=np.float32)
    if rate == target or x.size == 0:
        return x
    frame = av.AudioFrame.from_ndarray(x.reshape(1, -1), format="flt", layout="mono")
    frame.sample_rate = int(rate)
    return _resample(frame, fmt="flt", layout="mono", rate=target)


# --------------------------------------------------------------------------- files


def write_wav(path: str | Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    """Write float ([-1, 1]) or int16 samples as a 16-bit PCM WAV (mono, or (n, ch) for more)."""
    p = Path(path)
    x = np.asarray(samples)
    if x.dtype.kind == "f":
        x = (np.clip(x, -1.0, 1.0) * 32767.0).round().astype("<i2")
    else:
        x = x.astype("<i2")
    channels = 1 if x.ndim == 1 else x.shape[1]
    p.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(p), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(int(rate))
        w.writeframes(np.ascontiguousarray(x).tobytes())
    return p
