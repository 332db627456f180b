"""The one clock of the practice layer: rounds, listening, groups and the daily scheduler read time
through it.

`Clock.now()` is monotonic seconds; `Clock.sleep()` waits on that same clock. A live bot uses
`SystemClock`; tests drive a `ManualClock`, which moves only when told, so nothing sleeps in tests.
Code that only needs the time takes a `Now` (a clock's `now` method, e.g. `time.monotonic` or
`clock.now`); code that also waits takes the whole `Clock`. The daily pushes keep calendar time
(local dates, time zones): they take a `WallClock`, an aware UTC datetime (`utc_now` live).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

Now = Callable[[], float]
"""A clock's `now`: monotonic seconds (`time.monotonic`, `SystemClock().now`, `ManualClock.now`)."""

WallClock = Callable[[], datetime]
"""Calendar time for the daily pushes: an aware UTC datetime (`utc_now`; tests pass a fixed one)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Monotonic seconds and asyncio.sleep: the clock a live bot uses."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock that moves only when told; `sleep` wakes when `advance` passes its deadline."""

    def __init__(self, start: float = 1000.0) -> None:
        self._t = float(start)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._watchers: list[asyncio.Future[None]] = []

    def now(self) -> float:
        return self._t

    async def sleep(self, seconds: float) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._t + max(0.0, seconds), next(self._seq), fut))
        watchers, self._watchers = self._watchers, []
        for w in watchers:
            if not w.done():
                w.set_result(None)
        await fut

    async def wait_sleeping(self) -> None:
        """Return once some task is asleep on this clock (so `advance` will wake it)."""
        while not any(not f.done() for _, _, f in self._sleepers):
            w: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._watchers.append(w)
            await w

    def advance(self, seconds: float) -> None:
        self._t += seconds
        while self._sleepers and self._sleepers[0][0] <= self._t:
            _, _, fut = heapq.heappop(self._sleepers)
            if not fut.done():
                fut.set_result(None)
