"""Fault probes against the command line and its database (issue 13): what a hostile user or a
careful operator tried, run as real `python -m bot` processes on real sqlite files.

Every probe goes into the fault table (`pytest tests/fault -s`). A failure "survives" when the
process ends with one clear `error:` line that names the real problem, no traceback, no
"Event loop is closed", and the stored data is unchanged.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.cli_support import MAX_TEXT_ANSWER_CHARS
from bot.storage.attempts import add_attempt
from bot.storage.db import BUSY_TIMEOUT_S, Database
from bot.storage.migrations import MIGRATIONS
from tests.conftest import ROOT, run_cli
from tests.fault.crash_driver import analysis
from tests.fault.table import not_run, record

QID = "coding-duplicate-events"
ANSWER = "I assume the ids fit in memory; a hash set makes one pass, linear time and space."
NOISE = ("Traceback", "Event loop is closed", "Exception in thread")


def clean_error(stderr: str, *words: str) -> bool:
    """One `error:` line (argparse adds its usage line first), no traceback, naming `words`."""
    lines = [ln for ln in stderr.strip().splitlines() if not ln.startswith("usage:")]
    return (len(lines) == 1 and "error:" in lines[0] and not any(n in stderr for n in NOISE)
            and all(w.lower() in lines[0].lower() for w in words))


def first_error(stderr: str) -> str:
    """The error line for the table, with temporary folders shortened to `…/name`."""
    line = next((ln for ln in stderr.splitlines() if "error" in ln.lower()), stderr.strip()[:100])
    return re.sub(r"(?:/[^\s/:]+)+/(?=[^\s/:]+)", "…/", line.split("error: ", 1)[-1])[:120]


def count_attempts(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
    finally:
        con.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def stored(path: Path, n: int) -> None:
    """`n` attempts for the local CLI user, written through the real repository."""
    async with Database(path) as db:
        for i in range(n):
            a = analysis(QID)
            a.transcript = f"answer {i}: " + "a hash set, one pass, linear time. " * 40
            await add_attempt(db, a, user_id=1, mode="cli")


def in_process(*argv: str) -> tuple[int, str, str, float]:
    """main(argv) in this process (for inputs too big for a command line): code, stdout, stderr, s."""
    out, err = io.StringIO(), io.StringIO()
    t0 = time.perf_counter()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as e:  # argparse's usage errors
            code = int(e.code or 0)
    return code, out.getvalue(), err.getvalue(), time.perf_counter() - t0


# --------------------------------------------------------------------------- concurrency


@pytest.mark.slow  # CLI processes that wait out the busy timeout
def test_four_concurrent_first_opens_keep_every_write(tmp_path):
    """Four `analyze --save` processes at once on a new database file, three times over."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    stored_counts, errors = [], []
    t0 = time.perf_counter()
    for rnd in range(3):
        data = tmp_path / f"round{rnd}"
        procs = [subprocess.Popen([sys.executable, "-m", "bot", "analyze", "--text", f"{ANSWER} ({i})",
                                   "--question", QID, "--save"], cwd=ROOT,
                                  env={**env, "PARLEY_DATA_DIR": str(data)},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for i in range(4)]
        for p in procs:
            _, err = p.communicate(timeout=300)
            if p.returncode != 0:
                errors.append(first_error(err))
        stored_counts.append(count_attempts(data / "parley.sqlite3"))
    secs = time.perf_counter() - t0
    assert record("storage", "4 CLI `analyze --save` at once on a new database file (x3)",
                  f"{sum(stored_counts)}/12 stored ({stored_counts}), {len(errors)} errors {errors[:1]}, "
                  f"{secs:.1f} s", stored_counts == [4, 4, 4] and not errors)


# --------------------------------------------------------------------------- busy


@pytest.mark.slow  # CLI processes that wait out the busy timeout
async def test_a_lock_held_past_the_busy_timeout_is_waited_for_then_reported(tmp_path):
    path = tmp_path / "parley.sqlite3"
    await stored(path, 2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process is writing and does not let go
    try:
        t0 = time.perf_counter()
        p = run_cli("analyze", "--text", ANSWER, "--question", QID, "--save", data_dir=tmp_path)
        waited = time.perf_counter() - t0
        h = run_cli("history", data_dir=tmp_path)
    finally:
        holder.rollback()
        holder.close()
    ok = (p.returncode == 3 and clean_error(p.stderr, "is busy", f"{BUSY_TIMEOUT_S:g} s")
          and waited >= BUSY_TIMEOUT_S and count_attempts(path) == 2)
    assert record("storage", f"`--save` while another process holds the write lock (> {BUSY_TIMEOUT_S:g} s)",
                  f"exit {p.returncode} after {waited:.1f} s: {first_error(p.stderr)}", ok), p.stderr
    ok = h.returncode == 0 and h.stdout.count(QID) == 2
    assert record("storage", "`history` while another process writes (WAL: readers go on)",
                  f"exit {h.returncode}, {h.stdout.count(QID)} attempts listed", ok), h.stderr


@pytest.mark.slow  # CLI processes that wait out the busy timeout
def test_history_waiting_to_migrate_behind_a_held_lock_says_busy(tmp_path):
    path = tmp_path / "parley.sqlite3"
    con = sqlite3.connect(path)  # a database as the first release left it (schema 1), one answer
    con.executescript(f"BEGIN;\n{MIGRATIONS[0]}\nPRAGMA user_version = 1;\nCOMMIT;")
    con.execute("INSERT INTO users(id, name) VALUES (1, 'me')")
    con.execute("INSERT INTO attempts(user_id, mode, question_id, category, transcript, score) "
                f"VALUES (1, 'cli', '{QID}', 'coding', 'old answer', 55)")
    con.commit()
    con.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        t0 = time.perf_counter()
        h = run_cli("history", data_dir=tmp_path)
        waited = time.perf_counter() - t0
    finally:
        holder.rollback()
        holder.close()
    after = run_cli("history", data_dir=tmp_path)
    ok = (h.returncode == 3 and clean_error(h.stderr, "is busy") and waited >= BUSY_TIMEOUT_S
          and after.returncode == 0 and QID in after.stdout)
    assert record("storage", "`history` on an old schema while another process holds an exclusive lock",
                  f"exit {h.returncode} after {waited:.1f} s: {first_error(h.stderr)}; "
                  f"once released: exit {after.returncode}, old answer listed", ok), h.stderr + after.stderr


# --------------------------------------------------------------------------- damaged file


async def test_a_corrupt_page_behind_a_valid_header_is_named_and_left_alone(tmp_path):
    path = tmp_path / "parley.sqlite3"
    await stored(path, 40)
    con = sqlite3.connect(path)
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'attempts'").fetchone()[0]
    con.close()
    data = bytearray(path.read_bytes())
    assert data[:16] == b"SQLite format 3\0" and root > 1
    data[(root - 1) * page_size:root * page_size] = os.urandom(page_size)  # the table's root page
    path.write_bytes(bytes(data))
    before = sha(path)
    h = run_cli("history", data_dir=tmp_path)
    s = run_cli("analyze", "--text", ANSWER, "--question", QID, "--save", data_dir=tmp_path)
    for what, p in (("history", h), ("analyze --save", s)):
        ok = p.returncode != 0 and clean_error(p.stderr, "is damaged", str(path)) and sha(path) == before
        assert record("storage", f"`{what}` on a file with one corrupt page behind a valid header",
                      f"exit {p.returncode}: {first_error(p.stderr)}; file unchanged {sha(path) == before}",
                      ok), p.stderr


async def test_a_hand_edited_row_is_skipped_with_a_warning(tmp_path):
    path = tmp_path / "parley.sqlite3"
    await stored(path, 3)
    con = sqlite3.connect(path)
    con.execute("UPDATE attempts SET flags_json = '[{\"code\": ' WHERE id = 2")
    con.commit()
    con.close()
    p = run_cli("history", data_dir=tmp_path)
    ok = (p.returncode == 0 and p.stdout.count(QID) == 2 and "attempt #2 is damaged" in p.stderr
          and not any(n in p.stderr for n in NOISE))
    assert record("storage", "`history` with one hand-edited row (bad JSON)",
                  f"exit {p.returncode}, {p.stdout.count(QID)} of 3 listed; warns: "
                  f"{p.stderr.strip().split(': ', 1)[-1][:70]}", ok), p.stderr


# --------------------------------------------------------------------------- disk full, unopenable


def _namespaces() -> str | None:
    """Why private mount namespaces are unavailable here, or None when they work."""
    if shutil.which("unshare") is None:
        return "no `unshare` command"
    p = subprocess.run(["unshare", "-rm", "true"], capture_output=True, text=True)
    return None if p.returncode == 0 else f"unshare -rm refused ({p.stderr.strip()[:60]})"


@pytest.mark.slow  # CLI processes that wait out the busy timeout
def test_disk_full_and_a_database_sqlite_cannot_open(tmp_path):
    """In a private mount namespace: a 2 MB tmpfs filled up, and a read-only one."""
    why = _namespaces()
    out = tmp_path / "out.json"
    if why is None:
        subprocess.run(["unshare", "-rm", sys.executable, "-m", "tests.fault.namespace_driver", str(tmp_path),
                        str(out)], cwd=ROOT, check=True, timeout=600,
                       env={k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")})
        result = json.loads(out.read_text())
        why = result.get("unavailable")
    if why is not None:
        for probe in ("`--save` when the disk fills after open", "`--save` / `history` on a full disk",
                      "a database sqlite cannot open, 10 runs"):
            not_run("disk", probe, why)
        return
    runs = {r["name"]: r for r in result["runs"]}
    assert runs["first"]["rc"] == 0, runs["first"]["stderr"]

    s, h = runs["save-40k-left"], runs["history-40k-left"]
    ok = s["rc"] == 3 and clean_error(s["stderr"], "disk is full") and h["rc"] == 0 and QID in h["stdout"]
    assert record("disk", "`--save` when the disk fills after open (40 KB left)",
                  f"exit {s['rc']}: {first_error(s['stderr'])}; history exit {h['rc']}", ok), s["stderr"]
    s, h, after = runs["save-full"], runs["history-full"], runs["history-after"]
    kept = json.loads(after["stdout"]) if after["rc"] == 0 else []
    ok = (s["rc"] == 3 and h["rc"] == 3 and clean_error(s["stderr"], "disk is full")
          and clean_error(h["stderr"], "disk is full") and len(kept) == 1
          and result["checks"] == {"integrity": "ok", "attempts": 1})
    assert record("disk", "`--save` / `history` on a full disk, then space freed",
                  f"exit {s['rc']}/{h['rc']}: {first_error(h['stderr'])}; after: {len(kept)} attempt, "
                  f"integrity {result['checks']['integrity']}", ok), (s["stderr"], h["stderr"])
    ro = [r for name, r in runs.items() if name.startswith("readonly-")]
    noisy = sum(1 for r in ro if any(n in r["stderr"] for n in NOISE))
    ok = len(ro) == 10 and not noisy and all(r["rc"] == 2 and clean_error(r["stderr"], "read-only") for r in ro)
    assert record("disk", "a database sqlite cannot open (read-only file system), 10 runs",
                  f"{noisy} with 'Event loop is closed' or a traceback; {first_error(ro[0]['stderr'])}",
                  ok), ro[0]["stderr"]


@pytest.mark.parametrize("kind", ["symlink loop", "named pipe", "folder"])
def test_a_database_path_that_is_not_a_file_is_named(tmp_path, kind):
    path = tmp_path / "db"
    if kind == "symlink loop":
        path.symlink_to(path)
    elif kind == "named pipe":
        os.mkfifo(path)
    else:
        path.mkdir()
    env = {"PARLEY_DB_PATH": str(path)}
    runs = [run_cli("history", data_dir=tmp_path, env_extra=env),
            run_cli("analyze", "--text", ANSWER, "--question", QID, "--save", data_dir=tmp_path, env_extra=env)]
    words = {"symlink loop": "symbolic link loop", "named pipe": "named pipe (FIFO)", "folder": "is a folder"}[kind]
    ok = all(p.returncode == 2 and clean_error(p.stderr, words) for p in runs)
    assert record("storage", f"PARLEY_DB_PATH is a {kind} (`history`, `--save`)",
                  first_error(runs[0].stderr), ok), [p.stderr for p in runs]


@pytest.mark.parametrize("kind", ["symlink loop", "named pipe", "dangling link", "folder"])
def test_an_audio_path_that_is_not_a_file_is_named(tmp_path, kind):
    path = tmp_path / "answer.ogg"
    if kind == "symlink loop":
        path.symlink_to(path)
    elif kind == "named pipe":
        os.mkfifo(path)
    elif kind == "dangling link":
        path.symlink_to(tmp_path / "deleted.ogg")
    else:
        path.mkdir()
    code, out, err, secs = in_process("analyze", str(path), "--question", QID)
    words = {"symlink loop": "symbolic link loop", "named pipe": "named pipe (FIFO)",
             "dangling link": "which does not exist", "folder": "is a folder"}[kind]
    ok = code == 2 and clean_error(err, words) and out == "" and secs < 5
    assert record("audio", f"`analyze FILE` where FILE is a {kind}", first_error(err), ok), err


# --------------------------------------------------------------------------- hostile arguments


@pytest.mark.parametrize("args", [
    ("history", "--limit", str(2**64)), ("history", "--user", str(2**64)), ("history", "--user", "-1"),
    ("history", "--limit", "0"), ("history", "--limit", "9" * 5000),
], ids=["limit-2^64", "user-2^64", "user-negative", "limit-zero", "limit-5000-digits"])
def test_out_of_range_numbers_are_usage_errors(tmp_path, args):
    p = run_cli(*args, data_dir=tmp_path)
    shown = args[2] if len(args[2]) < 24 else f"{len(args[2])} digits"
    ok = p.returncode == 2 and clean_error(p.stderr, args[1]) and len(p.stderr) < 400
    assert record("args", f"`{args[0]} {args[1]} {shown}`", first_error(p.stderr), ok), p.stderr


def test_undecodable_bytes_in_text_with_save(tmp_path):
    p = run_cli("analyze", "--text", b"I use a hash set \xff\xfe and one pass", "--question", QID, "--save",
                data_dir=tmp_path)
    ok = (p.returncode == 2 and clean_error(p.stderr, "not valid UTF-8", "character 18")
          and not (tmp_path / "parley.sqlite3").exists())
    assert record("args", "`--text` with undecodable bytes (a lone surrogate) and `--save`",
                  first_error(p.stderr), ok), p.stderr


def test_a_huge_text_answer_is_refused_quickly_and_not_echoed(tmp_path, monkeypatch):
    monkeypatch.setenv("PARLEY_DATA_DIR", str(tmp_path))
    huge = "I would shard by user id. " * (5 * 1024 * 1024 // 26)  # 5 MB, as the review tried
    code, out, err, secs = in_process("analyze", "--text", huge, "--question", QID, "--save")
    ok = (code == 2 and clean_error(err, f"{MAX_TEXT_ANSWER_CHARS:,}") and len(err) < 300 and out == ""
          and secs < 2 and not (tmp_path / "parley.sqlite3").exists())
    assert record("args", f"`--text` of {len(huge) / 1e6:.1f} MB with `--save`",
                  f"exit {code} in {secs * 1000:.0f} ms, {len(err)} bytes of stderr: {first_error(err)}",
                  ok), err[:300]
    # the largest a command line can carry (one argument is at most 128 KiB on Linux)
    p = run_cli("analyze", "--text", "x " * 60_000, "--question", QID, data_dir=tmp_path)
    ok = p.returncode == 2 and clean_error(p.stderr, "120,000 characters") and len(p.stderr) < 300
    assert record("args", "`--text` of 120,000 characters on a real command line",
                  first_error(p.stderr), ok), p.stderr[:300]


def test_a_huge_question_id_is_refused_quickly_and_not_echoed(tmp_path):
    p = run_cli("analyze", "--text", ANSWER, "--question", "q" * 120_000, data_dir=tmp_path, timeout=60)
    ok = p.returncode == 2 and clean_error(p.stderr, "120,000 characters") and len(p.stderr) < 300
    assert record("args", "`--question` of 120,000 characters", first_error(p.stderr), ok), p.stderr[:300]


@pytest.mark.parametrize("var, raw", [("PARLEY_MAX_ANSWER_S", "nan"), ("PARLEY_MAX_ANSWER_S", "inf"),
                                      ("PARLEY_MAX_UPLOAD_MB", "nan"), ("PARLEY_LONG_SILENCE_S", "-inf")])
def test_non_finite_settings_are_refused(tmp_path, var, raw):
    p = run_cli("analyze", "--text", ANSWER, "--question", QID, data_dir=tmp_path, env_extra={var: raw})
    ok = p.returncode == 2 and clean_error(p.stderr, var, "finite")
    assert record("config", f"{var}={raw}", first_error(p.stderr), ok), p.stderr
