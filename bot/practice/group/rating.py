"""Rating in a group: the window opens after an answer, members rate anonymously, it closes."""

from __future__ import annotations

from typing import Any

from bot.practice.group.core import GroupCore
from bot.practice.group.events import RatingClosed, RatingOpened
from bot.practice.group.rating_window import RatingWindow
from bot.practice.group.state import Phase, Turn
from bot.ratings import Rating, RatingError


class RatingMixin(GroupCore):
    async def _after_answer(self, turn: Turn) -> None:
        raters = [m.user_id for m in self.active_members if m.user_id != turn.answerer_id]
        if turn.analysis is None or not raters:
            await self._advance()
            return
        now = self.clock.now()
        turn.ratings = RatingWindow(
            answerer_id=turn.answerer_id, raters=raters, opened_at=now, seconds=self.config.rating_seconds
        )
        self.phase = Phase.RATING
        self._outbox.append(RatingOpened(turn.number, turn.answerer_id, tuple(raters), turn.ratings.closes_at))

    # ------------------------------------------------------------------ ratings

    async def rate(self, rater_id: int, turn_number: int, rating: Rating | dict[str, Any]) -> int:
        """Record an anonymous rating; returns how many ratings the window still waits for."""
        if not isinstance(rating, Rating):
            rating = Rating.from_mapping(rating)
        async with self._lock:
            turn = self.turns[turn_number - 1] if 0 < turn_number <= len(self.turns) else None
            if turn is None or turn.ratings is None:
                raise RatingError("there is no answer to rate there")
            if self.phase is not Phase.RATING or turn is not self.current:
                raise RatingError("the rating time for that answer is over; your rating was not counted")
            turn.ratings.submit(rater_id, rating, self.clock.now())
            if self.store is not None and turn.attempt_id is not None:
                await self.store.save_rating(turn.attempt_id, rater_id, rating)
            pending = turn.ratings.pending
            if turn.ratings.complete:
                await self._close_rating(turn)
        await self._flush()
        return pending

    async def _close_rating(self, turn: Turn) -> None:
        assert turn.ratings is not None
        turn.rating_result = turn.ratings.close()
        self._outbox.append(RatingClosed(turn.number, turn.answerer_id, turn.rating_result))
        await self._advance()
