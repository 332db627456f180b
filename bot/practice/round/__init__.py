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

One module per job: `state.py` (states and the round's words), `io.py` (the `RoundIO` protocol),
`results.py` (`AnswerResult`, `RoundSummary`), `driver.py` (`MockRound.run`), `listening.py`
(one answer heard), `follow_ups.py`, `controls.py` (buttons and voice events), `extras.py`
(pushback and the candidate's own questions), sharing `core.py`.
"""

from __future__ import annotations

from bot.practice.round.driver import MockRound
from bot.practice.round.extras import INVITE_QUESTIONS, PracticeExtras, RoundExtras
from bot.practice.round.io import RoundIO
from bot.practice.round.results import AnswerResult, RoundSummary
from bot.practice.round.state import CONSENT_TEXT, END_REASONS, NUDGE_TEXT, SAY_KINDS, RoundState
from bot.practice.tailoring import QuestionPicker

__all__ = [
    "CONSENT_TEXT", "END_REASONS", "INVITE_QUESTIONS", "NUDGE_TEXT", "SAY_KINDS", "AnswerResult", "MockRound",
    "PracticeExtras", "QuestionPicker", "RoundExtras", "RoundIO", "RoundState", "RoundSummary",
]
