"""Anonymous peer ratings: one window per answer, and the figures that come out of it.

A `RatingWindow` knows who may rate (the other members present when the answer ended) and
until when. It keeps the rater ids only to reject doubles and self-ratings and for storage;
everything it hands to a summary is a `RatingAggregate`, which holds counts and means and no
ids, so nobody can read back who gave which score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

CRITERIA: tuple[str, ...] = ("structure", "clarity", "depth")
MIN_SCORE, MAX_SCORE = 1, 5


class RatingError(ValueError):
    """A rating cannot be accepted; the message tells the rater why, in plain words."""


@dataclass(frozen=True)
class Rating:
    structure: int
    clarity: int
    depth: int

    def __post_init__(self) -> None:
        for name in CRITERIA:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not MIN_SCORE <= value <= MAX_SCORE:
                raise RatingError(f"{name} must be a whole number from {MIN_SCORE} to {MAX_SCORE}, not {value!r}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> Rating:
        missing = [c for c in CRITERIA if c not in values]
        if missing:
            raise RatingError(f"please rate {', '.join(missing)} too")
        try:
            return cls(**{c: int(values[c]) for c in CRITERIA})  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise RatingError(f"ratings are whole numbers from {MIN_SCORE} to {MAX_SCORE}") from None

    def as_dict(self) -> dict[str, int]:
        return {c: getattr(self, c) for c in CRITERIA}


@dataclass(frozen=True)
class RatingAggregate:
    """Counts and means only: safe to show to anyone."""

    count: int
    sums: tuple[int, int, int] = (0, 0, 0)  # in CRITERIA order; kept so aggregates can be combined exactly

    def mean(self, criterion: str) -> float | None:
        if self.count == 0:
            return None
        return round(self.sums[CRITERIA.index(criterion)] / self.count, 2)

    @property
    def overall(self) -> float | None:
        if self.count == 0:
            return None
        return round(sum(self.sums) / (self.count * len(CRITERIA)), 2)

    def __add__(self, other: RatingAggregate) -> RatingAggregate:
        return RatingAggregate(
            self.count + other.count, tuple(a + b for a, b in zip(self.sums, other.sums))  # type: ignore[arg-type]
        )

    def to_dict(self) -> dict[str, float | int | None]:
        d: dict[str, float | int | None] = {"count": self.count}
        for c in CRITERIA:
            d[c] = self.mean(c)
        d["overall"] = self.overall
        return d


EMPTY = RatingAggregate(0)


def aggregate(ratings: Iterable[Rating]) -> RatingAggregate:
    """Sum a batch of ratings into counts and means (order and rater do not matter)."""
    count = 0
    sums = [0, 0, 0]
    for r in ratings:
        count += 1
        for i, c in enumerate(CRITERIA):
            sums[i] += getattr(r, c)
    return RatingAggregate(count, (sums[0], sums[1], sums[2]))


def combine(aggregates: Iterable[RatingAggregate]) -> RatingAggregate:
    """Pool several answers' aggregates; each rating weighs the same."""
    total = EMPTY
    for a in aggregates:
        total = total + a
    return total


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
