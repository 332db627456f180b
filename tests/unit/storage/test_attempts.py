"""add_attempt's optional created_at: the caller's clock, in the column default's exact format."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.models import Analysis
from bot.storage.attempts import add_attempt, get_attempt, list_attempts

# what strftime('%Y-%m-%dT%H:%M:%fZ','now') writes: milliseconds, Z
COLUMN_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def analysis(score: int = 50) -> Analysis:
    return Analysis(question_id="q", category="coding", transcript="words", duration_s=None, metrics={},
                    silences=[], structure={}, flags=[], score=score, follow_up="", summary="")


async def test_created_at_is_stored_as_utc_with_milliseconds(db):
    berlin = datetime(2026, 3, 29, 3, 30, 15, 123456, tzinfo=ZoneInfo("Europe/Berlin"))  # just after DST starts
    aid = await add_attempt(db, analysis(), user_id=1, mode="daily", guild_id=9, created_at=berlin)
    row = await get_attempt(db, aid)
    assert row is not None
    assert row.created_at == "2026-03-29T01:30:15.123Z"


async def test_default_and_explicit_stamps_share_one_format_and_order(db):
    default_id = await add_attempt(db, analysis(10), user_id=1, mode="mock")
    default = await get_attempt(db, default_id)
    assert default is not None and COLUMN_FORMAT.match(default.created_at), default.created_at
    earlier = datetime.now(UTC) - timedelta(days=3)
    await add_attempt(db, analysis(20), user_id=1, mode="daily", created_at=earlier)
    stored = await list_attempts(db, 1)  # newest first, ordered by the text column
    assert COLUMN_FORMAT.match(stored[1].created_at)
    assert [a.score for a in stored] == [10, 20]


async def test_a_naive_created_at_is_refused_and_nothing_is_stored(db):
    with pytest.raises(ValueError, match="aware"):
        await add_attempt(db, analysis(), user_id=1, mode="daily", created_at=datetime(2026, 1, 1, 12, 0))
    assert await list_attempts(db, 1) == []
