"""`/mock start` and `/mock stop` driven through spec_set Discord mocks (tests/discord/helpers.py); the
`mock_cog` fixture and the helpers that run a round are in tests/discord/mock_helpers.py.

The round is the real `MockRound` with the real engine, bank, sqlite database and TTS; the
Discord side is our real `DiscordRoundIO`, views and embeds. Only the network edge is faked: the
voice connection (`MockVoiceClient`, spec'd on VoiceRecvClient) and the channels' HTTP calls.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from types import SimpleNamespace

import discord
import pytest
from discord.ext.voice_recv import VoiceRecvClient

from bot.discord_io.client import ParleyBot
from bot.discord_io.views import ConsentView, PrivateFeedbackView, RoundControls
from bot.discord_io.voice_receive import AnswerSink
from bot.models import CATEGORIES, DIFFICULTIES
from bot.practice.round import RoundState
from bot.practice.rounds_registry import KIND_GROUP, RoundsRegistry
from bot.speech.audio import decode_file, to_pcm48_stereo
from bot.speech.stt import Transcriber
from bot.storage.sessions import get_session
from cogs.mock import MockCog
from tests.discord.helpers import (
    MockBot,
    MockInteraction,
    MockMember,
    MockVoiceChannel,
    MockVoiceState,
)
from tests.discord.mock_helpers import (
    TIMEOUT,
    accept_consent,
    dms_closed,
    has_view,
    interaction_for,
    make_world,
    only_ephemeral,
    services_for,
    start,
    type_answer,
)

# --------------------------------------------------------------------------- refusals


async def test_caller_not_in_voice_gets_a_private_hint(mock_cog) -> None:
    w = make_world(in_voice=False)
    inter = interaction_for(w)
    await start(mock_cog, inter)
    assert only_ephemeral(inter)
    assert "join a voice channel" in inter.reply_text()
    w.voice.connect.assert_not_awaited()
    assert len(mock_cog.registry) == 0


@pytest.mark.parametrize("perms, named, not_named", [
    (discord.Permissions(view_channel=True, connect=True), ["speak"], ["connect"]),
    (discord.Permissions(view_channel=True, speak=True), ["connect"], ["speak"]),
    (discord.Permissions(view_channel=True), ["connect and speak"], []),
])
async def test_missing_voice_permission_is_named(mock_cog, perms, named, not_named) -> None:
    w = make_world()
    w.voice.set_permissions_for(w.guild.me, perms)
    inter = interaction_for(w)
    await start(mock_cog, inter)
    text = inter.reply_text()
    assert only_ephemeral(inter)
    for word in named:
        assert word in text, text
    for word in not_named:
        assert f"**{word}**" not in text and f" {word} " not in text.split("missing the")[1], text
    w.voice.permissions_for.assert_called_with(w.guild.me)
    w.voice.connect.assert_not_awaited()


async def test_missing_text_channel_permission_is_named(mock_cog) -> None:
    w = make_world()
    inter = interaction_for(w)
    inter.app_permissions = discord.Permissions(view_channel=True, send_messages=True, attach_files=True)
    await start(mock_cog, inter)
    text = inter.reply_text()
    assert only_ephemeral(inter) and "embed links" in text and "send messages" not in text
    w.voice.connect.assert_not_awaited()


async def test_unknown_question_id_is_refused_with_suggestions(mock_cog) -> None:
    w = make_world()
    real_id = mock_cog.services.bank.ids()[0]
    inter = interaction_for(w)
    await start(mock_cog, inter, question=real_id + "x")
    text = inter.reply_text()
    assert only_ephemeral(inter)
    assert "don't know that question" in text and real_id in text
    w.voice.connect.assert_not_awaited()


async def test_second_round_in_the_same_server_is_busy(mock_cog) -> None:
    first = make_world()
    await start(mock_cog, interaction_for(first))
    second = make_world(first.guild)
    inter = interaction_for(second)
    await start(mock_cog, inter)
    assert only_ephemeral(inter)
    assert "already running in this server" in inter.reply_text()
    second.voice.connect.assert_not_awaited()
    assert len(mock_cog.registry) == 1


async def test_a_peer_group_holding_the_slot_is_named(mock_cog) -> None:
    w = make_world()
    held = await mock_cog.registry.claim(w.guild.id, 4242, channel_id=w.voice.id, kind=KIND_GROUP)
    inter = interaction_for(w)
    await start(mock_cog, inter)
    text = inter.reply_text()
    assert only_ephemeral(inter)
    assert "a peer group is already running in this server" in text and f"<#{w.voice.id}>" in text
    assert "mock round" not in text
    w.voice.connect.assert_not_awaited()
    assert len(mock_cog.registry) == 1
    await mock_cog.registry.release(held)


async def test_autocomplete_offers_real_ids_filtered_by_what_was_typed(mock_cog) -> None:
    w = make_world()
    bank = mock_cog.services.bank
    target = bank.questions[3]
    inter = interaction_for(w)
    inter.namespace = SimpleNamespace(category=None)
    choices = await mock_cog._question_autocomplete(inter, target.id[:-1])
    assert target.id in [c.value for c in choices] and len(choices) <= 25
    inter.namespace = SimpleNamespace(category=SimpleNamespace(value="behavioral"))
    choices = await mock_cog._question_autocomplete(inter, "")
    assert choices and all(bank.get(c.value).category == "behavioral" for c in choices)


# --------------------------------------------------------------------------- a round


async def test_round_starts_with_consent_before_listening_and_stop_ends_it(mock_cog, db) -> None:
    w = make_world()
    inter = interaction_for(w)
    q = mock_cog.services.bank.questions[0]
    await start(mock_cog, inter, question=q.id)

    assert only_ephemeral(inter) and "joined" in inter.reply_text()
    w.voice.connect.assert_awaited_once()
    assert w.voice.connect.await_args.kwargs["cls"] is VoiceRecvClient
    active = mock_cog.active[w.guild.id]

    # The consent notice comes first, and nothing is received before it is accepted.
    msg, kw = await w.text.wait_sent(has_view(ConsentView), timeout=TIMEOUT)
    notice = kw["embed"]
    blob = (notice.description + " ".join(f.value for f in notice.fields)).lower()
    assert "not kept" in blob and "/privacy delete" in blob and "transcripts and scores are stored" in blob
    assert w.vc.fake.sink is None
    w.vc.listen.assert_not_called()
    # Someone else cannot accept for the owner.
    stranger = MockMember(name="eve")
    w.guild.add_member(stranger)
    press = interaction_for(w, stranger)
    assert not await kw["view"].interaction_check(press)
    assert only_ephemeral(press)
    await accept_consent(w)

    # The question card with the controls, the question spoken, the owner's audio received.
    _, card = await w.text.wait_sent(has_view(RoundControls), timeout=TIMEOUT)
    assert card["embed"].description == q.prompt
    await active.round.wait_state(RoundState.LISTENING)
    assert w.vc.fake.clips >= 1 and w.vc.fake.played_frames > 10
    sink = w.vc.fake.sink
    assert isinstance(sink, AnswerSink) and sink.user_id == w.member.id and sink.wants_opus()

    stop = interaction_for(w)
    await mock_cog.stop.callback(mock_cog, stop)
    assert only_ephemeral(stop) and "stopping your round" in stop.reply_text()
    await asyncio.wait_for(active.task, TIMEOUT)

    view: RoundControls = card["view"]
    assert view.closed and all(item.disabled for item in view.children)
    view.message.edit.assert_awaited()
    w.vc.disconnect.assert_awaited()
    assert w.vc.fake.sink is None and not w.vc.fake.connected
    assert len(mock_cog.registry) == 0 and w.guild.id not in mock_cog.active
    row = await get_session(db, active.round.session_id)
    assert row is not None and row.status == "done" and row.owner_id == w.member.id


async def test_a_round_started_plainly_ends_with_the_candidate_s_questions_unless_turned_off(mock_cog) -> None:
    """As in a real interview, the last stage invites the member's own questions; the option
    turns it off for a shorter round, and pushback stays off unless asked for."""
    for opts, expected in (({}, True), ({"your_questions": False}, False)):
        w = make_world()
        # as discord.py calls it when the member leaves the other options out
        await mock_cog.start.callback(mock_cog, interaction_for(w), category=None, difficulty=None, question=None, **opts)
        active = mock_cog.active[w.guild.id]
        extras = active.round.extras
        assert (extras is not None and extras.own_questions) is expected
        assert extras is None or not extras.pushback
        await mock_cog.stop.callback(mock_cog, interaction_for(w))
        await asyncio.wait_for(active.task, TIMEOUT)


async def test_declining_consent_records_nothing_and_leaves(mock_cog, db) -> None:
    w = make_world()
    await start(mock_cog, interaction_for(w))
    active = mock_cog.active[w.guild.id]
    _, kw = await w.text.wait_sent(has_view(ConsentView), timeout=TIMEOUT)
    await kw["view"].decline.callback(interaction_for(w))
    await asyncio.wait_for(active.task, TIMEOUT)
    w.vc.listen.assert_not_called()
    w.vc.disconnect.assert_awaited()
    assert active.round.summary.status == "declined"
    assert active.round.session_id is None
    async with db.conn.execute("SELECT COUNT(*) FROM sessions") as cur:
        assert (await cur.fetchone())[0] == 0


async def test_only_owner_or_manage_server_may_stop(mock_cog) -> None:
    w = make_world()
    await start(mock_cog, interaction_for(w))
    active = mock_cog.active[w.guild.id]
    await accept_consent(w)
    await active.round.wait_state(RoundState.LISTENING)

    bystander = w.guild.add_member(MockMember(name="bob"))
    refused = interaction_for(w, bystander)
    await mock_cog.stop.callback(mock_cog, refused)
    assert only_ephemeral(refused) and "manage server" in refused.reply_text()
    assert not active.round.ended

    moderator = w.guild.add_member(MockMember(name="mod", guild_permissions=discord.Permissions(manage_guild=True)))
    allowed = interaction_for(w, moderator)
    await mock_cog.stop.callback(mock_cog, allowed)
    await asyncio.wait_for(active.task, TIMEOUT)
    assert active.round.ended and active.round.summary.reason == "ended"


async def test_buttons_obey_only_the_owner_and_drive_the_round(mock_cog) -> None:
    w = make_world()
    await start(mock_cog, interaction_for(w))
    active = mock_cog.active[w.guild.id]
    await accept_consent(w)
    _, card = await w.text.wait_sent(has_view(RoundControls), timeout=TIMEOUT)
    view: RoundControls = card["view"]
    await active.round.wait_state(RoundState.LISTENING)

    intruder = interaction_for(w, w.guild.add_member(MockMember(name="mallory")))
    assert not await view.interaction_check(intruder)
    assert "belong to the person practising" in intruder.reply_text()

    owner = interaction_for(w)
    await view.skip.callback(owner)          # nothing said: the round moves to question 2
    assert only_ephemeral(owner)
    await active.round.wait_state(RoundState.LISTENING, count=2)
    _, second = await w.text.wait_sent(lambda kw: isinstance(kw.get("view"), RoundControls)
                                       and kw["view"] is not view, timeout=TIMEOUT)
    assert view.closed and all(i.disabled for i in view.children)  # the old card is greyed out
    await second["view"].end_round.callback(interaction_for(w))
    await asyncio.wait_for(active.task, TIMEOUT)
    assert second["view"].closed


async def test_user_leaving_voice_stops_the_round_with_a_message(mock_cog) -> None:
    w = make_world()
    await start(mock_cog, interaction_for(w))
    active = mock_cog.active[w.guild.id]
    await accept_consent(w)
    await active.round.wait_state(RoundState.LISTENING)
    before, after = MockVoiceState(channel=w.voice), MockVoiceState(channel=None)
    await mock_cog.on_voice_state_update(w.member, before, after)
    await asyncio.wait_for(active.task, TIMEOUT)
    assert active.round.summary.status == "interrupted" and active.round.summary.reason == "user_left"
    assert any("left the voice channel" in (kw.get("content") or "") for _, kw in w.text.sent)
    assert len(mock_cog.registry) == 0


@pytest.mark.parametrize("moved", [False, True], ids=["disconnected", "moved"])
async def test_bot_disconnected_or_moved_tells_the_user(mock_cog, moved) -> None:
    w = make_world()
    await start(mock_cog, interaction_for(w))
    active = mock_cog.active[w.guild.id]
    await accept_consent(w)
    await active.round.wait_state(RoundState.LISTENING)
    elsewhere = MockVoiceChannel(guild=w.guild) if moved else None
    await mock_cog.on_voice_state_update(w.guild.me, MockVoiceState(channel=w.voice),
                                    MockVoiceState(channel=elsewhere))
    await asyncio.wait_for(active.task, TIMEOUT)
    assert active.round.summary.reason == "disconnected"
    assert active.round.disconnect_reason == ("moved" if moved else "disconnected")
    assert any("disconnected from the voice channel" in (kw.get("content") or "") for _, kw in w.text.sent)


async def test_our_own_leave_at_round_end_is_one_leave_not_an_interruption(mock_cog, caplog) -> None:
    """At the end of a round the bot leaves voice once; Discord's confirmation of that leave (the
    bot's own VOICE_STATE_UPDATE, delivered while discord.py's disconnect() still waits for it)
    is recognised as our own leave: no "disconnected during a round" handling, no second leave."""
    w = make_world()
    await start(mock_cog, interaction_for(w))
    active = mock_cog.active[w.guild.id]
    await accept_consent(w)
    await active.round.wait_state(RoundState.LISTENING)

    confirmations = 0

    async def leave_as_discord_py_does(*, force: bool = False) -> None:
        nonlocal confirmations
        w.vc.fake.connected = False  # discord.py marks the connection disconnected first...
        w.vc.fake.sink = None
        # ...then waits for the gateway's VOICE_STATE_UPDATE (channel None), which discord.py
        # also dispatches to the cogs' listeners while this call is still running.
        assert w.guild.id in mock_cog.active, "the confirmation arrives while the round is still listed"
        await mock_cog.on_voice_state_update(w.guild.me, MockVoiceState(channel=w.voice),
                                        MockVoiceState(channel=None))
        confirmations += 1

    w.vc.disconnect.side_effect = leave_as_discord_py_does
    caplog.set_level(logging.DEBUG, logger="cogs.mock")
    await mock_cog.stop.callback(mock_cog, interaction_for(w))
    await asyncio.wait_for(active.task, TIMEOUT)

    assert w.vc.disconnect.await_count == 1 and confirmations == 1
    assert active.round.summary.status == "done" and active.round.summary.reason == "ended"
    assert active.round.disconnect_reason == ""  # round.disconnected() was never called
    posted = " ".join((kw.get("content") or "") + " " + (getattr(kw.get("embed"), "description", "") or "")
                      for _, kw in w.text.sent).lower()
    assert "disconnected from the voice channel" not in posted
    assert not [r for r in caplog.records if "during a round" in r.getMessage()]
    assert w.guild.id not in mock_cog.active and len(mock_cog.registry) == 0


async def test_rounds_run_in_two_servers_at_once(mock_cog) -> None:
    a, b = make_world(), make_world()
    await start(mock_cog, interaction_for(a))
    await start(mock_cog, interaction_for(b))
    assert set(mock_cog.active) == {a.guild.id, b.guild.id}
    await accept_consent(a)
    await accept_consent(b)
    await mock_cog.active[a.guild.id].round.wait_state(RoundState.LISTENING)
    await mock_cog.active[b.guild.id].round.wait_state(RoundState.LISTENING)
    assert a.vc.fake.sink.user_id == a.member.id and b.vc.fake.sink.user_id == b.member.id
    task_a = mock_cog.active[a.guild.id].task
    await mock_cog.stop.callback(mock_cog, interaction_for(a))
    await asyncio.wait_for(task_a, TIMEOUT)
    assert list(mock_cog.active) == [b.guild.id] and not mock_cog.active[b.guild.id].round.ended


# --------------------------------------------------------------------------- with the model


@pytest.mark.slow
async def test_spoken_answer_gets_feedback_with_transcript(round_settings, db, transcriber, jfk_path) -> None:
    """Real speech into the sink's callback, Done pressed, follow-up ended: feedback embed posted
    with the transcript file, attempt stored."""
    settings = round_settings.with_(questions_per_round=1)
    services = services_for(settings, db, transcriber)
    bot = MockBot.of(ParleyBot(services, extensions=()))
    bot.services, bot.settings, bot.rounds = services, settings, RoundsRegistry(settings)
    c = MockCog(bot)
    w = make_world()
    q = next(q for q in services.bank.questions if q.category == "behavioral")
    await start(c, interaction_for(w), question=q.id)
    active = c.active[w.guild.id]
    await accept_consent(w)
    _, card = await w.text.wait_sent(has_view(RoundControls), timeout=TIMEOUT)
    await active.round.wait_state(RoundState.LISTENING)

    pcm = to_pcm48_stereo(decode_file(jfk_path), 16_000)
    sink: AnswerSink = w.vc.fake.sink
    for i in range(0, len(pcm) - 3840 + 1, 3840):
        sink.on_pcm(pcm[i:i + 3840], active.round.clock())  # what the sink hands on after decoding
    await card["view"].done.callback(interaction_for(w))
    await active.round.wait_state(RoundState.FOLLOW_UP)
    await active.round.wait_state(RoundState.LISTENING, count=2)
    await c.stop.callback(c, interaction_for(w))
    await asyncio.wait_for(active.task, TIMEOUT)

    _, fb = await w.text.wait_sent(lambda kw: kw.get("file") is not None, timeout=TIMEOUT)
    embed = fb["embed"]
    analysis = active.round.summary.answers[0].analysis
    assert analysis is not None and "country" in analysis.transcript.lower()
    assert f"{analysis.score}/100" in embed.title
    attached = fb["file"].fp.getvalue().decode()
    assert "ask not what your country" in attached.lower()
    assert active.round.summary.answers[0].attempt_id is not None


# --------------------------------------------------------------------------- fallback and wiring


async def test_undecryptable_voice_switches_to_typed_answers_that_join_the_round(mock_cog, db) -> None:
    """When DAVE keeps failing, the receive thread reports it; the user is told in text and gets a
    “Type my answer” button; silence no longer ends the answer; the typed answer goes to the round
    (analysed, stored with its session, followed by the follow-up) and is in the final feedback."""
    w = make_world()
    await start(mock_cog, interaction_for(w))
    active = mock_cog.active[w.guild.id]
    r = active.round
    await accept_consent(w)
    await r.wait_state(RoundState.LISTENING)
    first_question = r.current_question
    sink: AnswerSink = w.vc.fake.sink
    # Fire from another thread, as voice-recv's router thread would.
    t = threading.Thread(target=sink.dave.on_undecryptable, args=("50 frames failed",))
    t.start()
    t.join()
    _, notice = await w.text.wait_sent(
        lambda kw: kw.get("embed") is not None and "typed answers" in (kw["embed"].title or "").lower(),
        timeout=TIMEOUT)
    assert "type my answer" in notice["embed"].description.lower()
    assert r.listener is not None and r.listener.silence_held  # typing: silence ends nothing
    controls = active.io.controls
    assert controls.type_answer in controls.children
    controls.message.edit.assert_awaited()

    answer = ("I would first clarify the constraints and assume moderate scale, then describe the "
              "tradeoffs and the result: we cut latency by forty percent.")
    modal, submit = await type_answer(w, controls, answer)
    assert modal.title == "Type your answer"
    assert only_ephemeral(submit) and "final feedback" in submit.reply_text()
    await r.wait_state(RoundState.LISTENING, count=2)   # the follow-up, as after a spoken answer
    follow_up = r.summary.answers[0].follow_up
    assert follow_up and r.current_prompt == follow_up and r.listener.silence_held
    # with typed answers the follow-up is shown in text too
    await w.text.wait_sent(lambda kw: kw.get("embed") is not None
                           and kw["embed"].description == follow_up, timeout=TIMEOUT)
    follow_text = "We would measure it with a load test and watch the p99 latency."
    modal2, _ = await type_answer(w, controls, follow_text)
    assert modal2.title == "Answer the follow-up"
    await r.wait_state(RoundState.LISTENING, count=3)   # question 2
    assert r.current_question is not first_question

    await mock_cog.stop.callback(mock_cog, interaction_for(w))
    await asyncio.wait_for(active.task, TIMEOUT)

    async with db.conn.execute("SELECT mode, question_id, transcript, session_id FROM attempts "
                               "WHERE user_id = ? ORDER BY id", (w.member.id,)) as cur:
        rows = [tuple(x) for x in await cur.fetchall()]
    assert rows == [("mock", first_question.id, answer, r.session_id),
                    ("mock_follow_up", first_question.id, follow_text, r.session_id)]
    a = r.summary.answers[0]
    assert (a.end_reason, a.follow_up_end_reason) == ("typed", "typed")
    _, fb = await w.text.wait_sent(lambda kw: kw.get("file") is not None, timeout=TIMEOUT)
    assert f"{a.analysis.score}/100" in fb["embed"].title
    attached = fb["file"].fp.getvalue().decode()
    assert answer in attached and follow_text in attached


async def test_a_typed_answer_for_a_prompt_the_round_left_is_handed_back_not_used(mock_cog, db) -> None:
    w = make_world()
    await start(mock_cog, interaction_for(w))
    active = mock_cog.active[w.guild.id]
    r = active.round
    await accept_consent(w)
    await r.wait_state(RoundState.LISTENING)
    await active.io.switch_to_text("test: voice can't be decrypted")
    controls = active.io.controls
    press = interaction_for(w)
    await controls.type_answer.callback(press)           # the box opens for question 1 …
    modal = press.response.send_modal.await_args.args[0]
    await controls.skip.callback(interaction_for(w))     # … but the round moves to question 2
    await r.wait_state(RoundState.LISTENING, count=2)
    late = "An answer meant for the first question."
    submit = interaction_for(w)
    modal.answer._refresh_state(submit, {"type": 4, "custom_id": modal.answer.custom_id, "value": late})
    await modal.on_submit(submit)
    assert only_ephemeral(submit) and "moved on" in submit.reply_text() and late.lower() in submit.reply_text()
    assert r.listener is not None and not r.listener.ended   # question 2's answer goes on
    await mock_cog.stop.callback(mock_cog, interaction_for(w))
    await asyncio.wait_for(active.task, TIMEOUT)
    async with db.conn.execute("SELECT COUNT(*) FROM attempts") as cur:
        assert (await cur.fetchone())[0] == 0
    # after the round, the box answers that the round has ended (and hands the text back too)
    after = interaction_for(w)
    modal.answer._refresh_state(after, {"type": 4, "custom_id": modal.answer.custom_id, "value": late})
    await modal.on_submit(after)
    assert only_ephemeral(after) and "this round has ended" in after.reply_text()


@pytest.mark.parametrize("dms_open", [True, False], ids=["by-dm", "dms-closed"])
async def test_private_round_sends_the_final_feedback_by_dm_or_says_why_not(mock_cog, dms_open) -> None:
    w = make_world()
    if not dms_open:
        w.member.send.side_effect = dms_closed()
    inter = interaction_for(w)
    await start(mock_cog, inter, private=True)
    assert only_ephemeral(inter) and "direct message" in inter.reply_text()
    active = mock_cog.active[w.guild.id]
    r = active.round
    await accept_consent(w)
    await r.wait_state(RoundState.LISTENING)
    await active.io.switch_to_text("test: voice can't be decrypted")
    answer = "I would assume a single region first, then add a cache and measure the hit rate."
    await type_answer(w, active.io.controls, answer)
    await r.wait_state(RoundState.LISTENING, count=2)
    await mock_cog.stop.callback(mock_cog, interaction_for(w))
    await asyncio.wait_for(active.task, TIMEOUT)

    score = r.summary.answers[0].analysis.score
    w.member.send.assert_awaited_once()
    dm = w.member.send.await_args.kwargs
    in_channel = [kw for _, kw in w.text.sent if kw.get("file") is not None]
    if dms_open:
        assert f"{score}/100" in dm["embed"].title and answer in dm["file"].fp.getvalue().decode()
        assert in_channel == []   # neither the feedback embed nor the transcript in the channel
        assert not any("feedback" in (kw["embed"].title or "").lower() for _, kw in w.text.sent if kw.get("embed"))
        assert any("in your direct messages" in (kw.get("content") or "") for _, kw in w.text.sent)
    else:
        # never public: the channel gets a button and no feedback; only the owner's press shows it, privately
        assert in_channel == []
        [offer] = [kw for _, kw in w.text.sent if isinstance(kw.get("view"), PrivateFeedbackView)]
        assert "couldn't send your feedback by direct message" in offer["content"]
        assert offer.get("embed") is None and f"{score}/100" not in json.dumps(
            [(kw.get("content"), kw["embed"].to_dict() if kw.get("embed") else None) for _, kw in w.text.sent])
        view: PrivateFeedbackView = offer["view"]
        stranger = MockInteraction(user=w.guild.add_member(MockMember(name="nosy")), guild=w.guild, channel=w.text)
        assert await view.interaction_check(stranger) is False
        assert only_ephemeral(stranger) and "file" not in stranger.response.send_message.await_args.kwargs
        press = interaction_for(w)
        assert await view.interaction_check(press) is True
        await view.show_feedback.callback(press)
        shown = press.response.send_message.await_args.kwargs
        assert only_ephemeral(press) and f"{score}/100" in shown["embed"].title
        assert answer in shown["file"].fp.getvalue().decode()


async def test_extension_registers_mock_start_and_stop(round_settings, db) -> None:
    services = services_for(round_settings, db, Transcriber(round_settings))
    bot = ParleyBot(services, extensions=())
    await bot.load_extension("cogs.mock")
    group = bot.tree.get_command("mock")
    assert {c.name for c in group.commands} == {"start", "stop"}
    start_cmd = group.get_command("start")
    params = {p.name: p for p in start_cmd.parameters}
    assert [c.value for c in params["category"].choices] == list(CATEGORIES)
    assert [c.value for c in params["difficulty"].choices] == list(DIFFICULTIES)
    assert params["question"].autocomplete and not params["question"].required
    assert params["private"].type is discord.AppCommandOptionType.boolean and not params["private"].required
    await bot.close()


async def test_consent_is_remembered_per_server(mock_cog) -> None:
    """After accepting once in a server, the next round shows the notice (no buttons) and starts."""
    w = make_world()
    await start(mock_cog, interaction_for(w))
    active = mock_cog.active[w.guild.id]
    await accept_consent(w)
    await active.round.wait_state(RoundState.LISTENING)
    await mock_cog.stop.callback(mock_cog, interaction_for(w))
    await asyncio.wait_for(active.task, TIMEOUT)

    w.vc.fake.connected = True             # a fresh connection for the next round
    w.text.sent.clear()
    await start(mock_cog, interaction_for(w))
    again = mock_cog.active[w.guild.id]
    await again.round.wait_state(RoundState.LISTENING)
    notices = [kw for _, kw in w.text.sent
               if kw.get("embed") is not None and "what parley records" in (kw["embed"].title or "").lower()]
    assert len(notices) == 1 and notices[0].get("view") is None
    assert "accepted this before" in notices[0]["embed"].footer.text
    assert w.vc.fake.sink.user_id == w.member.id


async def test_when_voice_decrypts_again_the_typed_answer_offer_is_withdrawn(mock_cog, db) -> None:
    """Not one-shot: a DAVE re-handshake while the user speaks offers typed answers only until their
    audio decrypts again; then the button goes, silence counts again, and a new failure run offers
    it again."""
    w = make_world()
    await start(mock_cog, interaction_for(w))
    active = mock_cog.active[w.guild.id]
    r = active.round
    await accept_consent(w)
    await r.wait_state(RoundState.LISTENING)
    sink: AnswerSink = w.vc.fake.sink
    controls = active.io.controls

    def from_router_thread(fn, *args) -> None:
        t = threading.Thread(target=fn, args=args)
        t.start()
        t.join()

    from_router_thread(sink.dave.on_undecryptable, "100 frames failed")
    await w.text.wait_sent(lambda kw: kw.get("embed") is not None
                           and "typed answers" in (kw["embed"].title or "").lower(), timeout=TIMEOUT)
    assert controls.type_answer in controls.children and r.listener.silence_held
    from_router_thread(sink.dave.on_recovered)
    await w.text.wait_sent(lambda kw: kw.get("embed") is not None
                           and "voice is back" in (kw["embed"].title or "").lower(), timeout=TIMEOUT)
    assert controls.type_answer not in controls.children and not active.io.text_mode
    assert not r.listener.silence_held, "silence counts again"
    controls.message.edit.assert_awaited_with(view=controls)

    def notices() -> int:
        return len([kw for _, kw in w.text.sent if kw.get("embed") is not None
                    and "typed answers" in (kw["embed"].title or "").lower()])

    assert notices() == 1
    from_router_thread(sink.dave.on_undecryptable, "another run")
    cond = w.text._cond()
    async with cond:
        await asyncio.wait_for(cond.wait_for(lambda: notices() == 2), TIMEOUT)
    assert active.io.text_mode and r.listener.silence_held
    await mock_cog.stop.callback(mock_cog, interaction_for(w))
    await asyncio.wait_for(active.task, TIMEOUT)
