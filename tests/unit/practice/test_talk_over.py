"""Talking over a challenge: the meter on synthetic voiced/unvoiced frames, the judgement it caps, and a
solo pushback round whose front end plays the challenge while the member speaks over it (typed
answers, so no model; the clock is controlled; no sleeps)."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.bank import load_bank
from bot.config import Settings
from bot.models import Question
from bot.practice.engine import PracticeEngine
from bot.practice.pushback import TALKED_OVER, feedback_lines, find_decision, judge_reply
from bot.practice.round import MockRound, RoundState, RoundSummary
from bot.practice.round.extras import PracticeExtras
from bot.practice.talk_over import TALK_OVER_TOLERANCE_S, TalkOver, TalkOverMeter
from bot.speech.stt import Transcriber
from tests.fakes import StepClock
from tests.unit.practice.group.helpers import quiet, tone

F = 0.02  # one frame
QID = "design-telemetry-ingestion"
ANSWER = "I assume twenty thousand writes a second. I'd go with Kafka here because replay matters more than simplicity."
DEFEND = ("I'd still keep Kafka, because replaying a day of data after a bad deploy is exactly what this "
          "pipeline needs, and a managed offering takes most of the operations away.")
BANK = load_bank(Settings.from_env({}).bank_dir)


def test_overlap_counts_only_voiced_frames_inside_the_playback() -> None:
    m = TalkOverMeter(opened_at=100.0)
    m.feed_voiced([True] * 50, 99.0)             # 1 s before playback: not over it
    m.playback_started(100.5)
    m.feed_voiced([False] * 25 + [True] * 75 + [False] * 50, 100.5)  # 0.5 s in, 1.5 s of speech
    m.feed_voiced([True] * 100, 103.0)           # from 2.5 s in, past the end at 4.0 s: 1.5 s over it
    m.playback_ended(104.5)
    r = m.result()
    assert r.overlap_s == pytest.approx(3.0) and r.first_at_s == pytest.approx(0.5)
    assert r.challenge_s == pytest.approx(4.0) and r.talked_over and r.tolerance_s == TALK_OVER_TOLERANCE_S


def test_tolerance_and_missing_playback_marks() -> None:
    m = TalkOverMeter(opened_at=10.0, tolerance_s=1.0)
    m.feed_voiced([True] * 50, 11.0)   # exactly 1.0 s: within the tolerance
    r = m.result(now=20.0)             # no marks: from the opening to now
    assert r.overlap_s == pytest.approx(1.0) and not r.talked_over and r.challenge_s == pytest.approx(10.0)
    m.feed_voiced([True], 12.0)        # one frame more tips it over
    assert m.result(now=20.0).talked_over
    assert TalkOverMeter(opened_at=0.0).result(now=5.0) == TalkOver(0.0, None, 5.0)


def test_the_meter_reads_discord_pcm() -> None:
    m = TalkOverMeter(opened_at=0.0, voice_rms=0.01)
    m.playback_started(0.0)
    m.feed_pcm(quiet(0.4) + tone(1.6) + tone(0.5, amp=0.001), 0.0)  # a murmur under the threshold is silence
    m.playback_ended(3.0)
    assert m.result().overlap_s == pytest.approx(1.6) and m.result().first_at_s == pytest.approx(0.4)
    # plain Python numbers, as the stored summary's JSON needs (numpy scalars are not serialisable)
    j = judge_reply(DEFEND, challenge="Why Kafka?", answer=ANSWER, talk_over=m.result())
    assert json.loads(json.dumps(j.to_dict()))["talked_over"] is True
    assert all(type(v) in (float, bool) for k, v in j.to_dict().items() if k.startswith(("talked", "challenge_s")))


@pytest.mark.parametrize("reply", [DEFEND, "Fair point, I'd use a managed time-series database instead since "
                                   "the team is small.", "", "No, Kafka is fine. Everyone uses it."])
def test_talking_over_makes_any_reply_at_most_rigid(reply: str) -> None:
    q = BANK.get(QID)
    challenge = q.challenges[0]
    over = TalkOver(2.2, 0.8, 4.0)
    plain = judge_reply(reply, challenge=challenge, answer=ANSWER, question=q)
    j = judge_reply(reply, challenge=challenge, answer=ANSWER, question=q, talk_over=over)
    assert j.verdict == "rigid" and j.why == TALKED_OVER and j.text_verdict == plain.verdict and j.talked_over
    assert j.to_dict()["talked_over_s"] == 2.2 and j.to_dict()["talked_over_at_s"] == 0.8
    within = judge_reply(reply, challenge=challenge, answer=ANSWER, question=q, talk_over=TalkOver(0.6, 1.0, 4.0))
    assert within.verdict == plain.verdict and not within.talked_over and within.talk_over is not None
    decision = find_decision(ANSWER)
    assert decision is not None
    lines = feedback_lines(decision, challenge, j)
    assert any(line.startswith("You started speaking while I was still making my challenge: 0.8 s into it, "
                               "and spoke over it for about 2.2 s of its 4 s.") for line in lines)
    assert not any(line.startswith("That came across as rigid") for line in lines)  # said kindly, once


# --------------------------------------------------------------------------- a solo round


class SpeakingIO:
    """A front end whose challenge takes `challenge_s` to play while the member talks over it for
    `over_s` (frames fed to the round as the receive thread would)."""

    def __init__(self, clock: StepClock, over_s: float, challenge_s: float = 4.0) -> None:
        self.clock, self.over_s, self.challenge_s = clock, over_s, challenge_s
        self.round: MockRound | None = None
        self.said: list[tuple[str, str]] = []
        self.feedback: list[RoundSummary] = []

    async def post_consent(self, text: str) -> bool:
        return True

    async def say(self, text: str, *, kind: str) -> None:
        self.said.append((kind, text))
        r = self.round
        if kind != "follow_up" or r is None:
            return
        self.clock.t += 0.3  # rendering
        r.playback_started()
        frames = tone(self.over_s) + quiet(self.challenge_s - self.over_s)
        for i in range(0, len(frames), 3840):  # 20 ms frames, each arriving when it ends
            self.clock.t += F
            r.feed_audio(frames[i:i + 3840], at=self.clock.t)
        r.playback_ended()

    async def post_question_card(self, question: Question, index: int, total: int) -> None:
        pass

    async def post_status(self, text: str) -> None:
        pass

    async def post_feedback(self, summary: RoundSummary) -> None:
        self.feedback.append(summary)

    async def round_closed(self, summary: RoundSummary) -> None:
        pass


@pytest.mark.parametrize(("over_s", "verdict"), [(2.5, "rigid"), (0.6, "defended")])
async def test_solo_pushback_round_hears_the_member_talk_over_the_challenge(settings, db, over_s, verdict) -> None:
    engine = PracticeEngine(settings=settings, bank=BANK, transcriber=Transcriber(settings), db=db)
    clock = StepClock()
    io = SpeakingIO(clock, over_s)
    extras = PracticeExtras(pushback=True, own_questions=False)
    r = MockRound(engine, io, user_id=42, user_name="ana", questions=[BANK.get(QID)],
                  settings=settings.with_(questions_per_round=1), clock=clock, extras=extras)
    extras.bind(r)
    io.round = r
    task = asyncio.create_task(r.run())
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 1), 30)
    assert r.answer_text(ANSWER)
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 2), 30)  # after the challenge was spoken
    assert io.said[-1][0] == "follow_up" and io.said[-1][1] in BANK.get(QID).challenges
    assert r.answer_text(DEFEND)
    summary = await asyncio.wait_for(task, 30)
    (pb,) = summary.extras["pushback"]
    assert pb["verdict"] == verdict and pb["talked_over_s"] == pytest.approx(over_s, abs=0.021)
    assert pb["challenge_s"] == pytest.approx(4.0, abs=0.021) and pb["talked_over_at_s"] == pytest.approx(0.0, abs=0.021)
    if verdict == "rigid":
        assert pb["why"] == "talked over the challenge" and pb["text_verdict"] == "defended"
        assert any("You started speaking while I was still making my challenge" in line for line in pb["lines"])
    assert summary.answers[0].follow_up_talk_over is not None and io.feedback == [summary]
