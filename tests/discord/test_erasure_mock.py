"""Issue 13 item 1 for a mock round, through the cogs: `/privacy delete` by the member practising
stops their round at once, keeps nothing of it (also what a step in flight stores), and removes
the round's messages addressed to them; the stop reason stays in the channel.
"""

from __future__ import annotations

import asyncio
import unittest.mock

from bot.practice.round import RoundState
from cogs.privacy import PrivacyCog
from tests.discord.helpers import MockDMChannel, MockMember
from tests.discord.mock_helpers import (
    TIMEOUT,
    accept_consent,
    dms_closed,
    interaction_for,
    make_world,
    start,
    type_answer,
)
from tests.discord.privacy_helpers import erase
from tests.fault.population import scan_for

NAME = "ada-erased-mid-round"


async def test_erasing_the_owner_mid_round_stops_it_and_keeps_nothing(mock_cog, settings) -> None:
    w = make_world()
    w.member.display_name = w.member.global_name = w.member.name = NAME
    await start(mock_cog, interaction_for(w))
    active = mock_cog.active[w.guild.id]
    r = active.round
    await accept_consent(w)
    await r.wait_state(RoundState.LISTENING)
    await active.io.switch_to_text("test: voice can't be decrypted")
    await type_answer(w, active.io.controls, "I would assume one region first, then add a cache and measure it.")
    await r.wait_state(RoundState.LISTENING, count=2)  # the answer is stored; the follow-up is asked
    assert scan_for(settings.database, (w.member.id, NAME))
    mock_cog.bot.get_user = unittest.mock.Mock(return_value=MockMember(id=w.member.id, dm_channel=MockDMChannel()))
    mock_cog.bot.user = MockMember(name="Parley", bot=True)
    reply = await erase(PrivacyCog(mock_cog.bot), w.member, w.guild)
    assert "you left the round or group" in reply.lower()
    await asyncio.wait_for(active.task, TIMEOUT)
    assert r.summary.reason == "erased" and r.summary.answers == []
    assert scan_for(settings.database, (w.member.id, NAME)) == []
    # no feedback; the round's messages addressed to her are deleted, the stop reason stays
    sent = [(m, kw) for m, kw in w.text.sent]
    assert not any("feedback" in str(kw.get("embed").title if kw.get("embed") else "").lower() for _, kw in sent)
    addressed = [m for m, kw in sent if w.member.mention in str(kw.get("content"))]
    assert addressed and all(m.delete.await_count == 1 for m in addressed)
    assert "erased your parley data" in str(sent[-1][1].get("content")).lower()
    sent[-1][0].delete.assert_not_awaited()
    assert w.guild.id not in mock_cog.active and len(mock_cog.registry) == 0


async def test_private_feedback_offered_in_the_channel_is_gone_once_erased(mock_cog, settings) -> None:
    """DMs closed: the feedback waits behind a button only the owner can use; after /privacy delete
    that button shows nothing of it any more."""
    from bot.discord_io.views import PrivateFeedbackView

    w = make_world()
    w.member.send.side_effect = dms_closed()
    await start(mock_cog, interaction_for(w), private=True)
    active = mock_cog.active[w.guild.id]
    r = active.round
    await accept_consent(w)
    await r.wait_state(RoundState.LISTENING)
    await active.io.switch_to_text("test: voice can't be decrypted")
    await type_answer(w, active.io.controls, "I would assume one region first, then add a cache and measure it.")
    await r.wait_state(RoundState.LISTENING, count=2)
    await mock_cog.stop.callback(mock_cog, interaction_for(w))
    await asyncio.wait_for(active.task, TIMEOUT)
    [offer] = [kw for _, kw in w.text.sent if isinstance(kw.get("view"), PrivateFeedbackView)]
    before = interaction_for(w)
    await offer["view"].show_feedback.callback(before)
    assert "embed" in before.response.send_message.await_args.kwargs  # hers to see, privately
    mock_cog.bot.get_user = unittest.mock.Mock(return_value=MockMember(id=w.member.id, dm_channel=MockDMChannel()))
    mock_cog.bot.user = MockMember(name="Parley", bot=True)
    await erase(PrivacyCog(mock_cog.bot), w.member, w.guild)
    after = interaction_for(w)
    await offer["view"].show_feedback.callback(after)
    kw = after.response.send_message.await_args.kwargs
    assert "embed" not in kw and "file" not in kw and "erased" in after.reply_text()
    assert offer["view"].is_finished()
