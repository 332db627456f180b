"""The window in which the other members rate one answer anonymously.

A `RatingWindow` knows who may rate (the other members present when the answer ended) and
until when. It keeps the rater ids only to reject doubles and self-ratings and for storage;
everything it hands to a summary is a `RatingAggregate` (bot/ratings.py), which holds counts and
means and no ids, so nobody can read back who gave which score.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.ratings import Rating, RatingAggregate, RatingError, aggregate


class RatingWindow:
    """Collects ratings of one answer from the eligible raters until `closes_at`.

    A rater may change their mind while the window is open (the last rating counts).
    Late, self and outsider ratings raise `RatingError`; missing ones simply don't count.
    """

    def __init__(self, *, answerer_id: int, raters: Iterable[int], opened_at: float, seconds: float) -> None:
        self.answerer_id = answerer_id
        self.raters: set[int] = {r for r in raters if r != answerer_id}
        self.opened_at = opened_at
        self.closes_at = opened_at + seconds
        self._ratings: dict[int, Rating] = {}
        self.closed = False

    def submit(self, rater_id: int, rating: Rating, at: float) -> None:
        if rater_id == self.answerer_id:
            raise RatingError("you can't rate your own answer")
        if self.closed or at > self.closes_at:
            raise RatingError("the rating time for that answer is over; your rating was not counted")
        if rater_id not in self.raters:
            raise RatingError("only members who were in the group when the answer ended can rate it")
        self._ratings[rater_id] = rating

    def withdraw_rater(self, rater_id: int) -> None:
        """A member left: don't wait for them (a rating they already gave still counts)."""
        self.raters.discard(rater_id)

    def erase_rater(self, rater_id: int) -> None:
        """A member erased their data: they are not waited for and their rating no longer counts
        (also after the window closed; `result()` is then recomputed without it)."""
        self.raters.discard(rater_id)
        self._ratings.pop(rater_id, None)

    @property
    def complete(self) -> bool:
        return self.raters <= set(self._ratings)

    @property
    def pending(self) -> int:
        return len(self.raters - set(self._ratings))

    def due(self, now: float) -> bool:
        return self.closed or now >= self.closes_at or self.complete

    def close(self) -> RatingAggregate:
        self.closed = True
        return self.result()

    def result(self) -> RatingAggregate:
        return aggregate(self._ratings.values())

    def for_storage(self) -> dict[int, Rating]:
        """Rater → rating, for the ratings table only (never for display)."""
        return dict(self._ratings)
