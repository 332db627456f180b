"""What a mock round produces: one `AnswerResult` per question, and the `RoundSummary`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.models import Analysis, Question, Transcript
from bot.practice.audio_quality import PoorStretch
from bot.practice.talk_over import TalkOver


def spoken_then_typed(transcript: Transcript | None, typed: str) -> str:
    """The text of an answer begun aloud and finished by typing (the voice failed part way, and
    the member took the typed-answer offer): both parts count, the spoken words first."""
    spoken = transcript.text.strip() if transcript is not None else ""
    return f"{spoken} {typed.strip()}" if spoken else typed.strip()

@dataclass
class AnswerResult:
    """One question of the round: the main answer, its analysis, and the follow-up exchange."""

    index: int                       # 1-based
    question: Question
    analysis: Analysis | None        # None when nothing was said (skipped in silence)
    transcript: Transcript | None
    end_reason: str                  # one of END_REASONS
    attempt_id: int | None = None
    follow_up: str = ""              # the follow-up question asked ("" when none)
    follow_up_transcript: Transcript | None = None
    follow_up_analysis: Analysis | None = None
    follow_up_attempt_id: int | None = None
    follow_up_end_reason: str = ""
    follow_up_talk_over: TalkOver | None = None  # the user's speech while the follow-up was spoken
    feedback_latency_s: float | None = None  # end of the answer → analysis ready
    poor_audio: list[PoorStretch] = field(default_factory=list)  # lost/undecryptable stretches
    audio: dict[str, int] = field(default_factory=dict)  # receive counters of the answer (front end)

    @property
    def skipped(self) -> bool:
        return self.end_reason == "skipped"


@dataclass
class RoundSummary:
    """Everything the front end needs to render the final (or partial) feedback."""

    session_id: int | None
    user_id: int
    user_name: str
    guild_id: int | None
    status: str                      # "done" | "interrupted" | "declined"
    reason: str                      # why the round ended ("completed", "ended", "user_left", …)
    answers: list[AnswerResult] = field(default_factory=list)
    questions_total: int = 0
    extras: dict[str, Any] = field(default_factory=dict)  # what a RoundExtras adds (pushback, own questions)

    @property
    def analyses(self) -> list[Analysis]:
        return [a.analysis for a in self.answers if a.analysis is not None]

    @property
    def average_score(self) -> int | None:
        scores = [a.score for a in self.analyses]
        return round(sum(scores) / len(scores)) if scores else None

    def overall_text(self) -> str:
        """A short overall line in plain words (the adapter may render its own)."""
        answered = len(self.analyses)
        if answered == 0:
            return "No answer was recorded in this round, so there is nothing to score yet."
        avg = self.average_score
        flags = Counter(f.code for a in self.analyses for f in a.flags)
        parts = [f"You answered {answered} of {self.questions_total} question"
                 f"{'s' if self.questions_total != 1 else ''}; average score {avg}/100."]
        if flags:
            code, n = flags.most_common(1)[0]
            parts.append(f"The most frequent issue was {code.replace('_', ' ')} ({n}×): work on that first.")
        if self.status == "interrupted":
            parts.append("The round was cut short; everything you said was still saved.")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary stored in sessions.summary_json."""
        return {
            "status": self.status,
            "reason": self.reason,
            "questions_total": self.questions_total,
            "average_score": self.average_score,
            "answers": [
                {
                    "index": a.index,
                    "question_id": a.question.id,
                    "end_reason": a.end_reason,
                    "score": a.analysis.score if a.analysis else None,
                    "attempt_id": a.attempt_id,
                    "follow_up": a.follow_up,
                    "follow_up_attempt_id": a.follow_up_attempt_id,
                }
                for a in self.answers
            ],
            **({"extras": self.extras} if self.extras else {}),
        }
