"""Peer practice groups: several members in one voice channel take turns answering.

The session is front-end agnostic (no discord here). A front end (the `/group` cog, a test)
drives it with plain calls and renders the events it emits:

* members `join` (at most `max_members`) and `leave`; a member leaving is dropped from the
  turn order, so the turns shift to the next person;
* `start` begins the turns: each round every member answers once, in join order; a member may
  `take_interviewer` and then receives each question privately (a `QuestionCard`) to ask aloud;
* `feed_audio(user_id, pcm48, at)` takes each member's own decoded voice stream (Discord
  PCM: s16le 48 kHz stereo). Only the current answerer's audio goes into the answer; the
  others' voiced audio during an answer counts as talking over them ("crosstalk"). Every
  member's voiced seconds add up to their talk time;
* `poll(now)` runs the timers (the turn limit with a warning near the end, an end silence,
  the rating window). `run_timers` calls it on a clock, and tests call it with a controlled
  clock, so nothing sleeps in tests;
* after each answer the engine transcribes and analyses it, the attempt is stored
  (mode ``group``), and the other members rate it anonymously for a limited time; missing
  ratings never hold the group up;
* `end` (or the last round) produces the summary: each member's score, talk-time share,
  crosstalk, top flags, average peer ratings, and the strongest answer.

`feed_audio` may be called from the voice receive thread; everything else runs on the event
loop. Events are emitted after the session's lock is released, so a listener may call back in.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from bot.feedback import top_fixes
from bot.models import Analysis, Question
from bot.practice.listening import IncrementalListener, ListenerConfig
from bot.practice.ratings import EMPTY, Rating, RatingAggregate, RatingError, RatingWindow, combine
from bot.storage.privacy import delete_user

if TYPE_CHECKING:
    from bot.practice.engine import PracticeEngine
    from bot.storage.groups import GroupStore

log = logging.getLogger(__name__)

MAX_MEMBERS = 8
# The answerer id a turn keeps once its member erased their data (/privacy delete): no member has it.
ERASED = 0
_LISTENER_ENDS = ("silence", "phrase")
PCM_RATE = 48000
PCM_BYTES_PER_SECOND = PCM_RATE * 2 * 2  # s16le stereo
FRAME_S = 0.02  # Discord's 20 ms frames: the unit of voice activity
FRAME_BYTES = int(PCM_BYTES_PER_SECOND * FRAME_S)


# --------------------------------------------------------------------------- clocks


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Monotonic seconds and asyncio.sleep: the clock a live bot uses."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock that moves only when told; `sleep` wakes when `advance` passes its deadline."""

    def __init__(self, start: float = 1000.0) -> None:
        self._t = float(start)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._watchers: list[asyncio.Future[None]] = []

    def now(self) -> float:
        return self._t

    async def sleep(self, seconds: float) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._t + max(0.0, seconds), next(self._seq), fut))
        watchers, self._watchers = self._watchers, []
        for w in watchers:
            if not w.done():
                w.set_result(None)
        await fut

    async def wait_sleeping(self) -> None:
        """Return once some task is asleep on this clock (so `advance` will wake it)."""
        while not any(not f.done() for _, _, f in self._sleepers):
            w: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._watchers.append(w)
            await w

    def advance(self, seconds: float) -> None:
        self._t += seconds
        while self._sleepers and self._sleepers[0][0] <= self._t:
            _, _, fut = heapq.heappop(self._sleepers)
            if not fut.done():
                fut.set_result(None)


# --------------------------------------------------------------------------- errors


class GroupError(Exception):
    """Something a member asked for can't be done; the message says why, for the user."""


class GroupFull(GroupError):
    pass


class NotAMember(GroupError):
    pass


# --------------------------------------------------------------------------- state


class Phase(str, Enum):
    LOBBY = "lobby"
    ANSWERING = "answering"
    ANALYZING = "analyzing"
    RATING = "rating"
    ENDED = "ended"


@dataclass
class GroupConfig:
    rounds: int = 1
    category: str | None = None
    max_members: int = MAX_MEMBERS
    turn_seconds: float = 150.0
    warning_seconds: float = 20.0  # the spoken warning comes this long before the turn's end
    rating_seconds: float = 45.0
    end_silence_s: float | None = 15.0  # the answer ends after this much silence (None: only timer/Done)
    voice_rms: float = 0.01  # a 20 ms frame louder than this (fraction of full scale) is speech
    crosstalk_gap_s: float = 1.0  # voiced frames closer than this belong to one talking-over episode
    min_answer_voiced_s: float = 0.3  # less speech than this is "no answer"

    def __post_init__(self) -> None:
        if not 1 <= self.rounds <= 10:
            raise GroupError("rounds must be between 1 and 10")
        if not 1 <= self.max_members <= MAX_MEMBERS:
            raise GroupError(f"a group has between 1 and {MAX_MEMBERS} members")
        if self.turn_seconds <= 0 or self.rating_seconds <= 0:
            raise GroupError("turn and rating times must be positive")
        if not 0 <= self.warning_seconds < self.turn_seconds:
            raise GroupError("the warning must come before the end of the turn")


