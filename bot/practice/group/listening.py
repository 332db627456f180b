"""Listening to a group: each member's voice activity, the answerer's incremental listener, crosstalk."""

from __future__ import annotations

import asyncio

import numpy as np

from bot.practice.group.core import GroupCore
from bot.practice.group.state import MemberState, Phase, Turn
from bot.practice.listening import IncrementalListener, ListenerConfig
from bot.practice.talk_over import voiced_frames
from bot.speech.audio_format import FRAME_S, PCM_BYTES_PER_SECOND

__all__ = ["LISTENER_ENDS", "ListeningMixin", "voiced_frames"]

# The listener's own ends that close a group answer (the turn timer decides the rest).
# How a member's listener can end their answer on its own: a long end silence, "that's my answer",
# or the transcription workers not answering (the words heard so far are kept and analysed).
LISTENER_ENDS = ("silence", "phrase", "transcription_unavailable")


class ListeningMixin(GroupCore):
    """Audio in: `question_delivered` starts the answer's clock, `feed_audio` takes each member's voice."""

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
        asking: IncrementalListener | None = None
        with self._audio_lock:
            member = self.members.get(user_id)
            if member is None or not member.active or self.phase in (Phase.LOBBY, Phase.ENDED):
                return  # never use audio of people outside the group, or before it starts
            member.talk_s += n_voiced * FRAME_S
            turn = self.current
            pb = turn.pushback if turn is not None else None
            if self.phase is Phase.CHALLENGE and pb is not None and turn is not None and user_id == turn.answerer_id:
                if pb.listener is None:  # the challenge is still being spoken: talking over it?
                    pb.meter.feed_voiced(voiced, at)
                    return
                listener = pb.listener
                if n_voiced:
                    pb.voiced_s += n_voiced * FRAME_S
                    pb.last_voiced_at = at + (int(np.flatnonzero(voiced)[-1]) + 1) * FRAME_S
            elif self.phase is Phase.CHALLENGE and pb is not None and user_id == pb.asker_id:
                if not n_voiced or pb.listener is None:
                    return
                asking = pb.listener  # the interviewer is still putting the challenge (see below)
            elif self.phase is not Phase.ANSWERING or turn is None:
                return
            elif user_id == turn.answerer_id:
                listener = self._ensure_listener(turn)
                if n_voiced:
                    turn.voiced_s += n_voiced * FRAME_S
                    last = int(np.flatnonzero(voiced)[-1])
                    turn.last_voiced_at = at + (last + 1) * FRAME_S
            elif n_voiced and user_id != turn.interviewer_id:
                self._count_crosstalk(member, turn, voiced, at)
        if listener is not None:  # resampling and the VAD run outside our lock
            listener.feed_pcm48(pcm, at=at + len(pcm) / PCM_BYTES_PER_SECOND)
        if asking is not None:
            # a reply to a challenge the interviewer asks opens at the handover (pushback.py): while they
            # speak, the answerer's silence is listening, so the reply's end silence counts from their voice
            asking.tick(at + len(pcm) / PCM_BYTES_PER_SECOND)
            asking.mark_prompt()

    def _ensure_listener(self, turn: Turn) -> IncrementalListener:
        """Audio lock held: the answer's incremental listener, started at the answer's time 0."""
        if turn.listener is None:
            turn.listener = self._new_listener(f"group-{self.session_id}-turn-{turn.number}", turn.origin)
        return turn.listener

    def _new_listener(self, name: str, origin: float) -> IncrementalListener:
        """A started incremental listener with the group's settings (an answer, or a pushback reply)."""
        cfg = self.config
        never = max(cfg.turn_seconds, cfg.pushback_seconds) + 60.0  # the timers decide these, not the listener
        lc = ListenerConfig.from_settings(
            self.engine.settings,
            end_silence_s=cfg.end_silence_s if cfg.end_silence_s is not None else never,
            long_silence_s=min(self.engine.settings.long_silence_s, never - 1),
            max_answer_s=never, no_speech_timeout_s=never, vad_rms=cfg.voice_rms,
        )
        listener = IncrementalListener(
            self.engine.transcriber.transcribe_sync, lc, clock=self.clock.now,
            on_end=self._listener_ended, name=name,
        )
        listener.start(origin)
        return listener

    def _listener_ended(self, reason: str) -> None:
        """Any thread: the listener ended the answer ("that's my answer", a long silence, transcription
        lost); act now."""
        loop = self._loop
        if loop is None or reason not in LISTENER_ENDS or loop.is_closed():
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
