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

import enum
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence, runtime_checkable

from bot.config import Settings
from bot.models import Analysis, Question, Transcript

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
    "user_left", "disconnected",
)

NUDGE_TEXT = "Take your time — keep thinking out loud."


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

    async def post_feedback(self, summary: "RoundSummary") -> None:
        """The final feedback: one `AnswerResult` per question (its Analysis) plus the overall
        picture. Also called with a partial summary when the user left or the bot was
        disconnected (`summary.status == "interrupted"`)."""
        ...

    async def round_closed(self, summary: "RoundSummary") -> None:
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

    @property
    def analyses(self) -> list[Analysis]:
        return [a.analysis for a in self.answers if a.analysis is not None]

    @property
    def average_score(self) -> int | None:
        scores = [a.score for a in self.analyses]
        return round(sum(scores) / len(scores)) if scores else None

    def overall_text(self) -> str:
        """A short overall line in plain words (the adapter may render its own)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary stored in sessions.summary_json."""
        raise NotImplementedError


QuestionPicker = Callable[[int, Sequence[str]], Question]
"""`picker(index, asked_ids) -> Question`: choose question number `index` (1-based),
avoiding the ids already asked."""


class MockRound:
    """One user's spoken mock round. Create it, then `await run()`; control it from anywhere."""

    def __init__(
        self,
        engine: "PracticeEngine",
        io: RoundIO,
        *,
        user_id: int,
        user_name: str = "",
        guild_id: int | None = None,
        channel_id: int | None = None,
        questions: Sequence[Question] | QuestionPicker,
        settings: Settings | None = None,
        speaker: "Speaker | None" = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`questions`: a list (its first settings.questions_per_round are asked) or a picker.
        `speaker`: optional, only used to pre-render upcoming prompts in the background.
        `clock`: monotonic seconds; the same base as `feed_audio(at=...)`."""
        raise NotImplementedError

    # ---- read-only state -------------------------------------------------------------------
    @property
    def state(self) -> RoundState:
        raise NotImplementedError

    @property
    def ended(self) -> bool:
        raise NotImplementedError

    @property
    def session_id(self) -> int | None:
        raise NotImplementedError

    @property
    def current_question(self) -> Question | None:
        raise NotImplementedError

    @property
    def summary(self) -> RoundSummary:
        """The results so far (complete once the round ended)."""
        raise NotImplementedError

    async def wait_state(self, state: RoundState) -> None:
        """Return once the round has entered `state` (immediately if it already is in it)."""
        raise NotImplementedError

    # ---- driving ---------------------------------------------------------------------------
    async def run(self) -> RoundSummary:
        """Run the whole round: consent, N questions with one follow-up each, feedback.

        Never raises for user-caused endings (end/leave/disconnect); they produce a partial
        summary. Returns the final summary.
        """
        raise NotImplementedError

    def feed_audio(self, pcm48_stereo: bytes, *, at: float | None = None) -> None:
        """Audio of THE answering user: 20 ms frames of 48 kHz stereo s16le (Discord PCM).

        Thread-safe; called from the voice receive thread. `at` is the arrival time on the
        round's clock (default: now). Discord sends nothing while the user is silent, so gaps
        between arrivals are filled with silence. Audio outside LISTENING is dropped.
        """
        raise NotImplementedError

    # ---- controls (thread-safe, idempotent, no-ops after the round ended) --------------------
    def done(self) -> None:
        """The user says their answer is complete (the Done button)."""
        raise NotImplementedError

    def repeat(self) -> None:
        """Speak the current question (or follow-up) again."""
        raise NotImplementedError

    def hint(self) -> None:
        """Speak a hint for the current question."""
        raise NotImplementedError

    def skip(self) -> None:
        """Move to the next question (what was said so far is still analysed and stored)."""
        raise NotImplementedError

    def end(self) -> None:
        """End the round now (the End round button, /mock stop): feedback on what was answered."""
        raise NotImplementedError

    def user_left(self) -> None:
        """The answering user left the voice channel: partial feedback, nothing lost."""
        raise NotImplementedError

    def disconnected(self, reason: str = "") -> None:
        """The bot was disconnected or moved: stop, store, post partial feedback and status."""
        raise NotImplementedError
