"""Two members in the voice channel talk at the same time; only the one practising is heard.

The stand-in sends both members' speech to the real bot process as two live RTP streams
(different SSRCs, each announced with SPEAKING op 5 and its user id, interleaved packet by
packet). The round's transcript must hold the answering member's words and none of the
bystander's: per-user streams stay apart through voice-recv's SSRC mapping and our adapter.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from tests.conftest import espeak
from tests.e2e.standin import DiscordStandIn, World
from tests.e2e.standin.audio import pcm48_stereo, read_wav
from tests.e2e.standin.driver import (
    answer_lines,
    embed_title,
    latest_with_enabled,
    overlap,
    press,
    start_mock_round,
    wait_speech_finished,
    words,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

QUESTION_ID = "coding-merge-sensor-windows"
STARTUP_S = 180.0
STEP_S = 60.0
# Ctrl-C right after the round's own leave: the bot leaves voice within a 2 s bound and exits.
# (It took 20 s, discord.py's voice timeout, while a second leave waited for a confirmation that
# the cancelled gateway reader never read.)
STOP_S = 10.0

ANSWER = ("I would sort the windows by their start time, then walk through them in order. "
          "When the next window starts before the current one ends, I extend the current window. "
          "Otherwise I close it and begin a new one.")
CHATTER = ("Pineapples and bananas grow on volcanic tropical islands near the equator, "
           "said the gardener to the lighthouse keeper.")
CHATTER_WORDS = {"pineapples", "bananas", "volcanic", "tropical", "islands", "equator", "gardener",
                 "lighthouse", "keeper"}


@pytest.fixture
def world() -> World:
    w = World()
    w.add_member("sam", in_voice=True)   # runs the round
    w.add_member("lee", in_voice=True)   # talks over sam the whole time
    return w


async def test_only_the_answering_members_words_reach_the_transcript(
        standin: DiscordStandIn, start_bot, tmp_path) -> None:
    sam, lee = standin.world.members
    answer, rate = read_wav(espeak(ANSWER, tmp_path / "sam.wav"))
    chatter, rate_l = read_wav(espeak(CHATTER, tmp_path / "lee.wav", voice="en-gb-scotland"))
    # lee starts a little earlier and keeps talking until after sam has finished
    reps = int(np.ceil((len(answer) / rate + 1.0) / (len(chatter) / rate_l)))
    chatter = np.concatenate([np.zeros(int(0.2 * rate_l), dtype=np.float32)] + [chatter] * reps)
    sam_pcm = pcm48_stereo(np.concatenate([np.zeros(int(0.5 * rate), dtype=np.float32), answer,
                                           np.zeros(int(0.5 * rate), dtype=np.float32)]), rate)
    lee_pcm = pcm48_stereo(chatter, rate_l)

    # this bot finds the gateway through GET /gateway/bot (only the REST base is given)
    bot = await start_bot(PARLEY_QUESTIONS_PER_ROUND="1", PARLEY_DISCORD_GATEWAY_URL="")
    await bot.guard(standin.gateway.wait_online(STARTUP_S))
    assert standin.events.find("request", lambda d: d["path"].endswith("/gateway/bot"))

    card, t_accept = await bot.guard(start_mock_round(standin, sam, question_id=QUESTION_ID, timeout=STEP_S))
    await wait_speech_finished(standin, after=t_accept, timeout=STEP_S, what="the question")

    lee_talking = asyncio.create_task(standin.voice.play(lee, lee_pcm))
    sent_sam = await standin.voice.play(sam, sam_pcm)
    assert not lee_talking.done(), "lee is still talking when sam presses Done"
    t_done = time.monotonic()
    await press(standin, sam, latest_with_enabled(standin, "Done"), "Done")
    sent_lee = await asyncio.wait_for(lee_talking, STEP_S)
    assert sent_sam["sent"] > 100 and sent_lee["sent"] > 100, "both streams really went out"
    assert standin.voice.members[sam.id].ssrc != standin.voice.members[lee.id].ssrc
    await wait_speech_finished(standin, after=t_done, timeout=STEP_S, what="the follow-up")
    t_done2 = time.monotonic()
    await press(standin, sam, latest_with_enabled(standin, "Done"), "Done")
    feedback = await standin.wait_message(lambda m: embed_title(m).startswith("Mock round feedback"),
                                          timeout=STEP_S, what="the feedback message", after=t_done2)

    files = [f for f in feedback.files if f.filename.endswith(".txt")]
    assert files, "the transcript is attached to the feedback"
    transcript = files[0].data.decode()
    heard = answer_lines(transcript)
    assert overlap(ANSWER, heard) >= 0.6, transcript
    leaked = CHATTER_WORDS & words(heard)
    assert not leaked, f"the bystander's words reached sam's transcript: {sorted(leaked)}\n{transcript}"
    assert standin.voice.udp_counts["decrypt_failed"] == 0
    # DAVE: sam and lee had their group; the bot was welcomed into it (op 30), nobody's frames failed
    bot_id = standin.world.bot.id
    assert standin.events.find("dave_commit", lambda d: d["adds"] == [bot_id] and d["committer"] != bot_id)
    dc = standin.voice.dave_counts
    print(f"DAVE on the bot's speech: {dc}")
    assert dc["decrypted"] > 100 and dc["failed"] == 0 and dc["plain_while_dave"] == 0, dc
    assert not standin.events.find("unhandled_request")
    # the round is over: the bot leaves the voice channel, then shuts down cleanly on Ctrl-C
    await standin.events.wait_for("voice_disconnect", lambda d: d["user_id"] == standin.world.bot.id,
                                  timeout=STEP_S, after=t_done2, what="the bot leaving voice")
    rc = await bot.stop(timeout=STOP_S)
    assert rc in (0, 130), f"exit code {rc} (not stopped within {STOP_S} s?)\n{bot.tail()}"
