"""What the user (and the voice connection) can do to a running mock round: the buttons, typed
answers, leaving, being disconnected, erasing their data. Everything here is safe to call from
any thread, any number of times, before, during or after the round."""

from __future__ import annotations

from bot.models import STRUCTURE_ELEMENTS
from bot.practice.round.core import RoundCore
from bot.practice.round.state import RoundState


class ControlsMixin(RoundCore):
    def done(self) -> None:
        """The user says their answer is complete (the Done button)."""
        listener = self._listener
        if listener is not None:
            listener.stop("done_button")

    def answer_text(self, text: str) -> bool:
        """A typed answer to the current question or follow-up (when voice can't be used).

        Ends the answer being listened to (or the next one, if typed while the bot speaks); it
        is analysed as text and stored like a spoken answer, and the round carries on.
        Returns False when it was not taken: empty, the round is over or stopping, or the last
        answer is being analysed (the text would otherwise land on the next prompt).
        """
        text = (text or "").strip()
        if not text or self.ended or self._stop_reason is not None:
            return False
        state = self._state
        if state not in (RoundState.ASKING, RoundState.LISTENING, RoundState.FOLLOW_UP):
            return False
        self._typed = text
        listener = self._listener
        if state is RoundState.LISTENING and (listener is None or not listener.stop("typed")):
            if self._typed is text:  # the answer had already ended another way (Done, Skip…)
                self._typed = None
            return False
        return True

    def typing_started(self) -> None:
        """The user answers by typing from now on (their voice can't be heard, a text box is
        open): silence no longer ends an answer, times it out or triggers the nudge, for the
        answer in progress and the following ones, until `typing_stopped()`. Done, Skip, End
        round, a typed answer and the answer length limit still end it. Thread-safe."""
        self._typing = True
        listener = self._listener
        if listener is not None:
            listener.hold_silence(True)

    def typing_stopped(self) -> None:
        """Back to spoken answers: silence counts again, from now."""
        self._typing = False
        listener = self._listener
        if listener is not None:
            listener.hold_silence(False)

    def _take_typed(self) -> str | None:
        text, self._typed = self._typed, None
        return text

    def repeat(self) -> None:
        """Speak the current question (or follow-up) again."""
        self._on_loop(lambda: self._spawn_prompt("repeat"))

    def hint(self) -> None:
        """Speak a hint for the current question."""
        self._on_loop(lambda: self._spawn_prompt("hint"))

    def _spawn_prompt(self, what: str) -> None:
        if self.ended or self._loop is None or self._listener is None:
            return
        text = self._current_prompt if what == "repeat" else self.hint_text()
        if not text:
            return
        kind = "hint" if what == "hint" else ("follow_up" if self._state_is_follow_up() else "question")
        listener = self._listener

        async def speak() -> None:
            await self._say(text, kind=kind)
            listener.mark_prompt()  # the user gets their full silence allowance after help

        self._spawn(speak())

    def _state_is_follow_up(self) -> bool:
        return self._current is not None and self._current_prompt != self._current.prompt

    def skip(self) -> None:
        """Move to the next question (what was said so far is still analysed and stored)."""
        if self.ended:
            return
        self._skip = True
        listener = self._listener
        if listener is not None:
            listener.stop("skipped")
        # a question being spoken finishes playing; `_ask_and_listen` then sees the flag

    def end(self) -> None:
        """End the round now (the End round button, /mock stop): feedback on what was answered."""
        self._request_stop("ended")

    def user_left(self) -> None:
        """The answering user left the voice channel: partial feedback, nothing lost."""
        self._request_stop("user_left")

    def disconnected(self, reason: str = "") -> None:
        """The bot was disconnected or moved: stop, store, post partial feedback and status."""
        self.disconnect_reason = reason
        self._request_stop("disconnected")

    def hint_text(self) -> str:
        q = self._current
        if q is None:
            return ""
        if q.hint:
            return q.hint
        missing = [e for e in q.expected if e in STRUCTURE_ELEMENTS][:2]
        if missing:
            ideas = " and ".join(STRUCTURE_ELEMENTS[e] for e in missing)
            return f"A hint: a strong answer here {ideas}."
        return "A hint: start with your assumptions, then walk through your approach step by step."

    async def erase_member(self, user_id: int) -> bool:
        """The member erased their data (/privacy delete). When it is this round's owner, the round
        forgets their answers and name at once, stops (saying why), stores nothing more and
        writes no summary; anything a step in flight stores meanwhile is erased when the round
        closes. Returns whether the round was theirs."""
        if user_id != self.user_id:
            return False
        self._erased = True
        self.user_name = self._summary.user_name = ""
        self._summary.answers.clear()
        self._typed = None
        self._request_stop("erased")
        return True