@dataclass
class MemberState:
    user_id: int
    name: str
    joined_at: float
    active: bool = True
    talk_s: float = 0.0  # voiced seconds, whole session
    crosstalk_s: float = 0.0  # voiced seconds while someone else was answering
    crosstalk_count: int = 0  # separate episodes of talking over
    _last_crosstalk_at: float | None = None


@dataclass
class Turn:
    number: int
    round_no: int
    answerer_id: int
    question: Question
    started_at: float
    deadline: float
    interviewer_id: int | None = None
    warned: bool = False
    origin: float = 0.0  # answer time 0, in clock seconds
    listener: IncrementalListener | None = field(default=None, repr=False)  # the answerer's audio only
    voiced_s: float = 0.0
    last_voiced_at: float | None = None
    text: str | None = None  # a typed answer (voice fallback)
    crosstalk_s: dict[int, float] = field(default_factory=dict)
    ended_at: float | None = None
    end_reason: str = ""  # done | time | silence | left | text | ended
    analysis: Analysis | None = None
    attempt_id: int | None = None
    error: str = ""
    ratings: RatingWindow | None = None
    rating_result: RatingAggregate = EMPTY
    task: asyncio.Future[None] | None = field(default=None, repr=False, compare=False)

    @property
    def answered(self) -> bool:
        return self.analysis is not None


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class MemberJoined:
    user_id: int
    name: str
    count: int


@dataclass(frozen=True)
class MemberLeft:
    user_id: int
    name: str
    count: int
    was_answering: bool


@dataclass(frozen=True)
class MemberErased:
    """A member erased their data: they left the group and nothing of theirs is in it any more."""

    count: int
    was_answering: bool


@dataclass(frozen=True)
class TurnStarted:
    turn: Turn
    spoken: str  # what the bot says aloud to open the turn


@dataclass(frozen=True)
class QuestionCard:
    """Shown only to the member acting as interviewer."""

    turn_number: int
    interviewer_id: int
    answerer_id: int
    question: Question


@dataclass(frozen=True)
class TimeWarning:
    turn_number: int
    answerer_id: int
    seconds_left: float
    spoken: str


@dataclass(frozen=True)
class AnswerEnded:
    turn_number: int
    answerer_id: int
    reason: str


@dataclass(frozen=True)
class AnswerAnalyzed:
    turn: Turn  # turn.analysis is None when nothing usable was said (see turn.error)


@dataclass(frozen=True)
class RatingOpened:
    turn_number: int
    answerer_id: int
    raters: tuple[int, ...]
    closes_at: float


@dataclass(frozen=True)
class RatingClosed:
    turn_number: int
    answerer_id: int
    result: RatingAggregate


@dataclass(frozen=True)
class GroupEnded:
    reason: str
    summary: dict[str, Any]


GroupEvent = (
    MemberJoined | MemberLeft | MemberErased | TurnStarted | QuestionCard | TimeWarning | AnswerEnded
    | AnswerAnalyzed | RatingOpened | RatingClosed | GroupEnded
)
Listener = Callable[[Any], Awaitable[None]]


# --------------------------------------------------------------------------- audio helpers


def voiced_frames(pcm: bytes, threshold: float) -> np.ndarray:
    """One bool per 20 ms frame of Discord PCM: is its RMS above `threshold` (of full scale)?"""
    usable = len(pcm) - len(pcm) % 4
    if usable <= 0:
        return np.zeros(0, dtype=bool)
    x = np.frombuffer(pcm[:usable], dtype="<i2").astype(np.float32) / 32768.0
    per_frame = FRAME_BYTES // 2
    n_full = x.size // per_frame
    rms = []
    if n_full:
        rms.append(np.sqrt(np.mean(np.square(x[: n_full * per_frame].reshape(n_full, per_frame)), axis=1)))
    tail = x[n_full * per_frame:]
    if tail.size >= per_frame // 4:  # a torn tail frame of at least 5 ms still counts
        rms.append(np.sqrt(np.mean(np.square(tail)))[None])
    if not rms:
        return np.zeros(0, dtype=bool)
    return np.concatenate(rms) > threshold


# --------------------------------------------------------------------------- the session


