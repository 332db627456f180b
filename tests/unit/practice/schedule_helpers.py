"""A DailyService on a small made-up bank and a controlled clock, and the scheduler's ticks
(tests/unit/practice/test_daily_schedule.py, test_tailored_daily.py, tests/unit/test_sharding.py,
tests/scale/test_postgres.py, tests/scale/daily_process.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.bank import Bank
from bot.models import KeyPoint, Question
from bot.practice.daily_service import DailyService
from bot.storage import Database
from tests.fakes import RecordingPoster, UtcClock


def make_question(qid: str, category: str) -> Question:
    return Question(id=qid, category=category, prompt=f"Prompt for {qid}?", follow_ups=("Why?",),
                    expected=("assumptions", "outcome"), key_points=(KeyPoint("k", "k", ("k",)),),
                    target_seconds=90, difficulty="medium")


def make_bank(per_category: int = 4) -> Bank:
    qs = [make_question(f"{cat.replace('_', '-')}-{i}", cat)
          for cat in ("coding", "fundamentals", "system_design", "behavioral") for i in range(per_category)]
    return Bank(questions=qs)


def service(settings, db: Database, clock: UtcClock, bank: Bank | None = None) -> DailyService:
    return DailyService(settings, db, bank or make_bank(), engine=None, clock=clock)


async def run_ticks(svc: DailyService, poster: RecordingPoster, clock: UtcClock, until: datetime,
                    step: timedelta = timedelta(minutes=10)) -> None:
    while clock() < until:
        clock.advance(seconds=step.total_seconds())
        await svc.tick(poster)

