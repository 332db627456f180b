"""`/group` driven through spec_set Discord mocks (tests/discord/helpers.py); the `group_cog` fixture
and the helpers that start a group and press its buttons are in tests/discord/group_helpers.py.

The group is the real `GroupSession` with the real engine, bank, sqlite database and TTS; the
Discord side is our real cog, views, sink and embeds. Only the network edge is faked: the voice
connection (`MockVoiceClient`, spec'd on VoiceRecvClient) and the channels' HTTP calls.
"""

from __future__ import annotations

import asyncio
import json
import threading
from types import SimpleNamespace
from typing import Any

import davey
import discord
import nacl.utils
import numpy as np
import pytest
from discord.ext import voice_recv
from discord.ext.voice_recv import VoiceRecvClient

from bot.discord_io.consent_view import ConsentPrompt
from bot.discord_io.group_embeds import lobby_embed
from bot.discord_io.group_io import GroupSink
from bot.discord_io.group_views import AnswerModal, LobbyView, RateButtonView, RatingModal, TurnView
from bot.practice.consent import CONSENT_TITLE
from bot.practice.group import Phase
from bot.practice.rounds_registry import KIND_MOCK
from bot.storage import privacy
from bot.storage.attempts import list_attempts
from bot.storage.group import GroupStore
from tests.discord.group_helpers import ANSWER, consent_all, inter, make_world, only_ephemeral, press, start_group
from tests.discord.helpers import (
    MockInteraction,
    MockVoiceChannel,
    MockVoiceClient,
    MockVoiceState,
)
from tests.discord.rtp_helpers import FRAME, UserClient, dave_pair

# --------------------------------------------------------------------------- refusals


async def test_start_outside_voice_is_refused_privately(group_cog) -> None:
    w = make_world(in_voice=False)
    i = inter(w, w.owner)
    await group_cog.start.callback(group_cog, i, None, 1)
    assert only_ephemeral(i) and "join a voice channel" in i.reply_text()
    w.voice.connect.assert_not_awaited()
    assert len(group_cog.registry) == 0


async def test_start_without_speak_permission_names_it(group_cog) -> None:
    w = make_world()
    w.voice.set_permissions_for(w.guild.me, discord.Permissions(connect=True, speak=False))
    i = inter(w, w.owner)
    await group_cog.start.callback(group_cog, i, None, 1)
    assert only_ephemeral(i) and "speak" in i.reply_text()
    assert len(group_cog.registry) == 0


async def test_start_names_only_the_missing_voice_permission(group_cog) -> None:
    w = make_world()
    w.voice.set_permissions_for(w.guild.me, discord.Permissions(view_channel=True, speak=True))
    i = inter(w, w.owner)
    await group_cog.start.callback(group_cog, i, None, 1)
    text = i.reply_text()
    assert only_ephemeral(i) and "missing the **connect** permission" in text and "speak" not in text
    w.voice.connect.assert_not_awaited()
    assert len(group_cog.registry) == 0


async def test_one_voice_session_per_server(group_cog) -> None:
    w = make_world(2)
    await start_group(group_cog, w)
    i = inter(w, w.members[1])
    await group_cog.start.callback(group_cog, i, None, 1)
    assert only_ephemeral(i) and "already running" in i.reply_text()
    assert "peer group" in i.reply_text() and f"<#{w.voice.id}>" in i.reply_text()  # says what, and where
    assert len(group_cog.registry) == 1


async def test_a_mock_round_holding_the_slot_is_named(group_cog) -> None:
    w = make_world(1)
    await consent_all(group_cog, w)
    held = await group_cog.registry.claim(w.guild.id, 4242, channel_id=w.voice.id, kind=KIND_MOCK)
    i = inter(w, w.owner)
    await group_cog.start.callback(group_cog, i, None, 1)
    assert only_ephemeral(i) and "a mock round is already running in this server" in i.reply_text()
    assert "peer group" not in i.reply_text()
    w.voice.connect.assert_not_awaited()
    await group_cog.registry.release(held)