class GroupSession:
    """One group practising in one voice channel."""

    def __init__(
        self,
        engine: PracticeEngine,
        *,
        guild_id: int | None,
        channel_id: int | None,
        owner_id: int,
        config: GroupConfig | None = None,
        store: GroupStore | None = None,
        clock: Clock | None = None,
        listener: Listener | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.engine = engine
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.owner_id = owner_id
        self.config = config or GroupConfig()
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self.listener = listener
        self.rng = rng or random.Random()
        self.session_id: int | None = None
        self.phase = Phase.LOBBY
        self.round_no = 0
        self.members: dict[int, MemberState] = {}  # join order
        self.turns: list[Turn] = []
        self.interviewer_id: int | None = None
        self.paused_at: float | None = None
        self.end_reason = ""
        self.ended_by_id: int | None = None  # who pressed end (an id: names are rendered, never stored)
        self._queue: list[int] = []
        self._used_questions: list[str] = []
        self._lock = asyncio.Lock()
        self._audio_lock = threading.Lock()
        self._outbox: list[Any] = []
        self._processing: asyncio.Task[None] | None = None
        self._summary: dict[str, Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeups: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ views

    @property
    def current(self) -> Turn | None:
        return self.turns[-1] if self.turns else None

    @property
    def active_members(self) -> list[MemberState]:
        return [m for m in self.members.values() if m.active]

    def is_member(self, user_id: int) -> bool:
        m = self.members.get(user_id)
        return m is not None and m.active

    def name_of(self, user_id: int) -> str:
        """A member's display name for rendering; "a former member" for one who erased their data."""
        m = self.members.get(user_id)
        return m.name if m is not None else "a former member"

    def upcoming(self) -> list[int]:
        """Who answers next in this round, in order (the current answerer excluded)."""
        return [u for u in self._queue if self._can_answer(u)]

    # ------------------------------------------------------------------ membership

    async def open(self) -> None:
        """Create the stored session (when a store is attached)."""
        self._loop = asyncio.get_running_loop()
        if self.store is not None and self.session_id is None:
            self.session_id = await self.store.create_session(
                guild_id=self.guild_id, channel_id=self.channel_id, owner_id=self.owner_id
            )

    async def join(self, user_id: int, name: str = "") -> MemberState:
        async with self._lock:
            if self.phase is Phase.ENDED:
                raise GroupError("this group has ended; start a new one with /group start")
            existing = self.members.get(user_id)
            if existing is not None and existing.active:
                raise GroupError("you're already in this group")
            if len(self.active_members) >= self.config.max_members:
                raise GroupFull(
                    f"this group is full ({self.config.max_members} members); "
                    "ask someone to /group leave, or start another group after this one"
                )
            if existing is not None:  # rejoining keeps their figures
                existing.active = True
                existing.name = name or existing.name
                member = existing
            else:
                member = MemberState(user_id, name or str(user_id), self.clock.now())
                self.members[user_id] = member
            if self.phase is not Phase.LOBBY and user_id not in self._queue:
                self._queue.append(user_id)  # a late joiner still gets a turn this round
            if self.store is not None and self.session_id is not None:
                await self.store.add_member(self.session_id, user_id, member.name)
            self._outbox.append(MemberJoined(user_id, member.name, len(self.active_members)))
        await self._flush()
        return member

    async def leave(self, user_id: int) -> None:
        """The member goes (command or voice disconnect). Their answer in progress is kept."""
        closing: Turn | None = None
        async with self._lock:
            member = self.members.get(user_id)
            if member is None or not member.active:
                raise NotAMember("you're not in this group")
            member.active = False
            self._queue = [u for u in self._queue if u != user_id]
            if self.interviewer_id == user_id:
                self.interviewer_id = None
            elif self.interviewer_id is not None and len(self.active_members) < 2:
                self._release_interviewer()  # nobody left to interview: the bot asks again
            turn = self.current
            answering = self.phase is Phase.ANSWERING and turn is not None and turn.answerer_id == user_id
            if answering:
                closing = self._close_answer("left")
            if self.phase is Phase.RATING and turn is not None and turn.ratings is not None:
                turn.ratings.withdraw_rater(user_id)
            self._outbox.append(MemberLeft(user_id, member.name, len(self.active_members), answering))
            if not self.active_members and self.phase is not Phase.ENDED and closing is None:
                await self._finish("everyone left")
            elif self.phase is Phase.RATING and turn is not None and turn.ratings is not None \
                    and turn.ratings.due(self.clock.now()):
                await self._close_rating(turn)
            await self._save_progress()
        await self._flush()
        if closing is not None:
            await self._process(closing)

    async def erase_member(self, user_id: int) -> bool:
        """The member erased their data (/privacy delete): they leave the group at once and every
        trace of them leaves its state (their figures, answers, ratings, crosstalk, the interviewer's
        seat, ownership), so no later summary or progress write can bring them back. An answer of
        theirs in progress is dropped, not analysed; one being analysed is not stored (`_analyze`).
        Returns whether the session held anything of theirs."""
        async with self._lock:
            member = self.members.get(user_id)
            touched = member is not None or self.ended_by_id == user_id or any(
                user_id in (t.answerer_id, t.interviewer_id) for t in self.turns)
            if not touched:
                return False
            turn = self.current
            answering = self.phase is Phase.ANSWERING and turn is not None and turn.answerer_id == user_id
            with self._audio_lock:  # feed_audio reads members and the turn on the receive thread
                self.members.pop(user_id, None)
                if answering:
                    assert turn is not None
                    self.phase = Phase.ANALYZING  # briefly: `_advance` below starts the next turn
                    turn.ended_at = self.clock.now()
                    turn.end_reason = "erased"
                for t in self.turns:
                    self._scrub_turn(t, user_id)
            self._queue = [u for u in self._queue if u != user_id]
            if self.ended_by_id == user_id:
                self.ended_by_id = None
            if self.interviewer_id == user_id:
                self.interviewer_id = None
            elif self.interviewer_id is not None and len(self.active_members) < 2:
                self._release_interviewer()
            if self.owner_id == user_id:  # the next member in join order runs the group
                self.owner_id = next((m.user_id for m in self.active_members), ERASED)
            if answering:
                assert turn is not None
                self._outbox.append(AnswerEnded(turn.number, ERASED, "erased"))
            self._outbox.append(MemberErased(len(self.active_members), answering))
            if self.phase is not Phase.ENDED:
                rating = turn.ratings if self.phase is Phase.RATING and turn is not None else None
                if not self.active_members:
                    await self._finish("everyone left")
                elif answering:
                    await self._advance()
                elif turn is not None and rating is not None and (
                        turn.answerer_id == ERASED or rating.due(self.clock.now())):
                    await self._close_rating(turn)  # an erased answer has nothing left to rate
                if turn is not None and turn.answerer_id == ERASED:
                    turn.ratings, turn.rating_result = None, EMPTY
                await self._save_progress()
            elif self._summary is not None:  # ended already: the stored summary is rewritten without them
                self._summary = self.summary()
                if self.store is not None and self.session_id is not None:
                    await self.store.finish(self.session_id, self._summary, status="done")
        await self._flush()
        return True

    @staticmethod
    def _scrub_turn(turn: Turn, user_id: int) -> None:
        """Audio lock held: `user_id` leaves one turn."""
        if turn.answerer_id == user_id:
            turn.answerer_id = ERASED
            turn.analysis = None
            turn.text = None
            turn.attempt_id = None
            turn.rating_result = EMPTY
            turn.crosstalk_s.clear()
            if turn.listener is not None and (turn.task is None or turn.task.done()):
                turn.listener.close()  # one being analysed is closed by `_analyze`
            if turn.ratings is not None and turn.ratings.closed:  # an open window is closed by the caller
                turn.ratings = None
            return
        if turn.interviewer_id == user_id:
            turn.interviewer_id = None
        turn.crosstalk_s.pop(user_id, None)
        if turn.ratings is not None:
            turn.ratings.erase_rater(user_id)
            if turn.ratings.closed and turn.answerer_id != ERASED:
                turn.rating_result = turn.ratings.result()

    async def take_interviewer(self, user_id: int) -> None:
        """`user_id` asks the questions (from a private card) instead of answering."""
        async with self._lock:
            if not self.is_member(user_id):
                raise NotAMember("join the group first")
            if self.interviewer_id is not None and self.interviewer_id != user_id:
                raise GroupError("someone is already the interviewer")
            if len(self.active_members) < 2:
                raise GroupError("the interviewer needs at least one other member to ask")
            turn = self.current
            if self.phase is Phase.ANSWERING and turn is not None and turn.answerer_id == user_id:
                raise GroupError("finish your answer first, then take the interviewer's seat")
            self.interviewer_id = user_id

    async def release_interviewer(self, user_id: int) -> None:
        async with self._lock:
            if self.interviewer_id != user_id:
                raise GroupError("you're not the interviewer")
            self._release_interviewer()

    def _release_interviewer(self) -> None:
        """Lock held: the interviewer answers again, this round too if they haven't yet."""
        uid, self.interviewer_id = self.interviewer_id, None
        if uid is None or self.phase is Phase.LOBBY or uid in self._queue:
            return
        if not any(t.answerer_id == uid and t.round_no == self.round_no for t in self.turns):
            self._queue.append(uid)

    # ------------------------------------------------------------------ turns

    async def start(self) -> None:
        async with self._lock:
            if self.phase is not Phase.LOBBY:
                raise GroupError("the group has already started")
            if not self.active_members:
                raise GroupError("nobody has joined yet")
            self._loop = asyncio.get_running_loop()
            await self._advance()
        await self._flush()

    def _can_answer(self, user_id: int) -> bool:
        return self.is_member(user_id) and user_id != self.interviewer_id

    def _pick_question(self) -> Question:
        bank = self.engine.bank
        try:
            q = bank.pick(category=self.config.category, exclude=tuple(self._used_questions), rng=self.rng)
        except (LookupError, ValueError):  # every question of the category used: start over
            q = bank.pick(category=self.config.category, rng=self.rng)
        self._used_questions.append(q.id)
        return q

    async def _advance(self) -> None:
        """Start the next turn, the next round, or finish (lock held)."""
        if not self.active_members:
            await self._finish("everyone left")
            return
        while True:
            while self._queue and not self._can_answer(self._queue[0]):
                self._queue.pop(0)
            if self._queue:
                break
            if self.round_no >= self.config.rounds:
                await self._finish("completed")
                return
            self.round_no += 1
            self._queue = [m.user_id for m in self.active_members if self._can_answer(m.user_id)]
            if not self._queue:
                await self._finish("nobody left to answer")
                return
        answerer = self._queue.pop(0)
        now = self.clock.now()
        interviewer = self.interviewer_id if self.interviewer_id != answerer else None
        turn = Turn(
            number=len(self.turns) + 1, round_no=self.round_no, answerer_id=answerer,
            question=self._pick_question(), started_at=now, deadline=now + self.config.turn_seconds,
            interviewer_id=interviewer, origin=now,
        )
        with self._audio_lock:
            self.turns.append(turn)
            self.phase = Phase.ANSWERING
        name = self.members[answerer].name
        if interviewer is not None:
            spoken = f"{name}, you're up. {self.members[interviewer].name} will ask you the question."
            self._outbox.append(TurnStarted(turn, spoken))
            self._outbox.append(QuestionCard(turn.number, interviewer, answerer, turn.question))
        else:
            spoken = f"{name}, you're up. {turn.question.prompt}"
            self._outbox.append(TurnStarted(turn, spoken))

    def question_delivered(self, at: float | None = None) -> None:
        """The question has been spoken: the answer's clock starts now (if they haven't begun)."""
        at = self.clock.now() if at is None else at
        with self._audio_lock:
            turn = self.current
            if self.phase is Phase.ANSWERING and turn is not None and turn.listener is None:
                if at > turn.origin:
                    turn.deadline += at - turn.origin
                    turn.origin = at
                self._ensure_listener(turn)

    def feed_audio(self, user_id: int, pcm: bytes, at: float | None = None) -> None:
        """One member's decoded voice (s16le 48 kHz stereo) that started at clock time `at`."""
        if not pcm:
            return
        at = self.clock.now() if at is None else at
        voiced = voiced_frames(pcm, self.config.voice_rms)
        n_voiced = int(voiced.sum())
        listener: IncrementalListener | None = None
        with self._audio_lock:
            member = self.members.get(user_id)
            if member is None or not member.active or self.phase in (Phase.LOBBY, Phase.ENDED):
                return  # never use audio of people outside the group, or before it starts
            member.talk_s += n_voiced * FRAME_S
            turn = self.current
            if self.phase is not Phase.ANSWERING or turn is None:
                return
            if user_id == turn.answerer_id:
                listener = self._ensure_listener(turn)
                if n_voiced:
                    turn.voiced_s += n_voiced * FRAME_S
                    last = int(np.flatnonzero(voiced)[-1])
                    turn.last_voiced_at = at + (last + 1) * FRAME_S
            elif n_voiced and user_id != turn.interviewer_id:
                self._count_crosstalk(member, turn, voiced, at)
        if listener is not None:  # resampling and the VAD run outside our lock
            listener.feed_pcm48(pcm, at=at + len(pcm) / PCM_BYTES_PER_SECOND)

    def _ensure_listener(self, turn: Turn) -> IncrementalListener:
        """Audio lock held: the answer's incremental listener, started at the answer's time 0."""
        if turn.listener is None:
            cfg = self.config
            never = cfg.turn_seconds + 60.0  # the turn timer decides these, not the listener
            lc = ListenerConfig.from_settings(
                self.engine.settings,
                end_silence_s=cfg.end_silence_s if cfg.end_silence_s is not None else never,
                long_silence_s=min(self.engine.settings.long_silence_s, never - 1),
                max_answer_s=never, no_speech_timeout_s=never, vad_rms=cfg.voice_rms,
            )
            turn.listener = IncrementalListener(
                self.engine.transcriber.transcribe_sync, lc, clock=self.clock.now,
                on_end=self._listener_ended, name=f"group-{self.session_id}-turn-{turn.number}",
            )
            turn.listener.start(turn.origin)
        return turn.listener

    def _listener_ended(self, reason: str) -> None:
        """Any thread: the listener heard the end ("that's my answer", a long silence); act now."""
        loop = self._loop
        if loop is None or reason not in _LISTENER_ENDS or loop.is_closed():
            return

        def wake() -> None:
            task = asyncio.ensure_future(self.poll())
            self._wakeups.add(task)
            task.add_done_callback(self._wakeups.discard)

        loop.call_soon_threadsafe(wake)

    def _count_crosstalk(self, member: MemberState, turn: Turn, voiced: np.ndarray, at: float) -> None:
        for i in np.flatnonzero(voiced):
            t = at + float(i) * FRAME_S
            last = member._last_crosstalk_at
            if last is None or t - last > self.config.crosstalk_gap_s:
                member.crosstalk_count += 1
            member._last_crosstalk_at = t + FRAME_S
            member.crosstalk_s += FRAME_S
            turn.crosstalk_s[member.user_id] = turn.crosstalk_s.get(member.user_id, 0.0) + FRAME_S

    async def answer_done(self, user_id: int) -> None:
        """The answerer (or the interviewer, or the group's owner) says the answer is over."""
        async with self._lock:
            turn = self.current
            if self.phase is not Phase.ANSWERING or turn is None:
                raise GroupError("nobody is answering right now")
            if user_id not in (turn.answerer_id, turn.interviewer_id, self.owner_id):
                raise GroupError("only the person answering can end their answer")
            closing = self._close_answer("done")
        await self._flush()
        await self._process(closing)

    async def submit_text_answer(self, user_id: int, text: str) -> None:
        """A typed answer, for when a member's voice can't be heard (it replaces their audio)."""
        text = (text or "").strip()
        if not text:
            raise GroupError("the answer is empty; type what you would say")
        async with self._lock:
            turn = self.current
            if self.phase is not Phase.ANSWERING or turn is None or turn.answerer_id != user_id:
                raise GroupError("you can type an answer only during your own turn")
            turn.text = text
            closing = self._close_answer("text")
        await self._flush()
        await self._process(closing)

    def _close_answer(self, reason: str) -> Turn:
        turn = self.current
        assert turn is not None
        with self._audio_lock:
            self.phase = Phase.ANALYZING
            turn.ended_at = self.clock.now()
            turn.end_reason = reason
        # started here, under the lock, so `end` always sees an analysis in flight and waits for it
        turn.task = self._processing = asyncio.ensure_future(self._analyze(turn))
        self._outbox.append(AnswerEnded(turn.number, turn.answerer_id, reason))
        return turn

    async def _process(self, turn: Turn) -> None:
        """Analyse and store the answer (outside the lock), then open the rating window."""
        task = turn.task
        if task is not None:
            await asyncio.shield(task)
        async with self._lock:
            if self._processing is task:
                self._processing = None
            if turn.answerer_id != ERASED:  # an erased member's answer is not shown either
                self._outbox.append(AnswerAnalyzed(turn))
            if self.phase is not Phase.ENDED:  # after `end`, `end` itself writes the summary
                await self._after_answer(turn)
                await self._save_progress()
        await self._flush()

    async def _analyze(self, turn: Turn) -> None:
        member = self.members.get(turn.answerer_id)
        if member is None:  # erased before the analysis began
            if turn.listener is not None:
                turn.listener.close()
            return
        try:
            if turn.text is not None:
                analysis = self.engine.analyze_text(turn.question, turn.text)
            else:
                if turn.listener is None or turn.voiced_s < self.config.min_answer_voiced_s:
                    turn.error = "no speech was heard"
                    return
                # most of the answer was transcribed while it was spoken; this waits for the tail
                transcript = await turn.listener.transcript()
                if not transcript.words:
                    turn.error = "no words could be recognised"
                    return
                analysis = self.engine.analyze_transcript(turn.question, transcript)
            if turn.answerer_id != member.user_id:  # erased while it was transcribed: keep nothing
                return
            turn.analysis = analysis
            attempt_id: int | None
            if self.store is not None:
                attempt_id = await self.store.record_attempt(
                    analysis, user_id=member.user_id, user_name=member.name,
                    guild_id=self.guild_id, session_id=self.session_id,
                )
            else:
                attempt_id = await self.engine.record(
                    analysis, user_id=member.user_id, user_name=member.name, mode="group",
                    guild_id=self.guild_id, session_id=self.session_id,
                )
            if turn.answerer_id != member.user_id:
                # erased while it was being stored: the erasure may have run before this write
                # landed, so it is erased again rather than left behind
                await self._erase_late_write(member.user_id)
                return
            turn.attempt_id = attempt_id
        except Exception:  # one bad answer must not end the group
            log.exception("analysing turn %d of group %s failed", turn.number, self.session_id)
            turn.error = "the answer could not be analysed"
        finally:
            if turn.listener is not None:
                turn.listener.close()

    async def _erase_late_write(self, user_id: int) -> None:
        db = self.store.db if self.store is not None else self.engine.db
        if db is None:
            return
        try:
            await delete_user(db, user_id)
        except Exception:
            log.exception("group %s: could not erase a write that landed after an erasure", self.session_id)

    async def _after_answer(self, turn: Turn) -> None:
        raters = [m.user_id for m in self.active_members if m.user_id != turn.answerer_id]
        if turn.analysis is None or not raters:
            await self._advance()
            return
        now = self.clock.now()
        turn.ratings = RatingWindow(
            answerer_id=turn.answerer_id, raters=raters, opened_at=now, seconds=self.config.rating_seconds
        )
        self.phase = Phase.RATING
        self._outbox.append(RatingOpened(turn.number, turn.answerer_id, tuple(raters), turn.ratings.closes_at))

    # ------------------------------------------------------------------ ratings

    async def rate(self, rater_id: int, turn_number: int, rating: Rating | dict[str, Any]) -> int:
        """Record an anonymous rating; returns how many ratings the window still waits for."""
        if not isinstance(rating, Rating):
            rating = Rating.from_mapping(rating)
        async with self._lock:
            turn = self.turns[turn_number - 1] if 0 < turn_number <= len(self.turns) else None
            if turn is None or turn.ratings is None:
                raise RatingError("there is no answer to rate there")
            if self.phase is not Phase.RATING or turn is not self.current:
                raise RatingError("the rating time for that answer is over; your rating was not counted")
            turn.ratings.submit(rater_id, rating, self.clock.now())
            if self.store is not None and turn.attempt_id is not None:
                await self.store.save_rating(turn.attempt_id, rater_id, rating)
            pending = turn.ratings.pending
            if turn.ratings.complete:
                await self._close_rating(turn)
        await self._flush()
        return pending

    async def _close_rating(self, turn: Turn) -> None:
        assert turn.ratings is not None
        turn.rating_result = turn.ratings.close()
        self._outbox.append(RatingClosed(turn.number, turn.answerer_id, turn.rating_result))
        await self._advance()

    # ------------------------------------------------------------------ timers

    async def poll(self, now: float | None = None) -> None:
        """Fire whatever timer is due: warning, turn end, end silence, rating window."""
        closing: Turn | None = None
        async with self._lock:
            now = self.clock.now() if now is None else now
            turn = self.current
            if self.paused_at is not None or turn is None:
                pass
            elif self.phase is Phase.ANSWERING:
                cfg = self.config
                listener = turn.listener
                if listener is not None:
                    listener.tick(now)  # Discord sends nothing during silence: let it advance
                if now >= turn.deadline:
                    closing = self._close_answer("time")
                elif listener is not None and listener.end_reason in _LISTENER_ENDS:
                    # a long end silence, or "that's my answer" heard at the end
                    closing = self._close_answer(str(listener.end_reason))
                elif not turn.warned and cfg.warning_seconds > 0 and now >= turn.deadline - cfg.warning_seconds:
                    turn.warned = True
                    left = max(0.0, turn.deadline - now)
                    self._outbox.append(TimeWarning(
                        turn.number, turn.answerer_id, left,
                        f"{self.members[turn.answerer_id].name}, about {round(left)} seconds left. "
                        "Time to land your answer.",
                    ))
            elif self.phase is Phase.RATING and turn.ratings is not None and turn.ratings.due(now):
                await self._close_rating(turn)
        await self._flush()
        if closing is not None:
            await self._process(closing)

    async def run_timers(self, tick: float = 0.25) -> None:
        """Poll on the session's clock until the group ends (run it as a task)."""
        while self.phase is not Phase.ENDED:
            await self.clock.sleep(tick)
            try:
                await self.poll()
            except Exception:
                log.exception("group %s: timer step failed", self.session_id)

    def pause(self) -> None:
        """The voice connection dropped: freeze the timers until `resume`."""
        if self.paused_at is None:
            self.paused_at = self.clock.now()

    def resume(self) -> None:
        if self.paused_at is None:
            return
        gap = self.clock.now() - self.paused_at
        self.paused_at = None
        turn = self.current
        if turn is None:
            return
        if self.phase is Phase.ANSWERING:
            turn.deadline += gap
            if turn.last_voiced_at is not None:
                turn.last_voiced_at += gap
        elif self.phase is Phase.RATING and turn.ratings is not None:
            turn.ratings.closes_at += gap

    # ------------------------------------------------------------------ the end

    async def end(self, reason: str = "ended", *, by: int | None = None) -> dict[str, Any]:
        """Stop the group (an answer in progress is kept) and return the summary. `by`: the id
        of the member who ended it (stored as an id; a front end renders the name)."""
        closing: Turn | None = None
        async with self._lock:
            if self.phase is Phase.ENDED and self._summary is not None:
                return self._summary
            if by is not None and self.ended_by_id is None:
                self.ended_by_id = by
            if self.phase is Phase.ANSWERING:
                closing = self._close_answer("ended")
            self.end_reason = reason
            self.phase = Phase.ENDED
            turn = self.current
            if turn is not None and turn.ratings is not None and not turn.ratings.closed:
                turn.rating_result = turn.ratings.close()
            if closing is None and self._processing is None:
                await self._finish(reason)
        await self._flush()
        pending = self._processing
        if closing is not None:
            await self._process(closing)
        elif pending is not None:
            await asyncio.shield(pending)
        async with self._lock:
            if self._summary is None or closing is not None or pending is not None:
                await self._finish(reason, rewrite=True)
        await self._flush()
        assert self._summary is not None
        return self._summary

    async def _finish(self, reason: str, *, rewrite: bool = False) -> None:
        """Lock held: compute, store and announce the summary."""
        with self._audio_lock:
            self.phase = Phase.ENDED
        self.end_reason = self.end_reason or reason
        first = self._summary is None
        self._summary = self.summary()
        if self.store is not None and self.session_id is not None:
            await self.store.finish(self.session_id, self._summary, status="done")
        if first or rewrite:
            self._outbox = [e for e in self._outbox if not isinstance(e, GroupEnded)]
            self._outbox.append(GroupEnded(self.end_reason, self._summary))

    def summary(self) -> dict[str, Any]:
        """Each member's figures and the strongest answer. Peer ratings appear only as means."""
        answered = [t for t in self.turns if t.analysis is not None]
        total_talk = sum(m.talk_s for m in self.members.values())
        members = []
        for m in self.members.values():
            mine = [t for t in answered if t.answerer_id == m.user_id]
            scores = [t.analysis.score for t in mine if t.analysis is not None]
            flags: Counter[str] = Counter()
            messages: dict[str, str] = {}
            severity: dict[str, int] = {}
            for t in mine:
                assert t.analysis is not None
                for f in top_fixes(t.analysis, 5):  # duplicates of one advice folded, as in feedback
                    flags[f.code] += 1
                    messages.setdefault(f.code, f.message)
                    severity[f.code] = max(severity.get(f.code, 0), f.severity)
            # most frequent first; among equals the more serious
            top = sorted(flags.items(), key=lambda kv: (-kv[1], -severity[kv[0]], kv[0]))[:3]
            best = max(mine, key=lambda t: (t.analysis.score if t.analysis else 0, -t.number), default=None)
            members.append({
                "user_id": m.user_id,
                "name": m.name,
                "left": not m.active,
                "answers": len(mine),
                "turns": sum(1 for t in self.turns if t.answerer_id == m.user_id),
                "score": round(sum(scores) / len(scores)) if scores else None,
                "scores": scores,
                "talk_s": round(m.talk_s, 2),
                "talk_share": round(m.talk_s / total_talk, 3) if total_talk > 0 else 0.0,
                "crosstalk_s": round(m.crosstalk_s, 2),
                "crosstalk_count": m.crosstalk_count,
                "top_flags": [{"code": c, "count": n, "message": messages[c]} for c, n in top],
                "peer_ratings": combine(t.rating_result for t in mine).to_dict(),
                "best_attempt_id": best.attempt_id if best else None,
            })
        strongest = None
        if answered:
            s = max(answered, key=lambda t: (
                t.analysis.score if t.analysis else 0, t.rating_result.overall or 0.0, -t.number))
            assert s.analysis is not None
            strongest = {
                "user_id": s.answerer_id,
                "name": self.members[s.answerer_id].name,
                "turn": s.number,
                "question_id": s.question.id,
                "score": s.analysis.score,
                "peer_overall": s.rating_result.overall,
                "attempt_id": s.attempt_id,
            }
        return {
            "kind": "group",
            "session_id": self.session_id,
            "status": "done" if self.phase is Phase.ENDED else "running",
            "end_reason": self.end_reason,
            "ended_by_id": self.ended_by_id,
            "category": self.config.category,
            "rounds": self.config.rounds,
            "rounds_played": self.round_no,
            "turns": len(self.turns),
            "answers": len(answered),
            "members": members,
            "strongest": strongest,
        }

    async def _save_progress(self) -> None:
        """Lock held: keep the running figures in the database, so a restart loses little."""
        if self.store is None or self.session_id is None or self.phase is Phase.ENDED:
            return
        try:
            await self.store.save_progress(self.session_id, self.summary())
        except Exception:
            log.exception("could not save the progress of group %s", self.session_id)

    # ------------------------------------------------------------------ events

    async def _flush(self) -> None:
        events, self._outbox = self._outbox, []
        if self.listener is None:
            return
        for event in events:
            try:
                await self.listener(event)
            except Exception:  # a front end that fails to render must not stop the group
                log.exception("group %s: the listener failed on %s", self.session_id, type(event).__name__)
