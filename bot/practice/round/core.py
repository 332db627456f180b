"""The state every part of a mock round shares, speaking, and stopping.

`MockRound` (driver.py) is this core plus one mixin per job: listening to an answer
(listening.py), the follow-up exchange (follow_ups.py) and the user's controls (controls.py).
Each mixin inherits `RoundCore`, so it sees the shared state and can call a step another mixin
implements (declared here, defined there).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from bot.clock import Now
from bot.config import Settings
from bot.models import Analysis, Question, Transcript
from bot.practice.audio_quality import PoorStretch
from bot.practice.listening import IncrementalListener, ListenerConfig
from bot.practice.round.extras import RoundExtras
from bot.practice.round.io import RoundIO
from bot.practice.round.results import RoundSummary
from bot.practice.round.state import RoundState
from bot.practice.tailoring import QuestionPicker
from bot.practice.talk_over import TalkOverMeter

if TYPE_CHECKING:  # pragma: no cover
    from bot.practice.engine import PracticeEngine
    from bot.speech.tts import Speaker

log = logging.getLogger("bot.practice.round")


class RoundCore:
    """One user's spoken mock round: the shared state (see `MockRound`)."""


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
        clock: Now = time.monotonic,
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
        self.clock = clock  # what `feed_audio(at=...)` times are on (the receive side uses it too)
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
        self._last_words = 0  # words transcribed of the last answer heard (told when transcription is lost)
        self._erased = False   # the owner erased their data (/privacy delete): keep nothing
        self._talk_over: TalkOverMeter | None = None  # open while a follow-up is spoken

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

    # ---- steps other parts implement ----------------------------------------------------------
    async def _listen(self) -> tuple[Transcript, str, float | None]:
        """One answer: its transcript, why it ended, and when (listening.py)."""
        raise NotImplementedError

    async def _explain_end(self, reason: str) -> None:
        """Tell the user when the round, not they, ended an answer (listening.py)."""
        raise NotImplementedError

    def _take_typed(self) -> str | None:
        """The typed answer waiting, taken (controls.py)."""
        raise NotImplementedError

    async def _record(self, analysis: Analysis, *, mode: str) -> int | None:
        """Store an analysed answer (driver.py)."""
        raise NotImplementedError

    # ---- speaking --------------------------------------------------------------------------
    def playback_started(self) -> None:
        """The front end's speech has begun playing (optional: marks the talk-over window)."""
        meter = self._talk_over
        if meter is not None:
            meter.playback_started(self._clock())

    def playback_ended(self) -> None:
        """The front end's speech has finished playing."""
        meter = self._talk_over
        if meter is not None:
            meter.playback_ended(self._clock())

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
