"""Discord attachments seen through `bot.practice.answer_uploads`' plain checks."""

from __future__ import annotations

from collections.abc import Iterable

import discord

from bot.practice.answer_uploads import looks_like_audio


def is_audio(att: discord.Attachment) -> bool:
    return looks_like_audio(att.filename, att.content_type, voice_message=att.is_voice_message())


def split_audio(attachments: Iterable[discord.Attachment]) -> tuple[list[discord.Attachment], list[discord.Attachment]]:
    """(the audio attachments, the others), each in posting order."""
    audio: list[discord.Attachment] = []
    others: list[discord.Attachment] = []
    for att in attachments:
        (audio if is_audio(att) else others).append(att)
    return audio, others
