"""Retry and compare: a second answer to the same question, set against the first one.

A *gap* is something a strong answer has that an attempt lacked: a structure element the question
expects that was not heard, a key point that was missed, or a flag (long pauses, fillers, running
long). Comparing two attempts says which gaps the retry closed, which remain and which are new,
and how the score moved. The earlier attempt comes from storage: its structure and flags are
stored; its key points are found again from its stored transcript (they depend on the words only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.models import STRUCTURE_ELEMENTS, Analysis, Question

MAX_LISTED = 4  # gaps named per line in the comparison text


class RetryRefused(LookupError):
    """The retry cannot happen; the message says why, fit to show the member."""


def _flag_label(code: str) -> str:
    return code.replace("_", " ")


def gaps(question: Question, structure: Mapping[str, bool], missed_points: Iterable[str],
         flag_codes: Iterable[str]) -> dict[str, str]:
    """Gap key → member-facing label, in a stable order: structure, key points, flags."""
    out: dict[str, str] = {}
    for element in question.expected:
        if element in structure and not structure[element]:
            out[f"structure:{element}"] = STRUCTURE_ELEMENTS.get(element, element)
    for label in missed_points:
        out[f"point:{label}"] = label
    for code in flag_codes:
        out.setdefault(f"flag:{code}", _flag_label(code))
    return out


def analysis_gaps(question: Question, analysis: Analysis) -> dict[str, str]:
    return gaps(question, analysis.structure, analysis.key_points_missed, (f.code for f in analysis.flags))


@dataclass(frozen=True)
class Comparison:
    earlier_attempt_id: int
    earlier_score: int
    score: int
    closed: tuple[str, ...]     # gaps of the earlier attempt this one no longer has
    remaining: tuple[str, ...]  # gaps both attempts have
    new: tuple[str, ...]        # gaps only this attempt has

    @property
    def change(self) -> int:
        return self.score - self.earlier_score

    def lines(self) -> list[str]:
        """The comparison in plain sentences, for any front end."""
        sign = f"{self.change:+d}" if self.change else "no change"
        out = [f"Score {self.earlier_score} → {self.score} ({sign})."]
        out.append("Closed since last time: " + _listed(self.closed) if self.closed
                   else "No gap from last time is closed yet.")
        if self.remaining:
            out.append("Still missing: " + _listed(self.remaining))
        else:
            out.append("Nothing from last time is still missing.")
        if self.new:
            out.append("New this time: " + _listed(self.new))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"earlier_attempt_id": self.earlier_attempt_id, "earlier_score": self.earlier_score,
                "score": self.score, "change": self.change, "closed": list(self.closed),
                "remaining": list(self.remaining), "new": list(self.new)}


def _listed(items: Sequence[str]) -> str:
    shown = "; ".join(items[:MAX_LISTED])
    more = len(items) - MAX_LISTED
    return shown + (f" (and {more} more)" if more > 0 else "") + "."


def compare(earlier_id: int, earlier_score: int, earlier_gaps: Mapping[str, str], later_score: int,
            later_gaps: Mapping[str, str]) -> Comparison:
    closed = tuple(v for k, v in earlier_gaps.items() if k not in later_gaps)
    remaining = tuple(v for k, v in earlier_gaps.items() if k in later_gaps)
    new = tuple(v for k, v in later_gaps.items() if k not in earlier_gaps)
    return Comparison(earlier_id, earlier_score, later_score, closed, remaining, new)


def compare_with_attempt(question: Question, earlier: Any, later: Analysis,
                         analyze_text: Callable[[Question, str], Analysis]) -> Comparison:
    """Compare `later` with a stored attempt (`AttemptRow`): its structure and flags as stored, its
    key points found again from its stored words with `analyze_text` (CPU only: a few ms)."""
    again = analyze_text(question, earlier.transcript or " ")
    before = gaps(question, earlier.structure, again.key_points_missed, (f["code"] for f in earlier.flags))
    return compare(earlier.id, earlier.score, before, later.score, analysis_gaps(question, later))
