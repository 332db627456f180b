"""The state every part of a group session shares, and the steps one part asks of another.

`GroupSession` (session.py) is this core plus one mixin per job: membership, turns and timers,
listening, rating, and the summary. Each mixin inherits `GroupCore`, so it sees the shared state
and can call a step that another mixin implements (declared here, defined there).
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from typing import TYPE_CHECKING, Any

from bot.clock import Clock, SystemClock
from bot.practice.group.events import Listener
from bot.practice.group.state import GroupConfig, MemberState, Phase, Turn
from bot.practice.listening import IncrementalListener

if TYPE_CHECKING:  # pragma: no cover
    from bot.practice.engine import PracticeEngine
    from bot.storage.group import GroupStore

log = logging.getLogger("bot.practice.group")


class GroupCore:
    """One group's shared state; see `GroupSession` for what it does."""

    def __init__(
        self,
        engine: PracticeEngine,
        *,
        guild_id: int | None,
        channel_id: int | None,
        owner_id: int,
        config: GroupConfig | None = None,
        store: GroupStore | None = None,
        clock: Clock | None = None,
        listener: Listener | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.engine = engine
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.owner_id = owner_id
        self.config = config or GroupConfig()
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self.listener = listener
        self.rng = rng or random.Random()
        self.session_id: int | None = None
        self.phase = Phase.LOBBY
        self.round_no = 0
        self.members: dict[int, MemberState] = {}  # join order
        self.turns: list[Turn] = []
        self.interviewer_id: int | None = None
        self.paused_at: float | None = None
        self.end_reason = ""
        self.ended_by_id: int | None = None  # who pressed end (an id: names are rendered, never stored)
        self._queue: list[int] = []
        self._used_questions: list[str] = []
        self._lock = asyncio.Lock()
        self._audio_lock = threading.Lock()
        self._outbox: list[Any] = []
        self._processing: asyncio.Task[None] | None = None
        self._summary: dict[str, Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeups: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ views

    @property
    def current(self) -> Turn | None:
        return self.turns[-1] if self.turns else None

    @property
    def active_members(self) -> list[MemberState]:
        return [m for m in self.members.values() if m.active]

    def is_member(self, user_id: int) -> bool:
        m = self.members.get(user_id)
        return m is not None and m.active

    def name_of(self, user_id: int) -> str:
        """A member's display name for rendering; "a former member" for one who erased their data."""
        m = self.members.get(user_id)
        return m.name if m is not None else "a former member"

    def _can_answer(self, user_id: int) -> bool:
        return self.is_member(user_id) and user_id != self.interviewer_id

    def upcoming(self) -> list[int]:
        """Who answers next in this round, in order (the current answerer excluded)."""
        return [u for u in self._queue if self._can_answer(u)]


    # ------------------------------------------------------------------ steps other parts implement

    async def _advance(self) -> None:
        """Lock held: start the next turn, the next round, or finish (turns.py)."""
        raise NotImplementedError

    def _close_answer(self, reason: str) -> Turn:
        """Lock held: end the current answer and start its analysis (turns.py)."""
        raise NotImplementedError

    async def _process(self, turn: Turn) -> None:
        """Await the answer's analysis, then open its rating window (turns.py)."""
        raise NotImplementedError

    async def poll(self, now: float | None = None) -> None:
        """Fire whatever timer is due (turns.py)."""
        raise NotImplementedError

    def _ensure_listener(self, turn: Turn) -> IncrementalListener:
        """Audio lock held: the answer's incremental listener (listening.py)."""
        raise NotImplementedError

    def _new_listener(self, name: str, origin: float) -> IncrementalListener:
        """A started incremental listener with the group's settings (listening.py)."""
        raise NotImplementedError

    def _challenge(self, turn: Turn) -> bool:
        """Lock held, after an answer's analysis: challenge its decision, if any (pushback.py)."""
        raise NotImplementedError

    def _take_back_challenge(self, user_id: int) -> None:
        """Lock held: `user_id` leaves the interviewer's seat; the bot asks a challenge they held (pushback.py)."""
        raise NotImplementedError

    def _close_reply(self, reason: str) -> Turn:
        """Lock held: end the reply to a challenge and start judging it (pushback.py)."""
        raise NotImplementedError

    async def _process_reply(self, turn: Turn) -> None:
        """Await the reply's judgement, then open the rating window (pushback.py)."""
        raise NotImplementedError

    def _poll_challenge(self, turn: Turn, now: float) -> Turn | None:
        """Lock held: the reply's timers (pushback.py)."""
        raise NotImplementedError

    async def _after_answer(self, turn: Turn) -> None:
        """Lock held: open the rating window, or move on (rating.py)."""
        raise NotImplementedError

    async def _close_rating(self, turn: Turn) -> None:
        """Lock held: close the rating window and move on (rating.py)."""
        raise NotImplementedError

    async def _finish(self, reason: str, *, rewrite: bool = False) -> None:
        """Lock held: compute, store and announce the summary (summary.py)."""
        raise NotImplementedError

    async def _save_progress(self) -> None:
        """Lock held: keep the running figures in the database (summary.py)."""
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        """Each member's figures and the strongest answer (summary.py)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ events

    async def _flush(self) -> None:
        events, self._outbox = self._outbox, []
        if self.listener is None:
            return
        for event in events:
            try:
                await self.listener(event)
            except Exception:  # a front end that fails to render must not stop the group
                log.exception("group %s: the listener failed on %s", self.session_id, type(event).__name__)
