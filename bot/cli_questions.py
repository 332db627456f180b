"""`python -m bot questions --for TEXT_OR_@FILE`: the picks a round would make for a job description."""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
from pathlib import Path

from bot.bank import Bank
from bot.cli_support import CliError
from bot.practice.tailoring import MAX_RAW_CHARS, DescriptionError, choose_many, read_description
from bot.skills import describe

MAX_COUNT = 20


def read_for_argument(value: str) -> str:
    """The description: the text itself, or a file's contents for `@path` (`@-` is stdin)."""
    if not value.startswith("@"):
        return value
    name = value[1:].strip()
    if not name:
        raise CliError("--for @ needs a file name after the @, for example --for @job.txt")
    if name == "-":
        return sys.stdin.read(MAX_RAW_CHARS + 1)
    path = Path(name).expanduser()
    try:
        with path.open("rb") as f:
            data = f.read(MAX_RAW_CHARS * 4 + 1)  # enough to tell a huge file, never all of it
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a folder; give the file holding the description") from None
    except OSError as e:
        raise CliError(f"{path}: cannot be read ({e.strerror or e})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CliError(f"{path}: is not UTF-8 text; save the description as plain text and try again") from None


def cli_questions(args: argparse.Namespace, bank: Bank) -> int:
    if not 1 <= args.count <= MAX_COUNT:
        raise CliError(f"--count must be from 1 to {MAX_COUNT} (got {args.count})")
    text = read_for_argument(args.for_)
    try:
        needs = read_description(text, args.role)
    except DescriptionError as e:
        raise CliError(str(e)) from None
    seed = args.seed if args.seed is not None else int.from_bytes(
        hashlib.sha256((args.role + "\n" + text).encode()).digest()[:8], "big")
    cats = (args.category,) if args.category else ()
    picks = choose_many(bank.questions, needs, args.count, categories=cats, rng=random.Random(seed))
    for note in needs.notes:
        print(f"note: {note}", file=sys.stderr)
    print("Skills the description asks for (strongest first):")
    for tag in needs.top(len(needs.weights)):
        words = ", ".join(needs.evidence.get(tag, ()))
        print(f"  {tag:<20} {needs.weights[tag]:>5.2f}  {describe(tag)}" + (f"  [{words}]" if words else ""))
    print(f"\n{len(picks)} question{'s' if len(picks) != 1 else ''}:")
    for i, p in enumerate(picks, 1):
        q = p.question
        print(f"{i:>2}. {q.id}  [{q.category}, {q.difficulty}]  skills: {', '.join(p.matched) or '-'}")
        print(f"    {p.reason}")
    if len(picks) < args.count:
        print(f"(only {len(picks)} questions match the filters)", file=sys.stderr)
    return 0
