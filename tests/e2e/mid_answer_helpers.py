"""sam's one-question mock round with an answer in three parts, for the scenarios that change the
call while sam answers (tests/e2e/test_dave_mid_answer_e2e.py, test_connection_lifecycle_e2e.py; the
answer is the module-scoped `mid_answer` fixture of tests/e2e/conftest.py). Every wait is bounded."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from tests.conftest import espeak
from tests.e2e.standin import DiscordStandIn
from tests.e2e.standin.audio import pcm48_stereo, read_wav
from tests.e2e.standin.driver import (
    answer_lines,
    embed_title,
    latest_with_enabled,
    overlap,
    press,
    start_mock_round,
    wait_speech_finished,
)

QUESTION_ID = "coding-merge-sensor-windows"
STARTUP_S = 180.0
STEP_S = 60.0
GAP_S = 1.2        # between the parts: short of the 4 s long-silence threshold

PART_A = "I would sort the windows by their start time and walk through them in order."
PART_B = ("For each window I compare its start with the end of the window I am building. When it "
          "starts before that end, the two overlap, so I extend the end to the later of the two ends.")
# Each part is worded so that whisper tiny hears espeak's rendering of it well wherever a chunk starts
# (measured offline at 12 chunk offsets, alone and after part B: part C as first written, "Otherwise I
# close ...", came back with an overlap of 0.5 to 1.0 on clean audio, and that spread, not the voice
# path, failed 2 runs in 23 of the e2e loop; this wording scored 0.86 to 1.0).
PART_C = "If not, I close the current window, emit it, and start a new one from this window."


class Answer:
    """sam's answer as 48 kHz stereo PCM, with the frame index where each part ends."""

    def __init__(self, folder: Path) -> None:
        parts = []
        rate = 0
        for i, text in enumerate((PART_A, PART_B, PART_C)):
            audio, rate = read_wav(espeak(text, folder / f"part{i}.wav"))
            parts.append(audio)
        gap = np.zeros(int(GAP_S * rate), dtype=np.float32)
        lead = np.zeros(int(0.4 * rate), dtype=np.float32)
        pieces = [lead, parts[0], gap, parts[1], gap, parts[2], np.zeros(int(1.0 * rate), dtype=np.float32)]
        self.pcm = pcm48_stereo(np.concatenate(pieces), rate)
        ends, n = [], len(lead)
        for p in parts:
            n += len(p)
            ends.append(int(n / rate / 0.02))  # 20 ms frames
            n += len(gap)
        self.end_a, self.end_b, self.end_c = ends


def assert_heard(heard: str, *parts: str) -> None:
    """Every part reached the transcript: whisper tiny on espeak speech misses a word or two of a
    sentence (0.5 is common for a part heard in full), a part lost in transport scores near 0."""
    for part in parts:
        assert overlap(part, heard) >= 0.45, (part, heard)
    assert overlap(" ".join(parts), heard) >= 0.6, heard


async def round_until_listening(standin: DiscordStandIn, start_bot) -> tuple:
    bot = await start_bot(PARLEY_QUESTIONS_PER_ROUND="1")
    await bot.guard(standin.gateway.wait_online(STARTUP_S))
    sam = standin.world.members[0]
    card, t_accept = await bot.guard(start_mock_round(standin, sam, question_id=QUESTION_ID, timeout=STEP_S))
    await bot.guard(wait_speech_finished(standin, after=t_accept, timeout=STEP_S, what="the question"))
    bot_id = standin.world.bot.id
    await standin.events.wait_for("dave_execute", lambda d: bot_id in d["members"], timeout=STEP_S,
                                  what="the bot in the call's MLS group")
    return bot, sam, card


async def wait_for_progress(standin: DiscordStandIn, user_id: int, frames: int, after: float) -> None:
    await standin.events.wait_for("member_progress", lambda d: d["user_id"] == user_id and d["frames"] >= frames,
                                  timeout=STEP_S, after=after, what=f"{frames} frames of the answer")


async def finish_round(standin: DiscordStandIn, bot, sam) -> str:
    """Done on the answer and on the follow-up; the transcript's answer lines."""
    feedback = await finish_round_feedback(standin, bot, sam)
    transcript = next(f for f in feedback.files if f.filename.endswith(".txt")).data.decode()
    return answer_lines(transcript)


async def finish_round_feedback(standin: DiscordStandIn, bot, sam):
    """Done on the answer and on the follow-up; the feedback message."""
    t_done = time.monotonic()
    await press(standin, sam, latest_with_enabled(standin, "Done"), "Done")
    await bot.guard(wait_speech_finished(standin, after=t_done, timeout=STEP_S, what="the follow-up"))
    t_done2 = time.monotonic()
    await press(standin, sam, latest_with_enabled(standin, "Done"), "Done")
    return await bot.guard(standin.wait_message(
        lambda m: embed_title(m).startswith("Mock round feedback"), timeout=STEP_S,
        what="the feedback message", after=t_done2))
