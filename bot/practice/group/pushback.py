"""Pushback in a group (`GroupConfig.pushback`, `/group start pushback:True`).

After an answer that commits to a decision, the group's interviewer side challenges it with the
question's bank challenge closest to what was decided, hears the same member's reply, and judges it
with bot/practice/pushback.py (updated, defended, rigid; no_reply, off_topic).

Who asks the challenge:

* the bot, aloud (`ChallengeAsked`). The reply window opens once the challenge has been spoken
  (`challenge_delivered`); the answerer's speech while it plays is measured (`TalkOverMeter`), and
  more than `talk_over_tolerance_s` of it caps the verdict at rigid, "talked over the challenge";
* the member in the interviewer's seat, when this turn has one (`Turn.interviewer_id`, still in the
  seat and in the group): the challenge goes to them alone (`ChallengeCard`, rendered privately like
  the question card) with the decision it questions, to ask in their own words, and the bot says
  nothing. The reply window opens at once, when the card is handed over: the interviewer reads it
  out right away, and we cannot tell from the audio when a person has finished asking, so every
  word the answerer says from then on is part of the reply (none is set aside as talking over it),
  and the reply's time limit counts from the handover. While the interviewer speaks, the reply's end
  silence starts again (listening.py), so a murmur from the answerer followed by a slow question does
  not end the reply. Talking over a person is not measured; the judgement rests on the words, and
  the feedback says "The interviewer challenged" instead of "I";
* if that interviewer leaves the seat or the group before the answerer has begun replying, the bot
  takes the challenge back and asks it aloud (`ChallengeAsked(taken_back=True)`), with a fresh reply
  window as above. Once the answerer has begun replying (`min_answer_voiced_s` of speech), the
  challenge was evidently asked, so the reply simply carries on.

    ANSWERING → ANALYZING → CHALLENGE (challenge asked, reply heard) → ANALYZING → RATING → …

The reply ends on the Done button, a typed reply, the answer's end silence or "that's my answer",
or `pushback_seconds`; leaving or the group's end closes it with what was heard. The judgement is
on the turn (`turn.pushback`), in the member's summary entry, and announced with `ChallengeJudged`.
"""

from __future__ import annotations

import asyncio
import logging

from bot.practice.group.core import GroupCore
from bot.practice.group.events import ChallengeAsked, ChallengeCard, ChallengeJudged
from bot.practice.group.state import ERASED, Phase, Pushback, Turn
from bot.practice.pushback import choose_challenge, find_decision, judge_reply
from bot.practice.talk_over import TalkOverMeter

log = logging.getLogger("bot.practice.group")

LEAD_IN = "let me push back on that."


