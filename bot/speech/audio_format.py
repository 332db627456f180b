"""The audio formats Parley handles, defined once.

* Recognition and analysis work on 16 kHz mono float samples (`SAMPLE_RATE`): what whisper expects.
* Discord sends and plays 48 kHz stereo s16le PCM (`DISCORD_RATE`) in 20 ms frames (`FRAME_S`):
  `FRAME_BYTES` bytes each (3840, the opus codec's frame size). Discord sends nothing while a
  member is silent, so a 20 ms frame is also the unit of voice activity.
"""

from __future__ import annotations

SAMPLE_RATE = 16000  # Hz, mono: what whisper (and the analysis) expects
DISCORD_RATE = 48000  # Hz: Discord's voice PCM
DISCORD_CHANNELS = 2  # stereo
SAMPLE_WIDTH = 2  # bytes: s16le
PCM_BYTES_PER_SECOND = DISCORD_RATE * DISCORD_CHANNELS * SAMPLE_WIDTH
FRAME_S = 0.02  # Discord's 20 ms frames
FRAME_BYTES = int(PCM_BYTES_PER_SECOND * FRAME_S)  # 3840: one frame of Discord PCM
FRAME_SAMPLES = int(SAMPLE_RATE * FRAME_S)  # 320: one 20 ms frame at SAMPLE_RATE
