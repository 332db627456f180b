"""DAVE changes while a member is answering, against the real bot process and the stand-in.

Each scenario is a one-question mock round for sam (its steps and sam's three-part answer:
tests/e2e/mid_answer_helpers.py). While sam's answer streams in (live RTP,
DAVE-encrypted by sam's own davey session), the stand-in changes the call the way Discord does:

- a member joins and another leaves (the bot commits both: Add, then Remove; epoch changes with
  a transition each), and sam's words around them all reach the transcript;
- the call is downgraded to protocol 0 (op 21/23/22) and upgraded back (op 24, a fresh group);
- sam's client encrypts with keys the bot never got for a stretch: the bot re-initialises, offers
  typed answers, and withdraws the offer once sam's audio decrypts again; the spoken parts
  before and after the stretch are in the transcript.

Every wait is on something observable (a stand-in event or a message) and bounded.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.e2e.mid_answer_helpers import (
    GAP_S,
    PART_A,
    PART_B,
    PART_C,
    STEP_S,
    assert_heard,
    finish_round,
    finish_round_feedback,
    round_until_listening,
    wait_for_progress,
)
from tests.e2e.standin import DiscordStandIn, World
from tests.e2e.standin.driver import (
    answer_lines,
    embed_title,
    has_enabled_button,
    latest_with_enabled,
    overlap,
    press,
    wait_speech_finished,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def world() -> World:
    w = World()
    w.add_member("sam", in_voice=True)    # answers
    w.add_member("lee", in_voice=True)    # leaves in the middle of sam's answer
    w.add_member("kim", in_voice=False)   # joins in the middle of sam's answer
    return w


async def test_a_member_joins_and_another_leaves_mid_answer(standin: DiscordStandIn, start_bot, mid_answer) -> None:
    bot, sam, _ = await round_until_listening(standin, start_bot)
    lee, kim = standin.world.members[1], standin.world.members[2]
    bot_id = standin.world.bot.id
    t0 = time.monotonic()
    playing = asyncio.create_task(standin.voice.play(sam, mid_answer.pcm, progress_every=5))
    try:
        # kim joins while sam is in the middle of part B: the bot commits the Add (op 27 → 28 → 29)
        await wait_for_progress(standin, sam.id, mid_answer.end_a + int(GAP_S / 0.02) + 40, t0)
        t_join = time.monotonic()
        await standin.gateway.member_voice_state(kim, joined=True)
        await standin.events.wait_for("dave_execute", lambda d: kim.id in d["members"], timeout=STEP_S,
                                      after=t_join, what="kim in the group")
        # lee leaves while sam is in the middle of part C: the bot commits the Remove
        await wait_for_progress(standin, sam.id, mid_answer.end_b + int(GAP_S / 0.02) + 25, t0)
        t_leave = time.monotonic()
        await standin.gateway.member_voice_state(lee, joined=False)
        await standin.events.wait_for("dave_execute", lambda d: lee.id not in d["members"], timeout=STEP_S,
                                      after=t_leave, what="lee out of the group")
        await asyncio.wait_for(playing, STEP_S)
    finally:
        playing.cancel()
    assert standin.events.find("dave_proposals", lambda d: d["to"] == bot_id and d["adds"] == [kim.id], after=t0)
    assert standin.events.find("dave_proposals", lambda d: d["to"] == bot_id and d["removes"], after=t0)
    heard = await finish_round(standin, bot, sam)
    assert_heard(heard, PART_A, PART_B, PART_C)
    assert standin.voice.dave.counts["rejected_commits"] == 0
    assert standin.voice.dave_counts["failed"] == 0, standin.voice.dave_counts


async def test_downgrade_to_protocol_0_and_back_mid_answer(standin: DiscordStandIn, start_bot, mid_answer) -> None:
    bot, sam, _ = await round_until_listening(standin, start_bot)
    bot_id = standin.world.bot.id
    t0 = time.monotonic()
    playing = asyncio.create_task(standin.voice.play(sam, mid_answer.pcm, progress_every=5))
    try:
        await wait_for_progress(standin, sam.id, mid_answer.end_a + int(GAP_S / 0.02) + 20, t0)
        t_down = time.monotonic()
        await standin.voice.dave.downgrade()                       # op 21 → 23 → 22
        await standin.events.wait_for("dave_execute", lambda d: d["protocol_version"] == 0, timeout=STEP_S,
                                      after=t_down, what="the downgrade executed")
        await wait_for_progress(standin, sam.id, mid_answer.end_b + int(GAP_S / 0.02) + 10, t0)
        t_up = time.monotonic()
        await standin.voice.dave.upgrade()                         # op 24: a fresh group
        await standin.events.wait_for("dave_execute", lambda d: d["protocol_version"] == 1 and bot_id in d["members"],
                                      timeout=STEP_S, after=t_up, what="the upgrade executed")
        await asyncio.wait_for(playing, STEP_S)
    finally:
        playing.cancel()
    decrypted_before = standin.voice.dave_counts["decrypted"]
    heard = await finish_round(standin, bot, sam)
    assert_heard(heard, PART_A, PART_B, PART_C)
    dc = standin.voice.dave_counts
    assert dc["decrypted"] > decrypted_before, "the follow-up went out end-to-end encrypted again"
    assert dc["failed"] == 0, dc


async def test_an_undecryptable_stretch_offers_typed_answers_then_withdraws_them(
        standin: DiscordStandIn, start_bot, mid_answer) -> None:
    bot, sam, card = await round_until_listening(standin, start_bot)
    t0 = time.monotonic()
    playing = asyncio.create_task(standin.voice.play(sam, mid_answer.pcm, progress_every=5))
    try:
        await wait_for_progress(standin, sam.id, mid_answer.end_a + int(GAP_S / 0.02) - 5, t0)
        standin.voice.dave.garble(sam.id, True)                   # sam's client has the wrong keys
        offer = await bot.guard(standin.wait_message(
            lambda m: "typed answers" in embed_title(m).lower(), timeout=STEP_S,
            what="the typed-answer offer", after=t0))
        assert "type my answer" in offer.text().lower(), offer.text()
        standin.voice.dave.garble(sam.id, False)                  # ... and then the right ones again
        back = await bot.guard(standin.wait_message(
            lambda m: "voice is back" in embed_title(m).lower(), timeout=STEP_S,
            what="the offer withdrawn", after=t0))
        assert not playing.done(), "the voice came back while sam was still answering"
        await asyncio.wait_for(playing, STEP_S)
    finally:
        playing.cancel()
    # the card lost its Type my answer button again; the bot re-initialised its session once (op 31)
    current = standin.rest.messages[card.id]
    assert "Type my answer" not in [b.get("label") for b in current.buttons()], current.buttons()
    assert standin.events.find("dave_invalid", lambda d: d["user_id"] == standin.world.bot.id, after=t0)
    assert back is not None
    heard = await finish_round(standin, bot, sam)
    assert_heard(heard, PART_A, PART_C)


TYPED = "Then I merge each overlapping pair in place and return the merged windows in order."


async def test_an_answer_begun_aloud_and_finished_by_typing_keeps_both_parts(
        standin: DiscordStandIn, start_bot, mid_answer) -> None:
    """sam speaks part A, then sam's audio stops decrypting: sam takes the typed-answer offer and
    types the rest in the modal. The feedback's transcript has the spoken part and the typed one."""
    bot, sam, card = await round_until_listening(standin, start_bot)
    t0 = time.monotonic()
    playing = asyncio.create_task(standin.voice.play(sam, mid_answer.pcm, progress_every=5))
    try:
        await wait_for_progress(standin, sam.id, mid_answer.end_a + int(GAP_S / 0.02) - 5, t0)
        standin.voice.dave.garble(sam.id, True)
        await bot.guard(standin.wait_message(
            lambda m: "typed answers" in embed_title(m).lower(), timeout=STEP_S,
            what="the typed-answer offer", after=t0))
        card = await bot.guard(standin.wait_message(
            has_enabled_button("Type my answer"), timeout=STEP_S, what="the card's Type my answer button", after=t0))
        pressed = await press(standin, sam, card, "Type my answer")
        shown = await standin.events.wait_for(
            "interaction_response", lambda d: d["interaction"]["id"] == pressed["id"] and d["type"] == 9,
            timeout=STEP_S, what="the typed-answer modal")
        modal = shown.data["data"]
        box = _text_inputs(modal)
        assert len(box) == 1, modal
        t_typed = time.monotonic()
        await standin.gateway.submit_modal(sam, modal, {box[0]: TYPED})
    finally:
        playing.cancel()
    standin.voice.dave.garble(sam.id, False)
    await bot.guard(wait_speech_finished(standin, after=t_typed, timeout=STEP_S, what="the follow-up"))
    t_done = time.monotonic()
    await press(standin, sam, latest_with_enabled(standin, "Done"), "Done")
    feedback = await bot.guard(standin.wait_message(
        lambda m: embed_title(m).startswith("Mock round feedback"), timeout=STEP_S,
        what="the feedback message", after=t_done))
    heard = answer_lines(next(f for f in feedback.files if f.filename.endswith(".txt")).data.decode())
    assert overlap(PART_A, heard) >= 0.45, heard                # the spoken part was kept …
    assert overlap(TYPED, heard) >= 0.9, heard                  # … and the typed part joined it
    assert heard.lower().index("sort") < heard.lower().index("merge each overlapping"), heard