# --------------------------------------------------------------------------- joining


async def test_start_connects_listens_and_posts_the_lobby_with_consent(group_cog) -> None:
    w = make_world()
    view = await start_group(group_cog, w)
    kwargs = w.voice.connect.await_args.kwargs
    assert kwargs["cls"] is VoiceRecvClient
    assert isinstance(w.vc.fake.sink, GroupSink) and w.vc.fake.sink.member_ids == [w.owner.id]
    run = group_cog.runs[w.guild.id]
    assert run.session.is_member(w.owner.id) and run.session.phase is Phase.LOBBY
    assert run.lobby_message is not None and view is run.lobby_view
    lobby = lobby_embed(run.session)  # what everyone sees before pressing Join
    assert lobby.fields[0].name == "Members (1/8)"
    assert "not kept" in lobby.description and "/group leave" in lobby.description


async def test_join_up_to_eight_then_a_clear_reply(group_cog) -> None:
    w = make_world(9)
    view = await start_group(group_cog, w)
    run = group_cog.runs[w.guild.id]
    for m in w.members[1:8]:
        i = await press(view.join_button, inter(w, m))
        assert only_ephemeral(i) and "you're in" in i.reply_text() and "not kept" in i.reply_text()
    assert len(run.session.active_members) == 8
    ninth = await press(view.join_button, inter(w, w.members[8]))
    assert only_ephemeral(ninth) and "full (8 members)" in ninth.reply_text()
    assert not run.session.is_member(w.members[8].id)
    assert sorted(w.vc.fake.sink.member_ids) == sorted(m.id for m in w.members[:8])
    again = await press(view.join_button, inter(w, w.members[1]))
    assert "already in" in again.reply_text()


async def test_join_needs_to_be_in_the_voice_channel(group_cog) -> None:
    w = make_world(2)
    view = await start_group(group_cog, w)
    w.members[1].voice = None
    i = await press(view.join_button, inter(w, w.members[1]))
    assert only_ephemeral(i) and "first" in i.reply_text()
    assert not group_cog.runs[w.guild.id].session.is_member(w.members[1].id)


def consent_shown(i: MockInteraction) -> asyncio.Event:
    """Set once the interaction got its first response (the private notice); no polling."""
    shown = asyncio.Event()
    original = i.response.send_message.side_effect

    async def send_message(*args: Any, **kwargs: Any) -> None:
        await original(*args, **kwargs)
        shown.set()

    i.response.send_message.side_effect = send_message
    return shown


async def _consent_prompt(action: Any, i: MockInteraction) -> tuple[asyncio.Task[Any], ConsentPrompt]:
    """Run `action` (a Join press or /group start) until it shows `i`'s member the notice."""
    shown = consent_shown(i)
    task = asyncio.create_task(action)
    await asyncio.wait_for(shown.wait(), 5)
    assert not task.done(), i.reply_text()
    kw = i.response.send_message.call_args.kwargs
    assert kw["ephemeral"] is True and kw["embed"].title == CONSENT_TITLE
    return task, kw["view"]


async def test_join_asks_for_consent_first_and_accept_is_remembered(group_cog) -> None:
    w = make_world(2)
    owner, peer = w.members
    await privacy.record_consent(group_cog.bot.services.db, owner.id, w.guild.id)
    view = await start_group(group_cog, w, consented=False)
    run = group_cog.runs[w.guild.id]
    i = inter(w, peer)
    task, prompt = await _consent_prompt(view.join_button.callback(i), i)
    # not a member, not listened to, while the notice is open
    assert not run.session.is_member(peer.id) and peer.id not in w.vc.fake.sink.member_ids
    await prompt.accept.callback(MockInteraction(user=peer, guild=w.guild))
    await asyncio.wait_for(task, 5)
    assert run.session.is_member(peer.id) and peer.id in w.vc.fake.sink.member_ids
    assert await privacy.has_consented(group_cog.bot.services.db, peer.id, w.guild.id)
    assert only_ephemeral(i) and "you're in" in i.reply_text()
    # leaving and joining again: not asked twice in this server
    await press(view.leave_button, inter(w, peer))
    again = await press(view.join_button, inter(w, peer))
    again.response.send_message.assert_awaited_once()  # the "you're in" reply, no notice
    assert "you're in" in again.reply_text() and run.session.is_member(peer.id)


