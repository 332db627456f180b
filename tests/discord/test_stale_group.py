"""Stale `/group` buttons: the lobby, turn and rating components have `parley:group:` /
`parley:rating:` custom_ids; a live group view answers its own presses, a press after the group
ended (or a restart) gets "This group has ended", a rating press after its window closed gets
"Rating for this answer has closed", and two groups in two servers never get each other's typed
answers or ratings.

Like tests/discord/test_stale_components.py: a real `ParleyBot` (never connected) whose real
`ConnectionState` parses real INTERACTION_CREATE payloads, with the real `GroupCog`, `GroupSession`,
engine, sqlite and TTS. Only the network peer is fake: the webhook adapter (interaction callbacks
and edits of interaction replies) and the spec'd channel/voice mocks of tests/discord/helpers.py.
(cogs/daily.py and bot/discord_io/daily_scheduler.py post no components, so there is nothing
daily to test here.)
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from discord.webhook.async_ import async_context

from bot.discord_io.group_views import AnswerModal, LobbyView, RateButtonView, RatingForm, ScoreSelect, TurnView
from bot.discord_io.stale_components import (
    PREFIX,
    STALE_GROUP_TEXT,
    STALE_RATING_TEXT,
    area_of,
    parley_id,
)
from bot.practice.group import Phase
from cogs.group import GroupCog
from tests.discord.helpers import next_id
from tests.discord.test_peers_cog import ANSWER, inter, make_world, press, start_group
from tests.discord.test_stale_components import (  # noqa: F401  (fixtures)
    EPHEMERAL,
    FakeDiscord,
    bot,
    component_payload,
    deliver,
)


class FakeDiscordWithEdits(FakeDiscord):
    """Also takes the edits of an interaction's reply (PATCH .../messages/@original)."""

    def __init__(self) -> None:
        super().__init__()
        self.edits: list[dict[str, Any]] = []

    async def request(self, route: Any, session: Any = None, **kwargs: Any) -> Any:
        if not route.path.endswith("/messages/@original"):
            return await super().request(route, session, **kwargs)
        payload = kwargs.get("payload") or {}
        self.edits.append(payload)
        await asyncio.sleep(0)  # the network round trip (synchronises nothing)
        channel_id = str(next_id())
        return {
            "id": str(next_id()), "channel_id": channel_id, "type": 0, "content": payload.get("content", ""),
            "author": {"id": str(next_id()), "username": "Parley", "discriminator": "0", "avatar": None,
                       "bot": True},
            "timestamp": "2026-11-25T08:00:00.000000+00:00", "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
            "embeds": [], "pinned": False, "flags": EPHEMERAL, "components": payload.get("components", []),
        }


@pytest.fixture
def peer():
    fake = FakeDiscordWithEdits()
    token = async_context.set(fake)
    yield fake
    async_context.reset(token)


@pytest.fixture
async def cog(bot):
    c = GroupCog(bot)  # the real bot: its ViewStore routes the presses below
    yield c
    for run in list(c.runs.values()):
        await run.session.end("test over")


def select_payload(custom_id: str, value: str, *, user_id: int) -> dict[str, Any]:
    p = component_payload(custom_id, next_id(), user_id=user_id)
    p["data"] = {"custom_id": custom_id, "component_type": 3, "values": [value]}
    p["message"]["flags"] = EPHEMERAL
    return p


def modal_payload(custom_id: str, value: str, *, user_id: int) -> dict[str, Any]:
    p = component_payload(custom_id, next_id(), user_id=user_id)
    p["type"] = 5
    p.pop("message")
    p["data"] = {"custom_id": custom_id, "components": [
        {"type": 1, "components": [{"type": 4, "custom_id": parley_id("group", "answer-text"), "value": value}]}]}
    return p


async def sent_view(w: Any, cls: type, **match: Any) -> tuple[Any, int]:
    """A view the group posted in its text channel, registered in the real ViewStore under its
    message's id (what `channel.send(view=...)` does against Discord)."""
    msg, kw = await w.text.wait_sent(lambda k: isinstance(k.get("view"), cls)
                                     and all(getattr(k["view"], a) == v for a, v in match.items()))
    return kw["view"], msg.id


async def begun(cog: GroupCog, bot: Any, w: Any) -> tuple[Any, TurnView, int]:
    """A group with every member of `w` joined and the first turn (the owner's) running."""
    lobby = await start_group(cog, w)
    for m in w.members[1:]:
        await press(lobby.join_button, inter(w, m))
    await press(lobby.begin_button, inter(w, w.owner))
    run = cog.runs[w.guild.id]
    turn_view, turn_msg = await sent_view(w, TurnView, turn_number=1)
    bot._connection.store_view(turn_view, turn_msg)
    assert run.session.phase is Phase.ANSWERING and run.session.current.answerer_id == w.owner.id
    return run, turn_view, turn_msg