def _text_inputs(modal: dict) -> list[str]:
    """The custom_ids of a modal's text inputs (in action rows or labels)."""
    found: list[str] = []

    def walk(c: dict) -> None:
        if c.get("type") == 4:
            found.append(c["custom_id"])
        for child in c.get("components", []) + ([c["component"]] if "component" in c else []):
            walk(child)
    for c in modal.get("components", []):
        walk(c)
    return found


async def test_heavy_packet_loss_is_reported_as_poor_audio_not_as_silence(
        standin: DiscordStandIn, start_bot, mid_answer) -> None:
    """The network loses 85 % of sam's packets during part B: the bot does not nudge sam for the
    gap, the feedback says the audio was poor there (with the answer's packet loss), no long
    silence is flagged inside that stretch, and parts A and C are in the transcript."""
    bot, sam, _ = await round_until_listening(standin, start_bot)
    first = mid_answer.end_a + int(GAP_S / 0.02) + 10
    last = mid_answer.end_b - 10
    t_play = time.monotonic()
    sent = await standin.voice.play(sam, mid_answer.pcm, lose=(first, last, 7))
    t_end = time.monotonic()
    assert sent["lost"] > 0.8 * (last - first), sent
    nudges = standin.events.find("bot_speaking", lambda d: d["speaking"] != 0, after=t_play)
    assert not [e for e in nudges if e.at <= t_end], "the bot nudged sam for a gap the network made"
    feedback = await finish_round_feedback(standin, bot, sam)
    text = feedback.text()
    assert "audio was poor" in text.lower(), text
    assert "voice packets arrived" in text and "% lost" in text, text
    # no silence blamed inside the lossy stretch (answer clock: from the end of the question)
    lines = [ln for ln in text.splitlines() if "silence" in ln.lower() and "audio was poor" not in ln.lower()]
    assert not lines or all("poor" not in ln for ln in lines)
    heard = answer_lines(next(f for f in feedback.files if f.filename.endswith(".txt")).data.decode())
    assert_heard(heard, PART_A, PART_C)


