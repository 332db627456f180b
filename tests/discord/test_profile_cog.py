"""/profile set (consent, then a modal), show and clear; and /privacy show, export and delete cover it."""

from __future__ import annotations

import json
import random
import types
from pathlib import Path

import discord
import pytest

from bot.bank import load_bank
from bot.discord_io.client import EXTENSIONS, ParleyBot
from bot.discord_io.profile_views import ProfileConsentView, ProfileModal
from bot.practice.profile import role_needs
from bot.practice.tailoring import make_picker
from bot.storage import privacy
from bot.storage.profiles import get_profile
from cogs.privacy import PrivacyCog
from cogs.profile import ProfileCog, setup
from tests.discord.helpers import MockBot, MockGuild, MockInteraction, MockMember
from tests.role_texts import PAYMENTS

BANK = load_bank(Path(__file__).resolve().parents[2] / "question_bank")


@pytest.fixture
async def env(settings, db):
    services = types.SimpleNamespace(settings=settings, db=db, bank=BANK)
    real = ParleyBot(services, extensions=())
    bot = MockBot.of(real, services=services, settings=settings)
    guild = MockGuild()
    ada = guild.add_member(MockMember(name="ada"))
    yield types.SimpleNamespace(cog=ProfileCog(bot), privacy=PrivacyCog(bot), guild=guild, ada=ada, db=db)
    await real.close()


async def _open_form(env) -> tuple[MockInteraction, ProfileConsentView]:
    inter = MockInteraction(user=env.ada, guild=env.guild)
    await env.cog.set_.callback(env.cog, inter)
    kw = inter.response.send_message.call_args.kwargs
    assert kw["ephemeral"] is True and isinstance(kw["view"], ProfileConsentView)
    text = inter.response.send_message.call_args.args[0]
    assert "store" in text and "/privacy delete" in text and "/profile clear" in text
    return inter, kw["view"]


async def _submit(env, view: ProfileConsentView, role: str, text: str) -> MockInteraction:
    press = MockInteraction(user=env.ada, guild=env.guild)
    await view.agree.callback(press)
    modal = press.response.send_modal.await_args.args[0]
    assert isinstance(modal, ProfileModal)
    submit = MockInteraction(user=env.ada, guild=env.guild)
    modal.role._refresh_state(submit, {"type": 4, "custom_id": modal.role.custom_id, "value": role})
    modal.description._refresh_state(submit, {"type": 4, "custom_id": modal.description.custom_id, "value": text})
    await modal.on_submit(submit)
    return submit


async def test_profile_is_stored_only_after_agreeing_and_submitting(env):
    _, view = await _open_form(env)
    assert await get_profile(env.db, env.ada.id) is None  # asking stores nothing
    submit = await _submit(env, view, "Backend engineer, payments", PAYMENTS)
    kw = submit.response.send_message.call_args.kwargs
    assert kw["ephemeral"] is True
    fields = {f.name: f.value for f in kw["embed"].fields}
    assert fields["Target role"] == "Backend engineer, payments"
    assert "security" in fields["Skills I'll practise with you"]
    assert len(fields["Questions your next round could ask"].splitlines()) == 3
    p = await get_profile(env.db, env.ada.id)
    assert p.role == "Backend engineer, payments" and p.consented_at and "idempotent" in p.description
    assert {"security", "reliability", "api-design"} <= set(p.skills)
    # a round for her now picks by it
    needs = await role_needs(env.db, env.ada.id)
    q = make_picker(BANK, None, None, None, random.Random(0), needs=needs)(1, ())
    assert set(q.skills) & set(p.skills)


async def test_cancel_stores_nothing_and_only_the_member_may_press(env):
    _, view = await _open_form(env)
    assert not await view.interaction_check(MockInteraction(user=MockMember(name="bo"), guild=env.guild))
    press = MockInteraction(user=env.ada, guild=env.guild)
    await view.cancel.callback(press)
    assert "nothing was stored" in press.response.edit_message.call_args.kwargs["content"].lower()
    assert await get_profile(env.db, env.ada.id) is None


