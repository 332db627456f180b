"""Precision and recall of the structure checks on the labelled answers.

    .venv/bin/python bench/eval_structure.py            # dev half, held-out half, and all
    .venv/bin/python bench/eval_structure.py --errors   # also list the dev-half mistakes

The labelled set (tests/data/labelled_answers.toml) is split by a hash of each answer's id:
the dev half is the one to look at while changing patterns; the held-out half is only reported,
so its figures show how the rules do on answers they were not tuned on.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.eval_heldout import Counts  # noqa: E402  (one precision/recall tally for every eval)
from bot.analysis import analyze  # noqa: E402
from bot.models import CATEGORIES, Question  # noqa: E402

LABELS = ROOT / "tests" / "data" / "labelled_answers.toml"
_PREFIX_CATEGORY = {"coding": "coding", "fund": "fundamentals", "fundamentals": "fundamentals",
                    "design": "system_design", "behav": "behavioral", "behavioral": "behavioral"}


@dataclass
class Item:
    id: str
    question_id: str
    text: str
    labels: dict[str, bool]
    expect_flags: list[str] = field(default_factory=list)
    absent_flags: list[str] = field(default_factory=list)
    fixed_split: str = ""

    @property
    def split(self) -> str:
        """"blind" when the file says so, else dev/heldout by a hash of the id."""
        if self.fixed_split:
            return self.fixed_split
        return "dev" if int(hashlib.sha1(self.id.encode()).hexdigest(), 16) % 2 == 0 else "heldout"


def load_items(path: Path = LABELS) -> list[Item]:
    data = tomllib.loads(path.read_text())
    return [Item(a["id"], a["question_id"], a["text"], dict(a.get("labels", {})),
                 list(a.get("expect_flags", [])), list(a.get("absent_flags", [])), a.get("split", ""))
            for a in data["answers"]]


def question_for(item: Item, bank=None) -> Question:  # type: ignore[no-untyped-def]
    """The bank's question when it has this id, else a stub with the category from the id prefix.

    `expected` is widened with every labelled element, so each label gets a detector answer.
    """
    q: Question | None = None
    if bank is not None:
        try:
            q = bank.get(item.question_id)
        except Exception:  # noqa: BLE001 - unknown id: fall back to a stub
            q = None
    if q is None:
        cat = _PREFIX_CATEGORY.get(item.question_id.split("-", 1)[0], "coding")
        q = Question(id=item.question_id, category=cat, prompt="", follow_ups=(), expected=(),
                     key_points=(), target_seconds=120, difficulty="medium")
    extra = tuple(e for e in item.labels if e not in q.expected)
    return replace(q, expected=tuple(q.expected) + extra)


def load_bank_or_none():  # type: ignore[no-untyped-def]
    try:
        from bot.bank import load_bank

        return load_bank(ROOT / "question_bank")
    except Exception:  # noqa: BLE001 - the eval still runs on stubs
        return None


def evaluate(items: list[Item], bank=None, settings=None) -> tuple[dict[tuple[str, str], Counts], list[str], dict[str, Counts]]:  # type: ignore[no-untyped-def]
    """Per (category, element) counts, a list of mistakes, and per-flag counts (`settings` picks the detector)."""
    counts: dict[tuple[str, str], Counts] = defaultdict(Counts)
    flag_counts: dict[str, Counts] = defaultdict(Counts)
    errors: list[str] = []
    for it in items:
        q = question_for(it, bank)
        a = analyze(q, text=it.text, settings=settings)
        codes = {f.code for f in a.flags}
        for el, truth in it.labels.items():
            pred = bool(a.structure.get(el, False))
            counts[(q.category, el)].add(bool(truth), pred)
            counts[("ALL", el)].add(bool(truth), pred)
            if pred != truth:
                errors.append(f"{it.id} [{q.category}] {el}: labelled {truth}, detected {pred}")
        for code in it.expect_flags:
            flag_counts[code].add(True, code in codes)
            if code not in codes:
                errors.append(f"{it.id} flag {code}: expected, not raised")
        for code in it.absent_flags:
            flag_counts[code].add(False, code in codes)
            if code in codes:
                errors.append(f"{it.id} flag {code}: raised, should not be")
    return counts, errors, flag_counts


VOICES = ("en-us", "en-gb", "en-us+f3")


def evaluate_spoken(items: list[Item], bank=None, limit: int = 24) -> tuple[dict[tuple[str, str], Counts], list[str]]:  # type: ignore[no-untyped-def]
    """Speak `limit` answers with espeak-ng (voices rotate), transcribe with the real model, then score.

    Items are taken round-robin over categories so every category is represented.
    """
    import shutil
    import subprocess
    import tempfile

    from bot.config import Settings
    from bot.speech.audio import decode_file
    from bot.speech.stt import Transcriber

    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed")
    import random

    by_cat: dict[str, list[Item]] = defaultdict(list)
    for it in random.Random(7).sample(items, len(items)):  # a fixed mix of all batches
        by_cat[question_for(it, bank).category].append(it)
    chosen: list[Item] = []
    while len(chosen) < limit and any(by_cat.values()):
        for cat in list(by_cat):
            if by_cat[cat] and len(chosen) < limit:
                chosen.append(by_cat[cat].pop(0))
    tr = Transcriber(Settings.from_env({}))
    tr.load()
    counts: dict[tuple[str, str], Counts] = defaultdict(Counts)
    errors: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, it in enumerate(chosen):
            voice = VOICES[n % len(VOICES)]
            wav = Path(tmp) / f"{it.id}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-s", "165", "-w", str(wav), it.text], check=True)
            transcript = tr.transcribe_sync(decode_file(wav))
            q = question_for(it, bank)
            a = analyze(q, transcript=transcript)
            for el in ("assumptions", "outcome"):
                if el in it.labels:
                    pred = bool(a.structure.get(el))
                    counts[(q.category, el)].add(bool(it.labels[el]), pred)
                    counts[("ALL", el)].add(bool(it.labels[el]), pred)
                    if pred != it.labels[el]:
                        errors.append(f"{it.id} ({voice}) {el}: labelled {it.labels[el]}, detected {pred} | {transcript.text[:160]}")
    return counts, errors


def timing_figure(bank=None, words: int = 750, runs: int = 30) -> float:  # type: ignore[no-untyped-def]
    """Milliseconds to analyse a ~5-minute transcript (750 words with timestamps), median of `runs`."""
    import statistics
    import time

    from bot.models import Transcript, Word

    items = load_items()
    pool = " ".join(i.text for i in items).split()
    ws = [Word(pool[k % len(pool)], k * 0.4, k * 0.4 + 0.3) for k in range(words)]
    t = Transcript(ws, duration_s=words * 0.4 + 1)
    q = question_for(items[0], bank)
    analyze(q, transcript=t)
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        analyze(q, transcript=t)
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def _fmt(v: float | None) -> str:
    return "  -  " if v is None or v != v else f"{v:.2f}"  # v != v: undefined (nan)


def report(title: str, counts: dict[tuple[str, str], Counts], flag_counts: dict[str, Counts]) -> str:
    lines = [f"== {title}", f"{'category':<14} {'element':<15} {'prec':>5} {'rec':>5}   tp  fp  fn  tn"]
    order = {c: i for i, c in enumerate((*CATEGORIES, "ALL"))}
    for (cat, el), c in sorted(counts.items(), key=lambda kv: (order.get(kv[0][0], 9), kv[0][1] not in ("assumptions", "outcome"), kv[0][1])):
        lines.append(f"{cat:<14} {el:<15} {_fmt(c.precision):>5} {_fmt(c.recall):>5}  {c.tp:3d} {c.fp:3d} {c.fn:3d} {c.tn:3d}")
    for code, c in sorted(flag_counts.items()):
        lines.append(f"{'flag':<14} {code:<15} raised when expected {c.tp}/{c.tp + c.fn}, raised when not {c.fp}/{c.fp + c.tn}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--errors", action="store_true", help="list the dev-half mistakes")
    ap.add_argument("--all-errors", action="store_true", help="list every mistake (looks at the held-out half too)")
    ap.add_argument("--spoken", type=int, default=0, metavar="N",
                    help="also speak N answers with espeak-ng in 3 voices and evaluate the real model's transcripts")
    ap.add_argument("--speed", action="store_true", help="print the analysis time for a 5-minute transcript")
    args = ap.parse_args(argv)
    items = load_items()
    bank = load_bank_or_none()
    print(f"{len(items)} labelled answers; questions from {'the bank' if bank else 'stubs'}")
    for name, subset in (("dev", [i for i in items if i.split == "dev"]),
                         ("held-out", [i for i in items if i.split == "heldout"]),
                         ("blind", [i for i in items if i.split == "blind"]),
                         ("blind2", [i for i in items if i.split == "blind2"]),
                         ("blind3", [i for i in items if i.split == "blind3"]),
                         ("blind4", [i for i in items if i.split == "blind4"]),
                         ("blind5", [i for i in items if i.split == "blind5"]),
                         ("blind6", [i for i in items if i.split == "blind6"]),
                         ("blind7", [i for i in items if i.split == "blind7"]),
                         ("blind8", [i for i in items if i.split == "blind8"]),
                         ("blind9", [i for i in items if i.split == "blind9"]),
                         ("gen10", [i for i in items if i.split == "gen10"]),
                         ("all", items)):
        counts, errors, flags = evaluate(subset, bank)
        print(report(f"{name} ({len(subset)} answers)", counts, flags))
        if (args.errors and name == "dev") or (args.all_errors and name == "all"):
            print("\n".join("  " + e for e in errors) or "  no mistakes")
        print()
    if args.speed:
        print(f"analysis of a 5-minute transcript (750 words): {timing_figure(bank):.1f} ms (median of 30)")
    if args.spoken:
        counts, errors = evaluate_spoken(items, bank, args.spoken)
        print(report(f"spoken ({args.spoken} answers, voices {', '.join(VOICES)}, whisper tiny.en)", counts, {}))
        print("\n".join("  " + e for e in errors) or "  no mistakes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
