"""The fault suite (issue 8): what was tried against Parley, and what survived.

Run with `-s` to see the table printed at the end:

    .venv/bin/pytest tests/fault -s

Every probe is recorded (area, what was tried, what happened, survived?) and asserted. Probes:
* kill -9 of a process mid-round (a real Database, a committed answer, a second answer's
  transaction open) and a restart: nothing committed is lost, the half-written answer is not
  there, integrity_check is ok, the round is closed as interrupted and its members are told;
* corrupt and hostile inputs: oversized, wrong-format, zero-length and truncated audio through
  `decode_file`, an oversized upload through the daily upload check, a bank with missing fields,
  mention floods in text answers through the analysis and the feedback embed;
* a burst of 100 commands from one user through the real command tree (controlled clock);
* erasure of one member, checked by scanning every table of the sqlite file.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import struct
import sys
import time
import types
import unittest.mock
from pathlib import Path
from typing import Any

import discord
import numpy as np
import pytest

from bot.bank import BankError, load_bank
from bot.config import Settings
from bot.speech.audio import AudioError, decode_file, write_wav
from bot.storage import privacy
from bot.storage.db import Database
from bot.storage.sessions import get_session
from tests.discord.helpers import MockGuild, MockInteraction, MockMember
from tests.fault import crash_driver
from tests.fault.population import ADA, ADA_NAME, BOB, populate, rows_of, scan_for
from tests.fault.table import record

ROOT = Path(__file__).resolve().parents[2]
LIVE_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d{15,21}>", re.IGNORECASE)

# --------------------------------------------------------------------------- kill -9 mid-round


def _message_payload(channel_id: int, content: str) -> dict[str, Any]:
    """What Discord's REST API answers to a message create (the faked network peer)."""
    return {
        "id": "1300000000000000001", "channel_id": str(channel_id), "type": 0, "content": content,
        "author": {"id": "1300000000000000002", "username": "Parley", "discriminator": "0",
                   "avatar": None, "bot": True},
        "timestamp": "2026-11-25T08:00:00.000000+00:00", "edited_timestamp": None, "tts": False,
        "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": [], "pinned": False,
    }


async def test_kill_minus_nine_mid_round_then_restart(tmp_path):
    db_path = tmp_path / "crash.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fault.crash_driver", str(db_path), cwd=str(ROOT), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)  # the driver says "ready"
    except BaseException:
        proc.kill()
        raise
    assert line, (await proc.stderr.read()).decode()
    state = json.loads(line)
    os.kill(state["pid"], signal.SIGKILL)
    rc = await proc.wait()
    assert rc == -signal.SIGKILL
    record("crash", "kill -9 during a group round (1 answer stored, 1 mid-write)", f"process exit {rc}", True)

    # restart: the real Database opens the file (WAL replayed), the bot's start-up recovery runs
    async with Database(db_path) as db:
        async with db.conn.execute("PRAGMA integrity_check") as cur:
            integrity = (await cur.fetchone())[0]
        async with db.conn.execute("PRAGMA foreign_key_check") as cur:
            fk_problems = await cur.fetchall()
        async with db.conn.execute("SELECT id, question_id FROM attempts ORDER BY id") as cur:
            attempts = [(r[0], r[1]) for r in await cur.fetchall()]
        from bot.discord_io.client import ParleyBot

        bot = ParleyBot(types.SimpleNamespace(settings=Settings.from_env({}, data_dir=tmp_path), db=db),
                        extensions=())
        sent: list[tuple[int, dict[str, Any]]] = []

        async def fake_send_message(channel_id: int, *, params: Any) -> dict[str, Any]:
            sent.append((channel_id, params.payload))
            return _message_payload(channel_id, params.payload.get("content", ""))

        bot.http.send_message = fake_send_message  # the network edge only
        bot.tree.sync = unittest.mock.AsyncMock(return_value=[])  # uploading commands to Discord
        await bot.setup_hook()  # what discord.py runs at start-up, after logging in
        told = len(sent)
        session = await get_session(db, state["session_id"])
        again = await bot.recover_after_restart()
        await bot.close()
    ok = integrity == "ok" and not fk_problems
    assert record("crash", "restart: PRAGMA integrity_check / foreign_key_check",
                  f"{integrity}, {len(fk_problems)} FK problems", ok)
    ok = attempts == [(state["attempt_id"], "two-sum")]
    assert record("crash", "restart: committed answer kept, half-written one absent",
                  f"attempts {attempts}", ok)
    ok = session is not None and session.status == "interrupted" and session.ended_at is not None
    assert record("crash", "restart: round closed as interrupted", f"status {session and session.status}", ok)
    content = sent[0][1]["content"] if sent else ""
    ok = (told == 1 and len(sent) == 1 and sent[0][0] == crash_driver.CHANNEL
          and f"<@{crash_driver.USER}>" in content and f"<@{crash_driver.OTHER}>" in content
          and "/history" in content
          and not {"everyone", "roles"} & set(sent[0][1]["allowed_mentions"].get("parse", []))
          and again == 0)
    assert record("crash", "restart: members told once in the round's channel",
                  f"{len(sent)} message(s): {content[:110]!r}", ok)


