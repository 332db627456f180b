"""/privacy and the consent prompt, driven through spec_set Discord mocks over a real database."""

from __future__ import annotations

import asyncio
import json
import types
import unittest.mock
from datetime import UTC
from typing import Any

import discord
import numpy as np
import pytest

from bot.discord_io.client import ParleyBot
from bot.discord_io.consent_view import ConsentPrompt, ensure_consent
from bot.practice.audio_retention import AudioRetention
from bot.storage import privacy
from cogs.privacy import DeleteConfirmView, PrivacyCog, setup
from tests.discord.helpers import MockBot, MockDMChannel, MockGuild, MockInteraction, MockMember
from tests.fault.population import ADA, BOB, BOB_NAME, GUILD, populate, rows_of, scan_for


@pytest.fixture
async def env(settings, db):
    services = types.SimpleNamespace(settings=settings, db=db)
    real = ParleyBot(services, extensions=())
    bot = MockBot.of(real, services=services, settings=settings, rounds=real.rounds,
                     user=MockMember(name="Parley", bot=True))
    # nobody here has direct messages from Parley: the erasure's message search finds none
    bot.get_user = unittest.mock.Mock(side_effect=lambda uid: MockMember(id=uid, dm_channel=MockDMChannel()))
    guild = MockGuild(id=GUILD)
    ada = guild.add_member(MockMember(id=ADA, name="ada"))
    bob = guild.add_member(MockMember(id=BOB, name=BOB_NAME))
    yield types.SimpleNamespace(cog=PrivacyCog(bot), bot=bot, guild=guild, ada=ada, bob=bob, db=db,
                                settings=settings)
    await real.close()


def _kwargs(mock: Any) -> dict[str, Any]:
    return mock.call_args.kwargs


def _signal_when_sent(inter: MockInteraction) -> asyncio.Event:
    """An event set once the interaction got its first response (no polling, no sleeps)."""
    sent = asyncio.Event()
    original = inter.response.send_message.side_effect

    async def send_message(*args: Any, **kwargs: Any) -> None:
        await original(*args, **kwargs)
        sent.set()

    inter.response.send_message.side_effect = send_message
    return sent


# --------------------------------------------------------------------------- the cog as Discord sees it


async def test_the_privacy_group_registers_on_a_real_tree(settings, db):
    bot = ParleyBot(types.SimpleNamespace(settings=settings, db=db), extensions=())
    await setup(bot)
    try:
        group = bot.tree.get_command("privacy")
        assert isinstance(group, discord.app_commands.Group)
        assert sorted(c.name for c in group.commands) == ["audio", "consent", "delete", "export", "show"]
        audio = group.get_command("audio")
        assert [c.value for c in audio.parameters[0].choices] == ["on", "off"]
    finally:
        await bot.remove_cog("PrivacyCog")
        await bot.close()


# --------------------------------------------------------------------------- show / export


async def test_show_lists_counts_and_settings_privately(env):
    await populate(env.db, env.settings)
    inter = MockInteraction(user=env.ada, guild=env.guild)
    await env.cog.show.callback(env.cog, inter)
    kw = _kwargs(inter.response.send_message)
    assert kw["ephemeral"] is True
    text = inter.reply_text()
    assert "3 answers" in text and "ratings you gave" in text and "kept for 7 days" in text
    assert "accepted." in text
    empty = MockInteraction(user=MockMember(), guild=env.guild)
    await env.cog.show.callback(env.cog, empty)
    assert "nothing at all" in empty.reply_text() and "not kept" in empty.reply_text()


async def test_export_sends_the_callers_data_as_a_json_file_only_to_them(env):
    await populate(env.db, env.settings)
    inter = MockInteraction(user=env.ada, guild=env.guild)
    await env.cog.export.callback(env.cog, inter)
    assert _kwargs(inter.response.defer)["ephemeral"] is True
    kw = _kwargs(inter.followup.send)
    assert kw["ephemeral"] is True
    f: discord.File = kw["file"]
    assert f.filename == f"parley-data-{ADA}.json"
    data = json.loads(f.fp.read())
    assert data["user_id"] == ADA and len(data["tables"]["attempts"]) == 3
    assert str(BOB) not in json.dumps(data)


# --------------------------------------------------------------------------- delete