async def test_declining_consent_does_not_join(group_cog) -> None:
    w = make_world(2)
    owner, peer = w.members
    await privacy.record_consent(group_cog.bot.services.db, owner.id, w.guild.id)
    view = await start_group(group_cog, w, consented=False)
    run = group_cog.runs[w.guild.id]
    i = inter(w, peer)
    task, prompt = await _consent_prompt(view.join_button.callback(i), i)
    await prompt.decline.callback(MockInteraction(user=peer, guild=w.guild))
    await asyncio.wait_for(task, 5)
    assert not run.session.is_member(peer.id) and peer.id not in w.vc.fake.sink.member_ids
    assert not await privacy.has_consented(group_cog.bot.services.db, peer.id, w.guild.id)
    assert only_ephemeral(i) and "haven't joined the group" in i.reply_text()
    assert [m.user_id for m in run.session.active_members] == [owner.id]


async def test_start_asks_the_owner_for_consent_and_a_decline_starts_nothing(group_cog) -> None:
    w = make_world(1)
    i = inter(w, w.owner)
    task, prompt = await _consent_prompt(group_cog.start.callback(group_cog, i, None, 1), i)
    assert len(group_cog.registry) == 0  # no slot taken, no voice, while the owner reads
    w.voice.connect.assert_not_awaited()
    await prompt.decline.callback(MockInteraction(user=w.owner, guild=w.guild))
    await asyncio.wait_for(task, 5)
    assert only_ephemeral(i) and "no group started" in i.reply_text()
    assert w.guild.id not in group_cog.runs and len(group_cog.registry) == 0
    w.voice.connect.assert_not_awaited()
    # accepted: the group starts and the lobby is posted after the private notice
    i = inter(w, w.owner)
    task, prompt = await _consent_prompt(group_cog.start.callback(group_cog, i, None, 1), i)
    await prompt.accept.callback(MockInteraction(user=w.owner, guild=w.guild))
    await asyncio.wait_for(task, 5)
    assert group_cog.runs[w.guild.id].session.is_member(w.owner.id)
    assert any(isinstance(kw.get("view"), LobbyView) for _, kw in i.replies())


async def test_leave_command_and_voice_disconnect(group_cog) -> None:
    w = make_world(3)
    view = await start_group(group_cog, w)
    run = group_cog.runs[w.guild.id]
    for m in w.members[1:]:
        await press(view.join_button, inter(w, m))
    i = inter(w, w.members[1])
    await group_cog.leave.callback(group_cog, i)
    assert only_ephemeral(i) and "left the group" in i.reply_text()
    assert not run.session.is_member(w.members[1].id)
    assert w.members[1].id not in w.vc.fake.sink.member_ids
    # leaving the voice channel counts as leaving the group
    before = MockVoiceState(channel=w.voice)
    after = MockVoiceState(channel=None)
    await group_cog.on_voice_state_update(w.members[2], before, after)
    assert not run.session.is_member(w.members[2].id)
    outsider = inter(w, w.members[2])
    await group_cog.leave.callback(group_cog, outsider)
    assert "not in this group" in outsider.reply_text()


# --------------------------------------------------------------------------- a whole group


