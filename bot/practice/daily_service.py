"""The daily-push service: the scheduler tick, answers in a push's thread, prep plans and progress.

It owns no Discord objects. The Discord side gives it a `PushPoster` (post the embed and thread)
and plain values (ids, names, text, attachment bytes); it returns plain results to render.
The clock is injected, so tests drive days and daylight-saving changes without sleeping.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.bank import Bank, UnknownQuestion
from bot.clock import WallClock as Clock
from bot.clock import utc_now
from bot.config import Settings
from bot.models import Analysis, Question, Transcript
from bot.practice import prep_plan
from bot.practice.audio_retention import AudioRetention
from bot.practice.daily import (
    RECENT_FOR_VARIETY,
    RECENT_PUSHES_AVOIDED,
    Assignment,
    PlannedPush,
    PostedPush,
    PushFailed,
    PushPoster,
    Schedule,
    ScheduleError,
    TickReport,
    choose_for_member,
    choose_question,
    due_date,
    latest_occurrence,
    local_date_of,
    next_push_utc,
    parse_categories,
    parse_time_local,
    parse_timezone,
    push_rng,
)
from bot.practice.profile import role_needs
from bot.practice.progress import HistorySummary, LeaderboardEntry, Streak, leaderboard, streak_from_attempts, summarize, weakest_category
from bot.practice.retry import Comparison, RetryRefused, compare_with_attempt
from bot.practice.tailoring import Pick, RoleNeeds, choose
from bot.speech.audio import AudioError, decode_bytes
from bot.storage import Database
from bot.storage import daily as store
from bot.storage import retries as retries_store
from bot.storage.attempts import AttemptRow, get_attempt

if TYPE_CHECKING:  # the engine imports the analysis; the scheduler alone does not need it
    from bot.practice.engine import PracticeEngine

log = logging.getLogger(__name__)

# How long an answer in a thread not yet known waits for a push being posted right then.
POSTING_WAIT_S = 15.0
# A text message in a push thread shorter than this is treated as chat, not as an answer.
MIN_TEXT_ANSWER_WORDS = 12


class AnswerRejected(ValueError):
    """The answer cannot be analysed; the message is fit to show the member."""


@dataclass(frozen=True)
class DailyAnswerResult:
    """A daily answer, analysed and stored (a mock round's answers are `bot.practice.round.AnswerResult`)."""

    question: Question
    analysis: Analysis
    attempt_id: int | None
    plan_day: int | None
    streak: Streak
    kept_audio: Path | None = None  # the raw recording, kept only for members who opted in
    comparison: Comparison | None = None  # set when the answer was a "Try again" of an earlier one
    transcript: Transcript | None = None  # a spoken answer's words with their times (for the timeline)


@dataclass(frozen=True)
class NowResult:
    push: store.PushRow | None  # the push for today (new or existing)
    created: bool


@dataclass(frozen=True)
class PlanStarted:
    start: date
    today_day: int | None  # 1–7 when the plan runs today, None when it starts later
    interview: date | None


@dataclass(frozen=True)
class MemberProgress:
    attempts: list[AttemptRow]  # oldest first
    summary: HistorySummary
    streak: Streak
    tz: ZoneInfo
    retries: dict[int, int] = dataclasses.field(default_factory=dict)  # attempt id → the attempt it retried

    def retry_changes(self) -> list[int]:
        """Score change of each retry over the attempt it retried (both still stored)."""
        score = {a.id: a.score for a in self.attempts}
        return [score[a] - score[b] for a, b in self.retries.items() if a in score and b in score]


class DailyService:
    def __init__(self, settings: Settings, db: Database, bank: Bank, engine: PracticeEngine | None,
                 *, clock: Clock = utc_now) -> None:
        self.settings = settings
        self.db = db
        self.bank = bank
        self.engine = engine
        self.clock = clock
        # Opt-in raw audio (`/privacy audio on`), dated by the same clock as the attempts.
        self.retention = AudioRetention(settings, db, clock=self.now)
        self._tick_lock = asyncio.Lock()
        # (thread id, member) → the attempt their next answer in that thread retries ("Try again")
        self._pending_retries: dict[tuple[int, int], int] = {}
        # (thread id, member) → a question picked for their target role (/profile question), answered next
        self._pending_questions: dict[tuple[int, int], str] = {}
        # Pushes being posted: their thread exists on Discord before its id is stored, so an answer
        # that lands in that window waits for the post to finish instead of being ignored.
        self._posting: set[asyncio.Future[None]] = set()

    def now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the clock must return an aware datetime")
        return now.astimezone(UTC)

    # ------------------------------------------------------------ schedule commands

    async def setup(self, guild_id: int, channel_id: int, time_text: str, tz_text: str,
                    categories_text: str | None = None) -> Schedule:
        """Validate and store a server's schedule (raises ScheduleError with a readable message)."""
        cats = parse_categories(categories_text)
        missing = [c for c in cats if not any(q.category == c for q in self.bank.questions)]
        if missing:
            raise ScheduleError(f"The question bank has no {', '.join(missing)} questions yet; pick other categories.")
        schedule = Schedule(guild_id=guild_id, channel_id=channel_id, time_local=parse_time_local(time_text),
                            tz=parse_timezone(tz_text), categories=cats)
        await store.save_schedule(self.db, schedule, now=self.now())
        return await store.get_schedule(self.db, guild_id) or schedule

    async def set_paused(self, guild_id: int, paused: bool) -> Schedule | None:
        if not await store.set_paused(self.db, guild_id, paused, now=self.now()):
            return None
        return await store.get_schedule(self.db, guild_id)

    async def schedule(self, guild_id: int) -> Schedule | None:
        return await store.get_schedule(self.db, guild_id)

    async def guild_tz(self, guild_id: int) -> ZoneInfo:
        s = await store.get_schedule(self.db, guild_id)
        return s.tz if s else ZoneInfo("UTC")

    # ------------------------------------------------------------ pushes

    async def plan_push(self, schedule: Schedule, local_date: date, *, catch_up: bool = False) -> PlannedPush:
        """Pick the server's question and each plan member's own question for `local_date`."""
        recent = await store.recent_question_ids(self.db, schedule.guild_id, limit=RECENT_PUSHES_AVOIDED)
        question = choose_question(self.bank.questions, categories=schedule.categories, avoid=recent,
                                   rng=push_rng(schedule.guild_id, local_date))
        assignments: list[Assignment] = []
        for plan in await store.list_plans(self.db, schedule.guild_id):
            day = prep_plan.day_number(plan.start_date, local_date)
            if day is None:
                continue
            pd = prep_plan.plan_day(day)
            attempts = await store.guild_attempts(self.db, plan.user_id, schedule.guild_id, limit=200)
            cats = pd.categories or (weakest_category(attempts, self.bank.categories()),)
            cats = tuple(c for c in cats if c) or ()
            mine = [a.question_id for a in reversed(attempts)]  # newest first
            needs = await role_needs(self.db, plan.user_id)
            q, why = choose_for_member(self.bank.questions, needs, categories=cats, avoid=[question.id, *recent],
                                       mine=mine, rng=push_rng(schedule.guild_id, local_date, salt=str(plan.user_id)))
            assignments.append(Assignment(plan.user_id, q, day, pd.task, final_day=day == prep_plan.PLAN_DAYS,
                                          why=why))
        return PlannedPush(schedule.guild_id, schedule.channel_id, local_date, question, tuple(assignments), catch_up)

    async def _push(self, schedule: Schedule, local_date: date, poster: PushPoster, *,
                    catch_up: bool) -> tuple[store.PushRow, PlannedPush] | None:
        """Claim, post, record: (the stored push, what was planned). None when the date was already taken.
        Raises PushFailed."""
        planned = await self.plan_push(schedule, local_date, catch_up=catch_up)
        push_id = await store.claim_push(
            self.db, schedule.guild_id, schedule.channel_id, local_date, planned.question.id,
            [(a.user_id, a.question.id, a.plan_day) for a in planned.assignments], now=self.now(),
        )
        if push_id is None:
            return None
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._posting.add(done)
        try:
            return await self._post_and_record(schedule, local_date, poster, planned, push_id)
        finally:
            self._posting.discard(done)
            done.set_result(None)

    async def _post_and_record(self, schedule: Schedule, local_date: date, poster: PushPoster,
                               planned: PlannedPush, push_id: int) -> tuple[store.PushRow, PlannedPush]:
        try:
            posted: PostedPush = await poster.post(planned)
        except PushFailed as e:
            await store.release_push(self.db, push_id)
            if e.permanent:
                await store.set_paused(self.db, schedule.guild_id, True, now=self.now())
                log.warning("daily push for guild %s paused: %s", schedule.guild_id, e)
            raise
        except Exception as e:  # noqa: BLE001 - any failure to post releases the claim for a retry
            await store.release_push(self.db, push_id)
            log.debug("post failed", exc_info=True)
            raise PushFailed(f"posting failed: {type(e).__name__}") from e
        await store.attach_posted(self.db, push_id, posted.message_id, posted.thread_id)
        await self._retire_finished_plans(schedule.guild_id, local_date)
        row = await store.last_push(self.db, schedule.guild_id)
        assert row is not None
        return row, planned

    async def tick(self, poster: PushPoster, *, owns: Callable[[int], bool] | None = None) -> TickReport:
        """Post every push that is due now; call it every minute or so (and once at start-up).
        `owns(guild_id)`: only those servers (a sharded bot process schedules the servers of its own
        shards, bot/sharding.py); the push's claim in the database keeps it exactly-once regardless."""
        report = TickReport()
        async with self._tick_lock:
            now = self.now()
            for schedule in await store.list_schedules(self.db):
                if owns is not None and not owns(schedule.guild_id):
                    continue
                last = await store.last_push(self.db, schedule.guild_id)
                due = due_date(schedule, now, last.local_date if last else None)
                if due is None:
                    continue
                _, when = latest_occurrence(schedule, now)
                catch_up = now - when > timedelta(minutes=10)
                try:
                    done = await self._push(schedule, due, poster, catch_up=catch_up)
                except PushFailed as e:
                    report.failed.append((schedule.guild_id, str(e)))
                    log.warning("daily push for guild %s failed: %s", schedule.guild_id, e)
                    continue
                except ScheduleError as e:
                    report.failed.append((schedule.guild_id, str(e)))
                    continue
                if done is not None:
                    report.posted.append(done[1])
        return report

    async def push_now(self, guild_id: int, poster: PushPoster) -> NowResult:
        """`/daily now`: post today's push at once; when today's is out already, point to it."""
        schedule = await store.get_schedule(self.db, guild_id)
        if schedule is None:
            raise ScheduleError("This server has no daily schedule yet; an admin can create one with /daily setup.")
        today = local_date_of(self.now(), schedule.tz)
        last = await store.last_push(self.db, guild_id)
        if last is not None and last.local_date >= today:
            return NowResult(last, False)
        async with self._tick_lock:
            done = await self._push(schedule, today, poster, catch_up=False)
        if done is None:  # a tick got there first
            return NowResult(await store.last_push(self.db, guild_id), False)
        return NowResult(done[0], True)

    async def next_push(self, guild_id: int) -> datetime | None:
        """When the next push will go out (None when paused or not set up)."""
        s = await store.get_schedule(self.db, guild_id)
        if s is None or s.paused:
            return None
        now = self.now()
        last = await store.last_push(self.db, guild_id)
        nxt = next_push_utc(s, now)
        if last is not None and last.local_date >= local_date_of(nxt, s.tz):
            nxt = next_push_utc(s, nxt)  # today's went out early with /daily now
        return nxt

    # ------------------------------------------------------------ answers

    async def push_for_thread(self, thread_id: int) -> store.PushRow | None:
        """The push whose thread this is. While a push is being posted (its thread may already take
        answers), an unknown thread waits up to POSTING_WAIT_S for the post to be recorded."""
        row = await store.push_for_thread(self.db, thread_id)
        if row is None and self._posting:
            await asyncio.wait(set(self._posting), timeout=POSTING_WAIT_S)
            row = await store.push_for_thread(self.db, thread_id)
        return row

    async def question_for(self, push: store.PushRow, user_id: int) -> tuple[Question, int | None]:
        """The member's own plan question when they have one in this push, else the server's."""
        mine = await store.assignment_for(self.db, push.id, user_id)
        qid, day = mine if mine else (push.question_id, None)
        try:
            return self.bank.get(qid), day
        except UnknownQuestion:
            raise AnswerRejected("That question is no longer in the bank, so I can't score answers to it.") from None

    def _engine(self) -> PracticeEngine:
        if self.engine is None:
            raise RuntimeError("DailyService was built without a practice engine; answers need one")
        return self.engine

    @staticmethod
    def is_answer_text(text: str) -> bool:
        return len(text.split()) >= MIN_TEXT_ANSWER_WORDS

    async def answer_text(self, push: store.PushRow, user_id: int, user_name: str, text: str) -> DailyAnswerResult:
        if not self.is_answer_text(text):
            raise AnswerRejected(
                f"That is a bit short to score; answer in at least {MIN_TEXT_ANSWER_WORDS} words, "
                "or send a voice message."
            )
        engine = self._engine()
        question, day, retry_of = await self._question_and_retry(push, user_id)
        analysis = await asyncio.to_thread(engine.analyze_text, question, text)
        return await self._store(push, user_id, user_name, question, analysis, day, retry_of)

    def check_upload(self, size_bytes: int, duration_s: float | None = None) -> None:
        """Refuse before downloading: too big, or (voice messages state it) too long."""
        limit = self.settings.max_upload_mb * 1024 * 1024
        if size_bytes > limit:
            raise AnswerRejected(
                f"That file is {size_bytes / 1048576:.1f} MB; the limit is {self.settings.max_upload_mb:g} MB. "
                "Send a shorter recording or a voice message."
            )
        if size_bytes == 0:
            raise AnswerRejected("That file is empty; record your answer again.")
        if duration_s is not None and duration_s > self.settings.max_answer_s:
            raise AnswerRejected(
                f"That recording is {duration_s:.0f} s long; answers are capped at "
                f"{self.settings.max_answer_s:.0f} s. Try a tighter take."
            )

    async def answer_audio(self, push: store.PushRow, user_id: int, user_name: str, data: bytes,
                           *, filename: str = "voice message") -> DailyAnswerResult:
        """Decode (off the loop, with the duration cap), transcribe, analyse and store."""
        self.check_upload(len(data))
        engine = self._engine()
        question, day, retry_of = await self._question_and_retry(push, user_id)
        try:
            samples = await asyncio.to_thread(decode_bytes, data, max_seconds=self.settings.max_answer_s,
                                              name=filename)
        except AudioError as e:
            raise AnswerRejected(f"I couldn't use that recording: {e}") from None
        transcript = await engine.transcribe(samples)
        analysis = engine.analyze_transcript(question, transcript)
        if not analysis.transcript.strip():
            raise AnswerRejected("I couldn't make out any words in that recording; check your microphone and try again.")
        result = await self._store(push, user_id, user_name, question, analysis, day, retry_of)
        result = dataclasses.replace(result, transcript=transcript)
        kept = await self._keep_audio(user_id, data, attempt_id=result.attempt_id, filename=filename)
        return dataclasses.replace(result, kept_audio=kept) if kept else result

    async def _keep_audio(self, user_id: int, data: bytes, *, attempt_id: int | None, filename: str) -> Path | None:
        """The uploaded bytes as received, only when the member opted in (AudioRetention checks;
        it also sets the expiry). A failure to keep never costs the member their feedback."""
        ext = Path(filename).suffix.lstrip(".") or "bin"
        try:
            return await self.retention.keep(user_id, data, attempt_id=attempt_id or None, ext=ext)
        except Exception as e:  # noqa: BLE001 - disk full, permissions: the answer is stored already
            log.warning("could not keep the recording of attempt %s: %s", attempt_id, type(e).__name__)
            return None

    async def _store(self, push: store.PushRow, user_id: int, user_name: str, question: Question,
                     analysis: Analysis, day: int | None, retry_of: AttemptRow | None = None) -> DailyAnswerResult:
        # Dated by the service's clock, so streaks and charts agree with the schedule's "today".
        attempt_id = await self._engine().record(analysis, user_id=user_id, user_name=user_name, mode="daily",
                                                 guild_id=push.guild_id, created_at=self.now())
        comparison = None
        if question.id == self._pending_questions.get((push.thread_id or 0, user_id)):
            del self._pending_questions[(push.thread_id or 0, user_id)]
        if retry_of is not None and attempt_id:
            await retries_store.link_retry(self.db, attempt_id, retry_of.id, user_id)
            self._pending_retries.pop((push.thread_id or 0, user_id), None)
            comparison = await self._compare(question, retry_of, analysis)
        progress = await self.progress(push.guild_id, user_id)
        return DailyAnswerResult(question, analysis, attempt_id, day, progress.streak, comparison=comparison)

    # ------------------------------------------------------------ retries ("Try again")

    async def begin_retry(self, push: store.PushRow, user_id: int, attempt_id: int) -> tuple[Question, AttemptRow]:
        """Arm a retry: the member's next answer in this push's thread answers the same question
        again and is compared with attempt `attempt_id`. `RetryRefused` says why it can't be."""
        earlier = await get_attempt(self.db, attempt_id)
        if earlier is None or earlier.user_id != user_id:
            raise RetryRefused("I can't find that answer any more (it may have been deleted), so there is "
                               "nothing to retry. Answer today's question in the thread instead.")
        question = self._retry_question(earlier)
        self._pending_retries[(push.thread_id or 0, user_id)] = attempt_id
        return question, earlier

    def _retry_question(self, earlier: AttemptRow) -> Question:
        try:
            return self.bank.get(earlier.question_id)
        except UnknownQuestion:
            raise RetryRefused(
                f"The question you answered ({earlier.question_id}) has been taken out of the question bank "
                "since, so I can't ask it again or compare a new answer with it. Your earlier answer stays "
                "in /history.") from None

    async def _question_and_retry(self, push: store.PushRow, user_id: int
                                  ) -> tuple[Question, int | None, AttemptRow | None]:
        """The question this answer is for: the retried one when a retry is armed, the member's own
        role question when they asked for one here, else the push's."""
        own = self._pending_questions.get((push.thread_id or 0, user_id))
        if own is not None and (push.thread_id or 0, user_id) not in self._pending_retries:
            try:
                question = self.bank.get(own)
            except UnknownQuestion:
                self._pending_questions.pop((push.thread_id or 0, user_id), None)
                raise AnswerRejected("The question picked for you has been taken out of the bank since; ask "
                                     "for another with /profile question, or answer today's.") from None
            return question, None, None
        pending = self._pending_retries.get((push.thread_id or 0, user_id))
        if pending is not None:
            earlier = await get_attempt(self.db, pending)
            if earlier is not None and earlier.user_id == user_id:
                try:
                    question = self._retry_question(earlier)
                except RetryRefused as e:
                    self._pending_retries.pop((push.thread_id or 0, user_id), None)
                    raise AnswerRejected(str(e)) from None
                mine = await store.assignment_for(self.db, push.id, user_id)
                return question, (mine[1] if mine else None), earlier
            self._pending_retries.pop((push.thread_id or 0, user_id), None)
        question, day = await self.question_for(push, user_id)
        return question, day, None

    async def question_for_role(self, push: store.PushRow, user_id: int, needs: RoleNeeds) -> Pick:
        """A question fitted to the member's target role, for their next answer in this push's thread:
        the practice layer's picking policy, avoiding today's question and what they answered before."""
        attempts = await store.guild_attempts(self.db, user_id, push.guild_id, limit=200)
        mine = [a.question_id for a in reversed(attempts)]  # newest first
        pick = (choose(self.bank.questions, needs, asked=list(reversed(mine[:RECENT_FOR_VARIETY])),
                       exclude=[push.question_id, *mine])
                or choose(self.bank.questions, needs, exclude=[push.question_id]))
        if pick is None:
            raise AnswerRejected("The question bank has nothing else to offer right now; answer today's question.")
        self._pending_questions[(push.thread_id or 0, user_id)] = pick.question.id
        return pick

    def retry_pending(self, thread_id: int, user_id: int) -> bool:
        return (thread_id, user_id) in self._pending_retries

    async def _compare(self, question: Question, earlier: AttemptRow, later: Analysis) -> Comparison:
        return await asyncio.to_thread(compare_with_attempt, question, earlier, later, self._engine().analyze_text)

    # ------------------------------------------------------------ prep plans

    async def start_plan(self, guild_id: int, user_id: int, user_name: str,
                         interview_text: str | None = None) -> PlanStarted:
        tz = await self.guild_tz(guild_id)
        today = local_date_of(self.now(), tz)
        interview = prep_plan.parse_date(interview_text) if interview_text else None
        start = prep_plan.plan_start(today, interview)
        await store.start_plan(self.db, user_id, guild_id, start, interview, user_name=user_name)
        return PlanStarted(start, prep_plan.day_number(start, today), interview)

    async def stop_plan(self, guild_id: int, user_id: int) -> bool:
        return await store.stop_plan(self.db, user_id, guild_id)

    async def _retire_finished_plans(self, guild_id: int, local_date: date) -> None:
        for plan in await store.list_plans(self.db, guild_id):
            if prep_plan.is_finished(plan.start_date, local_date):
                await store.stop_plan(self.db, plan.user_id, guild_id)

    # ------------------------------------------------------------ progress

    async def progress(self, guild_id: int, user_id: int) -> MemberProgress:
        tz = await self.guild_tz(guild_id)
        attempts = await store.guild_attempts(self.db, user_id, guild_id)
        retries = await retries_store.retries_of_user(self.db, user_id)
        return MemberProgress(attempts, summarize(attempts), streak_from_attempts(attempts, tz, self.now()), tz,
                              retries)

    async def leaderboard(self, guild_id: int, *, limit: int = 10) -> list[LeaderboardEntry]:
        tz = await self.guild_tz(guild_id)
        members = await store.leaderboard_members(self.db, guild_id)
        by_user = {uid: await store.guild_attempts(self.db, uid, guild_id) for uid, _ in members}
        return leaderboard(members, by_user, tz, self.now(), limit=limit)

    async def set_leaderboard(self, guild_id: int, user_id: int, joined: bool, user_name: str = "") -> bool:
        return await store.set_leaderboard(self.db, guild_id, user_id, joined, user_name=user_name)


__all__ = ["DailyService", "AnswerRejected", "RetryRefused", "DailyAnswerResult", "NowResult", "PlanStarted", "MemberProgress"]