async def open_answer_box(bot: Any, peer: FakeDiscordWithEdits, turn_msg: int, user_id: int) -> str:
    """Press the turn's Type answer button; the custom_id of the modal Discord was asked to show."""
    await deliver(bot, component_payload(parley_id("group", "type"), turn_msg, user_id=user_id))
    shown = peer.callbacks[-1]
    assert shown["type"] == 9  # MODAL
    return shown["data"]["custom_id"]


# --------------------------------------------------------------------------- the ids


async def test_every_group_component_has_a_parley_id_and_per_form_ids_are_unique(cog) -> None:
    w = make_world(1)
    await start_group(cog, w)
    run = cog.runs[w.guild.id]
    views = [LobbyView(run), TurnView(run, 1), RateButtonView(run, 1)]
    ids = [item.custom_id for v in views for item in v.children]  # type: ignore[attr-defined]
    assert all(i.startswith(PREFIX) for i in ids) and len(set(ids)) == len(ids) == 8
    assert [area_of(i) for i in ids] == ["group"] * 7 + ["rating"]
    # lobby/turn/rate views are posted in a channel and routed by message id: they are persistent-shaped
    assert all(v.is_persistent() for v in views)
    a, b = RatingForm(run, 1, 60), RatingForm(run, 1, 60)
    a_ids = {item.custom_id for item in a.children}  # type: ignore[attr-defined]
    b_ids = {item.custom_id for item in b.children}  # type: ignore[attr-defined]
    assert len(a_ids) == 4 and {area_of(i) for i in a_ids | b_ids} == {"rating"} and not a_ids & b_ids
    m1, m2 = AnswerModal(run), AnswerModal(run)
    assert area_of(m1.custom_id) == "group" and m1.custom_id != m2.custom_id
    assert m1.answer.custom_id.startswith(PREFIX)


# --------------------------------------------------------------------------- live and ended groups


async def test_a_live_lobby_answers_its_own_press_with_no_fallback(cog, bot, peer) -> None:
    w = make_world(1)
    lobby = await start_group(cog, w)
    lobby_msg = next_id()
    bot._connection.store_view(lobby, lobby_msg)
    # someone not in the voice channel presses Join: the lobby itself tells them what to do
    await deliver(bot, component_payload(parley_id("group", "join"), lobby_msg, user_id=next_id()))
    [cb] = peer.callbacks
    assert cb["data"]["content"].startswith(f"Join {w.voice.mention} first")
    assert cb["data"]["flags"] & EPHEMERAL
    assert STALE_GROUP_TEXT not in cb["data"]["content"]


async def test_after_the_group_ended_presses_and_typed_answers_get_the_group_note(cog, bot, peer) -> None:
    w = make_world(2)
    run, _, turn_msg = await begun(cog, bot, w)
    lobby_msg = next_id()
    bot._connection.store_view(run.lobby_view, lobby_msg)
    box = await open_answer_box(bot, peer, turn_msg, w.owner.id)
    assert area_of(box) == "group"

    await run.session.end("ended by the owner")
    assert w.guild.id not in cog.runs
    peer.callbacks.clear()
    await deliver(bot, component_payload(parley_id("group", "join"), lobby_msg, user_id=w.members[1].id))
    await deliver(bot, component_payload(parley_id("group", "done"), turn_msg, user_id=w.owner.id))
    await deliver(bot, component_payload(parley_id("group", "card"), next_id()))  # after a restart
    typed = "I would shard the sessions table by user id."
    await deliver(bot, modal_payload(box, typed, user_id=w.owner.id))
    assert len(peer.callbacks) == 4
    for cb in peer.callbacks:
        assert cb["type"] == 4 and cb["data"]["content"] == STALE_GROUP_TEXT and cb["data"]["flags"] & EPHEMERAL
    assert typed in peer.callbacks[-1]["data"]["embeds"][0]["description"]  # the typed answer is handed back
    assert run.session.turns[0].text is None  # the late answer was not slipped into the ended group


