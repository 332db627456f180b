"""Fakes shared by the tests: clocks that move only when a test moves them, so nothing sleeps.

The code under test reads time through `bot.clock` (`Now` for monotonic seconds, `WallClock` for
calendar time); these are the test side of those two shapes. Discord fakes live in
`tests/discord/helpers.py`, the stand-in for the whole of Discord in `tests/e2e/standin/`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


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
