"""The command line end to end, as a user runs it: a real subprocess, real files, a real database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]
QID = "design-telemetry-ingestion"


cli = run_cli


@pytest.mark.parametrize("sub", ["demo", "analyze", "bank", "history", "run"])
def test_every_command_has_help(sub, tmp_path):
    p = cli(sub, "--help", data_dir=tmp_path)
    assert p.returncode == 0
    assert "usage: python -m bot " + sub in p.stdout


def test_bank_validate_ok(tmp_path):
    p = cli("bank", "--validate", data_dir=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "57" in p.stdout or "questions" in p.stdout


def test_analyze_text_prints_the_json_contract(tmp_path):
    text = ("Let's say about ten thousand devices, each sending once a second. Devices post to an ingestion "
            "service behind a load balancer, which writes to Kafka so a consumer outage doesn't lose data. "
            "In the end I'd pick Kafka over a database queue because replay matters more than simplicity.")
    p = cli("analyze", "--text", text, "--question", QID, "--json", data_dir=tmp_path)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    for key in ("question_id", "category", "duration_s", "transcript", "metrics", "silences",
                "structure", "flags", "score", "follow_up", "summary"):
        assert key in r
    assert r["question_id"] == QID and r["category"] == "system_design"
    assert r["silences"] == [] and r["metrics"]["words_per_minute"] is None
    assert r["structure"]["assumptions"] is True
    assert 0 <= r["score"] <= 100 and r["follow_up"]
    assert all(f["code"].replace("_", "").isalpha() and f["code"].islower() for f in r["flags"])


def test_analyze_text_readable_output(tmp_path):
    p = cli("analyze", "--text", "I would use microservices.", "--question", QID, data_dir=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    assert len(p.stdout.strip().splitlines()) >= 3


@pytest.mark.parametrize(
    "make_input, expected",
    [
        (lambda d: Path("/etc/hostname"), "audio"),
        (lambda d: (d / "empty.wav").write_bytes(b"") or d / "empty.wav", "empty"),
        (lambda d: (d / "noise.ogg").write_bytes(os.urandom(4096)) or d / "noise.ogg", ""),
        (lambda d: d / "missing.flac", "not found"),
    ],
    ids=["not-audio", "empty", "random-bytes", "missing"],
)
def test_analyze_bad_audio_gives_one_clear_line(tmp_path, make_input, expected):
    path = make_input(tmp_path)
    p = cli("analyze", str(path), "--question", QID, "--json", data_dir=tmp_path)
    assert p.returncode != 0
    assert "Traceback" not in p.stderr
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert expected in lines[0].lower()


def test_unknown_question_suggests_close_ids(tmp_path):
    p = cli("analyze", "--text", "hello", "--question", "design-telemetry-ingest", data_dir=tmp_path)
    assert p.returncode != 0 and "Traceback" not in p.stderr
    assert "design-telemetry-ingestion" in p.stderr


def test_malformed_bank_names_file_question_and_field(tmp_path):
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "coding.toml").write_text('category = "coding"\n[[questions]]\nid = "coding-x"\nprompt = "Hi?"\n'
                                      'category = "coding"\ntarget_seconds = "two"\n')
    p = cli("bank", "--validate", data_dir=tmp_path, env_extra={"PARLEY_BANK_DIR": str(bank)})
    assert p.returncode != 0 and "Traceback" not in p.stderr
    assert "coding.toml" in p.stderr and "coding-x" in p.stderr and "target_seconds" in p.stderr


def test_unwritable_database_is_a_clear_error_and_keeps_nothing_half_written(tmp_path):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    p = cli("analyze", "--text", "I assume one region.", "--question", QID, "--save",
            data_dir=tmp_path, env_extra={"PARLEY_DB_PATH": str(blocker / "db.sqlite3")})
    assert p.returncode != 0 and "Traceback" not in p.stderr
    assert "database" in p.stderr.lower()
    assert blocker.read_text() == "x"


def test_missing_token_for_run_is_a_clear_message(tmp_path):
    p = cli("run", data_dir=tmp_path, env_extra={"DISCORD_TOKEN": ""}, timeout=60)
    assert p.returncode != 0 and "Traceback" not in p.stderr
    assert "DISCORD_TOKEN" in p.stderr


@pytest.mark.slow
def test_demo_runs_a_full_offline_round_and_history_lists_it(tmp_path):
    p = cli("demo", "--question", QID, data_dir=tmp_path, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    out = tmp_path / "demo"
    assert (out / "question.wav").stat().st_size > 10_000
    assert (out / "answer.wav").stat().st_size > 10_000
    # the sample answer has a 6 s thinking pause: the feedback must point at it
    assert "pause" in p.stdout.lower() or "silence" in p.stdout.lower()
    db = tmp_path / "parley.sqlite3"
    rows = sqlite3.connect(db).execute("SELECT question_id, mode, transcript FROM attempts").fetchall()
    assert len(rows) == 1 and rows[0][0] == QID and rows[0][1] == "cli"
    assert "vehicles" in rows[0][2].lower() or "second" in rows[0][2].lower()
    # no raw audio is kept by the store (only the demo's own output folder has WAVs)
    assert not (tmp_path / "audio").exists()
    h = cli("history", data_dir=tmp_path)
    assert h.returncode == 0 and QID in h.stdout
    h2 = cli("history", "--json", data_dir=tmp_path)
    assert json.loads(h2.stdout)[0]["question_id"] == QID


def test_plain_demo_picks_a_question_its_sample_answer_fits(settings):
    import argparse

    from bot.bank import load_bank
    from bot.cli_demo import SAMPLE_QUESTIONS, _pick_question

    bank = load_bank(settings.bank_dir)
    assert all(qid in bank and bank.get(qid).category == cat for cat, qid in SAMPLE_QUESTIONS.items())
    for cat, qid in SAMPLE_QUESTIONS.items():
        args = argparse.Namespace(question=None, category=cat, answer=None, seed=1)
        assert _pick_question(args, bank, lambda b, i: b.get(i)).id == qid
    # with the user's own recording any question of the category may come up
    args = argparse.Namespace(question=None, category="coding", answer=Path("mine.wav"), seed=None)
    assert _pick_question(args, bank, lambda b, i: b.get(i)).category == "coding"
