"""Privacy and trust core: consent, settings, export, erasure, audio retention, recovery,
the consent notice, log redaction and permission checks (real sqlite files, real discord.py
permission objects)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import numpy as np
import pytest
from discord import app_commands

from bot.config import Settings
from bot.discord_io.guards import (
    MissingManageServer,
    NotInServer,
    has_manage_server,
    missing_permissions,
    missing_permissions_message,
)
from bot.logging_setup import REDACTED, RedactingFilter, redact, setup_logging
from bot.practice.audio_retention import AudioRetention
from bot.practice.consent import consent_notice
from bot.practice.recovery import INTERRUPTED_TEXT, notify, recover_interrupted
from bot.storage import StorageError, privacy, sessions
from bot.storage.attempts import add_attempt, list_attempts
from tests.discord.helpers import (
    MockGuild,
    MockInteraction,
    MockMember,
    MockTextChannel,
    MockVoiceChannel,
)
from tests.fakes import UtcClock
from tests.fault.population import (
    ADA,
    ADA_NAME,
    BOB,
    BOB_NAME,
    GUILD,
    _analysis,
    db_rows_of,
    populate,
    scan_db,
)

# a token-shaped string (not a real token)
FAKE_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


# --------------------------------------------------------------------------- consent and settings


async def test_consent_is_remembered_per_user_and_per_server(db):
    assert not await privacy.has_consented(db, ADA, GUILD)
    await privacy.record_consent(db, ADA, GUILD, ADA_NAME)
    await privacy.record_consent(db, ADA, GUILD, ADA_NAME)  # idempotent
    assert await privacy.has_consented(db, ADA, GUILD)
    assert not await privacy.has_consented(db, ADA, GUILD + 1)  # another server asks again
    assert not await privacy.has_consented(db, BOB, GUILD)
    store = privacy.ConsentStore(db)  # the shape DiscordRoundIO expects
    await store.record(BOB, GUILD)
    assert await store.has(BOB, GUILD)
    assert await privacy.withdraw_consent(db, ADA, GUILD) == 1
    assert not await privacy.has_consented(db, ADA, GUILD)


async def test_keep_audio_is_off_until_the_member_opts_in(db):
    assert (await privacy.get_settings(db, ADA)).keep_audio is False
    await privacy.set_keep_audio(db, ADA, True)
    assert (await privacy.get_settings(db, ADA)).keep_audio is True
    await privacy.set_keep_audio(db, ADA, False)
    assert (await privacy.get_settings(db, ADA)).keep_audio is False


# --------------------------------------------------------------------------- export


async def test_export_holds_every_row_of_the_member_and_nothing_naming_others(db, settings):
    pop = await populate(db, settings)
    data = await privacy.export_user(db, ADA)
    json.dumps(data)  # JSON-able
    t = data["tables"]
    assert sorted(a["id"] for a in t["attempts"]) == sorted(pop.ada_attempts)
    assert {a["transcript"] for a in t["attempts"]}  # transcripts are part of their data
    assert isinstance(t["attempts"][0]["flags"], list)  # *_json columns decoded
    assert [r["attempt_id"] for r in t["ratings_given"]] == [pop.bob_attempts[1]]
    assert [(r["structure"], r["clarity"], r["depth"]) for r in data["ratings_received"]] == [(4, 3, 5)]
    assert [c["guild_id"] for c in t["consents"]] == [GUILD]
    assert t["user_settings"][0]["keep_audio"] == 1
    assert len(t["audio_files"]) == 2 and len(t["prep_plans"]) == 1
    assert len(t["leaderboard_members"]) == 1 and t["daily_assignments"][0]["question_id"] == "q-ada"
    assert {s["id"] for s in data["sessions"]} == {pop.group_session, pop.ada_mock_session}
    assert data["user"]["name"] == ADA_NAME
    # counts agree with the rows
    assert data["counts"]["attempts"] == len(pop.ada_attempts)
    # the other member: neither their id, name, ratings' rater nor their answers appear
    text = json.dumps(data)
    assert str(BOB) not in text and BOB_NAME not in text
    bob_transcripts = [a.transcript for a in await list_attempts(db, BOB)]
    assert not any(tr in text for tr in bob_transcripts if tr not in {a["transcript"] for a in t["attempts"]})
    group = next(s for s in data["sessions"] if s["id"] == pop.group_session)
    assert [m["user_id"] for m in group["summary"]["members"]] == [ADA]


# --------------------------------------------------------------------------- erasure


async def test_delete_user_removes_every_row_and_file_and_leaves_others(db, settings):
    pop = await populate(db, settings)
    bob_before = await db_rows_of(db, BOB)
    assert await scan_db(db, (ADA, ADA_NAME))  # the scan does see her before
    report = await privacy.delete_user(db, ADA, audio_dir=settings.audio_dir)
    assert report.counts["attempts"] == len(pop.ada_attempts)
    assert report.counts["ratings_given"] == 1 and report.counts["ratings_received"] == 1
    assert report.counts["users"] == 1 and report.counts["sessions"] == 1  # her solo mock round
    assert report.files_removed == 2 and not report.files_failed
    assert await scan_db(db, (ADA, ADA_NAME)) == []
    assert not any(p.exists() for p in pop.ada_audio)
    assert not (settings.audio_dir / str(ADA)).exists()
    # bob keeps all of his, except the rating ada's answer received from him (it rated her answer)
    bob_after = await db_rows_of(db, BOB)
    expected = dict(bob_before)
    expected["ratings"] -= 1
    assert bob_after == {k: v for k, v in expected.items() if v}
    assert all(p.exists() for p in pop.bob_audio)
    group = await sessions.get_session(db, pop.group_session)
    assert group is not None and group.owner_id is None
    assert [m["user_id"] for m in group.summary["members"]] == [BOB]
    assert group.summary["strongest"] is None
    # idempotent: a second erasure finds nothing
    again = await privacy.delete_user(db, ADA, audio_dir=settings.audio_dir)
    assert again.total_rows == 0


async def test_delete_user_is_one_transaction(db, settings):
    await populate(db, settings)
    before = await db_rows_of(db, ADA)
    # make the very last statement of the erasure fail
    if db.dialect == "postgres":
        await db.conn.executescript(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$;"
            f"CREATE TRIGGER refuse BEFORE DELETE ON users FOR EACH ROW WHEN (old.id = {ADA}) EXECUTE FUNCTION refuse();")
    else:
        await db.conn.execute(
            f"CREATE TEMP TRIGGER refuse BEFORE DELETE ON users WHEN old.id = {ADA} BEGIN SELECT RAISE(ABORT, 'refused'); END")
    with pytest.raises((sqlite3.DatabaseError, StorageError), match="refused"):
        await privacy.delete_user(db, ADA, audio_dir=settings.audio_dir)
    assert await db_rows_of(db, ADA) == before  # nothing went
    assert any((settings.audio_dir / str(ADA)).iterdir())  # files kept: the rows still point at them


async def test_delete_user_covers_tables_added_by_later_migrations(db, settings):
    await populate(db, settings)
    await db.conn.executescript(
        f"CREATE TABLE some_future_feature (id {'BIGSERIAL' if db.dialect == 'postgres' else 'INTEGER'} PRIMARY KEY,"
        " user_id BIGINT, note TEXT);"
        f"INSERT INTO some_future_feature(user_id, note) VALUES ({ADA}, 'x'), ({BOB}, 'y');")
    data = await privacy.export_user(db, ADA)
    assert [r["note"] for r in data["tables"]["some_future_feature"]] == ["x"]
    await privacy.delete_user(db, ADA)
    async with db.conn.execute("SELECT user_id FROM some_future_feature") as cur:
        assert [r[0] for r in await cur.fetchall()] == [BOB]


def test_scrub_member_cuts_one_member_out_of_a_summary():
    s = {"members": [{"user_id": 1, "name": "a"}, {"user_id": 2, "name": "b"}],
         "strongest": {"user_id": 1, "score": 9}, "owner_id": 1, "by_user": {"1": 3, "2": 4}, "ids": [1, 2]}
    out = privacy.scrub_member(s, 1)
    assert out == {"members": [{"user_id": 2, "name": "b"}], "strongest": None, "owner_id": None,
                   "by_user": {"2": 4}, "ids": [2]}
    mine = privacy.only_member(s, 2)
    assert mine["members"] == [{"user_id": 2, "name": "b"}] and mine["strongest"] is None


# --------------------------------------------------------------------------- audio retention


async def test_audio_is_not_written_unless_the_member_opted_in(db, settings):
    clock = UtcClock(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
    ret = AudioRetention(settings, db, clock=clock)
    assert await ret.keep(ADA, np.zeros(16000, dtype=np.float32)) is None
    assert await ret.keep(ADA, b"voice") is None
    assert not settings.audio_dir.exists()
    async with db.conn.execute("SELECT COUNT(*) FROM audio_files") as cur:
        assert (await cur.fetchone())[0] == 0


async def test_kept_audio_expires_after_the_retention_period(db, settings):
    settings = settings.with_(keep_audio_days=3)
    clock = UtcClock(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
    ret = AudioRetention(settings, db, clock=clock)
    await privacy.set_keep_audio(db, ADA, True)
    wav = await ret.keep(ADA, np.zeros(16000, dtype=np.float32))
    ogg = await ret.keep(ADA, b"OggS...", ext="../../etc/passwd")  # hostile extension
    assert wav is not None and wav.exists() and wav.suffix == ".wav"
    assert ogg is not None and ogg.exists() and ogg.suffix == ".bin" and ogg.parent == settings.audio_dir / str(ADA)
    clock.now += timedelta(days=3) - timedelta(seconds=1)
    assert (await ret.purge_expired()).rows == 0 and wav.exists()
    clock.now += timedelta(seconds=2)
    report = await ret.purge_expired()
    assert report.rows == 2 and not wav.exists() and not ogg.exists()
    async with db.conn.execute("SELECT COUNT(*) FROM audio_files") as cur:
        assert (await cur.fetchone())[0] == 0


async def test_purge_removes_old_orphan_files_but_not_fresh_ones(db, settings):
    ret = AudioRetention(settings, db)
    folder = settings.audio_dir / "123"
    folder.mkdir(parents=True)
    old, fresh = folder / "old.wav", folder / "fresh.wav"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    os.utime(old, (0, 0))
    report = await ret.purge_expired()
    assert report.orphans == 1 and not old.exists() and fresh.exists()


async def test_opting_out_deletes_kept_audio_now(db, settings):
    ret = AudioRetention(settings, db)
    await privacy.set_keep_audio(db, ADA, True)
    p = await ret.keep(ADA, b"voice", ext="ogg")
    assert p is not None and p.exists()
    await privacy.set_keep_audio(db, ADA, False)
    assert await privacy.delete_kept_audio(db, ADA, audio_dir=settings.audio_dir) == 1
    assert not p.exists()
    assert await ret.keep(ADA, b"voice") is None


# --------------------------------------------------------------------------- recovery


async def test_recovery_closes_running_sessions_keeps_answers_and_says_who_to_tell(db, settings):
    running = await sessions.create_session(db, "group", GUILD, 555, ADA)
    await sessions.add_member(db, running, BOB)
    a = await add_attempt(db, _analysis(settings, 1), user_id=ADA, mode="group", guild_id=GUILD, session_id=running)
    finished = await sessions.create_session(db, "mock", GUILD, 556, BOB)
    await sessions.end_session(db, finished, "done")
    out = await recover_interrupted(db)
    assert [s.session_id for s in out] == [running]
    s = out[0]
    assert s.members == sorted([ADA, BOB]) and s.channel_id == 555 and s.saved_answers == {ADA: 1}
    assert (await sessions.get_session(db, running)).status == "interrupted"
    assert (await sessions.get_session(db, finished)).status == "done"
    assert [x.id for x in await list_attempts(db, ADA)] == [a]
    msg = s.message()
    assert f"<@{ADA}>" in msg and f"<@{BOB}>" in msg and "/history" in msg and "1 answer kept" in msg
    assert await recover_interrupted(db) == []  # a second start-up finds nothing


async def test_notify_skips_a_failing_channel_and_tells_the_rest(db):
    for ch in (1, 2, 3):
        await sessions.create_session(db, "mock", GUILD, ch, ADA + ch)
    out = await recover_interrupted(db)
    sent: list[tuple[int, str]] = []

    async def send(channel_id: int, text: str) -> None:
        if channel_id == 2:
            raise RuntimeError("channel deleted")
        sent.append((channel_id, text))

    assert await notify(out, send) == 2
    assert [c for c, _ in sent] == [1, 3]
    assert all(INTERRUPTED_TEXT.split(";")[0] in t for _, t in sent)


# --------------------------------------------------------------------------- the notice


def test_consent_notice_says_what_is_recorded_kept_and_how_to_delete():
    text = consent_notice(Settings.from_env({}, keep_audio_days=5))
    low = text.lower()
    assert "no audio is saved" in low and "5 days" in text
    assert "transcript" in low and "/privacy delete" in text and "/privacy export" in text
    assert "5 days" not in consent_notice(Settings.from_env({}, keep_audio_days=0))


# --------------------------------------------------------------------------- logs


def test_log_filter_redacts_tokens_in_messages_args_and_tracebacks():
    out = io.StringIO()
    settings = Settings.from_env({}, discord_token="configured-secret-value")
    handler = setup_logging(settings, stream=out)
    try:
        log = logging.getLogger("parley.test")
        log.warning("connecting with %s", FAKE_TOKEN)
        log.warning("header Authorization: Bot %s", "abc.def")
        log.warning("the configured one: configured-secret-value")
        try:
            raise RuntimeError(f"bad token {FAKE_TOKEN}")
        except RuntimeError:
            log.exception("failed")
        log.warning("answer was %s", "my secret transcript", extra={"sensitive": True})
        text = out.getvalue()
        assert FAKE_TOKEN not in text and "configured-secret-value" not in text and "abc.def" not in text
        assert text.count(REDACTED) >= 4
        assert "my secret transcript" not in text
        assert logging.getLogger("discord.http").getEffectiveLevel() >= logging.INFO
    finally:
        logging.getLogger().removeHandler(handler)


def test_redact_leaves_ordinary_text_alone():
    assert redact("score 62, 3 flags, at 12.5 s") == "score 62, 3 flags, at 12.5 s"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "ok %d", (3,), None)
    assert RedactingFilter().filter(record) and record.getMessage() == "ok 3"


# --------------------------------------------------------------------------- permissions


def test_missing_permissions_names_what_the_bot_lacks():
    guild = MockGuild()
    voice = MockVoiceChannel(guild=guild)
    voice.set_permissions_for(guild.me, discord.Permissions(view_channel=True, connect=True))
    assert missing_permissions(voice, guild.me, ("view_channel", "connect", "speak")) == ["Speak"]
    text = MockTextChannel(guild=guild)
    text.permissions_for = lambda obj: discord.Permissions(view_channel=True, send_messages=True)
    missing = missing_permissions(text, guild.me, ("send_messages", "attach_files", "create_public_threads",
                                                   "embed_links"))
    assert missing == ["Attach Files", "Create Public Threads", "Embed Links"]
    msg = missing_permissions_message(missing, text)
    assert "**Attach Files**, **Create Public Threads** and **Embed Links**" in msg and text.mention in msg
    assert missing_permissions(voice, MockMember(), ("connect",)) == []  # default voice perms allow it
    with pytest.raises(ValueError):
        missing_permissions(voice, guild.me, ("conect",))


def test_manage_server_check_has_a_clear_message():
    guild = MockGuild()
    admin = guild.add_member(MockMember(guild_permissions=discord.Permissions(manage_guild=True)))
    member = guild.add_member(MockMember())
    ok = MockInteraction(user=admin, guild=guild, permissions=discord.Permissions(manage_guild=True))
    assert has_manage_server(ok) is True
    no = MockInteraction(user=member, guild=guild, permissions=discord.Permissions.none())
    with pytest.raises(MissingManageServer) as e:
        has_manage_server(no)
    assert "Manage Server" in str(e.value) and isinstance(e.value, app_commands.CheckFailure)
    dm = MockInteraction(user=MockMember(), channel=MockTextChannel(), permissions=discord.Permissions.none())
    dm.guild = None  # a direct message
    with pytest.raises(NotInServer):
        has_manage_server(dm)


async def test_upload_guard_limits_audio_answers_per_user_per_hour():
    from bot.discord_io.guards import UploadGuard

    now = [0.0]
    guard = UploadGuard(3, clock=lambda: now[0])
    assert [await guard.wait(1) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = await guard.wait(1)
    assert 3599 < wait <= 3600 and "3" in guard.message(wait) and "60 min" in guard.message(wait)
    assert await guard.wait(2) == 0.0  # someone else is unaffected
    now[0] += 3600
    assert await guard.wait(1) == 0.0


# --------------------------------------------------------------------------- issue 13: what erasure must find

CAROL, CAROL_NAME = 615_000_000_000_000_777, "carol-the-manager"


async def _group_named_only_in_its_summary(db) -> int:
    """A shared group whose summary names ADA without a membership row of hers (what a running
    session rewriting its summary after her erasure left behind before the fix)."""
    gid = await sessions.create_session(db, "group", GUILD, 1, BOB, owner_name=BOB_NAME)
    await sessions.end_session(db, gid, "done", {
        "kind": "group", "end_reason": "completed",
        "members": [{"user_id": ADA, "name": ADA_NAME, "score": 61, "scores": [61]},
                    {"user_id": BOB, "name": BOB_NAME, "score": 50, "scores": [50]}],
        "strongest": {"user_id": ADA, "name": ADA_NAME, "score": 61}})
    return gid


async def test_show_export_and_delete_find_a_summary_that_names_the_member_without_membership(db, settings):
    gid = await _group_named_only_in_its_summary(db)
    assert await privacy.stored_counts(db, ADA) == {"session_summaries": 1}
    data = await privacy.export_user(db, ADA)
    (exported,) = data["sessions"]
    assert exported["id"] == gid and [m["user_id"] for m in exported["summary"]["members"]] == [ADA]
    assert str(BOB) not in json.dumps(data) and BOB_NAME not in json.dumps(data)
    report = await privacy.delete_user(db, ADA)
    assert report.counts == {"session_summaries": 1}
    assert await scan_db(db, (ADA, ADA_NAME)) == []
    kept = await sessions.get_session(db, gid)
    assert [m["user_id"] for m in kept.summary["members"]] == [BOB] and kept.summary["strongest"] is None


async def test_who_ended_a_group_is_an_id_that_export_hides_and_delete_removes(db, settings):
    """A manager (CAROL, not in the group) ended it: ADA's export does not carry CAROL's id, and
    CAROL's erasure finds the group and takes her id out of it."""
    await privacy.record_consent(db, CAROL, GUILD, CAROL_NAME)
    gid = await sessions.create_session(db, "group", GUILD, 1, ADA, owner_name=ADA_NAME)
    await sessions.end_session(db, gid, "done", {
        "end_reason": "ended", "ended_by_id": CAROL, "members": [{"user_id": ADA, "name": ADA_NAME}]})
    assert str(CAROL) not in json.dumps(await privacy.export_user(db, ADA))
    assert (await privacy.stored_counts(db, CAROL)).get("session_summaries") == 1
    await privacy.delete_user(db, CAROL)
    assert await scan_db(db, (CAROL, CAROL_NAME)) == []
    assert (await sessions.get_session(db, gid)).summary["ended_by_id"] is None


