"""Our one definition of Discord's frame matches what discord.py's opus codec uses."""

from __future__ import annotations

from discord.opus import Decoder, Encoder

from bot.speech.audio_format import DISCORD_CHANNELS, DISCORD_RATE, FRAME_BYTES


def test_frame_bytes_match_the_opus_codec() -> None:
    assert FRAME_BYTES == Decoder.FRAME_SIZE == Encoder.FRAME_SIZE
    assert (DISCORD_RATE, DISCORD_CHANNELS) == (Encoder.SAMPLING_RATE, Encoder.CHANNELS)
