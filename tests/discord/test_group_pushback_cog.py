"""`/group start pushback:True` through the cog, views and embeds (spec_set Discord mocks, as in
test_peers_cog.py): the challenge is spoken with real TTS and its playback marked for the talk-over
meter, the answerer replies through the same Type answer / Done buttons, the judgement is posted with
the moment quoted, and the group summary carries it."""

from __future__ import annotations

import asyncio

import discord

from bot.discord_io.group_views import AnswerModal, TurnView
from bot.practice.group import Phase
from tests.discord.group_helpers import consent_all, inter, make_world, press

DECIDES = ("I assume a few thousand requests a second. I would go with a single Postgres database here "
           "because it is simpler to operate and the load is small.")
DEFENDS = ("I would still keep the single database, because at our scale of a few thousand writes a second "
           "one primary with a replica is plenty, and it is far cheaper to run.")


async def type_in(view: TurnView, w, member, text: str) -> None:  # type: ignore[no-untyped-def]
    i = await press(view.type_button, inter(w, member))
    modal = i.response.send_modal.await_args.args[0]
    assert isinstance(modal, AnswerModal)
    submit = inter(w, member)
    modal.answer._refresh_state(submit, {"value": text})
    await modal.on_submit(submit)


async def test_group_pushback_through_the_ui(group_cog) -> None:
    w = make_world(2)
    owner, peer = w.members
    await consent_all(group_cog, w)
    start = inter(w, owner)
    await group_cog.start.callback(group_cog, start, None, 1, True)
    run = group_cog.runs[w.guild.id]
    assert run.session.config.pushback is True
    lobby = run.lobby_view
    await press(lobby.join_button, inter(w, peer))
    await press(lobby.begin_button, inter(w, owner))
    _, kw = await w.text.wait_sent(lambda k: isinstance(k.get("view"), TurnView))
    await asyncio.wait_for(run.wait_spoken(1), 60)
    await type_in(kw["view"], w, owner, DECIDES)

    # the challenge: posted with reply buttons, spoken aloud, its playback marked
    assert run.session.phase is Phase.CHALLENGE
    _, kw = await w.text.wait_sent(lambda k: str(k.get("content", "")).startswith("**Pushback for"))
    reply_view: TurnView = kw["view"]
    turn = run.session.current
    assert turn.pushback.challenge in kw["content"]
    spoken = await asyncio.wait_for(run.wait_spoken(2), 60)
    assert turn.pushback.challenge in spoken[1] and spoken[1].startswith(f"{owner.name}, let me push back")
    meter = turn.pushback.meter
    assert meter.started_at is not None and meter.ended_at is not None and meter.ended_at >= meter.started_at
    assert turn.pushback.listener is not None  # the reply is being heard

    wrong = await press(reply_view.type_button, inter(w, peer))
    assert "only during your own turn" in wrong.reply_text()
    await type_in(reply_view, w, owner, DEFENDS)
    _, kw = await w.text.wait_sent(lambda k: "handled the pushback" in getattr(k.get("embed"), "title", "") or "")
    embed: discord.Embed = kw["embed"]
    assert embed.title == f"Turn 1: how {owner.name} handled the pushback"
    assert "You committed: “I would go with a single Postgres" in embed.description
    assert "I challenged: “" in embed.description and "You replied: “I would still keep" in embed.description
    assert embed.footer.text.startswith("Verdict: defended it with a reason")
    assert all(item.disabled for item in reply_view.children)
    assert run.session.phase is Phase.RATING

    ending = inter(w, owner)
    await group_cog.end.callback(group_cog, ending)
    _, kw = await w.text.wait_sent(lambda k: getattr(k.get("embed"), "title", "") == "Group summary")
    fields = {f.name: f.value for f in kw["embed"].fields}
    assert "Pushback, turn 1: defended it with a reason on 'I would go with a single Postgres" in fields[owner.name]
