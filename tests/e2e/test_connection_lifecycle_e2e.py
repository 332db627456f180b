"""Connection lifecycle mid-round, against the real bot process and the stand-in (DAVE on).

- Voice close 4015 while sam answers: the bot resumes its voice session (op 7 RESUME on a new
  voice websocket, op 9 RESUMED; no new IDENTIFY, same SSRC, same MLS group) and the round goes on:
  sam's words before, during and after the outage reach the transcript and the feedback arrives.
- Gateway op 9 INVALID_SESSION (not resumable) while sam answers: the bot identifies again (new
  session, READY, GUILD_CREATE), the round carries on (Done still works, the follow-up is spoken),
  the feedback arrives and the attempt is stored.

The shared round steps and sam's answer are those of test_dave_mid_answer_e2e
(tests/e2e/mid_answer_helpers.py). Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from tests.e2e.mid_answer_helpers import (
    GAP_S,
    PART_A,
    PART_B,
    PART_C,
    STEP_S,
    assert_heard,
    finish_round,
    round_until_listening,
    wait_for_progress,
)
from tests.e2e.standin import DiscordStandIn, World

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def world() -> World:
    w = World()
    w.add_member("sam", in_voice=True)
    return w


async def test_voice_close_4015_mid_answer_is_resumed_and_the_round_goes_on(
        standin: DiscordStandIn, start_bot, mid_answer) -> None:
    bot, sam, _ = await round_until_listening(standin, start_bot)
    bot_id = standin.world.bot.id
    ssrc = standin.voice.sessions[bot_id].ssrc
    t0 = time.monotonic()
    playing = asyncio.create_task(standin.voice.play(sam, mid_answer.pcm, progress_every=5))
    try:
        # in the middle of part B the voice server "crashes" under the bot's websocket
        await wait_for_progress(standin, sam.id, mid_answer.end_a + int(GAP_S / 0.02) + 15, t0)
        t_crash = time.monotonic()
        await standin.voice.crash(bot_id, 4015)
        resumed = await bot.guard(standin.events.wait_for(
            "voice_resume", lambda d: d["user_id"] == bot_id, timeout=STEP_S, after=t_crash,
            what="the bot's voice RESUME (op 7)"))
        sent = await asyncio.wait_for(playing, STEP_S)
    finally:
        playing.cancel()
    print(f"\nfigures: voice resumed {resumed.at - t_crash:.2f} s after the 4015 close; "
          f"{resumed.data['replayed']} missed messages replayed; sam's frames {sent}")
    assert not standin.events.find("voice_identify", after=t_crash), "resumed, not identified again"
    assert not standin.events.find("voice_state_request", after=t_crash), "no leave or rejoin around the resume"
    assert standin.voice.sessions[bot_id].ssrc == ssrc, "the same voice session (SSRC) after the resume"
    heard = await finish_round(standin, bot, sam)
    assert_heard(heard, PART_A, PART_B, PART_C)
    dc = standin.voice.dave_counts
    assert dc["failed"] == 0 and dc["decrypted"] > 0, dc
    assert standin.voice.dave.counts["rejected_commits"] == 0
    assert "voice session resumed" in bot.log_text()
    assert "Could not resume" not in bot.log_text()


def _stored_attempts(data_dir: Path, user_id: int) -> list[tuple[str, str]]:
    db = sqlite3.connect(data_dir / "parley.sqlite3")
    try:
        return db.execute("SELECT mode, transcript FROM attempts WHERE user_id = ?", (user_id,)).fetchall()
    finally:
        db.close()


async def test_gateway_invalid_session_mid_answer_reidentifies_and_the_round_goes_on(
        standin: DiscordStandIn, start_bot, mid_answer, tmp_path: Path) -> None:
    bot, sam, _ = await round_until_listening(standin, start_bot)
    first_session = standin.gateway.conn.session_id if standin.gateway.conn else None
    t0 = time.monotonic()
    playing = asyncio.create_task(standin.voice.play(sam, mid_answer.pcm, progress_every=5))
    try:
        await wait_for_progress(standin, sam.id, mid_answer.end_a + int(GAP_S / 0.02) + 15, t0)
        t_inv = time.monotonic()
        await standin.gateway.invalidate_session(resumable=False)
        # discord.py waits 1-5 s (as Discord asks), then identifies anew: READY and GUILD_CREATE
        ready = await bot.guard(standin.events.wait_for("ready_sent", timeout=STEP_S, after=t_inv,
                                                        what="a new IDENTIFY after INVALID_SESSION"))
        await asyncio.wait_for(playing, STEP_S)
    finally:
        playing.cancel()
    print(f"\nfigures: identified again {ready.at - t_inv:.1f} s after INVALID_SESSION")
    assert ready.data["session_id"] != first_session, "a new gateway session"
    assert not standin.events.find("resume", after=t_inv), "an invalidated session is not resumed"
    t_finish = time.monotonic()
    heard = await finish_round(standin, bot, sam)  # Done presses and the feedback, on the new session
    assert_heard(heard, PART_A, PART_C)
    stored = _stored_attempts(tmp_path / "bot-data", sam.id)
    assert [m for m, _ in stored] == ["mock"], stored
    assert overlap_ok(stored[0][1])
    # the round ends cleanly on the new session: the bot leaves the call and its leave is confirmed
    # to the round's voice client (discord.py's READY forgot it without bot.discord_io.voice_fixes)
    await bot.guard(standin.events.wait_for("voice_state_request", lambda d: d["channel_id"] is None,
                                            timeout=STEP_S, after=t_finish, what="the bot leaving the call"))
    await bot.guard(_logged(bot, f"round of user {sam.id} closed", STEP_S))
    t_stop = time.monotonic()
    rc = await bot.stop()
    stop_s = time.monotonic() - t_stop
    log_text = bot.log_text()
    print(f"bot stopped in {stop_s:.1f} s")
    assert rc in (0, 130) and "shutdown still not finished" not in log_text, bot.tail(80)
    assert "Traceback" not in log_text and " ERROR " not in log_text, bot.tail(80)


async def _logged(bot, text: str, timeout: float) -> None:
    """Wait (bounded) until the bot process has logged `text`."""
    async def scan() -> None:
        while text not in bot.log_text():
            await asyncio.sleep(0.05)  # polling a log file: the condition is checked, not assumed
    await asyncio.wait_for(scan(), timeout)


def overlap_ok(transcript: str) -> bool:
    """The stored attempt holds sam's answer (its first and last parts at least)."""
    from tests.e2e.standin.driver import overlap

    return overlap(PART_A, transcript) >= 0.45 and overlap(PART_C, transcript) >= 0.45
