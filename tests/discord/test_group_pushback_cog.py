"""`/group start pushback:True` through the cog, views and embeds (spec_set Discord mocks, as in
test_peers_cog.py): the challenge is spoken with real TTS and its playback marked for the talk-over
meter, the answerer replies through the same Type answer / Done buttons, the judgement is posted with
the moment quoted, and the group summary carries it. With a member in the interviewer's seat the challenge
goes to them alone (the Challenge card) and the bot does not say it, unless they leave the seat first."""

from __future__ import annotations

import asyncio

import discord

from bot.discord_io.group_views import AnswerModal, TurnView
from bot.practice.group import Phase, TimeWarning
from tests.discord.group_helpers import consent_all, inter, make_world, only_ephemeral, press

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


def channel_text(w) -> str:  # type: ignore[no-untyped-def]
    """Everything posted in the group's text channel: contents and embeds."""
    parts: list[str] = []
    for _, kw in w.text.sent:
        parts.append(str(kw.get("content") or ""))
        for e in [kw["embed"]] if kw.get("embed") is not None else []:
            parts += [e.title or "", e.description or ""] + [f"{f.name} {f.value}" for f in e.fields]
    return "\n".join(parts)


def button(view: discord.ui.View, label: str) -> discord.ui.Button:
    return next(c for c in view.children if isinstance(c, discord.ui.Button) and c.label == label)


async def interviewed_pushback_group(group_cog, w):  # type: ignore[no-untyped-def]
    """A pushback group of three where the second member is the interviewer: the owner answers first,
    committing to a decision. Returns the run and the pushback message's view."""
    owner, interviewer, other = w.members
    await consent_all(group_cog, w)
    await group_cog.start.callback(group_cog, inter(w, owner), None, 1, True)
    run = group_cog.runs[w.guild.id]
    lobby = run.lobby_view
    for m in (interviewer, other):
        await press(lobby.join_button, inter(w, m))
    took = await press(lobby.interviewer_button, inter(w, interviewer))
    assert "press **challenge card** on the pushback message" in took.reply_text().lower()
    await press(lobby.begin_button, inter(w, owner))
    _, kw = await w.text.wait_sent(lambda k: isinstance(k.get("view"), TurnView))
    assert (await asyncio.wait_for(run.wait_spoken(1), 60))[0].endswith("will ask you the question.")
    await type_in(kw["view"], w, owner, DECIDES)
    assert run.session.phase is Phase.CHALLENGE
    _, kw = await w.text.wait_sent(lambda k: str(k.get("content", "")).startswith("**Pushback for"))
    return run, kw


async def test_a_human_interviewer_gets_the_challenge_privately_and_the_bot_does_not_say_it(group_cog) -> None:
    w = make_world(3)
    owner, interviewer, other = w.members
    run, kw = await interviewed_pushback_group(group_cog, w)
    challenge = run.session.current.pushback.challenge
    assert f"{interviewer.name} has a challenge about your decision" in kw["content"]
    assert challenge not in channel_text(w)  # nobody in the channel reads it

    # nothing was queued for speech before a marker line: the bot does not say the challenge
    await run.time_warning(TimeWarning(1, owner.id, 0.0, "marker"))
    assert await asyncio.wait_for(run.wait_spoken(2), 60) == [run.spoken[0], "marker"]

    card = button(kw["view"], "Challenge card")
    for someone in (owner, other):  # the answerer and the other member are refused, privately
        refused = await press(card, inter(w, someone))
        assert only_ephemeral(refused) and "only this turn's interviewer" in refused.reply_text().lower()
        assert challenge not in refused.reply_text()
    shown = await press(card, inter(w, interviewer))
    assert only_ephemeral(shown)
    embed: discord.Embed = shown.response.send_message.await_args.kwargs["embed"]
    assert embed.description == challenge and embed.footer.text == "Only you can see this card."
    fields = {f.name: f.value for f in embed.fields}
    assert fields["They committed to"].startswith("“I would go with a single Postgres")
    assert "in your own words" in fields["How to ask it"]

    # the answerer replies to the interviewer; the reply is judged as usual
    await type_in(kw["view"], w, owner, DEFENDS)
    _, kw = await w.text.wait_sent(lambda k: "handled the pushback" in (getattr(k.get("embed"), "title", "") or ""))
    assert f"The interviewer challenged: “{challenge}”" in kw["embed"].description
    assert run.session.phase is Phase.RATING
    assert run.spoken == [run.spoken[0], "marker"]


async def test_the_bot_asks_the_challenge_when_the_interviewer_leaves_the_seat(group_cog) -> None:
    w = make_world(3)
    owner, interviewer, _ = w.members
    run, kw = await interviewed_pushback_group(group_cog, w)
    card_view = kw["view"]
    challenge = run.session.current.pushback.challenge
    await press(run.lobby_view.interviewer_button, inter(w, interviewer))  # back to answering
    _, kw = await w.text.wait_sent(lambda k: str(k.get("content", "")).startswith("The interviewer has left"))
    assert challenge in kw["content"]
    spoken = await asyncio.wait_for(run.wait_spoken(2), 60)
    assert spoken[1] == f"{owner.name}, let me push back on that. {challenge}"
    assert all(item.disabled for item in card_view.children)  # the card's buttons are off
    late = await press(button(card_view, "Challenge card"), inter(w, interviewer))
    assert only_ephemeral(late) and challenge not in late.reply_text()
