"""Who may press what during a peer group, as pure checks on a `GroupSession`'s state.

Each check returns the friendly refusal to show the presser, or None when the press may go
ahead. Kept apart from the Discord views so the rules can be read (and tested) without them.
"""

from __future__ import annotations

from bot.practice.group import GroupSession, Phase, Turn

_SPEAKING = (Phase.ANSWERING, Phase.CHALLENGE)  # the answerer has the floor: an answer, or a pushback reply


def _current_turn(session: GroupSession, turn_number: int) -> Turn | None:
    turn = session.current
    return turn if turn is not None and turn.number == turn_number else None


def type_answer_refusal(session: GroupSession, turn_number: int, user_id: int) -> str | None:
    """Typing an answer: only the answerer, during their own turn's answer (or reply to a challenge)."""
    turn = _current_turn(session, turn_number)
    if turn is None or turn.answerer_id != user_id or session.phase not in _SPEAKING:
        return "You can type an answer only during your own turn."
    return None


def done_refusal(session: GroupSession, turn_number: int, user_id: int) -> str | None:
    """Ending an answer: the answerer, this turn's interviewer or the group's owner."""
    turn = _current_turn(session, turn_number)
    if turn is None or session.phase not in _SPEAKING:
        return "That turn is already over."
    if user_id not in (turn.answerer_id, turn.interviewer_id, session.owner_id):
        return "Only the person answering can end their answer."
    return None


def card_refusal(session: GroupSession, turn_number: int, user_id: int) -> str | None:
    """The question card: only this turn's interviewer sees it."""
    turn = _current_turn(session, turn_number)
    if turn is None or turn.interviewer_id is None:
        return "There's no question card for this turn: the bot asks it."
    if user_id != turn.interviewer_id:
        return "Only this turn's interviewer can see the question card."
    return None


def challenge_card_refusal(session: GroupSession, turn_number: int, user_id: int) -> str | None:
    """The challenge card (pushback with a member as interviewer): only the member asking it, while it's open."""
    turn = _current_turn(session, turn_number)
    pb = turn.pushback if turn is not None else None
    if turn is None or pb is None or session.phase is not Phase.CHALLENGE:
        return "That challenge is over."
    if pb.asker_id is None:
        return "There's no challenge card for this turn any more."
    if user_id != pb.asker_id:
        return "Only this turn's interviewer can see the challenge card."
    return None


def rating_refusal(session: GroupSession, turn_number: int, user_id: int) -> str | None:
    """Opening the rating modal: a member who heard the answer, not its answerer, while rating is open."""
    turn = session.turns[turn_number - 1] if 0 < turn_number <= len(session.turns) else None
    window = turn.ratings if turn is not None else None
    if turn is None or window is None or window.closed or session.phase is not Phase.RATING \
            or turn is not session.current:
        return "Rating for that answer has closed."
    if user_id == turn.answerer_id:
        return "You can't rate your own answer; the others are rating it now."
    if user_id not in window.raters:
        return "Only members who were in the group for this answer can rate it."
    return None


def rating_seconds_left(session: GroupSession, turn_number: int) -> float:
    """How long a rating modal opened now should stay live (at least a second)."""
    window = session.turns[turn_number - 1].ratings
    assert window is not None
    return max(1.0, window.closes_at - session.clock.now())


def end_refusal(session: GroupSession, user_id: int, *, manages_server: bool) -> str | None:
    """Ending the whole group: its owner or a server manager."""
    if user_id != session.owner_id and not manages_server:
        return ("Only the person who started the group (or a server manager) can end it. "
                "Use /group leave to step out.")
    return None