async def _delete_prompt(env: Any) -> tuple[MockInteraction, DeleteConfirmView]:
    inter = MockInteraction(user=env.ada, guild=env.guild)
    await env.cog.delete.callback(env.cog, inter)
    kw = _kwargs(inter.response.send_message)
    assert kw["ephemeral"] is True and isinstance(kw["view"], DeleteConfirmView)
    assert "can't be undone" in kw["embed"].description
    return inter, kw["view"]


def _buttons(view: discord.ui.View) -> list[discord.ui.Button]:
    return [c for c in view.children if isinstance(c, discord.ui.Button)]


async def test_delete_asks_first_then_erases_everything_and_confirms_with_counts(env):
    await populate(env.db, env.settings)
    stored = sum((await privacy.stored_counts(env.db, ADA)).values())
    _, view = await _delete_prompt(env)
    assert scan_for(env.settings.database, (ADA,))  # nothing deleted before the press
    # someone else cannot press it
    stranger = MockInteraction(user=env.bob, guild=env.guild)
    assert await view.interaction_check(stranger) is False
    press = MockInteraction(user=env.ada, guild=env.guild)
    await view.confirm.callback(press)
    kw = _kwargs(press.edit_original_response)
    # what /privacy show counted, plus the profile row and her solo round's session row
    assert f"erased {stored + 2} stored items and 2 recordings" in kw["content"]
    assert "3 answers" in kw["embed"].description
    assert all(b.disabled for b in _buttons(kw["view"])) and view.is_finished()
    assert scan_for(env.settings.database, (ADA,)) == []
    assert rows_of(env.settings.database, BOB)  # the other member keeps theirs
    # a second /privacy delete has nothing to do
    again = MockInteraction(user=env.ada, guild=env.guild)
    await env.cog.delete.callback(env.cog, again)
    assert "nothing to erase" in again.reply_text()


async def test_delete_cancel_and_timeout_keep_the_data_and_disable_the_buttons(env):
    await populate(env.db, env.settings)
    before = rows_of(env.settings.database, ADA)
    _, view = await _delete_prompt(env)
    press = MockInteraction(user=env.ada, guild=env.guild)
    await view.cancel.callback(press)
    assert "nothing was deleted" in _kwargs(press.response.edit_message)["content"].lower()
    assert all(b.disabled for b in _buttons(view))
    inter, view2 = await _delete_prompt(env)
    await view2.on_timeout()  # what discord.py calls when the view's timeout passes
    kw = _kwargs(inter.edit_original_response)
    assert "nothing was deleted" in kw["content"] and all(b.disabled for b in _buttons(kw["view"]))
    assert rows_of(env.settings.database, ADA) == before


async def test_a_failed_erasure_says_so_and_changes_nothing(env):
    await populate(env.db, env.settings)
    before = rows_of(env.settings.database, ADA)
    _, view = await _delete_prompt(env)
    await env.db.conn.execute(
        f"CREATE TEMP TRIGGER refuse BEFORE DELETE ON users WHEN old.id = {ADA} BEGIN SELECT RAISE(ABORT, 'no'); END")
    press = MockInteraction(user=env.ada, guild=env.guild)
    await view.confirm.callback(press)
    assert "nothing was deleted" in _kwargs(press.edit_original_response)["content"]
    assert rows_of(env.settings.database, ADA) == before


# --------------------------------------------------------------------------- audio opt-in


async def test_expired_recordings_are_purged_by_the_cogs_hourly_loop(env):
    from datetime import datetime, timedelta

    await privacy.set_keep_audio(env.db, ADA, True)
    days = env.settings.keep_audio_days
    now = datetime.now(UTC)
    old = await AudioRetention(env.settings, env.db, clock=lambda: now - timedelta(days=days, minutes=1)).keep(
        ADA, b"OggS old", ext="ogg")
    fresh = await AudioRetention(env.settings, env.db).keep(ADA, b"OggS new", ext="ogg")
    assert old is not None and fresh is not None and old.exists()
    # the loop: started with the cog (its first run is at start-up), every hour after
    assert env.cog.purge_audio.hours == 1 and not env.cog.purge_audio.is_running()
    await env.cog.cog_load()
    task = env.cog.purge_audio.get_task()
    assert env.cog.purge_audio.is_running()
    await env.cog.cog_unload()  # cancelled before its first step: the tick is driven below
    await asyncio.gather(task, return_exceptions=True)
    # one tick removes what expired and keeps the rest
    await env.cog.purge_audio.coro(env.cog)
    assert not old.exists() and fresh.exists()
    async with env.db.conn.execute("SELECT path FROM audio_files WHERE user_id = ?", (ADA,)) as cur:
        assert [r[0] for r in await cur.fetchall()] == [str(fresh)]


