"""A mock round with pushback and the candidate's own questions, spoken through real audio (espeak-ng
→ Discord PCM frames → the real whisper model). Only the front end is fake, as in test_round.py."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from bot.practice.round import MockRound, RoundState
from bot.practice.round.extras import INVITE_QUESTIONS, PracticeExtras
from tests.fakes import RecordingRoundIO, StepClock
from tests.integration.round_helpers import QID, STEP, feed, silence

ANSWER = ("I assume about one hundred thousand vehicles, so twenty thousand writes per second. "
          "Vehicles send to a stateless ingestion service behind a load balancer. "
          "I would go with Kafka here because replay matters more than simplicity. That's my answer.")
DEFEND = ("I would still keep Kafka, because replaying a day of data after a bad deploy is exactly what this "
          "pipeline needs, and a managed service takes most of the operations away. That's my answer.")
QUESTIONS = ("What are the biggest scaling challenges your team is facing right now? "
             "How does the team balance shipping fast with keeping the services stable? That's my answer.")


def _round(engine, io, clock, **extras_kw):
    settings = engine.settings.with_(questions_per_round=1)
    extras = PracticeExtras(**extras_kw)
    r = MockRound(engine, io, user_id=42, user_name="ana", guild_id=7, channel_id=8,
                  questions=[engine.bank.get(QID)], settings=settings, clock=clock, extras=extras)
    extras.bind(r)
    return r


@pytest.mark.slow
async def test_pushback_round_challenges_the_decision_and_judges_the_reply(round_engine, voice):
    io, clock = RecordingRoundIO(), StepClock(5000.0)
    r = _round(round_engine, io, clock, pushback=True, own_questions=True)
    task = asyncio.create_task(r.run())
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 1), STEP)
    await asyncio.to_thread(feed, r, clock, np.concatenate([silence(0.5), voice(ANSWER), silence(2.0)]))

    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 2), STEP)
    kind, challenge = io.said[-1]
    question = round_engine.bank.get(QID)
    assert kind == "follow_up" and challenge in question.challenges and "Kafka" in challenge
    await asyncio.to_thread(feed, r, clock, np.concatenate([silence(0.5), voice(DEFEND), silence(2.0)]))

    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 3), STEP)  # the invitation
    assert io.said[-1] == ("question", INVITE_QUESTIONS)
    await asyncio.to_thread(feed, r, clock, np.concatenate([silence(0.5), voice(QUESTIONS), silence(2.0)]))
    summary = await asyncio.wait_for(task, STEP)

    (pb,) = summary.extras["pushback"]
    assert pb["challenge"] == challenge and pb["verdict"] == "defended", pb
    assert "kafka" in pb["decision"].lower() and pb["decision_at_s"] is not None and pb["decision_at_s"] > 5
    assert pb["lines"][0].startswith("You committed (at 0:") and "“" in pb["lines"][0]
    assert any(line.startswith("You replied: “") for line in pb["lines"])
    own = summary.extras["candidate_questions"]
    assert own["verdict"] == "good" and len(own["questions"]) == 2, own
    assert summary.status == "done" and io.feedback == [summary]
    assert summary.to_dict()["extras"]["pushback"][0]["verdict"] == "defended"


@pytest.mark.slow
async def test_silent_pushback_reply_and_no_questions_get_clear_feedback(round_engine, voice):
    io, clock = RecordingRoundIO(), StepClock(5000.0)
    r = _round(round_engine, io, clock, pushback=True, own_questions=True)
    task = asyncio.create_task(r.run())
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 1), STEP)
    await asyncio.to_thread(feed, r, clock, np.concatenate([silence(0.5), voice(ANSWER), silence(2.0)]))
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 2), STEP)
    r.done()  # nothing said to the challenge
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 3), STEP)
    r.done()  # no questions either
    summary = await asyncio.wait_for(task, STEP)
    (pb,) = summary.extras["pushback"]
    assert pb["verdict"] == "no_reply" and "didn't answer the challenge" in pb["lines"][-1]
    own = summary.extras["candidate_questions"]
    assert own["verdict"] == "none" and "didn't hear a question" in own["lines"][0]
    assert summary.status == "done"


@pytest.mark.slow
async def test_without_a_decision_the_usual_follow_up_is_asked(round_engine, voice):
    io, clock = RecordingRoundIO(), StepClock(5000.0)
    r = _round(round_engine, io, clock, pushback=True, own_questions=False)
    task = asyncio.create_task(r.run())
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 1), STEP)
    vague = "It depends on a lot of things, there are many options and tools. That's my answer."
    await asyncio.to_thread(feed, r, clock, np.concatenate([silence(0.5), voice(vague), silence(2.0)]))
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 2), STEP)
    assert io.said[-1][1] not in round_engine.bank.get(QID).challenges
    r.done()
    summary = await asyncio.wait_for(task, STEP)
    assert "pushback" not in summary.extras and "candidate_questions" not in summary.extras
    assert io.kinds() == ["question", "follow_up"]
