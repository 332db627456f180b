"""Make user text safe to echo into Discord: no pings, no markdown that breaks an embed."""

from __future__ import annotations

import re

_MENTION = re.compile(r"<(@[!&]?|#)(\d{15,21})>")
_EVERYONE = re.compile(r"@(everyone|here)", re.IGNORECASE)
_MARKDOWN = re.compile(r"([\\*_`~|>\[\]()])")
_ZWSP = "\u200b"


def neutralize_mentions(text: str) -> str:
    """Break @everyone/@here and user/role/channel mentions so they cannot ping anyone."""
    text = _EVERYONE.sub(lambda m: "@" + _ZWSP + m.group(1), text)
    return _MENTION.sub(lambda m: "<" + m.group(1) + _ZWSP + m.group(2) + ">", text)


def escape_markdown(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", text)


def safe_excerpt(text: str, limit: int = 1000) -> str:
    """Mentions neutralized, markdown escaped, cut on a word boundary to at most `limit` characters."""
    text = escape_markdown(neutralize_mentions(text.strip()))
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[-40:]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip("\\") + "…"
