"""A peer group of two against the real bot process and the stand-in, with DAVE on: each member
takes a full spoken turn (question spoken to them, their DAVE-encrypted answer, Done) and the other
rates it anonymously in the rating modal (Rate this answer, then a required 1–5 select in a label
per criterion, submitted); the group's summary ends it.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.conftest import espeak
from tests.e2e.group_helpers import ANSWER, STARTUP_S, STEP_S, accept_notice, take_turn
from tests.e2e.standin import DiscordStandIn, World
from tests.e2e.standin.audio import pcm48_stereo, read_wav
from tests.e2e.standin.driver import embed_title, has_enabled_button, press

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def world() -> World:
    w = World()
    w.add_member("sam", in_voice=True)
    w.add_member("lee", in_voice=True)
    return w


async def test_a_group_of_two_takes_turns_and_rates_each_other(standin: DiscordStandIn, start_bot, tmp_path) -> None:
    sam, lee = standin.world.members
    audio, rate = read_wav(espeak(ANSWER, tmp_path / "answer.wav"))
    pad = np.zeros(int(0.4 * rate), dtype=np.float32)
    pcm = pcm48_stereo(np.concatenate([pad, audio, pad]), rate)
    bot = await start_bot()
    await bot.guard(standin.gateway.wait_online(STARTUP_S))

    t0 = time.monotonic()
    await standin.gateway.slash_command(sam, "group", "start", {"rounds": 1})
    await bot.guard(accept_notice(standin, sam, t0))
    lobby = await bot.guard(standin.wait_message(has_enabled_button("Join"), timeout=STEP_S, after=t0,
                                                 what="the lobby"))
    t_join = time.monotonic()
    await press(standin, lee, lobby, "Join")
    await bot.guard(accept_notice(standin, lee, t_join))
    await standin.wait_message(lambda m: m.id == lobby.id and "Lee" in m.text(), timeout=STEP_S, after=t_join,
                               what="lee in the lobby")
    bot_id = standin.world.bot.id
    await standin.events.wait_for("dave_execute", lambda d: bot_id in d["members"], timeout=STEP_S,
                                  what="the bot in the call's MLS group")
    t_begin = time.monotonic()
    await press(standin, sam, standin.rest.messages[lobby.id], "Begin")

    first = await bot.guard(standin.wait_message(has_enabled_button("Done"), timeout=STEP_S, after=t_begin,
                                                 what="the first turn"))
    answerer, rater = (sam, lee) if "Sam" in first.text() else (lee, sam)
    t1 = await bot.guard(take_turn(standin, answerer, rater, pcm, t_begin))
    await bot.guard(take_turn(standin, rater, answerer, pcm, t1))
    summary = await bot.guard(standin.wait_message(lambda m: "summary" in embed_title(m).lower(), timeout=STEP_S,
                                                   after=t1, what="the group summary"))
    text = summary.text()
    assert "2 answers" in text and "Sam" in text and "Lee" in text, text
    # each answer's one anonymous rating reached the summary as picked in the modal, and no rater id
    assert text.count("structure 4.0 · clarity 3.0 · depth 5.0 (1 peer rating(s))") == 2, text
    assert str(sam.id) not in text and str(lee.id) not in text
    assert standin.voice.dave_counts["decrypted"] > 0 and standin.voice.dave_counts["failed"] == 0
    assert not standin.events.find("unhandled_request")
