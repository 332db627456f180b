"""Audio decoding, bad inputs and the Discord PCM conversions (no model needed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import tracemalloc
import wave
from pathlib import Path

import numpy as np
import pytest

from bot.speech.audio import (
    SAMPLE_RATE,
    AudioError,
    decode_bytes,
    decode_file,
    duration_s,
    pcm48_stereo_to_16k_mono,
    to_pcm48_stereo,
    write_wav,
)
from tests.conftest import AUDIO


def ffmpeg(*args: str) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is not installed (the CI script installs it)")
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def sine(freq: float, seconds: float, rate: int, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_freq(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[int(np.argmax(spectrum))])


# ---------------------------------------------------------------- good inputs


@pytest.mark.parametrize("ext", ["ogg", "mp3", "webm", "wav"])
def test_decodes_common_formats_to_16k_mono(tmp_path: Path, jfk_path: Path, ext: str) -> None:
    out = tmp_path / f"jfk.{ext}"
    extra = ["-c:a", "libopus"] if ext in ("ogg", "webm") else []
    ffmpeg("-i", str(jfk_path), *extra, str(out))
    x = decode_file(out)
    assert x.dtype == np.float32 and x.ndim == 1
    assert duration_s(x) == pytest.approx(11.0, abs=0.1)
    assert 0.01 < float(np.sqrt(np.mean(x**2))) < 0.5  # real signal, sensible scale


def test_decode_flac_and_bytes_agree(jfk_path: Path) -> None:
    a = decode_file(jfk_path)
    b = decode_bytes(jfk_path.read_bytes(), name="jfk.flac")
    assert len(a) == 11 * SAMPLE_RATE
    np.testing.assert_allclose(a, b)


def test_stereo_file_is_mixed_down(tmp_path: Path) -> None:
    left, right = sine(300, 1.0, 44100), sine(1200, 1.0, 44100)
    path = write_wav(tmp_path / "st.wav", np.stack([left, right], axis=1), 44100)
    x = decode_file(path)
    assert duration_s(x) == pytest.approx(1.0, abs=0.01)
    spectrum = np.abs(np.fft.rfft(x))
    freqs = np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)
    for f in (300, 1200):  # both channels are present in the mono mix
        assert spectrum[np.argmin(np.abs(freqs - f))] > 0.2 * spectrum.max()


# ---------------------------------------------------------------- bad inputs


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="not found"):
        decode_file(tmp_path / "nope.ogg")


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="folder"):
        decode_file(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.ogg"
    p.write_bytes(b"")
    with pytest.raises(AudioError, match=r"empty \(0 bytes\)"):
        decode_file(p)
    with pytest.raises(AudioError, match="empty"):
        decode_bytes(b"")


def test_text_file_is_not_audio() -> None:
    with pytest.raises(AudioError, match="not a recognisable audio file") as exc:
        decode_file("/etc/hostname")
    assert "/etc/hostname" in str(exc.value)


def test_random_bytes_are_not_audio(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    for size in (100, 64_000):
        p = tmp_path / f"rand{size}.bin"
        p.write_bytes(rng.bytes(size))
        with pytest.raises(AudioError, match="not a recognisable audio file|no audio track|corrupt"):
            decode_file(p)


@pytest.mark.parametrize("keep", [0.15, 0.9])
def test_truncated_flac(tmp_path: Path, jfk_path: Path, keep: float) -> None:
    data = jfk_path.read_bytes()
    p = tmp_path / "cut.flac"
    p.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(AudioError, match="truncated"):
        decode_file(p)


def test_truncated_wav_header_says_longer(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "full.wav", sine(440, 10.0, 16000), 16000)
    data = path.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(AudioError, match="truncated"):
        decode_file(cut)


def test_zero_length_wav(tmp_path: Path) -> None:
    p = tmp_path / "zero.wav"
    with wave.open(str(p), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"")
    with pytest.raises(AudioError, match="no audio"):
        decode_file(p)


def test_file_without_audio_track(tmp_path: Path) -> None:
    p = tmp_path / "still.webm"
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=32x32:d=1", "-c:v", "libvpx", str(p))
    with pytest.raises(AudioError, match="no audio track"):
        decode_file(p)


@pytest.mark.slow  # ffmpeg encodes long audio first
def test_two_hour_file_rejected_from_its_header(tmp_path: Path) -> None:
    p = tmp_path / "long.flac"  # 2 hours of silence: 1.3 MB on disk, its header states the length
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "7200", "-c:a", "flac", str(p))
    t0 = time.perf_counter()
    with pytest.raises(AudioError, match=r"2\.0 h long; the limit is 10\.0 min"):
        decode_file(p, max_seconds=600)
    assert time.perf_counter() - t0 < 2.0  # only the header was read (decoding it all takes far longer)


@pytest.mark.slow  # ffmpeg encodes long audio first
def test_long_opus_voice_message_rejected(tmp_path: Path) -> None:
    p = tmp_path / "voice-message.ogg"  # 20 minutes of opus at a tiny bitrate, cheap to encode
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "1200", "-c:a", "libopus", "-b:a", "6k",
           "-frame_duration", "120", "-compression_level", "0", str(p))
    with pytest.raises(AudioError, match=r"20\.0 min long; the limit is 10\.0 min"):
        decode_bytes(p.read_bytes(), max_seconds=600, name="voice-message.ogg")


@pytest.mark.slow  # ffmpeg encodes long audio first
def test_stream_without_declared_length_stops_at_the_cap(tmp_path: Path) -> None:
    """A piped flac states no length: decoding must stop at the cap, not load 2 hours."""
    p = tmp_path / "nodur.flac"
    with open(p, "wb") as fh:
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono",
             "-t", "7200", "-c:a", "flac", "-f", "flac", "pipe:"], stdout=fh, check=True,
        )
    tracemalloc.start()
    try:
        with pytest.raises(AudioError, match="longer than the limit of 60.0 s"):
            decode_file(p, max_seconds=60)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 60 s at 16 kHz float32 is 3.8 MB; the whole file would be 460 MB
    assert peak < 30 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB: decoding did not stop at the cap"


def test_long_mp3_stops_at_the_cap(tmp_path: Path) -> None:
    """An mp3's length is only estimated, so the decode cap (not the header) rejects it."""
    p = tmp_path / "long.mp3"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "200", "-c:a", "libmp3lame", "-b:a", "8k", str(p))
    with pytest.raises(AudioError, match="longer than the limit of 30.0 s"):
        decode_file(p, max_seconds=30)
    assert duration_s(decode_file(p, max_seconds=300)) == pytest.approx(200, abs=0.5)


