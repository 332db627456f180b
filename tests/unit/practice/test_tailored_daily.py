"""A plan member's daily question follows their saved profile (the same picking policy as rounds)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.bank import load_bank
from bot.practice import prep_plan
from bot.practice.tailoring import read_description
from bot.storage.profiles import get_profile, save_profile
from tests.fakes import RecordingPoster, UtcClock
from tests.role_texts import DATA_PLATFORM, SRE
from tests.unit.practice.schedule_helpers import run_ticks, service

BANK = load_bank(Path(__file__).resolve().parents[3] / "question_bank")
GUILD, CHANNEL = 5150, 6160


async def _plan_week(settings, db, profiles: dict[int, str | None]):
    tz = ZoneInfo("UTC")
    clock = UtcClock(datetime(2026, 9, 1, 8, 0, tzinfo=tz))
    svc = service(settings, db, clock, BANK)
    await svc.setup(GUILD, CHANNEL, "09:00", "UTC")
    for uid, text in profiles.items():
        if text is not None:
            needs = read_description(text)
            await save_profile(db, uid, role="", description=text, skills=needs.top(10), consented=True)
        await svc.start_plan(GUILD, uid, f"m{uid}")
    poster = RecordingPoster(clock)
    await run_ticks(svc, poster, clock, datetime(2026, 9, 7, 12, 0, tzinfo=tz), step=timedelta(hours=1))
    return {uid: [a for _, p in poster.posts for a in p.assignments if a.user_id == uid] for uid in profiles}


async def test_plan_questions_follow_each_members_role(settings, db):
    sre, data, plain = 11, 12, 13
    weeks = await _plan_week(settings, db, {sre: SRE, data: DATA_PLATFORM, plain: None})
    for uid, text in ((sre, SRE), (data, DATA_PLATFORM)):
        wanted = set(read_description(text).weights)
        days = weeks[uid]
        assert [a.plan_day for a in days] == [1, 2, 3, 4, 5, 6, 7]
        for a in days:
            cats = prep_plan.plan_day(a.plan_day).categories
            if cats:
                assert a.question.category in cats  # the plan's shape still rules
            if a.why:  # tailored: the reason names skills the question really exercises
                assert a.why.startswith("Picked because") and set(a.question.skills) & wanted
        tailored = [a for a in days if a.why]
        assert len(tailored) >= 5, [(a.plan_day, a.question.id) for a in days]
        assert len({a.question.id for a in days}) == 7
    # a member without a profile gets the untailored rotation, with no reason line
    assert all(a.why == "" for a in weeks[plain])
    sre_ids = {a.question.id for a in weeks[sre]}
    data_ids = {a.question.id for a in weeks[data]}
    assert len(sre_ids & data_ids) <= 2


async def test_profile_needs_consent_and_is_replaced(db):
    import pytest

    with pytest.raises(ValueError, match="consent"):
        await save_profile(db, 5, role="SRE", description="on-call", skills=["incident-response"], consented=False)
    assert await get_profile(db, 5) is None
    await save_profile(db, 5, role="SRE", description="on-call", skills=["incident-response"], consented=True)
    await save_profile(db, 5, role="Data", description="kafka", skills=["messaging"], consented=True)
    p = await get_profile(db, 5)
    assert (p.role, p.skills) == ("Data", ("messaging",)) and p.consented_at
