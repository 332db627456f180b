"""Stale Parley buttons: every component has a `parley:` custom_id, and a press that no live view
takes (the round ended, the bot restarted) gets a private answer instead of "This interaction
failed", while presses that a view handles are left to it.

The dispatch tests use a real `ParleyBot` (never connected) whose real discord.py
`ConnectionState` parses real INTERACTION_CREATE payloads; only the network peer is fake: the
webhook adapter that would POST the interaction callback to Discord records it instead.
"""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest
from discord.webhook.async_ import async_context

from bot.discord_io.consent_view import ConsentPrompt
from bot.discord_io.stale_components import (
    PREFIX,
    ROUTED_KEY,
    STALE_GENERIC_TEXT,
    STALE_ROUND_TEXT,
    answer_stale_component,
    area_of,
    parley_id,
)
from bot.discord_io.views import ConsentView, RoundControls, TextAnswerModal
from cogs.privacy import DeleteConfirmView
from tests.discord.helpers import MockInteraction, MockMessage, next_id
from tests.discord.stale_helpers import EPHEMERAL, USER_ID, FakeDiscord, component_payload, deliver


class Target:
    """What RoundControls drive (a round); records the presses."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def repeat(self) -> None: self.calls.append("repeat")
    def hint(self) -> None: self.calls.append("hint")
    def skip(self) -> None: self.calls.append("skip")
    def done(self) -> None: self.calls.append("done")
    def end(self) -> None: self.calls.append("end")


async def _type_answer(interaction: discord.Interaction) -> None:  # pragma: no cover - never pressed here
    pass


# --------------------------------------------------------------------------- the ids


async def test_every_parley_component_has_a_prefixed_custom_id() -> None:
    views: list[discord.ui.View] = [
        RoundControls(1, Target(), on_type_answer=_type_answer), ConsentView(1), ConsentPrompt(1),
        DeleteConfirmView(None, 1),  # type: ignore[arg-type]  # the cog is not used by the buttons
    ]
    ids = [item.custom_id for v in views for item in v.children]  # type: ignore[attr-defined]
    assert len(ids) == 12 and all(i.startswith(PREFIX) for i in ids), ids
    assert len(set(ids)) == len(ids)
    assert [area_of(i) for i in ids] == ["mock"] * 8 + ["consent"] * 2 + ["privacy"] * 2
    # modals are routed by their own id alone: each open answer box needs a distinct one
    a, b = TextAnswerModal(lambda i, t: asyncio.sleep(0)), TextAnswerModal(lambda i, t: asyncio.sleep(0))
    assert a.custom_id.startswith(PREFIX + "mock:") and a.custom_id != b.custom_id
    assert a.answer.custom_id.startswith(PREFIX)
    with pytest.raises(ValueError):
        parley_id("mock", "x" * 100)


# --------------------------------------------------------------------------- with spec'd mocks


def press(custom_id: str, *, routed: bool | None, kind: discord.InteractionType = discord.InteractionType.component,
          data: dict[str, Any] | None = None) -> MockInteraction:
    inter = MockInteraction(type=kind, data=data or {"custom_id": custom_id, "component_type": 2},
                            message=MockMessage())
    if routed is not None:
        inter.extras[ROUTED_KEY] = routed
    return inter


async def test_unhandled_parley_press_gets_a_private_round_ended_note() -> None:
    inter = press(parley_id("mock", "skip"), routed=False)
    assert await answer_stale_component(inter)
    inter.response.send_message.assert_awaited_once_with(STALE_ROUND_TEXT, ephemeral=True)


@pytest.mark.parametrize("custom_id, routed, done", [
    (parley_id("mock", "skip"), True, False),     # a live view takes it
    (parley_id("mock", "skip"), None, False),     # not noted at dispatch: leave it alone
    (parley_id("mock", "skip"), False, True),     # already answered
    ("peers:join", False, False),                 # not ours
    ("5f0c4d1e9a8b7c6d5e4f3a2b1c0d9e8f", False, False),
])
async def test_handled_foreign_or_answered_interactions_are_left_alone(custom_id, routed, done) -> None:
    inter = press(custom_id, routed=routed)
    inter.response.__dict__["_done"] = done
    assert not await answer_stale_component(inter)
    inter.response.send_message.assert_not_awaited()


async def test_other_areas_get_their_own_wording_and_an_expired_answer_box_hands_the_text_back() -> None:
    privacy = press(parley_id("privacy", "erase"), routed=False)
    await answer_stale_component(privacy)
    assert "nothing was deleted" in privacy.response.send_message.await_args.args[0]
    consent = press(parley_id("consent", "accept"), routed=False)
    await answer_stale_component(consent)
    assert consent.response.send_message.await_args.args[0] == STALE_GENERIC_TEXT

    typed = "We shard by tenant id and keep a <@123456789012345678> hot cache."
    submit = press(parley_id("mock", "answer-abc"), routed=False, kind=discord.InteractionType.modal_submit,
                   data={"custom_id": parley_id("mock", "answer-abc"), "components": [
                       {"type": 1, "components": [{"type": 4, "custom_id": parley_id("mock", "answer-text"),
                                                   "value": typed}]}]})
    assert await answer_stale_component(submit)
    call = submit.response.send_message.await_args
    assert call.args[0] == STALE_ROUND_TEXT and call.kwargs["ephemeral"]
    shown = call.kwargs["embed"].description
    assert "shard by tenant id" in shown and "<@123456789012345678>" not in shown  # no ping echoed


# --------------------------------------------------------------------------- real dispatch


@pytest.fixture
def discord_peer():
    fake = FakeDiscord()
    token = async_context.set(fake)
    yield fake
    async_context.reset(token)


def modal_payload(custom_id: str, value: str) -> dict[str, Any]:
    p = component_payload(custom_id, next_id())
    p["type"] = 5
    p.pop("message")
    p["data"] = {"custom_id": custom_id, "components": [
        {"type": 1, "components": [{"type": 4, "custom_id": parley_id("mock", "answer-text"), "value": value}]}]}
    return p


async def test_a_live_view_takes_its_press_and_no_fallback_is_sent(dispatch_bot, discord_peer) -> None:
    target, message_id = Target(), next_id()
    view = RoundControls(USER_ID, target)
    dispatch_bot._connection.store_view(view, message_id)   # what channel.send(view=...) does
    await deliver(dispatch_bot, component_payload(parley_id("mock", "skip"), message_id))
    assert target.calls == ["skip"]
    assert [c["data"]["content"] for c in discord_peer.callbacks] == [
        "Skipping. Anything you already said is still analysed."]


async def test_after_the_round_ended_or_a_restart_a_press_gets_the_round_ended_note(dispatch_bot, discord_peer) -> None:
    target, message_id = Target(), next_id()
    view = RoundControls(USER_ID, target)
    dispatch_bot._connection.store_view(view, message_id)
    await view.disable()            # the round ended: the view is stopped
    await deliver(dispatch_bot, component_payload(parley_id("mock", "done"), message_id))
    # after a restart nothing at all is registered for the message
    await deliver(dispatch_bot, component_payload(parley_id("mock", "end"), next_id()))
    assert target.calls == []
    assert len(discord_peer.callbacks) == 2
    for cb in discord_peer.callbacks:
        assert cb["type"] == 4 and cb["data"]["content"] == STALE_ROUND_TEXT
        assert cb["data"]["flags"] & EPHEMERAL


async def test_a_view_that_stops_itself_before_answering_is_not_answered_twice(dispatch_bot, discord_peer) -> None:
    """ConsentPrompt stops its view before its first await: the routing is decided at dispatch,
    so the fallback does not mistake the press for a stale one."""
    message_id = next_id()
    view = ConsentPrompt(USER_ID)
    dispatch_bot._connection.store_view(view, message_id)
    await deliver(dispatch_bot, component_payload(parley_id("consent", "accept"), message_id))
    assert await asyncio.wait_for(view.result(), 5) is True
    assert [c["type"] for c in discord_peer.callbacks] == [7]  # only the view's own message edit


async def test_foreign_components_and_live_modals_are_left_to_discord_py(dispatch_bot, discord_peer) -> None:
    await deliver(dispatch_bot, component_payload("someone-elses-button", next_id()))
    got: list[str] = []

    async def on_submit(interaction: discord.Interaction, text: str) -> None:
        got.append(text)
        await interaction.response.send_message("thanks", ephemeral=True)

    modal = TextAnswerModal(on_submit)
    dispatch_bot._connection.store_view(modal)
    await deliver(dispatch_bot, modal_payload(modal.custom_id, "A typed answer."))
    assert got == ["A typed answer."]
    assert [c["data"]["content"] for c in discord_peer.callbacks] == ["thanks"]


async def test_an_expired_answer_box_is_answered_and_the_text_handed_back(dispatch_bot, discord_peer) -> None:
    await deliver(dispatch_bot, modal_payload(parley_id("mock", "answer-0123456789abcdef"), "My answer, kept."))
    [cb] = discord_peer.callbacks
    assert cb["data"]["content"] == STALE_ROUND_TEXT and cb["data"]["flags"] & EPHEMERAL
    assert "My answer, kept." in cb["data"]["embeds"][0]["description"]


async def test_presses_count_toward_the_per_user_limit_like_commands(dispatch_bot, discord_peer) -> None:
    """Issue 13 item 5, through the real dispatch: discord.py never runs the command tree's check
    for a component, yet a burst of presses on a live view and on stale buttons is cut at the
    same per-user limit, answered privately, and the view's callback does not run for the refused."""
    clock = [1000.0]
    dispatch_bot.command_guard.limiter.clock = lambda: clock[0]
    limit = dispatch_bot.command_guard.limiter.limit
    target, message_id = Target(), next_id()
    view = RoundControls(USER_ID, target)
    dispatch_bot._connection.store_view(view, message_id)
    for _ in range(limit + 5):
        await deliver(dispatch_bot, component_payload(parley_id("mock", "repeat"), message_id))
    assert target.calls == ["repeat"] * limit
    refused = [c for c in discord_peer.callbacks if "faster than i can take" in c["data"]["content"].lower()]
    assert len(refused) == 5 and all(c["data"]["flags"] & EPHEMERAL for c in refused)
    # a stale button counts too (no "round ended" note while over the limit)
    await deliver(dispatch_bot, component_payload(parley_id("mock", "end"), next_id()))
    assert "faster than i can take" in discord_peer.callbacks[-1]["data"]["content"].lower()
    # another member is not held up by the burst; a minute later the first may press again
    await deliver(dispatch_bot, component_payload(parley_id("mock", "end"), next_id(), user_id=USER_ID + 1))
    assert discord_peer.callbacks[-1]["data"]["content"] == STALE_ROUND_TEXT
    clock[0] += 61
    await deliver(dispatch_bot, component_payload(parley_id("mock", "repeat"), message_id))
    assert target.calls == ["repeat"] * (limit + 1)
