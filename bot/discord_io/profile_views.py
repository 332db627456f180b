"""`/profile set`: the consent prompt and the form (a modal) for a target role and a pasted description."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable

import discord

from bot.discord_io.member_views import MemberOnlyView, ParleyModal, disable_view
from bot.discord_io.stale_components import parley_id
from bot.practice.tailoring import MAX_ROLE_CHARS, Pick, RoleNeeds
from bot.skills import describe
from bot.text_safety import neutralize_mentions, safe_excerpt

log = logging.getLogger(__name__)

COLOUR = discord.Colour.teal()
FORM_MAX_CHARS = 4000  # Discord's limit for one text box

CONSENT_TEXT = (
    "**Before you paste anything:** I'll store your target role, the text you paste (formatting removed) "
    "and the skills I find in it, only to pick practice questions for you in mock rounds and your prep "
    "plan. Nothing is shared with other members. `/privacy show` lists it, `/privacy export` gives you a "
    "copy, and `/profile clear` or `/privacy delete` erases it.\n"
    "Leave out names, contact details and anything you'd rather not store."
)

SubmitHandler = Callable[[discord.Interaction, str, str], Awaitable[None]]


class ProfileModal(ParleyModal, title="Your target role"):
    role: discord.ui.TextInput = discord.ui.TextInput(
        label="Target role (optional)", style=discord.TextStyle.short, required=False,
        max_length=MAX_ROLE_CHARS, placeholder="e.g. Backend engineer, payments",
        custom_id=parley_id("profile", "role"))
    description: discord.ui.TextInput = discord.ui.TextInput(
        label="Job description or CV summary", style=discord.TextStyle.paragraph, required=True,
        max_length=FORM_MAX_CHARS, placeholder="Paste the requirements part of the posting, or a few lines about you.",
        custom_id=parley_id("profile", "description"))

    def __init__(self, on_submit: SubmitHandler) -> None:
        super().__init__(timeout=900, custom_id=parley_id("profile", f"form-{secrets.token_hex(8)}"))
        self._on_submit = on_submit

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._on_submit(interaction, str(self.role.value or ""), str(self.description.value or ""))

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        log.error("profile form failed", exc_info=error)
        if not interaction.response.is_done():
            await interaction.response.send_message("I couldn't save that; nothing was stored. Please try again.",
                                                    ephemeral=True)


class ProfileConsentView(MemberOnlyView):
    """Agree (opens the form) or Cancel; nothing is stored unless the member agrees and submits."""

    not_yours_text = "This prompt is for the member who ran /profile set."

    def __init__(self, user_id: int, on_submit: SubmitHandler, *, timeout: float = 300.0) -> None:
        super().__init__(user_id, timeout=timeout)
        self.on_submit = on_submit
        self.agreed = False

    @discord.ui.button(label="I agree: open the form", style=discord.ButtonStyle.primary,
                       custom_id=parley_id("profile", "agree"))
    async def agree(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.agreed = True
        await interaction.response.send_modal(ProfileModal(self.on_submit))

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id=parley_id("profile", "cancel"))
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        disable_view(self)
        await interaction.response.edit_message(content="Cancelled: nothing was stored.", view=self)


def profile_embed(needs: RoleNeeds, picks: list[Pick], *, title: str = "Profile saved") -> discord.Embed:
    e = discord.Embed(title=title, colour=COLOUR)
    if needs.role:
        e.add_field(name="Target role", value=safe_excerpt(neutralize_mentions(needs.role), 200), inline=False)
    skills = "\n".join(f"• {describe(t)}" + (f" ({', '.join(needs.evidence[t][:3])})" if needs.evidence.get(t) else "")
                       for t in needs.top(8))
    e.add_field(name="Skills I'll practise with you", value=neutralize_mentions(skills)[:1024] or "-", inline=False)
    if picks:
        e.add_field(name="Questions your next round could ask", value="\n".join(
            f"• {p.question.id}: {', '.join(describe(t) for t in p.matched[:2])}" for p in picks)[:1024], inline=False)
    if needs.notes:
        e.set_footer(text=" ".join(needs.notes))
    return e