class PushbackMixin(GroupCore):
    def _challenge(self, turn: Turn) -> bool:
        """Lock held, after the answer's analysis: challenge its decision, if it made one."""
        cfg = self.config
        member = self.members.get(turn.answerer_id)
        if (not cfg.pushback or turn.analysis is None or not turn.question.challenges
                or member is None or not member.active or turn.pushback is not None):
            return False
        spoken = turn.transcript if turn.transcript is not None and turn.transcript.words else None
        decision = find_decision(turn.analysis.transcript, spoken, challenges=turn.question.challenges)
        if decision is None:
            return False  # nothing committed to: nothing to challenge
        challenge = choose_challenge(turn.question, decision)
        now = self.clock.now()
        asker = self._human_asker(turn)
        with self._audio_lock:
            pb = turn.pushback = Pushback(
                decision=decision, challenge=challenge, asked_at=now, deadline=now + cfg.pushback_seconds,
                meter=self._new_meter(now),
            )
            self.phase = Phase.CHALLENGE
            if asker is not None:  # the interviewer asks it from their card: the reply window opens now
                pb.asked_by, pb.asker_id = "interviewer", asker
                self._open_reply(turn, pb, now)
        if asker is not None:
            self._outbox.append(ChallengeCard(turn.number, asker, turn.answerer_id, decision.text, challenge))
        else:
            self._ask_aloud(turn, member.name)
        return True

    def _human_asker(self, turn: Turn) -> int | None:
        """The member who asks this turn's challenge: its interviewer, while still in the seat and the group."""
        uid = turn.interviewer_id
        if uid is None or uid != self.interviewer_id or uid == turn.answerer_id or not self.is_member(uid):
            return None
        return uid

    def _new_meter(self, now: float) -> TalkOverMeter:
        cfg = self.config
        return TalkOverMeter(opened_at=now, tolerance_s=cfg.talk_over_tolerance_s, voice_rms=cfg.voice_rms)

    def _ask_aloud(self, turn: Turn, name: str, *, taken_back: bool = False) -> None:
        """Lock held: the bot speaks the challenge (the front end marks its playback)."""
        assert turn.pushback is not None
        challenge = turn.pushback.challenge
        self._outbox.append(ChallengeAsked(turn.number, turn.answerer_id, challenge,
                                           f"{name}, {LEAD_IN} {challenge}", taken_back))

    def _take_back_challenge(self, user_id: int) -> None:
        """Lock held: `user_id` is leaving the interviewer's seat (or the group, or erasing their data).
        If they hold the open challenge's card and the answerer has not begun replying, the bot asks it
        aloud instead, with a fresh reply window; once the reply is under way it carries on."""
        turn = self.current
        pb = turn.pushback if turn is not None else None
        if self.phase is not Phase.CHALLENGE or turn is None or pb is None or pb.asker_id != user_id:
            return
        answerer = self.members.get(turn.answerer_id)
        with self._audio_lock:
            pb.asker_id = None
            if answerer is None or not answerer.active or pb.voiced_s >= self.config.min_answer_voiced_s:
                return  # nobody to ask, or the challenge was asked and the reply is under way
            now = self.clock.now()
            listener, pb.listener = pb.listener, None
            pb.asked_by, pb.origin, pb.voiced_s, pb.last_voiced_at = "bot", None, 0.0, None
            pb.meter = self._new_meter(now)
            pb.asked_at, pb.deadline = now, now + self.config.pushback_seconds
        if listener is not None:
            listener.close()  # at most a murmur was heard: the reply starts again after the bot asks
        self._ask_aloud(turn, answerer.name, taken_back=True)

    def _open_challenge(self, turn_number: int) -> Pushback | None:
        turn = self.current
        if self.phase is not Phase.CHALLENGE or turn is None or turn.number != turn_number:
            return None
        return turn.pushback

    def challenge_playing(self, turn_number: int, at: float | None = None) -> None:
        """The front end started playing the challenge of turn `turn_number`."""
        with self._audio_lock:
            pb = self._open_challenge(turn_number)
            if pb is not None and pb.origin is None:
                pb.meter.playback_started(self.clock.now() if at is None else at)

    def challenge_delivered(self, turn_number: int, at: float | None = None) -> None:
        """The challenge has been spoken (or could not be): the reply's clock starts now."""
        at = self.clock.now() if at is None else at
        with self._audio_lock:
            turn = self.current
            pb = self._open_challenge(turn_number)
            if turn is None or pb is None or pb.origin is not None:
                return
            pb.meter.playback_ended(at)
            self._open_reply(turn, pb, at)

    def _open_reply(self, turn: Turn, pb: Pushback, at: float) -> None:
        """Audio lock held: the reply's clock starts at `at` and its listener hears the answerer from then on."""
        pb.origin = at
        pb.deadline = max(pb.deadline, at + self.config.pushback_seconds)
        pb.listener = self._new_listener(f"group-{self.session_id}-turn-{turn.number}-reply", at)

    def _close_reply(self, reason: str) -> Turn:
        """Lock held, in CHALLENGE: end the reply and start judging it."""
        turn = self.current
        assert turn is not None and turn.pushback is not None
        pb = turn.pushback
        with self._audio_lock:
            self.phase = Phase.ANALYZING
            pb.end_reason = reason
            if pb.origin is None:  # the challenge never finished playing: what played is the window
                pb.meter.playback_ended(self.clock.now())
        pb.task = self._processing = asyncio.ensure_future(self._judge_reply(turn))
        return turn

    async def _judge_reply(self, turn: Turn) -> None:
        pb = turn.pushback
        assert pb is not None
        try:
            text = pb.text or ""
            if pb.text is None and pb.listener is not None and pb.voiced_s >= self.config.min_answer_voiced_s:
                text = (await pb.listener.transcript()).text
            if turn.answerer_id == ERASED or turn.analysis is None:
                return  # erased while it was transcribed: keep nothing
            # talking over is measured against the bot's playback only (see the module doc)
            talk_over = pb.meter.result(self.clock.now()) if pb.asked_by == "bot" else None
            pb.judgement = judge_reply(text, challenge=pb.challenge, answer=turn.analysis.transcript,
                                       question=turn.question, talk_over=talk_over)
        except Exception:  # one bad reply must not end the group
            log.exception("judging the pushback reply of turn %d in group %s failed", turn.number, self.session_id)
        finally:
            if pb.listener is not None:
                pb.listener.close()

    async def _process_reply(self, turn: Turn) -> None:
        """Await the reply's judgement (outside the lock), announce it, then open the rating."""
        pb = turn.pushback
        task = pb.task if pb is not None else None
        if task is not None:
            await asyncio.shield(task)
        async with self._lock:
            if self._processing is task:
                self._processing = None
            if pb is not None and pb.judgement is not None and turn.answerer_id != ERASED:
                self._outbox.append(ChallengeJudged(turn))
            if self.phase is not Phase.ENDED:
                await self._after_answer(turn)
                await self._save_progress()
        await self._flush()

    def _poll_challenge(self, turn: Turn, now: float) -> Turn | None:
        """Lock held, in CHALLENGE: the reply's timers. Returns the turn when the reply closed."""
        pb = turn.pushback
        if pb is None:
            return None
        if pb.listener is not None:
            pb.listener.tick(now)
        if now >= pb.deadline:
            return self._close_reply("time")
        if pb.listener is not None and pb.listener.end_reason in ("silence", "phrase"):
            return self._close_reply(str(pb.listener.end_reason))
        return None
