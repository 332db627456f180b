"""Train the learned structure detector (bot/analysis/structure_model.json) from the labelled answers.

    .venv/bin/python -m bench.train_structure_model            # train on train + dev, write the weights
    .venv/bin/python -m bench.train_structure_model --report   # also leave-one-writer-out figures
    .venv/bin/python -m bench.train_structure_model --no-rules --out /tmp/words_only.json

Training data: tests/data/train/*.toml (independent writers), their spoken copies as the recogniser
printed them (tests/data/train_spoken/, made by bench/make_spoken_train.py) and the dev sets.
The sealed sets (tests/data/sealed/) are never read here. The model is a logistic regression per
check (scikit-learn, liblinear) over `bot.analysis.learned.features`; features seen in fewer than
`--min-df` answers are dropped to keep the weights file small. Deterministic: the same data gives
the same file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bench.eval_heldout import Counts, HeldoutAnswer
from bench.labelled_sets import DEV_FILES, SPOKEN_SUFFIX, load_any, questions_for, spoken_train_files, train_files
from bot.analysis import expected_elements
from bot.analysis.learned import LEARNED_CHECKS, MODEL_PATH, LinearModel, features
from bot.analysis.lexicon import doc_from_text
from bot.analysis.structure import detect_structure


@dataclass
class Example:
    answer: HeldoutAnswer
    group: str  # the writer (file): cross-validation leaves whole writers out
    feats: dict[str, float]


def build_examples(use_rules: bool) -> list[Example]:
    groups: list[tuple[str, list[HeldoutAnswer]]] = [(p.stem, load_any(p)) for p in train_files()]
    # spoken copies (bench/make_spoken_train.py) belong to their writer: left out together with it
    groups += [(p.stem, load_any(p)) for p in spoken_train_files()]
    groups.append(("dev", [a for p in DEV_FILES for a in load_any(p)]))
    questions = questions_for([a for _, g in groups for a in g])
    out = []
    for name, answers in groups:
        for a in answers:
            q = questions[a.question]
            doc = doc_from_text(a.text)
            report = detect_structure(doc, q.category, expected_elements(q))
            out.append(Example(a, name, features(doc, q.category, report, use_rules=use_rules)))
    return out


def _matrix(examples: list[Example], vocab: dict[str, int]):  # type: ignore[no-untyped-def]
    from scipy.sparse import csr_matrix

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for r, ex in enumerate(examples):
        norm = float(np.sqrt(sum(v * v for v in ex.feats.values()))) or 1.0
        for name, v in ex.feats.items():
            i = vocab.get(name)
            if i is not None:
                rows.append(r)
                cols.append(i)
                vals.append(v / norm)
    return csr_matrix((vals, (rows, cols)), shape=(len(examples), len(vocab)))


def _vocab(examples: list[Example], min_df: int) -> dict[str, int]:
    df: dict[str, int] = defaultdict(int)
    for ex in examples:
        for name in ex.feats:
            df[name] += 1
    names = sorted(n for n, c in df.items() if c >= min_df and n != "bias")
    return {n: i for i, n in enumerate(names)}


THRESHOLD_GRID = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


def _is_spoken(ex: Example) -> bool:
    return ex.answer.id.endswith(SPOKEN_SUFFIX)


def _f1_at(part: list[tuple[Example, dict[str, float]]], check: str, threshold: float) -> float:
    cnt = Counts()
    for ex, p in part:
        cnt.add(ex.answer.labels[check], p[check] >= threshold)
    return cnt.f1 if cnt.f1 == cnt.f1 else 0.0


def choose_thresholds(examples: list[Example], *, c: float, min_df: int, use_rules: bool
                      ) -> tuple[dict[str, float], dict[str, float]]:
    """Decision thresholds (typed, spoken) per check that give the best F1 on writers left out of training.

    Every independent writer is left out once; the dev group is never scored (the rules remember it).
    Ties go to the threshold nearest 0.5.
    """
    probs: list[tuple[Example, dict[str, float]]] = []
    for g in sorted({ex.group for ex in examples} - {"dev"}):
        model = fit([ex for ex in examples if ex.group != g], c=c, min_df=min_df, use_rules=use_rules)
        probs += [(ex, {k: model.probability(k, ex.feats) for k in LEARNED_CHECKS}) for ex in examples if ex.group == g]
    chosen: tuple[dict[str, float], dict[str, float]] = ({}, {})
    for spoken, out in zip((False, True), chosen):
        part = [(ex, p) for ex, p in probs if _is_spoken(ex) == spoken]
        for check in LEARNED_CHECKS:
            scores = {t: _f1_at(part, check, t) for t in THRESHOLD_GRID}
            out[check] = max(THRESHOLD_GRID, key=lambda t: (round(scores[t], 4), -abs(t - 0.5))) if part else 0.5
    return chosen


def fit(examples: list[Example], *, c: float, min_df: int, use_rules: bool) -> LinearModel:
    from sklearn.linear_model import LogisticRegression

    vocab = _vocab(examples, min_df)
    x = _matrix(examples, vocab)
    weights, intercepts = {}, {}
    for check in LEARNED_CHECKS:
        y = np.array([ex.answer.labels[check] for ex in examples], dtype=int)
        clf = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=5000, random_state=0)
        clf.fit(x, y)
        weights[check] = tuple(float(w) for w in clf.coef_[0])
        intercepts[check] = float(clf.intercept_[0])
    return LinearModel(vocabulary=vocab, weights=weights, intercepts=intercepts,
                       thresholds={c_: 0.5 for c_ in LEARNED_CHECKS}, use_rules=use_rules, trained_on=len(examples))


def leave_one_writer_out(examples: list[Example], *, c: float, min_df: int, use_rules: bool
                         ) -> dict[str, dict[str, tuple[Counts, Counts]]]:
    """Train without one writer, score on that writer: {writer: {check: (rules alone, model)}}."""
    out: dict[str, dict[str, tuple[Counts, Counts]]] = {}
    for g in sorted({ex.group for ex in examples}):
        model = fit([ex for ex in examples if ex.group != g], c=c, min_df=min_df, use_rules=use_rules)
        table = {check: (Counts(), Counts()) for check in LEARNED_CHECKS}
        for ex in (ex for ex in examples if ex.group == g):
            for check in LEARNED_CHECKS:
                label = ex.answer.labels[check]
                table[check][0].add(label, ex.feats.get(f"present:{check}", 0.0) > 0)
                table[check][1].add(label, model.probability(check, ex.feats) >= 0.5)
        out[g] = table
    return out


def _print_report(table: dict[str, dict[str, tuple[Counts, Counts]]], use_rules: bool) -> None:
    print(f"{'held-out writer':<18}{'check':<13}{'n':>5}  {'rules P/R/F1':>17}  {'model P/R/F1':>17}")
    totals = {check: (Counts(), Counts()) for check in LEARNED_CHECKS}
    for g, checks in table.items():
        for check, (r, m) in checks.items():
            rules = f"{r.precision:.2f}/{r.recall:.2f}/{r.f1:.2f}" if use_rules else "-"
            print(f"{g:<18}{check:<13}{m.n:>5}  {rules:>17}  {m.precision:.2f}/{m.recall:.2f}/{m.f1:.2f}")
            if g != "dev":  # the dev group was written beside the rules: its rule score is memory
                for total, part in zip(totals[check], (r, m)):
                    for k in ("tp", "fp", "fn", "tn"):
                        setattr(total, k, getattr(total, k) + getattr(part, k))
    for check, (r, m) in totals.items():
        rules = f"{r.precision:.2f}/{r.recall:.2f}/{r.f1:.2f}" if use_rules else "-"
        print(f"{'independent (all)':<18}{check:<13}{m.n:>5}  {rules:>17}  {m.precision:.2f}/{m.recall:.2f}/{m.f1:.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.train_structure_model", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=MODEL_PATH, help="where to write the weights (JSON)")
    ap.add_argument("--c", type=float, default=16.0, help="inverse regularisation strength")
    ap.add_argument("--min-df", type=int, default=8, help="drop features seen in fewer answers")
    ap.add_argument("--no-rules", action="store_true", help="words only: leave the rule engine's hits out of the features")
    ap.add_argument("--report", action="store_true", help="print leave-one-writer-out precision/recall/F1 first")
    args = ap.parse_args(argv)
    use_rules = not args.no_rules

    t0 = time.perf_counter()
    examples = build_examples(use_rules)
    print(f"{len(examples)} answers from {len({e.group for e in examples})} writers (features built in {time.perf_counter() - t0:.1f} s)",
          file=sys.stderr)
    if args.report:
        _print_report(leave_one_writer_out(examples, c=args.c, min_df=args.min_df, use_rules=use_rules), use_rules)
    model = fit(examples, c=args.c, min_df=args.min_df, use_rules=use_rules)
    typed_t, spoken_t = choose_thresholds(examples, c=args.c, min_df=args.min_df, use_rules=use_rules)
    model = replace(model, thresholds=typed_t, spoken_thresholds=spoken_t)
    print(f"thresholds: typed {typed_t}, transcripts {spoken_t} (best F1 on writers left out)", file=sys.stderr)
    args.out.write_text(json.dumps(model.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(model.vocabulary)} features, {args.out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
