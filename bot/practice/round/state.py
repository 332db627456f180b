"""A mock round's states, and the fixed words it uses: why an answer ended, what it says."""

from __future__ import annotations

import enum


class RoundState(str, enum.Enum):
    CREATED = "created"
    CONSENT = "consent"
    ASKING = "asking"          # the question (or follow-up) is being spoken
    LISTENING = "listening"    # the answer is being received and transcribed
    ANALYZING = "analyzing"    # the tail is transcribed, the answer analysed and stored
    FOLLOW_UP = "follow_up"    # the follow-up question is being spoken
    FEEDBACK = "feedback"      # final feedback is being posted
    ENDED = "ended"


# What `RoundIO.say` is asked to speak.
SAY_KINDS: tuple[str, ...] = ("question", "follow_up", "nudge", "hint", "info")

# Why an answer ended (`AnswerResult.end_reason`, `IncrementalListener` `on_end` reasons).
END_REASONS: tuple[str, ...] = (
    "done_button", "phrase", "silence", "max_length", "no_speech", "skipped", "round_ended",
    "user_left", "disconnected", "typed", "erased", "transcription_unavailable",
)

# Said in the channel when the transcription workers stop answering mid-answer (`{kept}`: what was kept).
TRANSCRIPTION_UNAVAILABLE_TEXT = (
    "Transcription is unavailable right now (the transcription workers aren't answering), so I stopped "
    "listening to this answer. {kept} I'll keep going with the next question; if transcription is still "
    "down then, I'll tell you again, and you can end the round with End round and come back later.")

NUDGE_TEXT = "Take your time — keep thinking out loud."

CONSENT_TEXT = (
    "Before we start: Parley will listen to you in this voice channel while the round runs, "
    "and only to you. Your answers are transcribed to give feedback; the transcript, scores "
    "and feedback are saved to your history. The audio itself is not kept. You can end the "
    "round at any time with End round or /mock stop."
)

# Why a whole round stopped early → the status line told to the user.
_STOP_MESSAGES = {
    "ended": "Round ended. Here is your feedback on what you answered.",
    "user_left": "You left the voice channel, so I stopped the round. Everything you said was saved.",
    "disconnected": "I was disconnected from the voice channel, so the round stopped. "
                    "Everything you said so far was saved.",
    "erased": "You erased your Parley data, so I stopped this round. Nothing from it was kept.",
}
