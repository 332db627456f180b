"""The driver of a mock round: `MockRound.run()` walks consent, the questions and the feedback.

    CONSENT → ASKING → LISTENING → ANALYZING → FOLLOW_UP → LISTENING → ANALYZING → next question …
            → FEEDBACK → ENDED

Every answer is analysed and stored (`engine.record(mode="mock")`) as soon as it ends, so a
crash or a departure loses nothing already said; the session row is created when the round
starts and closed (done / interrupted) when it ends.
"""

from __future__ import annotations

import asyncio
import logging

from bot.models import Analysis, Question
from bot.practice.audio_quality import excuse_poor_audio
from bot.practice.round.controls import ControlsMixin
from bot.practice.round.follow_ups import FollowUpMixin
from bot.practice.round.listening import ListeningMixin
from bot.practice.round.results import AnswerResult, RoundSummary, spoken_then_typed
from bot.practice.round.state import _STOP_MESSAGES, CONSENT_TEXT, RoundState
from bot.storage.privacy import delete_user
from bot.storage.sessions import create_session, end_session

log = logging.getLogger("bot.practice.round")


class MockRound(ControlsMixin, FollowUpMixin, ListeningMixin):
    """One user's spoken mock round. Create it, then `await run()`; control it from anywhere."""

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
            result.analysis = await asyncio.to_thread(
                self.engine.analyze_text, question, spoken_then_typed(transcript, typed))
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
        if reason == "transcription_unavailable":  # a follow-up could not be heard either: next question
            return result

        return await self._follow_up(question, result)

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
        return (spoken_then_typed(transcript, typed) if typed is not None else transcript.text), reason

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
