"""A spoken mock round, independent of any front end (no discord import here).

The round is a small state machine driven by `MockRound.run()`:

    CONSENT → ASKING → LISTENING → ANALYZING → FOLLOW_UP → LISTENING → ANALYZING → next question …
            → FEEDBACK → ENDED

A front end (the Discord adapter, the CLI, tests) implements `RoundIO` to speak and post, and
feeds the answering user's audio with `feed_audio()` from its receive thread. Buttons and
commands map onto `done()`, `repeat()`, `hint()`, `skip()`, `end()`; voice events onto
`user_left()` and `disconnected()`. All of these are safe to call from any thread, any number
of times, before, during or after the round.

Every answer is analysed and stored (`engine.record(mode="mock")`) as soon as it ends, so a
crash or a departure loses nothing already said; the session row is created when the round
starts and closed (done / interrupted) when it ends.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bot.config import Settings
from bot.models import STRUCTURE_ELEMENTS, Analysis, Question, Transcript
from bot.practice.audio_quality import PoorStretch, excuse_poor_audio
from bot.practice.listening import IncrementalListener, ListenerConfig
from bot.storage.privacy import delete_user
from bot.storage.sessions import create_session, end_session

if TYPE_CHECKING:  # pragma: no cover
    from bot.practice.engine import PracticeEngine
    from bot.speech.tts import Speaker


class RoundState(str, enum.Enum):
    CREATED = "created"
    CONSENT = "consent"
    ASKING = "asking"          # the question (or follow-up) is being spoken
    LISTENING = "listening"    # the answer is being received and transcribed
    ANALYZING = "analyzing"    # the tail is transcribed, the answer analysed and stored
    FOLLOW_UP = "follow_up"    # the follow-up question is being spoken
    FEEDBACK = "feedback"      # final feedback is being posted
    ENDED = "ended"


# What `RoundIO.say` is asked to speak.
SAY_KINDS: tuple[str, ...] = ("question", "follow_up", "nudge", "hint", "info")

# Why an answer ended (`AnswerResult.end_reason`, `IncrementalListener` `on_end` reasons).
END_REASONS: tuple[str, ...] = (
    "done_button", "phrase", "silence", "max_length", "no_speech", "skipped", "round_ended",
    "user_left", "disconnected", "typed", "erased",
)

NUDGE_TEXT = "Take your time — keep thinking out loud."

CONSENT_TEXT = (
    "Before we start: Parley will listen to you in this voice channel while the round runs, "
    "and only to you. Your answers are transcribed to give feedback; the transcript, scores "
    "and feedback are saved to your history. The audio itself is not kept. You can end the "
    "round at any time with End round or /mock stop."
)

log = logging.getLogger(__name__)

# Why a whole round stopped early → the status line told to the user.
_STOP_MESSAGES = {
    "ended": "Round ended. Here is your feedback on what you answered.",
    "user_left": "You left the voice channel, so I stopped the round. Everything you said was saved.",
    "disconnected": "I was disconnected from the voice channel, so the round stopped. "
                    "Everything you said so far was saved.",
    "erased": "You erased your Parley data, so I stopped this round. Nothing from it was kept.",
}


@runtime_checkable
class RoundIO(Protocol):
    """What a front end provides to a round. Every method is awaited on the round's event loop
    and must not block it (render speech in a thread)."""

    async def post_consent(self, text: str) -> bool:
        """Show the consent notice `text` (what is recorded, that audio is not kept) to the user.

        Return True when the round may record the user (they accepted, or accepted before in this
        server), False to cancel the round. Nothing is recorded before this returns True.
        """
        ...

    async def say(self, text: str, *, kind: str) -> None:
        """Speak `text` aloud in the voice channel; return when playback has finished.

        `kind` is one of SAY_KINDS: question | follow_up | nudge | hint | info.
        """
        ...

    async def post_question_card(self, question: Question, index: int, total: int) -> None:
        """Show the question being asked (index is 1-based) with the control buttons
        (Repeat, Hint, Skip, Done, End round)."""
        ...

    async def post_status(self, text: str) -> None:
        """A short status line for the user (e.g. "Listening…", "Analysing your answer…")."""
        ...

    async def post_feedback(self, summary: RoundSummary) -> None:
        """The final feedback: one `AnswerResult` per question (its Analysis) plus the overall
        picture. Also called with a partial summary when the user left or the bot was
        disconnected (`summary.status == "interrupted"`)."""
        ...

    async def round_closed(self, summary: RoundSummary) -> None:
        """Called exactly once when the round is over, whatever happened (after post_feedback when
        there was something to post): disable the buttons, leave the voice channel."""
        ...


@dataclass
class AnswerResult:
    """One question of the round: the main answer, its analysis, and the follow-up exchange."""

    index: int                       # 1-based
    question: Question
    analysis: Analysis | None        # None when nothing was said (skipped in silence)
    transcript: Transcript | None
    end_reason: str                  # one of END_REASONS
    attempt_id: int | None = None
    follow_up: str = ""              # the follow-up question asked ("" when none)
    follow_up_transcript: Transcript | None = None
    follow_up_analysis: Analysis | None = None
    follow_up_attempt_id: int | None = None
    follow_up_end_reason: str = ""
    feedback_latency_s: float | None = None  # end of the answer → analysis ready
    poor_audio: list[PoorStretch] = field(default_factory=list)  # lost/undecryptable stretches
    audio: dict[str, int] = field(default_factory=dict)  # receive counters of the answer (front end)

    @property
    def skipped(self) -> bool:
        return self.end_reason == "skipped"


@dataclass
class RoundSummary:
    """Everything the front end needs to render the final (or partial) feedback."""

    session_id: int | None
    user_id: int
    user_name: str
    guild_id: int | None
    status: str                      # "done" | "interrupted" | "declined"
    reason: str                      # why the round ended ("completed", "ended", "user_left", …)
    answers: list[AnswerResult] = field(default_factory=list)
    questions_total: int = 0
    extras: dict[str, Any] = field(default_factory=dict)  # what a RoundExtras adds (pushback, own questions)

    @property
    def analyses(self) -> list[Analysis]:
        return [a.analysis for a in self.answers if a.analysis is not None]

    @property
    def average_score(self) -> int | None:
        scores = [a.score for a in self.analyses]
        return round(sum(scores) / len(scores)) if scores else None

    def overall_text(self) -> str:
        """A short overall line in plain words (the adapter may render its own)."""
        answered = len(self.analyses)
        if answered == 0:
            return "No answer was recorded in this round, so there is nothing to score yet."
        avg = self.average_score
        flags = Counter(f.code for a in self.analyses for f in a.flags)
        parts = [f"You answered {answered} of {self.questions_total} question"
                 f"{'s' if self.questions_total != 1 else ''}; average score {avg}/100."]
        if flags:
            code, n = flags.most_common(1)[0]
            parts.append(f"The most frequent issue was {code.replace('_', ' ')} ({n}×): work on that first.")
        if self.status == "interrupted":
            parts.append("The round was cut short; everything you said was still saved.")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary stored in sessions.summary_json."""
        return {
            "status": self.status,
            "reason": self.reason,
            "questions_total": self.questions_total,
            "average_score": self.average_score,
            "answers": [
                {
                    "index": a.index,
                    "question_id": a.question.id,
                    "end_reason": a.end_reason,
                    "score": a.analysis.score if a.analysis else None,
                    "attempt_id": a.attempt_id,
                    "follow_up": a.follow_up,
                    "follow_up_attempt_id": a.follow_up_attempt_id,
                }
                for a in self.answers
            ],
            **({"extras": self.extras} if self.extras else {}),
        }


