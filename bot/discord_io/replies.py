"""Ephemeral replies to an interaction, whether or not it was answered already.

Discord takes one response per interaction; anything after it goes through the followup
webhook. Every private note (refusals, errors, confirmations) goes through here.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

log = logging.getLogger(__name__)


async def send_private(interaction: discord.Interaction, text: str | None = None, **kwargs: Any) -> None:
    """An ephemeral reply (only the presser sees it); raises what discord.py raises."""
    if text is not None:
        kwargs["content"] = text
    if interaction.response.is_done():
        await interaction.followup.send(ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(ephemeral=True, **kwargs)


async def try_send_private(interaction: discord.Interaction, text: str | None = None, *,
                           failure: str = "could not answer an interaction", level: int = logging.DEBUG,
                           **kwargs: Any) -> None:
    """`send_private`, logging (at `level`) instead of raising when Discord refuses it: for replies
    sent from error paths, where a second failure has nobody left to tell."""
    try:
        await send_private(interaction, text, **kwargs)
    except discord.HTTPException:
        log.log(level, failure, exc_info=level <= logging.DEBUG)
