"""Audio-quality honesty: a gap the network or DAVE made is not the candidate's silence.

The receive path marks every 20 ms of the answering user's audio that was lost (RTP sequence
gaps, the jitter buffer's placeholders) or could not be used (DAVE decryption failed, opus did
not decode). The listener keeps those marks on the answer's timeline (`PoorStretch`); here the
analysis of the answer is corrected: a long silence that overlaps a poor stretch is not flagged
as the candidate's pause, and the feedback says the audio was poor there instead.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bot.analysis.scoring import FlagCode
from bot.models import Analysis, Flag
from bot.speech.audio_format import FRAME_S

POOR_AUDIO = FlagCode.POOR_AUDIO  # never a "fix" for the candidate


@dataclass(frozen=True)
class PoorStretch:
    """Answer-relative seconds where `bad_frames` 20 ms frames were missing or unusable."""
    start: float
    end: float
    bad_frames: int

    @property
    def bad_share(self) -> float:
        return min(1.0, self.bad_frames * FRAME_S / max(FRAME_S, self.end - self.start))


def stretches(marks: list[tuple[float, int]], *, join_s: float = 0.5, min_frames: int = 10,
              pad_s: float = 0.3) -> list[PoorStretch]:
    """Group bad-frame marks `(t, frames)` into stretches: marks less than `join_s` apart belong
    together; a stretch needs `min_frames` bad frames (0.2 s) to count; padded by `pad_s`."""
    out: list[list[float]] = []
    for t, n in sorted(marks):
        if out and t - out[-1][1] <= join_s:
            out[-1][1] = t + FRAME_S * n
            out[-1][2] += n
        else:
            out.append([t, t + FRAME_S * n, n])
    return [PoorStretch(max(0.0, a - pad_s), b + pad_s, int(n)) for a, b, n in out if n >= min_frames]


def _mmss(t: float) -> str:
    t = max(0, int(round(t)))
    return f"{t // 60}:{t % 60:02d}"


def excuse_poor_audio(analysis: Analysis, poor: list[PoorStretch]) -> Analysis:
    """The analysis without the silences (and long-silence flags) that fall in a poor stretch,
    plus one `poor_audio` flag per poor stretch saying so."""
    if not poor:
        return analysis

    def in_poor(a: float, b: float) -> bool:
        return any(a < p.end and b > p.start for p in poor)

    silences = [s for s in analysis.silences if not in_poor(s.start, s.end)]
    excused = {s.start for s in analysis.silences if in_poor(s.start, s.end)}
    flags = [f for f in analysis.flags
             if not (f.code in (FlagCode.LONG_SILENCE, FlagCode.SLOW_START) and f.at_s is not None
                     and (f.at_s in excused or in_poor(f.at_s, f.at_s + 0.1)))]
    for p in poor:
        flags.append(Flag(
            POOR_AUDIO,
            f"The audio was poor here ({_mmss(p.start)}–{_mmss(p.end)}: {round(100 * p.bad_share)}% of your "
            "voice packets were lost or could not be decrypted), so a gap there is not counted as your silence.",
            p.start, 1))
    return dataclasses.replace(analysis, silences=silences, flags=flags)
