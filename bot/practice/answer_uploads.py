"""Which uploads count as a spoken answer, and what to say about the ones that don't.

Pure checks on an attachment's plain facts (file name, declared content type, whether Discord
marks it as a voice message), so they read and test without Discord objects. Size and length
limits are `DailyService.check_upload`'s.
"""

from __future__ import annotations

from bot.text_safety import safe_excerpt

AUDIO_EXTENSIONS = (".ogg", ".oga", ".opus", ".mp3", ".wav", ".m4a", ".aac", ".flac", ".webm", ".mp4", ".weba")


def looks_like_audio(filename: str, content_type: str | None, *, voice_message: bool = False) -> bool:
    """A voice message, an `audio/*` content type, or an audio file name (types are often missing)."""
    if voice_message:
        return True
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype.startswith("audio/"):
        return True
    return filename.lower().endswith(AUDIO_EXTENSIONS)


def not_audio_text(filename: str) -> str:
    """The reply to an answer sent as a file that isn't audio."""
    return (f"I can only score text or audio answers, and `{safe_excerpt(filename, 80)}` "
            "isn't audio. Type your answer, or send a voice message or an audio file "
            "(ogg, mp3, wav, m4a, flac, webm).")
