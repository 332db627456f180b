"""Pushback in a peer group with real voices through the real model (espeak-ng speech as each member's
own Discord PCM stream, as in test_group_audio.py): a spoken answer that commits to a decision is
challenged, the same member's spoken reply is transcribed and judged, the decision's moment comes from
the word times, and a member who talks over the challenge is judged rigid for it."""

from __future__ import annotations

import random

import pytest

from bot.practice.group import ChallengeAsked, ChallengeJudged, GroupConfig, GroupSession, ManualClock, Phase
from bot.storage.group import GroupStore
from tests.conftest import espeak
from tests.integration.group_audio_helpers import FRAME, feed_together, pcm_of

pytestmark = pytest.mark.slow

ANSWER = ("I assume about twenty thousand writes per second from the vehicles. "
          "I would go with Kafka here because replay matters more than simplicity.")
DEFEND = ("I would still keep Kafka, because replaying a day of data after a bad deploy is exactly what "
          "this pipeline needs, and a managed service takes most of the operations away.")
OVER = "No no, wait, Kafka is the right choice, everybody uses it."


class Events:
    def __init__(self) -> None:
        self.items: list[object] = []

    async def __call__(self, event: object) -> None:
        self.items.append(event)

    def of(self, kind: type) -> list:
        return [e for e in self.items if isinstance(e, kind)]


async def test_spoken_pushback_in_a_group(group_engine, db, tmp_path) -> None:
    answer = pcm_of(espeak(ANSWER, tmp_path / "answer.wav"))
    defend = pcm_of(espeak(DEFEND, tmp_path / "defend.wav"))
    answer_us = pcm_of(espeak(ANSWER, tmp_path / "answer_us.wav", voice="en-us"))
    over = pcm_of(espeak(OVER, tmp_path / "over.wav", voice="en-us"))
    defend_us = pcm_of(espeak(DEFEND, tmp_path / "defend_us.wav", voice="en-us"))
    GB, US = 701, 702
    clock = ManualClock(100.0)
    events = Events()
    g = GroupSession(group_engine, guild_id=1, channel_id=2, owner_id=GB, store=GroupStore(db), clock=clock,
                     listener=events, rng=random.Random(11),
                     config=GroupConfig(turn_seconds=120.0, warning_seconds=10.0, rating_seconds=20.0,
                                        pushback=True))
    await g.open()
    await g.join(GB, "gb")
    await g.join(US, "us")
    await g.start()

    # turn 1: GB commits aloud, is challenged, replies aloud with a reason
    turn = g.current
    assert turn is not None and turn.answerer_id == GB
    g.question_delivered(clock.now())
    feed_together(g, clock, {GB: bytes(FRAME * 25) + answer})
    await g.answer_done(GB)
    assert turn.analysis is not None, turn.error
    assert g.phase is Phase.CHALLENGE, (turn.analysis.transcript, [type(e).__name__ for e in events.items])
    (asked,) = events.of(ChallengeAsked)
    assert asked.challenge in turn.question.challenges
    g.challenge_playing(turn.number, at=clock.now())
    feed_together(g, clock, {GB: bytes(FRAME * 250)})  # 5 s of challenge, GB quiet
    g.challenge_delivered(turn.number, at=clock.now())
    feed_together(g, clock, {GB: bytes(FRAME * 20) + defend})
    await g.answer_done(GB)
    pb = events.of(ChallengeJudged)[0].turn.pushback
    assert pb.judgement.verdict == "defended", (pb.judgement, pb.to_dict())
    assert "kafka" in pb.decision.text.lower() and pb.decision.at_s is not None and pb.decision.at_s > 2.0
    assert pb.lines[0].startswith("You committed (at 0:0") and pb.lines[2].startswith("You replied: “")
    assert pb.judgement.talk_over is not None and pb.judgement.talk_over.overlap_s == 0.0
    assert g.phase is Phase.RATING
    clock.advance(20.0)
    await g.poll()

    # turn 2: US commits, then talks over the challenge before defending it
    turn2 = g.current
    assert turn2 is not None and turn2.answerer_id == US and g.phase is Phase.ANSWERING
    g.question_delivered(clock.now())
    feed_together(g, clock, {US: bytes(FRAME * 25) + answer_us})
    await g.answer_done(US)
    assert g.phase is Phase.CHALLENGE, turn2.error
    g.challenge_playing(turn2.number, at=clock.now())
    feed_together(g, clock, {US: bytes(FRAME * 25) + over})  # from 0.5 s into the challenge
    g.challenge_delivered(turn2.number, at=clock.now())
    feed_together(g, clock, {US: bytes(FRAME * 20) + defend_us})
    await g.answer_done(US)
    pb2 = events.of(ChallengeJudged)[1].turn.pushback
    j = pb2.judgement
    assert j.verdict == "rigid" and j.why == "talked over the challenge" and j.text_verdict == "defended", j
    assert j.talk_over.overlap_s > 1.5 and j.talk_over.first_at_s == pytest.approx(0.5, abs=0.1)
    assert not {"everybody", "wait"} & set(j.reply.text.lower().split())  # the talk-over is not the reply

    summary = await g.end()
    by = {m["user_id"]: m for m in summary["members"]}
    assert [p["verdict"] for p in by[GB]["pushback"]] == ["defended"]
    assert [p["verdict"] for p in by[US]["pushback"]] == ["rigid"] and by[US]["pushback"][0]["talked_over"]
