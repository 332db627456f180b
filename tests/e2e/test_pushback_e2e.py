"""Pushback and the candidate's own questions, spoken end to end: the real bot process against the local
Discord stand-in, the member's voice as a live RTP stream (espeak-ng speech), the bot's speech heard by
the stand-in and transcribed with the real model.

(a) `/mock start pushback:True`: the member commits to a decision aloud, the bot speaks a challenge from
    the question's bank challenges, the member replies aloud with a reason, and the feedback carries the
    judgement with the moment quoted; a second run talks over the challenge while the bot is still
    speaking it, and the verdict is capped at rigid: "talked over the challenge".
(b) `/mock start your_questions:True`: after the follow-up the bot invites the member's own questions,
    the member asks two aloud, and the feedback judges them.

Every step waits on something observable (a message, SPEAKING on/off, RTP) with a bound; no sleeps.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from bot.bank import load_bank
from bot.config import PROJECT_ROOT
from bot.practice.round.extras import INVITE_QUESTIONS
from tests.conftest import espeak
from tests.e2e.standin import DiscordStandIn, StoredMessage, World
from tests.e2e.standin.audio import pcm48_stereo, read_wav, to_16k
from tests.e2e.standin.driver import (
    embed_title,
    has_enabled_button,
    latest_with_enabled,
    overlap,
    press,
    wait_speech_finished,
)
from tests.e2e.standin.world import User

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

QUESTION_ID = "design-telemetry-ingestion"
STARTUP_S = 180.0  # the bot process loads the whisper model on 2 shared cores
STEP_S = 60.0      # any single step of the round

ANSWER = ("I assume about one hundred thousand vehicles, so twenty thousand writes per second. "
          "Vehicles send to a stateless ingestion service behind a load balancer. "
          "I would go with Kafka here because replay matters more than simplicity.")
DEFEND = ("I would still keep Kafka, because replaying a day of data after a bad deploy is exactly what this "
          "pipeline needs, and a managed service takes most of the operations away.")
INTERRUPT = "No no no, wait, Kafka is the right choice here, everybody uses Kafka for this."
QUESTIONS = ("What are the biggest scaling challenges your team is facing right now? "
             "How does your team balance shipping fast with keeping your services stable?")


@pytest.fixture
def world() -> World:
    w = World()
    w.add_member("sam", in_voice=True)
    return w


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory):
    """espeak-ng sentences as Discord PCM (48 kHz stereo), with a short lead and tail of silence."""
    folder = tmp_path_factory.mktemp("speech")
    cache: dict[str, bytes] = {}

    def say(text: str, lead_s: float = 0.4, tail_s: float = 1.0) -> bytes:
        if text not in cache:
            x, rate = read_wav(espeak(text, folder / f"{len(cache)}.wav"))
            cache[text] = pcm48_stereo(np.concatenate([np.zeros(int(lead_s * rate), np.float32), x,
                                                       np.zeros(int(tail_s * rate), np.float32)]), rate)
        return cache[text]

    return say


async def start_round(standin: DiscordStandIn, start_bot, sam: User, **options: bool) -> tuple[object, float]:
    """The bot up, `/mock start question:<id> …options`, the consent accepted, the question card shown."""
    bot = await start_bot(PARLEY_QUESTIONS_PER_ROUND="1")
    await bot.guard(standin.events.wait_for("commands_synced", timeout=STARTUP_S, what="the bot's command sync"))
    await bot.guard(standin.gateway.wait_online(STEP_S))
    t0 = time.monotonic()
    await standin.gateway.slash_command(sam, "mock", "start",
                                        {"question": QUESTION_ID, "your_questions": False, **options})
    consent = await bot.guard(standin.wait_message(has_enabled_button("Start recording"), timeout=STEP_S,
                                                   what="the consent notice", after=t0))
    t_accept = time.monotonic()
    await press(standin, sam, consent, "Start recording")
    await bot.guard(standin.wait_message(has_enabled_button("Done"), timeout=STEP_S,
                                         what="the question card with a Done button", after=t_accept))
    return bot, t_accept


async def speak_then_done(standin: DiscordStandIn, sam: User, pcm: bytes) -> float:
    """sam speaks (a live RTP stream), then presses Done on the latest controls; returns when pressed."""
    await standin.voice.play(sam, pcm)
    controls = latest_with_enabled(standin, "Done")
    t = time.monotonic()
    await press(standin, sam, controls, "Done")
    return t


async def feedback_after(standin: DiscordStandIn, after: float) -> StoredMessage:
    return await standin.wait_message(lambda m: embed_title(m).startswith("Mock round feedback"),
                                      timeout=STEP_S, what="the feedback message", after=after)


def field(message: StoredMessage, prefix: str) -> tuple[str, str]:
    for e in message.embeds:
        for f in e.get("fields") or []:
            if (f.get("name") or "").startswith(prefix):
                return f["name"], f.get("value") or ""
    raise AssertionError(f"no field starting {prefix!r} in {[f.get('name') for e in message.embeds for f in e.get('fields') or []]}")


async def finish(bot, standin: DiscordStandIn) -> None:
    assert not standin.events.find("unhandled_request"), standin.events.find("unhandled_request")
    assert bot.proc.returncode is None, "the bot keeps running after the round"
    rc = await bot.stop()
    assert rc in (0, 130), f"exit code {rc}\n{bot.tail()}"
    log_text = bot.log_text()
    assert "Traceback" not in log_text and " ERROR " not in log_text, bot.tail(80)


async def test_pushback_round_spoken_end_to_end(standin: DiscordStandIn, start_bot, transcriber, speech) -> None:
    sam = standin.world.members[0]
    question = load_bank(PROJECT_ROOT / "question_bank").get(QUESTION_ID)
    bot, t_accept = await start_round(standin, start_bot, sam, pushback=True)
    await bot.guard(wait_speech_finished(standin, after=t_accept, timeout=STEP_S, what="the question"))

    t_done = await bot.guard(speak_then_done(standin, sam, speech(ANSWER)))
    challenge = await bot.guard(wait_speech_finished(standin, after=t_done, timeout=STEP_S, what="the challenge"))
    heard = (await transcriber.transcribe(to_16k(challenge.audio48))).text
    best = max(question.challenges, key=lambda c: overlap(c, heard))
    assert overlap(best, heard) >= 0.5 and "kafka" in best.lower(), (heard, question.challenges)

    t_done2 = await bot.guard(speak_then_done(standin, sam, speech(DEFEND)))
    feedback = await bot.guard(feedback_after(standin, t_done2))
    name, value = field(feedback, "Pushback on question 1")
    print(f"\nchallenge heard: {heard!r}\n{name}\n{value}")
    assert name.endswith(": defended"), (name, value)
    lines = value.splitlines()
    assert lines[0].startswith("You committed (at 0:") and "kafka" in lines[0].lower()
    assert lines[1] == f"I challenged: “{best}”"
    assert lines[2].startswith("You replied: “") and "because" in lines[2].lower()
    assert "backed it with a reason" in value and "talked over" not in value
    await finish(bot, standin)


async def test_talking_over_the_challenge_is_heard_and_judged(standin: DiscordStandIn, start_bot, speech) -> None:
    sam = standin.world.members[0]
    bot, t_accept = await start_round(standin, start_bot, sam, pushback=True)
    await bot.guard(wait_speech_finished(standin, after=t_accept, timeout=STEP_S, what="the question"))
    t_done = await bot.guard(speak_then_done(standin, sam, speech(ANSWER)))

    # the bot starts the challenge (SPEAKING on): sam cuts in at once and talks over it
    on = await bot.guard(standin.events.wait_for("bot_speaking", lambda d: d["speaking"] != 0, timeout=STEP_S,
                                                 after=t_done, what="SPEAKING on for the challenge"))
    interrupting = asyncio.ensure_future(standin.voice.play(sam, speech(INTERRUPT, lead_s=0.0, tail_s=0.2)))
    off = await bot.guard(standin.events.wait_for("bot_speaking", lambda d: d["speaking"] == 0, timeout=STEP_S,
                                                  after=on.at, what="the end of the challenge"))
    sent = await asyncio.wait_for(interrupting, STEP_S)
    spoke_s = sent["sent"] * 0.02
    challenge_s = off.at - on.at
    print(f"\nchallenge played {challenge_s:.1f} s; sam spoke over it: {sent}")
    assert challenge_s > 3.0, "the challenge is long enough to be talked over"

    t_done2 = await bot.guard(speak_then_done(standin, sam, speech(DEFEND)))
    feedback = await bot.guard(feedback_after(standin, t_done2))
    name, value = field(feedback, "Pushback on question 1")
    print(f"{name}\n{value}\n(sam's interruption: {spoke_s} s of frames)")
    assert name.endswith(": rigid, talked over the challenge"), (name, value)
    talk = next(line for line in value.splitlines() if line.startswith("You started speaking"))
    assert "s into it, and spoke over it for about" in talk and "composure" in value
    await finish(bot, standin)


async def test_candidate_questions_spoken_at_the_end(standin: DiscordStandIn, start_bot, transcriber,
                                                     speech) -> None:
    sam = standin.world.members[0]
    bot, t_accept = await start_round(standin, start_bot, sam, your_questions=True)
    await bot.guard(wait_speech_finished(standin, after=t_accept, timeout=STEP_S, what="the question"))
    t_done = await bot.guard(speak_then_done(standin, sam, speech(ANSWER)))
    await bot.guard(wait_speech_finished(standin, after=t_done, timeout=STEP_S, what="the follow-up"))
    controls = latest_with_enabled(standin, "Done")
    t_skip = time.monotonic()
    await press(standin, sam, controls, "Done")  # nothing to add to the follow-up

    invite = await bot.guard(wait_speech_finished(standin, after=t_skip, timeout=STEP_S, what="the invitation"))
    heard = (await transcriber.transcribe(to_16k(invite.audio48))).text
    assert overlap(INVITE_QUESTIONS, heard) >= 0.5, heard
    t_done2 = await bot.guard(speak_then_done(standin, sam, speech(QUESTIONS)))
    feedback = await bot.guard(feedback_after(standin, t_done2))
    name, value = field(feedback, "Your questions for the interviewer")
    print(f"\ninvitation heard: {heard!r}\n{value}")
    bullets = [line for line in value.splitlines() if line.startswith("• “")]
    assert len(bullets) == 2 and all(line.endswith("Good.") for line in bullets), value
    assert "scaling" in bullets[0].lower() and "stable" in bullets[1].lower()
    await finish(bot, standin)
