"""A group's state: its phases, settings, members and turns, and the errors a member can meet."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from bot.models import Analysis, Question, Transcript
from bot.practice.group.rating_window import RatingWindow
from bot.practice.listening import IncrementalListener
from bot.practice.pushback import Moment, PushbackJudgement, feedback_lines
from bot.practice.talk_over import TALK_OVER_TOLERANCE_S, TalkOverMeter
from bot.ratings import EMPTY, RatingAggregate

MAX_MEMBERS = 8
# The answerer id a turn keeps once its member erased their data (/privacy delete): no member has it.
ERASED = 0


# --------------------------------------------------------------------------- errors


class GroupError(Exception):
    """Something a member asked for can't be done; the message says why, for the user."""


class GroupFull(GroupError):
    pass


class NotAMember(GroupError):
    pass


# --------------------------------------------------------------------------- state


class Phase(str, Enum):
    LOBBY = "lobby"
    ANSWERING = "answering"
    ANALYZING = "analyzing"
    CHALLENGE = "challenge"  # pushback: the bot challenges the answer's decision and hears the reply
    RATING = "rating"
    ENDED = "ended"


@dataclass
class GroupConfig:
    rounds: int = 1
    category: str | None = None
    max_members: int = MAX_MEMBERS
    turn_seconds: float = 150.0
    warning_seconds: float = 20.0  # the spoken warning comes this long before the turn's end
    rating_seconds: float = 45.0
    end_silence_s: float | None = 15.0  # the answer ends after this much silence (None: only timer/Done)
    voice_rms: float = 0.01  # a 20 ms frame louder than this (fraction of full scale) is speech
    crosstalk_gap_s: float = 1.0  # voiced frames closer than this belong to one talking-over episode
    min_answer_voiced_s: float = 0.3  # less speech than this is "no answer"
    pushback: bool = False  # challenge a committed decision after each answer (/group start pushback:True)
    pushback_seconds: float = 60.0  # the reply to a challenge ends after this long at most
    talk_over_tolerance_s: float = TALK_OVER_TOLERANCE_S  # more speech over the challenge is talking over

    def __post_init__(self) -> None:
        if not 1 <= self.rounds <= 10:
            raise GroupError("rounds must be between 1 and 10")
        if not 1 <= self.max_members <= MAX_MEMBERS:
            raise GroupError(f"a group has between 1 and {MAX_MEMBERS} members")
        if self.turn_seconds <= 0 or self.rating_seconds <= 0:
            raise GroupError("turn and rating times must be positive")
        if not 0 <= self.warning_seconds < self.turn_seconds:
            raise GroupError("the warning must come before the end of the turn")
        if self.pushback_seconds <= 0 or self.talk_over_tolerance_s < 0:
            raise GroupError("the pushback reply time must be positive and the talk-over tolerance not negative")


@dataclass
class MemberState:
    user_id: int
    name: str
    joined_at: float
    active: bool = True
    talk_s: float = 0.0  # voiced seconds, whole session
    crosstalk_s: float = 0.0  # voiced seconds while someone else was answering
    crosstalk_count: int = 0  # separate episodes of talking over
    _last_crosstalk_at: float | None = None


@dataclass
class Pushback:
    """One challenge in a group turn: the decision it questions, the challenge, and the reply."""

    decision: Moment
    challenge: str
    asked_at: float
    deadline: float          # the reply ends by then (moved on when the challenge has been spoken)
    meter: TalkOverMeter     # the answerer's speech while the challenge plays
    origin: float | None = None  # the challenge has been spoken (or handed to the interviewer): the reply's time 0
    # who asks it: "bot" (spoken aloud) or "interviewer" (a member in the interviewer's seat, from a private card)
    asked_by: str = "bot"
    asker_id: int | None = None  # the member holding the challenge card now (None: the bot asks, or they left)
    listener: IncrementalListener | None = field(default=None, repr=False)
    voiced_s: float = 0.0
    last_voiced_at: float | None = None
    text: str | None = None  # a typed reply
    end_reason: str = ""     # done | time | silence | phrase | text | left | ended
    judgement: PushbackJudgement | None = None
    task: asyncio.Future[None] | None = field(default=None, repr=False, compare=False)

    @property
    def lines(self) -> list[str]:
        if self.judgement is None:
            return []
        challenger = "The interviewer" if self.asked_by == "interviewer" else "I"
        return feedback_lines(self.decision, self.challenge, self.judgement, challenger=challenger)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"decision": self.decision.text, "decision_at_s": self.decision.at_s,
                               "challenge": self.challenge, "asked_by": self.asked_by, "end_reason": self.end_reason}
        if self.judgement is not None:
            out.update(self.judgement.to_dict(), lines=self.lines)
        return out


@dataclass
class Turn:
    number: int
    round_no: int
    answerer_id: int
    question: Question
    started_at: float
    deadline: float
    interviewer_id: int | None = None
    warned: bool = False
    origin: float = 0.0  # answer time 0, in clock seconds
    listener: IncrementalListener | None = field(default=None, repr=False)  # the answerer's audio only
    voiced_s: float = 0.0
    last_voiced_at: float | None = None
    text: str | None = None  # a typed answer (voice fallback)
    transcript: Transcript | None = field(default=None, repr=False)  # the spoken answer's words and times
    pushback: Pushback | None = None  # the challenge after the answer (pushback groups)
    crosstalk_s: dict[int, float] = field(default_factory=dict)
    ended_at: float | None = None
    end_reason: str = ""  # done | time | silence | left | text | ended
    analysis: Analysis | None = None
    attempt_id: int | None = None
    error: str = ""
    ratings: RatingWindow | None = None
    rating_result: RatingAggregate = EMPTY
    task: asyncio.Future[None] | None = field(default=None, repr=False, compare=False)

    @property
    def answered(self) -> bool:
        return self.analysis is not None