@pytest.mark.parametrize(("text", "words"), [
    ("   ", "empty or too short"),
    ("<p><br></p><div>&nbsp;</div><b></b>" * 50, "only formatting"),
    ("Buscamos una ingeniera de backend con experiencia en bases de datos y sistemas distribuidos para "
     "nuestro equipo de pagos en Madrid", "English"),
    ("I enjoy hiking, baking bread and reading novels about the sea.", "couldn't find any skills"),
])
async def test_unusable_descriptions_get_the_reason_and_store_nothing(env, text, words):
    _, view = await _open_form(env)
    submit = await _submit(env, view, "", text)
    reply = submit.reply_text()
    assert "nothing was stored" in reply and words.lower() in reply
    assert submit.response.send_message.call_args.kwargs["ephemeral"] is True
    assert await get_profile(env.db, env.ada.id) is None


async def test_a_new_profile_replaces_the_old_and_a_bad_one_keeps_it(env):
    _, view = await _open_form(env)
    await _submit(env, view, "SRE", "On-call, incident response, SLOs and alerting for core services.")
    _, view = await _open_form(env)
    await _submit(env, view, "", "x")  # refused
    assert (await get_profile(env.db, env.ada.id)).role == "SRE"  # the stored one is untouched


async def test_show_and_clear(env):
    show = MockInteraction(user=env.ada, guild=env.guild)
    await env.cog.show.callback(env.cog, show)
    assert "no profile" in show.reply_text()
    _, view = await _open_form(env)
    await _submit(env, view, "Data engineer", "Kafka and Spark pipelines, ETL into a warehouse.")
    show = MockInteraction(user=env.ada, guild=env.guild)
    await env.cog.show.callback(env.cog, show)
    assert "data engineer" in show.reply_text()
    clear = MockInteraction(user=env.ada, guild=env.guild)
    await env.cog.clear.callback(env.cog, clear)
    assert "erased" in clear.reply_text() and await get_profile(env.db, env.ada.id) is None
    again = MockInteraction(user=env.ada, guild=env.guild)
    await env.cog.clear.callback(env.cog, again)
    assert "nothing to erase" in again.reply_text()


async def test_privacy_show_export_and_delete_include_the_profile(env):
    _, view = await _open_form(env)
    await _submit(env, view, "Backend engineer, payments", PAYMENTS)
    show = MockInteraction(user=env.ada, guild=env.guild)
    await env.privacy.show.callback(env.privacy, show)
    assert "1 target role and pasted job description" in show.reply_text()
    export = MockInteraction(user=env.ada, guild=env.guild)
    await env.privacy.export.callback(env.privacy, export)
    data = json.loads(export.followup.send.call_args.kwargs["file"].fp.read())
    (row,) = data["tables"]["profiles"]
    assert row["role"] == "Backend engineer, payments" and "idempotent" in row["description"]
    await privacy.delete_user(env.db, env.ada.id)
    assert await get_profile(env.db, env.ada.id) is None
    assert await role_needs(env.db, env.ada.id) is None  # later rounds are untailored, not broken
    q = make_picker(BANK, None, None, None, random.Random(0), needs=None)(1, ())
    assert q.id in BANK


async def test_profile_group_registers_and_is_a_default_extension(settings, db):
    assert "cogs.profile" in EXTENSIONS
    bot = ParleyBot(types.SimpleNamespace(settings=settings, db=db, bank=BANK), extensions=())
    await setup(bot)
    try:
        group = bot.tree.get_command("profile")
        assert isinstance(group, discord.app_commands.Group)
        assert sorted(c.name for c in group.commands) == ["clear", "question", "set", "show"]
    finally:
        await bot.remove_cog("ProfileCog")
        await bot.close()
