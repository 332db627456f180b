"""Embeds for the daily path and progress: an answer's feedback in a push thread, `/history`,
`/stats`, the leaderboard and the prep plan.

Rendering only: the figures come from `DailyService` (bot/practice/daily_service.py) and the
analysis wording from `bot.feedback` through `analysis_embed`; echoed names never ping anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import discord

from bot.discord_io.daily_scheduler import EMBED_COLOUR as COLOUR
from bot.discord_io.embeds import analysis_embed
from bot.models import category_label
from bot.practice.daily import Schedule
from bot.practice.daily_service import DailyAnswerResult, MemberProgress, PlanStarted
from bot.practice.prep_plan import PLAN, PLAN_DAYS
from bot.practice.progress import LeaderboardEntry
from bot.progress_chart import ChartResult
from bot.text_safety import safe_excerpt

CHART_FILENAME = "progress.png"


def when(dt: datetime | None) -> str:
    """A Discord timestamp: shown in each reader's own time zone."""
    return f"<t:{int(dt.timestamp())}:F> (<t:{int(dt.timestamp())}:R>)" if dt else "not scheduled"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def feedback_embed(member: discord.abc.User, result: DailyAnswerResult, *, spoken: bool) -> discord.Embed:
    """The shared per-answer feedback embed (`analysis_embed`, from `bot.feedback`), addressed to the
    member, plus what only the daily path has: what was heard, the streak and the prep-plan day."""
    a = result.analysis
    e = analysis_embed(a, result.question)  # mentions neutralized there
    e.title = _clip(f"Feedback for {safe_excerpt(member.display_name, 60)}: {e.title}", 256)
    if spoken:
        heard = safe_excerpt(a.transcript, 700) or "(nothing)"
        m = a.metrics
        pace = m.get("words_per_minute")
        extra = f"\n{a.duration_s:.0f} s" if a.duration_s else ""
        if pace:
            extra += f" · {pace:.0f} words/min"
        e.add_field(name="What I heard", value=(heard + extra)[:1024], inline=False)
    if result.comparison is not None:
        e.add_field(name="Compared with your last try", value=_clip("\n".join(result.comparison.lines()), 1024),
                    inline=False)
    s = result.streak
    streak = f"{s.current} day{'s' if s.current != 1 else ''}" + (f" (best {s.best})" if s.best > s.current else "")
    e.add_field(name="Streak", value=streak, inline=True)
    if result.plan_day:
        e.add_field(name="Prep plan", value=f"day {result.plan_day} of {PLAN_DAYS}", inline=True)
    footer = e.footer.text
    e.set_footer(text=(f"{footer} · " if footer else "") + "stored in your /history")
    overflow = len(e) - 6000  # Discord's total; the summary gives way first
    if overflow > 0 and e.description:
        e.description = _clip(e.description, max(1, len(e.description) - overflow))
    return e


def history_embed(p: MemberProgress) -> discord.Embed:
    """`/history`: totals, the ten latest answers and the per-category averages (needs attempts)."""
    s = p.summary
    e = discord.Embed(title="Your practice history", colour=COLOUR)
    e.description = (f"**{s.count}** answers · average **{s.average}** · best **{s.best}** · "
                     f"streak **{p.streak.current}** day(s), best {p.streak.best}")
    if s.trend is not None:
        e.description += f"\nLast five vs the five before: {s.trend:+.1f} points"
    lines = []
    score = {a.id: a.score for a in p.attempts}
    for a in reversed(p.attempts[-10:]):
        when_ = a.created_at[:10]
        flag = a.flags[0]["code"].replace("_", " ") if a.flags else "no flags"
        retry = ""
        if a.id in p.retries:
            before = score.get(p.retries[a.id])
            retry = " · retry" + (f" ({a.score - before:+d})" if before is not None else "")
        lines.append(f"`{when_}` {a.mode:<5} **{a.score:>3}** {a.question_id} · {flag}{retry}")
    e.add_field(name="Latest answers", value="\n".join(lines)[:1024], inline=False)
    if s.by_category:
        e.add_field(name="By category", value="\n".join(
            f"{category_label(c)}: {n} answer(s), average {avg}" for c, (n, avg) in s.by_category.items()),
            inline=False)
    return e


def stats_embed(p: MemberProgress, chart: ChartResult) -> discord.Embed:
    """`/stats`: the chart (attached as `CHART_FILENAME`) with the totals and the most frequent flags."""
    e = discord.Embed(title="Your progress", colour=COLOUR)
    e.description = (f"{p.summary.count} answers · average {p.summary.average} · "
                     f"streak {p.streak.current} day(s)" + (" (answer today to keep it!)" if p.streak.at_risk else ""))
    changes = p.retry_changes()
    if changes:
        better = sum(1 for c in changes if c > 0)
        e.add_field(name="Retries", value=(
            f"{len(changes)} retr{'y' if len(changes) == 1 else 'ies'} · average change "
            f"{sum(changes) / len(changes):+.1f} points · {better} scored higher than the first try"), inline=False)
    if chart.flag_codes:
        e.add_field(name="Most frequent flags", value="\n".join(
            f"{c.replace('_', ' ')}: {n}" for c, n in zip(chart.flag_codes, chart.flag_counts)), inline=False)
    e.set_image(url=f"attachment://{CHART_FILENAME}")
    return e


def leaderboard_embed(entries: Sequence[LeaderboardEntry]) -> discord.Embed:
    lines = []
    for i, en in enumerate(entries, 1):
        avg = f" · average {en.average}" if en.average is not None else ""
        lines.append(f"**{i}.** {safe_excerpt(en.name or str(en.user_id), 40)}: {en.streak}-day streak · "
                     f"{en.answers} answers{avg}")
    e = discord.Embed(title="Practice leaderboard", description="\n".join(lines), colour=COLOUR)
    e.set_footer(text="Only members who ran /leaderboard join appear. /leaderboard leave takes you off.")
    return e


def prep_plan_embed(started: PlanStarted, schedule: Schedule | None) -> discord.Embed:
    """The member's seven days with their dates, today's task, and whether pushes will carry it."""
    lines = []
    for pd in PLAN:
        day = started.start.toordinal() + pd.day - 1
        lines.append(f"**Day {pd.day}** ({date.fromordinal(day).isoformat()}): {pd.title}")
    e = discord.Embed(title="Your 7-day prep plan", description="\n".join(lines), colour=COLOUR)
    if started.interview:
        e.add_field(name="Interview", value=started.interview.isoformat(), inline=True)
    if started.today_day:
        e.add_field(name="Today", value=f"day {started.today_day}: {PLAN[started.today_day - 1].task}",
                    inline=False)
    if schedule is None or schedule.paused:
        e.add_field(name="Heads-up", value=(
            "This server's daily questions are not running, so no plan question will be posted. "
            "Ask an admin to run `/daily setup` (or `/daily resume`)."), inline=False)
    else:
        e.add_field(name="How it works", value=(
            f"Each day's push in <#{schedule.channel_id}> mentions you with your own question for the plan's "
            "day; answer it in the thread. `/prep stop` ends the plan."), inline=False)
    return e
