"""`RoundIO`: what a front end (the Discord adapter, the CLI, a test) provides to a mock round."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.models import Question

if TYPE_CHECKING:  # pragma: no cover
    from bot.practice.round.results import RoundSummary


@runtime_checkable
class RoundIO(Protocol):
    """What a front end provides to a round. Every method is awaited on the round's event loop
    and must not block it (render speech in a thread)."""

    async def post_consent(self, text: str) -> bool:
        """Show the consent notice `text` (what is recorded, that audio is not kept) to the user.

        Return True when the round may record the user (they accepted, or accepted before in this
        server), False to cancel the round. Nothing is recorded before this returns True.
        """
        ...

    async def say(self, text: str, *, kind: str) -> None:
        """Speak `text` aloud in the voice channel; return when playback has finished.

        `kind` is one of SAY_KINDS: question | follow_up | nudge | hint | info.
        """
        ...

    async def post_question_card(self, question: Question, index: int, total: int) -> None:
        """Show the question being asked (index is 1-based) with the control buttons
        (Repeat, Hint, Skip, Done, End round)."""
        ...

    async def post_status(self, text: str) -> None:
        """A short status line for the user (e.g. "Listening…", "Analysing your answer…")."""
        ...

    async def post_feedback(self, summary: RoundSummary) -> None:
        """The final feedback: one `AnswerResult` per question (its Analysis) plus the overall
        picture. Also called with a partial summary when the user left or the bot was
        disconnected (`summary.status == "interrupted"`)."""
        ...

    async def round_closed(self, summary: RoundSummary) -> None:
        """Called exactly once when the round is over, whatever happened (after post_feedback when
        there was something to post): disable the buttons, leave the voice channel."""
        ...
