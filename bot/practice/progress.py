"""Streaks, history summaries, frequent flags and the leaderboard, from stored attempts.

Streak rule (decided for issue 6): a day counts when the member stored at least one answer in that
server, in any mode (daily, mock, group), on that *local* day of the server's daily schedule time
zone (UTC when the server has no schedule). The current streak is the run of consecutive counted
days ending today; if today has no answer yet, a run ending yesterday is still alive (the day is not
over). One day with no answer breaks it. Nothing is stored: streaks are computed from attempts, so
deleting a member's attempts deletes their streak too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from bot.storage.attempts import AttemptRow


def parse_utc(stamp: str) -> datetime:
    """The stored '2026-11-25T07:42:00.123Z' (or any ISO form) → aware UTC datetime."""
    s = stamp.strip().replace(" ", "T")
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def local_days(stamps: Iterable[str | datetime], tz: tzinfo) -> set[date]:
    out: set[date] = set()
    for s in stamps:
        dt = parse_utc(s) if isinstance(s, str) else s.astimezone(UTC)
        out.add(dt.astimezone(tz).date())
    return out


@dataclass(frozen=True)
class Streak:
    current: int
    best: int
    last_day: date | None
    answered_today: bool

    @property
    def at_risk(self) -> bool:
        """A live streak that needs an answer today to survive."""
        return self.current > 0 and not self.answered_today


def compute_streak(days: Iterable[date], today: date) -> Streak:
    """Arithmetic on a set of local days; days after `today` (clock skew) are ignored."""
    ds = sorted({d for d in days if d <= today})
    if not ds:
        return Streak(0, 0, None, False)
    best = run = 1
    for prev, cur in zip(ds, ds[1:]):
        run = run + 1 if (cur - prev).days == 1 else 1
        best = max(best, run)
    last = ds[-1]
    current = 0
    if (today - last).days <= 1:
        current = 1
        d = last
        present = set(ds)
        while d - timedelta(days=1) in present:
            current += 1
            d -= timedelta(days=1)
    return Streak(current=current, best=best, last_day=last, answered_today=last == today)


def streak_from_attempts(attempts: Iterable[AttemptRow], tz: tzinfo, now: datetime) -> Streak:
    today = now.astimezone(tz).date()
    return compute_streak(local_days((a.created_at for a in attempts), tz), today)


def flag_counts(attempts: Iterable[AttemptRow]) -> Counter[str]:
    """How many answers raised each flag code (a code counts once per answer)."""
    c: Counter[str] = Counter()
    for a in attempts:
        c.update({f.get("code", "") for f in a.flags if f.get("code")})
    return c


def top_flags(attempts: Iterable[AttemptRow], n: int = 5) -> list[tuple[str, int]]:
    """Most frequent first; ties broken by code so the order is stable."""
    c = flag_counts(attempts)
    return sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


@dataclass(frozen=True)
class HistorySummary:
    count: int
    average: float | None
    best: int | None
    latest: int | None
    recent_average: float | None  # the last five answers
    trend: float | None  # recent average minus the average of the five before; None without ten answers
    by_category: dict[str, tuple[int, float]]  # category → (answers, average score)
    top_flags: list[tuple[str, int]]


def summarize(attempts: Sequence[AttemptRow]) -> HistorySummary:
    """Attempts in any order."""
    rows = sorted(attempts, key=lambda a: (parse_utc(a.created_at), a.id))
    if not rows:
        return HistorySummary(0, None, None, None, None, None, {}, [])
    scores = [a.score for a in rows]
    recent = scores[-5:]
    before = scores[-10:-5]
    by_cat: dict[str, list[int]] = {}
    for a in rows:
        by_cat.setdefault(a.category, []).append(a.score)
    return HistorySummary(
        count=len(rows),
        average=round(sum(scores) / len(scores), 1),
        best=max(scores),
        latest=scores[-1],
        recent_average=round(sum(recent) / len(recent), 1),
        trend=round(sum(recent) / len(recent) - sum(before) / len(before), 1) if len(before) == 5 else None,
        by_category={k: (len(v), round(sum(v) / len(v), 1)) for k, v in sorted(by_cat.items())},
        top_flags=top_flags(rows),
    )


def weakest_category(attempts: Sequence[AttemptRow], categories: Sequence[str]) -> str | None:
    """The category with the lowest average score (one never tried counts as weakest)."""
    if not categories:
        return None
    by_cat = summarize(attempts).by_category
    untried = [c for c in categories if c not in by_cat]
    if untried:
        return untried[0]
    return min(categories, key=lambda c: (by_cat[c][1], c))


@dataclass(frozen=True)
class LeaderboardEntry:
    user_id: int
    name: str
    streak: int
    best_streak: int
    answers: int
    average: float | None


def leaderboard(
    members: Sequence[tuple[int, str]],
    attempts_by_user: Mapping[int, Sequence[AttemptRow]],
    tz: tzinfo,
    now: datetime,
    *,
    limit: int = 10,
) -> list[LeaderboardEntry]:
    """Ranked by current streak, then answers, then average score. Only opted-in `members` appear."""
    entries = []
    for uid, name in members:
        rows = attempts_by_user.get(uid, ())
        s = streak_from_attempts(rows, tz, now)
        avg = round(sum(a.score for a in rows) / len(rows), 1) if rows else None
        entries.append(LeaderboardEntry(uid, name, s.current, s.best, len(rows), avg))
    entries.sort(key=lambda e: (-e.streak, -e.answers, -(e.average or 0.0), e.user_id))
    return entries[:limit]