def test_discord_packets_converted_one_by_one_match_the_whole() -> None:
    """The bot converts each 20 ms packet on its own: seams must not damage the signal."""
    x = np.concatenate([sine(220, 1.0, SAMPLE_RATE), sine(1800, 1.0, SAMPLE_RATE, amp=0.3)])
    pcm = to_pcm48_stereo(x, SAMPLE_RATE)
    packet = 3840  # 20 ms of 48 kHz stereo s16le
    pieces = [pcm48_stereo_to_16k_mono(pcm[i: i + packet]) for i in range(0, len(pcm), packet)]
    assert all(len(p) == 320 for p in pieces)
    joined = np.concatenate(pieces)
    whole = pcm48_stereo_to_16k_mono(pcm)
    assert len(joined) == len(whole) == len(x)
    snr_db = 10 * np.log10(np.sum(whole**2) / np.sum((joined - whole) ** 2))
    assert snr_db > 35, f"packet seams cost too much: {snr_db:.1f} dB"


def test_under_the_cap_is_fine(jfk_path: Path) -> None:
    assert duration_s(decode_file(jfk_path, max_seconds=12)) == pytest.approx(11.0, abs=0.05)


def test_unreadable_file(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can read any file")
    p = tmp_path / "locked.wav"
    write_wav(p, sine(440, 0.5, 16000), 16000)
    p.chmod(0)
    with pytest.raises(AudioError, match="permission"):
        decode_file(p)


# ---------------------------------------------------------------- resampling


def test_discord_pcm_round_trip_keeps_duration_and_pitch() -> None:
    x = sine(440, 3.0, SAMPLE_RATE)
    pcm = to_pcm48_stereo(x, SAMPLE_RATE)
    assert len(pcm) == 3 * 48000 * 2 * 2  # 48 kHz, stereo, 16-bit
    stereo = np.frombuffer(pcm, dtype="<i2").reshape(-1, 2)
    np.testing.assert_array_equal(stereo[:, 0], stereo[:, 1])
    assert dominant_freq(stereo[:, 0].astype(np.float32), 48000) == pytest.approx(440, abs=2)

    back = pcm48_stereo_to_16k_mono(pcm)
    assert back.dtype == np.float32
    assert duration_s(back) == pytest.approx(3.0, abs=0.002)
    assert dominant_freq(back, SAMPLE_RATE) == pytest.approx(440, abs=2)
    inner = slice(1000, -1000)  # edges ring a little in any resampler
    assert np.max(np.abs(back[inner] - x[inner])) < 0.01


def test_discord_pcm_to_16k_filters_what_16k_cannot_hold() -> None:
    """A 12 kHz tone in Discord audio must be filtered out, not alias down to 4 kHz."""
    tone = (sine(12000, 1.0, 48000) * 32767).astype("<i2")
    pcm = np.repeat(tone, 2).tobytes()
    y = pcm48_stereo_to_16k_mono(pcm)
    assert duration_s(y) == pytest.approx(1.0, abs=0.002)
    assert float(np.sqrt(np.mean(y**2))) < 0.01


def test_discord_stereo_mixes_both_channels() -> None:
    left = (sine(500, 1.0, 48000) * 32767).astype("<i2")
    right = np.zeros_like(left)
    pcm = np.stack([left, right], axis=1).reshape(-1).tobytes()
    y = pcm48_stereo_to_16k_mono(pcm)
    assert dominant_freq(y, SAMPLE_RATE) == pytest.approx(500, abs=2)
    assert 0.1 < float(np.max(np.abs(y))) < 0.4  # half of 0.5 amplitude-ish, not clipped


def test_torn_pcm_and_empty_pcm() -> None:
    assert pcm48_stereo_to_16k_mono(b"").size == 0
    y = pcm48_stereo_to_16k_mono(b"\x00\x01" * 4801)  # an odd number of 16-bit samples
    assert duration_s(y) == pytest.approx(0.05, abs=0.002)
    assert to_pcm48_stereo(np.zeros(0, dtype=np.float32), 16000) == b""


@pytest.mark.parametrize("rate", [8000, 22050, 44100])
def test_to_pcm48_from_other_rates(rate: int) -> None:
    pcm = to_pcm48_stereo(sine(1000, 2.0, rate), rate)
    stereo = np.frombuffer(pcm, dtype="<i2").reshape(-1, 2)
    assert len(stereo) / 48000 == pytest.approx(2.0, abs=0.002)
    assert dominant_freq(stereo[:, 0].astype(np.float32), 48000) == pytest.approx(1000, abs=2)


def test_to_pcm48_clips_instead_of_wrapping() -> None:
    loud = np.full(1600, 3.0, dtype=np.float32)
    stereo = np.frombuffer(to_pcm48_stereo(loud, 16000), dtype="<i2")
    assert stereo[1000:-1000].min() > 30000  # wrapped int16 would turn negative


def test_write_wav_round_trip(tmp_path: Path) -> None:
    x = sine(700, 1.5, 16000)
    p = write_wav(tmp_path / "sub" / "a.wav", x, 16000)
    with wave.open(str(p)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (1, 2, 16000, 24000)
    y = decode_file(p)
    assert np.max(np.abs(y - x)) < 1e-3


def test_stereo_recording_decodes() -> None:
    p = AUDIO / "stereo_diarization.wav"
    x = decode_file(p)
    assert duration_s(x) == pytest.approx(5.0, abs=0.01)
