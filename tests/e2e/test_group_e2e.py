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
from tests.e2e.standin import DiscordStandIn, World
from tests.e2e.standin.audio import pcm48_stereo, read_wav
from tests.e2e.standin.driver import embed_title, has_enabled_button, press, wait_speech_finished
from tests.e2e.standin.world import User

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STARTUP_S = 180.0
STEP_S = 60.0
SCORES = ("4", "3", "5")  # structure, clarity, depth
ANSWER = ("I assume reads dominate, so I would put a cache in front of the database. The tradeoff is "
          "staleness against latency, and as a result the p99 latency dropped by forty percent.")


@pytest.fixture
def world() -> World:
    w = World()
    w.add_member("sam", in_voice=True)
    w.add_member("lee", in_voice=True)
    return w


async def _accept_notice(s: DiscordStandIn, user: User, after: float) -> None:
    """The privacy notice, shown privately to `user` the first time: Accept."""
    notice = await s.wait_message(lambda m: m.ephemeral and has_enabled_button("Accept")(m), timeout=STEP_S,
                                  after=after, what=f"the privacy notice for {user.username}")
    await press(s, user, notice, "Accept")


async def _turn(s: DiscordStandIn, answerer: User, rater: User, pcm: bytes, after: float) -> float:
    """One turn: the question is spoken, the answerer answers aloud and presses Done, the other
    member rates it in the rating modal. Returns the time the rating was submitted (the last
    rating starts the next turn at once)."""
    turn_msg = await s.wait_message(lambda m: has_enabled_button("Done")(m) and answerer.username.title() in m.text(),
                                    timeout=STEP_S, after=after, what=f"{answerer.username}'s turn")
    await wait_speech_finished(s, after=after, timeout=STEP_S, what=f"{answerer.username}'s question")
    await s.voice.play(answerer, pcm)
    t_done = time.monotonic()
    await press(s, answerer, s.rest.messages[turn_msg.id], "Done")
    await s.wait_message(lambda m: "Feedback" in embed_title(m) or answerer.username.title() in embed_title(m),
                         timeout=STEP_S, after=t_done, what=f"the feedback on {answerer.username}'s answer")
    rate = await s.wait_message(has_enabled_button("Rate this answer"), timeout=STEP_S, after=t_done,
                                what="the rating button")
    pressed = await press(s, rater, rate, "Rate this answer")
    shown = await s.events.wait_for(
        "interaction_response", lambda d: d["interaction"]["id"] == pressed["id"] and d["type"] == 9,
        timeout=STEP_S, what="the rating modal")
    modal = shown.data["data"]
    assert modal["title"] == f"Rate {answerer.username.title()}'s answer", modal["title"]
    labels = [c for c in modal["components"] if c["type"] == 18]
    assert [c["label"] for c in labels] == ["Structure", "Clarity", "Depth"], modal
    assert all(c["component"]["type"] == 3 and c["component"]["required"] for c in labels), modal
    t_submit = time.monotonic()
    submitted = await s.gateway.submit_modal(
        rater, modal, {c["component"]["custom_id"]: score for c, score in zip(labels, SCORES, strict=True)})
    # acknowledged privately at once, then thanked in that private reply
    ack = await s.events.wait_for("interaction_response", lambda d: d["interaction"]["id"] == submitted["id"],
                                  timeout=STEP_S, what="the rating acknowledged")
    assert ack.data["message"] is not None and ack.data["message"].ephemeral
    await s.wait_message(lambda m: m.id == ack.data["message"].id and "anonymous" in m.text().lower(),
                         timeout=STEP_S, after=t_submit, what="the rating thanked")
    return t_submit


async def test_a_group_of_two_takes_turns_and_rates_each_other(standin: DiscordStandIn, start_bot, tmp_path) -> None:
    sam, lee = standin.world.members
    audio, rate = read_wav(espeak(ANSWER, tmp_path / "answer.wav"))
    pad = np.zeros(int(0.4 * rate), dtype=np.float32)
    pcm = pcm48_stereo(np.concatenate([pad, audio, pad]), rate)
    bot = await start_bot()
    await bot.guard(standin.gateway.wait_online(STARTUP_S))

    t0 = time.monotonic()
    await standin.gateway.slash_command(sam, "group", "start", {"rounds": 1})
    await bot.guard(_accept_notice(standin, sam, t0))
    lobby = await bot.guard(standin.wait_message(has_enabled_button("Join"), timeout=STEP_S, after=t0,
                                                 what="the lobby"))
    t_join = time.monotonic()
    await press(standin, lee, lobby, "Join")
    await bot.guard(_accept_notice(standin, lee, t_join))
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
    t1 = await bot.guard(_turn(standin, answerer, rater, pcm, t_begin))
    await bot.guard(_turn(standin, rater, answerer, pcm, t1))
    summary = await bot.guard(standin.wait_message(lambda m: "summary" in embed_title(m).lower(), timeout=STEP_S,
                                                   after=t1, what="the group summary"))
    text = summary.text()
    assert "2 answers" in text and "Sam" in text and "Lee" in text, text
    # each answer's one anonymous rating reached the summary as picked in the modal, and no rater id
    assert text.count("structure 4.0 · clarity 3.0 · depth 5.0 (1 peer rating(s))") == 2, text
    assert str(sam.id) not in text and str(lee.id) not in text
    assert standin.voice.dave_counts["decrypted"] > 0 and standin.voice.dave_counts["failed"] == 0
    assert not standin.events.find("unhandled_request")