async def test_a_legacy_ended_by_display_name_is_found_by_name(db, settings):
    """Rows written before ids were stored say "ended by <display name>": the manager's export and
    erasure find them by their stored or current name; another member's export hides the name."""
    await privacy.record_consent(db, CAROL, GUILD, CAROL_NAME)
    gid = await sessions.create_session(db, "group", GUILD, 1, ADA, owner_name=ADA_NAME)
    await sessions.end_session(db, gid, "done", {
        "end_reason": f"ended by {CAROL_NAME}", "members": [{"user_id": ADA, "name": ADA_NAME}]})
    other = json.dumps(await privacy.export_user(db, ADA))
    assert CAROL_NAME not in other and "ended by another member" in other
    assert (await privacy.stored_counts(db, CAROL)).get("session_summaries") == 1
    # her current display name (what the cog passes) finds a row written under it too
    renamed = await sessions.create_session(db, "group", GUILD, 1, ADA, owner_name=ADA_NAME)
    await sessions.end_session(db, renamed, "done", {"end_reason": "ended by Carol_%Now", "members": []})
    assert (await privacy.stored_counts(db, CAROL, names=("Carol_%Now",))).get("session_summaries") == 2
    await privacy.delete_user(db, CAROL, names=("Carol_%Now",))
    assert await scan_db(db, (CAROL, CAROL_NAME, "Carol_%Now")) == []
    assert (await sessions.get_session(db, gid)).summary["end_reason"] == "ended"


