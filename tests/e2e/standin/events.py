"""A log of what the client did, with bounded waits on it (no sleeps as synchronisation)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Event:
    kind: str
    data: Any
    at: float = field(default_factory=time.monotonic)


class EventLog:
    """Append-only; `wait_for` returns the first event (old or new) matching a predicate."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Condition()

    def add(self, kind: str, data: Any = None) -> Event:
        ev = Event(kind, data)
        self.events.append(ev)
        asyncio.get_running_loop().create_task(self._notify())
        return ev

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def find(self, kind: str, pred: Callable[[Any], bool] | None = None, *, after: float = 0.0) -> list[Event]:
        return [e for e in self.events
                if e.kind == kind and e.at >= after and (pred is None or pred(e.data))]

    async def wait_for(self, kind: str, pred: Callable[[Any], bool] | None = None, *,
                       timeout: float, after: float = 0.0, what: str = "") -> Event:
        """The first `kind` event at or after `after` that satisfies `pred`; TimeoutError names it."""
        async def scan() -> Event:
            async with self._changed:
                while True:
                    found = self.find(kind, pred, after=after)
                    if found:
                        return found[0]
                    await self._changed.wait()

        try:
            return await asyncio.wait_for(scan(), timeout)
        except TimeoutError:
            kinds = sorted({e.kind for e in self.events})
            raise TimeoutError(
                f"stand-in: no {what or kind} within {timeout:.0f} s (events seen: {', '.join(kinds)})"
            ) from None
