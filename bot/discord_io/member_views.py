"""Building blocks for Parley's views and modals: every one counts toward the per-user
interaction limit (`ParleyView`, `ParleyModal`); views that belong to one member (only they may
press), a yes/no they settle once, and greying every component out when the view is done.
"""

from __future__ import annotations

import asyncio
from typing import TypeVar

import discord

from bot.discord_io.guards import interaction_allowed

V = TypeVar("V", bound=discord.ui.View)


def disable_view(view: V) -> V:
    """Grey out every button and select and stop listening for presses; returns the view, ready
    to be sent in the message edit that shows it."""
    for item in view.children:
        if isinstance(item, (discord.ui.Button, discord.ui.Select)):
            item.disabled = True
    view.stop()
    return view


class ParleyView(discord.ui.View):
    """Every Parley view: each press counts toward the presser's interaction limit (discord.py
    never runs the command tree's check for components), refused with a private note when over."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await interaction_allowed(interaction)


class ParleyModal(discord.ui.Modal):
    """Every Parley modal: a submit counts toward the interaction limit like a press."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await interaction_allowed(interaction)


class MemberOnlyView(ParleyView):
    """A view only `user_id` may use; anyone else gets `not_yours_text`, privately."""

    not_yours_text = "These buttons are for someone else."

    def __init__(self, user_id: int, *, timeout: float | None) -> None:
        super().__init__(timeout=timeout)
        self.user_id = user_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if not await super().interaction_check(interaction):
            return False
        if interaction.user.id == self.user_id:
            return True
        await interaction.response.send_message(self.not_yours_text, ephemeral=True)
        return False


class Decision:
    """A yes/no settled once (later answers are ignored); waiting survives the waiter's cancellation."""

    def __init__(self) -> None:
        self._future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def settle(self, value: bool) -> None:
        if not self._future.done():
            self._future.set_result(value)

    async def wait(self) -> bool:
        return await asyncio.shield(self._future)
