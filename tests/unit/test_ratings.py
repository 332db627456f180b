"""Peer rating aggregation: validation, means, pooling, the window's rules, anonymity."""

from __future__ import annotations

import itertools
import json

import pytest

from bot.practice.group.rating_window import RatingWindow
from bot.ratings import (
    CRITERIA,
    EMPTY,
    Rating,
    RatingAggregate,
    RatingError,
    aggregate,
    combine,
)


def test_rating_rejects_out_of_range_and_non_integers() -> None:
    with pytest.raises(RatingError, match="structure"):
        Rating(0, 3, 3)
    with pytest.raises(RatingError, match="depth"):
        Rating(3, 3, 6)
    with pytest.raises(RatingError):
        Rating(True, 3, 3)  # type: ignore[arg-type]
    with pytest.raises(RatingError, match="clarity"):
        Rating.from_mapping({"structure": 3, "depth": 2})
    assert Rating.from_mapping({"structure": "4", "clarity": 2, "depth": 5}) == Rating(4, 2, 5)


def test_aggregate_means_match_hand_computation() -> None:
    ratings = [Rating(5, 4, 3), Rating(3, 4, 1), Rating(4, 1, 2)]
    agg = aggregate(ratings)
    assert agg.count == 3
    assert agg.mean("structure") == 4.0
    assert agg.mean("clarity") == 3.0
    assert agg.mean("depth") == 2.0
    assert agg.overall == 3.0
    d = agg.to_dict()
    assert d == {"count": 3, "structure": 4.0, "clarity": 3.0, "depth": 2.0, "overall": 3.0}


def test_empty_aggregate_has_no_means() -> None:
    assert aggregate([]) == EMPTY
    assert EMPTY.overall is None and EMPTY.mean("depth") is None
    assert EMPTY.to_dict()["count"] == 0


def test_combine_weighs_each_rating_equally_not_each_answer() -> None:
    a = aggregate([Rating(5, 5, 5)])  # one rating of 5
    b = aggregate([Rating(1, 1, 1)] * 3)  # three ratings of 1
    pooled = combine([a, b])
    assert pooled.count == 4
    assert pooled.mean("structure") == pytest.approx((5 + 3) / 4)
    # not the mean of the two answers' means (which would be 3.0)
    assert pooled.overall != 3.0


def test_window_rules_self_outsider_late_and_change_of_mind() -> None:
    w = RatingWindow(answerer_id=1, raters=[1, 2, 3], opened_at=100.0, seconds=30.0)
    assert w.raters == {2, 3}  # the answerer never rates themself
    with pytest.raises(RatingError, match="own answer"):
        w.submit(1, Rating(5, 5, 5), at=101.0)
    with pytest.raises(RatingError, match="only members"):
        w.submit(9, Rating(5, 5, 5), at=101.0)
    w.submit(2, Rating(1, 1, 1), at=101.0)
    w.submit(2, Rating(4, 4, 4), at=102.0)  # changed their mind: the last one counts
    assert w.pending == 1 and not w.complete
    assert not w.due(110.0)
    with pytest.raises(RatingError, match="over"):
        w.submit(3, Rating(2, 2, 2), at=130.5)
    assert w.due(130.0)  # the time limit alone closes it: a missing rating doesn't block
    result = w.close()
    assert result == aggregate([Rating(4, 4, 4)])
    with pytest.raises(RatingError, match="over"):
        w.submit(3, Rating(2, 2, 2), at=105.0)


def test_window_completes_early_and_a_leaver_is_not_waited_for() -> None:
    w = RatingWindow(answerer_id=1, raters=[2, 3, 4], opened_at=0.0, seconds=60.0)
    w.submit(2, Rating(3, 3, 3), at=1.0)
    w.submit(3, Rating(5, 4, 3), at=2.0)
    assert not w.due(3.0)
    w.withdraw_rater(4)
    assert w.complete and w.due(3.0)


def test_aggregate_is_anonymous_whoever_rated_what() -> None:
    """Permuting which rater gave which rating gives the same aggregate and the same JSON."""
    given = [Rating(5, 2, 3), Rating(1, 4, 4), Rating(3, 3, 1)]
    outputs = set()
    for order in itertools.permutations([10, 11, 12]):
        w = RatingWindow(answerer_id=1, raters=order, opened_at=0.0, seconds=10.0)
        for rater, rating in zip(order, given):
            w.submit(rater, rating, at=1.0)
        shown = w.close().to_dict()
        text = json.dumps(shown, sort_keys=True)
        for rater in order:
            assert str(rater) not in text
        outputs.add(text)
    assert len(outputs) == 1
    assert set(json.loads(outputs.pop())) == {"count", *CRITERIA, "overall"}


def test_aggregate_addition_is_exact() -> None:
    x = RatingAggregate(2, (7, 6, 5)) + RatingAggregate(1, (1, 2, 3))
    assert x == RatingAggregate(3, (8, 8, 8))
    assert x.overall == pytest.approx(24 / 9, abs=0.01)
