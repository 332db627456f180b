"""Watch the event loop while work runs: a blocked loop shows as one tick as late as the work is long."""

from __future__ import annotations

import asyncio
import time


class LoopTicker:
    """`async with LoopTicker() as t:` ticks every `period_s`; `t.gaps` holds the time between ticks."""

    def __init__(self, period_s: float = 0.01) -> None:
        self.period_s = period_s
        self.gaps: list[float] = []
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            await asyncio.sleep(self.period_s)
            now = time.perf_counter()
            self.gaps.append(now - last)
            last = now

    def start(self) -> LoopTicker:
        self._task = asyncio.create_task(self._run())
        return self

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def __aenter__(self) -> LoopTicker:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def lags(self) -> list[float]:
        """How late each tick came, beyond its period."""
        return [max(0.0, g - self.period_s) for g in self.gaps]

    @property
    def max_gap(self) -> float:
        return max(self.gaps, default=0.0)
