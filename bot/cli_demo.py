"""`python -m bot demo`: a whole practice round offline, on embedded defaults.

Speaks the question to question.wav, answers it (a synthesized sample answer with a thinking
pause in the middle, or the user's own recording), transcribes, analyzes, prints feedback and
stores the attempt. The sample answers are deliberately imperfect so the feedback has work to do.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bot.cli_support import CliError

# Spoken sample answers, one per category: each shows some structure and misses some.
SAMPLE_ANSWERS: dict[str, tuple[str, str]] = {
    "coding": (
        "Okay so, um, just to check the input first: I'll assume the events arrive as a list of "
        "IDs and that it fits in memory. The simple version is to compare every pair, which is "
        "quadratic.",
        "A better way is a hash set. I walk the list once and, uh, if an ID is already in the set "
        "it's a duplicate, otherwise I add it. That's linear time and linear extra space.",
    ),
    "fundamentals": (
        "So, uh, I think it really depends on the access pattern. If we need joins and "
        "transactions, like orders and payments, a relational database is the safe choice.",
        "For huge write volume with simple key lookups, something like a wide column store scales "
        "out more easily. We use microservices and Kafka for everything, you know.",
    ),
    "system_design": (
        "Let me start with requirements. Let's say about fifty thousand vehicles, each sending a "
        "small message every second, so roughly fifty thousand writes per second at peak.",
        "Devices post to a stateless ingestion tier behind a load balancer, which writes to a "
        "durable log. Consumers read from the log and write recent state to a key value store "
        "and history to cheap columnar storage.",
    ),
    "behavioral": (
        "So, um, last year our checkout service kept timing out at peak. The team looked at it "
        "for a while and we found a slow call to the fraud service.",
        "We moved that call off the request path onto a queue and, uh, the team added some "
        "dashboards. After that things were a lot better.",
    ),
}

PAUSE_S = 6.0  # a thinking pause longer than the default long-silence threshold


# The question each sample answer was written for; a plain `demo` picks one of these.
SAMPLE_QUESTIONS: dict[str, str] = {
    "coding": "coding-duplicate-events",
    "fundamentals": "fund-sql-vs-nosql",
    "system_design": "design-telemetry-ingestion",
    "behavioral": "behav-production-incident",
}


def _pick_question(args: argparse.Namespace, bank: Any, question: Callable[[Any, str], Any]) -> Any:
    if args.question:
        return question(bank, args.question)
    rng = random.Random(args.seed)
    if not args.answer:
        # the synthesized answer should fit the question: choose among those it was written for
        wanted = [SAMPLE_QUESTIONS[args.category]] if args.category else list(SAMPLE_QUESTIONS.values())
        fitting = [qid for qid in wanted if qid in bank]
        if fitting:
            return bank.get(rng.choice(fitting))
    try:
        return bank.pick(category=args.category, rng=rng)
    except (LookupError, ValueError) as e:
        raise CliError(str(e)) from None


def _out_dir(args: argparse.Namespace, settings: Any) -> Path:
    out = args.out or (settings.data_dir / "demo")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise CliError(f"cannot write to {out}: {e.strerror}; choose another folder with --out") from None
    return out


def _synthesize_answer(speaker: Any, category: str, path: Path) -> Path:
    """Two spoken halves with a long pause between them, written as a 16 kHz WAV."""
    from bot.speech.audio import SAMPLE_RATE, decode_file, write_wav

    first, second = SAMPLE_ANSWERS[category]
    parts = [decode_file(speaker.render_sync(first)), np.zeros(int(PAUSE_S * SAMPLE_RATE), np.float32),
             decode_file(speaker.render_sync(second))]
    write_wav(path, np.concatenate(parts), SAMPLE_RATE)
    return path


def run_demo(args: argparse.Namespace, settings: Any, load_bank: Callable, question: Callable,
             transcribe_file: Callable, store: Callable) -> int:
    from bot.analysis import analyze
    from bot.feedback import render_text
    from bot.speech.tts import Speaker, TTSError

    bank = load_bank(settings)
    q = _pick_question(args, bank, question)
    out = _out_dir(args, settings)
    speaker = Speaker(settings)
    try:
        print(f"Question [{q.category}, {q.difficulty}] ({q.id}):\n  {q.prompt}\n", flush=True)
        print("Speaking the question…", file=sys.stderr, flush=True)
        shutil.copyfile(speaker.render_sync(q.prompt), out / "question.wav")
        print(f"  spoken to {out / 'question.wav'}", file=sys.stderr)
        if args.answer:
            answer = args.answer
            print(f"Answer: your recording {answer}", file=sys.stderr)
        else:
            note = "" if SAMPLE_QUESTIONS.get(q.category) == q.id else f" (written for {SAMPLE_QUESTIONS[q.category]})"
            print(f"Answer: synthesizing a sample {q.category.replace('_', ' ')} answer{note}, with a thinking pause…",
                  file=sys.stderr, flush=True)
            answer = _synthesize_answer(speaker, q.category, out / "answer.wav")
            print(f"  written to {answer}", file=sys.stderr)
    except TTSError as e:
        raise CliError(f"text-to-speech failed: {e}") from None
    transcript = transcribe_file(settings, answer)
    analysis = analyze(q, transcript=transcript, settings=settings)
    print(render_text(analysis, q))
    if not args.no_store:
        attempt_id = asyncio.run(store(settings, analysis, mode="cli"))
        print(f"\nStored as attempt #{attempt_id} in {settings.database}. "
              "See `python -m bot history`.", file=sys.stderr)
    return 0
