"""Every structure rule's own examples, run as tests: each `yes` example fires the rule, each `no` does not.

The examples live beside the rule in bot/analysis/structure/rules/*.toml, so a rule cannot be added or
widened without saying, in data, which answers it is for and which it must leave alone.
"""

from __future__ import annotations

import pytest

from bot.analysis.lexicon import doc_from_text
from bot.analysis.structure import DEFAULT_OPTIONS, rule_hits
from bot.analysis.structure.context import AnswerContext
from bot.analysis.structure.phrases import load_phrasebook
from bot.analysis.structure.rules import load_rules

BOOK = load_phrasebook()
RULES = [r for er in load_rules(BOOK).values() for r in er.rules]
CASES = [(r, True, t) for r in RULES for t in r.examples_yes] + [(r, False, t) for r in RULES for t in r.examples_no]


def _fires(rule, text: str) -> bool:  # type: ignore[no-untyped-def]
    ctx = AnswerContext(doc=doc_from_text(text), category=rule.categories[0], opts=DEFAULT_OPTIONS, book=BOOK)
    return bool(rule_hits(ctx, rule))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.element}/{r.id}")
def test_every_rule_has_examples_on_both_sides(rule) -> None:  # type: ignore[no-untyped-def]
    assert len(rule.examples_yes) >= 2, "a rule needs at least two positive examples, from different contexts"
    assert len(rule.examples_no) >= 1, "a rule needs at least one negative example"
    assert len(set(rule.examples_yes)) == len(rule.examples_yes)


@pytest.mark.parametrize(("rule", "fires", "text"), CASES,
                         ids=[f"{r.element}/{r.id}/{'yes' if y else 'no'}{k}" for k, (r, y, _) in enumerate(CASES)])
def test_rule_example(rule, fires: bool, text: str) -> None:  # type: ignore[no-untyped-def]
    assert _fires(rule, text) is fires, f"{rule.element}/{rule.id} ({rule.categories[0]}): {text!r}"


def test_rule_ids_are_unique_within_an_element() -> None:
    seen: set[tuple[str, str]] = set()
    for r in RULES:
        assert (r.element, r.id) not in seen, r.id
        seen.add((r.element, r.id))
