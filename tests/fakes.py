"""Fakes shared by the tests: clocks that move only when a test moves them (so nothing sleeps), and
the front ends a session talks to, recording what it was told.

The code under test reads time through `bot.clock` (`Now` for monotonic seconds, `WallClock` for
calendar time); these are the test side of those two shapes. Discord fakes live in
`tests/discord/helpers.py`, the stand-in for the whole of Discord in `tests/e2e/standin/`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.clock import WallClock
from bot.models import Question
from bot.practice.daily import PlannedPush, PostedPush, PushFailed
from bot.practice.round import RoundSummary


class StepClock:
    """A `Now`: monotonic seconds in `t`, changed only by the test (`clock.t += 5`)."""

    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class UtcClock:
    """A `WallClock`: an aware UTC datetime in `now`, set or advanced only by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment.astimezone(UTC)

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class RecordingPoster:
    """The Discord side of daily pushes (a `PushPoster`): remembers each push posted, with the time
    on `clock` when one is given; `fail_with` makes every post fail that way."""

    clock: WallClock | None = None
    posts: list[tuple[datetime | None, PlannedPush]] = field(default_factory=list)
    fail_with: PushFailed | None = None

    async def post(self, push: PlannedPush) -> PostedPush:
        if self.fail_with is not None:
            raise self.fail_with
        self.posts.append((self.clock() if self.clock is not None else None, push))
        n = len(self.posts)
        return PostedPush(message_id=900_000 + n, thread_id=800_000 + n)


class RecordingRoundIO:
    """A mock round's front end (`RoundIO`): records everything it is told; the consent answer is set."""

    def __init__(self, consent: bool = True) -> None:
        self.consent = consent
        self.said: list[tuple[str, str]] = []
        self.cards: list[tuple[str, int, int]] = []
        self.statuses: list[str] = []
        self.feedback: list[RoundSummary] = []
        self.closed: list[RoundSummary] = []
        self.consent_texts: list[str] = []
        self.spoke = asyncio.Event()

    async def post_consent(self, text: str) -> bool:
        self.consent_texts.append(text)
        return self.consent

    async def say(self, text: str, *, kind: str) -> None:
        self.said.append((kind, text))
        self.spoke.set()

    async def wait_said(self, n: int) -> None:
        """Until `n` utterances have been spoken."""
        while len(self.said) < n:
            self.spoke.clear()
            await self.spoke.wait()

    async def post_question_card(self, question: Question, index: int, total: int) -> None:
        self.cards.append((question.id, index, total))

    async def post_status(self, text: str) -> None:
        self.statuses.append(text)

    async def post_feedback(self, summary: RoundSummary) -> None:
        self.feedback.append(summary)

    async def round_closed(self, summary: RoundSummary) -> None:
        self.closed.append(summary)

    def kinds(self) -> list[str]:
        return [k for k, _ in self.said]
