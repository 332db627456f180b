"""Logging for the bot process: one handler, and a filter that keeps secrets out of the logs.

`setup_logging(settings)` is called once by the runner/CLI. Whatever a log record says, the
filter replaces anything shaped like a Discord token (three base64url parts joined by dots),
the configured token itself, and `Authorization` header values with "[redacted]". discord.py's
HTTP and gateway loggers are kept at INFO or above even when PARLEY_LOG_LEVEL=DEBUG: at DEBUG
they print request and event payloads, which carry message text (transcripts, answers).
Our own code never logs transcripts; a record that must mention one can mark itself
`extra={"sensitive": True}` and is then dropped unless `include_sensitive=True`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.config import Settings

REDACTED = "[redacted]"

# user/bot tokens: base64 user id . timestamp . HMAC (lengths vary a little across eras)
TOKEN_RE = re.compile(r"[A-Za-z\d_-]{23,28}\.[A-Za-z\d_-]{6,7}\.[A-Za-z\d_-]{27,38}")
AUTH_RE = re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bot\s+|bearer\s+)?)[^\s'\",}]+")

# discord.py loggers whose DEBUG output includes payloads with message content
_PAYLOAD_LOGGERS = ("discord.http", "discord.gateway", "discord.webhook.async_", "discord.state")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    for s in secrets:
        if s:
            text = text.replace(s, REDACTED)
    text = TOKEN_RE.sub(REDACTED, text)
    return AUTH_RE.sub(lambda m: m.group(1) + REDACTED, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's final message (and traceback text) with secrets removed."""

    def __init__(self, secrets: tuple[str, ...] = (), *, include_sensitive: bool = False) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)
        self.include_sensitive = include_sensitive

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "sensitive", False) and not self.include_sensitive:
            return False
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not kill logging
            message = str(record.msg)
        clean = redact(message, self.secrets)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


def setup_logging(settings: Settings, *, stream: Any = None, include_sensitive: bool = False) -> logging.Handler:
    """Configure the root logger once (idempotent); returns the handler it installed."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_parley", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(stream)
    handler._parley = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter((settings.discord_token,), include_sensitive=include_sensitive))
    root.addHandler(handler)
    level = logging.getLevelName(settings.log_level.upper()) if settings.log_level else logging.INFO
    root.setLevel(level if isinstance(level, int) else logging.INFO)
    for name in _PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    return handler
