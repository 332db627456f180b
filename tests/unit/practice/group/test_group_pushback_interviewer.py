"""Pushback in a group where a member holds the interviewer's seat (`take_interviewer`): the challenge
goes to that member privately (`ChallengeCard`) and the bot does not speak it; the reply window opens at
once. Without a member in the seat the bot speaks it as before, and when the interviewer leaves the seat
or the group before the reply began, the bot takes the challenge back and asks it aloud. Typed answers, a
controlled clock and synthetic voiced frames; no model, no sleeps."""

from __future__ import annotations

from typing import Any

import pytest

from bot.practice.group import (
    ChallengeAsked,
    ChallengeCard,
    ChallengeJudged,
    GroupSession,
    Phase,
)
from bot.practice.group.checks import challenge_card_refusal
from bot.practice.group.pushback import LEAD_IN
from tests.unit.practice.group.helpers import A, B, C, Events, bank, clock, engine, make_group, tone  # noqa: F401

DECISION = "I would go with a single Postgres database here because it is simpler to operate and the load is small."
DECIDES = f"I assume a few thousand requests a second. {DECISION}"
DEFENDS = ("I would still keep the single database, because at our scale of a few thousand writes a second "
           "one primary with a replica is plenty, and it is far cheaper to run.")


async def interviewed_group(engine, db, clock, members=(A, B, C), **config: Any) -> tuple[GroupSession, Events]:  # noqa: F811
    """A pushback group where C is the interviewer, so A answers first."""
    g, events = await make_group(engine, db, clock, members=members, pushback=True, **config)
    await g.take_interviewer(C)
    await g.start()
    assert g.current is not None and g.current.answerer_id == A and g.current.interviewer_id == C
    return g, events


async def commit_to_a_decision(g: GroupSession) -> None:
    await g.submit_text_answer(A, DECIDES)
    assert g.phase is Phase.CHALLENGE


async def test_the_challenge_goes_to_the_human_interviewer_and_is_not_spoken(engine, db, clock) -> None:  # noqa: F811
    g, events = await interviewed_group(engine, db, clock, pushback_seconds=40.0)
    turn = g.current
    assert turn is not None
    await commit_to_a_decision(g)
    handed_at = clock.now()

    assert events.of(ChallengeAsked) == []  # the bot says nothing
    (card,) = events.of(ChallengeCard)
    pb = turn.pushback
    assert pb is not None
    assert (card.turn_number, card.interviewer_id, card.answerer_id) == (turn.number, C, A)
    assert card.challenge == pb.challenge and card.challenge in turn.question.challenges
    assert card.decision == DECISION  # the decision it challenges, to put in the interviewer's own words
    assert pb.asked_by == "interviewer" and pb.asker_id == C
    # only the interviewer may open the card
    assert challenge_card_refusal(g, turn.number, C) is None
    assert challenge_card_refusal(g, turn.number, A) == "Only this turn's interviewer can see the challenge card."
    assert challenge_card_refusal(g, turn.number, B) == "Only this turn's interviewer can see the challenge card."

    # the reply window opened at once: the answerer's words from the handover on are the reply,
    # none of them is set aside as talking over the (human) challenger
    assert pb.origin == handed_at and pb.listener is not None
    assert pb.deadline == pytest.approx(handed_at + 40.0)
    g.feed_audio(A, tone(2.0), at=handed_at + 3.0)
    assert pb.voiced_s == pytest.approx(2.0)
    g.challenge_playing(turn.number)  # a front end marking playback changes nothing: none is played
    g.challenge_delivered(turn.number, at=handed_at + 10.0)
    assert pb.origin == handed_at

    await g.submit_text_answer(A, DEFENDS)
    (judged,) = events.of(ChallengeJudged)
    j = judged.turn.pushback.judgement
    assert j is not None and j.verdict == "defended"
    assert j.talk_over is None and not j.talked_over  # talking over a person is not measured by the bot
    assert pb.lines[1] == f"The interviewer challenged: “{pb.challenge}”"
    assert g.phase is Phase.RATING
    (entry,) = {m["user_id"]: m for m in g.summary()["members"]}[A]["pushback"]
    assert entry["asked_by"] == "interviewer" and entry["verdict"] == "defended" and "talked_over" not in entry


