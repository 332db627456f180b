"""Pushback in a peer group (`GroupConfig(pushback=True)`), without the model: a typed answer that
commits to a decision is challenged aloud, the same member's reply (typed here; real voices in
tests/integration/test_group_audio.py) is judged, talking over the challenge counts against it, and the
summary carries the moment. A controlled clock; synthetic voiced frames; no sleeps."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.practice.group import (
    AnswerAnalyzed,
    ChallengeAsked,
    ChallengeJudged,
    GroupEnded,
    GroupError,
    GroupSession,
    Phase,
    RatingOpened,
)
from bot.practice.group.checks import done_refusal, type_answer_refusal
from bot.storage.group import GroupStore
from tests.unit.practice.group.helpers import A, B, C, Events, bank, clock, engine, make_group, quiet, tone  # noqa: F401

DECIDES = ("I assume a few thousand requests a second. I would go with a single Postgres database here "
           "because it is simpler to operate and the load is small.")
VAGUE = "It depends on many things. There are lots of options and every tool has pros and cons."
DEFENDS = ("I would still keep the single database, because at our scale of a few thousand writes a second "
           "one primary with a replica is plenty, and it is far cheaper to run.")
DISMISSES = "No, that's fine. Trust me, everyone uses it."


async def pushback_group(engine, db, clock, **config: Any) -> tuple[GroupSession, Events]:  # noqa: F811
    g, events = await make_group(engine, db, clock, pushback=True, **config)
    await g.start()
    return g, events


async def answer_and_get_challenged(g: GroupSession, events: Events, text: str = DECIDES) -> ChallengeAsked:
    turn = g.current
    assert turn is not None
    await g.submit_text_answer(turn.answerer_id, text)
    assert g.phase is Phase.CHALLENGE
    (asked,) = [e for e in events.of(ChallengeAsked) if e.turn_number == turn.number]
    return asked


async def test_a_committed_answer_is_challenged_and_a_reasoned_reply_is_defended(engine, db, clock) -> None:  # noqa: F811
    g, events = await pushback_group(engine, db, clock)
    turn = g.current
    assert turn is not None and turn.answerer_id == A
    asked = await answer_and_get_challenged(g, events)
    # the challenge is one of this question's bank challenges, said to the member who answered
    assert asked.answerer_id == A and asked.challenge in turn.question.challenges
    assert asked.spoken.startswith("ada, let me push back on that.") and asked.challenge in asked.spoken
    # the answer's feedback comes first, the rating waits for the reply
    kinds = [type(e) for e in events.items]
    assert kinds.index(AnswerAnalyzed) < kinds.index(ChallengeAsked) and not events.of(RatingOpened)
    # someone else can't reply for them; the interviewer side, the owner or the answerer can end it
    with pytest.raises(GroupError, match="only during your own turn"):
        await g.submit_text_answer(B, DEFENDS)
    assert type_answer_refusal(g, turn.number, A) is None and done_refusal(g, turn.number, A) is None
    g.challenge_playing(turn.number)
    clock.advance(4.0)
    g.challenge_delivered(turn.number)
    await g.submit_text_answer(A, DEFENDS)

    (judged,) = events.of(ChallengeJudged)
    pb = judged.turn.pushback
    assert pb is not None and pb.judgement is not None
    assert pb.judgement.verdict == "defended" and not pb.judgement.talked_over
    assert pb.lines[0] == f"You committed: “{DECIDES.split('. ')[1]}”"
    assert pb.lines[1] == f"I challenged: “{asked.challenge}”" and pb.lines[2].startswith("You replied: “")
    assert g.phase is Phase.RATING  # then the others rate the answer, as without pushback
    by = {m["user_id"]: m for m in g.summary()["members"]}
    (entry,) = by[A]["pushback"]
    assert entry["verdict"] == "defended" and entry["turn"] == 1 and entry["challenge"] == asked.challenge
    assert entry["decision"].startswith("I would go with a single Postgres") and entry["end_reason"] == "text"
    assert entry["talked_over"] is False and entry["talked_over_s"] == 0.0
    assert by[B]["pushback"] == [] and g.summary()["pushback"] is True


async def test_no_decision_no_challenge_and_pushback_off_by_default(engine, db, clock) -> None:  # noqa: F811
    g, events = await pushback_group(engine, db, clock)
    await g.submit_text_answer(A, VAGUE)
    assert g.phase is Phase.RATING and not events.of(ChallengeAsked)
    plain, plain_events = await make_group(engine, db, clock)
    await plain.start()
    await plain.submit_text_answer(A, DECIDES)
    assert plain.phase is Phase.RATING and not plain_events.of(ChallengeAsked)
    assert plain.summary()["members"][0]["pushback"] == []


async def test_talking_over_the_challenge_caps_the_verdict_at_rigid(engine, db, clock) -> None:  # noqa: F811
    g, events = await pushback_group(engine, db, clock)
    turn = g.current
    assert turn is not None
    await answer_and_get_challenged(g, events)
    start = clock.now() + 0.5  # the speech is rendered, then plays for 5 s
    g.feed_audio(A, tone(1.0), at=start - 1.0)  # before playback: not talking over
    g.challenge_playing(turn.number, at=start)
    g.feed_audio(A, quiet(1.0) + tone(2.5), at=start)  # from 1.0 s into the challenge, 2.5 s of speech
    g.feed_audio(B, tone(3.0), at=start)  # another member: not the challenged one
    clock.advance(5.5)
    g.challenge_delivered(turn.number, at=start + 5.0)
    await g.submit_text_answer(A, DEFENDS)  # the words alone defend well

    pb = events.of(ChallengeJudged)[0].turn.pushback
    j = pb.judgement
    assert j.verdict == "rigid" and j.why == "talked over the challenge" and j.text_verdict == "defended"
    assert j.talk_over.overlap_s == pytest.approx(2.5) and j.talk_over.first_at_s == pytest.approx(1.0)
    assert j.talk_over.challenge_s == pytest.approx(5.0)
    talk = next(line for line in pb.lines if line.startswith("You started speaking"))
    assert "1.0 s into it" in talk and "about 2.5 s of its 5 s" in talk and "defensive" in talk
    assert any("reasoned defence" in line for line in pb.lines)  # the good part is said too
    (entry,) = g.summary()["members"][0]["pushback"]
    assert entry["verdict"] == "rigid" and entry["talked_over"] and entry["talked_over_at_s"] == pytest.approx(1.0)
    # the stored summary keeps the moment (plain JSON figures)
    summary = await g.end(by=A)
    rec = await GroupStore(db).get(g.session_id)
    assert rec is not None and rec.summary == json.loads(json.dumps(summary))
    (stored,) = rec.summary["members"][0]["pushback"]
    assert stored["why"] == "talked over the challenge" and stored["talked_over_s"] == pytest.approx(2.5)


async def test_a_little_overlap_is_tolerated_and_the_tolerance_is_an_option(engine, db, clock) -> None:  # noqa: F811
    for tolerance, verdict in ((1.0, "defended"), (0.5, "rigid")):
        g, events = await pushback_group(engine, db, clock, talk_over_tolerance_s=tolerance)
        turn = g.current
        assert turn is not None
        await answer_and_get_challenged(g, events)
        start = clock.now()
        g.challenge_playing(turn.number, at=start)
        g.feed_audio(A, tone(0.8), at=start + 2.0)  # an "mm, okay" while it plays
        g.challenge_delivered(turn.number, at=start + 4.0)
        g.feed_audio(A, tone(3.0), at=start + 4.0)  # after it: the reply, never talking over
        await g.submit_text_answer(A, DEFENDS)
        j = events.of(ChallengeJudged)[0].turn.pushback.judgement
        assert j.talk_over.overlap_s == pytest.approx(0.8)
        assert j.verdict == verdict, tolerance


async def test_reply_ends_on_time_with_nothing_said_and_the_group_moves_on(engine, db, clock) -> None:  # noqa: F811
    g, events = await pushback_group(engine, db, clock, pushback_seconds=30.0)
    turn = g.current
    assert turn is not None
    await answer_and_get_challenged(g, events)
    clock.advance(3.0)
    g.challenge_delivered(turn.number)  # the reply's 30 s start once the challenge was spoken
    clock.advance(29.0)
    await g.poll()
    assert g.phase is Phase.CHALLENGE
    clock.advance(1.5)
    await g.poll()
    j = events.of(ChallengeJudged)[0].turn.pushback
    assert j.end_reason == "time" and j.judgement.verdict == "no_reply"
    assert "didn't answer the challenge" in j.lines[-1]
    assert g.phase is Phase.RATING


async def test_a_dismissive_reply_is_rigid_and_pause_moves_the_reply_deadline(engine, db, clock) -> None:  # noqa: F811
    g, events = await pushback_group(engine, db, clock, pushback_seconds=20.0)
    turn = g.current
    assert turn is not None
    await answer_and_get_challenged(g, events)
    g.challenge_delivered(turn.number)
    g.pause()
    clock.advance(60.0)
    g.resume()
    await g.poll()
    assert g.phase is Phase.CHALLENGE  # the dropped connection did not eat the reply time
    await g.submit_text_answer(A, DISMISSES)
    j = events.of(ChallengeJudged)[0].turn.pushback.judgement
    assert j.verdict == "rigid" and j.why.startswith("dismissed")


async def test_ending_or_leaving_during_the_reply_keeps_what_was_heard(engine, db, clock) -> None:  # noqa: F811
    g, events = await pushback_group(engine, db, clock)
    await answer_and_get_challenged(g, events)
    summary = await g.end(by=A)
    (entry,) = summary["members"][0]["pushback"]
    assert entry["end_reason"] == "ended" and entry["verdict"] == "no_reply"
    assert len(events.of(GroupEnded)) == 1 and g.phase is Phase.ENDED

    g2, events2 = await pushback_group(engine, db, clock, members=(A, B, C))
    await answer_and_get_challenged(g2, events2)
    await g2.leave(A)
    assert events2.of(ChallengeJudged)[0].turn.pushback.end_reason == "left"
    assert g2.phase is Phase.RATING and g2.current.answerer_id == A  # B and C rate A's answer, as before


async def test_erasing_the_challenged_member_leaves_no_pushback_behind(engine, db, clock) -> None:  # noqa: F811
    g, events = await pushback_group(engine, db, clock)
    turn = g.current
    assert turn is not None
    await answer_and_get_challenged(g, events)
    g.challenge_delivered(turn.number)
    g.feed_audio(A, tone(1.0), at=clock.now())
    assert await g.erase_member(A)
    assert turn.pushback is None and not events.of(ChallengeJudged)
    assert g.phase is Phase.ANSWERING and g.current.answerer_id == B  # the next turn began
    assert all(m["user_id"] != A for m in g.summary()["members"])
