"""Listening to one answer of a mock round: the incremental listener, the nudge, audio in."""

from __future__ import annotations

import asyncio
import logging

from bot.models import Transcript
from bot.practice.listening import IncrementalListener
from bot.practice.round.core import RoundCore
from bot.practice.round.state import NUDGE_TEXT, TRANSCRIPTION_UNAVAILABLE_TEXT, RoundState
from bot.speech.audio_format import FRAME_S, PCM_BYTES_PER_SECOND

log = logging.getLogger("bot.practice.round")


# Endings of an answer that the member's voice decided: when transcription was lost meanwhile, the
# answer counts as ended by that instead (a Skip, a typed answer or the round's end stay what they are).
_HEARD_ENDINGS = frozenset({"done_button", "phrase", "silence", "max_length", "no_speech",
                            "transcription_unavailable"})


class ListeningMixin(RoundCore):
    """One answer heard: `_listen` runs the listener; `feed_audio` brings the user's voice."""

    async def _listen(self) -> tuple[Transcript, str, float | None]:
        """One answer: returns its transcript, why it ended, and the clock time it ended."""
        loop = self._loop
        assert loop is not None
        ended: asyncio.Future[str] = loop.create_future()

        def settle(reason: str) -> None:
            if not ended.done():
                ended.set_result(reason)

        def on_end(reason: str) -> None:
            loop.call_soon_threadsafe(settle, reason)

        def on_long_silence(at_s: float) -> None:
            loop.call_soon_threadsafe(lambda: self._spawn(self._nudge(listener)))

        listener: IncrementalListener = IncrementalListener(
            self.engine.transcriber.transcribe_sync, self._listener_config, clock=self._clock,
            on_end=on_end, on_long_silence=on_long_silence, name=f"round-{self.user_id}",
        )
        listener.start(self._clock())
        self._listener = listener
        if self._typing:  # checked after publishing the listener: typing_started() may run on any thread
            listener.hold_silence(True)
        await self._set_state(RoundState.LISTENING)
        if self._stop_reason is not None:
            listener.stop(self._round_end_reason(self._stop_reason))
        elif self._skip:
            listener.stop("skipped")
        elif self._typed is not None:  # typed while the question was being spoken
            listener.stop("typed")
        ticker = asyncio.create_task(self._tick(listener))
        try:
            reason = await ended
            self._listener = None
            self._last_poor = listener.poor_stretches()
            try:
                transcript = await asyncio.wrap_future(listener.finish())
            except Exception:  # the model failed on the tail: keep what was transcribed before
                log.exception("transcribing the end of an answer failed; keeping the chunks done")
                words = [w for c in listener.committed for w in c.transcript.words]
                transcript = Transcript(words=words, duration_s=listener.audio_s)
        finally:
            self._listener = None
            ticker.cancel()
            listener.close()
        self._last_words = len(transcript.words)
        if reason == "finished":  # finish() without another reason: treat as Done
            reason = "done_button"
        if listener.unavailable is not None and reason in _HEARD_ENDINGS:
            # the workers stopped answering (mid-answer, or on its tail after Done): what was
            # transcribed before is kept and analysed, and the member is told (`_explain_end`)
            reason = "transcription_unavailable"
        return transcript, reason, listener.ended_at

    async def _explain_end(self, reason: str) -> None:
        """Tell the user when the round, not they, ended an answer."""
        if reason == "max_length":
            minutes = self._listener_config.max_answer_s / 60
            await self._quietly(self.io.post_status(
                f"That reached the {minutes:g}-minute limit for one answer, so I stopped listening there."))
        elif reason == "transcription_unavailable":
            words = self._last_words
            kept = (f"I kept the {words} word{'s' if words != 1 else ''} I'd already heard, and your feedback "
                    "covers them." if words else "I hadn't transcribed any of it yet, so this answer has no feedback.")
            await self._quietly(self.io.post_status(TRANSCRIPTION_UNAVAILABLE_TEXT.format(kept=kept)))
        elif reason == "no_speech":
            await self._quietly(self.io.post_status(
                "I didn't hear anything, so I moved on. If you were talking, check that your "
                "microphone is not muted and that Discord uses the right input device."))

    async def _tick(self, listener: IncrementalListener) -> None:
        while not listener.ended:
            listener.tick(self._clock())
            await asyncio.sleep(self.TICK_S)

    async def _nudge(self, listener: IncrementalListener) -> None:
        if self._listener is not listener:  # the round has moved past that answer
            return
        self.nudges += 1
        await self._say(NUDGE_TEXT, kind="nudge")

    def feed_audio(self, pcm48_stereo: bytes, *, at: float | None = None) -> None:
        """Audio of THE answering user: 20 ms frames of 48 kHz stereo s16le (Discord PCM).

        Thread-safe; called from the voice receive thread. `at` is the arrival time on the
        round's clock (default: now). Discord sends nothing while the user is silent, so gaps
        between arrivals are filled with silence. Audio outside LISTENING is dropped.
        """
        at = self._clock() if at is None else at
        meter = self._talk_over
        if meter is not None:  # a follow-up is being spoken: is the user talking over it?
            meter.feed_pcm(pcm48_stereo, at - len(pcm48_stereo) / PCM_BYTES_PER_SECOND)
        listener = self._listener
        if listener is None or listener.ended:
            return
        listener.feed_pcm48(pcm48_stereo, at=at)

    def audio_trouble(self, frames: int = 1) -> None:
        """`frames` × 20 ms of the answering user's audio, ending now, were lost or could not be
        decrypted: not their silence (see `bot.practice.audio_quality`). Thread-safe."""
        listener = self._listener
        if listener is not None and not listener.ended:
            listener.mark_poor_audio(frames, at=self._clock() - FRAME_S * frames)
