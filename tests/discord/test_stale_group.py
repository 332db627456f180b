"""Stale `/group` buttons: the lobby, turn and rating components have `parley:group:` /
`parley:rating:` custom_ids; a live group view answers its own presses, a press after the group
ended (or a restart) gets "This group has ended", a rating press or rating modal submitted after
its window closed gets "Rating for this answer has closed", and two groups in two servers never
get each other's typed answers or ratings.

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

from bot.discord_io.group_views import AnswerModal, LobbyView, RateButtonView, RatingModal, TurnView
from bot.discord_io.stale_components import (
    PREFIX,
    STALE_GROUP_TEXT,
    STALE_RATING_TEXT,
    area_of,
    parley_id,
)
from bot.practice.group import Phase
from cogs.group import GroupCog
from tests.discord.group_helpers import ANSWER, inter, make_world, press, start_group
from tests.discord.helpers import next_id
from tests.discord.stale_helpers import EPHEMERAL, FakeDiscord, component_payload, deliver


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
async def cog(dispatch_bot):
    c = GroupCog(dispatch_bot)  # the real bot: its ViewStore routes the presses below
    yield c
    for run in list(c.runs.values()):
        await run.session.end("test over")


def modal_payload(custom_id: str, value: str, *, user_id: int) -> dict[str, Any]:
    p = component_payload(custom_id, next_id(), user_id=user_id)
    p["type"] = 5
    p.pop("message")
    p["data"] = {"custom_id": custom_id, "components": [
        {"type": 1, "components": [{"type": 4, "custom_id": parley_id("group", "answer-text"), "value": value}]}]}
    return p


def rating_payload(custom_id: str, scores: dict[str, str], *, user_id: int) -> dict[str, Any]:
    """A rating modal submitted, as Discord sends it: each label (type 18) wrapping its string
    select (type 3) with the value picked; `scores` maps a select's custom_id to its value."""
    p = component_payload(custom_id, next_id(), user_id=user_id)
    p["type"] = 5
    p.pop("message")
    p["data"] = {"custom_id": custom_id, "components": [
        {"type": 18, "id": n, "component": {"type": 3, "id": n + 1, "custom_id": cid, "values": [v]}}
        for n, (cid, v) in enumerate(scores.items(), start=1)]}
    return p


async def open_rating(bot: Any, peer: FakeDiscordWithEdits, rate_msg: int, user_id: int) -> dict[str, Any]:
    """Press Rate this answer; the modal Discord was asked to show (the callback's data)."""
    await deliver(bot, component_payload(parley_id("rating", "open"), rate_msg, user_id=user_id))
    shown = peer.callbacks[-1]
    assert shown["type"] == 9  # MODAL
    return shown["data"]


def scores_of(modal: dict[str, Any], values: tuple[str, ...]) -> dict[str, str]:
    """The modal's select custom_ids (inside its labels) mapped to `values`, in order."""
    ids = [c["component"]["custom_id"] for c in modal["components"] if c["type"] == 18]
    return dict(zip(ids, values, strict=True))


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
    # a rating modal is routed by its own id alone: each is unique; its selects are found inside it
    a, b = RatingModal(run, 1, "ada", 60), RatingModal(run, 1, "ada", 60)
    assert {area_of(a.custom_id), area_of(b.custom_id)} == {"rating"} and a.custom_id != b.custom_id
    select_ids = [s.custom_id for s in a.scores.values()]
    assert len(set(select_ids)) == 3 and {area_of(i) for i in select_ids} == {"rating"}
    m1, m2 = AnswerModal(run), AnswerModal(run)
    assert area_of(m1.custom_id) == "group" and m1.custom_id != m2.custom_id
    assert m1.answer.custom_id.startswith(PREFIX)


# --------------------------------------------------------------------------- live and ended groups


