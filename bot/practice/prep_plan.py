"""A 7-day plan for the week before an interview, and where a member stands in it.

The shape follows the seed guide (days 1–2 coding, 3–4 system design, 5 behavioral stories,
6 a full mock, 7 review); the wording is ours.

Dates are local dates of the server's daily schedule. With an interview date the plan is laid so
that day 7 is the eve of the interview; when the interview is closer than that, the member joins
the plan part-way (an interview in three days starts on day 5). Without one, day 1 is today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

PLAN_DAYS = 7


class PrepPlanError(ValueError):
    """An interview date we cannot plan for; the message says why."""


@dataclass(frozen=True)
class PlanDay:
    day: int
    title: str
    categories: tuple[str, ...]  # where the day's question comes from; () = the member's weakest area
    task: str  # what to do today, in a sentence or two
    mock: bool = False  # the day asks for a full mock round


PLAN: tuple[PlanDay, ...] = (
    PlanDay(1, "Coding fluency", ("coding",),
            "Warm up your problem solving: work two or three medium problems without an IDE, and say "
            "the constraints, a plain first solution and its cost out loud before improving it."),
    PlanDay(2, "Coding fluency, edge cases", ("coding",),
            "Same drill, tighter: after each solution, walk through a normal input, an edge case and a "
            "failure case, and state time and space complexity before you are asked."),
    PlanDay(3, "System design drill", ("system_design",),
            "Take one design prompt from requirements through APIs, data model and a first architecture; "
            "then find the bottleneck and say how it fails."),
    PlanDay(4, "System design, failure and metrics", ("system_design", "fundamentals"),
            "Go deeper on a second design: retries, duplicates, backpressure, and the dashboards and "
            "alerts you would want on launch day."),
    PlanDay(5, "Behavioral story bank", ("behavioral",),
            "Sketch six short stories in bullet points (an incident, a speed-up, a disagreement, a vague "
            "project, a failure, something you owned end to end), each with a number in its result."),
    PlanDay(6, "Full mock interview", ("coding", "system_design"),
            "Run a complete mock: one coding and one design question, spoken, timed, no notes "
            "(`/mock` in a voice channel works well). Notice where you went quiet.", mock=True),
    PlanDay(7, "Review and rest", (),
            "Tighten, don't cram: reread your resume, revisit caching, queues, indexes and consistency, "
            "prepare three questions for your interviewers, and sleep early."),
)


def plan_day(number: int) -> PlanDay:
    if not 1 <= number <= PLAN_DAYS:
        raise PrepPlanError(f"the plan has days 1 to {PLAN_DAYS}, not {number}")
    return PLAN[number - 1]


def plan_start(today: date, interview_date: date | None = None) -> date:
    """The local date of day 1."""
    if interview_date is None:
        return today
    if interview_date <= today:
        raise PrepPlanError(
            f"The interview date {interview_date.isoformat()} is not in the future; "
            "give a later date, or start without one."
        )
    if interview_date - today > timedelta(days=365):
        raise PrepPlanError("That interview is more than a year away; start the plan in the last week before it.")
    return interview_date - timedelta(days=PLAN_DAYS)


def day_number(start: date, today: date) -> int | None:
    """1–7 while the plan runs; None before it starts or after it ends."""
    n = (today - start).days + 1
    return n if 1 <= n <= PLAN_DAYS else None


def is_finished(start: date, today: date) -> bool:
    return (today - start).days + 1 > PLAN_DAYS


def parse_date(text: str) -> date:
    """'2026-12-03' → date, with a clear message for anything else."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PrepPlanError(f"'{text.strip()}' is not a date; write it as YYYY-MM-DD, for example 2026-12-03.") from None
