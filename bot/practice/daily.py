"""Daily question pushes: schedule maths, the catch-up rule and question choice (no discord here).

Time rules, all computed in the schedule's own time zone with `zoneinfo`:
- A push is due once per *local date*, at `time_local` on that date.
- Spring forward: a local time that does not exist that day (02:30 when clocks jump 02:00 → 03:00)
  is pushed as soon as the day reaches it, i.e. shifted forward by the size of the gap (03:30).
- Fall back: a local time that happens twice (01:30 when clocks go 02:00 → 01:00) is pushed at its
  first occurrence only; pushes are keyed by local date, so the second 01:30 finds the date taken.
- Catch-up: after downtime, only the most recent missed occurrence is posted, once; older missed
  days are skipped, never replayed one after another. Occurrences before the schedule was set up
  or resumed (`active_since`) are never caught up.

Everything takes an injectable clock (`Clock`, bot/clock.py's `WallClock`: a callable returning an
aware UTC datetime). The schedule itself and its parsing live in bot/schedule.py.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.models import CATEGORIES, Question
from bot.practice.tailoring import RoleNeeds, choose
from bot.schedule import (  # noqa: F401  (the schedule's own names, re-exported for the daily feature)
    Schedule,
    ScheduleError,
    format_time_local,
    parse_time_local,
    parse_timezone,
)

log = logging.getLogger(__name__)


# How many of a server's most recent pushes a new question must differ from (when the bank allows).
RECENT_PUSHES_AVOIDED = 30

_CATEGORY_ALIASES = {
    "design": "system_design", "system design": "system_design", "system-design": "system_design",
    "sd": "system_design", "fundamental": "fundamentals", "backend": "fundamentals",
    "behavior": "behavioral", "behaviour": "behavioral", "behavioural": "behavioral",
    "algorithms": "coding", "code": "coding",
}


def _require_aware(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("the clock must return an aware datetime (UTC)")
    return dt.astimezone(UTC)


def parse_categories(text: str | None) -> tuple[str, ...]:
    """'coding, design' → ('coding', 'system_design'); empty means every category."""
    if not text or not text.strip():
        return ()
    out: list[str] = []
    for part in text.replace(";", ",").split(","):
        key = part.strip().lower()
        if not key:
            continue
        key = _CATEGORY_ALIASES.get(key, key.replace(" ", "_").replace("-", "_"))
        if key not in CATEGORIES:
            raise ScheduleError(
                f"'{part.strip()}' is not a category; choose from {', '.join(CATEGORIES)} (comma separated)."
            )
        if key not in out:
            out.append(key)
    return tuple(out)


def occurrence_utc(local_date: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC moment of `at` on `local_date` in `tz`.

    fold=0 picks the first of two ambiguous times (fall back) and, for a time inside the spring
    gap, the offset from before the jump, which lands the gap's length later on the wall clock.
    """
    local = datetime.combine(local_date, at, tzinfo=tz).replace(fold=0)
    return local.astimezone(UTC)


def local_date_of(moment: datetime, tz: ZoneInfo) -> date:
    return _require_aware(moment).astimezone(tz).date()


def latest_occurrence(schedule: Schedule, now: datetime) -> tuple[date, datetime]:
    """The most recent occurrence at or before `now`: (its local date, its UTC moment)."""
    now = _require_aware(now)
    d = local_date_of(now, schedule.tz)
    for _ in range(3):  # today, else yesterday (a 2-day step covers any zone edge)
        when = occurrence_utc(d, schedule.time_local, schedule.tz)
        if when <= now:
            return d, when
        d -= timedelta(days=1)
    raise AssertionError("unreachable: an occurrence exists within two local days")


def next_push_utc(schedule: Schedule, now: datetime) -> datetime:
    """The first occurrence strictly after `now`, in UTC."""
    now = _require_aware(now)
    d = local_date_of(now, schedule.tz) - timedelta(days=1)
    for _ in range(4):
        when = occurrence_utc(d, schedule.time_local, schedule.tz)
        if when > now:
            return when
        d += timedelta(days=1)
    raise AssertionError("unreachable: an occurrence exists within three local days")


