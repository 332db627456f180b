"""Members' own Discord PCM streams fed to a peer group in step (tests/integration/test_group_audio.py,
test_group_pushback_audio.py)."""

from __future__ import annotations

from pathlib import Path

from bot.practice.group import GroupSession, ManualClock
from bot.speech.audio import decode_file, to_pcm48_stereo

FRAME = 3840  # 20 ms of Discord PCM


def pcm_of(wav: Path) -> bytes:
    return to_pcm48_stereo(decode_file(wav), 16000)


def feed_together(g: GroupSession, clock: ManualClock, streams: dict[int, bytes]) -> None:
    """Feed several members' streams frame by frame, in step, as the clock runs."""
    longest = max(len(p) for p in streams.values())
    for off in range(0, longest, FRAME):
        at = clock.now()
        for uid, pcm in streams.items():
            chunk = pcm[off: off + FRAME]
            if chunk:
                g.feed_audio(uid, chunk, at)
        clock.advance(0.02)
