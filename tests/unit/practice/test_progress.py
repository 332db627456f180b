"""Streak arithmetic, summaries, frequent flags, the leaderboard and the /stats chart."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.models import Analysis, Flag
from bot.practice.progress import (
    compute_streak,
    leaderboard,
    local_days,
    parse_utc,
    streak_from_attempts,
    summarize,
    top_flags,
    weakest_category,
)
from bot.progress_chart import PNG_SIGNATURE, render_progress_chart
from bot.storage import daily as store
from bot.storage.attempts import add_attempt, list_attempts

UTC = UTC
GUILD = 5150


def analysis(score: int, flags: list[str], category: str = "coding", qid: str = "q") -> Analysis:
    return Analysis(question_id=qid, category=category, transcript="words", duration_s=None,
                    metrics={}, silences=[], structure={"assumptions": True, "outcome": False},
                    flags=[Flag(c, f"message for {c}") for c in flags], score=score, follow_up="", summary="")


async def store_at(db, user_id: int, when: datetime, score: int, flags: list[str], *, guild_id: int = GUILD,
                   category: str = "coding", mode: str = "daily") -> int:
    return await add_attempt(db, analysis(score, flags, category), user_id=user_id, mode=mode,
                             guild_id=guild_id, created_at=when)


# ------------------------------------------------------------------ streak arithmetic


def d(day: int) -> date:
    return date(2026, 3, day)


@pytest.mark.parametrize(
    "days, today, current, best, answered_today",
    [
        ([], d(10), 0, 0, False),
        ([d(10)], d(10), 1, 1, True),
        ([d(8), d(9), d(10)], d(10), 3, 3, True),
        ([d(8), d(9)], d(10), 2, 2, False),  # today not answered yet: still alive
        ([d(7), d(8)], d(10), 0, 2, False),  # missed the 9th: broken
        ([d(1), d(2), d(3), d(4), d(6), d(7)], d(7), 2, 4, True),  # one missed day splits the run
        ([d(1), d(3), d(5), d(7)], d(7), 1, 1, True),  # every other day never builds a streak
        ([d(9), d(9), d(10)], d(10), 2, 2, True),  # several answers on one day count once
        ([d(9), d(10), d(12)], d(10), 2, 2, True),  # a day after "today" (clock skew) is ignored
    ],
)
def test_streak_arithmetic(days, today, current, best, answered_today):
    s = compute_streak(days, today)
    assert (s.current, s.best, s.answered_today) == (current, best, answered_today)
    assert s.at_risk == (current > 0 and not answered_today)


def test_streak_across_month_and_year_boundaries():
    days = [date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2)]
    assert compute_streak(days, date(2027, 1, 2)).current == 4
    assert compute_streak([date(2028, 2, 28), date(2028, 2, 29), date(2028, 3, 1)], date(2028, 3, 1)).current == 3


def test_local_days_depend_on_the_time_zone():
    # 23:30 UTC on the 1st and 05:00 UTC on the 2nd: two days in UTC and in New York (19:30 and 01:00 EDT),
    # one day in Kolkata (05:00 and 10:30 IST on the 2nd)
    stamps = ["2026-06-01T23:30:00.000Z", "2026-06-02T05:00:00.000Z"]
    assert local_days(stamps, UTC) == {date(2026, 6, 1), date(2026, 6, 2)}
    assert local_days(stamps, ZoneInfo("America/New_York")) == {date(2026, 6, 1), date(2026, 6, 2)}
    assert local_days(stamps, ZoneInfo("Asia/Kolkata")) == {date(2026, 6, 2)}
    assert local_days(["2026-06-02T03:00:00.000Z", "2026-06-02T05:00:00.000Z"],
                      ZoneInfo("America/New_York")) == {date(2026, 6, 1), date(2026, 6, 2)}


async def test_streak_from_stored_attempts_any_mode_per_server(db):
    tz = ZoneInfo("Asia/Kolkata")
    user = 77
    base = datetime(2026, 3, 1, 20, 0, tzinfo=tz)
    for offset in (0, 1, 2, 4, 5, 6, 7):  # the 5th (offset 4) misses a day after the 3rd
        await store_at(db, user, base + timedelta(days=offset), 50, [], mode="mock" if offset % 2 else "daily")
    await store_at(db, user, base + timedelta(days=3), 50, [], guild_id=999)  # another server: not counted
    rows = await store.guild_attempts(db, user, GUILD)
    now = datetime(2026, 3, 8, 23, 0, tzinfo=tz)
    s = streak_from_attempts(rows, tz, now)
    assert (s.current, s.best) == (4, 4)
    assert s.answered_today
    # the next day, before answering, the streak is alive but at risk; the day after, it is gone
    s2 = streak_from_attempts(rows, tz, now + timedelta(days=1))
    assert (s2.current, s2.at_risk) == (4, True)
    assert streak_from_attempts(rows, tz, now + timedelta(days=2)).current == 0
    # in UTC the 20:00 IST answers (14:30 UTC) fall on the same dates, so the same streak
    assert streak_from_attempts(rows, UTC, now).current == 4


# ------------------------------------------------------------------ summaries, flags, leaderboard


async def test_summary_top_flags_and_weakest_category(db):
    user = 1
    t0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    plan = [
        (40, ["long_silence", "missing_outcome"], "coding"),
        (55, ["missing_outcome"], "coding"),
        (70, ["missing_outcome", "filler_words"], "system_design"),
        (35, ["long_silence", "long_silence"], "behavioral"),  # counted once per answer
        (80, [], "system_design"),
        (60, ["missing_assumptions"], "coding"),
        (65, [], "coding"),
        (75, [], "coding"),
        (85, [], "coding"),
        (90, ["missing_outcome"], "coding"),
    ]
    for i, (score, flags, cat) in enumerate(plan):
        await store_at(db, user, t0 + timedelta(days=i), score, flags, category=cat)
    rows = await store.guild_attempts(db, user, GUILD)
    s = summarize(rows)
    scores = [p[0] for p in plan]
    assert s.count == 10 and s.best == 90 and s.latest == 90
    assert s.average == pytest.approx(sum(scores) / 10, abs=0.05)
    assert s.recent_average == pytest.approx(sum(scores[5:]) / 5, abs=0.05)
    assert s.trend == pytest.approx(sum(scores[5:]) / 5 - sum(scores[:5]) / 5, abs=0.05)
    assert s.by_category["system_design"] == (2, 75.0)
    assert top_flags(rows, 3) == [("missing_outcome", 4), ("long_silence", 2), ("filler_words", 1)]
    assert weakest_category(rows, ("coding", "system_design", "behavioral")) == "behavioral"
    assert weakest_category(rows, ("coding", "fundamentals")) == "fundamentals"  # never tried
    assert summarize([]).count == 0


async def test_leaderboard_is_opt_in_and_ranked_by_streak(db):
    tz = ZoneInfo("Europe/Berlin")
    now = datetime(2026, 4, 10, 18, 0, tzinfo=tz)
    for day in range(5):  # user 1: five days in a row up to today
        await store_at(db, 1, now - timedelta(days=day), 60, [])
    for day in range(2):  # user 2: two days
        await store_at(db, 2, now - timedelta(days=day), 95, [])
    for day in range(8):  # user 3: the longest streak, but not opted in
        await store_at(db, 3, now - timedelta(days=day), 99, [])
    assert await store.set_leaderboard(db, GUILD, 1, True, user_name="ada")
    assert await store.set_leaderboard(db, GUILD, 2, True, user_name="bo")
    assert not await store.set_leaderboard(db, GUILD, 2, True)  # already in
    members = await store.leaderboard_members(db, GUILD)
    by_user = {uid: await store.guild_attempts(db, uid, GUILD) for uid, _ in members}
    board = leaderboard(members, by_user, tz, now)
    assert [(e.user_id, e.name, e.streak) for e in board] == [(1, "ada", 5), (2, "bo", 2)]
    assert await store.set_leaderboard(db, GUILD, 1, False)
    assert [uid for uid, _ in await store.leaderboard_members(db, GUILD)] == [2]
    assert await store.leaderboard_members(db, GUILD + 1) == []  # opt-in is per server


# ------------------------------------------------------------------ the chart


def png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """Walk the PNG chunks and check every CRC: a broken file fails here."""
    assert png[:8] == PNG_SIGNATURE
    out, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        kind = png[pos + 4:pos + 8]
        data = png[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + data) & 0xFFFFFFFF == crc, kind
        out.append((kind, data))
        pos += 12 + length
    return out


async def test_chart_is_a_valid_png_of_the_stored_attempts(db):
    tz = ZoneInfo("America/New_York")
    user = 31
    t0 = datetime(2026, 2, 1, 9, 15, tzinfo=tz)
    flags_cycle = [["missing_outcome"], ["long_silence", "missing_outcome"], [], ["filler_words"]]
    for i in range(9):
        await store_at(db, user, t0 + timedelta(days=i, hours=i), 30 + 7 * i, flags_cycle[i % 4])
    await store_at(db, user + 1, t0, 99, ["other_user_flag"])  # another member: not in the chart
    rows = await store.guild_attempts(db, user, GUILD)
    chart = render_progress_chart(rows, tz=tz, title="ada's progress")

    chunks = png_chunks(chart.png)
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height = struct.unpack(">II", chunks[0][1][:8])
    assert (width, height) == (800, 650)
    try:  # when Pillow is around, decode the pixels too
        from PIL import Image
        assert Image.open(io.BytesIO(chart.png)).size == (800, 650)
    except ImportError:
        pass

    # the plotted data are exactly what the database holds
    async with db.conn.execute(
        "SELECT id, score, created_at, flags_json FROM attempts WHERE user_id = ? AND guild_id = ?"
        " ORDER BY created_at", (user,  GUILD)
    ) as cur:
        db_rows = await cur.fetchall()
    assert chart.scores == [float(r["score"]) for r in db_rows]
    assert chart.attempt_ids == [r["id"] for r in db_rows]
    stored_times = [parse_utc(r["created_at"]) for r in db_rows]
    assert len(chart.times) == len(stored_times)
    for plotted, stored in zip(chart.times, stored_times):  # matplotlib keeps dates as float days
        assert abs((plotted - stored).total_seconds()) < 0.01
        assert plotted.utcoffset() == stored.astimezone(tz).utcoffset()
    import json
    from collections import Counter
    counts = Counter(code for r in db_rows for code in {f["code"] for f in json.loads(r["flags_json"])})
    assert dict(zip(chart.flag_codes, chart.flag_counts)) == dict(counts)
    assert chart.flag_counts == sorted(chart.flag_counts, reverse=True)
    assert "other_user_flag" not in chart.flag_codes


async def test_chart_for_a_member_with_no_answers(db):
    chart = render_progress_chart(await store.guild_attempts(db, 404, GUILD))
    assert chart.png.startswith(PNG_SIGNATURE) and chart.scores == [] and chart.flag_codes == []
    png_chunks(chart.png)
    assert await list_attempts(db, 404) == []
