"""Command line: `python -m bot demo | analyze | bank | history | run`.

Every sub-command has `--help`. Bad input ends with one clear line on stderr and a
non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from bot import __version__
from bot.cli_support import (
    MAX_ID,
    MAX_QUESTION_ID_CHARS,
    CliError,
    ProgressLine,
    check_text_answer,
    int_between,
    local_user,
)
from bot.speech.audio_format import SAMPLE_RATE

EXIT_OK, EXIT_BAD_INPUT, EXIT_UNAVAILABLE = 0, 2, 3
T = TypeVar("T")


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bot",
        description="Parley: spoken interview practice for backend engineers.",
        epilog="Settings come from PARLEY_* environment variables (see .env.example).",
    )
    p.add_argument("--version", action="version", version=f"parley {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    d = sub.add_parser("demo", help="run a full offline practice round (no Discord needed)",
                       description="Pick a question, speak it to a WAV, answer it (a synthesized sample "
                                   "answer or --answer FILE), transcribe, analyze, print feedback, store it.")
    d.add_argument("--question", metavar="ID", help="question id (default: a random one)")
    d.add_argument("--category", choices=("coding", "fundamentals", "system_design", "behavioral"),
                   help="pick the question from this category")
    d.add_argument("--answer", metavar="FILE", type=Path,
                   help="your recorded answer (any audio format ffmpeg decodes)")
    d.add_argument("--out", metavar="DIR", type=Path, default=None,
                   help="where to write question.wav and answer.wav (default: DATA_DIR/demo)")
    d.add_argument("--no-store", action="store_true", help="don't store the attempt in the history")
    d.add_argument("--seed", type=int, default=None, help="random seed for the question choice")

    a = sub.add_parser("analyze", help="analyze one answer and print feedback or the JSON contract",
                       description="Analyze a spoken answer (audio file) or a written one (--text).")
    a.add_argument("audio", nargs="?", type=Path, metavar="ANSWER_AUDIO", help="the answer recording")
    a.add_argument("--text", help="analyze this written answer instead of audio")
    a.add_argument("--question", required=True, metavar="ID", help="the question id that was answered")
    a.add_argument("--json", action="store_true", help="print the JSON contract instead of text")
    a.add_argument("--save", action="store_true", help="also store the attempt in the history")

    b = sub.add_parser("bank", help="list or validate the question bank",
                       description="List the question bank, or validate it (--validate).")
    b.add_argument("--validate", action="store_true", help="check every file and field; exit 1 on errors")
    b.add_argument("--category", help="list only this category")
    b.add_argument("--show", metavar="ID", help="print one question in full")

    h = sub.add_parser("history", help="list your past attempts", description="List stored attempts, newest first.")
    h.add_argument("--limit", type=int_between(1, 10_000), default=20, help="how many attempts (default 20)")
    h.add_argument("--user", type=int_between(1, MAX_ID), default=None,
                   help="user id (default: the local CLI user)")
    h.add_argument("--json", action="store_true", help="print JSON")

    qs = sub.add_parser("questions", help="pick questions fitted to a job description",
                        description="Read a job description or CV summary for skills and print the questions "
                                    "a round would pick for it, with the matched skills and why.")
    qs.add_argument("--for", dest="for_", required=True, metavar="TEXT_OR_@FILE",
                    help="the description itself, or @path to a file holding it (@- reads stdin)")
    qs.add_argument("--role", default="", help="the target role title, e.g. 'Backend engineer, payments'")
    qs.add_argument("--count", type=int, default=5, help="how many questions (1 to 20, default 5)")
    qs.add_argument("--category", choices=("coding", "fundamentals", "system_design", "behavioral"),
                    help="pick only from this category")
    qs.add_argument("--seed", type=int, default=None,
                    help="random seed (default: fixed per description, so the same text gives the same picks)")

    sub.add_parser("run", help="start the Discord bot (needs DISCORD_TOKEN)",
                   description="Connect to Discord with DISCORD_TOKEN and serve slash commands.")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "demo": _cmd_demo, "analyze": _cmd_analyze, "bank": _cmd_bank,
        "history": _cmd_history, "run": _cmd_run, "questions": _cmd_questions,
    }
    try:
        return commands[args.command](args)
    except CliError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _settings():
    from bot.config import ConfigError, Settings

    try:
        return Settings.from_env()
    except ConfigError as e:
        raise CliError(str(e)) from None


def _bank(settings):
    from bot.bank import BankError, load_bank

    try:
        return load_bank(settings.bank_dir)
    except BankError as e:
        raise CliError(str(e)) from None


def _question(bank, qid: str):
    from bot.bank import UnknownQuestion

    if len(qid) > MAX_QUESTION_ID_CHARS:  # never echoed, never fuzzy-matched against the bank
        raise CliError(f"--question is {len(qid):,} characters; question ids are short, like "
                       "'coding-rate-limiter' (`python -m bot bank` lists them)")
    try:
        return bank.get(qid)
    except UnknownQuestion as e:
        raise CliError(str(e.args[0] if e.args else e)) from None


def _cmd_bank(args: argparse.Namespace) -> int:
    from bot.bank import validate_report

    settings = _settings()
    bank = _bank(settings)  # loading validates; errors exit non-zero with every problem listed
    if args.validate:
        print(validate_report(bank))
        return EXIT_OK
    if args.show:
        q = _question(bank, args.show)
        print(f"{q.id}  [{q.category}, {q.difficulty}, ~{q.target_seconds}s]\n\n{q.prompt}\n")
        if q.hint:
            print("Hint: " + q.hint)
        print("Expected: " + ", ".join(q.expected))
        print("Key points: " + "; ".join(k.label for k in q.key_points))
        print("Follow-ups:\n" + "\n".join(f"  - {f}" for f in q.follow_ups))
        return EXIT_OK
    questions = [q for q in bank.questions if not args.category or q.category == args.category]
    if args.category and not questions:
        raise CliError(f"no questions in category {args.category!r}; categories: {', '.join(bank.categories())}")
    for q in questions:
        print(f"{q.id:<42} {q.category:<14} {q.difficulty:<7} {q.prompt[:70]}")
    print(f"\n{len(questions)} questions", file=sys.stderr)
    return EXIT_OK


def _cmd_analyze(args: argparse.Namespace) -> int:
    if (args.audio is None) == (args.text is None):
        raise CliError("give either an audio file or --text \"...\" (not both)")
    settings = _settings()
    bank = _bank(settings)
    question = _question(bank, args.question)
    if args.text is not None:
        check_text_answer(args.text)
        from bot.analysis import analyze

        analysis = analyze(question, text=args.text, settings=settings)
    else:
        transcript = _transcribe_file(settings, args.audio)
        from bot.analysis import analyze

        analysis = analyze(question, transcript=transcript, settings=settings)
    if args.save:
        asyncio.run(_store(settings, analysis, mode="cli"))
    if args.json:
        print(json.dumps(analysis.to_contract(), ensure_ascii=False, indent=2))
    else:
        from bot.feedback import render_text

        print(render_text(analysis, question))
    return EXIT_OK


def _transcribe_file(settings, path: Path):
    """Decode and transcribe with progress on stderr; every failure becomes a CliError."""
    from bot.speech.audio import AudioError, decode_file
    from bot.speech.stt import ModelNotFound, Transcriber

    try:
        samples = decode_file(path, max_seconds=settings.max_answer_s)
    except AudioError as e:
        msg = str(e)
        raise CliError(msg if str(path) in msg else f"{path}: {msg}") from None
    progress = ProgressLine(sys.stderr)
    transcriber = Transcriber(settings)
    try:
        progress.status("loading the speech model…")
        transcriber.load()
    except ModelNotFound as e:
        progress.done("")
        raise CliError(str(e), EXIT_UNAVAILABLE) from None
    total = len(samples) / SAMPLE_RATE
    progress.status(f"transcribing {total:.1f} s of audio…")
    transcript = transcriber.transcribe_sync(samples, progress=lambda done, tot: progress.bar("transcribing", done, tot))
    progress.done(f"transcribed {total:.1f} s of audio")
    return transcript


async def _store(settings, analysis, *, mode: str) -> int | None:
    from bot.storage.attempts import add_attempt

    uid, name = local_user()

    async def store(db):
        return await add_attempt(db, analysis, user_id=uid, user_name=name, mode=mode)

    return await _with_database(settings, store)


async def _with_database(settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Open the database, run `work(db)`, close it; every storage failure becomes one CliError
    that names the real problem (busy, disk full, damaged file, a path that is not a file, …)."""
    import sqlite3

    from bot.storage import Database, StorageError
    from bot.storage.db import storage_error

    try:
        async with Database(settings.database) as db:
            return await work(db)
    except sqlite3.Error as e:  # after the open succeeded: a write, a read, the close
        err = storage_error(settings.database, e)
    except StorageError as e:
        err = e
    hint = "; set PARLEY_DATA_DIR or PARLEY_DB_PATH to another place" if err.kind == "place" else ""
    code = EXIT_UNAVAILABLE if err.kind in ("busy", "full", "io") else EXIT_BAD_INPUT
    raise CliError(f"{err}{hint}", code)


