"""The command line end to end, as a user runs it: a real subprocess, real files, a real database."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import tomllib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, run_cli
from tests.wer import wer

QID = "design-telemetry-ingestion"
BANK = ROOT / "question_bank"

cli = run_cli


@pytest.mark.parametrize("sub", ["demo", "analyze", "bank", "history", "run"])
def test_every_command_has_help(sub, tmp_path):
    p = cli(sub, "--help", data_dir=tmp_path)
    assert p.returncode == 0
    assert "usage: python -m bot " + sub in p.stdout


def _counts_in_files(bank: Path) -> dict[str, Counter[str]]:
    """Questions per category and difficulty, read straight from the TOML files."""
    per: dict[str, Counter[str]] = {}
    for f in bank.glob("*.toml"):
        for q in tomllib.loads(f.read_text())["questions"]:
            per.setdefault(q["category"], Counter())[q["difficulty"]] += 1
    return per


def _report_rows(stdout: str) -> dict[str, tuple[int, int, int, int]]:
    """The category table of `bank --validate`: total, easy, medium, hard."""
    rows = re.findall(r"^\s+(\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", stdout, re.MULTILINE)
    return {r[0]: tuple(int(n) for n in r[1:]) for r in rows}  # type: ignore[misc]


def _expected_rows(per: dict[str, Counter[str]]) -> dict[str, tuple[int, int, int, int]]:
    return {c: (sum(n.values()), n["easy"], n["medium"], n["hard"]) for c, n in per.items()}


def test_bank_validate_ok(tmp_path):
    p = cli("bank", "--validate", data_dir=tmp_path)
    assert p.returncode == 0, p.stderr
    per = _counts_in_files(BANK)
    total = sum(sum(n.values()) for n in per.values())
    files = len(list(BANK.glob("*.toml")))
    assert p.stdout.startswith(f"question bank OK: {total} questions in {files} files")
    assert _report_rows(p.stdout) == _expected_rows(per)
    # the report follows the files: drop one coding question from a copy and it says so
    copy = tmp_path / "bank"
    shutil.copytree(BANK, copy)
    coding = copy / "coding.toml"
    coding.write_text(coding.read_text().rsplit("\n[[questions]]\n", 1)[0] + "\n")
    fewer = cli("bank", "--validate", data_dir=tmp_path, env_extra={"PARLEY_BANK_DIR": str(copy)})
    assert fewer.returncode == 0, fewer.stderr
    assert fewer.stdout.startswith(f"question bank OK: {total - 1} questions in {files} files")
    assert _report_rows(fewer.stdout) == _expected_rows(_counts_in_files(copy))
    assert _report_rows(fewer.stdout)["coding"][0] == _report_rows(p.stdout)["coding"][0] - 1


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
    """The readable feedback says what the analysis (the JSON contract of the same answer) found."""
    text = "I would use microservices."
    p = cli("analyze", "--text", text, "--question", QID, data_dir=tmp_path)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    c = json.loads(cli("analyze", "--text", text, "--question", QID, "--json", data_dir=tmp_path).stdout)
    lines = p.stdout.splitlines()
    assert lines[0] == f"Score {c['score']}/100  ·  {QID} (system design)"
    assert lines[1] == c["summary"]
    assert "  + Covered the architecture" in lines  # the one structure element the answer has
    section = lines[lines.index("Top fixes") + 1:]
    section = section[:section.index("")]
    fixes = [ln for ln in section if re.match(r"  \d\. ", ln)]  # (detail lines under a fix are indented)
    messages = [f["message"] for f in c["flags"]]
    # three numbered fixes, each one of the analysis' flags, most important first
    assert [ln[:5] for ln in fixes] == ["  1. ", "  2. ", "  3. "]
    assert [ln[5:] for ln in fixes] == messages[:3]
    assert c["flags"][0]["code"] == "too_short" and "short" in fixes[0]
    assert f"Follow-up: {c['follow_up']}" in lines
    # five words touch none of the question's key points: every one is listed as missed
    (q,) = [q for q in tomllib.loads((BANK / "system_design.toml").read_text())["questions"] if q["id"] == QID]
    missed = next(ln for ln in lines if ln.startswith("Key points missed: "))
    assert missed.removeprefix("Key points missed: ").split("; ") == [k["label"] for k in q["key_points"]]


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
    db = tmp_path / "parley.sqlite3"
    con = sqlite3.connect(db)
    rows = con.execute("SELECT id, question_id, mode, transcript, flags_json, score FROM attempts").fetchall()
    con.close()
    assert len(rows) == 1 and rows[0][1] == QID and rows[0][2] == "cli"
    attempt_id, transcript, flags, score = rows[0][0], rows[0][3], json.loads(rows[0][4]), rows[0][5]
    # what was spoken comes back: the sample answer, transcribed by the real model
    # (measured 26.6% WER: espeak-ng's voice and tiny.en; "a durable log" comes back "adorable log")
    from bot.cli_demo import SAMPLE_ANSWERS

    assert wer(" ".join(SAMPLE_ANSWERS["system_design"]), transcript) <= 0.35, transcript
    # the thinking pause, found in answer.wav itself, is the silence the feedback points at
    start, length = _longest_quiet_run(out / "answer.wav")
    assert length > 5.0
    (pause,) = [f for f in flags if f["code"] == "long_silence"]
    said = re.match(r"(\d+\.\d) s of silence", pause["message"])
    assert said and abs(float(said[1]) - length) < 1.0 and abs(pause["at_s"] - start) < 1.0, (pause, start, length)
    assert pause["message"] in p.stdout and f"Score {score}/100" in p.stdout
    assert f"Stored as attempt #{attempt_id} in {db}" in p.stderr
    # no raw audio is kept by the store (only the demo's own output folder has WAVs)
    assert not (tmp_path / "audio").exists()
    h = cli("history", data_dir=tmp_path)
    assert h.returncode == 0
    (row,) = [ln for ln in h.stdout.splitlines() if QID in ln]
    assert row.split()[2:5] == ["cli", str(score), QID] and "long_silence" in row
    h2 = cli("history", "--json", data_dir=tmp_path)
    (listed,) = json.loads(h2.stdout)
    assert (listed["id"], listed["question_id"], listed["score"], listed["transcript"]) == \
        (attempt_id, QID, score, transcript)


def _longest_quiet_run(path: Path) -> tuple[float, float]:
    """Start and length (seconds) of the longest digitally silent stretch of a recording."""
    from bot.speech.audio import SAMPLE_RATE, decode_file

    quiet = np.abs(decode_file(path)) < 1e-4
    edges = np.flatnonzero(np.diff(np.concatenate(([0], quiet.astype(np.int8), [0]))))
    starts, ends = edges[::2], edges[1::2]
    i = int(np.argmax(ends - starts))
    return starts[i] / SAMPLE_RATE, (ends[i] - starts[i]) / SAMPLE_RATE


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