async def test_a_live_lobby_answers_its_own_press_with_no_fallback(cog, dispatch_bot, peer) -> None:
    w = make_world(1)
    lobby = await start_group(cog, w)
    lobby_msg = next_id()
    dispatch_bot._connection.store_view(lobby, lobby_msg)
    # someone not in the voice channel presses Join: the lobby itself tells them what to do
    await deliver(dispatch_bot, component_payload(parley_id("group", "join"), lobby_msg, user_id=next_id()))
    [cb] = peer.callbacks
    assert cb["data"]["content"].startswith(f"Join {w.voice.mention} first")
    assert cb["data"]["flags"] & EPHEMERAL
    assert STALE_GROUP_TEXT not in cb["data"]["content"]


async def test_after_the_group_ended_presses_and_typed_answers_get_the_group_note(cog, dispatch_bot, peer) -> None:
    w = make_world(2)
    run, _, turn_msg = await begun(cog, dispatch_bot, w)
    lobby_msg = next_id()
    dispatch_bot._connection.store_view(run.lobby_view, lobby_msg)
    box = await open_answer_box(dispatch_bot, peer, turn_msg, w.owner.id)
    assert area_of(box) == "group"

    await run.session.end("ended by the owner")
    assert w.guild.id not in cog.runs
    peer.callbacks.clear()
    await deliver(dispatch_bot, component_payload(parley_id("group", "join"), lobby_msg, user_id=w.members[1].id))
    await deliver(dispatch_bot, component_payload(parley_id("group", "done"), turn_msg, user_id=w.owner.id))
    await deliver(dispatch_bot, component_payload(parley_id("group", "card"), next_id()))  # after a restart
    typed = "I would shard the sessions table by user id."
    await deliver(dispatch_bot, modal_payload(box, typed, user_id=w.owner.id))
    assert len(peer.callbacks) == 4
    for cb in peer.callbacks:
        assert cb["type"] == 4 and cb["data"]["content"] == STALE_GROUP_TEXT and cb["data"]["flags"] & EPHEMERAL
    assert typed in peer.callbacks[-1]["data"]["embeds"][0]["description"]  # the typed answer is handed back
    assert run.session.turns[0].text is None  # the late answer was not slipped into the ended group


async def test_a_rating_press_after_its_window_closed_gets_the_rating_note(cog, dispatch_bot, peer) -> None:
    w = make_world(3)
    owner, p1, p2 = w.members
    run, _, turn_msg = await begun(cog, dispatch_bot, w)
    box = await open_answer_box(dispatch_bot, peer, turn_msg, owner.id)
    await deliver(dispatch_bot, modal_payload(box, ANSWER, user_id=owner.id))  # a live box takes the answer
    assert run.session.turns[0].text == ANSWER and run.session.phase is Phase.RATING
    rate_view, rate_msg = await sent_view(w, RateButtonView, turn_number=1)
    dispatch_bot._connection.store_view(rate_view, rate_msg)

    # both raters open their modal; each has its own id, so a submit reaches its own modal only
    peer.callbacks.clear()
    modal1 = await open_rating(dispatch_bot, peer, rate_msg, p1.id)
    modal2 = await open_rating(dispatch_bot, peer, rate_msg, p2.id)
    assert modal1["custom_id"] != modal2["custom_id"]
    assert [c["label"] for c in modal1["components"]] == ["Structure", "Clarity", "Depth"]
    live1, live2 = run.rating_modals[1]
    await deliver(dispatch_bot, rating_payload(modal1["custom_id"], scores_of(modal1, ("4", "4", "4")), user_id=p1.id))
    turn = run.session.turns[0]
    assert live1.is_finished() and not live2.is_finished() and turn.ratings.pending == 1
    assert STALE_RATING_TEXT not in [cb["data"].get("content") for cb in peer.callbacks]

    await run.session.poll(now=turn.ratings.closes_at + 1)  # the window's time is up
    assert turn.ratings.closed and live2.is_finished() and not run.rating_modals.get(1)

    # p2 submits the modal still on their screen, and presses the button again: the rating note
    peer.callbacks.clear()
    await deliver(dispatch_bot, rating_payload(modal2["custom_id"], scores_of(modal2, ("1", "1", "1")), user_id=p2.id))
    await deliver(dispatch_bot, component_payload(parley_id("rating", "open"), rate_msg, user_id=p2.id))
    assert len(peer.callbacks) == 2
    for cb in peer.callbacks:
        assert cb["type"] == 4 and cb["data"]["content"] == STALE_RATING_TEXT and cb["data"]["flags"] & EPHEMERAL
        assert "embeds" not in cb["data"] or not cb["data"]["embeds"]  # nothing typed to hand back
    assert turn.rating_result.count == 1 and turn.rating_result.mean("structure") == 4.0


