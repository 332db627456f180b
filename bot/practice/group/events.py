"""What a group session tells its front end: one event class per thing that happened.

The session queues events while it holds its lock and hands them to its `listener` after
releasing it (so a listener may call back in). A front end implements `GroupIO` (one method per
event, like a solo round's `RoundIO`) and subscribes with `io_listener(io)`; tests may subscribe a
plain callable and look at the events themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.models import Question
from bot.practice.group.state import Turn
from bot.ratings import RatingAggregate


@dataclass(frozen=True)
class MemberJoined:
    user_id: int
    name: str
    count: int

    def deliver(self, io: GroupIO) -> Awaitable[None]:
        return io.member_joined(self)


@dataclass(frozen=True)
class MemberLeft:
    user_id: int
    name: str
    count: int
    was_answering: bool

    def deliver(self, io: GroupIO) -> Awaitable[None]:
        return io.member_left(self)


@dataclass(frozen=True)
class MemberErased:
    """A member erased their data: they left the group and nothing of theirs is in it any more."""

    count: int
    was_answering: bool

    def deliver(self, io: GroupIO) -> Awaitable[None]:
        return io.member_erased(self)


@dataclass(frozen=True)
class TurnStarted:
    turn: Turn
    spoken: str  # what the bot says aloud to open the turn

    def deliver(self, io: GroupIO) -> Awaitable[None]:
        return io.turn_started(self)


@dataclass(frozen=True)
class QuestionCard:
    """Shown only to the member acting as interviewer."""

    turn_number: int
    interviewer_id: int
    answerer_id: int
    question: Question

    def deliver(self, io: GroupIO) -> Awaitable[None]:
        return io.question_card(self)


@dataclass(frozen=True)
class TimeWarning:
    turn_number: int
    answerer_id: int
    seconds_left: float
    spoken: str

    def deliver(self, io: GroupIO) -> Awaitable[None]:
        return io.time_warning(self)


@dataclass(frozen=True)
class AnswerEnded:
    turn_number: int
    answerer_id: int
    reason: str

    def deliver(self, io: GroupIO) -> Awaitable[None]:
        return io.answer_ended(self)


@dataclass(frozen=True)
class AnswerAnalyzed:
    turn: Turn  # turn.analysis is None when nothing usable was said (see turn.error)

    def deliver(self, io: GroupIO) -> Awaitable[None]:
        return io.answer_analyzed(self)


@dataclass(frozen=True)
class ChallengeAsked:
    """Pushback: the bot challenges the answerer's decision aloud. The front end speaks `spoken`,
    marking `challenge_playing` when playback starts and `challenge_delivered` when it ends.
    `taken_back`: the challenge had gone to the interviewer's card, and they left the seat before
    the reply began, so the bot asks it after all."""

    turn_number: int
    answerer_id: int
    challenge: str
    spoken: str
    taken_back: bool = False

    def deliver(self, io: GroupIO) -> Awaitable[None]:
        return io.challenge_asked(self)


@dataclass(frozen=True)
class ChallengeCard:
    """Pushback with a member in the interviewer's seat: the challenge goes to them alone, to ask
    in their own words (the bot says nothing). The reply window is open already."""

    turn_number: int
    interviewer_id: int
    answerer_id: int
    decision: str  # what the answer committed to, as said
    challenge: str

    def deliver(self, io: GroupIO) -> Awaitable[None]:
        return io.challenge_card(self)


@dataclass(frozen=True)
class ChallengeJudged:
    """The reply to a challenge was judged: `turn.pushback.judgement` and its feedback lines."""

    turn: Turn

    def deliver(self, io: GroupIO) -> Awaitable[None]:
        return io.challenge_judged(self)


@dataclass(frozen=True)
class RatingOpened:
    turn_number: int
    answerer_id: int
    raters: tuple[int, ...]
    closes_at: float

    def deliver(self, io: GroupIO) -> Awaitable[None]:
        return io.rating_opened(self)


@dataclass(frozen=True)
class RatingClosed:
    turn_number: int
    answerer_id: int
    result: RatingAggregate

    def deliver(self, io: GroupIO) -> Awaitable[None]:
        return io.rating_closed(self)


@dataclass(frozen=True)
class GroupEnded:
    reason: str
    summary: dict[str, Any]

    def deliver(self, io: GroupIO) -> Awaitable[None]:
        return io.group_ended(self)


GroupEvent = (
    MemberJoined | MemberLeft | MemberErased | TurnStarted | QuestionCard | TimeWarning | AnswerEnded
    | AnswerAnalyzed | ChallengeAsked | ChallengeCard | ChallengeJudged | RatingOpened | RatingClosed | GroupEnded
)
Listener = Callable[[Any], Awaitable[None]]
"""Receives every event (a test may subscribe a plain callable; a front end uses `io_listener`)."""


class GroupIO(Protocol):
    """What a front end provides to a group session: one method per event, each awaited on the
    session's event loop after the session released its lock (so it may call back in). A method
    that raises is logged and the group carries on."""

    async def member_joined(self, event: MemberJoined) -> None: ...

    async def member_left(self, event: MemberLeft) -> None: ...

    async def member_erased(self, event: MemberErased) -> None: ...

    async def turn_started(self, event: TurnStarted) -> None: ...

    async def question_card(self, event: QuestionCard) -> None: ...

    async def time_warning(self, event: TimeWarning) -> None: ...

    async def answer_ended(self, event: AnswerEnded) -> None: ...

    async def answer_analyzed(self, event: AnswerAnalyzed) -> None: ...

    async def challenge_asked(self, event: ChallengeAsked) -> None: ...

    async def challenge_card(self, event: ChallengeCard) -> None: ...

    async def challenge_judged(self, event: ChallengeJudged) -> None: ...

    async def rating_opened(self, event: RatingOpened) -> None: ...

    async def rating_closed(self, event: RatingClosed) -> None: ...

    async def group_ended(self, event: GroupEnded) -> None: ...


def io_listener(io: GroupIO) -> Listener:
    """The session's `listener` for a front end: each event goes to its `GroupIO` method."""

    async def listen(event: GroupEvent) -> None:
        await event.deliver(io)

    return listen
