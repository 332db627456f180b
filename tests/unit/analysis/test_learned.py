"""The learned structure detector: the shipped weights are what the training script makes from the
committed data, it loads and round-trips, and on the sealed sets it beats the rules it builds on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.eval_sealed import _tally, typed_rows
from bench.labelled_sets import load_any, sealed_files
from bench.train_structure_model import main as train_main
from bot.analysis.learned import MODEL_PATH, LinearModel, load_model


@pytest.mark.slow  # about 25 s: eleven fits to choose the thresholds on writers left out
def test_retraining_on_the_committed_data_reproduces_the_shipped_weights(tmp_path: Path) -> None:
    out = tmp_path / "model.json"
    assert train_main(["--out", str(out)]) == 0
    assert json.loads(out.read_text()) == json.loads(MODEL_PATH.read_text()), \
        "bot/analysis/structure_model.json is not what bench/train_structure_model.py makes: retrain and commit it"


def test_shipped_model_is_small_and_round_trips() -> None:
    model = load_model()
    assert model is not None and set(model.weights) == {"assumptions", "outcome"}
    assert MODEL_PATH.stat().st_size < 1_000_000
    again = LinearModel.from_json(model.to_json())
    feats = {"cat=coding": 1.0, "all:complexity": 1.0, "present:outcome": 1.0}
    for check in model.weights:
        assert again.probability(check, feats) == pytest.approx(model.probability(check, feats), abs=1e-6)


def test_transcripts_are_judged_with_their_own_thresholds() -> None:
    model = load_model()
    assert model is not None
    for check in ("assumptions", "outcome"):
        assert 0.3 <= model.threshold(check, spoken=True) <= 0.6 and 0.3 <= model.threshold(check) <= 0.6
    # a probability between the two thresholds is a yes for a transcript and a no for typed text
    low = LinearModel(vocabulary={}, weights={"outcome": ()}, intercepts={"outcome": 0.0},
                      thresholds={"outcome": 0.6}, use_rules=False, spoken_thresholds={"outcome": 0.4})
    from bot.analysis.lexicon import doc_from_text
    doc = doc_from_text("anything at all")
    assert low.predict(doc, "coding", None, spoken=True)["outcome"][0] is True   # p = 0.5
    assert low.predict(doc, "coding", None)["outcome"][0] is False


def test_a_weights_file_that_does_not_fit_its_features_is_refused() -> None:
    data = load_model().to_json()  # type: ignore[union-attr]
    data["checks"]["outcome"]["weights"] = data["checks"]["outcome"]["weights"][:-1]  # type: ignore[index]
    with pytest.raises(ValueError, match="outcome has"):
        LinearModel.from_json(data)


@pytest.mark.slow  # scores all 96 sealed answers twice, about 1.7 s each
@pytest.mark.parametrize("check", ["assumptions", "outcome"])
def test_on_sealed_typed_answers_the_learned_detector_beats_the_rules(check: str) -> None:
    answers = [a for p in sealed_files() for a in load_any(p)]
    rules = _tally(typed_rows(answers, "rules"))[(check, "all")]
    learned = _tally(typed_rows(answers, "learned"))[(check, "all")]
    assert learned.f1 >= rules.f1, (rules, learned)
    assert learned.f1 >= 0.90, learned
