"""The follow-up exchange after a mock round's answer: which follow-up, asking it, hearing the reply."""

from __future__ import annotations

import asyncio

from bot.models import Question
from bot.practice.round.core import RoundCore
from bot.practice.round.results import AnswerResult, spoken_then_typed
from bot.practice.round.state import RoundState
from bot.practice.talk_over import TalkOverMeter


class FollowUpMixin(RoundCore):
    """One follow-up per answered question: the extras' own, the analysis's, or the bank's first."""

    def _choose_follow_up(self, question: Question, result: AnswerResult) -> str:
        """The follow-up to ask after `result` ("" for none)."""
        assert result.analysis is not None
        custom = self.extras.follow_up(question, result) if self.extras is not None else None
        return custom or (result.analysis.follow_up or "").strip() or self._fallback_follow_up(question)

    async def _follow_up(self, question: Question, result: AnswerResult) -> AnswerResult:
        """Ask the follow-up, hear the reply, analyse and store it (into `result`)."""
        follow_up = self._choose_follow_up(question, result)
        if not follow_up:
            return result
        result.follow_up = follow_up
        await self._set_state(RoundState.FOLLOW_UP)
        self._current_prompt = follow_up
        # the user's speech while the follow-up (a challenge) plays: talking over it
        meter = self._talk_over = TalkOverMeter(opened_at=self._clock(), voice_rms=self._listener_config.vad_rms)
        try:
            await self._say(follow_up, kind="follow_up")
        finally:
            self._talk_over = None
        result.follow_up_talk_over = meter.result(self._clock())
        if self._stop_reason is not None or self._skip:
            result.follow_up_end_reason = "skipped" if self._skip else self._stop_reason or ""
            return result
        fu_transcript, fu_reason, _ = await self._listen()
        await self._explain_end(fu_reason)
        result.follow_up_transcript, result.follow_up_end_reason = fu_transcript, fu_reason
        await self._set_state(RoundState.ANALYZING)
        typed = self._take_typed() if fu_reason == "typed" else None
        if typed:
            result.follow_up_analysis = await asyncio.to_thread(
                self.engine.analyze_text, question, spoken_then_typed(fu_transcript, typed))
            result.follow_up_attempt_id = await self._record(result.follow_up_analysis, mode="mock_follow_up")
        elif fu_transcript.words:
            result.follow_up_analysis = await asyncio.to_thread(
                self.engine.analyze_transcript, question, fu_transcript)
            result.follow_up_attempt_id = await self._record(result.follow_up_analysis, mode="mock_follow_up")
        if self.extras is not None:
            self.extras.follow_up_heard(result)
        return result

    @staticmethod
    def _fallback_follow_up(question: Question) -> str:
        return question.follow_ups[0] if question.follow_ups else ""