async def test_two_groups_in_two_servers_get_only_their_own_typed_answers(cog, dispatch_bot, peer) -> None:
    wa, wb = make_world(2), make_world(2)
    run_a, _, turn_a = await begun(cog, dispatch_bot, wa)
    run_b, _, turn_b = await begun(cog, dispatch_bot, wb)
    box_a = await open_answer_box(dispatch_bot, peer, turn_a, wa.owner.id)
    box_b = await open_answer_box(dispatch_bot, peer, turn_b, wb.owner.id)
    assert box_a != box_b
    await deliver(dispatch_bot, modal_payload(box_b, ANSWER, user_id=wb.owner.id))
    assert run_b.session.turns[0].text == ANSWER
    assert run_a.session.turns[0].text is None and run_a.session.phase is Phase.ANSWERING
    other = "Group A's own answer: a queue in front of the writer."
    await deliver(dispatch_bot, modal_payload(box_a, other, user_id=wa.owner.id))
    assert run_a.session.turns[0].text == other and run_b.session.turns[0].text == ANSWER


async def test_the_last_rating_closes_the_window_without_overwriting_the_thanks(cog, dispatch_bot, peer) -> None:
    w = make_world(2)
    owner, rater = w.members
    run, _, turn_msg = await begun(cog, dispatch_bot, w)
    box = await open_answer_box(dispatch_bot, peer, turn_msg, owner.id)
    await deliver(dispatch_bot, modal_payload(box, ANSWER, user_id=owner.id))
    rate_view, rate_msg = await sent_view(w, RateButtonView, turn_number=1)
    dispatch_bot._connection.store_view(rate_view, rate_msg)
    modal = await open_rating(dispatch_bot, peer, rate_msg, rater.id)
    [live] = run.rating_modals[1]
    window = run.session.turns[0].ratings
    # the modal's own timeout is a safety net behind the window, which the session closes itself
    assert live.timeout is not None and live.timeout > window.closes_at - run.session.clock.now()
    peer.callbacks.clear()
    await deliver(dispatch_bot, rating_payload(modal["custom_id"], scores_of(modal, ("3", "4", "5")), user_id=rater.id))
    assert window.closed and run.session.turns[0].rating_result.count == 1  # the only rater closed it
    result = run.session.turns[0].rating_result
    assert (result.mean("structure"), result.mean("clarity"), result.mean("depth")) == (3.0, 4.0, 5.0)
    # acknowledged privately at once ("thinking"), then the private reply says thanks: nothing
    # (the window closing on this very rating) overwrote it
    assert [cb["type"] for cb in peer.callbacks] == [5] and peer.callbacks[0]["data"]["flags"] & EPHEMERAL
    assert [e.get("content") for e in peer.edits] == [
        "Thanks! Your rating is anonymous: the group only sees averages."]
    assert live.is_finished() and not run.rating_modals.get(1)
    peer.callbacks.clear()
    await deliver(dispatch_bot, rating_payload(modal["custom_id"], scores_of(modal, ("1", "1", "1")), user_id=rater.id))
    [cb] = peer.callbacks
    assert cb["data"]["content"] == STALE_RATING_TEXT
    assert run.session.turns[0].rating_result.count == 1 and result.mean("structure") == 3.0
