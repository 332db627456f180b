"""The real bot process runs a whole spoken mock round against the local Discord stand-in.

A member sits in the voice channel and runs `/mock start`; the stand-in accepts the consent
notice, records what the bot speaks (RTP → transport decryption → opus → PCM), plays the
member's spoken answer (espeak-ng speech with a 7 s pause in the middle) as that member's
RTP stream, presses Done, answers the follow-up with Done, and reads the feedback message.
The test then transcribes what the bot said with the real model.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from bot.bank import load_bank
from bot.config import PROJECT_ROOT
from bot.practice.round import NUDGE_TEXT
from tests.conftest import espeak
from tests.e2e.standin import DiscordStandIn, World
from tests.e2e.standin.audio import pcm48_stereo, read_wav, to_16k
from tests.e2e.standin.driver import (
    answer_lines,
    embed_title,
    latest_with_enabled,
    overlap,
    press,
    start_mock_round,
    utterances_between,
    wait_speech_finished,
    words,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

QUESTION_ID = "coding-merge-sensor-windows"
STARTUP_S = 180.0  # the bot process loads the whisper model on 2 shared cores
STEP_S = 60.0      # any single step of the round
PAUSE_S = 7.0      # longer than the 4 s long-silence threshold, shorter than the 15 s end silence

PART_1 = ("I would sort the windows by their start time. Then I walk through them in order "
          "and keep the window I am currently building.")
PART_2 = ("When the next window starts before the current one ends, I extend the end. "
          "Otherwise I close it and begin a new window.")


@pytest.fixture
def world() -> World:
    w = World()
    w.add_member("sam", in_voice=True)
    return w


@pytest.fixture(scope="module")
def answer_audio(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, float, float]:
    """sam's answer as 48 kHz stereo PCM: part 1, a 7 s pause, part 2; plus where the pause is."""
    folder = tmp_path_factory.mktemp("answer")
    a, rate_a = read_wav(espeak(PART_1, folder / "a.wav"))
    b, rate_b = read_wav(espeak(PART_2, folder / "b.wav"))
    assert rate_a == rate_b
    lead = np.zeros(int(0.5 * rate_a), dtype=np.float32)
    pause = np.zeros(int(PAUSE_S * rate_a), dtype=np.float32)
    tail = np.zeros(int(1.0 * rate_a), dtype=np.float32)
    speech = np.concatenate([lead, a, pause, b, tail])
    pause_start = (len(lead) + len(a)) / rate_a
    return pcm48_stereo(speech, rate_a), pause_start, pause_start + PAUSE_S


