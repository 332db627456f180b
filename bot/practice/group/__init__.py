"""Peer practice groups: several members in one voice channel take turns answering.

Everything about a group's logic lives in this package, one module per job (no discord here):

* `state.py`      phases, settings (`GroupConfig`), members, turns, and the errors members meet
* `events.py`     what the session tells its front end, and the front end's `GroupIO` protocol
* `core.py`       the state the parts share; `session.py` puts `GroupSession` together
* `membership.py` join, leave, erase, the interviewer's seat
* `turns.py`      the answer order, each answer's end and analysis, the timers
* `pushback.py`   pushback groups: a committed decision is challenged (by the bot aloud, or from the
                  interviewer's private card) and the reply judged
* `listening.py`  each member's voice activity, the answerer's listener, crosstalk
* `rating.py`     the anonymous rating after each answer (`rating_window.py`: one window)
* `summary.py`    ending the group, its summary, saving progress
* `checks.py`     who may press what, as pure checks for the front end

The Discord front end is bot/discord_io/group_io.py (with group_views.py and group_embeds.py),
the slash commands cogs/group.py, the stored rows bot/storage/group.py.
"""

from __future__ import annotations

from bot.clock import ManualClock
from bot.practice.group.events import (
    AnswerAnalyzed,
    AnswerEnded,
    ChallengeAsked,
    ChallengeCard,
    ChallengeJudged,
    GroupEnded,
    GroupEvent,
    GroupIO,
    MemberErased,
    MemberJoined,
    MemberLeft,
    QuestionCard,
    RatingClosed,
    RatingOpened,
    TimeWarning,
    TurnStarted,
    io_listener,
)
from bot.practice.group.listening import voiced_frames
from bot.practice.group.session import GroupSession
from bot.practice.group.state import (
    ERASED,
    MAX_MEMBERS,
    GroupConfig,
    GroupError,
    GroupFull,
    MemberState,
    NotAMember,
    Phase,
    Pushback,
    Turn,
)

__all__ = [
    "ERASED", "MAX_MEMBERS", "AnswerAnalyzed", "AnswerEnded", "ChallengeAsked", "ChallengeCard", "ChallengeJudged", "GroupConfig", "GroupEnded", "GroupError",
    "GroupEvent", "GroupFull", "GroupIO", "GroupSession", "ManualClock", "MemberErased", "MemberJoined",
    "MemberLeft", "MemberState", "NotAMember", "Phase", "Pushback", "QuestionCard", "RatingClosed", "RatingOpened",
    "TimeWarning", "Turn", "TurnStarted", "io_listener", "voiced_frames",
]
