"""Anonymous peer ratings as values: one member's rating of an answer, and counts and means of many.

A `RatingAggregate` holds counts and means and no ids, so nobody can read back who gave which
score. Below storage and practice: the group session (bot/practice/group/) and the group store
(bot/storage/group.py) both use these types.
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
