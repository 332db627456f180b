"""A group's turns and timers: the answer order, each answer's end and analysis, the clock's steps."""

from __future__ import annotations

import asyncio
import logging

from bot.models import Question
from bot.practice.group.core import GroupCore
from bot.practice.group.events import AnswerAnalyzed, AnswerEnded, QuestionCard, TimeWarning, TurnStarted
from bot.practice.group.listening import LISTENER_ENDS
from bot.practice.group.state import ERASED, GroupError, Phase, Turn
from bot.practice.tailoring import make_picker
from bot.storage.privacy import delete_user

log = logging.getLogger("bot.practice.group")


class TurnsMixin(GroupCore):
    async def start(self) -> None:
        async with self._lock:
            if self.phase is not Phase.LOBBY:
                raise GroupError("the group has already started")
            if not self.active_members:
                raise GroupError("nobody has joined yet")
            self._loop = asyncio.get_running_loop()
            await self._advance()
        await self._flush()

    def _pick_question(self) -> Question:
        """The next turn's question: the practice layer's one picking policy, as a mock round's
        (`bot.practice.tailoring.make_picker`), avoiding the questions this group was asked."""
        q = make_picker(self.engine.bank, None, self.config.category, None, self.rng)(
            len(self._used_questions) + 1, tuple(self._used_questions))
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

    async def answer_done(self, user_id: int) -> None:
        """The answerer (or the interviewer, or the group's owner) says the answer is over."""
        async with self._lock:
            turn = self.current
            challenged = self.phase is Phase.CHALLENGE and turn is not None and turn.pushback is not None
            if (self.phase is not Phase.ANSWERING and not challenged) or turn is None:
                raise GroupError("nobody is answering right now")
            if user_id not in (turn.answerer_id, turn.interviewer_id, self.owner_id):
                raise GroupError("only the person answering can end their answer")
            closing = self._close_reply("done") if challenged else self._close_answer("done")
        await self._flush()
        if challenged:
            await self._process_reply(closing)
        else:
            await self._process(closing)

    async def submit_text_answer(self, user_id: int, text: str) -> None:
        """A typed answer, for when a member's voice can't be heard (it replaces their audio)."""
        text = (text or "").strip()
        if not text:
            raise GroupError("the answer is empty; type what you would say")
        async with self._lock:
            turn = self.current
            challenged = self.phase is Phase.CHALLENGE and turn is not None and turn.pushback is not None
            if (self.phase is not Phase.ANSWERING and not challenged) or turn is None or turn.answerer_id != user_id:
                raise GroupError("you can type an answer only during your own turn")
            if challenged:  # the reply to the challenge
                assert turn.pushback is not None
                turn.pushback.text = text
                closing = self._close_reply("text")
            else:
                turn.text = text
                closing = self._close_answer("text")
        await self._flush()
        if challenged:
            await self._process_reply(closing)
        else:
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
            if self.phase is not Phase.ENDED and not self._challenge(turn):  # after `end`, `end` writes the summary
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
                turn.transcript = transcript  # word times: the moment a decision was made (pushback)
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

    # ------------------------------------------------------------------ timers

    async def poll(self, now: float | None = None) -> None:
        """Fire whatever timer is due: warning, turn end, end silence, rating window."""
        closing: Turn | None = None
        replied: Turn | None = None
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
                elif listener is not None and listener.end_reason in LISTENER_ENDS:
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
            elif self.phase is Phase.CHALLENGE:
                replied = self._poll_challenge(turn, now)
            elif self.phase is Phase.RATING and turn.ratings is not None and turn.ratings.due(now):
                await self._close_rating(turn)
        await self._flush()
        if closing is not None:
            await self._process(closing)
        if replied is not None:
            await self._process_reply(replied)

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
        elif self.phase is Phase.CHALLENGE and turn.pushback is not None:
            turn.pushback.deadline += gap
        elif self.phase is Phase.RATING and turn.ratings is not None:
            turn.ratings.closes_at += gap