async def test_a_voice_server_move_mid_answer_reconnects_and_the_round_goes_on(
        standin: DiscordStandIn, start_bot, mid_answer) -> None:
    """VOICE_SERVER_UPDATE while sam answers: the bot's voice connection identifies again (new
    SSRC and key, back into the MLS group), sam's words after the move reach the transcript, and
    the follow-up is spoken over the new connection. (Without bot.discord_io.voice_fixes the
    reconnect could hang in discord.py's IP discovery.)"""
    bot, sam, _ = await round_until_listening(standin, start_bot)
    bot_id = standin.world.bot.id
    first_ssrc = standin.voice.sessions[bot_id].ssrc
    t0 = time.monotonic()
    playing = asyncio.create_task(standin.voice.play(sam, mid_answer.pcm, progress_every=5))
    try:
        await wait_for_progress(standin, sam.id, mid_answer.end_a + int(GAP_S / 0.02) + 15, t0)
        t_move = time.monotonic()
        await standin.gateway.move_voice_server()
        await standin.events.wait_for("voice_ready", lambda d: d["user_id"] == bot_id, timeout=STEP_S,
                                      after=t_move, what="the bot's new voice session")
        await standin.events.wait_for("dave_execute", lambda d: bot_id in d["members"], timeout=STEP_S,
                                      after=t_move, what="the bot back in the MLS group")
        sent = await asyncio.wait_for(playing, STEP_S)
    finally:
        playing.cancel()
    assert standin.voice.sessions[bot_id].ssrc != first_ssrc, "a new voice session (new SSRC)"
    assert len(standin.events.find("voice_identify", after=t_move)) == 1
    heard = await finish_round(standin, bot, sam)
    assert_heard(heard, PART_A, PART_C)
    assert sent["sent"] > 0


async def test_a_gateway_reconnect_mid_answer_resumes_and_the_round_goes_on(
        standin: DiscordStandIn, start_bot, mid_answer) -> None:
    """Gateway op 7 RECONNECT while sam answers: the bot resumes its session (op 6 → RESUMED, no
    new IDENTIFY), the voice connection is untouched, Done still works, and every part is heard."""
    bot, sam, _ = await round_until_listening(standin, start_bot)
    t0 = time.monotonic()
    playing = asyncio.create_task(standin.voice.play(sam, mid_answer.pcm, progress_every=5))
    try:
        await wait_for_progress(standin, sam.id, mid_answer.end_a + int(GAP_S / 0.02) + 15, t0)
        t_rc = time.monotonic()
        await standin.gateway.request_reconnect()
        await standin.events.wait_for("resume", timeout=STEP_S, after=t_rc, what="the bot's RESUME")
        await asyncio.wait_for(playing, STEP_S)
    finally:
        playing.cancel()
    assert not standin.events.find("identify", after=t_rc), "resumed, not identified again"
    assert not standin.events.find("voice_identify", after=t_rc), "the voice connection was untouched"
    heard = await finish_round(standin, bot, sam)
    assert_heard(heard, PART_A, PART_B, PART_C)