async def test_turn_rating_and_summary_through_the_ui(group_cog, db) -> None:
    w = make_world(2)
    owner, peer = w.members
    view = await start_group(group_cog, w)
    run = group_cog.runs[w.guild.id]
    await press(view.join_button, inter(w, peer))
    not_owner = await press(view.begin_button, inter(w, peer))
    assert "only the person who started" in not_owner.reply_text()
    await press(view.begin_button, inter(w, owner))
    assert run.session.phase is Phase.ANSWERING and run.timer_task is not None

    _, kw = await w.text.wait_sent(lambda k: isinstance(k.get("view"), TurnView))
    turn_view: TurnView = kw["view"]
    assert w.owner.id == run.session.current.answerer_id
    spoken = await asyncio.wait_for(run.wait_spoken(1), 60)  # the question, aloud (real TTS)
    assert run.session.current.question.prompt in spoken[0] and w.vc.fake.played_frames > 0
    # the peer can't type the owner's answer; the owner types it in the modal
    wrong = await press(turn_view.type_button, inter(w, peer))
    assert "only during your own turn" in wrong.reply_text()
    i = await press(turn_view.type_button, inter(w, owner))
    modal = i.response.send_modal.await_args.args[0]
    assert isinstance(modal, AnswerModal)
    submit = inter(w, owner)
    modal.answer._refresh_state(submit, {"value": ANSWER})
    await modal.on_submit(submit)
    assert run.session.phase is Phase.RATING
    assert all(isinstance(item, discord.ui.Button) and item.disabled for item in turn_view.children)

    _, kw = await w.text.wait_sent(lambda k: "scored" in getattr(k.get("embed"), "title", "") or "")
    score = run.session.turns[0].analysis.score
    assert kw["embed"].title == f"Turn 1: {owner.name} scored {score}/100"
    assert {f.name for f in kw["embed"].fields} <= {"Went well", "To work on", "Talked over"}
    _, kw = await w.text.wait_sent(lambda k: isinstance(k.get("view"), RateButtonView))
    assert "rate it anonymously" in kw["content"].lower()
    rate_view: RateButtonView = kw["view"]
    own = await press(rate_view.rate_button, inter(w, owner))
    assert "can't rate your own" in own.reply_text()
    opened = await press(rate_view.rate_button, inter(w, peer))
    modal = opened.response.send_modal.await_args.args[0]  # a private modal, one required select per criterion
    assert isinstance(modal, RatingModal) and modal.title == f"Rate {owner.name}'s answer"
    labels = [c for c in modal.children if isinstance(c, discord.ui.Label)]
    assert [label.text for label in labels] == ["Structure", "Clarity", "Depth"]
    assert all(isinstance(label.component, discord.ui.Select) and label.component.required for label in labels)
    # a submit with a pick missing (a client that ignored `required`) counts nothing
    early = inter(w, peer)
    modal._refresh(early, [{"type": 18, "component": {"type": 3, "custom_id": labels[0].component.custom_id,
                                                      "values": ["4"]}}], {})
    await modal.on_submit(early)
    assert "pick a score for clarity, depth" in early.edit_original_response.await_args.kwargs["content"].lower()
    assert run.session.turns[0].ratings.pending == 1
    # the submitted modal, as Discord sends it: each label wrapping its select's values
    done = inter(w, peer)
    modal._refresh(done, [{"type": 18, "component": {"type": 3, "custom_id": label.component.custom_id,
                                                     "values": [value]}}
                          for label, value in zip(labels, ("4", "2", "5"))], {})
    await modal.on_submit(done)
    assert done.response.defer.await_args.kwargs == {"ephemeral": True, "thinking": True}  # acknowledged first
    thanks = done.edit_original_response.await_args.kwargs["content"].lower()
    assert "anonymous" in thanks
    assert run.session.current.answerer_id == peer.id  # the single rating completed the window

    refused = inter(w, peer)
    await group_cog.end.callback(group_cog, refused)
    assert "only the person who started" in refused.reply_text()
    ending = inter(w, owner)
    await group_cog.end.callback(group_cog, ending)
    _, kw = await w.text.wait_sent(lambda k: getattr(k.get("embed"), "title", "") == "Group summary")
    summary = kw["embed"]
    fields = {f.name: f.value for f in summary.fields}
    assert set(fields) == {owner.name, peer.name}
    assert "structure 4.0 · clarity 2.0 · depth 5.0 (1 peer rating(s))" in fields[owner.name]
    assert str(peer.id) not in json.dumps(summary.to_dict())  # never who rated what
    assert "Strongest answer" in summary.description
    # cleaned up: voice off, slot free, buttons off, stored in both members' history
    w.vc.disconnect.assert_awaited()
    assert len(group_cog.registry) == 0 and w.guild.id not in group_cog.runs
    assert all(item.disabled for item in run.lobby_view.children)
    hist = await list_attempts(db, owner.id)
    assert [(h.mode, h.session_id) for h in hist] == [("group", run.session.session_id)]
    rec = await GroupStore(db).get(run.session.session_id)
    assert rec.status == "done" and rec.summary["answers"] == 1