async def test_the_reply_to_the_interviewers_challenge_ends_on_its_time_from_the_handover(engine, db, clock) -> None:  # noqa: F811
    g, events = await interviewed_group(engine, db, clock, pushback_seconds=30.0)
    await commit_to_a_decision(g)
    pb = g.current.pushback
    assert pb is not None and pb.listener is not None  # heard from the handover: nobody marks a playback
    clock.advance(29.0)
    await g.poll()
    assert g.phase is Phase.CHALLENGE
    clock.advance(1.5)
    await g.poll()
    assert events.of(ChallengeJudged)[0].turn.pushback is pb
    assert pb.end_reason == "time" and pb.judgement.verdict == "no_reply"
    assert g.phase is Phase.RATING


async def test_while_the_interviewer_asks_the_answerers_silence_does_not_end_the_reply(engine, db, clock) -> None:  # noqa: F811
    g, events = await interviewed_group(engine, db, clock, pushback_seconds=60.0, end_silence_s=15.0)
    await commit_to_a_decision(g)
    pb = g.current.pushback
    assert pb is not None
    handed = clock.now()
    g.feed_audio(A, tone(0.2), at=handed + 1.0)  # "mm?" as the card is handed over: part of the reply
    assert pb.voiced_s == pytest.approx(0.2)
    g.feed_audio(C, tone(10.0), at=handed + 3.0)  # C reads the card, then asks for ten seconds
    clock.advance(27.0)  # A has been silent 26 s, but only 14 s since C finished
    await g.poll()
    assert g.phase is Phase.CHALLENGE and pb.voiced_s == pytest.approx(0.2)  # C's voice is not the reply
    clock.advance(2.0)  # 16 s after C finished: A's silence ends the reply, as after any challenge
    await g.poll()
    assert events.of(ChallengeJudged)[0].turn.pushback.end_reason == "silence"


async def test_without_a_human_interviewer_the_bot_speaks_the_challenge_as_before(engine, db, clock) -> None:  # noqa: F811
    g, events = await make_group(engine, db, clock, pushback=True)
    await g.start()
    turn = g.current
    assert turn is not None
    await g.submit_text_answer(A, DECIDES)
    assert events.of(ChallengeCard) == []
    (asked,) = events.of(ChallengeAsked)
    pb = turn.pushback
    assert pb is not None and pb.asked_by == "bot" and pb.asker_id is None
    assert asked.spoken == f"ada, {LEAD_IN} {pb.challenge}" and not asked.taken_back
    assert pb.origin is None and pb.listener is None  # the reply waits for the challenge to be spoken
    assert challenge_card_refusal(g, turn.number, A) == "There's no challenge card for this turn any more."
    g.challenge_playing(turn.number)
    clock.advance(4.0)
    g.challenge_delivered(turn.number)
    await g.submit_text_answer(A, DEFENDS)
    j = events.of(ChallengeJudged)[0].turn.pushback.judgement
    assert j.talk_over is not None and j.talk_over.challenge_s == pytest.approx(4.0)  # measured, as before
    assert pb.lines[1] == f"I challenged: “{pb.challenge}”" and pb.to_dict()["asked_by"] == "bot"

    # a member who takes the seat only during the answer did not ask this turn's question: the bot asks
    g2, events2 = await make_group(engine, db, clock, pushback=True)
    await g2.start()
    await g2.take_interviewer(C)
    assert g2.current is not None and g2.current.interviewer_id is None
    await g2.submit_text_answer(A, DECIDES)
    assert len(events2.of(ChallengeAsked)) == 1 and events2.of(ChallengeCard) == []


