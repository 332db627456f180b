"""Daily push scheduling with a controlled clock: time zones, daylight saving, catch-up, restarts."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.bank import Bank
from bot.practice import prep_plan
from bot.practice.daily import (
    PlannedPush,
    PostedPush,
    PushFailed,
    Schedule,
    ScheduleError,
    choose_question,
    due_date,
    next_push_utc,
    occurrence_utc,
    parse_categories,
    parse_time_local,
    parse_timezone,
)
from bot.storage import Database
from bot.storage import daily as store
from tests.fakes import RecordingPoster, UtcClock
from tests.unit.practice.schedule_helpers import make_bank, make_question, run_ticks, service

UTC = UTC
GUILD = 111_111_111_111_111_111
CHANNEL = 222_222_222_222_222_222


# ------------------------------------------------------------------ parsing


def test_parse_time_timezone_and_categories_give_clear_errors():
    assert parse_time_local("9:05") == time(9, 5)
    assert parse_time_local(" 21:30 ") == time(21, 30)
    for bad in ("25:00", "9", "nine", "12:60", "12:3a"):
        with pytest.raises(ScheduleError, match="HH:MM|out of range"):
            parse_time_local(bad)
    assert parse_timezone("Asia/Kolkata").key == "Asia/Kolkata"
    assert parse_timezone("utc").key == "UTC"
    with pytest.raises(ScheduleError, match="Europe/Berlin"):
        parse_timezone("Mars/Olympus")
    with pytest.raises(ScheduleError):
        parse_timezone("../../etc/passwd")
    assert parse_categories("coding, design , Behavioural") == ("coding", "system_design", "behavioral")
    assert parse_categories("") == ()
    with pytest.raises(ScheduleError, match="not a category"):
        parse_categories("coding, cooking")


# ------------------------------------------------------------------ pure schedule maths


@pytest.mark.parametrize(
    "zone, day, expected_utc",
    [
        ("America/New_York", date(2026, 1, 15), datetime(2026, 1, 15, 14, 0, tzinfo=UTC)),  # EST, UTC-5
        ("America/New_York", date(2026, 7, 15), datetime(2026, 7, 15, 13, 0, tzinfo=UTC)),  # EDT, UTC-4
        ("Asia/Kolkata", date(2026, 1, 15), datetime(2026, 1, 15, 3, 30, tzinfo=UTC)),  # IST, UTC+5:30
        ("Asia/Kolkata", date(2026, 7, 15), datetime(2026, 7, 15, 3, 30, tzinfo=UTC)),  # no DST
        ("Europe/Berlin", date(2026, 1, 15), datetime(2026, 1, 15, 8, 0, tzinfo=UTC)),  # CET
        ("Europe/Berlin", date(2026, 7, 15), datetime(2026, 7, 15, 7, 0, tzinfo=UTC)),  # CEST
    ],
)
def test_nine_o_clock_local_in_utc(zone, day, expected_utc):
    assert occurrence_utc(day, time(9, 0), ZoneInfo(zone)) == expected_utc


def test_next_push_rolls_to_tomorrow_and_handles_the_date_line():
    s = Schedule(GUILD, CHANNEL, time(9, 0), ZoneInfo("Asia/Kolkata"))
    # 03:29 UTC is 08:59 IST: today's push is a minute away
    assert next_push_utc(s, datetime(2026, 1, 15, 3, 29, tzinfo=UTC)) == datetime(2026, 1, 15, 3, 30, tzinfo=UTC)
    # exactly at the moment: the next one is tomorrow's
    assert next_push_utc(s, datetime(2026, 1, 15, 3, 30, tzinfo=UTC)) == datetime(2026, 1, 16, 3, 30, tzinfo=UTC)
    # 22:00 UTC on the 15th is already the 16th in Kolkata (03:30): next is the 16th's 09:00 IST
    assert next_push_utc(s, datetime(2026, 1, 15, 22, 0, tzinfo=UTC)) == datetime(2026, 1, 16, 3, 30, tzinfo=UTC)
    with pytest.raises(ValueError):
        next_push_utc(s, datetime(2026, 1, 15, 22, 0))  # naive datetimes are refused


def test_due_date_only_the_latest_missed_occurrence():
    s = Schedule(GUILD, CHANNEL, time(9, 0), ZoneInfo("Europe/Berlin"),
                 active_since=datetime(2026, 1, 1, tzinfo=UTC))
    now = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)  # 13:00 in Berlin
    assert due_date(s, now, date(2026, 1, 15)) == date(2026, 1, 20)  # five days missed: only today's
    assert due_date(s, now, date(2026, 1, 20)) is None
    assert due_date(s, datetime(2026, 1, 20, 7, 59, tzinfo=UTC), date(2026, 1, 15)) == date(2026, 1, 19)
    paused = Schedule(GUILD, CHANNEL, time(9, 0), ZoneInfo("Europe/Berlin"), paused=True)
    assert due_date(paused, now, None) is None


# ------------------------------------------------------------------ the service with a database


async def test_push_times_over_a_week_in_three_zones(settings, db_target):
    """One push per local day at 09:00 local, for New York, Kolkata and Berlin servers at once."""
    clock = UtcClock(datetime(2026, 6, 30, 20, 0, tzinfo=UTC))
    zones = {1: "America/New_York", 2: "Asia/Kolkata", 3: "Europe/Berlin"}
    async with Database(db_target) as db:
        svc = service(settings, db, clock)
        for gid, zone in zones.items():
            await svc.setup(gid, 10 + gid, "09:00", zone)
        poster = RecordingPoster(clock)
        await run_ticks(svc, poster, clock, datetime(2026, 7, 7, 20, 0, tzinfo=UTC), step=timedelta(minutes=15))
    for gid, zone in zones.items():
        mine = [(t, p) for t, p in poster.posts if p.guild_id == gid]
        tz = ZoneInfo(zone)
        assert len(mine) == 7, (zone, [t.isoformat() for t, _ in mine])
        for t, p in mine:
            local = t.astimezone(tz)
            assert (local.hour, local.minute) == (9, 0), (zone, local)
            assert p.local_date == local.date()
            assert p.channel_id == 10 + gid
            assert not p.catch_up
        assert len({p.local_date for _, p in mine}) == 7


@pytest.mark.parametrize(
    "zone, spring_day, gap_utc",
    [
        # New York 2026-03-08: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist → 03:30 EDT = 07:30 UTC
        ("America/New_York", date(2026, 3, 8), datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
        # Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 → 03:30 CEST = 01:30 UTC
        ("Europe/Berlin", date(2026, 3, 29), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
    ],
)
async def test_spring_forward_nonexistent_time_pushes_once_after_the_gap(settings, db_target, zone, spring_day,
                                                                        gap_utc):
    tz = ZoneInfo(zone)
    clock = UtcClock(datetime.combine(spring_day - timedelta(days=2), time(12, 0), tzinfo=tz))
    async with Database(db_target) as db:
        svc = service(settings, db, clock)
        await svc.setup(GUILD, CHANNEL, "02:30", zone)
        poster = RecordingPoster(clock)
        await run_ticks(svc, poster, clock, datetime.combine(spring_day + timedelta(days=2), time(12, 0), tzinfo=tz),
                        step=timedelta(minutes=10))
    dates = [p.local_date for _, p in poster.posts]
    assert dates == [spring_day - timedelta(days=1), spring_day, spring_day + timedelta(days=1),
                     spring_day + timedelta(days=2)]
    on_the_day = [t for t, p in poster.posts if p.local_date == spring_day]
    assert on_the_day == [gap_utc]
    assert gap_utc.astimezone(tz).strftime("%H:%M") == "03:30"
    # the other days are at 02:30 local
    for t, p in poster.posts:
        if p.local_date != spring_day:
            assert t.astimezone(tz).strftime("%H:%M") == "02:30"


@pytest.mark.parametrize(
    "zone, fall_day, hhmm, first_utc",
    [
        # New York 2026-11-01: 01:30 EDT (05:30 UTC), then again 01:30 EST (06:30 UTC)
        ("America/New_York", date(2026, 11, 1), "01:30", datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
        # Berlin 2026-10-25: 02:30 CEST (00:30 UTC), then again 02:30 CET (01:30 UTC)
        ("Europe/Berlin", date(2026, 10, 25), "02:30", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ],
)
async def test_fall_back_repeated_time_pushes_once(settings, db_target, zone, fall_day, hhmm, first_utc):
    tz = ZoneInfo(zone)
    clock = UtcClock(datetime.combine(fall_day - timedelta(days=1), time(12, 0), tzinfo=tz))
    async with Database(db_target) as db:
        svc = service(settings, db, clock)
        await svc.setup(GUILD, CHANNEL, hhmm, zone)
        poster = RecordingPoster(clock)
        # step 5 minutes so the clock passes through both occurrences of the repeated hour
        await run_ticks(svc, poster, clock, datetime.combine(fall_day + timedelta(days=1), time(12, 0), tzinfo=tz),
                        step=timedelta(minutes=5))
    counts = Counter(p.local_date for _, p in poster.posts)
    assert counts == {fall_day: 1, fall_day + timedelta(days=1): 1}
    assert [t for t, p in poster.posts if p.local_date == fall_day] == [first_utc]
    # the next day is back to the ordinary wall time
    nxt = [t for t, p in poster.posts if p.local_date == fall_day + timedelta(days=1)][0]
    assert nxt.astimezone(tz).strftime("%H:%M") == hhmm


async def test_no_push_for_an_occurrence_before_setup(settings, db):
    tz = ZoneInfo("Europe/Berlin")
    clock = UtcClock(datetime(2026, 2, 10, 10, 0, tzinfo=tz))  # set up at 10:00, push time 09:00
    svc = service(settings, db, clock)
    await svc.setup(GUILD, CHANNEL, "09:00", "Europe/Berlin")
    poster = RecordingPoster(clock)
    await svc.tick(poster)
    assert poster.posts == []
    assert await svc.next_push(GUILD) == datetime(2026, 2, 11, 8, 0, tzinfo=UTC)
    clock.set(datetime(2026, 2, 11, 9, 0, tzinfo=tz))
    await svc.tick(poster)
    assert [p.local_date for _, p in poster.posts] == [date(2026, 2, 11)]


async def test_an_answer_in_the_thread_while_the_push_is_still_being_posted_finds_its_push(settings, db):
    """Discord opens the thread before the post returns: an answer can arrive before the thread's
    id is stored. It waits for the post to be recorded instead of being ignored."""
    tz = ZoneInfo("Europe/Berlin")
    clock = UtcClock(datetime(2026, 2, 10, 8, 0, tzinfo=tz))
    svc = service(settings, db, clock)
    await svc.setup(GUILD, CHANNEL, "09:00", "Europe/Berlin")

    thread_open, finish = asyncio.Event(), asyncio.Event()

    class SlowPoster(RecordingPoster):
        async def post(self, push: PlannedPush) -> PostedPush:
            thread_open.set()      # the thread exists on Discord from here on
            await finish.wait()    # ... the rest of the post (plan mentions) takes a while
            return await super().post(push)

    clock.set(datetime(2026, 2, 10, 9, 0, tzinfo=tz))
    ticking = asyncio.create_task(svc.tick(SlowPoster(clock)))
    await asyncio.wait_for(thread_open.wait(), 5)
    answer = asyncio.create_task(svc.push_for_thread(800_001))   # the member answers now
    unrelated = asyncio.create_task(svc.push_for_thread(123))    # chat in some other thread
    await asyncio.sleep(0)  # both look the thread up now, before the post is recorded
    finish.set()
    push = await asyncio.wait_for(answer, 5)
    assert push is not None and push.thread_id == 800_001 and push.local_date == date(2026, 2, 10)
    assert await asyncio.wait_for(unrelated, 5) is None
    await asyncio.wait_for(ticking, 5)
    # with nothing being posted, an unknown thread answers at once
    assert await asyncio.wait_for(svc.push_for_thread(124), 0.5) is None


async def test_restart_recovery_posts_a_missed_push_once(settings, db_target):
    """The schedule survives a restart (fresh Database on the same file); downtime over three
    push times yields one catch-up push, and a second restart does not repeat it."""
    tz = ZoneInfo("America/New_York")
    clock = UtcClock(datetime(2026, 4, 1, 8, 0, tzinfo=tz))
    path = db_target
    async with Database(path) as db:
        svc = service(settings, db, clock)
        await svc.setup(GUILD, CHANNEL, "09:00", "America/New_York", "coding, system design")
        poster = RecordingPoster(clock)
        clock.set(datetime(2026, 4, 1, 9, 0, tzinfo=tz))
        await svc.tick(poster)
        assert len(poster.posts) == 1
    # the bot is down from April 1 until April 4, 15:00 New York time
    clock.set(datetime(2026, 4, 4, 15, 0, tzinfo=tz))
    async with Database(path) as db:
        svc = service(settings, db, clock)
        reloaded = await store.get_schedule(db, GUILD)
        assert reloaded is not None
        assert (reloaded.channel_id, reloaded.time_local, reloaded.timezone_name, reloaded.categories) == (
            CHANNEL, time(9, 0), "America/New_York", ("coding", "system_design"))
        poster2 = RecordingPoster(clock)
        await svc.tick(poster2)
        await svc.tick(poster2)
        clock.advance(minutes=30)
        await svc.tick(poster2)
        assert [(p.local_date, p.catch_up) for _, p in poster2.posts] == [(date(2026, 4, 4), True)]
        assert poster2.posts[0][1].question.category in ("coding", "system_design")
    async with Database(path) as db:  # another restart the same day: nothing more
        svc = service(settings, db, clock)
        poster3 = RecordingPoster(clock)
        await svc.tick(poster3)
        assert poster3.posts == []
        pushes = await store.list_pushes(db, GUILD)
        assert [p.local_date for p in pushes] == [date(2026, 4, 4), date(2026, 4, 1)]
        assert all(p.thread_id and p.message_id for p in pushes)


async def test_pause_resume_and_daily_now(settings, db):
    tz = ZoneInfo("Asia/Kolkata")
    clock = UtcClock(datetime(2026, 5, 1, 8, 0, tzinfo=tz))
    svc = service(settings, db, clock)
    await svc.setup(GUILD, CHANNEL, "09:00", "Asia/Kolkata")
    poster = RecordingPoster(clock)
    assert (await svc.set_paused(GUILD, True)).paused
    await run_ticks(svc, poster, clock, datetime(2026, 5, 3, 12, 0, tzinfo=tz), step=timedelta(minutes=30))
    assert poster.posts == []  # paused: nothing, and the missed days are not caught up on resume
    assert not (await svc.set_paused(GUILD, False)).paused
    await svc.tick(poster)
    assert poster.posts == []
    # /daily now at 12:00 on May 3 posts at once; the 09:00 push on May 4 still comes, May 3's does not repeat
    now = await svc.push_now(GUILD, poster)
    assert now.created and now.push.local_date == date(2026, 5, 3)
    again = await svc.push_now(GUILD, poster)
    assert not again.created and again.push.id == now.push.id
    await run_ticks(svc, poster, clock, datetime(2026, 5, 4, 12, 0, tzinfo=tz), step=timedelta(minutes=30))
    assert [p.local_date for _, p in poster.posts] == [date(2026, 5, 3), date(2026, 5, 4)]
    assert poster.posts[1][0] == datetime(2026, 5, 4, 9, 0, tzinfo=tz)
    assert await svc.set_paused(999, True) is None  # no schedule there


async def test_daily_now_before_push_time_takes_todays_slot(settings, db):
    tz = ZoneInfo("Europe/Berlin")
    clock = UtcClock(datetime(2026, 5, 1, 7, 0, tzinfo=tz))
    svc = service(settings, db, clock)
    await svc.setup(GUILD, CHANNEL, "09:00", "Europe/Berlin")
    poster = RecordingPoster(clock)
    await svc.push_now(GUILD, poster)
    assert await svc.next_push(GUILD) == datetime(2026, 5, 2, 9, 0, tzinfo=tz)
    await run_ticks(svc, poster, clock, datetime(2026, 5, 1, 23, 0, tzinfo=tz), step=timedelta(minutes=30))
    assert len(poster.posts) == 1


async def test_failed_post_is_retried_and_a_lost_channel_pauses(settings, db):
    tz = ZoneInfo("Europe/Berlin")
    clock = UtcClock(datetime(2026, 5, 1, 8, 0, tzinfo=tz))
    svc = service(settings, db, clock)
    await svc.setup(GUILD, CHANNEL, "09:00", "Europe/Berlin")
    poster = RecordingPoster(clock, fail_with=PushFailed("Discord is having a moment"))
    clock.set(datetime(2026, 5, 1, 9, 0, tzinfo=tz))
    report = await svc.tick(poster)
    assert report.failed and not report.posted
    assert await store.last_push(db, GUILD) is None  # the claim was released
    poster.fail_with = None
    clock.advance(minutes=1)
    report = await svc.tick(poster)
    assert [p.local_date for p in report.posted] == [date(2026, 5, 1)]
    poster.fail_with = PushFailed("the channel is gone", permanent=True)
    clock.set(datetime(2026, 5, 2, 9, 0, tzinfo=tz))
    await svc.tick(poster)
    assert (await store.get_schedule(db, GUILD)).paused


async def test_questions_rotate_without_recent_repeats(settings, db):
    bank = make_bank(per_category=3)
    tz = ZoneInfo("UTC")
    clock = UtcClock(datetime(2026, 1, 1, 0, 0, tzinfo=tz))
    svc = service(settings, db, clock, bank)
    await svc.setup(GUILD, CHANNEL, "12:00", "UTC", "coding, behavioral")
    poster = RecordingPoster(clock)
    await run_ticks(svc, poster, clock, datetime(2026, 1, 19, 13, 0, tzinfo=tz), step=timedelta(hours=1))
    ids = [p.question.id for _, p in poster.posts]
    assert len(ids) == 19
    assert {bank.get(i).category for i in ids} <= {"coding", "behavioral"}
    pool = 6  # three coding + three behavioral
    for i in range(len(ids) - pool + 1):
        window = ids[i:i + pool]
        assert len(set(window)) == pool, f"a repeat within {pool} days: {window}"


def test_choose_question_falls_back_to_the_least_recent():
    qs = [make_question(f"c-{i}", "coding") for i in range(3)]
    q = choose_question(qs, categories=("coding",), avoid=["c-1", "c-0", "c-2"])  # c-2 is the oldest
    assert q.id == "c-2"
    with pytest.raises(ScheduleError, match="no questions for behavioral"):
        choose_question(qs, categories=("behavioral",))


async def test_setup_refuses_categories_the_bank_lacks(settings, db):
    bank = Bank(questions=[make_question("c-1", "coding")])
    svc = service(settings, db, UtcClock(datetime(2026, 1, 1, tzinfo=UTC)), bank)
    with pytest.raises(ScheduleError, match="behavioral"):
        await svc.setup(GUILD, CHANNEL, "09:00", "UTC", "behavioral")
    assert await store.get_schedule(db, GUILD) is None


# ------------------------------------------------------------------ prep plan


async def test_prep_plan_drives_a_members_questions_for_seven_days(settings, db):
    tz = ZoneInfo("America/New_York")
    clock = UtcClock(datetime(2026, 9, 1, 8, 0, tzinfo=tz))
    svc = service(settings, db, clock)
    await svc.setup(GUILD, CHANNEL, "09:00", "America/New_York", "fundamentals")
    member = 42
    started = await svc.start_plan(GUILD, member, "ada")
    assert started.start == date(2026, 9, 1) and started.today_day == 1
    poster = RecordingPoster(clock)
    await run_ticks(svc, poster, clock, datetime(2026, 9, 9, 12, 0, tzinfo=tz), step=timedelta(minutes=30))
    assert len(poster.posts) == 9
    by_day = {}
    for _, p in poster.posts:
        mine = [a for a in p.assignments if a.user_id == member]
        if p.local_date <= date(2026, 9, 7):
            assert len(mine) == 1, p.local_date
            by_day[mine[0].plan_day] = mine[0]
            assert mine[0].question.id != p.question.id  # their own question, not the server's
        else:
            assert mine == []  # the plan is over after day 7
    assert sorted(by_day) == [1, 2, 3, 4, 5, 6, 7]
    for day, a in by_day.items():
        wanted = prep_plan.plan_day(day).categories
        if wanted:
            assert a.question.category in wanted, (day, a.question.category)
    assert by_day[7].final_day and not by_day[6].final_day
    assert [by_day[d].question.category for d in (1, 2, 5)] == ["coding", "coding", "behavioral"]
    assert await store.get_plan(db, member, GUILD) is None  # retired after day 7
    # the server's own pushes still follow the server's categories
    assert {p.question.category for _, p in poster.posts} == {"fundamentals"}


async def test_prep_plan_with_an_interview_date_ends_the_eve_before(settings, db):
    tz = ZoneInfo("Europe/Berlin")
    clock = UtcClock(datetime(2026, 9, 1, 8, 0, tzinfo=tz))
    svc = service(settings, db, clock)
    await svc.setup(GUILD, CHANNEL, "09:00", "Europe/Berlin")
    started = await svc.start_plan(GUILD, 7, "bo", "2026-09-04")  # interview in 3 days
    assert started.start == date(2026, 8, 28) and started.today_day == 5
    later = await svc.start_plan(GUILD, 8, "cy", "2026-09-20")
    assert later.today_day is None and later.start == date(2026, 9, 13)
    poster = RecordingPoster(clock)
    await run_ticks(svc, poster, clock, datetime(2026, 9, 4, 12, 0, tzinfo=tz), step=timedelta(minutes=30))
    days = [[a.plan_day for a in p.assignments if a.user_id == 7] for _, p in poster.posts]
    assert days == [[5], [6], [7], []]
    assert all(not [a for a in p.assignments if a.user_id == 8] for _, p in poster.posts)
    with pytest.raises(prep_plan.PrepPlanError, match="not in the future"):
        await svc.start_plan(GUILD, 9, "di", "2026-09-01")
    with pytest.raises(prep_plan.PrepPlanError, match="YYYY-MM-DD"):
        await svc.start_plan(GUILD, 9, "di", "next friday")
    assert await svc.stop_plan(GUILD, 8) and not await svc.stop_plan(GUILD, 8)