async def test_interviewer_card_is_private(group_cog) -> None:
    w = make_world(2)
    owner, peer = w.members
    view = await start_group(group_cog, w)
    run = group_cog.runs[w.guild.id]
    await press(view.join_button, inter(w, peer))
    took = await press(view.interviewer_button, inter(w, peer))
    assert "you're the interviewer" in took.reply_text()
    await press(view.begin_button, inter(w, owner))
    _, kw = await w.text.wait_sent(lambda k: isinstance(k.get("view"), TurnView))
    prompt = run.session.current.question.prompt
    assert prompt not in kw["embed"].description  # not shown to the channel
    other = await press(kw["view"].card_button, inter(w, owner))
    assert "only this turn's interviewer" in other.reply_text()
    card = await press(kw["view"].card_button, inter(w, peer))
    assert only_ephemeral(card)
    assert card.response.send_message.await_args.kwargs["embed"].description == prompt


async def test_group_survives_the_voice_connection_dropping(group_cog) -> None:
    """The connection drops while the bot is still in the channel: it reconnects and carries on."""
    w = make_world(2)
    owner, peer = w.members
    view = await start_group(group_cog, w)
    run = group_cog.runs[w.guild.id]
    await press(view.join_button, inter(w, peer))
    await press(view.begin_button, inter(w, owner))
    deadline = run.session.current.deadline
    first_vc = w.vc
    second_vc = MockVoiceClient()
    w.voice.connect.return_value = second_vc
    await run.voice_lost()
    first_vc.disconnect.assert_awaited()
    assert run.vc is second_vc and isinstance(second_vc.fake.sink, GroupSink)
    assert sorted(second_vc.fake.sink.member_ids) == sorted([owner.id, peer.id])
    assert run.session.phase is Phase.ANSWERING and run.session.paused_at is None
    assert run.session.current.deadline >= deadline
    assert any("i'm back" in (kw.get("content") or "").lower() for _, kw in w.text.sent)
    assert w.guild.id in group_cog.runs


@pytest.mark.parametrize("moved", [False, True], ids=["disconnected", "moved"])
async def test_a_moderator_removing_the_bot_ends_the_group_without_rejoining(group_cog, db, moved) -> None:
    """Our own VOICE_STATE_UPDATE without the channel (voice close 4014): the group ends cleanly,
    the summary is kept, and the bot does not pull itself back into the channel."""
    w = make_world(2)
    owner, peer = w.members
    view = await start_group(group_cog, w)
    run = group_cog.runs[w.guild.id]
    await press(view.join_button, inter(w, peer))
    await press(view.begin_button, inter(w, owner))
    connects = w.voice.connect.await_count
    me = group_cog.bot.user = w.guild.me
    elsewhere = MockVoiceChannel(guild=w.guild, members=[])
    await group_cog.on_voice_state_update(me, MockVoiceState(channel=w.voice),
                                    MockVoiceState(channel=elsewhere if moved else None))
    assert run.session.phase is Phase.ENDED and len(group_cog.registry) == 0
    assert w.voice.connect.await_count == connects, "the bot pulled itself back in"
    assert any("ending the group" in (kw.get("content") or "").lower() for _, kw in w.text.sent)
    rec = await GroupStore(db).get(run.session.session_id)
    assert rec.status == "done" and "removed from the voice channel" in rec.summary["end_reason"]


