"""Listening to a group: each member's voice activity, the answerer's incremental listener, crosstalk."""

from __future__ import annotations

import asyncio

import numpy as np

from bot.practice.group.core import GroupCore
from bot.practice.group.state import MemberState, Phase, Turn
from bot.practice.listening import IncrementalListener, ListenerConfig
from bot.speech.audio_format import FRAME_BYTES, FRAME_S, PCM_BYTES_PER_SECOND

# The listener's own ends that close a group answer (the turn timer decides the rest).
LISTENER_ENDS = ("silence", "phrase")


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