def due_date(schedule: Schedule, now: datetime, last_pushed_date: date | None) -> date | None:
    """The local date whose push should go out now, or None.

    The catch-up rule: only the latest occurrence at or before `now` can be due, and only when
    no push exists for that date yet, the schedule is running, and the occurrence is not older
    than the moment the schedule was set up or resumed.
    """
    if schedule.paused:
        return None
    d, when = latest_occurrence(schedule, now)
    if last_pushed_date is not None and last_pushed_date >= d:
        return None
    if schedule.active_since is not None and when < _require_aware(schedule.active_since):
        return None
    return d


# ---------------------------------------------------------------- question choice


def choose_question(
    questions: Sequence[Question],
    *,
    categories: Iterable[str] = (),
    avoid: Sequence[str] = (),
    rng: random.Random | None = None,
) -> Question:
    """A question from `categories` (all when empty) that is not in `avoid`.

    `avoid` is ordered newest first. When every candidate was used recently, the one used
    longest ago wins, so a small bank still rotates instead of repeating yesterday's question.
    """
    cats = tuple(categories)
    pool = [q for q in questions if not cats or q.category in cats]
    if not pool:
        wanted = ", ".join(cats) or "any category"
        raise ScheduleError(f"The question bank has no questions for {wanted}.")
    rng = rng or random.Random()
    avoided = set(avoid)
    fresh = [q for q in pool if q.id not in avoided]
    if fresh:
        return rng.choice(fresh)
    order = {qid: i for i, qid in enumerate(avoid)}  # smaller = more recent
    oldest = max(order[q.id] for q in pool)
    return next(q for q in pool if order[q.id] == oldest)


# How many of a plan member's latest questions steer the variety of their next one.
RECENT_FOR_VARIETY = 3


def choose_for_member(
    questions: Sequence[Question],
    needs: RoleNeeds | None,
    *,
    categories: Iterable[str] = (),
    avoid: Sequence[str] = (),
    mine: Sequence[str] = (),
    rng: random.Random | None = None,
) -> tuple[Question, str]:
    """A plan member's own question and why it was picked: the practice layer's picking policy
    (`bot.practice.tailoring.choose`) fitted to their role when they set one, varied against their
    latest questions (`mine`, newest first); the daily rotation (`choose_question`) otherwise, or when
    every fitting question was used recently."""
    if needs is not None and not needs.empty:
        recent = list(reversed(list(mine)[:RECENT_FOR_VARIETY]))  # oldest first, as a round's `asked`
        p = choose(questions, needs, categories=tuple(categories), asked=recent,
                   exclude=[*avoid, *mine], rng=rng)
        if p is not None:
            return p.question, p.reason
    return choose_question(questions, categories=categories, avoid=[*avoid, *mine], rng=rng), ""


def push_rng(guild_id: int, local_date: date, salt: str = "") -> random.Random:
    """Deterministic per server and day, so a retry after a crash picks the same question."""
    return random.Random(f"{guild_id}:{local_date.isoformat()}:{salt}")


# ---------------------------------------------------------------- the scheduler


@dataclass(frozen=True)
class Assignment:
    """A member's own question in today's push, because they follow a prep plan."""

    user_id: int
    question: Question
    plan_day: int
    task: str
    final_day: bool = False
    why: str = ""  # why the question fits the member's target role (empty without a profile)


@dataclass(frozen=True)
class PlannedPush:
    guild_id: int
    channel_id: int
    local_date: date
    question: Question
    assignments: tuple[Assignment, ...] = ()
    catch_up: bool = False  # the occurrence was missed (e.g. the bot was down) and is posted late


@dataclass(frozen=True)
class PostedPush:
    message_id: int
    thread_id: int | None


class PushPoster(Protocol):
    """The Discord side: post the embed, open the thread, mention plan members."""

    async def post(self, push: PlannedPush) -> PostedPush: ...


class PushFailed(RuntimeError):
    """Posting failed. `permanent` (channel gone, no permission) pauses the schedule."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass
class TickReport:
    posted: list[PlannedPush] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