async def test_reconnect_failure_ends_the_group_and_keeps_the_summary(group_cog, db) -> None:
    w = make_world(1)
    await start_group(group_cog, w)
    run = group_cog.runs[w.guild.id]
    w.voice.connect.side_effect = discord.ClientException("no route")
    await run.voice_lost()
    assert run.session.phase is Phase.ENDED and len(group_cog.registry) == 0
    rec = await GroupStore(db).get(run.session.session_id)
    assert rec.status == "done" and "voice" in rec.summary["end_reason"]


async def test_undecryptable_voice_points_the_member_to_typed_answers(group_cog) -> None:
    """Real RTP packets (voice-recv's parser) carrying the owner's opus, DAVE-encrypted by a client
    in another MLS group, go through the group's sink on a router-like thread: after a failure run
    the channel points the owner to typed answers; once their frames decrypt again (a client in
    the bot's group) the channel says so. Not one-shot: a later run would fire again."""
    w = make_world(1)
    await start_group(group_cog, w)
    run = group_cog.runs[w.guild.id]
    owner = w.owner
    speaker, listener = dave_pair(speaker_id=owner.id)                 # the bot's group
    stranger, _ = dave_pair(speaker_id=owner.id, listener_id=owner.id + 1)  # keys the bot never got
    # what discord.py's connection state holds once DAVE is negotiated (see test_voice_receive)
    w.vc.__dict__["_connection"] = SimpleNamespace(dave_session=listener,
                                                   dave_protocol_version=davey.DAVE_PROTOCOL_VERSION)
    w.vc._get_id_from_ssrc = lambda ssrc: owner.id if ssrc == 4242 else None
    run.sink._voice_client = w.vc                                     # what voice-recv's reader sets
    client = UserClient(nacl.utils.random(32), ssrc=4242)
    pcm = np.tile(np.array([3000, 3000, -3000, -3000], "<i2"), FRAME // 8).tobytes()

    def feed(session: davey.DaveSession, n: int) -> None:
        for _ in range(n):
            client.dave = session
            payload = client.opus(pcm)
            packet = voice_recv.rtp.decode_rtp(client.rtp(payload))
            packet.decrypted_data = payload                           # transport layer already done
            run.sink.write(owner, voice_recv.VoiceData(packet, owner))

    t = threading.Thread(target=feed, args=(stranger, 120))
    t.start()
    t.join()
    _, kw = await w.text.wait_sent(lambda k: "type answer" in (k.get("content") or "").lower())
    assert owner.name in kw["content"]
    sink = run.sink._members[owner.id]
    assert sink.stats.dave_failed == 120 and sink.stats.frames_decoded == 0 and sink.dave.gave_up

    t = threading.Thread(target=feed, args=(speaker, 3))
    t.start()
    t.join()
    _, kw = await w.text.wait_sent(lambda k: "hear" in (k.get("content") or "").lower()
                                   and "again" in (k.get("content") or "").lower())
    assert owner.name in kw["content"]
    assert sink.stats.dave_decrypted == 3 and sink.stats.frames_decoded == 3 and not sink.dave.gave_up


async def test_an_answer_ended_by_lost_transcription_is_explained_in_the_channel(group_cog) -> None:
    """The session ends an answer when the transcription workers stop answering; the channel says
    why the bot stopped listening, so the member does not think they were cut off for nothing."""
    from bot.practice.group import AnswerEnded

    w = make_world(1)
    await start_group(group_cog, w)
    run = group_cog.runs[w.guild.id]
    await run.answer_ended(AnswerEnded(1, w.owner.id, "transcription_unavailable"))
    _, kw = await w.text.wait_sent(lambda k: "transcription is unavailable" in (k.get("content") or "").lower())
    assert "words i heard" in kw["content"].lower() and "goes on" in kw["content"]
    await run.answer_ended(AnswerEnded(2, w.owner.id, "silence"))  # an ordinary end says nothing
    assert sum("transcription" in (k.get("content") or "").lower() for _, k in w.text.sent) == 1
