"""Abuse limits: a per-key sliding-window rate limiter with an injectable clock."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field

from bot.clock import Now


@dataclass
class RateLimiter:
    """Allows `limit` events per `window_s` for each key (user id, (user, "upload"), …)."""

    limit: int
    window_s: float = 60.0
    clock: Now = time.monotonic
    _events: dict[Hashable, deque[float]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_s <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a positive window")

    def hit(self, key: Hashable) -> float:
        """Record one event; returns 0 when allowed, else the seconds until the next is allowed."""
        now = self.clock()
        q = self._events.setdefault(key, deque())
        while q and now - q[0] >= self.window_s:
            q.popleft()
        if len(q) >= self.limit:
            return max(0.0, self.window_s - (now - q[0]))
        q.append(now)
        return 0.0

    def forget(self, key: Hashable) -> None:
        self._events.pop(key, None)

    def prune(self) -> None:
        """Drop keys with no recent events (keeps memory flat under many users)."""
        now = self.clock()
        for key in [k for k, q in self._events.items() if not q or now - q[-1] >= self.window_s]:
            del self._events[key]