async def test_an_interviewer_gone_before_the_challenge_leaves_it_to_the_bot(engine, db, clock) -> None:  # noqa: F811
    g, events = await interviewed_group(engine, db, clock)
    await g.leave(C)  # during A's answer
    await commit_to_a_decision(g)
    assert events.of(ChallengeCard) == []
    (asked,) = events.of(ChallengeAsked)
    assert not asked.taken_back and g.current.pushback.asked_by == "bot"


@pytest.mark.parametrize("how", ["leaves the group", "leaves the seat", "erases their data"])
async def test_the_interviewer_going_before_the_reply_makes_the_bot_ask_it_aloud(engine, db, clock, how) -> None:  # noqa: F811
    g, events = await interviewed_group(engine, db, clock, pushback_seconds=30.0)
    turn = g.current
    assert turn is not None
    await commit_to_a_decision(g)
    (card,) = events.of(ChallengeCard)
    pb = turn.pushback
    assert pb is not None and pb.listener is not None
    first_listener = pb.listener
    clock.advance(12.0)  # the card was handed over; the interviewer never asked
    if how == "leaves the group":
        await g.leave(C)
    elif how == "leaves the seat":
        await g.release_interviewer(C)
    else:
        assert await g.erase_member(C)

    (asked,) = events.of(ChallengeAsked)
    assert asked.taken_back and asked.answerer_id == A and asked.challenge == card.challenge
    assert asked.spoken == f"ada, {LEAD_IN} {card.challenge}"
    assert g.phase is Phase.CHALLENGE and turn.pushback is pb
    # a fresh reply window, opened once the bot has spoken it, with talking over measured as usual
    assert pb.asked_by == "bot" and pb.asker_id is None and pb.origin is None and pb.listener is None
    assert first_listener.ended  # the card's listener heard nothing worth keeping and is closed
    assert pb.deadline == pytest.approx(clock.now() + 30.0)
    assert challenge_card_refusal(g, turn.number, C) == "There's no challenge card for this turn any more."
    start = clock.now() + 0.5
    g.challenge_playing(turn.number, at=start)
    g.feed_audio(A, tone(2.0), at=start + 1.0)  # over the bot's challenge
    clock.advance(5.0)
    g.challenge_delivered(turn.number, at=start + 4.0)
    assert pb.origin == start + 4.0 and pb.listener is not None
    await g.submit_text_answer(A, DEFENDS)
    j = events.of(ChallengeJudged)[0].turn.pushback.judgement
    assert j.verdict == "rigid" and j.why == "talked over the challenge"
    assert pb.lines[1] == f"I challenged: “{pb.challenge}”"
    if how == "erases their data":
        assert all(C not in (t.interviewer_id, t.pushback.asker_id if t.pushback else None) for t in g.turns)


async def test_once_the_reply_is_under_way_the_interviewer_leaving_changes_nothing(engine, db, clock) -> None:  # noqa: F811
    g, events = await interviewed_group(engine, db, clock)
    turn = g.current
    assert turn is not None
    await commit_to_a_decision(g)
    pb = turn.pushback
    assert pb is not None
    g.feed_audio(A, tone(1.5), at=clock.now() + 6.0)  # A is answering the challenge C asked
    clock.advance(8.0)
    await g.leave(C)
    assert events.of(ChallengeAsked) == []  # not asked a second time
    assert pb.asked_by == "interviewer" and pb.asker_id is None and pb.listener is not None
    assert pb.voiced_s == pytest.approx(1.5)  # what was heard stays in the reply
    await g.submit_text_answer(A, DEFENDS)
    assert events.of(ChallengeJudged)[0].turn.pushback.judgement.verdict == "defended"


async def test_the_answerer_leaving_does_not_make_the_bot_ask_anyone(engine, db, clock) -> None:  # noqa: F811
    g, events = await interviewed_group(engine, db, clock, members=(A, C))
    await commit_to_a_decision(g)
    await g.leave(A)  # C is alone and loses the seat: nobody is left to challenge
    assert events.of(ChallengeAsked) == []
    assert events.of(ChallengeJudged)[0].turn.pushback.end_reason == "left"
