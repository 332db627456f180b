"""`/profile set | show | clear`: a member's target role and pasted job description or CV summary.

Thin: the consent prompt and form live in bot/discord_io/profile_views.py, reading and storing in
bot/practice/profile.py. Everything is private (ephemeral). The profile is stored only after the
member agrees and submits; `/privacy` show, export and delete include it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_io.profile_views import CONSENT_TEXT, ProfileConsentView, profile_embed
from bot.practice.daily_service import AnswerRejected
from bot.practice.profile import preview, profile_needs, role_needs, set_profile
from bot.practice.tailoring import DescriptionError
from bot.storage.profiles import delete_profile, get_profile
from bot.text_safety import safe_excerpt

if TYPE_CHECKING:  # pragma: no cover
    from bot.discord_io.client import ParleyBot

log = logging.getLogger(__name__)


class ProfileCog(commands.Cog):
    """Target role and description, for role-tailored questions."""

    profile = app_commands.Group(name="profile", description="Your target role, for questions fitted to it")

    def __init__(self, bot: ParleyBot) -> None:
        self.bot = bot
        self.services = bot.services

    @profile.command(name="set", description="Set your target role and paste a job description or CV summary")
    async def set_(self, interaction: discord.Interaction) -> None:
        view = ProfileConsentView(interaction.user.id, self._submitted)
        await interaction.response.send_message(CONSENT_TEXT, view=view, ephemeral=True)

    async def _submitted(self, interaction: discord.Interaction, role: str, text: str) -> None:
        user = interaction.user
        try:
            needs = await set_profile(self.services.db, user.id, role=role, text=text, consented=True,
                                      user_name=getattr(user, "display_name", "") or user.name)
        except DescriptionError as e:
            await interaction.response.send_message(f"Nothing was stored. {e}", ephemeral=True)
            return
        picks = preview(self.services.bank.questions, needs, seed=user.id)
        embed = profile_embed(needs, picks)
        embed.description = ("Mock rounds (`/mock start`) and your prep-plan questions now pick by these skills, "
                             "and each question card says why it was chosen.")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @profile.command(name="show", description="See your stored target role and the skills found in it")
    async def show(self, interaction: discord.Interaction) -> None:
        p = await get_profile(self.services.db, interaction.user.id)
        if p is None:
            await interaction.response.send_message(
                "You have no profile. `/profile set` adds a target role so questions fit it.", ephemeral=True)
            return
        needs = profile_needs(p)
        e = profile_embed(needs, [], title="Your profile")
        e.description = f"Stored {p.updated_at[:10]}, with your consent. `/profile clear` erases it."
        await interaction.response.send_message(embed=e, ephemeral=True)

    @profile.command(name="question", description="A question fitted to your target role (in a daily thread: answer it there)")
    async def question(self, interaction: discord.Interaction) -> None:
        needs = await role_needs(self.services.db, interaction.user.id)
        if needs is None:
            await interaction.response.send_message(
                "You have no target role yet. `/profile set` adds one; then I can pick questions for it.",
                ephemeral=True)
            return
        daily = self.bot.get_cog("DailyCog")
        service = getattr(daily, "service", None)
        channel_id = interaction.channel.id if interaction.channel is not None else 0
        push = await service.push_for_thread(channel_id) if service is not None else None
        if push is not None and service is not None:
            try:
                pick = await service.question_for_role(push, interaction.user.id, needs)
            except AnswerRejected as e:
                await interaction.response.send_message(str(e), ephemeral=True)
                return
            tail = ("Answer it here in this thread, in text or as a voice message: I'll score your next answer "
                    "here against this question.")
        else:
            pick = preview(self.services.bank.questions, needs, seed=interaction.id)[0]
            tail = f"Practise it aloud with `/mock start question:{pick.question.id}`."
        await interaction.response.send_message(
            f"**Your question** ({pick.question.id}):\n> {safe_excerpt(pick.question.prompt, 1200)}\n"
            f"{pick.reason}\n{tail}", ephemeral=True)

    @profile.command(name="clear", description="Erase your target role and pasted description")
    async def clear(self, interaction: discord.Interaction) -> None:
        gone = await delete_profile(self.services.db, interaction.user.id)
        await interaction.response.send_message(
            "Your profile is erased; questions are picked at random again." if gone
            else "You have no profile stored, so there was nothing to erase.", ephemeral=True)


async def setup(bot: ParleyBot) -> None:
    await bot.add_cog(ProfileCog(bot))
