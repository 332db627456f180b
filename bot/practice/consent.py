"""The consent notice every member sees, once per server, before Parley records them.

Plain text (no Discord types) so the cogs, the CLI and the tests share one wording.
"""

from __future__ import annotations

from bot.config import Settings

CONSENT_TITLE = "Before Parley listens to you"


def consent_notice(settings: Settings | None = None) -> str:
    """What is recorded, what is kept and for how long, and how to see or delete it."""
    days = (settings or Settings()).keep_audio_days
    audio = (
        "Your voice is turned into text while you answer and is then thrown away: no audio is saved, "
        f"unless you switch on `/privacy audio on`, in which case your recordings are kept for {days} "
        f"day{'s' if days != 1 else ''} and then deleted automatically."
        if days > 0 else
        "Your voice is turned into text while you answer and is then thrown away: no audio is saved."
    )
    return "\n\n".join([
        "During a practice round Parley listens only to the people taking part, and only while the "
        "round runs.",
        audio,
        "What is saved: the transcript of each answer, its score and feedback, the questions you were "
        "asked, and peer ratings in groups (ratings stay anonymous). Other members only see your "
        "answers when they are in the same group as you.",
        "These stay in your history until you delete them. `/privacy show` lists what is stored, "
        "`/privacy export` sends you a copy, and `/privacy delete` erases all of it.",
        "Press **Accept** to go on. You'll only be asked once in this server.",
    ])
