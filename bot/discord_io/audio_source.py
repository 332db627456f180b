"""Playback: Discord PCM (48 kHz stereo s16le) from `Speaker.render_pcm48` into a voice channel.

`PCMBufferSource` is a `discord.AudioSource` over bytes already rendered (TTS runs in a thread
before we get here), so discord.py's player thread only slices memory: no I/O, no ffmpeg.
`play_pcm` awaits the end of playback without blocking the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import discord

from bot.speech.audio_format import FRAME_BYTES, PCM_BYTES_PER_SECOND

log = logging.getLogger(__name__)



class PlaybackError(RuntimeError):
    """The clip could not be played (not connected, or the player failed); message says why."""


class PCMBufferSource(discord.AudioSource):
    """20 ms frames from an in-memory PCM buffer; the last partial frame is zero-padded."""

    def __init__(self, pcm: bytes) -> None:
        usable = len(pcm) - len(pcm) % 4  # whole stereo s16 samples only
        self._pcm = memoryview(bytes(pcm[:usable]))
        self._pos = 0
        self._lock = threading.Lock()

    @property
    def duration_s(self) -> float:
        return len(self._pcm) / PCM_BYTES_PER_SECOND

    @property
    def frames_total(self) -> int:
        return -(-len(self._pcm) // FRAME_BYTES)

    def read(self) -> bytes:
        with self._lock:
            if self._pos >= len(self._pcm):
                return b""
            chunk = bytes(self._pcm[self._pos:self._pos + FRAME_BYTES])
            self._pos += FRAME_BYTES
        if len(chunk) < FRAME_BYTES:
            chunk += bytes(FRAME_BYTES - len(chunk))
        return chunk

    def is_opus(self) -> bool:
        return False

    def cleanup(self) -> None:
        with self._lock:
            self._pos = len(self._pcm)


async def play_pcm(voice_client: Any, pcm: bytes) -> None:
    """Play `pcm` on `voice_client` and return when it has finished (or was stopped).

    Stops whatever was playing first (a Repeat press interrupts the current clip).
    Raises `PlaybackError` when the bot is not connected or the player reports an error.
    """
    if not pcm:
        return
    if not voice_client.is_connected():
        raise PlaybackError("I'm not connected to the voice channel any more.")
    if voice_client.is_playing():
        _stop_playing(voice_client)
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[Exception | None] = loop.create_future()

    def after(error: Exception | None) -> None:  # runs on discord.py's player thread
        def settle() -> None:
            if not finished.done():
                finished.set_result(error)
        loop.call_soon_threadsafe(settle)

    source = PCMBufferSource(pcm)
    try:
        voice_client.play(source, after=after)
    except discord.ClientException as e:
        raise PlaybackError(f"I couldn't play audio: {e}") from e
    try:
        error = await finished
    except asyncio.CancelledError:  # the round moved on (skip, end): cut the clip short
        _stop_playing(voice_client)
        raise
    if error is not None:
        log.warning("playback ended with an error: %s", error)
        raise PlaybackError(f"Playback failed: {error}")


def _stop_playing(voice_client: Any) -> None:
    """Stop playback only (VoiceRecvClient.stop() would also stop receiving)."""
    stop = getattr(voice_client, "stop_playing", None) or voice_client.stop
    try:
        stop()
    except Exception:
        log.debug("stopping playback failed", exc_info=True)
