"""Buttons under one member's feedback: "Try again" (answer the same question again and see the
comparison) and "Show a strong outline" (what a strong answer covers, shown only after answering,
since the buttons exist only on feedback). Only the member who answered may press them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

import discord

from bot.discord_io.member_views import MemberOnlyView
from bot.discord_io.stale_components import parley_id
from bot.models import Question
from bot.text_safety import neutralize_mentions, safe_excerpt

log = logging.getLogger(__name__)

ANSWER_BUTTONS_TIMEOUT_S = 6 * 3600.0
OUTLINE_COLOUR = discord.Colour.dark_teal()

RetryHandler = Callable[[discord.Interaction], Awaitable[None]]


def outline_embed(question: Question) -> discord.Embed:
    """The question's strong outline from the bank: what a strong answer covers, in our words."""
    e = discord.Embed(title="What a strong answer covers", colour=OUTLINE_COLOUR,
                      description=safe_excerpt(question.prompt, 300))
    points = "\n".join(f"{i}. {neutralize_mentions(p)}" for i, p in enumerate(question.strong_outline, 1))
    e.add_field(name="Outline", value=points[:1024] or "No outline for this question yet.", inline=False)
    e.set_footer(text="One good shape, not the only one. Say it in your own words.")
    return e


class AnswerActions(MemberOnlyView):
    """The buttons under a feedback message, for the member it is addressed to."""

    not_yours_text = "These buttons belong to the member this feedback is for; answer yourself to get your own."

    def __init__(self, user_id: int, attempt_id: int, question: Question, *, on_retry: RetryHandler | None,
                 timeout: float | None = ANSWER_BUTTONS_TIMEOUT_S) -> None:
        super().__init__(user_id, timeout=timeout)
        self.question = question
        self.on_retry = on_retry
        self.outline_button: discord.ui.Button[AnswerActions] = discord.ui.Button(label="Show a strong outline", style=discord.ButtonStyle.secondary,
                                                custom_id=parley_id("answer", f"outline:{attempt_id}"))
        self.outline_button.callback = self._outline  # type: ignore[method-assign]
        if on_retry is not None:
            self.retry_button: discord.ui.Button[AnswerActions] = discord.ui.Button(label="Try again", style=discord.ButtonStyle.primary,
                                                  custom_id=parley_id("answer", f"retry:{attempt_id}"))
            self.retry_button.callback = self._retry  # type: ignore[method-assign]
            self.add_item(self.retry_button)
        if question.strong_outline:
            self.add_item(self.outline_button)

    async def _outline(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=outline_embed(self.question), ephemeral=True)

    async def _retry(self, interaction: discord.Interaction) -> None:
        assert self.on_retry is not None
        await self.on_retry(interaction)


class RoundOutlines(MemberOnlyView):
    """Under a mock round's feedback: per answered question, a strong-outline button and, when the
    round offers it, "Try question N again" (numbered as in the round). Their ids are in the `mock`
    area, so a press after a restart is told the round has ended (bot/discord_io/stale_components.py)."""

    not_yours_text = "These buttons are for the member who answered this round."

    def __init__(self, user_id: int, questions: Sequence[tuple[int, Question]], *, session_key: str,
                 on_retry: Callable[[discord.Interaction, int], Awaitable[None]] | None = None,
                 timeout: float | None = ANSWER_BUTTONS_TIMEOUT_S) -> None:
        """`questions`: (number in the round, question) for each answered one."""
        super().__init__(user_id, timeout=timeout)
        self.message: discord.Message | None = None
        for i, q in list(questions)[:5]:
            if q.strong_outline:
                b: discord.ui.Button[RoundOutlines] = discord.ui.Button(label=f"Strong outline: question {i}", style=discord.ButtonStyle.secondary,
                                      custom_id=parley_id("mock", f"outline:{session_key}:{i}"), row=i - 1
                                      if i <= 5 else None)
                b.callback = self._outline_callback(q)  # type: ignore[method-assign,assignment]
                self.add_item(b)
            if on_retry is not None:
                r: discord.ui.Button[RoundOutlines] = discord.ui.Button(label=f"Try question {i} again", style=discord.ButtonStyle.primary,
                                      custom_id=parley_id("mock", f"retry:{session_key}:{i}"), row=i - 1
                                      if i <= 5 else None)
                r.callback = self._retry_callback(on_retry, i)  # type: ignore[method-assign,assignment]
                self.add_item(r)

    @staticmethod
    def _outline_callback(question: Question) -> RetryHandler:
        async def show(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(embed=outline_embed(question), ephemeral=True)
        return show

    @staticmethod
    def _retry_callback(on_retry: Callable[[discord.Interaction, int], Awaitable[None]], index: int) -> RetryHandler:
        async def retry(interaction: discord.Interaction) -> None:
            await on_retry(interaction, index)
        return retry
