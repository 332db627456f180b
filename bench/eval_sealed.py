"""Score the detectors on the SEALED answer sets: figures only, never the answers.

    .venv/bin/python -m bench.eval_sealed              # typed: rules vs learned, per set and category
    .venv/bin/python -m bench.eval_sealed --spoken     # plus the spoken answers (espeak-ng → whisper)
    .venv/bin/python -m bench.eval_sealed --no-history # do not append to bench/history/sealed_scores.jsonl
    .venv/bin/python -m bench.eval_sealed --spoken --only spoken_c   # one sealed set

Sealed sets (tests/data/sealed/) were written and labelled by writers who never saw the rules,
labelled before any detector output existed. They are scored, never studied: this report prints
counts and F1, and no answer text, id or misclassification. Every run appends its figures, with
the commit measured, to bench/history/sealed_scores.jsonl, so a change that helps the dev data but
hurts the sealed figures shows up in the history. Spoken answers are synthesized in the voice the
writer chose (a pause spliced where asked), transcribed with the real model, then analysed; the
report adds word error rate against the written text, and whether the spliced pause was found
within ±0.5 s and none invented.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

from bench.eval_heldout import PAUSE_TOLERANCE_S, Counts, HeldoutAnswer, analysis_version, synthesize
from bench.labelled_sets import load_any, questions_for, sealed_files
from bot.analysis import analyze
from bot.config import STRUCTURE_DETECTORS, Settings

ROOT = Path(__file__).resolve().parent.parent
HISTORY = ROOT / "bench" / "history" / "sealed_scores.jsonl"
CHECKS = ("assumptions", "outcome")
CATS = ("coding", "fundamentals", "system_design", "behavioral", "all")


def _tally(rows: list[tuple[str, dict[str, bool], dict[str, bool]]]) -> dict[tuple[str, str], Counts]:
    """rows of (category, labels, predicted) -> Counts per (check, category incl. "all")."""
    table: dict[tuple[str, str], Counts] = {}
    for cat, labels, pred in rows:
        for check in CHECKS:
            for c in (cat, "all"):
                table.setdefault((check, c), Counts()).add(labels[check], pred.get(check))
    return table


def _line(name: str, c: Counts) -> str:
    f = lambda x: "  -  " if x != x else f"{x:.2f}"  # noqa: E731 - nan prints as a dash
    return f"{name:<28}{c.n:>4}{c.tp:>4}{c.fp:>4}{c.fn:>4}{c.tn:>4}{f(c.precision):>7}{f(c.recall):>7}{f(c.f1):>7}"


def print_table(title: str, tables: dict[str, dict[tuple[str, str], Counts]]) -> None:
    print(title)
    print(f"{'detector / check / category':<28}{'n':>4}{'TP':>4}{'FP':>4}{'FN':>4}{'TN':>4}{'prec':>7}{'recall':>7}{'F1':>7}")
    for det, table in tables.items():
        for check in CHECKS:
            for cat in CATS:
                if (check, cat) in table:
                    print(_line(f"{det} {check} {cat if cat != 'all' else 'ALL'}", table[(check, cat)]))
    print()


def _record(history: list[dict[str, object]], set_name: str, mode: str, det: str, table: dict[tuple[str, str], Counts]) -> None:
    for (check, cat), c in table.items():
        if cat == "all":
            history.append({"set": set_name, "mode": mode, "detector": det, "check": check, "n": c.n,
                            "tp": c.tp, "fp": c.fp, "fn": c.fn, "tn": c.tn, "f1": None if c.f1 != c.f1 else round(c.f1, 4)})


def typed_rows(answers: list[HeldoutAnswer], det: str) -> list[tuple[str, dict[str, bool], dict[str, bool]]]:
    qs = questions_for(answers)
    settings = Settings.from_env({}, structure_detector=det)
    return [(qs[a.question].category, a.labels, analyze(qs[a.question], text=a.text, settings=settings).structure) for a in answers]


def model_rows(answers: list[HeldoutAnswer], model_path: Path) -> list[tuple[str, dict[str, bool], dict[str, bool]]]:
    """Typed answers through another weights file (e.g. a words-only model from `train_structure_model --no-rules`)."""
    from bot.analysis import expected_elements
    from bot.analysis.learned import LinearModel
    from bot.analysis.lexicon import doc_from_text
    from bot.analysis.structure import detect_structure

    model = LinearModel.from_json(json.loads(model_path.read_text(encoding="utf-8")))
    qs = questions_for(answers)
    rows = []
    for a in answers:
        q = qs[a.question]
        doc = doc_from_text(a.text)
        pred = {c: p for c, (p, _) in model.predict(doc, q.category, detect_structure(doc, q.category, expected_elements(q))).items()}
        rows.append((q.category, a.labels, pred))
    return rows


def spoken_rows(answers: list[HeldoutAnswer], workdir: Path) -> tuple[dict[str, list], dict[str, float]]:  # type: ignore[type-arg]
    """Synthesize, transcribe once, analyse with each detector. Returns rows per detector and speech figures."""
    from bot.speech.audio import SAMPLE_RATE, decode_file
    from bot.speech.stt import Transcriber
    from tests.wer import normalise, wer

    qs = questions_for(answers)
    tr = Transcriber(Settings.from_env({}))
    t0 = time.perf_counter()
    tr.load()
    print(f"whisper model loaded in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    rows: dict[str, list] = {d: [] for d in STRUCTURE_DETECTORS}  # type: ignore[type-arg]
    errs = words = audio_s = decode_s = 0.0
    pauses = found = invented = 0
    for k, a in enumerate(answers, 1):
        wav, pause = synthesize(a, workdir)
        samples = decode_file(wav)
        t0 = time.perf_counter()
        transcript = tr.transcribe_sync(samples)
        decode_s += time.perf_counter() - t0
        audio_s += len(samples) / SAMPLE_RATE
        n = len(normalise(a.text))
        errs += wer(a.text, transcript.text) * n
        words += n
        for det in STRUCTURE_DETECTORS:
            analysis = analyze(qs[a.question], transcript=transcript, settings=Settings.from_env({}, structure_detector=det))
            rows[det].append((qs[a.question].category, a.labels, analysis.structure))
            if det == STRUCTURE_DETECTORS[0]:
                sil = [(s.start, s.end) for s in analysis.silences]
                hit = [s for s in sil if pause and abs(s[0] - pause[0]) <= PAUSE_TOLERANCE_S and abs(s[1] - pause[1]) <= PAUSE_TOLERANCE_S]
                pauses += pause is not None
                found += bool(hit)
                invented += len(sil) - len(hit)
        print(f"  spoken {k}/{len(answers)}", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    speech = {"wer": errs / max(words, 1), "rtf": decode_s / max(audio_s, 1e-9), "audio_s": audio_s,
              "pauses": pauses, "pauses_found": found, "invented_silences": invented}
    return rows, speech


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.eval_sealed", description=__doc__.split("\n\n")[0])
    ap.add_argument("--spoken", action="store_true", help="also synthesize, transcribe and score the spoken answers")
    ap.add_argument("--model", action="append", default=[], metavar="NAME=PATH",
                    help="also score typed answers with another weights file, e.g. words=/tmp/words_only.json")
    ap.add_argument("--no-history", action="store_true", help=f"do not append the figures to {HISTORY.relative_to(ROOT)}")
    ap.add_argument("--only", action="append", default=[], metavar="SET",
                    help="score only this sealed set (a file name without .toml; repeatable)")
    args = ap.parse_args(argv)
    files = [p for p in sealed_files() if not args.only or p.stem in args.only]
    if not files:
        ap.error(f"no sealed set named {', '.join(args.only)}: the sets are {', '.join(p.stem for p in sealed_files())}")

    history: list[dict[str, object]] = []
    print(f"detectors under test: {analysis_version()}\n")
    spoken_speech: dict[str, float] | None = None
    for path in files:
        answers = load_any(path)
        typed = {det: _tally(typed_rows(answers, det)) for det in STRUCTURE_DETECTORS}
        for spec in args.model:
            name, _, model_path = spec.partition("=")
            typed[name] = _tally(model_rows(answers, Path(model_path)))
        print_table(f"== {path.name}: {len(answers)} answers, as typed text ==", typed)
        for det, t in typed.items():
            _record(history, path.stem, "typed", det, t)
        spoken = [a for a in answers if a.spoken]
        if args.spoken and spoken:
            with tempfile.TemporaryDirectory(prefix="parley-sealed-") as tmp:
                rows, spoken_speech = spoken_rows(spoken, Path(tmp))
            tables = {det: _tally(r) for det, r in rows.items()}
            print_table(f"== {path.name}: {len(spoken)} answers, spoken in {len({a.voice for a in spoken})} voices ==", tables)
            for det, t in tables.items():
                _record(history, path.stem, "spoken", det, t)
            s = spoken_speech
            print(f"speech: WER {s['wer']:.1%}  real-time factor {s['rtf']:.3f}  audio {s['audio_s']:.0f} s  "
                  f"pauses found ±{PAUSE_TOLERANCE_S} s: {s['pauses_found']}/{s['pauses']}  invented silences: {s['invented_silences']}\n")
            history.append({"set": path.stem, "mode": "spoken", "speech": {k: round(v, 4) for k, v in s.items()}})
    if not args.no_history and history:
        HISTORY.parent.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with HISTORY.open("a", encoding="utf-8") as fh:
            for row in history:
                fh.write(json.dumps({"when": stamp, "measured": analysis_version(), **row}) + "\n")
        print(f"appended {len(history)} rows to {HISTORY.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
