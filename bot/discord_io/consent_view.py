"""The consent flow the mock, group and privacy cogs share.

    if not await ensure_consent(interaction, bot.services):
        return  # declined or no answer: nothing is recorded

A member who has not accepted the notice in this server gets it privately (ephemeral) with
Accept / Decline buttons; acceptance is remembered per server, so they see it once. The buttons
are disabled after a press or when the prompt times out.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.discord_io.member_views import Decision, MemberOnlyView, disable_view
from bot.discord_io.stale_components import parley_id
from bot.practice.consent import CONSENT_TITLE, consent_notice
from bot.storage.privacy import ConsentStore

log = logging.getLogger(__name__)

CONSENT_COLOUR = discord.Colour.gold()


def consent_notice_embed(settings: Any = None, *, footer: str = "") -> discord.Embed:
    e = discord.Embed(title=CONSENT_TITLE, description=consent_notice(settings), colour=CONSENT_COLOUR)
    if footer:
        e.set_footer(text=footer)
    return e


class ConsentPrompt(MemberOnlyView):
    """Accept / Decline for one member; `result()` is True, or False on Decline or timeout."""

    not_yours_text = "This notice is for someone else."

    def __init__(self, user_id: int, *, timeout: float = 120.0) -> None:
        super().__init__(user_id, timeout=timeout)
        self.message: Any = None              # a followup message, when sent that way
        self.origin: discord.Interaction | None = None  # the interaction whose response holds it
        self._decision = Decision()

    async def result(self) -> bool:
        return await self._decision.wait()

    def _decide(self, value: bool) -> None:
        self._decision.settle(value)

    def _disable_all(self) -> None:
        disable_view(self)

    async def _answered(self, interaction: discord.Interaction, accepted: bool, text: str) -> None:
        """A press: settle the answer, grey the buttons out and say what happens now."""
        self._decide(accepted)
        self._disable_all()
        await interaction.response.edit_message(content=text, view=self)

    @discord.ui.button(label="Accept", style=discord.ButtonStyle.success,
                       custom_id=parley_id("consent", "accept"))
    async def accept(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._answered(interaction, True, "Thanks, you're all set. You won't be asked again in this server.")

    @discord.ui.button(label="Decline", style=discord.ButtonStyle.secondary,
                       custom_id=parley_id("consent", "decline"))
    async def decline(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._answered(interaction, False,
                             "No problem: nothing was recorded. You can accept later with `/privacy consent`.")

    async def on_timeout(self) -> None:
        self._decide(False)
        self._disable_all()
        text = "The notice timed out, so nothing was recorded. Run the command again when you're ready."
        try:
            if self.message is not None:
                await self.message.edit(content=text, view=self)
            elif self.origin is not None:
                await self.origin.edit_original_response(content=text, view=self)
        except discord.HTTPException:
            log.debug("could not disable a timed-out consent prompt")


async def ensure_consent(
    interaction: discord.Interaction,
    services: Any,
    user: Any = None,
    guild: Any = None,
    *,
    timeout: float = 120.0,
) -> bool:
    """True when `user` (default: who interacted) has accepted the notice in `guild`; otherwise
    shows it privately and waits for Accept (remembered) or Decline / timeout (False)."""
    user = user or interaction.user
    guild = guild or interaction.guild
    store = ConsentStore(services.db)
    if guild is None:
        await _send(interaction, content="Practice rounds run inside a server, not in direct messages.")
        return False
    if await store.has(user.id, guild.id):
        return True
    view = ConsentPrompt(user.id, timeout=timeout)
    embed = consent_notice_embed(services.settings)
    sent = await _send(interaction, embed=embed, view=view, wait=True)
    if isinstance(sent, discord.Interaction):
        view.origin = sent
    else:
        view.message = sent
    accepted = await view.result()
    if accepted:
        await store.record(user.id, guild.id, getattr(user, "display_name", "") or "")
    return accepted


async def _send(interaction: discord.Interaction, *, wait: bool = False, **kwargs: Any) -> Any:
    """Ephemeral reply: the response when still open (returns the interaction), else a followup."""
    if not interaction.response.is_done():
        await interaction.response.send_message(ephemeral=True, **kwargs)
        return interaction
    return await interaction.followup.send(ephemeral=True, wait=wait, **kwargs)  # type: ignore[call-overload]  # **kwargs defeats the overloads