async def test_a_rating_press_after_its_window_closed_gets_the_rating_note(cog, bot, peer) -> None:
    w = make_world(3)
    owner, p1, p2 = w.members
    run, _, turn_msg = await begun(cog, bot, w)
    box = await open_answer_box(bot, peer, turn_msg, owner.id)
    await deliver(bot, modal_payload(box, ANSWER, user_id=owner.id))  # a live box takes the answer
    assert run.session.turns[0].text == ANSWER and run.session.phase is Phase.RATING
    rate_view, rate_msg = await sent_view(w, RateButtonView, turn_number=1)
    bot._connection.store_view(rate_view, rate_msg)

    # both raters open their form; each is its own ephemeral message
    peer.callbacks.clear()
    for rater in (p1, p2):
        await deliver(bot, component_payload(parley_id("rating", "open"), rate_msg, user_id=rater.id))
    forms = run.rating_forms[1]
    assert len(forms) == 2 and [cb["type"] for cb in peer.callbacks] == [4, 4]
    form1, form2 = forms
    selects1 = [c for c in form1.children if isinstance(c, ScoreSelect)]
    # a pick on p1's form reaches p1's form only (the fake peer returned no message id, so both
    # forms sit in the store under no message: their ids alone tell them apart)
    await deliver(bot, select_payload(selects1[0].custom_id, "4", user_id=p1.id))
    assert form1.picked == {selects1[0].criterion: 4} and form2.picked == {}
    assert peer.callbacks[-1]["type"] == 6  # deferred by the form itself, no fallback

    turn = run.session.turns[0]
    await run.session.poll(now=turn.ratings.closes_at + 1)  # the window's time is up
    assert turn.ratings.closed and form1.is_finished() and form2.is_finished()
    # each rater's form was greyed out in place, saying why
    assert len(peer.edits) == 2 and all(e["content"] == STALE_RATING_TEXT for e in peer.edits)
    assert all(c["disabled"] for e in peer.edits for row in e["components"] for c in row["components"])

    peer.callbacks.clear()
    await deliver(bot, select_payload(selects1[1].custom_id, "5", user_id=p1.id))  # a late pick
    await deliver(bot, component_payload(form2.submit_button.custom_id, next_id(), user_id=p2.id))
    await deliver(bot, component_payload(parley_id("rating", "open"), rate_msg, user_id=p2.id))
    assert len(peer.callbacks) == 3
    for cb in peer.callbacks:
        assert cb["type"] == 4 and cb["data"]["content"] == STALE_RATING_TEXT and cb["data"]["flags"] & EPHEMERAL
    assert form1.picked == {selects1[0].criterion: 4} and turn.rating_result.count == 0


async def test_two_groups_in_two_servers_get_only_their_own_typed_answers(cog, bot, peer) -> None:
    wa, wb = make_world(2), make_world(2)
    run_a, _, turn_a = await begun(cog, bot, wa)
    run_b, _, turn_b = await begun(cog, bot, wb)
    box_a = await open_answer_box(bot, peer, turn_a, wa.owner.id)
    box_b = await open_answer_box(bot, peer, turn_b, wb.owner.id)
    assert box_a != box_b
    await deliver(bot, modal_payload(box_b, ANSWER, user_id=wb.owner.id))
    assert run_b.session.turns[0].text == ANSWER
    assert run_a.session.turns[0].text is None and run_a.session.phase is Phase.ANSWERING
    other = "Group A's own answer: a queue in front of the writer."
    await deliver(bot, modal_payload(box_a, other, user_id=wa.owner.id))
    assert run_a.session.turns[0].text == other and run_b.session.turns[0].text == ANSWER


async def test_the_last_rating_closes_the_window_without_overwriting_the_thanks(cog, bot, peer) -> None:
    w = make_world(2)
    owner, rater = w.members
    run, _, turn_msg = await begun(cog, bot, w)
    box = await open_answer_box(bot, peer, turn_msg, owner.id)
    await deliver(bot, modal_payload(box, ANSWER, user_id=owner.id))
    rate_view, rate_msg = await sent_view(w, RateButtonView, turn_number=1)
    bot._connection.store_view(rate_view, rate_msg)
    await deliver(bot, component_payload(parley_id("rating", "open"), rate_msg, user_id=rater.id))
    [form] = run.rating_forms[1]
    window = run.session.turns[0].ratings
    # the view's own timeout is a safety net behind the window, which the session closes itself
    assert form.timeout is not None and form.timeout > window.closes_at - run.session.clock.now()
    for select, value in zip([c for c in form.children if isinstance(c, ScoreSelect)], ("3", "4", "5")):
        await deliver(bot, select_payload(select.custom_id, value, user_id=rater.id))
    await deliver(bot, component_payload(form.submit_button.custom_id, next_id(), user_id=rater.id))
    assert window.closed and run.session.turns[0].rating_result.count == 1  # the only rater closed it
    assert [e.get("content") for e in peer.edits] == [
        "Thanks! Your rating is anonymous: the group only sees averages."]
    assert form.is_finished() and not run.rating_forms.get(1)
    peer.callbacks.clear()
    await deliver(bot, component_payload(form.submit_button.custom_id, next_id(), user_id=rater.id))
    [cb] = peer.callbacks
    assert cb["data"]["content"] == STALE_RATING_TEXT