async def test_a_mock_round_forgets_its_erased_owner_and_erases_a_late_write(db, settings):
    """Erased while an answer of theirs is being stored: the round stops saying why, posts no
    feedback, and nothing of theirs is left once it closed."""
    from bot.bank import load_bank
    from bot.practice.engine import PracticeEngine
    from bot.practice.round import MockRound, RoundState
    from bot.speech.stt import Transcriber

    writing, release = asyncio.Event(), asyncio.Event()

    class PausedEngine(PracticeEngine):  # the real engine; the write waits until the erasure has run
        async def record(self, *args, **kwargs):
            writing.set()
            await release.wait()
            return await super().record(*args, **kwargs)

    class FrontEnd:  # the Discord side, recorded
        def __init__(self) -> None:
            self.statuses: list[str] = []
            self.feedback: list[Any] = []

        async def post_consent(self, text: str) -> bool:
            return True

        async def say(self, text: str, *, kind: str) -> None: ...

        async def post_question_card(self, question: Any, index: int, total: int) -> None: ...

        async def post_status(self, text: str) -> None:
            self.statuses.append(text)

        async def post_feedback(self, summary: Any) -> None:
            self.feedback.append(summary)

        async def round_closed(self, summary: Any) -> None: ...

    bank = load_bank(settings.bank_dir)
    engine = PausedEngine(settings=settings, bank=bank, transcriber=Transcriber(settings), db=db)
    io = FrontEnd()
    r = MockRound(engine, io, user_id=ADA, user_name=ADA_NAME, guild_id=GUILD, channel_id=1,
                  questions=list(bank.questions)[:2], settings=settings.with_(questions_per_round=2))
    task = asyncio.create_task(r.run())
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING), 10)
    assert r.answer_text("I would shard by customer and cache reads; the tradeoff is staleness.")
    await asyncio.wait_for(writing.wait(), 10)
    assert await r.erase_member(BOB) is False  # not this round's
    assert await r.erase_member(ADA) is True
    assert r.summary.answers == [] and r.summary.user_name == ""
    await privacy.delete_user(db, ADA)
    release.set()
    summary = await asyncio.wait_for(task, 10)
    assert summary.reason == "erased" and summary.answers == [] and io.feedback == []
    assert "erased your parley data" in io.statuses[-1].lower()
    assert await scan_db(db, (ADA, ADA_NAME)) == []