# --------------------------------------------------------------------------- hostile audio


def _wav(path: Path, seconds: float, rate: int = 16000) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    return write_wav(path, (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate)


def _audio_probes(tmp: Path, jfk: Path) -> list[tuple[str, Path, float | None, str]]:
    """(what, file, max_seconds, a word the error must contain)."""
    empty = tmp / "empty.ogg"
    empty.write_bytes(b"")
    text = tmp / "answer.ogg"
    text.write_text("this is my answer, typed, not recorded\n" * 50)
    png = tmp / "picture.mp3"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(4096))
    noise = tmp / "noise.wav"
    noise.write_bytes(os.urandom(65536))
    flac = jfk.read_bytes()
    cut_flac = tmp / "cut.flac"
    cut_flac.write_bytes(flac[: len(flac) // 3])
    whole = _wav(tmp / "whole.wav", 6.0)
    cut_wav = tmp / "cut.wav"
    cut_wav.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    header_only = tmp / "header-only.wav"
    header_only.write_bytes(whole.read_bytes()[:44])
    liar = tmp / "claims-10h.wav"  # header says 10 hours, holds 1 s
    data = _wav(tmp / "one.wav", 1.0).read_bytes()
    liar.write_bytes(data[:40] + struct.pack("<I", 16000 * 2 * 36000) + data[44:])
    long = _wav(tmp / "long.wav", 30.0)
    return [
        ("zero-length file", empty, None, "empty"),
        ("text saved as .ogg", text, None, "audio"),
        ("PNG bytes named .mp3", png, None, "audio"),
        ("random bytes named .wav", noise, None, "audio"),
        ("flac cut to a third", cut_flac, None, "truncated"),
        ("wav cut in half", cut_wav, None, "truncated"),
        ("wav header, no samples", header_only, None, ""),
        ("wav header claiming 10 h", liar, 600.0, ""),
        ("30 s answer, 10 s cap", long, 10.0, "limit"),
    ]


async def test_hostile_audio_gets_a_clear_error_never_a_crash(tmp_path, jfk_path):
    failures = []
    for what, path, cap, word in _audio_probes(tmp_path, jfk_path):
        t0 = time.perf_counter()
        try:
            await asyncio.to_thread(decode_file, path, max_seconds=cap)
            outcome, ok = "decoded without complaint", False
        except AudioError as e:
            msg = str(e)
            ok = path.name in msg and word in msg.lower() and "Traceback" not in msg
            outcome = f"AudioError: {msg.split(': ', 1)[-1][:70]}"
        except Exception as e:  # noqa: BLE001 - any other exception is the failure we look for
            outcome, ok = f"{type(e).__name__}: {e}", False
        outcome += f" ({(time.perf_counter() - t0) * 1000:.0f} ms)"
        if not record("audio", what, outcome, ok):
            failures.append((what, outcome))
    assert not failures


async def test_oversized_upload_is_refused_before_download(settings, db):
    from bot.practice.daily_service import AnswerRejected, DailyService

    service = DailyService(settings, db, load_bank(settings.bank_dir), None)
    size = int(settings.max_upload_mb * 1024 * 1024) * 4
    with pytest.raises(AnswerRejected) as e:
        service.check_upload(size)
    assert record("audio", f"{size // 1048576} MB upload (limit {settings.max_upload_mb:g} MB)",
                  f"refused: {str(e.value)[:60]}", "limit" in str(e.value))
    with pytest.raises(AnswerRejected):
        service.check_upload(1024, duration_s=settings.max_answer_s * 2)
    record("audio", "voice message declaring 2x the duration cap", "refused before download", True)


# --------------------------------------------------------------------------- the bank


def test_bank_with_missing_fields_names_file_question_and_field(tmp_path):
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "broken.toml").write_text(
        '[[questions]]\nid = "no-prompt"\ncategory = "coding"\ndifficulty = "easy"\n'
        'expected = ["assumptions"]\ntarget_seconds = 90\nfollow_ups = ["why?"]\n'
        '[[questions.key_points]]\nname = "edge cases"\ntriggers = ["empty input"]\n'
        '\n[[questions]]\nid = "no-category"\nprompt = "Explain an index."\n'
    )
    (bank / "garbage.toml").write_text("this is = = not toml [")
    with pytest.raises(BankError) as e:
        load_bank(bank)
    msg = str(e.value)
    ok = all(s in msg for s in ("broken.toml", "no-prompt", "prompt", "no-category", "category", "garbage.toml"))
    assert record("bank", "missing prompt / category, a file that is not TOML",
                  f"BankError, {len(e.value.problems)} problems named", ok), msg


# --------------------------------------------------------------------------- mention floods


def _embed_text(e: discord.Embed) -> str:
    parts = [e.title or "", e.description or "", e.footer.text or "" if e.footer else ""]
    for f in e.fields:
        parts += [f.name or "", f.value or ""]
    return "\n".join(parts)


def test_mention_floods_never_reach_rendered_feedback_live(settings):
    from bot.analysis import analyze
    from bot.discord_io.embeds import answer_excerpt, feedback_embed
    from bot.feedback import render_text
    from bot.practice.round import AnswerResult, RoundSummary
    from bot.text_safety import safe_excerpt

    bank = load_bank(settings.bank_dir)
    unit = ("@everyone @here <@123456789012345678> <@!123456789012345678> <@&123456789012345678> "
            "@EVERYONE ＠everyone **bold** `tick` ||spoiler|| [link](https://example.com) ")
    flood = "I assume a thousand users. " + unit * 300 + " So the result is O(n)."
    rendered: dict[str, str] = {}
    for q in bank.questions[:: max(1, len(bank.questions) // 4)][:4]:
        analysis = analyze(q, text=flood)
        summary = RoundSummary(session_id=1, user_id=ADA, user_name="@everyone", guild_id=1, status="done",
                               reason="completed", questions_total=1,
                               answers=[AnswerResult(1, q, analysis, None, "done")])
        e = feedback_embed(summary)
        assert len(e) <= 6000 and all(len(f.value) <= 1024 for f in e.fields)
        rendered[f"embed:{q.id}"] = _embed_text(e)
        rendered[f"excerpt:{q.id}"] = answer_excerpt(analysis.transcript)
        rendered[f"summary:{q.id}"] = safe_excerpt(analysis.summary)
        rendered[f"follow_up:{q.id}"] = safe_excerpt(analysis.follow_up)
    live = {k: LIVE_MENTION.findall(v) for k, v in rendered.items() if LIVE_MENTION.search(v)}
    assert record("text", f"{300 * 7} mentions in a text answer → feedback embed, excerpts",
                  f"{len(rendered)} renderings, {len(live)} with a live mention", not live), live
    # the terminal is not Discord (a mention there is plain text), but the flood must not reach
    # it whole: the CLI's feedback quotes short excerpts of the answer, never all of it
    q = bank.questions[0]
    terminal = render_text(analyze(q, text=flood), q)
    controls = [c for c in terminal if ord(c) < 32 and c != "\n"]
    assert record("text", f"the same flood ({len(flood) // 1000} KB) → the CLI's text feedback",
                  f"{len(terminal)} characters, {len(controls)} control characters",
                  len(terminal) < 4000 and not controls), terminal[:500]


# --------------------------------------------------------------------------- command burst


async def test_burst_of_100_commands_from_one_user_is_rate_limited(settings):
    from bot.discord_io.client import ParleyBot

    clock = types.SimpleNamespace(t=1000.0)
    bot = ParleyBot(types.SimpleNamespace(settings=settings.with_(commands_per_minute=20)), extensions=())
    bot.command_guard.limiter.clock = lambda: clock.t
    served: list[int] = []

    @bot.tree.command(name="ping", description="test command")
    async def ping(interaction: discord.Interaction) -> None:
        served.append(interaction.user.id)
        await interaction.response.send_message("pong", ephemeral=True)

    guild = MockGuild()
    spammer, other = guild.add_member(MockMember()), guild.add_member(MockMember())

    def interaction(user: Any) -> MockInteraction:
        return MockInteraction(user=user, guild=guild, type=discord.InteractionType.application_command,
                               data={"type": 1, "name": "ping", "id": "1"})

    burst = [interaction(spammer) for _ in range(100)]
    t0 = time.perf_counter()
    for inter in burst:
        await bot.tree._call(inter)  # what discord.py runs for each incoming interaction
    burst_ms = (time.perf_counter() - t0) * 1000
    served_in_burst = served.count(spammer.id)
    bystander = interaction(other)
    await bot.tree._call(bystander)
    clock.t += 60.0
    later = interaction(spammer)
    await bot.tree._call(later)
    await bot.close()

    answered_once = all(i.response.send_message.await_count == 1 for i in burst)
    refusals = [i for i in burst if "faster than" in str(i.response.send_message.call_args)]
    ephemeral = all(i.response.send_message.call_args.kwargs.get("ephemeral") for i in burst)
    assert record("limits", "100 commands from one user at once (limit 20/min)",
                  f"{served_in_burst} served, {len(refusals)} told to wait, "
                  f"{burst_ms:.0f} ms for the burst",
                  served_in_burst == 20 and len(refusals) == 80 and answered_once and ephemeral)
    assert record("limits", "another user during the burst", "served" if other.id in served else "refused",
                  other.id in served)
    assert record("limits", "the same user a minute later", "served" if served[-1] == spammer.id else "refused",
                  served[-1] == spammer.id and len(served) == 22)
    assert burst_ms < 2000  # the bot stays responsive: each refusal is cheap


# --------------------------------------------------------------------------- erasure


async def test_erasure_removes_every_row_of_the_member_from_the_sqlite_file(settings):
    async with Database(settings.database) as db:
        pop = await populate(db, settings)
        bob_before = rows_of(settings.database, BOB)
        hits_before = scan_for(settings.database, (ADA, ADA_NAME))
        report = await privacy.delete_user(db, ADA, audio_dir=settings.audio_dir)
    # the file, opened with the stdlib sqlite3 module, every table, every column
    hits = scan_for(settings.database, (ADA, ADA_NAME))
    con = sqlite3.connect(settings.database)
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    con.close()
    bob_after = rows_of(settings.database, BOB)
    tables = len(set(h.split(".")[0] for h in hits_before))
    assert record("privacy", f"erase one member ({len(hits_before)} mentions in {tables} tables before)",
                  f"{report.total_rows} rows + {report.files_removed} files removed; {len(hits)} left; "
                  f"integrity {integrity}", not hits and integrity == "ok" and report.files_removed == 2), hits
    lost = {t: bob_before[t] - bob_after.get(t, 0) for t in bob_before if bob_after.get(t, 0) != bob_before[t]}
    # the only row of bob's that goes is his rating of ada's answer (it was about her answer)
    assert record("privacy", "the other member's rows stay", f"changed: {lost or 'none'}", lost == {"ratings": 1})
    assert all(p.exists() for p in pop.bob_audio) and not any(p.exists() for p in pop.ada_audio)
