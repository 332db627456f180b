"""Floors for the structure checks (assumptions, outcome) on one dev file, typed and spoken.

tests/data/heldout_answers.toml is DEV data (despite its name): it arrived with the rule fixes it
prompted, so these floors guard against regressions, not a measure of generalisation; that is the
sealed sets' job (bench/eval_sealed.py, tests/unit/analysis/test_learned.py). When a floor fails,
the message lists the misclassified answers for whoever changes the analysis.
Full report: `.venv/bin/python -m bench.eval_heldout [--spoken] [--all-checks]`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from bot.models import CATEGORIES
from tests.conftest import espeak

ROOT = Path(__file__).resolve().parents[2]

_spec = importlib.util.spec_from_file_location("bench_eval_heldout", ROOT / "bench" / "eval_heldout.py")
ev = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = ev  # dataclasses look their module up while the class is built
_spec.loader.exec_module(ev)

TEXT_PRECISION_FLOOR = 0.80
TEXT_RECALL_FLOOR = 0.75
SPOKEN_ACCURACY_FLOOR = 0.75


@pytest.fixture(scope="module")
def answers() -> list:
    return ev.load_answers()


@pytest.fixture(scope="module")
def questions(answers):
    return ev.load_questions(answers)


@pytest.fixture(scope="module")
def text_predictions(answers, questions) -> list:
    return ev.evaluate_text(answers, questions)


def _misses(preds, check: str) -> str:
    rows = ev.misclassified(preds, [check])
    return "\n".join(f"  {p.answer.id} ({p.category}, {p.answer.persona}): label {label}, predicted {pred}"
                     for p, _c, label, pred in rows)


# --------------------------------------------------------------------------- the data itself


def test_heldout_set_is_broad_and_balanced(answers, questions) -> None:
    assert len(answers) >= 60
    cats = {questions[a.question].category for a in answers}
    assert cats == set(CATEGORIES)
    for a in answers:
        q = questions[a.question]
        unknown = set(a.labels) - set(q.expected) - set(ev.MAIN_CHECKS)
        assert not unknown, f"{a.id}: labels {unknown} are not expected by {q.id}"
        assert len(a.text.split()) >= 15, f"{a.id}: too short to judge"
    for check in ev.MAIN_CHECKS:
        for cat in CATEGORIES:
            labels = [a.labels[check] for a in answers if questions[a.question].category == cat]
            share = sum(labels) / len(labels)
            assert 0.3 <= share <= 0.7, f"{check} in {cat}: {share:.0%} positive, not balanced"
    spoken = [a for a in answers if a.spoken]
    assert len(spoken) >= 15
    assert len({a.voice for a in spoken}) >= 5
    assert sum(1 for a in spoken if a.pause_after_words) >= 5


def test_counts_arithmetic() -> None:
    c = ev.Counts()
    for label, pred in [(True, True), (True, True), (True, False), (False, True), (False, False), (False, None)]:
        c.add(label, pred)
    assert (c.tp, c.fp, c.fn, c.tn, c.absent) == (2, 1, 1, 2, 1)
    assert c.precision == pytest.approx(2 / 3)
    assert c.recall == pytest.approx(2 / 3)
    assert c.accuracy == pytest.approx(4 / 6)


# --------------------------------------------------------------------------- typed answers


@pytest.mark.parametrize("check", ev.MAIN_CHECKS)
def test_text_answers_meet_the_floor(text_predictions, check: str) -> None:
    table = ev.score(text_predictions, [check])
    overall = table[(check, "all")]
    assert overall.n == len(text_predictions)
    figures = (f"{check}: precision {overall.precision:.2f}, recall {overall.recall:.2f} "
               f"(TP {overall.tp}, FP {overall.fp}, FN {overall.fn}, TN {overall.tn})")
    assert overall.precision >= TEXT_PRECISION_FLOOR and overall.recall >= TEXT_RECALL_FLOOR, (
        f"{figures}; floor precision >= {TEXT_PRECISION_FLOOR}, recall >= {TEXT_RECALL_FLOOR}. "
        f"Misclassified:\n{_misses(text_predictions, check)}")


# --------------------------------------------------------------------------- spoken answers


@pytest.fixture(scope="module")
def spoken_results(answers, questions, transcriber, tmp_path_factory) -> list:
    workdir = tmp_path_factory.mktemp("heldout-spoken")
    return ev.evaluate_spoken(answers, transcriber, workdir, tts=espeak, questions=questions)


@pytest.mark.slow
def test_spoken_pauses_found(spoken_results) -> None:
    with_pause = [r for r in spoken_results if r.expected_pause is not None]
    assert len(with_pause) >= 5
    missed = [f"{r.prediction.answer.id} ({r.prediction.answer.voice}): expected "
              f"{r.expected_pause[0]:.2f}-{r.expected_pause[1]:.2f}, reported {r.silences}"
              for r in with_pause if not r.pause_found]
    assert not missed, "spliced pauses not found within ±0.5 s:\n" + "\n".join(missed)


@pytest.mark.slow
def test_spoken_answers_invent_no_silence(spoken_results) -> None:
    invented = [(r.prediction.answer.id, r.extra_silences) for r in spoken_results if r.extra_silences]
    assert not invented, f"silences reported where the audio has none: {invented}"


@pytest.mark.slow
@pytest.mark.parametrize("check", ev.MAIN_CHECKS)
def test_spoken_labels_mostly_hold(spoken_results, check: str) -> None:
    preds = [r.prediction for r in spoken_results]
    assert all(p.transcript.strip() for p in preds), "an answer came back with an empty transcript"
    c = ev.score(preds, [check])[(check, "all")]
    assert c.accuracy >= SPOKEN_ACCURACY_FLOOR, (
        f"{check} on spoken answers: accuracy {c.accuracy:.2f} ({c.tp + c.tn}/{c.n}), floor "
        f"{SPOKEN_ACCURACY_FLOOR}. Misclassified:\n{_misses(preds, check)}")