async def test_audio_on_then_off_deletes_kept_recordings(env):
    inter = MockInteraction(user=env.ada, guild=env.guild)
    await env.cog.audio.callback(env.cog, inter, "on")
    assert (await privacy.get_settings(env.db, ADA)).keep_audio
    assert "7 days" in inter.reply_text() and _kwargs(inter.response.send_message)["ephemeral"]
    kept = await AudioRetention(env.settings, env.db).keep(ADA, np.zeros(800, dtype=np.float32))
    assert kept is not None and kept.exists()
    off = MockInteraction(user=env.ada, guild=env.guild)
    await env.cog.audio.callback(env.cog, off, "off")
    assert not (await privacy.get_settings(env.db, ADA)).keep_audio
    assert not kept.exists() and "1 kept recording was deleted" in off.reply_text()


# --------------------------------------------------------------------------- consent


async def _consent_flow(env: Any, press: str) -> tuple[bool, MockInteraction, ConsentPrompt]:
    inter = MockInteraction(user=env.ada, guild=env.guild)
    sent = _signal_when_sent(inter)
    task = asyncio.create_task(ensure_consent(inter, env.bot.services))
    await asyncio.wait_for(sent.wait(), 5)
    kw = _kwargs(inter.response.send_message)
    assert kw["ephemeral"] is True and "no audio is saved" in kw["embed"].description.lower()
    view: ConsentPrompt = kw["view"]
    button_press = MockInteraction(user=env.ada, guild=env.guild)
    await getattr(view, press).callback(button_press)
    assert all(b.disabled for b in _buttons(_kwargs(button_press.response.edit_message)["view"]))
    return await asyncio.wait_for(task, 5), inter, view


async def test_consent_accept_is_remembered_and_not_asked_again(env):
    ok, _, _ = await _consent_flow(env, "accept")
    assert ok and await privacy.has_consented(env.db, ADA, GUILD)
    again = MockInteraction(user=env.ada, guild=env.guild)
    assert await ensure_consent(again, env.bot.services) is True
    again.response.send_message.assert_not_awaited()  # once per server


async def test_consent_decline_or_timeout_records_nothing(env):
    ok, _, _ = await _consent_flow(env, "decline")
    assert ok is False and not await privacy.has_consented(env.db, ADA, GUILD)
    inter = MockInteraction(user=env.ada, guild=env.guild)
    sent = _signal_when_sent(inter)
    task = asyncio.create_task(ensure_consent(inter, env.bot.services))
    await asyncio.wait_for(sent.wait(), 5)
    view: ConsentPrompt = _kwargs(inter.response.send_message)["view"]
    await view.on_timeout()
    assert await asyncio.wait_for(task, 5) is False
    assert all(b.disabled for b in _buttons(_kwargs(inter.edit_original_response)["view"]))
    assert not await privacy.has_consented(env.db, ADA, GUILD)


async def test_consent_prompt_after_a_deferred_response_uses_a_followup(env):
    inter = MockInteraction(user=env.bob, guild=env.guild)
    await inter.response.defer(ephemeral=True)
    msg = unittest.mock.AsyncMock()
    sent = asyncio.Event()

    async def followup_send(*args: Any, **kwargs: Any) -> Any:
        sent.set()
        return msg

    inter.followup.send.side_effect = followup_send
    task = asyncio.create_task(ensure_consent(inter, env.bot.services))
    await asyncio.wait_for(sent.wait(), 5)
    view: ConsentPrompt = _kwargs(inter.followup.send)["view"]
    assert _kwargs(inter.followup.send)["ephemeral"] is True
    await view.on_timeout()
    assert await task is False
    msg.edit.assert_awaited()


async def test_privacy_consent_command_shows_the_notice_when_already_accepted(env):
    await privacy.record_consent(env.db, ADA, GUILD)
    inter = MockInteraction(user=env.ada, guild=env.guild)
    await env.cog.consent.callback(env.cog, inter)
    kw = _kwargs(inter.response.send_message)
    assert kw["ephemeral"] and "have accepted" in kw["embed"].footer.text and "view" not in kw
