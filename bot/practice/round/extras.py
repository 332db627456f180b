"""The optional stages of a mock round (`MockRound(extras=...)`): pushback and the candidate's questions.

- Pushback (`/mock start pushback:True`): after an answer that commits to a decision, the follow-up
  is a challenge from the question's `challenges` in the bank; the reply is judged (see
  bot/practice/pushback.py) and the moment goes into the feedback, quoted. Speaking over the
  challenge while it plays (more than `talk_over_tolerance_s` of voiced speech, measured by the
  round, bot/practice/talk_over.py) caps the verdict at "rigid": "talked over the challenge".
- The candidate's questions (on by default): after the last question, the round invites the
  member's own questions for the interviewer, listens, and judges them against the guide's advice
  (bot/practice/candidate_questions.py). Silence gets advice rather than an error.

Results land in `summary.extras["pushback"]` (a list, one per challenged answer) and
`summary.extras["candidate_questions"]`, as plain dicts, and as `feedback_lines` for any front end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from bot.models import Analysis, Question
from bot.practice.candidate_questions import judge_candidate_questions
from bot.practice.pushback import Moment, choose_challenge, feedback_lines, find_decision, judge_reply
from bot.practice.retry import compare_with_attempt
from bot.practice.round.io import RoundIO
from bot.practice.round.results import AnswerResult, RoundSummary
from bot.practice.tailoring import RoleNeeds, role_follow_up
from bot.practice.talk_over import TALK_OVER_TOLERANCE_S

log = logging.getLogger(__name__)


class ExtrasHost(Protocol):
    """What an extra stage may use of its round (a `MockRound`)."""

    io: RoundIO

    @property
    def summary(self) -> RoundSummary: ...

    @property
    def ended(self) -> bool: ...

    async def ask_and_hear(self, prompt: str) -> tuple[str, str]: ...


class RoundExtras(Protocol):
    """Optional stages a round can run (`PracticeExtras` below): pushback in place of the
    follow-up, and the candidate's own questions at the end. They write into `summary.extras`."""

    def follow_up(self, question: Question, result: AnswerResult) -> str | None: ...
    def follow_up_heard(self, result: AnswerResult) -> None: ...
    async def after_questions(self, round_: ExtrasHost) -> None: ...



INVITE_QUESTIONS = ("That's the last question from me. Before we finish: what would you like to ask me about "
                    "the team or the role? Ask as you would in a real interview, then press Done.")
NO_QUESTIONS_REPLY = "No questions is fine for practice, but bring two or three to the real one."
THANKS = "Thanks, good questions to bring. Your feedback follows in the channel."


@dataclass
class _Challenge:
    index: int
    decision: Moment
    challenge: str


@dataclass
class PracticeExtras:
    """One round's extras. `pushback`: challenge committed decisions; `own_questions`: invite the
    member's questions at the end."""

    pushback: bool = False
    own_questions: bool = True
    # more of the member's speech than this over a challenge counts as talking over it
    talk_over_tolerance_s: float = TALK_OVER_TOLERANCE_S
    # "Try again" of a stored attempt: the answer to its question is compared with it
    retry_of: Any = None  # AttemptRow
    analyze_text: Callable[[Question, str], Analysis] | None = None
    # the member's target role: once a round, a follow-up set in its domain ("on a payments team, ...")
    needs: RoleNeeds | None = None
    out: dict[str, Any] = field(default_factory=dict)  # the round's summary.extras once bound
    _pending: dict[int, _Challenge] = field(default_factory=dict)

    def bind(self, round_: ExtrasHost) -> None:
        """Write into this round's `summary.extras` (call right after creating the round)."""
        round_.summary.extras.update(self.out)
        self.out = round_.summary.extras

    # ---- pushback ----------------------------------------------------------------------------
    def follow_up(self, question: Question, result: AnswerResult) -> str | None:
        self._compare_retry(question, result)
        return self._challenge(question, result) or self._role_follow_up(question, result)

    def _role_follow_up(self, question: Question, result: AnswerResult) -> str | None:
        if "role_follow_up" in self.out:
            return None
        text = role_follow_up(self.needs, question)
        if text:
            self.out["role_follow_up"] = {"index": result.index, "text": text}
        return text

    def _challenge(self, question: Question, result: AnswerResult) -> str | None:
        if not self.pushback or result.analysis is None or not question.challenges:
            return None
        decision = find_decision(result.analysis.transcript, result.transcript if result.transcript
                                 and result.transcript.words else None, challenges=question.challenges)
        if decision is None:
            return None  # nothing committed to: the usual follow-up
        challenge = choose_challenge(question, decision)
        self._pending[result.index] = _Challenge(result.index, decision, challenge)
        return challenge

    def _compare_retry(self, question: Question, result: AnswerResult) -> None:
        earlier = self.retry_of
        if (earlier is None or self.analyze_text is None or result.analysis is None
                or question.id != earlier.question_id or "retry" in self.out):
            return
        c = compare_with_attempt(question, earlier, result.analysis, self.analyze_text)
        self.out["retry"] = {**c.to_dict(), "index": result.index, "attempt_id": result.attempt_id,
                             "lines": c.lines()}

    def follow_up_heard(self, result: AnswerResult) -> None:
        pending = self._pending.pop(result.index, None)
        if pending is None:
            return
        reply = ""
        if result.follow_up_analysis is not None:
            reply = result.follow_up_analysis.transcript
        elif result.follow_up_transcript is not None:
            reply = result.follow_up_transcript.text
        answer = result.analysis.transcript if result.analysis is not None else ""
        talk_over = result.follow_up_talk_over
        if talk_over is not None:
            talk_over = replace(talk_over, tolerance_s=self.talk_over_tolerance_s)
        judgement = judge_reply(reply, challenge=pending.challenge, answer=answer, question=result.question,
                                talk_over=talk_over)
        entry = {
            "index": result.index, "question_id": result.question.id,
            "decision": pending.decision.text, "decision_at_s": pending.decision.at_s,
            "challenge": pending.challenge, **judgement.to_dict(),
            "lines": feedback_lines(pending.decision, pending.challenge, judgement),
        }
        self.out.setdefault("pushback", []).append(entry)

    # ---- the candidate's own questions -------------------------------------------------------
    async def after_questions(self, round_: ExtrasHost) -> None:
        if not self.own_questions or not round_.summary.analyses:
            return
        text, reason = await round_.ask_and_hear(INVITE_QUESTIONS)
        if reason == "skipped" or round_.ended:
            return
        fb = judge_candidate_questions(text)
        self.out["candidate_questions"] = fb.to_dict()
        try:
            await round_.io.say(NO_QUESTIONS_REPLY if not fb.questions else THANKS, kind="info")
        except Exception:  # noqa: BLE001 - a closing remark that fails to play costs nothing
            log.debug("closing remark after the candidate's questions failed", exc_info=True)
