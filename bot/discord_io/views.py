"""Buttons and modals for mock rounds.

Every view here belongs to one user (the round's owner): presses by anyone else get a short
private reply and change nothing. Views are disabled cleanly, message edited in place, when the
round ends (`disable()`), when a newer card replaces them, or when they time out.

Every component's custom_id is `parley:mock:<name>` (`parley_id`), so a press that no live view
takes any more (the round ended, the bot restarted) gets a private "this round has ended" from
the client instead of Discord's "This interaction failed" (see stale_components.py).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import discord

from bot.discord_io.member_views import Decision, MemberOnlyView, ParleyModal, disable_view
from bot.discord_io.replies import try_send_private
from bot.discord_io.stale_components import parley_id

log = logging.getLogger(__name__)


class RoundControlsTarget(Protocol):
    """What the control buttons drive (`MockRound` has these, all thread-safe and idempotent)."""

    def repeat(self) -> None: ...
    def hint(self) -> None: ...
    def skip(self) -> None: ...
    def done(self) -> None: ...
    def end(self) -> None: ...


class OwnerView(MemberOnlyView):
    """A view only `owner_id` may use; `message` is set by whoever sends it."""

    not_yours_text = "These buttons belong to the person practising. Start your own round with `/mock start`."

    def __init__(self, owner_id: int, *, timeout: float | None) -> None:
        super().__init__(owner_id, timeout=timeout)
        self.owner_id = owner_id
        self.message: discord.Message | None = None
        self.closed = False

    async def disable(self) -> None:
        """Grey out every component and stop listening for presses (idempotent)."""
        if self.closed:
            return
        self.closed = True
        disable_view(self)
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException:
                log.debug("could not edit a view's message to disable it", exc_info=True)

    async def on_timeout(self) -> None:
        await self.disable()

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: Any) -> None:
        log.error("button %r failed", getattr(item, "custom_id", item), exc_info=error)
        await _reply(interaction, "That didn't work on my side; please try again.")


async def _reply(interaction: discord.Interaction, text: str) -> None:
    await try_send_private(interaction, text)


class PrivateFeedbackView(OwnerView):
    """Posted in the channel when a private round's feedback can't go by DM: one button that shows
    the feedback to the owner alone (`show` sends it as an ephemeral reply)."""

    TIMEOUT_S = 6 * 3600.0  # then the button greys out; the answers stay in /history

    def __init__(self, owner_id: int, show: Callable[[discord.Interaction], Awaitable[None]], *,
                 timeout: float = TIMEOUT_S) -> None:
        super().__init__(owner_id, timeout=timeout)
        self._show = show

    @discord.ui.button(label="Show my feedback", style=discord.ButtonStyle.primary,
                       custom_id=parley_id("mock", "private-feedback"))
    async def show_feedback(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._show(interaction)


class RoundControls(OwnerView):
    """Repeat / Hint / Skip / Done / End round for the question on screen.

    No timeout: a long answer with no presses must not grey the buttons out mid-round; the
    round adapter disables them when the round ends or the next question's card replaces them.
    """

    def __init__(self, owner_id: int, target: RoundControlsTarget, *,
                 on_type_answer: Callable[[discord.Interaction], Awaitable[None]] | None = None) -> None:
        super().__init__(owner_id, timeout=None)
        self.target = target
        self.on_type_answer = on_type_answer
        if on_type_answer is None:
            self.remove_item(self.type_answer)

    @discord.ui.button(label="Repeat", emoji="🔁", style=discord.ButtonStyle.secondary, row=0,
                       custom_id=parley_id("mock", "repeat"))
    async def repeat(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.target.repeat()
        await _reply(interaction, "Repeating the question.")

    @discord.ui.button(label="Hint", emoji="💡", style=discord.ButtonStyle.secondary, row=0,
                       custom_id=parley_id("mock", "hint"))
    async def hint(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.target.hint()
        await _reply(interaction, "Here's a hint, out loud. Your answer timer gets a fresh start.")

    @discord.ui.button(label="Skip", emoji="⏭️", style=discord.ButtonStyle.secondary, row=0,
                       custom_id=parley_id("mock", "skip"))
    async def skip(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.target.skip()
        await _reply(interaction, "Skipping. Anything you already said is still analysed.")

    @discord.ui.button(label="Done", emoji="✅", style=discord.ButtonStyle.success, row=0,
                       custom_id=parley_id("mock", "done"))
    async def done(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.target.done()
        await _reply(interaction, "Got it, analysing your answer.")

    @discord.ui.button(label="End round", emoji="⏹️", style=discord.ButtonStyle.danger, row=0,
                       custom_id=parley_id("mock", "end"))
    async def end_round(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.target.end()
        await _reply(interaction, "Ending the round; feedback on what you answered is coming.")

    @discord.ui.button(label="Type my answer", emoji="⌨️", style=discord.ButtonStyle.primary, row=1,
                       custom_id=parley_id("mock", "type"))
    async def type_answer(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        if self.on_type_answer is None:
            await _reply(interaction, "Typed answers are not needed right now: just speak.")
            return
        await self.on_type_answer(interaction)

    def enable_typing(self, on_type_answer: Callable[[discord.Interaction], Awaitable[None]]) -> None:
        """Add the “Type my answer” button (voice could not be decrypted)."""
        if self.on_type_answer is None:
            self.on_type_answer = on_type_answer
            self.add_item(self.type_answer)

    def disable_typing(self) -> None:
        """Take the “Type my answer” button away again (the voice decrypts again)."""
        if self.on_type_answer is not None:
            self.on_type_answer = None
            self.remove_item(self.type_answer)


class ConsentView(OwnerView):
    """“Start recording” / “Cancel”; `result()` resolves True, False, or False on timeout."""

    def __init__(self, owner_id: int, *, timeout: float = 120.0) -> None:
        super().__init__(owner_id, timeout=timeout)
        self._decision = Decision()

    async def result(self) -> bool:
        return await self._decision.wait()

    def _decide(self, value: bool) -> None:
        self._decision.settle(value)

    @discord.ui.button(label="Start recording", emoji="🎙️", style=discord.ButtonStyle.success,
                       custom_id=parley_id("mock", "consent-accept"))
    async def accept(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self._decide(True)
        await _reply(interaction, "Thanks! Listen for the first question.")
        await self.disable()

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary,
                       custom_id=parley_id("mock", "consent-cancel"))
    async def decline(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self._decide(False)
        await _reply(interaction, "No problem: nothing was recorded. Start again any time with `/mock start`.")
        await self.disable()

    async def on_timeout(self) -> None:
        self._decide(False)
        await super().on_timeout()

    async def disable(self) -> None:
        self._decide(False)  # no-op once decided
        await super().disable()


class TextAnswerModal(ParleyModal, title="Type your answer"):
    """A typed answer, for when voice can't be received (e.g. it can't be decrypted).

    Each modal gets its own custom_id: discord.py routes a submit by that id alone, so two open
    answer boxes (rounds in two servers) must never share one.
    """

    answer: discord.ui.TextInput = discord.ui.TextInput(
        label="Your answer", style=discord.TextStyle.paragraph, min_length=1, max_length=4000,
        custom_id=parley_id("mock", "answer-text"),
        placeholder="Answer as you would out loud: assumptions first, then your approach.")

    def __init__(self, on_submit: Callable[[discord.Interaction, str], Awaitable[None]], *,
                 follow_up: bool = False) -> None:
        super().__init__(timeout=900, custom_id=parley_id("mock", f"answer-{secrets.token_hex(8)}"),
                         title="Answer the follow-up" if follow_up else "Type your answer")
        self._on_submit = on_submit

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._on_submit(interaction, str(self.answer.value))

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]
        # a Modal's on_error takes no item; discord.py's stub types it after View's
        log.error("typed answer failed", exc_info=error)
        await _reply(interaction, "I couldn't take that answer; please try again.")
