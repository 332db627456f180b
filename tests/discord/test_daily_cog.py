"""The daily cog against spec_set Discord doubles: permissions, setup stored, pushes, thread answers,
/stats, the leaderboard and /prep. Only the Discord peer is faked; the service, database and
analysis are real."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import discord
import pytest

from bot.bank import load_bank
from bot.discord_io.attachments import is_audio
from bot.practice.engine import PracticeEngine
from bot.services import Services
from bot.storage import Database
from bot.storage import daily as store
from bot.storage.attempts import list_attempts
from tests.discord.daily_helpers import (
    TEXT_ANSWER,
    MockAttachment,
    MockThread,
    open_thread,
    replies_of,
    setup_daily,
    thread_message,
)
from tests.discord.helpers import MockInteraction, MockMember

UTC = UTC


async def test_setup_without_manage_server_is_refused_clearly(daily_world):
    inter = MockInteraction(user=daily_world.member, guild=daily_world.guild)
    await daily_world.cog.daily_setup.callback(daily_world.cog, inter, daily_world.channel, "09:00", "Europe/Berlin", None)
    text = inter.reply_text()
    assert "manage server" in text
    assert inter.response.send_message.call_args.kwargs["ephemeral"] is True
    assert await store.get_schedule(daily_world.db, daily_world.guild.id) is None
    for cmd in (daily_world.cog.daily_pause, daily_world.cog.daily_resume, daily_world.cog.daily_now):
        other = MockInteraction(user=daily_world.member, guild=daily_world.guild)
        await cmd.callback(daily_world.cog, other)
        assert "manage server" in other.reply_text()
    daily_world.channel.send.assert_not_awaited()
    # the command group is hidden from members by default, too
    assert daily_world.cog.daily.default_permissions == discord.Permissions(manage_guild=True)


async def test_setup_stores_the_schedule_and_it_survives_a_restart(daily_world):
    inter = await setup_daily(daily_world, "Asia/Kolkata", "7:30", "coding, design")
    text = inter.reply_text()
    assert "07:30 asia/kolkata" in text and daily_world.channel.mention.lower() in text
    assert "coding" in text and "system design" in text
    async with Database(daily_world.settings.database) as fresh:  # as a restarted bot would read it
        s = await store.get_schedule(fresh, daily_world.guild.id)
    assert (s.channel_id, s.time_local, s.timezone_name, s.categories, s.paused) == (
        daily_world.channel.id, time(7, 30), "Asia/Kolkata", ("coding", "system_design"), False)


@pytest.mark.parametrize(
    "at, tz, cats, expected",
    [
        ("25:00", "Europe/Berlin", None, "out of range"),
        ("09:00", "Berlin", None, "europe/berlin"),
        ("09:00", "Europe/Berlin", "coding, gardening", "not a category"),
    ],
)
async def test_setup_bad_input_gets_a_clear_reply_and_stores_nothing(daily_world, at, tz, cats, expected):
    inter = await setup_daily(daily_world, tz, at, cats)
    assert expected in inter.reply_text()
    assert await store.get_schedule(daily_world.db, daily_world.guild.id) is None


async def test_setup_names_the_bot_permissions_missing_in_the_channel(daily_world):
    daily_world.channel.permissions_for.return_value = discord.Permissions(view_channel=True, send_messages=True)
    inter = await setup_daily(daily_world)
    text = inter.reply_text()
    assert "create public threads" in text and "embed links" in text
    assert await store.get_schedule(daily_world.db, daily_world.guild.id) is None


async def test_pause_resume_and_now_post_an_embed_with_a_thread(daily_world):
    await setup_daily(daily_world, cats="coding")
    pause = MockInteraction(user=daily_world.admin, guild=daily_world.guild)
    await daily_world.cog.daily_pause.callback(daily_world.cog, pause)
    assert "paused" in pause.reply_text()
    assert (await store.get_schedule(daily_world.db, daily_world.guild.id)).paused
    resume = MockInteraction(user=daily_world.admin, guild=daily_world.guild)
    await daily_world.cog.daily_resume.callback(daily_world.cog, resume)
    assert "back on" in resume.reply_text()

    now = MockInteraction(user=daily_world.admin, guild=daily_world.guild)
    await daily_world.cog.daily_now.callback(daily_world.cog, now)
    (message,) = daily_world.channel.messages_sent
    embed = daily_world.channel.send.call_args.kwargs["embed"]
    push = await store.last_push(daily_world.db, daily_world.guild.id)
    question = daily_world.cog.service.bank.get(push.question_id)
    assert embed.description == question.prompt and "Coding" in embed.title
    assert "voice message" in embed.fields[0].value
    message.create_thread.assert_awaited_once()
    (thread,) = daily_world.channel.threads_opened
    assert (push.message_id, push.thread_id) == (message.id, thread.id)
    assert thread.mention.lower() in now.reply_text()
    # a second /daily now the same day points at the same thread and posts nothing new
    again = MockInteraction(user=daily_world.admin, guild=daily_world.guild)
    await daily_world.cog.daily_now.callback(daily_world.cog, again)
    assert "already out" in again.reply_text() and daily_world.channel.send.await_count == 1


async def test_scheduler_tick_posts_once_with_plan_mentions(daily_world):
    await setup_daily(daily_world)  # 09:00 New York; it is 08:00 on March 7
    start = MockInteraction(user=daily_world.member, guild=daily_world.guild)
    await daily_world.cog.prep_start.callback(daily_world.cog, start, None)
    assert "day 1" in start.reply_text() and "7-day prep plan" in start.reply_text()
    daily_world.clock.now = datetime(2026, 3, 7, 9, 0, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
    await daily_world.cog.push_loop.coro(daily_world.cog)
    await daily_world.cog.push_loop.coro(daily_world.cog)
    assert daily_world.channel.send.await_count == 1
    (thread,) = daily_world.channel.threads_opened
    (mention_call,) = thread.send.call_args_list
    assert mention_call.args[0].startswith(f"<@{daily_world.member.id}>") and "day 1 of 7" in mention_call.args[0]
    allowed = mention_call.kwargs["allowed_mentions"]
    assert [u.id for u in allowed.users] == [daily_world.member.id] and not allowed.everyone


async def test_text_answer_in_the_thread_gets_feedback_and_is_stored(daily_world):
    thread = await open_thread(daily_world)
    msg = thread_message(thread, daily_world.member, TEXT_ANSWER + " @everyone")
    await daily_world.cog.on_message(msg)
    (reply,) = replies_of(msg)
    embed = reply["embed"]
    (stored,) = await list_attempts(daily_world.db, daily_world.member.id, guild_id=daily_world.guild.id)
    assert stored.mode == "daily" and stored.transcript.startswith("I assume")
    assert f"{stored.score}/100" in embed.title and "ada" in embed.title
    assert any(f.name == "Streak" and f.value.startswith("1 day") for f in embed.fields)
    assert reply["kwargs"]["allowed_mentions"].everyone is False
    # short chat in the thread is not an answer and gets no reply
    chat = thread_message(thread, daily_world.member, "nice one, thanks!")
    await daily_world.cog.on_message(chat)
    chat.reply.assert_not_awaited()
    # messages in other threads and from bots are ignored
    elsewhere = thread_message(MockThread(guild=daily_world.guild), daily_world.member, TEXT_ANSWER)
    await daily_world.cog.on_message(elsewhere)
    elsewhere.reply.assert_not_awaited()
    botmsg = thread_message(thread, MockMember(bot=True), TEXT_ANSWER)
    await daily_world.cog.on_message(botmsg)
    botmsg.reply.assert_not_awaited()


def test_feedback_embed_is_the_shared_renderer_with_mentions_neutralized(settings):
    from datetime import date

    from bot.discord_io.daily_embeds import feedback_embed
    from bot.discord_io.embeds import analysis_embed
    from bot.models import Analysis, Flag
    from bot.practice.daily_service import DailyAnswerResult as AnswerResult
    from bot.practice.progress import Streak

    question = load_bank(settings.bank_dir).questions[0]
    ping = "@everyone look at <@123456789012345678>"
    a = Analysis(question_id=question.id, category=question.category, transcript=f"my answer {ping}",
                 duration_s=42.0, metrics={"words_per_minute": 130.0, "filler_words": 1}, silences=[],
                 structure={"assumptions": True}, flags=[Flag("vague_answer", f"You said '{ping}'", severity=3)],
                 score=64, follow_up=f"And then? {ping}", summary=f"Solid start. {ping}")
    result = AnswerResult(question, a, 7, 2, Streak(3, 5, date(2026, 3, 7), True))
    member = MockMember(name="ada")
    e = feedback_embed(member, result, spoken=True)
    shared = analysis_embed(a, question)
    names = [f.name for f in e.fields]
    # the shared embed's fields come first, in order, then the daily additions
    assert names[: len(shared.fields)] == [f.name for f in shared.fields]
    assert names[len(shared.fields):] == ["What I heard", "Streak", "Prep plan"]
    assert e.description == shared.description and "64/100" in e.title and "ada" in e.title
    assert e.footer.text.endswith("stored in your /history")
    texts = [e.title, e.description, *(f.value for f in e.fields)]
    assert any("everyone" in t for t in texts)  # the echoed text is there ...
    for t in texts:  # ... but cannot ping
        assert "@everyone" not in t and "<@123456789012345678>" not in t
    assert next(f.value for f in e.fields if f.name == "Streak") == "3 days (best 5)"
    assert len(e) <= 6000


async def test_oversized_and_non_audio_attachments_get_a_clear_reply(daily_world):
    thread = await open_thread(daily_world)
    big = MockAttachment(b"", voice=True, size=int(daily_world.settings.max_upload_mb * 1024 * 1024) + 1)
    msg = thread_message(thread, daily_world.member, attachments=[big])
    await daily_world.cog.on_message(msg)
    assert "the limit is 25 mb" in replies_of(msg)[0]["content"].lower()
    big.read.assert_not_awaited()  # refused before download

    long_voice = MockAttachment(b"x" * 1000, voice=True, duration=1200.0)
    msg = thread_message(thread, daily_world.member, attachments=[long_voice])
    await daily_world.cog.on_message(msg)
    assert "capped at 600 s" in replies_of(msg)[0]["content"]
    long_voice.read.assert_not_awaited()

    image = MockAttachment(b"\x89PNG", filename="diagram.png", content_type="image/png")
    msg = thread_message(thread, daily_world.member, attachments=[image])
    await daily_world.cog.on_message(msg)
    assert "isn't audio" in replies_of(msg)[0]["content"]
    image.read.assert_not_awaited()

    junk = MockAttachment(b"this is not audio at all" * 10, filename="answer.mp3", content_type="audio/mpeg")
    msg = thread_message(thread, daily_world.member, attachments=[junk])
    await daily_world.cog.on_message(msg)
    assert "couldn't use that recording" in replies_of(msg)[0]["content"]
    assert await list_attempts(daily_world.db, daily_world.member.id) == []


async def test_upload_limit_is_checked_before_downloading(daily_world):
    from bot.discord_io.guards import UploadGuard

    now = [1000.0]
    daily_world.bot.command_guard.uploads = UploadGuard(2, clock=lambda: now[0])
    thread = await open_thread(daily_world)

    def junk() -> MockAttachment:  # downloads fine, decodes to nothing
        return MockAttachment(b"this is not audio at all" * 10, filename="answer.mp3", content_type="audio/mpeg")

    # a recording refused for its size does not use up the hour's uploads
    big = MockAttachment(b"", voice=True, size=int(daily_world.settings.max_upload_mb * 1024 * 1024) + 1)
    await daily_world.cog.on_message(thread_message(thread, daily_world.member, attachments=[big]))
    for _ in range(2):
        att = junk()
        msg = thread_message(thread, daily_world.member, attachments=[att])
        await daily_world.cog.on_message(msg)
        att.read.assert_awaited_once()
        assert "couldn't use that recording" in replies_of(msg)[0]["content"]

    over = junk()
    msg = thread_message(thread, daily_world.member, attachments=[over])
    await daily_world.cog.on_message(msg)
    over.read.assert_not_awaited()  # refused before the download
    (reply,) = replies_of(msg)
    assert "most recordings i take in an hour (2)" in reply["content"].lower()
    assert "try again in about 60 min" in reply["content"].lower() and "text" in reply["content"]
    # text answers are not uploads
    text = thread_message(thread, daily_world.member, TEXT_ANSWER)
    await daily_world.cog.on_message(text)
    assert replies_of(text)[0]["embed"] is not None
    # an hour later the member may send recordings again
    now[0] += 3600.0
    later = junk()
    await daily_world.cog.on_message(thread_message(thread, daily_world.member, attachments=[later]))
    later.read.assert_awaited_once()


@pytest.mark.slow
async def test_voice_message_in_the_thread_is_transcribed_and_scored(daily_world, transcriber, tmp_path):
    from tests.conftest import espeak
    from tests.voice_messages import VOICE_ANSWER, ogg_opus

    daily_world.cog.service.engine.transcriber = transcriber
    data = ogg_opus(espeak(VOICE_ANSWER, tmp_path / "a.wav", rate=150), tmp_path / "voice-message.ogg").read_bytes()
    thread = await open_thread(daily_world)
    voice = MockAttachment(data, voice=True, duration=30.0)
    msg = thread_message(thread, daily_world.member, attachments=[voice])
    await daily_world.cog.on_message(msg)
    voice.read.assert_awaited_once()
    (reply,) = replies_of(msg)
    embed = reply["embed"]
    assert embed is not None, reply["content"]
    heard = next(f.value for f in embed.fields if f.name == "What I heard")
    assert "words/min" in heard and "linear" in heard.lower()
    (stored,) = await list_attempts(daily_world.db, daily_world.member.id, guild_id=daily_world.guild.id)
    assert stored.mode == "daily" and stored.duration_s and f"{stored.score}/100" in embed.title


async def test_daily_now_without_thread_permission_says_what_is_missing_and_pauses(daily_world):
    await setup_daily(daily_world)
    daily_world.channel.permissions_for.return_value = discord.Permissions(view_channel=True, send_messages=True,
                                                                     embed_links=True, attach_files=True)
    inter = MockInteraction(user=daily_world.admin, guild=daily_world.guild)
    await daily_world.cog.daily_now.callback(daily_world.cog, inter)
    text = inter.reply_text()
    assert "create public threads" in text and "/daily resume" in text
    daily_world.channel.send.assert_not_awaited()
    assert (await store.get_schedule(daily_world.db, daily_world.guild.id)).paused
    assert await store.last_push(daily_world.db, daily_world.guild.id) is None


def test_audio_detection():
    assert is_audio(MockAttachment(voice=True, content_type=None, filename="x"))
    assert is_audio(MockAttachment(content_type="audio/ogg; codecs=opus", filename="x"))
    assert is_audio(MockAttachment(content_type=None, filename="Answer.M4A"))
    assert not is_audio(MockAttachment(content_type="image/png", filename="a.png"))


async def test_stats_attaches_a_png_of_the_stored_scores(daily_world):
    thread = await open_thread(daily_world)
    await daily_world.cog.on_message(thread_message(thread, daily_world.member, TEXT_ANSWER))
    inter = MockInteraction(user=daily_world.member, guild=daily_world.guild)
    await daily_world.cog.stats.callback(daily_world.cog, inter)
    kwargs = inter.followup.send.call_args.kwargs
    file = kwargs["file"]
    assert isinstance(file, discord.File) and file.filename == "progress.png"
    png = file.fp.read()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert kwargs["embed"].image.url == "attachment://progress.png" and kwargs["ephemeral"] is True
    empty = MockInteraction(user=daily_world.admin, guild=daily_world.guild)
    await daily_world.cog.stats.callback(daily_world.cog, empty)
    assert "no answers yet" in empty.reply_text()


async def test_history_and_opt_in_leaderboard(daily_world):
    thread = await open_thread(daily_world)
    await daily_world.cog.on_message(thread_message(thread, daily_world.member, TEXT_ANSWER))
    hist = MockInteraction(user=daily_world.member, guild=daily_world.guild)
    await daily_world.cog.history.callback(daily_world.cog, hist)
    (stored,) = await list_attempts(daily_world.db, daily_world.member.id)
    assert stored.question_id in hist.reply_text() and "1** answers" in hist.reply_text()

    show = MockInteraction(user=daily_world.admin, guild=daily_world.guild)
    await daily_world.cog.board_show.callback(daily_world.cog, show)
    assert "nobody has joined" in show.reply_text()  # answering alone does not put you on it
    join = MockInteraction(user=daily_world.member, guild=daily_world.guild)
    await daily_world.cog.board_join.callback(daily_world.cog, join)
    show = MockInteraction(user=daily_world.admin, guild=daily_world.guild)
    await daily_world.cog.board_show.callback(daily_world.cog, show)
    assert "ada: 1-day streak" in show.reply_text()
    leave = MockInteraction(user=daily_world.member, guild=daily_world.guild)
    await daily_world.cog.board_leave.callback(daily_world.cog, leave)
    assert "off the leaderboard" in leave.reply_text()
    assert await store.leaderboard_members(daily_world.db, daily_world.guild.id) == []


async def test_prep_start_with_a_bad_date_and_stop(daily_world):
    bad = MockInteraction(user=daily_world.member, guild=daily_world.guild)
    await daily_world.cog.prep_start.callback(daily_world.cog, bad, "tomorrow")
    assert "yyyy-mm-dd" in bad.reply_text()
    ok = MockInteraction(user=daily_world.member, guild=daily_world.guild)
    await daily_world.cog.prep_start.callback(daily_world.cog, ok, "2026-03-12")
    assert "interview" in ok.reply_text() and "not running" in ok.reply_text()  # no schedule yet: says so
    plan = await store.get_plan(daily_world.db, daily_world.member.id, daily_world.guild.id)
    assert plan.interview_date.isoformat() == "2026-03-12"
    stop = MockInteraction(user=daily_world.member, guild=daily_world.guild)
    await daily_world.cog.prep_stop.callback(daily_world.cog, stop)
    assert "stopped" in stop.reply_text()
    assert await store.get_plan(daily_world.db, daily_world.member.id, daily_world.guild.id) is None


async def test_extension_registers_its_commands_on_a_real_bot(settings):
    """Load cogs.daily into a real (never connected) ParleyBot: the slash commands are valid and
    present, and unloading stops the scheduler loop."""
    from bot.discord_io.client import ParleyBot

    bank = load_bank(settings.bank_dir)
    async with Database(settings.database) as db:
        engine = PracticeEngine(settings=settings, bank=bank, transcriber=None, db=db)
        services = Services(settings=settings, db=db, bank=bank, transcriber=None, speaker=None, engine=engine)
        bot = ParleyBot(services, extensions=())
        await bot.load_extension("cogs.daily")
        try:
            names = {c.qualified_name for c in bot.tree.walk_commands()}
            assert {"daily setup", "daily pause", "daily resume", "daily now", "history", "stats",
                    "leaderboard show", "leaderboard join", "leaderboard leave", "prep start", "prep stop"} <= names
            assert bot.intents.message_content and bot.intents.guild_messages  # to read thread answers
            cog = bot.get_cog("DailyCog")
            assert cog.push_loop.is_running()
            setup_cmd = bot.tree.get_command("daily").get_command("setup")
            assert [p.name for p in setup_cmd.parameters] == ["channel", "time", "timezone", "categories"]
            assert not setup_cmd.get_parameter("categories").required
        finally:
            await bot.unload_extension("cogs.daily")
            await bot.close()
        assert not cog.push_loop.is_running() or cog.push_loop.is_being_cancelled()


async def test_setup_says_thread_answers_cant_be_read_without_message_content(daily_world):
    """Parley runs on when Discord refuses the Message Content intent (bot/discord_io/runner.py);
    whoever sets up daily questions then learns that answers in their threads can't be read."""
    from bot.discord_io.client import parley_intents

    daily_world.bot.intents = parley_intents(message_content=False)
    text = (await setup_daily(daily_world)).reply_text()
    assert "message content" in text and "can't read answers posted in the threads" in text
    daily_world.bot.intents = parley_intents(message_content=True)
    assert "message content" not in (await setup_daily(daily_world)).reply_text()


async def test_an_answer_scored_while_its_author_erases_their_data_is_not_kept(daily_world):
    """Issue 13 item 1: /privacy delete lands while a daily answer is being scored and stored; the
    answer (and the profile row it recreates) must not outlive the erasure, and no feedback is posted."""
    from bot.storage import privacy
    from tests.fault.population import scan_for

    thread = await open_thread(daily_world)
    storing, release = asyncio.Event(), asyncio.Event()
    engine = daily_world.cog.service.engine
    original = engine.record

    async def paused_record(*args, **kwargs):  # the real write, held until the erasure ran
        storing.set()
        await release.wait()
        return await original(*args, **kwargs)

    engine.record = paused_record
    msg = thread_message(thread, daily_world.member, TEXT_ANSWER)
    answering = asyncio.create_task(daily_world.cog.on_message(msg))
    await asyncio.wait_for(storing.wait(), 10)
    await daily_world.bot.rounds.erase_member(daily_world.member.id)  # what /privacy delete does first
    await privacy.delete_user(daily_world.db, daily_world.member.id)
    release.set()
    await asyncio.wait_for(answering, 10)
    assert scan_for(daily_world.settings.database, (daily_world.member.id,)) == []
    msg.reply.assert_not_awaited()