class RoundExtras(Protocol):
    """Optional stages a round can run (bot/practice/round_extras.py): pushback in place of the
    follow-up, and the candidate's own questions at the end. They write into `summary.extras`."""

    def follow_up(self, question: Question, result: AnswerResult) -> str | None: ...
    def follow_up_heard(self, result: AnswerResult) -> None: ...
    async def after_questions(self, round_: MockRound) -> None: ...


QuestionPicker = Callable[[int, Sequence[str]], Question]
"""`picker(index, asked_ids) -> Question`: choose question number `index` (1-based),
avoiding the ids already asked."""


class MockRound:
    """One user's spoken mock round. Create it, then `await run()`; control it from anywhere."""

    TICK_S = 0.1  # how often silence is advanced with the wall clock while listening

    def __init__(
        self,
        engine: PracticeEngine,
        io: RoundIO,
        *,
        user_id: int,
        user_name: str = "",
        guild_id: int | None = None,
        channel_id: int | None = None,
        questions: Sequence[Question] | QuestionPicker,
        settings: Settings | None = None,
        speaker: Speaker | None = None,
        clock: Callable[[], float] = time.monotonic,
        listener_config: ListenerConfig | None = None,
        extras: RoundExtras | None = None,
    ) -> None:
        """`questions`: a list (its first settings.questions_per_round are asked) or a picker.
        `speaker`: optional, only used to pre-render upcoming prompts in the background.
        `clock`: monotonic seconds; the same base as `feed_audio(at=...)`.
        `listener_config`: override the listening thresholds (default: from settings)."""
        self.engine = engine
        self.io = io
        self.settings = settings or engine.settings
        self.user_id = user_id
        self.user_name = user_name
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.speaker = speaker
        self._clock = clock
        self._listener_config = listener_config or ListenerConfig.from_settings(self.settings)
        self.extras = extras
        n = self.settings.questions_per_round
        if callable(questions):
            self._picker: QuestionPicker | None = questions  # type: ignore[assignment]
            self._fixed: list[Question] = []
            self._total = n
        else:
            self._picker = None
            self._fixed = list(questions)[:n]
            if not self._fixed:
                raise ValueError("a mock round needs at least one question")
            self._total = len(self._fixed)

        self._state = RoundState.CREATED
        self._state_counts: Counter[RoundState] = Counter()
        self._state_cond: asyncio.Condition | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session_id: int | None = None
        self._current: Question | None = None
        self._current_prompt = ""
        self._listener: IncrementalListener | None = None
        self._stop_reason: str | None = None   # ended | user_left | disconnected
        self._stop_event: asyncio.Event | None = None
        self._skip = False
        self._speak_lock: asyncio.Lock | None = None
        self._side_tasks: set[asyncio.Task[Any]] = set()
        self._closed_called = False
        self._summary = RoundSummary(
            session_id=None, user_id=user_id, user_name=user_name, guild_id=guild_id,
            status="running", reason="", questions_total=self._total,
        )
        self.nudges = 0
        self.disconnect_reason = ""
        self._typed: str | None = None
        self._typing = False   # answers are typed (typing_started): silence ends no answer
        self._last_poor: list[PoorStretch] = []  # poor-audio stretches of the last answer heard
        self._erased = False   # the owner erased their data (/privacy delete): keep nothing

    # ---- read-only state -------------------------------------------------------------------
    @property
    def state(self) -> RoundState:
        return self._state

    @property
    def ended(self) -> bool:
        return self._state is RoundState.ENDED

    @property
    def session_id(self) -> int | None:
        return self._session_id

    @property
    def current_question(self) -> Question | None:
        return self._current

    @property
    def current_prompt(self) -> str:
        """What the user is answering now: the question, or its follow-up once that is asked."""
        return self._current_prompt

    @property
    def summary(self) -> RoundSummary:
        """The results so far (complete once the round ended)."""
        return self._summary

    @property
    def listener(self) -> IncrementalListener | None:
        """The listener of the answer being received (None outside LISTENING)."""
        return self._listener

    def times_entered(self, state: RoundState) -> int:
        """How many times the round has entered `state` (LISTENING: once per answer heard)."""
        return self._state_counts[state]

    async def wait_state(self, state: RoundState, count: int = 1) -> None:
        """Return once the round has entered `state` at least `count` times (or has ended)."""
        cond = self._cond()
        async with cond:
            await cond.wait_for(lambda: self._state_counts[state] >= count or self.ended)

    def _cond(self) -> asyncio.Condition:
        if self._state_cond is None:
            self._state_cond = asyncio.Condition()
        return self._state_cond

    async def _set_state(self, state: RoundState) -> None:
        self._state = state
        self._state_counts[state] += 1
        log.debug("round %s (user %s): %s", self._session_id, self.user_id, state.value)
        cond = self._cond()
        async with cond:
            cond.notify_all()

    # ---- driving ---------------------------------------------------------------------------
    async def run(self) -> RoundSummary:
        """Run the whole round: consent, N questions with one follow-up each, feedback.

        Never raises for user-caused endings (end/leave/disconnect); they produce a partial
        summary. Returns the final summary. Cancelling the task stops the round as interrupted.
        """
        if self._loop is not None:
            raise RuntimeError("a MockRound runs once")
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        self._speak_lock = asyncio.Lock()
        if self._stop_reason is not None:  # stopped before it started
            self._stop_event.set()
        try:
            await self._run()
        except asyncio.CancelledError:
            self._summary.status, self._summary.reason = "interrupted", "cancelled"
            await self._finalize()
            raise
        except Exception:
            log.exception("mock round for user %s failed", self.user_id)
            self._summary.status, self._summary.reason = "interrupted", "error"
            await self._quietly(self.io.post_status(
                "Something went wrong on my side and the round stopped. "
                "Everything you answered so far was saved."))
        await self._finalize()
        return self._summary

    async def _run(self) -> None:
        await self._set_state(RoundState.CONSENT)
        if not await self._interruptible(self.io.post_consent(CONSENT_TEXT)):
            if self._stop_reason is None:
                self._summary.status, self._summary.reason = "declined", "declined"
                return
        if self._stop_reason is not None:
            self._summary.status = "interrupted" if self._stop_reason != "ended" else "done"
            self._summary.reason = self._stop_reason
            return
        if self.engine.db is not None:
            self._session_id = await create_session(
                self.engine.db, "mock", self.guild_id, self.channel_id, self.user_id, owner_name=self.user_name)
            self._summary.session_id = self._session_id

        asked: list[str] = []
        for index in range(1, self._total + 1):
            if self._stop_reason is not None:
                break
            question = self._pick(index, asked)
            asked.append(question.id)
            self._current = question
            self._skip = False
            self._typed = None  # text still buffered belonged to the previous question (it was skipped)
            await self._quietly(self.io.post_question_card(question, index, self._total))
            self._prerender_next(index, asked)
            await self._ask_and_listen(index, question)
            if self._stop_reason is not None:
                break

        self._current = None
        if self.extras is not None and self._stop_reason is None and not self._erased:
            await self._quietly(self.extras.after_questions(self))
        if self._stop_reason is None:
            self._summary.status, self._summary.reason = "done", "completed"
        else:
            self._summary.status = "done" if self._stop_reason == "ended" else "interrupted"
            self._summary.reason = self._stop_reason
            await self._quietly(self.io.post_status(_STOP_MESSAGES.get(self._stop_reason, "Round stopped.")))
        await self._set_state(RoundState.FEEDBACK)
        if self._erased:
            pass  # the status line said so; there is nothing to give feedback on
        elif self._summary.analyses or (self._summary.answers and self._stop_reason is None):
            await self._quietly(self.io.post_feedback(self._summary))
        else:
            await self._quietly(self.io.post_status("No answer was recorded in this round, so there is no feedback."))

    async def _ask_and_listen(self, index: int, question: Question) -> AnswerResult:
        """Ask, listen, analyse and store; then one follow-up exchange. The result joins the
        summary as soon as the answer has been heard."""
        result = AnswerResult(index=index, question=question, analysis=None, transcript=None, end_reason="")
        await self._set_state(RoundState.ASKING)
        self._current_prompt = question.prompt
        await self._say(question.prompt, kind="question")
        if self._stop_reason is not None:  # stopped while asking: nothing to report
            return result
        if self._skip:
            result.end_reason = "skipped"
            if not self._erased:
                self._summary.answers.append(result)
            return result
        transcript, reason, ended_at = await self._listen()
        if self._erased:
            return result  # nothing of it is analysed, kept or shown
        result.transcript, result.end_reason = transcript, reason
        if not self._erased:
            self._summary.answers.append(result)  # visible (and in the partial feedback) from now on
        await self._explain_end(reason)
        await self._set_state(RoundState.ANALYZING)
        typed = self._take_typed() if reason == "typed" else None
        if typed:
            result.analysis = await asyncio.to_thread(self.engine.analyze_text, question, typed)
            result.feedback_latency_s = max(0.0, self._clock() - ended_at) if ended_at else None
            result.attempt_id = await self._record(result.analysis, mode="mock")
        elif transcript.words:
            result.analysis = await asyncio.to_thread(self.engine.analyze_transcript, question, transcript)
            result.poor_audio = self._last_poor
            result.analysis = excuse_poor_audio(result.analysis, self._last_poor)
            result.feedback_latency_s = max(0.0, self._clock() - ended_at) if ended_at else None
            result.attempt_id = await self._record(result.analysis, mode="mock")
        if self._stop_reason is not None or reason == "skipped" or result.analysis is None:
            return result

        custom = self.extras.follow_up(question, result) if self.extras is not None else None
        follow_up = custom or (result.analysis.follow_up or "").strip() or self._fallback_follow_up(question)
        if not follow_up:
            return result
        result.follow_up = follow_up
        await self._set_state(RoundState.FOLLOW_UP)
        self._current_prompt = follow_up
        await self._say(follow_up, kind="follow_up")
        if self._stop_reason is not None or self._skip:
            result.follow_up_end_reason = "skipped" if self._skip else self._stop_reason or ""
            return result
        fu_transcript, fu_reason, _ = await self._listen()
        await self._explain_end(fu_reason)
        result.follow_up_transcript, result.follow_up_end_reason = fu_transcript, fu_reason
        await self._set_state(RoundState.ANALYZING)
        typed = self._take_typed() if fu_reason == "typed" else None
        if typed:
            result.follow_up_analysis = await asyncio.to_thread(self.engine.analyze_text, question, typed)
            result.follow_up_attempt_id = await self._record(result.follow_up_analysis, mode="mock_follow_up")
        elif fu_transcript.words:
            result.follow_up_analysis = await asyncio.to_thread(
                self.engine.analyze_transcript, question, fu_transcript)
            result.follow_up_attempt_id = await self._record(result.follow_up_analysis, mode="mock_follow_up")
        if self.extras is not None:
            self.extras.follow_up_heard(result)
        return result

    async def ask_and_hear(self, prompt: str) -> tuple[str, str]:
        """Say `prompt` and hear one reply, spoken or typed: (its text, why it ended). For the stages
        a RoundExtras adds; nothing is analysed or stored here."""
        await self._set_state(RoundState.ASKING)
        self._current_prompt = prompt
        self._skip, self._typed = False, None
        await self._say(prompt, kind="question")
        if self._stop_reason is not None or self._skip:
            return "", "skipped" if self._skip else self._stop_reason or ""
        transcript, reason, _ = await self._listen()
        await self._explain_end(reason)
        typed = self._take_typed() if reason == "typed" else None
        return (typed if typed is not None else transcript.text), reason

    async def _listen(self) -> tuple[Transcript, str, float | None]:
        """One answer: returns its transcript, why it ended, and the clock time it ended."""
        loop = self._loop
        assert loop is not None
        ended: asyncio.Future[str] = loop.create_future()

        def settle(reason: str) -> None:
            if not ended.done():
                ended.set_result(reason)

        def on_end(reason: str) -> None:
            loop.call_soon_threadsafe(settle, reason)

        def on_long_silence(at_s: float) -> None:
            loop.call_soon_threadsafe(lambda: self._spawn(self._nudge(listener)))

        listener: IncrementalListener = IncrementalListener(
            self.engine.transcriber.transcribe_sync, self._listener_config, clock=self._clock,
            on_end=on_end, on_long_silence=on_long_silence, name=f"round-{self.user_id}",
        )
        listener.start(self._clock())
        self._listener = listener
        if self._typing:  # checked after publishing the listener: typing_started() may run on any thread
            listener.hold_silence(True)
        await self._set_state(RoundState.LISTENING)
        if self._stop_reason is not None:
            listener.stop(self._round_end_reason(self._stop_reason))
        elif self._skip:
            listener.stop("skipped")
        elif self._typed is not None:  # typed while the question was being spoken
            listener.stop("typed")
        ticker = asyncio.create_task(self._tick(listener))
        try:
            reason = await ended
            self._listener = None
            self._last_poor = listener.poor_stretches()
            try:
                transcript = await asyncio.wrap_future(listener.finish())
            except Exception:  # the model failed on the tail: keep what was transcribed before
                log.exception("transcribing the end of an answer failed; keeping the chunks done")
                words = [w for c in listener.committed for w in c.transcript.words]
                transcript = Transcript(words=words, duration_s=listener.audio_s)
        finally:
            self._listener = None
            ticker.cancel()
            listener.close()
        if reason == "finished":  # finish() without another reason: treat as Done
            reason = "done_button"
        return transcript, reason, listener.ended_at

    async def _explain_end(self, reason: str) -> None:
        """Tell the user when the round, not they, ended an answer."""
        if reason == "max_length":
            minutes = self._listener_config.max_answer_s / 60
            await self._quietly(self.io.post_status(
                f"That reached the {minutes:g}-minute limit for one answer, so I stopped listening there."))
        elif reason == "no_speech":
            await self._quietly(self.io.post_status(
                "I didn't hear anything, so I moved on. If you were talking, check that your "
                "microphone is not muted and that Discord uses the right input device."))

    async def _tick(self, listener: IncrementalListener) -> None:
        while not listener.ended:
            listener.tick(self._clock())
            await asyncio.sleep(self.TICK_S)

    async def _nudge(self, listener: IncrementalListener) -> None:
        if self._listener is not listener:  # the round has moved past that answer
            return
        self.nudges += 1
        await self._say(NUDGE_TEXT, kind="nudge")

    async def _record(self, analysis: Analysis, *, mode: str) -> int | None:
        if self._erased:
            return None
        try:
            return await self.engine.record(
                analysis, user_id=self.user_id, user_name=self.user_name, mode=mode,
                guild_id=self.guild_id, session_id=self._session_id)
        except Exception:
            log.exception("could not store an attempt of user %s", self.user_id)
            return None

    def _pick(self, index: int, asked: list[str]) -> Question:
        if self._picker is not None:
            return self._picker(index, tuple(asked))
        return self._fixed[index - 1]

    def _prerender_next(self, index: int, asked: list[str]) -> None:
        """Warm the TTS cache for the next fixed question while this one runs."""
        if self.speaker is None or self._picker is not None or index >= len(self._fixed):
            return
        self._spawn(self._quietly(self.speaker.render(self._fixed[index].prompt)))

    @staticmethod
    def _fallback_follow_up(question: Question) -> str:
        return question.follow_ups[0] if question.follow_ups else ""

    def hint_text(self) -> str:
        q = self._current
        if q is None:
            return ""
        if q.hint:
            return q.hint
        missing = [e for e in q.expected if e in STRUCTURE_ELEMENTS][:2]
        if missing:
            ideas = " and ".join(STRUCTURE_ELEMENTS[e] for e in missing)
            return f"A hint: a strong answer here {ideas}."
        return "A hint: start with your assumptions, then walk through your approach step by step."

    # ---- speaking --------------------------------------------------------------------------
    async def _say(self, text: str, *, kind: str) -> None:
        """Speak (one utterance at a time); interrupted when the round is stopped."""
        assert self._speak_lock is not None
        async with self._speak_lock:
            if self._stop_reason is not None and kind != "info":
                return
            await self._interruptible(self.io.say(text, kind=kind))

    async def _interruptible(self, coro: Any) -> Any:
        """Await `coro` unless the round is stopped first (then cancel it and return None)."""
        assert self._stop_event is not None
        task = asyncio.ensure_future(coro)
        stopper = asyncio.ensure_future(self._stop_event.wait())
        try:
            done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if task in done:
            return task.result()
        task.cancel()
        try:
            await task
        except BaseException:
            pass
        return None

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_task_done)

    def _side_task_done(self, task: asyncio.Task[Any]) -> None:
        self._side_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("round side task failed", exc_info=task.exception())

    async def _quietly(self, aw: Any) -> Any:
        """A front-end call whose failure must not stop the round (a message that failed to post)."""
        try:
            return await aw
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("round front-end call failed")
            return None

    async def _finalize(self) -> None:
        if self._closed_called:
            return
        self._closed_called = True
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for t in list(self._side_tasks):
            t.cancel()
        if self._summary.status == "running":
            self._summary.status = "interrupted"
        if self._erased:
            # Nothing of the round is kept, and whatever a step in flight wrote after the
            # erasure (an answer, the session row, the consent) is erased again here.
            self._summary.answers.clear()
            await self._erase_late_writes()
        elif self._session_id is not None and self.engine.db is not None:
            status = "done" if self._summary.status == "done" else "interrupted"
            try:
                await end_session(self.engine.db, self._session_id, status, self._summary.to_dict())
            except Exception:
                log.exception("could not close session %s", self._session_id)
        await self._set_state(RoundState.ENDED)
        await self._quietly(self.io.round_closed(self._summary))

    async def _erase_late_writes(self) -> None:
        db = self.engine.db
        if db is None:
            return
        try:
            await delete_user(db, self.user_id)
        except Exception:
            log.exception("could not erase what round %s wrote after an erasure", self._session_id)

    async def erase_member(self, user_id: int) -> bool:
        """The member erased their data (/privacy delete). When it is this round's owner, the round
        forgets their answers and name at once, stops (saying why), stores nothing more and
        writes no summary; anything a step in flight stores meanwhile is erased when the round
        closes. Returns whether the round was theirs."""
        if user_id != self.user_id:
            return False
        self._erased = True
        self.user_name = self._summary.user_name = ""
        self._summary.answers.clear()
        self._typed = None
        self._request_stop("erased")
        return True

    # ---- audio and controls ------------------------------------------------------------------
    def feed_audio(self, pcm48_stereo: bytes, *, at: float | None = None) -> None:
        """Audio of THE answering user: 20 ms frames of 48 kHz stereo s16le (Discord PCM).

        Thread-safe; called from the voice receive thread. `at` is the arrival time on the
        round's clock (default: now). Discord sends nothing while the user is silent, so gaps
        between arrivals are filled with silence. Audio outside LISTENING is dropped.
        """
        listener = self._listener
        if listener is None or listener.ended:
            return
        listener.feed_pcm48(pcm48_stereo, at=self._clock() if at is None else at)

    def audio_trouble(self, frames: int = 1) -> None:
        """`frames` × 20 ms of the answering user's audio, ending now, were lost or could not be
        decrypted: not their silence (see `bot.practice.audio_quality`). Thread-safe."""
        listener = self._listener
        if listener is not None and not listener.ended:
            listener.mark_poor_audio(frames, at=self._clock() - 0.02 * frames)

    def _on_loop(self, fn: Callable[[], None]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            fn()
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            fn()
        else:
            loop.call_soon_threadsafe(fn)

    def done(self) -> None:
        """The user says their answer is complete (the Done button)."""
        listener = self._listener
        if listener is not None:
            listener.stop("done_button")

    def answer_text(self, text: str) -> bool:
        """A typed answer to the current question or follow-up (when voice can't be used).

        Ends the answer being listened to (or the next one, if typed while the bot speaks); it
        is analysed as text and stored like a spoken answer, and the round carries on.
        Returns False when it was not taken: empty, the round is over or stopping, or the last
        answer is being analysed (the text would otherwise land on the next prompt).
        """
        text = (text or "").strip()
        if not text or self.ended or self._stop_reason is not None:
            return False
        state = self._state
        if state not in (RoundState.ASKING, RoundState.LISTENING, RoundState.FOLLOW_UP):
            return False
        self._typed = text
        listener = self._listener
        if state is RoundState.LISTENING and (listener is None or not listener.stop("typed")):
            if self._typed is text:  # the answer had already ended another way (Done, Skip…)
                self._typed = None
            return False
        return True

    def typing_started(self) -> None:
        """The user answers by typing from now on (their voice can't be heard, a text box is
        open): silence no longer ends an answer, times it out or triggers the nudge, for the
        answer in progress and the following ones, until `typing_stopped()`. Done, Skip, End
        round, a typed answer and the answer length limit still end it. Thread-safe."""
        self._typing = True
        listener = self._listener
        if listener is not None:
            listener.hold_silence(True)

    def typing_stopped(self) -> None:
        """Back to spoken answers: silence counts again, from now."""
        self._typing = False
        listener = self._listener
        if listener is not None:
            listener.hold_silence(False)

    def _take_typed(self) -> str | None:
        text, self._typed = self._typed, None
        return text

    def repeat(self) -> None:
        """Speak the current question (or follow-up) again."""
        self._on_loop(lambda: self._spawn_prompt("repeat"))

    def hint(self) -> None:
        """Speak a hint for the current question."""
        self._on_loop(lambda: self._spawn_prompt("hint"))

    def _spawn_prompt(self, what: str) -> None:
        if self.ended or self._loop is None or self._listener is None:
            return
        text = self._current_prompt if what == "repeat" else self.hint_text()
        if not text:
            return
        kind = "hint" if what == "hint" else ("follow_up" if self._state_is_follow_up() else "question")
        listener = self._listener

        async def speak() -> None:
            await self._say(text, kind=kind)
            listener.mark_prompt()  # the user gets their full silence allowance after help

        self._spawn(speak())

    def _state_is_follow_up(self) -> bool:
        return self._current is not None and self._current_prompt != self._current.prompt

    def skip(self) -> None:
        """Move to the next question (what was said so far is still analysed and stored)."""
        if self.ended:
            return
        self._skip = True
        listener = self._listener
        if listener is not None:
            listener.stop("skipped")
        # a question being spoken finishes playing; `_ask_and_listen` then sees the flag

    def end(self) -> None:
        """End the round now (the End round button, /mock stop): feedback on what was answered."""
        self._request_stop("ended")

    def user_left(self) -> None:
        """The answering user left the voice channel: partial feedback, nothing lost."""
        self._request_stop("user_left")

    def disconnected(self, reason: str = "") -> None:
        """The bot was disconnected or moved: stop, store, post partial feedback and status."""
        self.disconnect_reason = reason
        self._request_stop("disconnected")

    @staticmethod
    def _round_end_reason(stop: str) -> str:
        return "round_ended" if stop == "ended" else stop

    def _request_stop(self, reason: str) -> None:
        if self.ended or self._stop_reason is not None:
            return
        self._stop_reason = reason
        listener = self._listener
        if listener is not None:
            listener.stop(self._round_end_reason(reason))

        def wake() -> None:
            if self._stop_event is not None:
                self._stop_event.set()

        self._on_loop(wake)
