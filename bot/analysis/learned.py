"""A learned detector for the two main structure checks (`assumptions`, `outcome`).

Hand rules written by the people who write the examples keep fitting those examples; a linear
model trained on answers from many independent writers (tests/data/train/, tests/data/*.toml)
sees phrasings no rule author thought of. It is small and dependency-free at run time: a logistic
regression over word n-grams (whole answer, its opening and its ending, crossed with the category)
and the rule engine's own hits, shipped as a JSON weights file. `bench/train_structure_model.py`
trains it with scikit-learn and writes `structure_model.json`; `bench/eval_sealed.py` compares it
with the rules on the sealed sets.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.analysis.lexicon import Doc
from bot.analysis.structure import StructureReport

MODEL_PATH = Path(__file__).with_name("structure_model.json")
LEARNED_CHECKS = ("assumptions", "outcome")
OPENING_FRAC = 0.35  # the part of the answer where framing happens
ENDING_FRAC = 0.6  # from here on an answer lands


def _ngrams(tokens: list[str], n_max: int = 2) -> Iterable[str]:
    for n in range(1, n_max + 1):
        for i in range(len(tokens) - n + 1):
            yield " ".join(tokens[i:i + n])


def features(doc: Doc, category: str, report: StructureReport | None, *, use_rules: bool = True) -> dict[str, float]:
    """Sparse features of one answer: name -> value (binary n-grams, rule hits, length)."""
    toks = doc.tokens
    n = len(toks)
    f: dict[str, float] = {f"cat={category}": 1.0, "bias": 1.0}
    cut_open, cut_end = int(math.ceil(n * OPENING_FRAC)), int(n * ENDING_FRAC)
    for zone, part in (("all", toks), ("open", toks[:cut_open]), ("end", toks[cut_end:])):
        for g in set(_ngrams(part)):
            f[f"{zone}:{g}"] = 1.0
            f[f"{category}|{zone}:{g}"] = 1.0
    f["len:log_words"] = math.log1p(n) / 6.0
    f["len:numbers"] = min(sum(1 for t in toks if t[:1].isdigit()), 10) / 10.0
    if use_rules and report is not None:
        for element, fired in report.rule_hits.items():
            for rid in fired:
                f[f"rule:{element}/{rid}"] = 1.0
                f[f"{category}|rule:{element}/{rid}"] = 1.0
        for element in LEARNED_CHECKS:
            v = 1.0 if report.present.get(element) else 0.0
            f[f"present:{element}"] = v
            f[f"{category}|present:{element}"] = v
            h = report.hits.get(element)
            if h is not None:
                f[f"{element}:first_frac"] = h.frac
    return f


@dataclass(frozen=True)
class LinearModel:
    """One logistic regression per check over a shared feature vocabulary."""

    vocabulary: Mapping[str, int]
    weights: Mapping[str, tuple[float, ...]]  # check -> coefficient per vocabulary index
    intercepts: Mapping[str, float]
    thresholds: Mapping[str, float]
    use_rules: bool
    trained_on: int = 0
    # transcripts lose cues typed text keeps (question marks, a misheard word), so the model is less sure
    # of them: their thresholds are chosen on the spoken copies of held-out writers' answers
    spoken_thresholds: Mapping[str, float] = field(default_factory=dict)

    def probability(self, check: str, feats: Mapping[str, float]) -> float:
        w = self.weights[check]
        norm = math.sqrt(sum(v * v for v in feats.values())) or 1.0
        z = self.intercepts[check] + sum(w[i] * v / norm for name, v in feats.items() if (i := self.vocabulary.get(name)) is not None)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def threshold(self, check: str, *, spoken: bool = False) -> float:
        if spoken and check in self.spoken_thresholds:
            return self.spoken_thresholds[check]
        return self.thresholds.get(check, 0.5)

    def predict(self, doc: Doc, category: str, report: StructureReport | None, *, spoken: bool = False
                ) -> dict[str, tuple[bool, float]]:
        feats = features(doc, category, report, use_rules=self.use_rules)
        out = {}
        for check in self.weights:
            p = self.probability(check, feats)
            out[check] = (p >= self.threshold(check, spoken=spoken), p)
        return out

    def to_json(self) -> dict[str, Any]:
        names = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return {"format": 1, "use_rules": self.use_rules, "trained_on": self.trained_on, "features": names,
                "checks": {c: {"intercept": self.intercepts[c], "threshold": self.thresholds.get(c, 0.5),
                               "spoken_threshold": self.spoken_thresholds.get(c, self.thresholds.get(c, 0.5)),
                               "weights": [round(x, 5) for x in self.weights[c]]} for c in self.weights}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LinearModel:
        if data.get("format") != 1:
            raise ValueError(f"unknown structure model format {data.get('format')!r}")
        names = [str(n) for n in data["features"]]
        checks: Mapping[str, Mapping[str, Any]] = data["checks"]
        for c, spec in checks.items():
            if len(spec["weights"]) != len(names):
                raise ValueError(f"structure model: {c} has {len(spec['weights'])} weights for {len(names)} features")
        return cls(vocabulary={n: i for i, n in enumerate(names)},
                   weights={c: tuple(float(x) for x in spec["weights"]) for c, spec in checks.items()},
                   intercepts={c: float(spec["intercept"]) for c, spec in checks.items()},
                   thresholds={c: float(spec.get("threshold", 0.5)) for c, spec in checks.items()},
                   spoken_thresholds={c: float(spec.get("spoken_threshold", spec.get("threshold", 0.5))) for c, spec in checks.items()},
                   use_rules=bool(data.get("use_rules", True)), trained_on=int(data.get("trained_on", 0)))


@lru_cache(maxsize=2)
def load_model(path: Path = MODEL_PATH) -> LinearModel | None:
    """The shipped model, or None when there is none (the rules then decide alone)."""
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as fh:
        return LinearModel.from_json(json.load(fh))


def apply_learned(report: StructureReport, doc: Doc, category: str, model: LinearModel | None = None, *,
                  spoken: bool = False) -> None:
    """Let the shipped model decide `assumptions` and `outcome` (the rules' hits stay as evidence).

    Where the model finds a move the rules did not locate, the report has no hit to quote; where it
    overrules a rule hit, the hit is dropped so feedback never quotes a moment it does not believe in.
    """
    model = model or load_model()
    if model is None:
        return
    for check, (present, _p) in model.predict(doc, category, report, spoken=spoken).items():
        report.present[check] = present
        if not present:
            report.hits[check] = None
