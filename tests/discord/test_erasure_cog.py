"""Issue 13 items 1 and 7 through the cogs: `/privacy delete` while a group runs leaves nothing of
the member once the group ends, and Parley's own messages for them are removed where it still
can (DMs, daily threads), with a plain word about what it could not remove.

Real cogs, sessions, sqlite and embeds; Discord's side is the spec_set mocks of
tests/discord/helpers.py (the channels' histories and deletes are the network edge).
"""

from __future__ import annotations

import unittest.mock
from datetime import UTC, date, datetime
from types import SimpleNamespace

import discord

from bot.practice.group import Phase
from bot.ratings import Rating
from bot.storage import attempts as attempts_store
from bot.storage import daily, privacy
from cogs.privacy import PrivacyCog
from tests.discord.daily_helpers import MockThread
from tests.discord.group_helpers import ANSWER, inter, make_world, press, start_group
from tests.discord.helpers import MockDMChannel, MockMember, MockMessage, with_history
from tests.discord.privacy_helpers import erase
from tests.fault.population import _analysis, scan_for

ERIN_NAME = "erin-erased-member"


def forbidden() -> discord.Forbidden:
    return discord.Forbidden(SimpleNamespace(status=403, reason="Forbidden"),
                             {"code": 50001, "message": "Missing Access"})


async def test_erasing_a_member_mid_group_leaves_nothing_of_them_when_the_group_ends(group_cog, settings) -> None:
    w = make_world(3)
    owner, erin, third = w.members
    erin.display_name = erin.global_name = erin.name = ERIN_NAME
    view = await start_group(group_cog, w)
    run = group_cog.runs[w.guild.id]
    await press(view.join_button, inter(w, erin))
    await press(view.join_button, inter(w, third))
    await press(view.begin_button, inter(w, owner))
    s = run.session
    await s.submit_text_answer(owner.id, ANSWER)
    await s.rate(erin.id, 1, Rating(4, 4, 4))
    await s.rate(third.id, 1, Rating(2, 2, 2))
    await s.submit_text_answer(erin.id, ANSWER)  # her answer is stored and being rated
    assert s.phase is Phase.RATING and scan_for(settings.database, (erin.id, ERIN_NAME))
    group_cog.bot.get_user = unittest.mock.Mock(return_value=MockMember(id=erin.id, dm_channel=MockDMChannel()))
    reply = await erase(PrivacyCog(group_cog.bot), erin, w.guild)
    assert "erased" in reply and "you left the round or group" in reply.lower()
    # out of the running group at once: not a member, not listened to, not in its figures
    assert not s.is_member(erin.id) and erin.id not in w.vc.fake.sink.member_ids
    assert erin.id not in {m["user_id"] for m in s.summary()["members"]}
    assert s.phase is Phase.ANSWERING and s.current.answerer_id == third.id  # the group goes on
    # the group's messages that named her (her turn, her feedback, the prompt to rate her) are gone
    naming = [m for m, kw in w.text.sent if ERIN_NAME in str(kw.get("content")) + str(
        kw["embed"].to_dict() if kw.get("embed") else "")]
    assert len(naming) >= 3 and all(m.delete.await_count == 1 for m in naming)
    assert all(m.delete.await_count == 0 for m, _ in w.text.sent if m not in naming)
    ending = inter(w, owner)
    await group_cog.end.callback(group_cog, ending)
    _, kw = await w.text.wait_sent(lambda k: getattr(k.get("embed"), "title", "") == "Group summary")
    assert ERIN_NAME not in str(kw["embed"].to_dict())
    assert scan_for(settings.database, (erin.id, ERIN_NAME)) == []
    assert await privacy.stored_counts(group_cog.bot.services.db, erin.id) == {}


async def test_erasure_removes_parleys_messages_for_the_member_and_names_what_it_could_not(
        group_cog, settings) -> None:
    bot, db = group_cog.bot, group_cog.bot.services.db
    me = bot.user
    w = make_world(2)
    erin, other = w.members
    # she answered daily questions in two threads: one Parley can read, one it can't any more
    readable, locked = MockThread(guild=w.guild), MockThread(guild=w.guild)
    for day, thread in ((1, readable), (2, locked)):
        push_id = await daily.claim_push(db, w.guild.id, w.text.id, date(2026, 11, day), "q",
                                         now=datetime(2026, 11, day, 8, tzinfo=UTC))
        assert push_id is not None
        await daily.attach_posted(db, push_id, 1, thread.id)
    await attempts_store.add_attempt(db, _analysis(settings), user_id=erin.id, user_name=erin.name, mode="daily",
                                     guild_id=w.guild.id)
    her_answer = MockMessage(author=erin)
    their_answer = MockMessage(author=other)

    def reply_to(answer: MockMessage) -> MockMessage:
        ref = discord.MessageReference(message_id=answer.id, channel_id=readable.id)
        ref.resolved = answer
        return MockMessage(author=me, reference=ref)

    feedback_for_her, feedback_for_them = reply_to(her_answer), reply_to(their_answer)
    with_history(readable, [feedback_for_them, feedback_for_her, her_answer])
    locked.history = unittest.mock.Mock(side_effect=forbidden())
    dm_feedback, dm_note, dm_hers = (MockMessage(author=me), MockMessage(author=me), MockMessage(author=erin))
    dm_note.delete.side_effect = forbidden()  # one Discord refuses to delete
    dms = MockDMChannel([dm_feedback, dm_note, dm_hers])
    bot.get_user = unittest.mock.Mock(return_value=MockMember(id=erin.id, dm_channel=dms))
    bot.get_channel = unittest.mock.Mock(side_effect={readable.id: readable, locked.id: locked}.get)

    reply = await erase(PrivacyCog(bot), erin, w.guild)
    feedback_for_her.delete.assert_awaited_once()
    dm_feedback.delete.assert_awaited_once()
    for kept in (feedback_for_them, her_answer, their_answer, dm_hers):  # never anyone else's, never theirs
        kept.delete.assert_not_awaited()
    assert "deleted 2 messages i had posted for you" in reply.lower()
    assert "our direct messages (1 message)" in reply and f"<#{locked.id}>" in reply
    assert "could not remove" in reply
    assert scan_for(settings.database, (erin.id,)) == []


async def test_who_ended_a_group_is_stored_as_an_id_and_rendered_as_a_mention(group_cog, settings) -> None:
    """Issue 13 item 2: `/group end` by a server manager keeps their id, never their display name;
    the summary shows them as a mention (Discord renders the name; nobody is pinged)."""
    from bot.storage.group import GroupStore

    w = make_world(1)
    await start_group(group_cog, w)
    run = group_cog.runs[w.guild.id]
    manager = w.guild.add_member(MockMember(name="mod-with-a-name",
                                            guild_permissions=discord.Permissions(manage_guild=True)))
    await group_cog.end.callback(group_cog, inter(w, manager))
    _, kw = await w.text.wait_sent(lambda k: getattr(k.get("embed"), "title", "") == "Group summary")
    assert f"Ended by <@{manager.id}>" in kw["embed"].description
    rec = await GroupStore(group_cog.bot.services.db).get(run.session.session_id)
    assert rec.summary["ended_by_id"] == manager.id
    assert scan_for(settings.database, ("mod-with-a-name",)) == []