def _cmd_demo(args: argparse.Namespace) -> int:
    from bot.cli_demo import run_demo

    return run_demo(args, _settings(), _bank, _question, _transcribe_file, _store)


def _cmd_history(args: argparse.Namespace) -> int:
    from bot.paths import regular_file_problem
    from bot.storage.attempts import list_attempts

    settings = _settings()
    uid = args.user if args.user is not None else local_user()[0]
    problem = regular_file_problem(settings.database)
    if problem is not None and problem.missing:  # a symlink loop or a folder is not "no attempts"
        print("No attempts yet: run `python -m bot demo` to practise.")
        return EXIT_OK

    async def fetch(db):
        return await list_attempts(db, uid, limit=args.limit)

    rows = asyncio.run(_with_database(settings, fetch))
    if args.json:
        print(json.dumps([r.__dict__ for r in rows], indent=2))
        return EXIT_OK
    if not rows:
        print("No attempts yet: run `python -m bot demo` to practise.")
        return EXIT_OK
    print(f"{'when (UTC)':<17} {'mode':<6} {'score':>5}  {'question':<36} top flags")
    for r in rows:
        flags = ", ".join(f["code"] for f in r.flags[:3]) or "-"
        print(f"{r.created_at[:16].replace('T', ' '):<17} {r.mode:<6} {r.score:>5}  {r.question_id:<36} {flags}")
    return EXIT_OK


def _cmd_questions(args: argparse.Namespace) -> int:
    from bot.cli_questions import cli_questions

    return cli_questions(args, _bank(_settings()))


def _cmd_run(args: argparse.Namespace) -> int:
    settings = _settings()
    from bot.discord_io.runner import run_bot

    return run_bot(settings)


if __name__ == "__main__":
    sys.exit(main())
