"""Issue 13 item 5: buttons and modals count toward the per-user limit like slash commands, and a
burst of presses does not re-edit the lobby message once per press.

The presses go through discord.py's own view dispatch (`View._scheduled_task`: the item's checks,
the view's `interaction_check`, then the callback), which is the path a real component takes;
discord.py never runs the command tree's check there.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
from typing import Any

import discord
import pytest

import bot.discord_io
import cogs
from bot.discord_io.guards import CommandGuard
from bot.discord_io.member_views import ParleyModal, ParleyView
from tests.discord.group_helpers import inter, make_world, press, start_group
from tests.discord.helpers import MockMessage, dispatch
from tests.fakes import StepClock

LIMIT = 5


async def test_spamming_be_the_interviewer_is_limited_and_lobby_edits_are_coalesced(group_cog) -> None:
    w = make_world(3)
    owner, peer, third = w.members
    view = await start_group(group_cog, w)
    run = group_cog.runs[w.guild.id]
    for m in (peer, third):
        await press(view.join_button, inter(w, m))
    await run.lobby_settled()
    clock = StepClock()
    group_cog.bot.command_guard = CommandGuard(LIMIT, clock=clock)
    # the lobby message: its first edit is held in flight while the presses arrive
    lobby = MockMessage()
    in_flight, release = asyncio.Event(), asyncio.Event()

    async def edit(**kwargs: Any) -> None:
        if not in_flight.is_set():
            in_flight.set()
            await release.wait()

    lobby.edit.side_effect = edit
    run.lobby_message = lobby

    presses = []
    for n in range(20):
        i = inter(w, peer)
        i.client, i.type = group_cog.bot, discord.InteractionType.component
        presses.append(await dispatch(view, view.interviewer_button, i))
        if n == 0:  # the first press's lobby edit is now on its way (and held there)
            await asyncio.wait_for(in_flight.wait(), 5)
    refused = [i for i in presses if "faster than i can take" in i.reply_text()]
    toggled = [i for i in presses if "interviewer" in i.reply_text() or "back to answering" in i.reply_text()]
    assert len(refused) == 20 - LIMIT and len(toggled) == LIMIT
    assert all(kw.get("ephemeral") for i in refused for _, kw in i.replies())
    assert run.session.interviewer_id == peer.id  # five toggles: on, off, on, off, on
    # someone else is not limited by the peer's burst
    other = inter(w, third)
    other.client, other.type = group_cog.bot, discord.InteractionType.component
    await dispatch(view, view.interviewer_button, other)
    assert "someone is already the interviewer" in other.reply_text()
    # five more requests to refresh the lobby while the first edit was in flight: two edits in all
    release.set()
    await asyncio.wait_for(run.lobby_settled(), 5)
    assert lobby.edit.await_count == 2
    # the window passes: the peer may press again
    clock.t += 61
    again = inter(w, peer)
    again.client, again.type = group_cog.bot, discord.InteractionType.component
    await dispatch(view, view.interviewer_button, again)
    assert "back to answering" in again.reply_text()


async def test_a_modal_submit_counts_toward_the_same_limit(group_cog) -> None:
    from bot.discord_io.group_views import AnswerModal

    w = make_world(1)
    await start_group(group_cog, w)
    run = group_cog.runs[w.guild.id]
    group_cog.bot.command_guard = CommandGuard(1, clock=StepClock())
    first = inter(w, w.owner)
    first.client = group_cog.bot
    assert await AnswerModal(run).interaction_check(first) is True
    typed = "My answer: shard by tenant, cache the hot keys."
    second = inter(w, w.owner)
    second.client, second.type = group_cog.bot, discord.InteractionType.modal_submit
    second.data = {"custom_id": "parley:group:answer-x", "components": [
        {"type": 1, "components": [{"type": 4, "custom_id": "parley:group:answer-text", "value": typed}]}]}
    assert await AnswerModal(run).interaction_check(second) is False
    assert "faster than i can take" in second.reply_text()
    assert typed.lower() in second.reply_text()  # what was typed is handed back, not lost


def _classes_in(package: Any) -> list[type]:
    out: list[type] = []
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if info.name.endswith("voice_receive"):
            continue
        module = importlib.import_module(info.name)
        out += [c for _, c in inspect.getmembers(module, inspect.isclass) if c.__module__ == module.__name__]
    return out


@pytest.mark.parametrize("package", [bot.discord_io, cogs], ids=["discord_io", "cogs"])
def test_every_parley_view_and_modal_is_limited(package: Any) -> None:
    classes = _classes_in(package)
    views = [c for c in classes if issubclass(c, discord.ui.View) and c is not ParleyView]
    modals = [c for c in classes if issubclass(c, discord.ui.Modal) and c is not ParleyModal]
    assert views  # the scan sees them
    why = "derive from bot.discord_io.member_views.ParleyView/ParleyModal, so presses count toward the limit"
    assert [c.__name__ for c in views if not issubclass(c, ParleyView)] == [], why
    assert [c.__name__ for c in modals if not issubclass(c, ParleyModal)] == [], why
