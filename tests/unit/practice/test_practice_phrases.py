"""The practice phrase families' own examples, run as tests: each `yes` example matches its family,
each `no` does not (bot/practice/pushback_phrases.toml, candidate_question_phrases.toml).

As with the structure rules (tests/unit/analysis/test_rule_examples.py), a family cannot be added or
widened without saying, in data, which replies or questions it is for and which it must leave alone.
"""

from __future__ import annotations

import pytest

from bot.analysis.structure.phrases import PhraseBookError
from bot.practice.phrase_data import (
    CANDIDATE_QUESTION_PHRASES,
    PUSHBACK_PHRASES,
    PhraseFamily,
    build_practice_phrases,
    load_practice_phrases,
)

FAMILIES = [f for path in (PUSHBACK_PHRASES, CANDIDATE_QUESTION_PHRASES)
            for f in load_practice_phrases(path).families.values()]
CASES = [(f, True, t) for f in FAMILIES for t in f.yes] + [(f, False, t) for f in FAMILIES for t in f.no]


def test_both_files_hold_the_families_their_code_uses() -> None:
    pushback = load_practice_phrases(PUSHBACK_PHRASES)
    assert set(pushback.families) == {"update", "defend", "reason", "dismiss"}
    assert "because" not in pushback.word_set("stop") and "the" in pushback.word_set("stop")
    questions = load_practice_phrases(CANDIDATE_QUESTION_PHRASES)
    assert [f.name for f in questions.with_prefix("topic_")] == [
        "topic_challenges", "topic_delivery_vs_stability", "topic_early_success", "topic_greenfield_vs_existing",
        "topic_bottlenecks"]
    assert all(f.label for f in questions.with_prefix("topic_"))
    assert {"perks", "specific", "generic"} <= set(questions.families)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_every_family_has_examples_on_both_sides(family: PhraseFamily) -> None:
    assert len(family.yes) >= 2, "a family needs at least two positive examples"
    assert len(family.no) >= 1, "a family needs at least one negative example"
    assert len(set(family.yes)) == len(family.yes)


@pytest.mark.parametrize(("family", "fires", "text"), CASES,
                         ids=[f"{f.name}/{'yes' if y else 'no'}{k}" for k, (f, y, _) in enumerate(CASES)])
def test_family_example(family: PhraseFamily, fires: bool, text: str) -> None:
    assert family.fires(text) is fires, f"{family.name}: {text!r}"


def test_malformed_data_is_named() -> None:
    with pytest.raises(PhraseBookError, match="match must be one of"):
        build_practice_phrases({"match": "fuzzy", "family": {"a": {"alternatives": ["x"]}}}, "t.toml")
    with pytest.raises(PhraseBookError, match="family 'a' alternative 1 is not a valid pattern"):
        build_practice_phrases({"family": {"a": {"alternatives": ["(x"]}}}, "t.toml")
    book = build_practice_phrases({"match": "raw", "family": {"a": {"alternatives": ["kafka"]}}}, "t.toml")
    assert book["a"].fires("Why KAFKA?") and not book["a"].fires("kafkaesque")
    with pytest.raises(PhraseBookError, match="unknown phrase family 'b'"):
        book["b"]
