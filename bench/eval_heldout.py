"""One labelled dev file in detail: figures and every misclassified answer.

    .venv/bin/python -m bench.eval_heldout            # typed answers only (fast)
    .venv/bin/python -m bench.eval_heldout --spoken   # plus the spoken ones (loads whisper)

The default file, tests/data/heldout_answers.toml, is dev data (it arrived with the rule fixes it
prompted; the sealed sets measure generalisation: bench/eval_sealed.py). For every answer this runs
`bot.analysis.analyze(question, text=...)` and compares `structure` with the labels. Spoken
answers are synthesized with espeak-ng (a silence spliced in with numpy where the answer asks
for one), decoded with `bot.speech.audio.decode_file`, transcribed with the real
`Transcriber`, and analysed from the transcript; the report says whether the spliced pause
was found within ±0.5 s.

Prints precision, recall, F1 and counts per structure check, per category and overall, then
every misclassified answer. Always exits 0: it is a report, the floors live in
tests/integration/test_heldout_eval.py.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "heldout_answers.toml"
MAIN_CHECKS = ("assumptions", "outcome")
PAUSE_TOLERANCE_S = 0.5
ESPEAK_RATE = 160

# (text, out_path, voice, rate) -> out_path; tests pass tests.conftest.espeak
TtsFn = Callable[..., Path]


@dataclass(frozen=True)
class HeldoutAnswer:
    id: str
    question: str
    persona: str
    text: str
    labels: dict[str, bool]  # always has assumptions and outcome, plus clear-cut extras
    spoken: bool = False
    voice: str = "en-us"
    pause_after_words: int | None = None
    pause_s: float = 6.0


@dataclass
class Prediction:
    answer: HeldoutAnswer
    category: str
    structure: dict[str, bool]
    transcript: str = ""

    def predicted(self, check: str) -> bool | None:
        """What the analysis said for `check`; None when it did not report the element at all."""
        v = self.structure.get(check)
        return None if v is None else bool(v)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    absent: int = 0  # the analysis did not report the element (counted as False)

    def add(self, label: bool, predicted: bool | None) -> None:
        if predicted is None:
            self.absent += 1
        p = bool(predicted)
        if label and p:
            self.tp += 1
        elif label:
            self.fn += 1
        elif p:
            self.fp += 1
        else:
            self.tn += 1

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        if np.isnan(p) or np.isnan(r) or p + r == 0:
            return float("nan") if (np.isnan(p) or np.isnan(r)) else 0.0
        return 2 * p * r / (p + r)

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / self.n if self.n else float("nan")


@dataclass
class SpokenResult:
    prediction: Prediction
    expected_pause: tuple[float, float] | None
    silences: list[tuple[float, float]] = field(default_factory=list)
    audio_s: float = 0.0

    @property
    def pause_found(self) -> bool | None:
        if self.expected_pause is None:
            return None
        s0, e0 = self.expected_pause
        return any(abs(s - s0) <= PAUSE_TOLERANCE_S and abs(e - e0) <= PAUSE_TOLERANCE_S
                   for s, e in self.silences)

    @property
    def extra_silences(self) -> list[tuple[float, float]]:
        """Reported silences that are not the spliced pause (invented by the pipeline)."""
        if self.expected_pause is None:
            return list(self.silences)
        s0, e0 = self.expected_pause
        return [(s, e) for s, e in self.silences
                if not (abs(s - s0) <= PAUSE_TOLERANCE_S and abs(e - e0) <= PAUSE_TOLERANCE_S)]


# --------------------------------------------------------------------------- data


def load_answers(path: Path = DATA) -> list[HeldoutAnswer]:
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    answers: list[HeldoutAnswer] = []
    seen: set[str] = set()
    for item in raw.get("answer", []):
        aid = item["id"]
        if aid in seen:
            raise ValueError(f"{path}: duplicate answer id {aid!r}")
        seen.add(aid)
        labels = {"assumptions": bool(item["assumptions"]), "outcome": bool(item["outcome"])}
        labels.update({k: bool(v) for k, v in item.get("labels", {}).items()})
        answers.append(HeldoutAnswer(
            id=aid, question=item["question"], persona=item.get("persona", ""),
            text=" ".join(item["text"].split()), labels=labels,
            spoken=bool(item.get("spoken", False)), voice=item.get("voice", "en-us"),
            pause_after_words=item.get("pause_after_words"),
            pause_s=float(item.get("pause_s", 6.0)),
        ))
    return answers


def load_questions(answers: Iterable[HeldoutAnswer]):
    """The bank questions the answers refer to (an unknown id fails loudly: the data is wrong)."""
    from bot.bank import load_bank
    from bot.config import Settings

    bank = load_bank(Settings.from_env({}).bank_dir)
    return {a.question: bank.get(a.question) for a in answers}


# --------------------------------------------------------------------------- text answers


def evaluate_text(answers: Iterable[HeldoutAnswer], questions=None) -> list[Prediction]:
    from bot.analysis import analyze

    answers = list(answers)
    questions = questions or load_questions(answers)
    out = []
    for a in answers:
        q = questions[a.question]
        analysis = analyze(q, text=a.text)
        out.append(Prediction(a, q.category, dict(analysis.structure), analysis.transcript))
    return out


def score(predictions: Iterable[Prediction], checks: Iterable[str] | None = None
          ) -> dict[tuple[str, str], Counts]:
    """Counts per (check, category), and per (check, "all")."""
    predictions = list(predictions)
    if checks is None:
        names: list[str] = list(MAIN_CHECKS)
        for p in predictions:
            names += [k for k in p.answer.labels if k not in names]
        checks = names
    table: dict[tuple[str, str], Counts] = {}
    for check in checks:
        for p in predictions:
            if check not in p.answer.labels:
                continue
            label, pred = p.answer.labels[check], p.predicted(check)
            for cat in (p.category, "all"):
                table.setdefault((check, cat), Counts()).add(label, pred)
    return table


def misclassified(predictions: Iterable[Prediction], checks: Iterable[str] | None = None
                  ) -> list[tuple[Prediction, str, bool, bool | None]]:
    rows = []
    for p in predictions:
        for check, label in p.answer.labels.items():
            if checks is not None and check not in checks:
                continue
            pred = p.predicted(check)
            if bool(pred) != label:
                rows.append((p, check, label, pred))
    return rows


# --------------------------------------------------------------------------- spoken answers


def espeak_wav(text: str, out: Path, voice: str = "en-us", rate: int = ESPEAK_RATE) -> Path:
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("espeak-ng is not installed")
    # the text goes on stdin: an answer that starts with "-" must not read as an option
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(out), "--stdin"],
                   input=text.encode("utf-8"), check=True, capture_output=True)
    return out


def _trim(samples: np.ndarray, rel: float = 0.02) -> np.ndarray:
    """Drop the leading and trailing silence espeak leaves around an utterance."""
    x = np.asarray(samples, dtype=np.float32)
    if not len(x):
        return x
    loud = np.flatnonzero(np.abs(x) > rel * float(np.max(np.abs(x)) or 1.0))
    return x[loud[0]:loud[-1] + 1] if len(loud) else x[:0]


def synthesize(answer: HeldoutAnswer, workdir: Path, tts: TtsFn = espeak_wav
               ) -> tuple[Path, tuple[float, float] | None]:
    """Speak the answer to a WAV; returns it and the spliced pause (start, end) in seconds, if any.

    With a pause, the two halves are synthesized apart, their edge silence trimmed, and they
    are joined with `pause_s` of zeros, so the pause runs exactly from the end of the last
    word before it to the start of the first word after it.
    """
    from bot.speech.audio import SAMPLE_RATE, decode_file, write_wav

    workdir.mkdir(parents=True, exist_ok=True)
    words = answer.text.split()
    n = answer.pause_after_words
    if not n or n <= 0 or n >= len(words):
        wav = tts(answer.text, workdir / f"{answer.id}.wav", voice=answer.voice, rate=ESPEAK_RATE)
        return Path(wav), None
    lead = np.zeros(int(0.5 * SAMPLE_RATE), dtype=np.float32)
    parts = []
    for i, chunk in enumerate((" ".join(words[:n]), " ".join(words[n:]))):
        wav = tts(chunk, workdir / f"{answer.id}.part{i}.wav", voice=answer.voice, rate=ESPEAK_RATE)
        parts.append(_trim(decode_file(wav)))
    gap = np.zeros(int(round(answer.pause_s * SAMPLE_RATE)), dtype=np.float32)
    tail = np.zeros(int(0.5 * SAMPLE_RATE), dtype=np.float32)
    audio = np.concatenate([lead, parts[0], gap, parts[1], tail])
    start = (len(lead) + len(parts[0])) / SAMPLE_RATE
    out = write_wav(workdir / f"{answer.id}.wav", audio, SAMPLE_RATE)
    return out, (start, start + len(gap) / SAMPLE_RATE)


def evaluate_spoken(answers: Iterable[HeldoutAnswer], transcriber, workdir: Path,
                    tts: TtsFn = espeak_wav, questions=None) -> list[SpokenResult]:
    from bot.analysis import analyze
    from bot.speech.audio import SAMPLE_RATE, decode_file

    answers = [a for a in answers if a.spoken]
    questions = questions or load_questions(answers)
    results = []
    for a in answers:
        q = questions[a.question]
        wav, pause = synthesize(a, workdir, tts)
        samples = decode_file(wav)
        transcript = transcriber.transcribe_sync(samples)
        analysis = analyze(q, transcript=transcript)
        pred = Prediction(a, q.category, dict(analysis.structure), analysis.transcript)
        results.append(SpokenResult(pred, pause, [(s.start, s.end) for s in analysis.silences],
                                    len(samples) / SAMPLE_RATE))
    return results


# --------------------------------------------------------------------------- report


def analysis_version() -> str:
    """The commit of bot/analysis being measured, and whether the working tree changes it."""
    try:
        head = subprocess.run(["git", "log", "-1", "--format=%h %s", "--", "bot/analysis"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "bot/analysis"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    return f"{head[:72]}{' + uncommitted changes' if dirty else ''}"


def _fmt(x: float) -> str:
    return "  -  " if np.isnan(x) else f"{x:.2f}"


def format_table(table: dict[tuple[str, str], Counts], title: str) -> str:
    cats = ["coding", "fundamentals", "system_design", "behavioral", "all"]
    checks = list(dict.fromkeys(c for c, _ in table))
    lines = [title, f"{'check':<14}{'category':<15}{'n':>4}{'TP':>4}{'FP':>4}{'FN':>4}{'TN':>4}"
                    f"{'prec':>7}{'recall':>7}{'F1':>7}{'absent':>7}"]
    for check in checks:
        for cat in cats:
            c = table.get((check, cat))
            if c is None:
                continue
            lines.append(f"{check:<14}{cat:<15}{c.n:>4}{c.tp:>4}{c.fp:>4}{c.fn:>4}{c.tn:>4}"
                         f"{_fmt(c.precision):>7}{_fmt(c.recall):>7}{_fmt(c.f1):>7}{c.absent:>7}")
    return "\n".join(lines)


def format_misses(rows, title: str) -> str:
    lines = [title, f"{'id':<8}{'category':<15}{'check':<14}{'label':>6}{'predicted':>10}  question / persona"]
    for p, check, label, pred in rows:
        shown = "absent" if pred is None else str(pred)
        lines.append(f"{p.answer.id:<8}{p.category:<15}{check:<14}{str(label):>6}{shown:>10}  "
                     f"{p.answer.question} / {p.answer.persona}")
    if not rows:
        lines.append("(none)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.eval_heldout", description=__doc__.split("\n\n")[0])
    ap.add_argument("--spoken", action="store_true", help="also synthesize, transcribe and analyse the spoken answers")
    ap.add_argument("--data", type=Path, default=DATA, help="held-out answers (TOML)")
    ap.add_argument("--all-checks", action="store_true", help="list misclassifications for every labelled element, not just assumptions/outcome")
    args = ap.parse_args(argv)

    try:
        answers = load_answers(args.data)
        questions = load_questions(answers)
        t0 = time.perf_counter()
        preds = evaluate_text(answers, questions)
        dt = time.perf_counter() - t0
    except Exception as e:  # a report: say what went wrong and still exit 0
        print(f"held-out evaluation could not run: {type(e).__name__}: {e}")
        return 0

    print(f"held-out answers: {len(answers)} ({sum(a.spoken for a in answers)} spoken) from {args.data}")
    print(f"analysis under test: {analysis_version()}")
    print(f"text analysis: {dt * 1000 / max(len(preds), 1):.1f} ms per answer\n")
    print(format_table(score(preds), "== typed answers: structure checks =="))
    print()
    focus = None if args.all_checks else MAIN_CHECKS
    print(format_misses(misclassified(preds, focus),
                        "== typed answers: misclassified" + ("" if args.all_checks else " (assumptions, outcome; --all-checks for the rest)") + " =="))

    if args.spoken:
        print()
        try:
            from bot.config import Settings
            from bot.speech.stt import Transcriber

            t0 = time.perf_counter()
            tr = Transcriber(Settings.from_env({}))
            tr.load()
            print(f"whisper model loaded in {time.perf_counter() - t0:.1f} s")
            with tempfile.TemporaryDirectory(prefix="parley-heldout-") as tmp:
                t0 = time.perf_counter()
                spoken = evaluate_spoken(answers, tr, Path(tmp), questions=questions)
                dt = time.perf_counter() - t0
        except Exception as e:
            print(f"spoken evaluation could not run: {type(e).__name__}: {e}")
            return 0
        audio = sum(r.audio_s for r in spoken)
        print(f"spoken answers: {len(spoken)}, {audio:.0f} s of audio processed in {dt:.0f} s\n")
        sp = [r.prediction for r in spoken]
        print(format_table(score(sp, MAIN_CHECKS), "== spoken answers: assumptions / outcome =="))
        for check in MAIN_CHECKS:
            c = score(sp, [check]).get((check, "all"), Counts())
            print(f"{check}: accuracy {_fmt(c.accuracy)} ({c.tp + c.tn}/{c.n})")
        print()
        print("== spoken answers: pauses and transcripts ==")
        for r in spoken:
            a = r.prediction.answer
            if r.expected_pause:
                s0, e0 = r.expected_pause
                got = ", ".join(f"{s:.2f}-{e:.2f}" for s, e in r.silences) or "none"
                pause = f"pause {s0:.2f}-{e0:.2f}: {'FOUND' if r.pause_found else 'MISSED'} (reported: {got})"
            else:
                pause = f"no pause; reported silences: {len(r.silences)}"
            print(f"{a.id:<8}{a.voice:<12}{pause}")
            print(f"        heard: {r.prediction.transcript[:160]}")
        pauses = [r.pause_found for r in spoken if r.pause_found is not None]
        extra = sum(len(r.extra_silences) for r in spoken)
        print(f"pauses found within ±{PAUSE_TOLERANCE_S} s: {sum(pauses)}/{len(pauses)}; "
              f"invented silences: {extra}")
        print()
        print(format_misses(misclassified(sp, MAIN_CHECKS), "== spoken answers: misclassified =="))
    return 0


if __name__ == "__main__":
    sys.exit(main())