async def test_member_runs_a_whole_mock_round(standin: DiscordStandIn, start_bot, transcriber,
                                              answer_audio) -> None:
    pcm, pause_start, pause_end = answer_audio
    sam = standin.world.members[0]
    question = load_bank(PROJECT_ROOT / "question_bank").get(QUESTION_ID)
    bot = await start_bot(PARLEY_QUESTIONS_PER_ROUND="1")

    await bot.guard(standin.events.wait_for("commands_synced", timeout=STARTUP_S, what="the bot's command sync"))
    await bot.guard(standin.gateway.wait_online(STEP_S))
    assert bot.proc.returncode is None, bot.tail()

    # typing into the question option: an autocomplete interaction (type 4) answered with type 8
    typed = await standin.gateway.autocomplete(sam, "mock", "start", "question", "sensor")
    ac = await bot.guard(standin.events.wait_for(
        "interaction_response", lambda d: d["interaction"]["id"] == typed["id"], timeout=STEP_S,
        what="the autocomplete answer"))
    assert ac.data["type"] == 8, ac.data
    assert QUESTION_ID in [c["value"] for c in ac.data["data"]["choices"]], ac.data["data"]

    card, t_accept = await bot.guard(start_mock_round(standin, sam, question_id=QUESTION_ID, timeout=STEP_S))
    assert QUESTION_ID in card.text() or question.prompt[:40] in card.text()

    # the bot joined the voice channel with DAVE (the MLS group of sam and the bot is live), and
    # speaks the question, end-to-end encrypted: the stand-in hears it through sam's session
    asked = await wait_speech_finished(standin, after=t_accept, timeout=STEP_S, what="the question")
    sess = standin.voice.sessions[standin.world.bot.id]
    assert sess.mode == "aead_xchacha20_poly1305_rtpsize"
    assert standin.events.find("dave_execute", lambda d: standin.world.bot.id in d["members"] and sam.id in d["members"])

    # sam answers aloud (a live RTP stream, with the long pause), then presses Done
    t_play = time.monotonic()
    sent = await standin.voice.play(sam, pcm)
    assert sent["skipped"] > 0.8 * PAUSE_S / 0.02, "the pause was sent as silence (no packets)"
    t_done = time.monotonic()
    controls = latest_with_enabled(standin, "Done")
    await press(standin, sam, controls, "Done")

    # the follow-up is spoken; sam passes on it with Done; the feedback arrives
    follow_up = await wait_speech_finished(standin, after=t_done, timeout=STEP_S, what="the follow-up")
    controls = latest_with_enabled(standin, "Done")
    t_done2 = time.monotonic()
    await press(standin, sam, controls, "Done")
    feedback = await standin.wait_message(lambda m: embed_title(m).startswith("Mock round feedback"),
                                          timeout=STEP_S, what="the feedback message", after=t_done2)
    feedback_at = time.monotonic()

    # --- what the bot said, transcribed with the real model ---
    said_question = (await transcriber.transcribe(to_16k(asked.audio48))).text
    assert overlap(question.prompt, said_question) >= 0.6, said_question
    during_answer = utterances_between(standin, t_play, t_done)
    nudges = [u for u in during_answer
              if overlap(NUDGE_TEXT, (await transcriber.transcribe(to_16k(u.audio48))).text) >= 0.5]
    assert len(nudges) == 1, f"one nudge expected while sam answered, got {len(nudges)} of {len(during_answer)}"
    nudge_at = nudges[0].start - t_play
    assert pause_start + 3.0 <= nudge_at <= pause_end + 1.0, (
        f"the nudge came at {nudge_at:.1f} s; the pause ran {pause_start:.1f}-{pause_end:.1f} s")
    said_follow_up = (await transcriber.transcribe(to_16k(follow_up.audio48))).text
    assert len(words(said_follow_up)) >= 4, said_follow_up

    print(f"\nfigures: question {asked.end - asked.start:.1f} s spoken; nudge {nudge_at - pause_start:.1f} s "
          f"into the {PAUSE_S:.0f} s pause; follow-up spoken {follow_up.start - t_done:.1f} s after Done; "
          f"feedback posted {feedback_at - t_done2:.1f} s after the last Done")

    # --- the feedback names the pause (with its time) and the missing structure ---
    text = feedback.text()
    silence_lines = [line for line in text.splitlines() if "silence" in line.lower() or "pause" in line.lower()]
    print(f"bot said: {said_question!r} / follow-up {said_follow_up!r}\nsilence lines: {silence_lines}")
    assert silence_lines, text
    answer_offset = t_play - asked.end  # the answer clock starts about when the question ended
    times = [int(m) * 60 + int(s) for line in silence_lines for m, s in re.findall(r"(\d+):(\d\d)", line)]
    assert any(abs(t - (answer_offset + pause_start)) <= 3 for t in times), (times, answer_offset, pause_start)
    assert "assum" in text.lower(), "the answer stated no assumptions and the feedback should say so"
    assert feedback.files and any(f.filename.endswith(".txt") for f in feedback.files), "transcript attached"
    transcript = next(f for f in feedback.files if f.filename.endswith(".txt")).data.decode()
    heard = answer_lines(transcript)
    assert overlap(PART_1, heard) >= 0.6 and overlap(PART_2, heard) >= 0.6, transcript

    # the round ended cleanly: buttons disabled, the bot left the voice channel
    await standin.events.wait_for("voice_state_request", lambda d: d["channel_id"] is None, timeout=STEP_S,
                                  after=t_done2, what="the bot leaving the voice channel")
    assert not [m for m in standin.messages() if any(not b.get("disabled") for b in m.buttons())
                and m.id in (card.id, controls.id)], "round buttons are disabled at the end"
    assert not standin.events.find("unhandled_request"), standin.events.find("unhandled_request")
    assert standin.voice.udp_counts["decrypt_failed"] == 0
    dc = standin.voice.dave_counts
    print(f"DAVE on the bot's speech: {dc}")
    assert dc["decrypted"] > 200 and dc["failed"] == 0 and dc["plain_while_dave"] == 0, dc
    assert standin.voice.dave.counts["rejected_commits"] == 0
    assert bot.proc.returncode is None, "the bot keeps running after the round"
    rc = await bot.stop()
    assert rc in (0, 130), f"exit code {rc}\n{bot.tail()}"
    log_text = bot.log_text()
    assert "Traceback" not in log_text and " ERROR " not in log_text, bot.tail(80)

